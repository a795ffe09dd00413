use super::*;
use crate::catalogue::default_catalogue;

fn clear() -> MedicalHistoryInput {
    MedicalHistoryInput {
        allergies: vec![],
        medications: vec![],
        pregnant_or_breastfeeding: false,
        autoimmune_disease: false,
        keloid_history: false,
        prior_filler_complication: false,
        prior_neurotoxin_complication: false,
        anticoagulants: false,
        active_infection_at_site: false,
        notes: None,
    }
}

fn codes(
    input: MedicalHistoryInput,
    kind: TreatmentKind,
    product: &str,
) -> Vec<(WarningCode, WarningSeverity)> {
    let catalogue = default_catalogue();
    let history = validate_history(&input).unwrap();
    warnings(&history, kind, catalogue.find(product))
        .into_iter()
        .map(|w| (w.code, w.severity))
        .collect()
}

use TreatmentKind::{Filler, Neurotoxin, Procedure};
use WarningCode as C;
use WarningSeverity::{Caution, Contraindication};

const ALL_KINDS: [TreatmentKind; 7] = [
    Neurotoxin,
    Filler,
    Procedure(ProcedureKind::Laser),
    Procedure(ProcedureKind::Energy),
    Procedure(ProcedureKind::ChemicalPeel),
    Procedure(ProcedureKind::Microneedling),
    Procedure(ProcedureKind::Other),
];

#[test]
fn clear_history_has_no_warnings() {
    for kind in ALL_KINDS {
        assert_eq!(
            codes(clear(), kind, "juvederm_ultra_xc"),
            vec![],
            "{kind:?}"
        );
    }
}

#[test]
fn pregnancy() {
    let h = MedicalHistoryInput {
        pregnant_or_breastfeeding: true,
        ..clear()
    };
    assert_eq!(
        codes(h.clone(), Neurotoxin, "botox_100"),
        vec![(C::PregnancyOrBreastfeeding, Contraindication)]
    );
    assert_eq!(
        codes(h.clone(), Filler, "restylane_l"),
        vec![(C::PregnancyOrBreastfeeding, Contraindication)]
    );
    assert_eq!(
        codes(h, Procedure(ProcedureKind::ChemicalPeel), ""),
        vec![(C::PregnancyOrBreastfeeding, Caution)]
    );
}

#[test]
fn active_infection_contraindicates_everything() {
    let h = MedicalHistoryInput {
        active_infection_at_site: true,
        ..clear()
    };
    for kind in ALL_KINDS {
        assert_eq!(
            codes(h.clone(), kind, ""),
            vec![(C::ActiveInfection, Contraindication)],
            "{kind:?}"
        );
    }
}

#[test]
fn lidocaine_allergy_only_with_a_lidocaine_product() {
    let h = MedicalHistoryInput {
        allergies: vec!["Penicillin".into(), "LIDOCAINE (hives)".into()],
        ..clear()
    };
    assert_eq!(
        codes(h.clone(), Filler, "juvederm_voluma_xc"),
        vec![(C::LidocaineAllergy, Contraindication)]
    );
    assert_eq!(codes(h.clone(), Filler, "radiesse"), vec![]);
    assert_eq!(codes(h.clone(), Neurotoxin, "botox_100"), vec![]);
    assert_eq!(codes(h, Filler, "unknown"), vec![], "no product chosen yet");
    let other = MedicalHistoryInput {
        allergies: vec!["lignocaine".into()],
        ..clear()
    };
    assert_eq!(
        codes(other, Filler, "rha_2"),
        vec![(C::LidocaineAllergy, Contraindication)]
    );
    let no = MedicalHistoryInput {
        allergies: vec!["latex".into()],
        ..clear()
    };
    assert_eq!(codes(no, Filler, "rha_2"), vec![]);
}

#[test]
fn anticoagulants_on_injectables() {
    let h = MedicalHistoryInput {
        anticoagulants: true,
        ..clear()
    };
    assert_eq!(
        codes(h.clone(), Neurotoxin, ""),
        vec![(C::Anticoagulants, Caution)]
    );
    assert_eq!(
        codes(h.clone(), Filler, ""),
        vec![(C::Anticoagulants, Caution)]
    );
    assert_eq!(codes(h, Procedure(ProcedureKind::ChemicalPeel), ""), vec![]);
}

#[test]
fn keloids_on_skin_injuring_procedures() {
    let h = MedicalHistoryInput {
        keloid_history: true,
        ..clear()
    };
    for p in [
        ProcedureKind::Laser,
        ProcedureKind::Energy,
        ProcedureKind::Microneedling,
    ] {
        assert_eq!(
            codes(h.clone(), Procedure(p), ""),
            vec![(C::KeloidHistory, Caution)],
            "{p}"
        );
    }
    assert_eq!(codes(h.clone(), Neurotoxin, ""), vec![]);
    assert_eq!(codes(h, Filler, ""), vec![]);
}

#[test]
fn autoimmune_and_prior_complications_of_the_same_kind() {
    let auto = MedicalHistoryInput {
        autoimmune_disease: true,
        ..clear()
    };
    assert_eq!(
        codes(auto.clone(), Filler, ""),
        vec![(C::AutoimmuneDisease, Caution)]
    );
    assert_eq!(codes(auto, Neurotoxin, ""), vec![]);
    let filler = MedicalHistoryInput {
        prior_filler_complication: true,
        ..clear()
    };
    assert_eq!(
        codes(filler.clone(), Filler, ""),
        vec![(C::PriorComplication, Caution)]
    );
    assert_eq!(codes(filler, Neurotoxin, ""), vec![]);
    let toxin = MedicalHistoryInput {
        prior_neurotoxin_complication: true,
        ..clear()
    };
    assert_eq!(
        codes(toxin.clone(), Neurotoxin, ""),
        vec![(C::PriorComplication, Caution)]
    );
    assert_eq!(codes(toxin, Filler, ""), vec![]);
}

#[test]
fn contraindications_come_first_and_messages_are_fixed() {
    let h = MedicalHistoryInput {
        allergies: vec!["lidocaine".into()],
        anticoagulants: true,
        autoimmune_disease: true,
        pregnant_or_breastfeeding: true,
        active_infection_at_site: true,
        notes: Some("patient secret".into()),
        ..clear()
    };
    let found = codes(h.clone(), Filler, "restylane_l");
    assert_eq!(
        found,
        vec![
            (C::PregnancyOrBreastfeeding, Contraindication),
            (C::ActiveInfection, Contraindication),
            (C::LidocaineAllergy, Contraindication),
            (C::Anticoagulants, Caution),
            (C::AutoimmuneDisease, Caution),
        ]
    );
    let history = validate_history(&h).unwrap();
    let catalogue = default_catalogue();
    for w in warnings(&history, Filler, catalogue.find("restylane_l")) {
        assert!(!w.message.contains("secret") && !w.message.contains("lidocaine ("));
    }
    assert_eq!(TreatmentKind::from(ProductKind::Filler), Filler);
}

#[test]
fn history_bounds() {
    let refused = |h: MedicalHistoryInput| validate_history(&h).unwrap_err().to_string();
    assert_eq!(
        refused(MedicalHistoryInput {
            allergies: vec!["ok".into(), " ".into()],
            ..clear()
        }),
        "allergies[1]: must not be empty"
    );
    assert_eq!(
        refused(MedicalHistoryInput {
            allergies: vec!["a".into(); 51],
            ..clear()
        }),
        "allergies: must contain at most 50 allergies"
    );
    assert_eq!(
        refused(MedicalHistoryInput {
            medications: vec!["m".repeat(201).into()],
            ..clear()
        }),
        "medications[0]: must be at most 200 characters"
    );
    assert_eq!(
        refused(MedicalHistoryInput {
            medications: vec!["m".into(); 101],
            ..clear()
        }),
        "medications: must contain at most 100 medications"
    );
    assert_eq!(
        refused(MedicalHistoryInput {
            notes: Some("n".repeat(10_001).into()),
            ..clear()
        }),
        "notes: must be at most 10000 characters"
    );
    let full = MedicalHistoryInput {
        allergies: vec!["a".into(); 50],
        medications: vec!["m".into(); 100],
        notes: Some("n".repeat(10_000).into()),
        ..clear()
    };
    assert_eq!(validate_history(&full).unwrap().to_input(), full);
}

#[test]
fn serde_requires_every_answer() {
    let json = r#"{"allergies":["latex"],"medications":[],"pregnant_or_breastfeeding":false,
        "autoimmune_disease":false,"keloid_history":true,"prior_filler_complication":false,
        "prior_neurotoxin_complication":false,"anticoagulants":false,"active_infection_at_site":false}"#;
    let parsed: MedicalHistoryInput = serde_json::from_str(json).unwrap();
    assert!(parsed.keloid_history);
    let missing = json.replace("\"keloid_history\":true,", "");
    assert!(
        serde_json::from_str::<MedicalHistoryInput>(&missing)
            .unwrap_err()
            .to_string()
            .contains("missing field `keloid_history`")
    );
    assert!(serde_json::from_str::<MedicalHistoryInput>(&json.replace("true", "\"yes\"")).is_err());
    assert!(
        serde_json::from_str::<MedicalHistoryInput>(
            &json.replace("\"medications\"", "\"smoker\":true,\"medications\"")
        )
        .is_err()
    );
}

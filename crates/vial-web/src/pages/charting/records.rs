//! How the chart shows recorded care: the medical history as a form with its current answers
//! and the warnings it raises, treatments with their derived totals and face-map markers, notes
//! with their amendments, consents. Built from what the use cases returned; reads nothing.

use vial_app::{App, DocumentView, TreatmentView};
use vial_clinical::{
    MedicalHistory, SignState, SoapInput, TreatmentBodyInput, TreatmentKind, warnings,
};

use crate::pages::charting::chart::SoapKeep;
use crate::pages::display::Names;
use crate::pages::display::{
    FACE_HEIGHT, FACE_WIDTH, area_label, code_label, number, site_label, stamp,
};

/// One yes/no question of the medical history, with its current answer.
pub struct Question {
    pub name: &'static str,
    pub label: &'static str,
    pub answer: Option<bool>,
}

pub struct HistoryForm {
    pub recorded: Option<String>,
    pub allergies: String,
    pub medications: String,
    pub questions: Vec<Question>,
    pub notes: String,
}

/// A warning from the medical history.
pub struct WarningRow {
    pub severity: &'static str,
    pub message: &'static str,
}

/// A point drawn on a small face map (drawing coordinates).
pub struct Marker {
    pub n: usize,
    pub cx: String,
    pub cy: String,
    pub label: String,
}

pub struct TreatmentRow {
    pub id: String,
    pub date: String,
    pub kind: String,
    pub product: String,
    pub lot: String,
    pub expiry: String,
    pub detail: String,
    pub total: String,
    pub lines: Vec<(String, String)>,
    pub markers: Vec<Marker>,
    pub author: String,
    pub just_charted: bool,
}

pub struct AmendmentRow {
    pub when: String,
    pub by: String,
    pub text: String,
}

pub struct NoteRow {
    pub id: String,
    pub draft: bool,
    pub version: i64,
    pub created: String,
    pub author: String,
    pub signed: String,
    pub sections: Vec<(&'static str, String)>,
    pub body: SoapKeep,
    pub amendments: Vec<AmendmentRow>,
}

pub struct ConsentRow {
    pub id: String,
    pub kind: String,
    pub version: String,
    pub signed: String,
    pub by: String,
    pub active: bool,
    pub revoked: String,
    pub signature: String,
}

const QUESTIONS: [(&str, &str); 7] = [
    ("pregnant_or_breastfeeding", "Pregnant or breastfeeding"),
    ("autoimmune_disease", "Autoimmune disease"),
    ("keloid_history", "Keloid or hypertrophic scarring"),
    (
        "prior_filler_complication",
        "Prior complication from dermal filler",
    ),
    (
        "prior_neurotoxin_complication",
        "Prior complication from neurotoxin",
    ),
    ("anticoagulants", "Anticoagulants or antiplatelets"),
    (
        "active_infection_at_site",
        "Active infection at the treatment site",
    ),
];

/// The history's questions in order: their form names and labels.
pub fn questions() -> &'static [(&'static str, &'static str)] {
    &QUESTIONS
}

pub fn history_form(view: Option<&vial_app::HistoryView>, updated_by: String) -> HistoryForm {
    let Some(view) = view else {
        return HistoryForm {
            recorded: None,
            allergies: String::new(),
            medications: String::new(),
            questions: QUESTIONS
                .iter()
                .map(|(name, label)| Question {
                    name,
                    label,
                    answer: None,
                })
                .collect(),
            notes: String::new(),
        };
    };
    let h = &view.history;
    let answers = [
        h.pregnant_or_breastfeeding,
        h.autoimmune_disease,
        h.keloid_history,
        h.prior_filler_complication,
        h.prior_neurotoxin_complication,
        h.anticoagulants,
        h.active_infection_at_site,
    ];
    let lines = |list: &[vial_clinical::FreeText]| {
        list.iter()
            .map(|t| t.as_str().to_owned())
            .collect::<Vec<_>>()
            .join("\n")
    };
    HistoryForm {
        recorded: Some(format!("{} by {updated_by}", stamp(view.updated_at_ms))),
        allergies: lines(&h.allergies),
        medications: lines(&h.medications),
        questions: QUESTIONS
            .iter()
            .zip(answers)
            .map(|((name, label), answer)| Question {
                name,
                label,
                answer: Some(answer),
            })
            .collect(),
        notes: h
            .notes
            .as_ref()
            .map(|n| n.as_str().to_owned())
            .unwrap_or_default(),
    }
}

pub fn warning_rows(
    history: Option<&MedicalHistory>,
    kind: TreatmentKind,
    product: Option<&vial_clinical::Product>,
) -> Vec<WarningRow> {
    history
        .map(|h| {
            warnings(h, kind, product)
                .into_iter()
                .map(|w| WarningRow {
                    severity: w.severity.as_str(),
                    message: w.message,
                })
                .collect()
        })
        .unwrap_or_default()
}

pub fn treatment_row(
    t: &TreatmentView,
    author: String,
    product_name: &dyn Fn(&str) -> String,
    charted: Option<&str>,
) -> TreatmentRow {
    let mut row = TreatmentRow {
        id: t.id.to_string(),
        date: t.treatment.date.clone(),
        kind: String::new(),
        product: String::new(),
        lot: String::new(),
        expiry: String::new(),
        detail: String::new(),
        total: String::new(),
        lines: Vec::new(),
        markers: Vec::new(),
        author,
        just_charted: charted == Some(t.id.as_str()),
    };
    match &t.treatment.body {
        TreatmentBodyInput::Neurotoxin(n) => {
            row.kind = "Neurotoxin".into();
            row.product = product_name(&n.product);
            row.lot.clone_from(&n.lot);
            row.expiry.clone_from(&n.expiry);
            row.detail = format!("{} mL saline per vial", number(n.dilution_ml));
            row.total = format!("{} units", number(t.total_units.unwrap_or_default()));
            for (i, p) in n.points.iter().enumerate() {
                row.lines
                    .push((site_label(&p.site), format!("{} units", number(p.units))));
                row.markers.push(Marker {
                    n: i + 1,
                    cx: format!("{:.1}", p.x * FACE_WIDTH),
                    cy: format!("{:.1}", p.y * FACE_HEIGHT),
                    label: format!("{}: {} units", site_label(&p.site), number(p.units)),
                });
            }
        }
        TreatmentBodyInput::Filler(f) => {
            row.kind = "Dermal filler".into();
            row.product = product_name(&f.product);
            row.lot.clone_from(&f.lot);
            row.expiry.clone_from(&f.expiry);
            row.detail = format!("{} mL syringe", number(f.syringe_volume_ml));
            row.total = format!("{} mL", number(t.total_volume_ml.unwrap_or_default()));
            for a in &f.areas {
                row.lines.push((
                    area_label(&a.area),
                    format!(
                        "{} mL · {} · {}",
                        number(a.volume_ml),
                        code_label(&a.depth),
                        a.device
                    ),
                ));
            }
        }
        TreatmentBodyInput::Procedure(p) => {
            row.kind = code_label(&p.kind);
            for param in &p.parameters {
                row.lines
                    .push((code_label(&param.key), param.value.as_str().to_owned()));
            }
        }
    }
    row
}

pub async fn note_row(app: &App, names: &mut Names, d: &DocumentView) -> NoteRow {
    let soap: SoapInput = serde_json::from_value(d.body.clone()).unwrap_or_default();
    let body = SoapKeep {
        subjective: soap.subjective.as_str().to_owned(),
        objective: soap.objective.as_str().to_owned(),
        assessment: soap.assessment.as_str().to_owned(),
        plan: soap.plan.as_str().to_owned(),
    };
    let sections = [
        ("Subjective", &body.subjective),
        ("Objective", &body.objective),
        ("Assessment", &body.assessment),
        ("Plan", &body.plan),
    ]
    .into_iter()
    .filter(|(_, text)| !text.trim().is_empty())
    .map(|(label, text)| (label, text.clone()))
    .collect();
    let signed = match (&d.signed_by, d.signed_at_ms) {
        (Some(by), Some(at)) => format!("{} by {}", stamp(at), names.of(app, by).await),
        _ => String::new(),
    };
    let mut amendments = Vec::with_capacity(d.amendments.len());
    for a in &d.amendments {
        amendments.push(AmendmentRow {
            when: a.signed_at_ms.map(stamp).unwrap_or_default(),
            by: names.of(app, &a.author_id).await,
            text: a.text.clone(),
        });
    }
    NoteRow {
        id: d.id.to_string(),
        draft: d.state == SignState::Draft,
        version: d.version,
        created: stamp(d.created_at_ms),
        author: names.of(app, &d.author_id).await,
        signed,
        sections,
        body,
        amendments,
    }
}

use super::seed::SEED;
use super::*;

fn toxin() -> ProductInput {
    ProductInput {
        code: "botox_100".into(),
        name: "Botox 100 U".into(),
        kind: "neurotoxin".into(),
        unit: "units".into(),
        vial_units: Some(100),
        dilutions_ml: vec![2.5],
        syringe_volumes_ml: vec![],
        contains_lidocaine: false,
    }
}

fn filler() -> ProductInput {
    ProductInput {
        code: "restylane_l".into(),
        name: "Restylane-L".into(),
        kind: "filler".into(),
        unit: "mL".into(),
        vial_units: None,
        dilutions_ml: vec![],
        syringe_volumes_ml: vec![0.5, 1.0],
        contains_lidocaine: true,
    }
}

fn refused(input: ProductInput) -> String {
    validate_product(&input).unwrap_err().to_string()
}

#[test]
fn accepts_valid_entries() {
    let botox = validate_product(&toxin()).unwrap();
    assert_eq!(botox.code().as_str(), "botox_100");
    assert_eq!(botox.kind(), ProductKind::Neurotoxin);
    assert_eq!(botox.unit(), DoseUnit::Units);
    assert_eq!(botox.vial_units(), Some(100));
    assert_eq!(botox.dilutions(), &[Millilitres::new(2.5).unwrap()]);
    assert_eq!(botox.to_input(), toxin());
    let rest = validate_product(&filler()).unwrap();
    assert_eq!(rest.unit(), DoseUnit::Millilitres);
    assert!(rest.contains_lidocaine());
    assert_eq!(rest.syringe_volumes().len(), 2);
    let other = ProductInput {
        code: "hyaluronidase".into(),
        kind: "other".into(),
        unit: "units".into(),
        vial_units: None,
        dilutions_ml: vec![],
        ..toxin()
    };
    assert_eq!(validate_product(&other).unwrap().kind(), ProductKind::Other);
}

#[test]
fn refuses_each_rule() {
    assert_eq!(
        refused(ProductInput {
            code: "Botox".into(),
            ..toxin()
        }),
        "code: must be 1 to 40 lowercase letters, digits or '_', starting with a letter"
    );
    assert_eq!(
        refused(ProductInput {
            code: "1abc".into(),
            ..toxin()
        }),
        "code: must be 1 to 40 lowercase letters, digits or '_', starting with a letter"
    );
    assert_eq!(
        refused(ProductInput {
            name: "  ".into(),
            ..toxin()
        }),
        "name: must be 1 to 100 characters on one line"
    );
    assert_eq!(
        refused(ProductInput {
            name: "x".repeat(101),
            ..toxin()
        }),
        "name: must be 1 to 100 characters on one line"
    );
    assert_eq!(
        refused(ProductInput {
            kind: "toxin".into(),
            ..toxin()
        }),
        "kind: unknown product kind \"toxin\""
    );
    assert_eq!(
        refused(ProductInput {
            unit: "ml".into(),
            ..filler()
        }),
        "unit: unknown unit \"ml\""
    );
    assert_eq!(
        refused(ProductInput {
            unit: "mL".into(),
            ..toxin()
        }),
        "unit: must be \"units\" for a neurotoxin"
    );
    assert_eq!(
        refused(ProductInput {
            unit: "units".into(),
            ..filler()
        }),
        "unit: must be \"mL\" for a filler"
    );
    assert_eq!(
        refused(ProductInput {
            vial_units: None,
            ..toxin()
        }),
        "vial_units: is required for a neurotoxin"
    );
    assert_eq!(
        refused(ProductInput {
            vial_units: Some(0),
            ..toxin()
        }),
        "vial_units: must be between 1 and 1000"
    );
    assert_eq!(
        refused(ProductInput {
            vial_units: Some(100),
            ..filler()
        }),
        "vial_units: is only for neurotoxins"
    );
    assert_eq!(
        refused(ProductInput {
            dilutions_ml: vec![2.5, 0.4],
            ..toxin()
        }),
        "dilutions_ml[1]: must be between 0.5 and 10"
    );
    assert_eq!(
        refused(ProductInput {
            dilutions_ml: vec![2.0; 9],
            ..toxin()
        }),
        "dilutions_ml: must contain at most 8 values"
    );
    assert_eq!(
        refused(ProductInput {
            dilutions_ml: vec![2.0],
            ..filler()
        }),
        "dilutions_ml: is only for neurotoxins"
    );
    assert_eq!(
        refused(ProductInput {
            syringe_volumes_ml: vec![],
            ..filler()
        }),
        "syringe_volumes_ml: must contain at least 1 value"
    );
    assert_eq!(
        refused(ProductInput {
            syringe_volumes_ml: vec![1.0, 5.5],
            ..filler()
        }),
        "syringe_volumes_ml[1]: must be at most 5"
    );
    assert_eq!(
        refused(ProductInput {
            syringe_volumes_ml: vec![1.0],
            ..toxin()
        }),
        "syringe_volumes_ml: is only for fillers"
    );
}

#[test]
fn catalogue_codes_are_unique_and_lookups_check_kind() {
    let catalogue = validate_catalogue(&[toxin(), filler()]).unwrap();
    assert_eq!(catalogue.products().len(), 2);
    assert_eq!(
        validate_catalogue(&[toxin(), filler(), toxin()])
            .unwrap_err()
            .to_string(),
        "products[2].code: duplicate product code \"botox_100\""
    );
    assert_eq!(
        validate_catalogue(&[
            toxin(),
            ProductInput {
                unit: "mL".into(),
                ..toxin()
            }
        ])
        .unwrap_err()
        .field(),
        Some("products[1].unit")
    );
    assert!(catalogue.find("botox_100").is_some());
    assert_eq!(
        catalogue.find_at("product", "foo").unwrap_err().to_string(),
        "product: unknown product code \"foo\""
    );
    assert_eq!(
        catalogue
            .find_kind_at("product", "restylane_l", ProductKind::Neurotoxin)
            .unwrap_err()
            .to_string(),
        "product: must be a neurotoxin (this product is a filler)"
    );
    assert_eq!(
        catalogue
            .find_kind_at("product", "restylane_l", ProductKind::Filler)
            .unwrap()
            .name(),
        "Restylane-L"
    );
}

#[test]
fn default_catalogue_passes_its_own_validation() {
    let seed = default_catalogue();
    let revalidated = validate_catalogue(&seed.to_inputs()).unwrap();
    assert_eq!(revalidated, seed);
    for code in [
        "botox_100",
        "dysport_300",
        "xeomin_100",
        "daxxify_100",
        "jeuveau_100",
        "juvederm_ultra_xc",
        "juvederm_voluma_xc",
        "juvederm_volbella_xc",
        "restylane_l",
        "restylane_lyft",
        "rha_2",
        "rha_3",
        "rha_4",
        "radiesse",
    ] {
        assert!(seed.find(code).is_some(), "{code}");
    }
    assert_eq!(seed.find("dysport_300").unwrap().vial_units(), Some(300));
    assert_eq!(seed.find("botox_100").unwrap().dilutions().len(), 4);
    assert_eq!(seed.products().len(), SEED.len());
    for (product, (.., volumes, _)) in seed.products().iter().zip(SEED) {
        let listed = product.dilutions().len() + product.syringe_volumes().len();
        assert_eq!(listed, volumes.len(), "{}", product.code().as_str());
    }
    assert!(
        seed.find("juvederm_voluma_xc")
            .unwrap()
            .contains_lidocaine()
    );
    assert!(!seed.find("radiesse").unwrap().contains_lidocaine());
}

#[test]
fn serde_input() {
    let json = r#"{"code":"restylane_l","name":"Restylane-L","kind":"filler","unit":"mL",
        "syringe_volumes_ml":[0.5,1.0],"contains_lidocaine":true}"#;
    let input: ProductInput = serde_json::from_str(json).unwrap();
    assert_eq!(input, filler());
    let back: ProductInput = serde_json::from_str(&serde_json::to_string(&input).unwrap()).unwrap();
    assert_eq!(back, input);
    let unknown = json.replace("\"kind\"", "\"price\":1,\"kind\"");
    assert!(
        serde_json::from_str::<ProductInput>(&unknown)
            .unwrap_err()
            .to_string()
            .contains("unknown field `price`")
    );
    let wrong_type = json.replace(
        "\"contains_lidocaine\":true",
        "\"contains_lidocaine\":\"yes\"",
    );
    assert!(serde_json::from_str::<ProductInput>(&wrong_type).is_err());
}

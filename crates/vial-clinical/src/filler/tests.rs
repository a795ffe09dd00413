use time::macros::date;

use super::*;
use crate::catalogue::default_catalogue;

fn area(code: &str, volume_ml: f64) -> FillerAreaInput {
    FillerAreaInput {
        area: code.into(),
        volume_ml,
        depth: "submuscular".into(),
        device: "needle".into(),
        x: None,
        y: None,
    }
}

fn input() -> FillerInput {
    FillerInput {
        product: "restylane_l".into(),
        syringe_volume_ml: 1.0,
        lot: "16789-1".into(),
        expiry: "2026-12-31".into(),
        areas: vec![
            area("lips_upper", 0.4),
            FillerAreaInput {
                x: Some(0.52),
                y: Some(0.73),
                ..area("lips_lower", 0.35)
            },
            area("lip_border", 0.3),
        ],
    }
}

fn check(input: &FillerInput) -> Result<Filler, ClinicalError> {
    validate_filler(input, &default_catalogue(), date!(2026 - 03 - 02))
}

fn refused(input: FillerInput) -> String {
    check(&input).unwrap_err().to_string()
}

#[test]
fn accepts_and_derives_totals() {
    let filler = check(&input()).unwrap();
    assert_eq!(filler.product().as_str(), "restylane_l");
    assert_eq!(filler.syringe_volume(), Millilitres::whole(1));
    assert_eq!(filler.lot().as_str(), "16789-1");
    assert_eq!(filler.total_volume().to_string(), "1.05");
    assert_eq!(filler.syringes_opened(), 2);
    let lower = filler.areas()[1];
    assert_eq!(lower.area(), FillerArea::LipsLower);
    assert_eq!(lower.depth(), Depth::Submuscular);
    assert_eq!(lower.device(), Device::Needle);
    assert_eq!(lower.position().map(|p| p.x()), Some(0.52));
    assert_eq!(filler.areas()[0].position(), None);
    assert_eq!(
        filler.areas()[0].position_or_default(),
        FillerArea::LipsUpper.default_position()
    );
    assert_eq!(filler.to_input(), input());
}

#[test]
fn limits_are_inclusive() {
    let mut at_limits = input();
    at_limits.syringe_volume_ml = 5.0;
    at_limits.areas = vec![area("cheek_l", 5.0); 4];
    let filler = check(&at_limits).unwrap();
    assert_eq!(filler.total_volume(), MAX_TOTAL_VOLUME);
    assert_eq!(filler.syringes_opened(), 4);
    at_limits.areas = vec![area("chin", 0.01); MAX_AREAS];
    assert_eq!(check(&at_limits).unwrap().syringes_opened(), 1);
}

#[test]
fn refuses_product_syringe_and_lot() {
    assert_eq!(
        refused(FillerInput {
            product: "botox_100".into(),
            ..input()
        }),
        "product: must be a filler (this product is a neurotoxin)"
    );
    assert_eq!(
        refused(FillerInput {
            product: "juvederm".into(),
            ..input()
        }),
        "product: unknown product code \"juvederm\""
    );
    assert_eq!(
        refused(FillerInput {
            syringe_volume_ml: 0.0,
            ..input()
        }),
        "syringe_volume_ml: must be greater than 0"
    );
    assert_eq!(
        refused(FillerInput {
            syringe_volume_ml: 5.01,
            ..input()
        }),
        "syringe_volume_ml: must be at most 5"
    );
    assert_eq!(
        refused(FillerInput {
            lot: "".into(),
            ..input()
        }),
        "lot: must be 1 to 40 characters"
    );
    assert_eq!(
        refused(FillerInput {
            expiry: "2026-03-01".into(),
            ..input()
        }),
        "lot: expired on 2026-03-01 (treatment date 2026-03-02)"
    );
}

#[test]
fn refuses_area_count_and_total() {
    assert_eq!(
        refused(FillerInput {
            areas: vec![],
            ..input()
        }),
        "areas: must contain at least 1 area"
    );
    assert_eq!(
        refused(FillerInput {
            areas: vec![area("chin", 0.1); 31],
            ..input()
        }),
        "areas: must contain at most 30 areas"
    );
    let mut over = vec![area("cheek_l", 5.0); 4];
    over.push(area("chin", 0.01));
    assert_eq!(
        refused(FillerInput {
            areas: over,
            ..input()
        }),
        "areas: total volume must be at most 20 mL"
    );
}

#[test]
fn refuses_areas_with_their_index() {
    let with_area = |i: usize, a: FillerAreaInput| {
        let mut input = input();
        input.areas[i] = a;
        refused(input)
    };
    assert_eq!(
        with_area(1, area("lips_lower", 0.0)),
        "areas[1].volume_ml: must be greater than 0"
    );
    assert_eq!(
        with_area(2, area("chin", 5.5)),
        "areas[2].volume_ml: must be at most 5"
    );
    assert_eq!(
        with_area(0, area("lips", 1.0)),
        "areas[0].area: unknown filler area \"lips\""
    );
    assert_eq!(
        with_area(
            0,
            FillerAreaInput {
                depth: "deep".into(),
                ..area("chin", 1.0)
            }
        ),
        "areas[0].depth: unknown depth \"deep\""
    );
    assert_eq!(
        with_area(
            0,
            FillerAreaInput {
                device: "syringe".into(),
                ..area("chin", 1.0)
            }
        ),
        "areas[0].device: unknown device \"syringe\""
    );
    assert_eq!(
        with_area(
            2,
            FillerAreaInput {
                x: Some(0.5),
                ..area("chin", 1.0)
            }
        ),
        "areas[2].y: is required when x is given"
    );
    assert_eq!(
        with_area(
            2,
            FillerAreaInput {
                y: Some(0.5),
                ..area("chin", 1.0)
            }
        ),
        "areas[2].x: is required when y is given"
    );
    assert_eq!(
        with_area(
            1,
            FillerAreaInput {
                x: Some(0.5),
                y: Some(1.2),
                ..area("chin", 1.0)
            }
        ),
        "areas[1].y: must be between 0 and 1"
    );
}

#[test]
fn vocabularies() {
    assert_eq!(
        Depth::ALL.map(Depth::as_str),
        [
            "intradermal",
            "subdermal",
            "subcutaneous",
            "supraperiosteal",
            "submuscular"
        ]
    );
    assert_eq!(Device::ALL.map(Device::as_str), ["needle", "cannula"]);
}

#[test]
fn serde_input() {
    let json = r#"{"product":"restylane_l","syringe_volume_ml":1,"lot":"16789-1",
        "expiry":"2026-12-31","areas":[{"area":"chin","volume_ml":0.5,
        "depth":"supraperiosteal","device":"cannula"}]}"#;
    let parsed: FillerInput = serde_json::from_str(json).unwrap();
    assert_eq!(parsed.areas[0].x, None);
    assert_eq!(check(&parsed).unwrap().total_volume().hundredths(), 50);
    let out = serde_json::to_string(&parsed).unwrap();
    assert!(
        !out.contains("\"x\""),
        "absent coordinates are not written: {out}"
    );
    assert_eq!(serde_json::from_str::<FillerInput>(&out).unwrap(), parsed);
    let total = json.replace("\"areas\"", "\"total_ml\":1,\"areas\"");
    assert!(
        serde_json::from_str::<FillerInput>(&total)
            .unwrap_err()
            .to_string()
            .contains("unknown field `total_ml`")
    );
    let wrong_type = json.replace("\"volume_ml\":0.5", "\"volume_ml\":[0.5]");
    assert!(serde_json::from_str::<FillerInput>(&wrong_type).is_err());
}

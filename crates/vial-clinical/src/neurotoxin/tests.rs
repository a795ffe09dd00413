use time::macros::date;

use super::*;
use crate::catalogue::default_catalogue;

fn point(site: &str, units: f64) -> InjectionPointInput {
    InjectionPointInput {
        site: site.into(),
        units,
        x: 0.5,
        y: 0.33,
    }
}

fn input() -> NeurotoxinInput {
    NeurotoxinInput {
        product: "botox_100".into(),
        dilution_ml: 2.5,
        lot: "c3709c3".into(),
        expiry: "2026-06-30".into(),
        points: vec![
            point("glabella_procerus", 4.0),
            point("corrugator_l", 4.0),
            point("corrugator_r", 4.0),
            point("lateral_canthus_l", 2.5),
        ],
    }
}

fn check(input: &NeurotoxinInput) -> Result<Neurotoxin, ClinicalError> {
    validate_neurotoxin(input, &default_catalogue(), date!(2026 - 03 - 02))
}

fn refused(input: NeurotoxinInput) -> String {
    check(&input).unwrap_err().to_string()
}

#[test]
fn accepts_and_derives_the_total() {
    let toxin = check(&input()).unwrap();
    assert_eq!(toxin.product().as_str(), "botox_100");
    assert_eq!(toxin.dilution().hundredths(), 250);
    assert_eq!(toxin.lot().as_str(), "C3709C3");
    assert_eq!(toxin.expiry().date(), date!(2026 - 06 - 30));
    assert_eq!(toxin.points().len(), 4);
    assert_eq!(toxin.points()[3].site(), InjectionSite::LateralCanthusL);
    assert_eq!(toxin.points()[3].units().hundredths(), 250);
    assert_eq!(toxin.points()[0].position().y(), 0.33);
    assert_eq!(toxin.total_units().to_string(), "14.5");
    assert_eq!(toxin.total_units().hundredths(), 1450);
    let back = toxin.to_input();
    assert_eq!(
        back,
        NeurotoxinInput {
            lot: "C3709C3".into(),
            ..input()
        }
    );
    assert_eq!(check(&back).unwrap(), toxin);
}

#[test]
fn limits_are_inclusive() {
    let mut at_limits = input();
    at_limits.dilution_ml = 10.0;
    at_limits.expiry = "2026-03-02".into();
    at_limits.points = vec![point("masseter_l", 100.0); 4];
    at_limits.points[0].x = 0.0;
    at_limits.points[0].y = 1.0;
    assert_eq!(check(&at_limits).unwrap().total_units(), MAX_TOTAL_UNITS);
    at_limits.dilution_ml = 0.5;
    at_limits.points = vec![point("frontalis_c", 0.01); MAX_POINTS];
    assert_eq!(check(&at_limits).unwrap().total_units().hundredths(), 60);
}

#[test]
fn refuses_product_unknown_or_of_the_wrong_kind() {
    assert_eq!(
        refused(NeurotoxinInput {
            product: "botox".into(),
            ..input()
        }),
        "product: unknown product code \"botox\""
    );
    assert_eq!(
        refused(NeurotoxinInput {
            product: "juvederm_voluma_xc".into(),
            ..input()
        }),
        "product: must be a neurotoxin (this product is a filler)"
    );
}

#[test]
fn refuses_dilution_out_of_range() {
    for dilution_ml in [0.0, -1.0, 0.49, 10.01, 100.0] {
        assert_eq!(
            refused(NeurotoxinInput {
                dilution_ml,
                ..input()
            }),
            "dilution_ml: must be between 0.5 and 10",
            "{dilution_ml}"
        );
    }
    assert_eq!(
        refused(NeurotoxinInput {
            dilution_ml: 2.505,
            ..input()
        }),
        "dilution_ml: must have at most 2 decimal places"
    );
}

#[test]
fn refuses_bad_or_expired_lots() {
    assert_eq!(
        refused(NeurotoxinInput {
            lot: "C37 09".into(),
            ..input()
        }),
        "lot: may contain only letters, digits, '-', '.' and '_'"
    );
    assert_eq!(
        refused(NeurotoxinInput {
            expiry: "2026-13-01".into(),
            ..input()
        }),
        "expiry: is not a valid calendar date"
    );
    assert_eq!(
        refused(NeurotoxinInput {
            expiry: "2026-01-01".into(),
            ..input()
        }),
        "lot: expired on 2026-01-01 (treatment date 2026-03-02)"
    );
}

#[test]
fn refuses_point_count() {
    assert_eq!(
        refused(NeurotoxinInput {
            points: vec![],
            ..input()
        }),
        "points: must contain at least 1 point"
    );
    assert_eq!(
        refused(NeurotoxinInput {
            points: vec![point("mentalis", 1.0); 61],
            ..input()
        }),
        "points: must contain at most 60 points"
    );
}

#[test]
fn refuses_points_with_their_index() {
    let with_point = |i: usize, p: InjectionPointInput| {
        let mut input = input();
        input.points[i] = p;
        refused(input)
    };
    assert_eq!(
        with_point(2, point("corrugator_r", 0.0)),
        "points[2].units: must be greater than 0"
    );
    assert_eq!(
        with_point(1, point("corrugator_l", -4.0)),
        "points[1].units: must be greater than 0"
    );
    assert_eq!(
        with_point(3, point("dao_l", 100.01)),
        "points[3].units: must be at most 100"
    );
    assert_eq!(
        with_point(0, point("foo", 4.0)),
        "points[0].site: unknown site code \"foo\""
    );
    assert_eq!(
        with_point(
            0,
            InjectionPointInput {
                x: 1.5,
                ..point("mentalis", 2.0)
            }
        ),
        "points[0].x: must be between 0 and 1"
    );
    assert_eq!(
        with_point(
            1,
            InjectionPointInput {
                y: -0.1,
                ..point("mentalis", 2.0)
            }
        ),
        "points[1].y: must be between 0 and 1"
    );
}

#[test]
fn refuses_total_above_400() {
    let mut over = input();
    over.points = vec![point("masseter_l", 100.0); 4];
    over.points.push(point("masseter_r", 0.5));
    assert_eq!(refused(over), "points: total units must be at most 400");
}

#[test]
fn serde_input() {
    let json = r#"{"product":"botox_100","dilution_ml":2.5,"lot":"c3709c3","expiry":"2026-06-30",
        "points":[{"site":"glabella_procerus","units":4,"x":0.5,"y":0.33}]}"#;
    let parsed: NeurotoxinInput = serde_json::from_str(json).unwrap();
    assert_eq!(parsed.points, vec![point("glabella_procerus", 4.0)]);
    assert_eq!(check(&parsed).unwrap().total_units(), Units::whole(4));
    let total = json.replace("\"points\"", "\"total_units\":4,\"points\"");
    let error = serde_json::from_str::<NeurotoxinInput>(&total).unwrap_err();
    assert!(
        error.to_string().contains("unknown field `total_units`"),
        "{error}"
    );
    let extra = json.replace("\"x\":0.5", "\"x\":0.5,\"z\":1");
    assert!(serde_json::from_str::<NeurotoxinInput>(&extra).is_err());
    let wrong_type = json.replace("\"units\":4", "\"units\":\"4\"");
    assert!(serde_json::from_str::<NeurotoxinInput>(&wrong_type).is_err());
    let missing = json.replace("\"dilution_ml\":2.5,", "");
    assert!(serde_json::from_str::<NeurotoxinInput>(&missing).is_err());
}

use super::*;

#[test]
fn transitions_table_is_exhaustive() {
    use Status::*;
    let allowed = [
        (Requested, Booked),
        (Requested, Cancelled),
        (Booked, CheckedIn),
        (Booked, Cancelled),
        (Booked, NoShow),
        (CheckedIn, Completed),
        (CheckedIn, Cancelled),
    ];
    let mut count = 0;
    for from in Status::ALL {
        for to in Status::ALL {
            let result = transition(from, to);
            if allowed.contains(&(from, to)) {
                assert_eq!(result, Ok(to), "{from} -> {to}");
                count += 1;
            } else {
                assert_eq!(
                    result,
                    Err(ClinicalError::Conflict(Conflict::StatusTransition {
                        from,
                        to
                    })),
                    "{from} -> {to}"
                );
            }
        }
    }
    assert_eq!(count, 7);
    assert_eq!(
        transition(Completed, Booked).unwrap_err().to_string(),
        "cannot change an appointment from completed to booked"
    );
    assert_eq!(
        Status::ALL.map(Status::as_str),
        [
            "requested",
            "booked",
            "checked_in",
            "completed",
            "cancelled",
            "no_show"
        ]
    );
}

fn range(start: i64, end: i64) -> TimeRange {
    TimeRange::new(start, end).unwrap()
}

#[test]
fn overlap_edge_cases() {
    let a = range(100, 200);
    assert!(!overlaps(a, range(200, 300)), "touching after");
    assert!(!overlaps(a, range(0, 100)), "touching before");
    assert!(
        overlaps(a, range(199, 300)),
        "one millisecond shared at the end"
    );
    assert!(
        overlaps(a, range(0, 101)),
        "one millisecond shared at the start"
    );
    assert!(overlaps(a, range(120, 130)), "contained");
    assert!(overlaps(a, range(0, 300)), "containing");
    assert!(overlaps(a, a), "identical");
    assert!(!overlaps(a, range(300, 400)), "disjoint");
    assert!(overlaps(range(i64::MIN, i64::MAX), a));
}

proptest::proptest! {
    #[test]
    fn overlap_matches_shared_milliseconds(
        s1 in -50i64..50, l1 in 1i64..30, s2 in -50i64..50, l2 in 1i64..30
    ) {
        let (a, b) = (range(s1, s1 + l1), range(s2, s2 + l2));
        let shared = (s1..s1 + l1).any(|t| (s2..s2 + l2).contains(&t));
        proptest::prop_assert_eq!(overlaps(a, b), shared);
        proptest::prop_assert_eq!(overlaps(a, b), overlaps(b, a));
    }
}

#[test]
fn time_ranges_are_ordered() {
    assert_eq!(
        TimeRange::new(5, 5).unwrap_err().to_string(),
        "end_ms: must be after start_ms"
    );
    assert!(TimeRange::new(6, 5).is_err());
    assert_eq!(range(i64::MIN, i64::MAX).duration_ms(), i64::MAX);
}

const START: i64 = 1_772_442_000_000; // 2026-03-02 09:00 UTC
const MIN: i64 = 60_000;

fn input(duration_ms: i64) -> AppointmentInput {
    AppointmentInput {
        start_ms: START,
        end_ms: START + duration_ms,
        service: "neurotoxin_consult".into(),
        location: LocationInput::Clinic {
            clinic_id: "main-st_1".into(),
        },
    }
}

fn refused(input: AppointmentInput) -> String {
    validate_appointment(&input).unwrap_err().to_string()
}

#[test]
fn accepts_appointments() {
    let appt = validate_appointment(&input(30 * MIN)).unwrap();
    assert_eq!(appt.time().duration_ms(), 30 * MIN);
    assert_eq!(appt.service(), Service::NeurotoxinConsult);
    assert_eq!(
        appt.location(),
        &Location::Clinic(ClinicId::parse("main-st_1").unwrap())
    );
    assert_eq!(appt.to_input(), input(30 * MIN));
    assert!(validate_appointment(&input(MIN_DURATION_MS)).is_ok());
    assert!(validate_appointment(&input(MAX_DURATION_MS)).is_ok());
    let mobile = AppointmentInput {
        location: LocationInput::Mobile {
            address: " 12 Elm St\nApt 4 ".into(),
        },
        ..input(60 * MIN)
    };
    let appt = validate_appointment(&mobile).unwrap();
    let Location::Mobile(address) = appt.location() else {
        panic!("not mobile");
    };
    assert_eq!(address.as_str(), "12 Elm St\nApt 4");
}

#[test]
fn refuses_each_rule() {
    assert_eq!(refused(input(0)), "end_ms: must be after start_ms");
    assert_eq!(refused(input(-MIN)), "end_ms: must be after start_ms");
    assert_eq!(
        refused(input(MIN_DURATION_MS - 1)),
        "end_ms: must be at least 5 minutes after start_ms"
    );
    assert_eq!(
        refused(input(MAX_DURATION_MS + 1)),
        "end_ms: must be at most 12 hours after start_ms"
    );
    assert_eq!(
        refused(AppointmentInput {
            start_ms: i64::MIN,
            end_ms: i64::MAX,
            ..input(0)
        }),
        "end_ms: must be at most 12 hours after start_ms"
    );
    assert_eq!(
        refused(AppointmentInput {
            service: "botox".into(),
            ..input(30 * MIN)
        }),
        "service: unknown service \"botox\""
    );
    assert_eq!(
        refused(AppointmentInput {
            location: LocationInput::Clinic {
                clinic_id: "a b".into()
            },
            ..input(30 * MIN)
        }),
        "location.clinic_id: must be 1 to 64 letters, digits, '-' or '_'"
    );
    assert_eq!(
        refused(AppointmentInput {
            location: LocationInput::Mobile { address: "".into() },
            ..input(30 * MIN)
        }),
        "location.address: must not be empty"
    );
    assert_eq!(
        refused(AppointmentInput {
            location: LocationInput::Mobile {
                address: "x".repeat(501).into()
            },
            ..input(30 * MIN)
        }),
        "location.address: must be at most 500 characters"
    );
}

#[test]
fn serde_input() {
    let json = r#"{"start_ms":1772442000000,"end_ms":1772443800000,"service":"filler_treatment","location":{"type":"mobile","address":"12 Elm St"}}"#;
    let parsed: AppointmentInput = serde_json::from_str(json).unwrap();
    assert_eq!(serde_json::to_string(&parsed).unwrap(), json);
    assert_eq!(
        validate_appointment(&parsed).unwrap().service(),
        Service::FillerTreatment
    );
    let err = |json: &str| serde_json::from_str::<AppointmentInput>(json).is_err();
    assert!(err(
        &json.replace("\"service\"", "\"status\":\"booked\",\"service\"")
    ));
    assert!(err(
        &json.replace("\"address\"", "\"clinic_id\":\"x\",\"address\"")
    ));
    assert!(err(&json.replace("mobile", "home")));
    assert!(err(&json.replace("1772442000000", "\"1772442000000\"")));
}

#[test]
fn patients_book_themselves_within_limits() {
    const HOUR: i64 = 60 * 60 * 1000;
    let now = 1_800_000_000_000;
    let at = |start: i64, hours: i64| TimeRange::new(start, start + hours * HOUR).unwrap();
    // `now` is Friday 2027-01-15 08:00 UTC; the practice keeps 09:00-17:00 on weekdays.
    let (zone, hours) = (PracticeZone::utc(), OpeningHours::default());
    let check = |time, open| check_self_booking(time, now, open, &zone, &hours);
    assert!(check(at(now + HOUR, 1), 2).is_ok());
    let refused = [
        (at(now - HOUR, 1), 0, "start_ms: must be in the future"),
        (
            at(now + 400 * 24 * HOUR, 1),
            0,
            "start_ms: must be within a year",
        ),
        (
            at(now + HOUR, 5),
            0,
            "end_ms: an appointment you book yourself",
        ),
        (
            at(now + HOUR, 1),
            3,
            "start_ms: you already have 3 open requests",
        ),
        (
            at(now + 24 * HOUR + HOUR, 1),
            0,
            "start_ms: must lie within one day's opening hours",
        ),
        (at(now, 1), 0, "start_ms: must be in the future"),
        (
            at(now + 8 * HOUR, 2),
            0,
            "start_ms: must lie within one day's opening hours",
        ),
    ];
    for (time, upcoming, message) in refused {
        let error = check(time, upcoming).unwrap_err().to_string();
        assert!(error.starts_with(message), "{error}");
    }
}

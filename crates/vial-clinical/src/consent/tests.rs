use super::*;

fn forms() -> Vec<ConsentForm> {
    [
        ("treatment", "2026-01"),
        ("photography", "v2"),
        ("marketing", "v1"),
    ]
    .into_iter()
    .map(|(kind, version)| {
        validate_consent_form(&ConsentFormInput {
            kind: kind.into(),
            version: version.into(),
            text: "I consent to …\n".into(),
        })
        .unwrap()
    })
    .collect()
}

fn typed(kind: &str, version: &str, name: &str) -> ConsentInput {
    ConsentInput {
        kind: kind.into(),
        form_version: version.into(),
        signature: SignatureInput::Typed { name: name.into() },
    }
}

fn drawn(strokes: Vec<Vec<[f32; 2]>>) -> ConsentInput {
    ConsentInput {
        signature: SignatureInput::Drawn { strokes },
        ..typed("treatment", "2026-01", "")
    }
}

fn refused(input: ConsentInput) -> String {
    validate_consent(&input, &forms()).unwrap_err().to_string()
}

#[test]
fn forms_are_checked_and_kept_verbatim() {
    let form = &forms()[0];
    assert_eq!(form.kind(), ConsentKind::Treatment);
    assert_eq!(form.version().as_str(), "2026-01");
    assert_eq!(form.text(), "I consent to …\n");
    let bad = |kind: &str, version: &str, text: &str| {
        validate_consent_form(&ConsentFormInput {
            kind: kind.into(),
            version: version.into(),
            text: text.into(),
        })
        .unwrap_err()
        .to_string()
    };
    assert_eq!(
        bad("photos", "v1", "t"),
        "kind: unknown consent kind \"photos\""
    );
    assert_eq!(
        bad("treatment", "v 1", "t"),
        "version: must be 1 to 40 letters, digits, '.', '-' or '_'"
    );
    assert_eq!(bad("treatment", "v1", " "), "text: must not be empty");
    assert_eq!(
        bad("treatment", "v1", &"t".repeat(MAX_FORM_CHARS + 1)),
        "text: must be at most 100000 characters"
    );
}

#[test]
fn typed_signatures() {
    let consent = validate_consent(&typed("treatment", "2026-01", " Jane Doe "), &forms()).unwrap();
    assert_eq!(consent.kind(), ConsentKind::Treatment);
    assert_eq!(consent.form_version().as_str(), "2026-01");
    let Signature::Typed(name) = consent.signature() else {
        panic!("not typed");
    };
    assert_eq!(name.as_str(), "Jane Doe");
    assert_eq!(
        refused(typed("treatment", "2026-01", "")),
        "signature.name: must not be empty"
    );
    assert_eq!(
        refused(typed("treatment", "2026-01", &"n".repeat(201))),
        "signature.name: must be at most 200 characters"
    );
    assert_eq!(
        refused(typed("treatment", "2026-01", "Jane\nDoe")),
        "signature.name: must be a single line without control characters"
    );
}

#[test]
fn form_must_exist_for_that_kind() {
    assert_eq!(
        refused(typed("treatment", "v2", "Jane")),
        "form_version: unknown treatment form version \"v2\""
    );
    assert_eq!(
        refused(typed("telehealth", "v1", "Jane")),
        "form_version: unknown telehealth form version \"v1\""
    );
    assert_eq!(
        refused(typed("treatment", "<script>", "Jane")),
        "form_version: unknown treatment form version"
    );
    assert_eq!(
        refused(typed("botox", "2026-01", "Jane")),
        "kind: unknown consent kind \"botox\""
    );
}

#[test]
fn drawn_signatures_are_bounded() {
    let ok = drawn(vec![vec![[0.1, 0.5], [0.2, 0.6]], vec![[1.0, 0.0]]]);
    let consent = validate_consent(&ok, &forms()).unwrap();
    assert_eq!(
        format!("{:?}", consent.signature()),
        "Drawn { strokes: 2, points: 3 }"
    );
    assert!(validate_consent(&drawn(vec![vec![[0.5, 0.5]; 25]; MAX_STROKES]), &forms()).is_ok());
    assert_eq!(
        refused(drawn(vec![])),
        "signature.strokes: must contain at least 1 stroke"
    );
    assert_eq!(
        refused(drawn(vec![vec![[0.5, 0.5]]; 201])),
        "signature.strokes: must contain at most 200 strokes"
    );
    assert_eq!(
        refused(drawn(vec![vec![[0.5, 0.5]; 2_501]; 2])),
        "signature.strokes: must contain at most 5000 points in total"
    );
    assert_eq!(
        refused(drawn(vec![vec![[0.5, 0.5]], vec![]])),
        "signature.strokes[1]: must contain at least 1 point"
    );
    assert_eq!(
        refused(drawn(vec![vec![[0.5, 0.5], [0.5, 1.5]]])),
        "signature.strokes[0][1]: coordinates must be between 0 and 1"
    );
    assert_eq!(
        refused(drawn(vec![vec![[f32::NAN, 0.5]]])),
        "signature.strokes[0][0]: coordinates must be between 0 and 1"
    );
}

#[test]
fn serde_refuses_svg_and_data_urls() {
    let json = r#"{"kind":"photography","form_version":"v2","signature":{"type":"drawn","strokes":[[[0.1,0.2],[0.3,0.4]]]}}"#;
    let parsed: ConsentInput = serde_json::from_str(json).unwrap();
    assert_eq!(serde_json::to_string(&parsed).unwrap(), json);
    assert!(validate_consent(&parsed, &forms()).is_ok());
    let err = |json: &str| serde_json::from_str::<ConsentInput>(json).is_err();
    assert!(err(
        r#"{"kind":"treatment","form_version":"v1","signature":{"type":"drawn","strokes":"data:image/png;base64,AAAA"}}"#
    ));
    assert!(err(
        r#"{"kind":"treatment","form_version":"v1","signature":{"type":"svg","svg":"<svg/>"}}"#
    ));
    assert!(err(
        r#"{"kind":"treatment","form_version":"v1","signature":{"type":"drawn","strokes":[[[0.1,0.2]]],"image":"data:x"}}"#
    ));
    assert!(err(
        r#"{"kind":"treatment","form_version":"v1","signature":{"type":"typed","name":"J","svg":"<svg/>"}}"#
    ));
    assert!(err(
        r#"{"kind":"treatment","form_version":"v1","signature":{"type":"drawn","strokes":[[[0.1,0.2,0.3]]]}}"#
    ));
    assert!(err(
        r#"{"kind":"treatment","form_version":"v1","signed_at":1,"signature":{"type":"typed","name":"J"}}"#
    ));
}

#[test]
fn debug_never_shows_the_name() {
    let input = typed("treatment", "2026-01", "Jane Doe");
    assert!(!format!("{input:?}").contains("Jane"));
    let consent = validate_consent(&input, &forms()).unwrap();
    assert!(!format!("{consent:?}").contains("Jane"));
}

#[test]
fn revocation() {
    assert_eq!(revoke(ConsentState::Active), Ok(ConsentState::Revoked));
    assert_eq!(
        revoke(ConsentState::Revoked),
        Err(ClinicalError::Conflict(Conflict::AlreadyRevoked))
    );
    assert!(is_active(ConsentState::Active));
    assert!(!is_active(ConsentState::Revoked));
}

#[test]
fn photography_is_not_marketing() {
    use ConsentKind::*;
    use ConsentState::*;
    assert!(grants(Photography, Active, Photography));
    assert!(!grants(Photography, Active, Marketing));
    assert!(grants(Marketing, Active, Marketing));
    assert!(!grants(Marketing, Revoked, Marketing));
    assert!(!grants(Marketing, Active, Photography));
    for held in ConsentKind::ALL {
        for needed in ConsentKind::ALL {
            assert_eq!(grants(held, Active, needed), held == needed);
            assert!(!grants(held, Revoked, needed));
        }
    }
}

//! Patient demographics through the real HTTPS stack: every role's cell of the SPEC §2 matrix
//! for demographics, allowed and denied (each denial audited), search through blind indexes,
//! care-team assignment, and bad input refused with nothing stored. SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use serde_json::{Value, json};
use vial_app::Role;
use vial_testkit::both_backends;
use vial_testkit::server;
use vial_testkit::server::{Server, TestUser, spawn_app};

struct Practice {
    s: Server,
    patient_x: String,
    patient_y: String,
    provider_on_team: TestUser,
    provider_off_team: TestUser,
    staff: TestUser,
    admin: TestUser,
    patient_self: TestUser,
    patient_other: TestUser,
}

const X: &str = "Zyxmarker";

async fn practice(pg: bool) -> Practice {
    let s = spawn_app(pg).await;
    let staff = s.add_user("sam.desk@example.com", Role::Staff, None).await;
    let admin = s.add_user("ann.owner@example.com", Role::Admin, None).await;
    let provider_on_team = s.add_user("dr.on@example.com", Role::Provider, None).await;
    let provider_off_team = s.add_user("dr.off@example.com", Role::Provider, None).await;
    let token = s.token(&staff).await;
    let create = |given: &str, family: &str| {
        json!({"given": given, "family": family, "dob": "1987-04-12",
               "phone": "+1 (555) 010-2000", "email": format!("{given}@example.com")})
    };
    let (status, x) = s
        .post("/api/v1/patients", Some(&token), create("Quinn", X))
        .await;
    assert_eq!(status, 201, "{x}");
    let (status, y) = s
        .post("/api/v1/patients", Some(&token), create("Robin", "Other"))
        .await;
    assert_eq!(status, 201, "{y}");
    let patient_x = x["id"].as_str().unwrap().to_owned();
    let patient_y = y["id"].as_str().unwrap().to_owned();
    let (status, _) = s
        .post(
            &format!("/api/v1/patients/{patient_x}/care-team"),
            Some(&token),
            s.reauthenticated(&staff, json!({"provider_id": provider_on_team.id})),
        )
        .await;
    assert_eq!(status, 204);
    let patient_self = s
        .add_user("quinn@example.com", Role::Patient, Some(&patient_x))
        .await;
    let patient_other = s
        .add_user("robin@example.com", Role::Patient, Some(&patient_y))
        .await;
    Practice {
        s,
        patient_x,
        patient_y,
        provider_on_team,
        provider_off_team,
        staff,
        admin,
        patient_self,
        patient_other,
    }
}

fn denials_for(audit: &[(String, String, Option<String>)], patient: &str) -> usize {
    audit
        .iter()
        .filter(|(_, o, p)| o == "denied" && p.as_deref() == Some(patient))
        .count()
}

async fn reading_follows_the_matrix_and_every_denial_is_audited(pg: bool) {
    let p = practice(pg).await;
    let path = format!("/api/v1/patients/{}", p.patient_x);
    // (who, expected status, dob visible)
    let cases: [(&TestUser, u16, bool); 6] = [
        (&p.provider_on_team, 200, true),
        (&p.provider_off_team, 403, false),
        (&p.staff, 200, true),
        (&p.admin, 200, false),
        (&p.patient_self, 200, true),
        (&p.patient_other, 403, false),
    ];
    for (user, expected, dob_visible) in cases {
        let token = p.s.token(user).await;
        let before = denials_for(&p.s.audit().await, &p.patient_x);
        let (status, body) = p.s.get(&path, Some(&token)).await;
        assert_eq!(status, expected, "{:?}: {body}", user.role);
        let after = denials_for(&p.s.audit().await, &p.patient_x);
        if expected == 200 {
            assert_eq!(body["family"], X);
            assert_eq!(body["phone"], "+1 (555) 010-2000");
            assert_eq!(body.get("dob").is_some(), dob_visible, "{:?}", user.role);
            assert_eq!(after, before);
        } else {
            assert_eq!(body["error"]["code"], "forbidden");
            assert!(!body.to_string().contains(X), "a denial carries no PHI");
            assert_eq!(after, before + 1, "{:?}: the denial is audited", user.role);
        }
    }
    // Absent and malformed ids.
    let token = p.s.token(&p.staff).await;
    assert_eq!(
        p.s.get("/api/v1/patients/pat_nope", Some(&token)).await.0,
        404
    );
    assert_eq!(p.s.get(&path, None).await.0, 401);
}

async fn writing_and_assigning_follow_the_matrix(pg: bool) {
    let p = practice(pg).await;
    let body = json!({"given": "New", "family": "Person", "dob": "1990-01-01"});
    for (user, expected) in [
        (&p.admin, 403),
        (&p.patient_self, 403),
        (&p.provider_off_team, 201),
        (&p.staff, 201),
    ] {
        let token = p.s.token(user).await;
        let (status, reply) =
            p.s.post("/api/v1/patients", Some(&token), body.clone())
                .await;
        assert_eq!(status, expected, "{:?}: {reply}", user.role);
        if user.role == Role::Provider {
            // The registering provider is on the new patient's care team.
            let id = reply["id"].as_str().unwrap();
            assert_eq!(
                p.s.get(&format!("/api/v1/patients/{id}"), Some(&token))
                    .await
                    .0,
                200
            );
        }
    }
    let assign = format!("/api/v1/patients/{}/care-team", p.patient_y);
    for (user, expected) in [
        (&p.provider_off_team, 403),
        (&p.patient_other, 403),
        (&p.admin, 204),
    ] {
        let token = p.s.token(user).await;
        let body =
            p.s.reauthenticated(user, json!({"provider_id": p.provider_off_team.id}));
        assert_eq!(
            p.s.post(&assign, Some(&token), body).await.0,
            expected,
            "{:?}",
            user.role
        );
    }
    let token = p.s.token(&p.staff).await;
    let not_a_provider =
        p.s.reauthenticated(&p.staff, json!({"provider_id": p.staff.id}));
    assert_eq!(p.s.post(&assign, Some(&token), not_a_provider).await.0, 422);
}

async fn search_finds_exact_matches_and_withholds_what_is_not_visible(pg: bool) {
    let p = practice(pg).await;
    let staff = p.s.token(&p.staff).await;
    let off = p.s.token(&p.provider_off_team).await;
    let ids = |v: &Value| -> Vec<String> {
        v["patients"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let (status, found) =
        p.s.get(
            &format!(
                "/api/v1/patients?family={}&dob=1987-04-12",
                X.to_lowercase()
            ),
            Some(&staff),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        ids(&found),
        vec![p.patient_x.clone()],
        "normalized exact match"
    );
    let (_, found) =
        p.s.post(
            "/api/v1/patients/search",
            Some(&staff),
            json!({"phone": "15550102000"}),
        )
        .await;
    assert_eq!(ids(&found).len(), 2, "both patients share the phone");
    let (_, found) =
        p.s.post(
            "/api/v1/patients/search",
            Some(&staff),
            json!({"email": "ROBIN@example.com"}),
        )
        .await;
    assert_eq!(ids(&found), vec![p.patient_y.clone()]);
    let before = denials_for(&p.s.audit().await, &p.patient_x);
    let (_, found) =
        p.s.post(
            "/api/v1/patients/search",
            Some(&off),
            json!({"family": X, "dob": "1987-04-12"}),
        )
        .await;
    assert!(ids(&found).is_empty(), "off the care team: withheld");
    assert_eq!(denials_for(&p.s.audit().await, &p.patient_x), before + 1);
    let (status, _) =
        p.s.post(
            "/api/v1/patients/search",
            Some(&staff),
            json!({"family": X}),
        )
        .await;
    assert_eq!(status, 400, "family needs dob");
}

async fn bad_input_is_refused_precisely_and_stores_nothing(pg: bool) {
    let p = practice(pg).await;
    let token = p.s.token(&p.staff).await;
    let count = |audit: &[(String, String, Option<String>)]| {
        audit
            .iter()
            .filter(|(a, o, _)| a == "patient.create" && o == "allowed")
            .count()
    };
    let before = count(&p.s.audit().await);
    let long = "x".repeat(101);
    let cases = [
        (json!({"given": "A", "family": "B"}), 422, "missing field"),
        (
            json!({"given": "A", "family": "B", "dob": "1990-02-30"}),
            422,
            "no such date",
        ),
        (
            json!({"given": "A", "family": "B", "dob": "2999-01-01"}),
            422,
            "future",
        ),
        (
            json!({"given": "A", "family": "B", "dob": "01/02/1990"}),
            422,
            "format",
        ),
        (
            json!({"given": long, "family": "B", "dob": "1990-01-01"}),
            422,
            "too long",
        ),
        (
            json!({"given": "A", "family": "B", "dob": "1990-01-01", "phone": "call me"}),
            422,
            "phone",
        ),
        (
            json!({"given": "A", "family": "B", "dob": "1990-01-01", "email": "nope"}),
            422,
            "email",
        ),
        (
            json!({"given": "A", "family": "B", "dob": "1990-01-01", "ssn": "1"}),
            422,
            "unknown field",
        ),
        (
            json!({"given": "A\u{0000}", "family": "B", "dob": "1990-01-01"}),
            422,
            "control char",
        ),
        (
            json!({"given": "Ann\u{202E}nhoJ", "family": "B", "dob": "1990-01-01"}),
            422,
            "control char",
        ),
        (
            json!({"given": "Ann", "family": "B\u{200B}", "dob": "1990-01-01"}),
            422,
            "control char",
        ),
    ];
    for (body, expected, what) in cases {
        let (status, reply) = p.s.post("/api/v1/patients", Some(&token), body).await;
        assert_eq!(status, expected, "{what}: {reply}");
        assert!(
            reply["error"]["message"].as_str().unwrap().len() > 3,
            "{what}: a precise message"
        );
    }
    let huge = json!({"given": "A".repeat(100_000), "family": "B", "dob": "1990-01-01"});
    assert_eq!(
        p.s.post("/api/v1/patients", Some(&token), huge).await.0,
        413
    );
    assert_eq!(count(&p.s.audit().await), before, "nothing was created");
}

/// Nothing under the data dir holds the demographics in clear (SQLite: the files are there).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_dir_holds_no_demographics_in_clear() {
    let p = practice(false).await;
    p.s.app.store().close().await;
    let mut bytes = Vec::new();
    for entry in walk(&p.s.data_root) {
        bytes.extend(std::fs::read(entry).unwrap());
    }
    for marker in [X, "Quinn", "1987-04-12", "010-2000", "quinn@example.com"] {
        assert!(
            !bytes.windows(marker.len()).any(|w| w == marker.as_bytes()),
            "{marker} found in clear under the data dir"
        );
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

async fn access_review_for_admins_and_patients(pg: bool) {
    let p = practice(pg).await;
    let provider = p.s.token(&p.provider_on_team).await;
    let path = format!("/api/v1/patients/{}", p.patient_x);
    assert_eq!(p.s.get(&path, Some(&provider)).await.0, 200);
    let off = p.s.token(&p.provider_off_team).await;
    assert_eq!(p.s.get(&path, Some(&off)).await.0, 403);

    let review = format!("/api/v1/audit?patient_id={}", p.patient_x);
    let admin = p.s.token(&p.admin).await;
    let (status, log) = p.s.get(&review, Some(&admin)).await;
    assert_eq!(status, 200, "{log}");
    let entries = log["entries"].as_array().unwrap();
    let has = |actor: &str, outcome: &str| {
        entries.iter().any(|e| {
            e["action"] == "patient.read" && e["actor"] == actor && e["outcome"] == outcome
        })
    };
    assert!(has(&p.provider_on_team.id, "allowed"));
    assert!(
        has(&p.provider_off_team.id, "denied"),
        "denials are reviewable too"
    );
    assert!(
        !log.to_string().contains(X),
        "the log holds ids and codes, no PHI"
    );
    // The matrix: admins review any record; a patient only their own (the same as
    // /me/access-log); providers and staff none.
    let mine = p.s.token(&p.patient_self).await;
    assert_eq!(p.s.get(&review, Some(&mine)).await.0, 200);
    for user in [&p.staff, &p.provider_on_team, &p.patient_other] {
        let token = p.s.token(user).await;
        assert_eq!(
            p.s.get(&review, Some(&token)).await.0,
            403,
            "{:?}",
            user.role
        );
    }

    let me = p.s.token(&p.patient_self).await;
    let (status, own) = p.s.get("/api/v1/me/access-log", Some(&me)).await;
    assert_eq!(status, 200, "{own}");
    let own = own["entries"].as_array().unwrap();
    assert!(
        own.iter()
            .any(|e| e["action"] == "patient.read" && e["role"] == "provider")
    );
    assert!(
        own.iter()
            .any(|e| e["action"] == "audit.review" && e["role"] == "admin")
    );
    let other = p.s.token(&p.patient_other).await;
    let (_, theirs) = p.s.get("/api/v1/me/access-log", Some(&other)).await;
    assert!(
        !theirs.to_string().contains(&p.patient_x),
        "a patient sees only their own record's log"
    );
    let staff = p.s.token(&p.staff).await;
    assert_eq!(p.s.get("/api/v1/me/access-log", Some(&staff)).await.0, 403);
}

async fn break_glass_is_reauthenticated_time_limited_and_reviewed(pg: bool) {
    let p = practice(pg).await;
    let path = format!("/api/v1/patients/{}", p.patient_x);
    let glass = format!("/api/v1/patients/{}/break-glass", p.patient_x);
    let off = p.s.token(&p.provider_off_team).await;
    assert_eq!(p.s.get(&path, Some(&off)).await.0, 403);

    let reason = "unconscious in the clinic, allergy check needed";
    let wrong = json!({"reason": reason, "password": "not my password", "totp": p.s.code(&p.provider_off_team)});
    assert_eq!(
        p.s.post(&glass, Some(&off), wrong).await.0,
        401,
        "re-authentication failed"
    );
    p.s.next_step();
    let short = json!({"reason": "because", "password": server::PASSWORD, "totp": p.s.code(&p.provider_off_team)});
    assert_eq!(
        p.s.post(&glass, Some(&off), short).await.0,
        422,
        "a real reason is required"
    );
    let no_totp = json!({"reason": reason, "password": server::PASSWORD});
    assert_eq!(
        p.s.post(&glass, Some(&off), no_totp).await.0,
        401,
        "workforce re-auth needs TOTP"
    );
    p.s.next_step();
    let good = json!({"reason": reason, "password": server::PASSWORD, "totp": p.s.code(&p.provider_off_team)});
    let (status, granted) = p.s.post(&glass, Some(&off), good).await;
    assert_eq!(status, 201, "{granted}");
    let off = p.s.token(&p.provider_off_team).await;
    assert_eq!(
        p.s.get(&path, Some(&off)).await.0,
        200,
        "access during the grant"
    );
    p.s.clock.advance_ms(61 * server::MINUTE);
    let off = p.s.token(&p.provider_off_team).await;
    assert_eq!(p.s.get(&path, Some(&off)).await.0, 403, "the grant expired");

    let staff = p.s.token(&p.staff).await;
    let attempt =
        json!({"reason": reason, "password": server::PASSWORD, "totp": p.s.code(&p.staff)});
    assert_eq!(
        p.s.post(&glass, Some(&staff), attempt).await.0,
        403,
        "providers only"
    );

    let audit = p.s.audit().await;
    assert!(audit.iter().any(|(a, o, pid)| a == "break_glass"
        && o == "allowed"
        && pid.as_deref() == Some(p.patient_x.as_str())));
    assert!(
        audit
            .iter()
            .any(|(a, o, _)| a == "break_glass" && o == "denied")
    );
    assert!(
        audit
            .iter()
            .any(|(a, o, _)| a == "auth.reauth" && o == "denied")
    );

    let admin = p.s.token(&p.admin).await;
    let (status, list) = p.s.get("/api/v1/break-glass", Some(&admin)).await;
    assert_eq!(status, 200);
    assert_eq!(
        list["grants"][0]["provider_id"],
        p.provider_off_team.id.as_str()
    );
    assert!(
        !list.to_string().contains("allergy"),
        "the stated reason stays encrypted"
    );
    assert_eq!(p.s.get("/api/v1/break-glass", Some(&staff)).await.0, 403);
}

/// A provider leaves a care team only by an admin or a provider on that team, each after
/// re-authenticating; staff, patients and providers off the team are refused and recorded; the
/// removed provider's access ends; every addition and removal shows in the patient's own log.
async fn care_team_members_are_removed_by_an_admin_or_the_team(pg: bool) {
    let p = practice(pg).await;
    let chart = format!("/api/v1/patients/{}", p.patient_x);
    let staff = p.s.token(&p.staff).await;
    let assign = format!("/api/v1/patients/{}/care-team", p.patient_x);
    let off_id =
        p.s.reauthenticated(&p.staff, json!({"provider_id": p.provider_off_team.id}));
    assert_eq!(p.s.post(&assign, Some(&staff), off_id).await.0, 204);
    let remove = |who: &TestUser| {
        format!(
            "/api/v1/patients/{}/care-team/{}/remove",
            p.patient_x, who.id
        )
    };
    let reauth = |user: &TestUser| {
        p.s.next_step();
        json!({"password": server::PASSWORD, "totp": p.s.code(user)})
    };
    let me = p.s.token(&p.patient_self).await;
    let other_provider =
        p.s.add_user("dr.third@example.com", Role::Provider, None)
            .await;
    let third = p.s.token(&other_provider).await;
    let before = p.s.audit().await.len();
    for (token, user) in [
        (&staff, &p.staff),
        (&me, &p.patient_self),
        (&third, &other_provider),
    ] {
        let body = if user.role == Role::Patient {
            json!({"password": server::PASSWORD})
        } else {
            reauth(user)
        };
        let (status, _) =
            p.s.post(&remove(&p.provider_off_team), Some(token), body)
                .await;
        assert_eq!(status, 403, "{}", user.email);
    }
    let denied = p.s.audit().await[before..]
        .iter()
        .filter(|(a, o, pid)| {
            a == "care_team.remove" && o == "denied" && pid.as_deref() == Some(&p.patient_x)
        })
        .count();
    assert_eq!(denied, 3, "every refusal recorded under the patient");

    // A provider on the team hands the patient over, after re-authenticating.
    let on = p.s.token(&p.provider_on_team).await;
    let off = p.s.token(&p.provider_off_team).await;
    assert_eq!(p.s.get(&chart, Some(&off)).await.0, 200);
    let wrong = json!({"password": "not my password", "totp": "000000"});
    let (status, _) =
        p.s.post(&remove(&p.provider_off_team), Some(&on), wrong)
            .await;
    assert_eq!(status, 401);
    let body = reauth(&p.provider_on_team);
    let (status, reply) =
        p.s.post(&remove(&p.provider_off_team), Some(&on), body)
            .await;
    assert_eq!(status, 204, "{reply}");
    assert_eq!(p.s.get(&chart, Some(&off)).await.0, 403, "access ended");
    let body = reauth(&p.provider_on_team);
    let (status, _) =
        p.s.post(&remove(&p.provider_off_team), Some(&on), body)
            .await;
    assert_eq!(status, 404, "no longer on the team");

    // An admin takes the last provider off.
    let admin = p.s.token(&p.admin).await;
    let body = reauth(&p.admin);
    let (status, _) =
        p.s.post(&remove(&p.provider_on_team), Some(&admin), body)
            .await;
    assert_eq!(status, 204);
    assert_eq!(p.s.get(&chart, Some(&on)).await.0, 403);

    // The patient sees who was added and who was taken off.
    let (status, log) = p.s.get("/api/v1/me/access-log", Some(&me)).await;
    assert_eq!(status, 200, "{log}");
    let shown = log.to_string();
    for action in ["care_team.assign", "care_team.remove"] {
        assert!(shown.contains(action), "{action} in {shown}");
    }

    // Joining by a booking is recorded too, where it used to be silent.
    let start = vial_app::Clock::now_ms(&*p.s.clock) + 30 * server::MINUTE;
    let booking = json!({"patient_id": p.patient_y, "provider_id": other_provider.id,
        "start_ms": start, "end_ms": start + 30 * server::MINUTE, "service": "follow_up",
        "location": {"type": "mobile", "address": "1 Main Street"}});
    let (status, booked) =
        p.s.post("/api/v1/appointments", Some(&staff), booking)
            .await;
    assert_eq!(status, 201, "{booked}");
    let robin = p.s.token(&p.patient_other).await;
    let (_, log) = p.s.get("/api/v1/me/access-log", Some(&robin)).await;
    assert!(log.to_string().contains("care_team.add"), "{log}");
}

/// Break-glass stays an emergency: a provider who books themselves during a grant does not
/// join the care team, so access ends with the grant (and the cancelled booking), and reads
/// under the grant are recorded as emergency access, not treatment.
async fn break_glass_never_becomes_care_team_membership(pg: bool) {
    let p = practice(pg).await;
    let path = format!("/api/v1/patients/{}", p.patient_x);
    let glass = format!("/api/v1/patients/{}/break-glass", p.patient_x);
    let off = p.s.token(&p.provider_off_team).await;
    let reason = "unconscious in the clinic, allergy check needed";
    p.s.next_step();
    let good = json!({"reason": reason, "password": server::PASSWORD, "totp": p.s.code(&p.provider_off_team)});
    assert_eq!(p.s.post(&glass, Some(&off), good).await.0, 201);
    assert_eq!(p.s.get(&path, Some(&off)).await.0, 200, "during the grant");
    let start = vial_app::Clock::now_ms(&*p.s.clock) + 30 * server::MINUTE;
    let booking = json!({"patient_id": p.patient_x, "provider_id": p.provider_off_team.id,
        "start_ms": start, "end_ms": start + 30 * server::MINUTE, "service": "follow_up",
        "location": {"type": "mobile", "address": "1 Main Street"}});
    let (status, booked) = p.s.post("/api/v1/appointments", Some(&off), booking).await;
    assert_eq!(status, 201, "{booked}");
    let apt = booked["id"].as_str().unwrap().to_owned();
    let cancel = json!({"status": "cancelled"});
    let moved =
        p.s.post(
            &format!("/api/v1/appointments/{apt}/status"),
            Some(&off),
            cancel,
        )
        .await;
    assert_eq!(moved.0, 204, "{}", moved.1);
    p.s.clock.advance_ms(61 * server::MINUTE);
    let off = p.s.token(&p.provider_off_team).await;
    assert_eq!(
        p.s.get(&path, Some(&off)).await.0,
        403,
        "the grant expired and left no care-team membership behind"
    );
    let on_team = {
        let mut tx = p.s.app.store().begin_read().await.unwrap();
        tx.on_care_team(&p.patient_x.as_str().into(), &p.provider_off_team.user_id())
            .await
            .unwrap()
    };
    assert!(!on_team);
    let mut tx = p.s.app.store().begin_read().await.unwrap();
    let reads: Vec<_> = tx
        .audit_rows(None, 100_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.action == "patient.read" && r.outcome == "allowed")
        .filter(|r| r.actor.as_deref() == Some(p.provider_off_team.id.as_str()))
        .collect();
    assert!(!reads.is_empty());
    for r in &reads {
        assert!(
            r.entry.windows(9).any(|w| w == b"emergency"),
            "a read under break-glass is recorded as emergency access"
        );
    }
}

both_backends!(
    care_team_members_are_removed_by_an_admin_or_the_team,
    break_glass_never_becomes_care_team_membership,
    break_glass_is_reauthenticated_time_limited_and_reviewed,
    access_review_for_admins_and_patients,
    reading_follows_the_matrix_and_every_denial_is_audited,
    writing_and_assigning_follow_the_matrix,
    search_finds_exact_matches_and_withholds_what_is_not_visible,
    bad_input_is_refused_precisely_and_stores_nothing,
);

//! Onboarding by invitation (issue 18, item 3), on both backends: an admin invites, only the
//! invited person sets a password and an authenticator through a one-time link that expires,
//! and a provider or admin account signs in only once a second person approves it. The page
//! flow itself is in `pages.rs`; here the rules, through the API and the link's use case.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};
use vial_app::{AppError, Enrolment, INVITATION_VALID_MS, Role};
use vial_testkit::both_backends;
use vial_testkit::server::{PASSWORD, Server, TestUser, spawn_app};
use zeroize::Zeroizing;

/// Invites `email` as `role` over the API, as `admin`; returns the new user's id.
async fn invite(s: &Server, admin: &TestUser, email: &str, role: &str, extra: Value) -> String {
    let token = s.token(admin).await;
    let mut body = json!({"email": email, "role": role, "name": "Robin Newcomer"});
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    s.next_step();
    body["reauth_password"] = json!(PASSWORD);
    body["reauth_totp"] = json!(s.code(admin));
    let (status, reply) = s.post("/api/v1/users", Some(&token), body).await;
    assert_eq!(status, 201, "{reply}");
    reply["user_id"].as_str().unwrap().to_owned()
}

/// The token part of a freshly issued link.
async fn link(s: &Server, email: &str) -> String {
    s.invitation_path(email)
        .await
        .trim_start_matches("/invitation/")
        .to_owned()
}

/// Sets the account up through `token` as its person would: the page's proposed secret and a
/// code from it. Returns the secret.
async fn accept(s: &Server, token: &str) -> Result<Option<String>, AppError> {
    let view = s.app.invitation(token).await?;
    let secret = view.proposed_secret.map(|s| s.to_string());
    s.next_step();
    let enrolment = Enrolment {
        password: Zeroizing::new("violet lantern harbour sixty".to_owned()),
        code: secret.as_ref().map(|secret| s.code_for(secret)),
        totp_secret: secret.clone().map(Zeroizing::new),
    };
    s.app.accept_invitation(token, enrolment).await?;
    Ok(secret)
}

fn login_body(s: &Server, email: &str, secret: Option<&str>) -> Value {
    s.next_step();
    let mut body = json!({"email": email, "password": "violet lantern harbour sixty"});
    if let Some(secret) = secret {
        body["totp"] = json!(s.code_for(secret));
    }
    body
}

fn gone(result: Result<Option<String>, AppError>) -> bool {
    matches!(result, Err(AppError::NotFound("invitation")))
}

async fn an_invitation_link_works_once_until_it_expires(pg: bool) {
    let s = spawn_app(pg).await;
    let admin = s.add_user("ann.owner@example.com", Role::Admin, None).await;
    invite(&s, &admin, "sam.desk@example.com", "staff", json!({})).await;
    let first = link(&s, "sam.desk@example.com").await;
    s.clock.advance_ms(INVITATION_VALID_MS);
    assert!(gone(accept(&s, &first).await), "expired");
    // A new link replaces the old one, which stays dead.
    let second = link(&s, "sam.desk@example.com").await;
    assert!(gone(accept(&s, &first).await), "replaced");
    assert!(gone(accept(&s, "not-a-token").await));
    assert!(gone(accept(&s, "").await));
    let secret = accept(&s, &second).await.unwrap();
    assert!(
        secret.is_some(),
        "workforce accounts enrol an authenticator"
    );
    assert!(gone(accept(&s, &second).await), "used");
    // Staff need no approval: the account signs in at once, with the person's own password.
    let body = login_body(&s, "sam.desk@example.com", secret.as_deref());
    assert_eq!(s.login(body).await.0, 200);
    // No more links for an account that is set up.
    let again = s
        .system
        .issue_invitation("sam.desk@example.com", "system:cli")
        .await;
    assert!(matches!(again, Err(AppError::NotFound(_))), "{again:?}");

    // Two people racing with the same link: one sets the account up.
    invite(&s, &admin, "kim.race@example.com", "staff", json!({})).await;
    let token = link(&s, "kim.race@example.com").await;
    let (a, b) = tokio::join!(accept(&s, &token), accept(&s, &token));
    assert_eq!(
        [a.is_ok(), b.is_ok()].iter().filter(|ok| **ok).count(),
        1,
        "{a:?} {b:?}"
    );

    let audit = s.audit().await;
    for action in [
        "user.invite",
        "user.invitation_issue",
        "user.invitation_open",
        "user.enrol",
    ] {
        assert!(
            audit.iter().any(|(a, o, _)| a == action && o == "allowed"),
            "{action}"
        );
    }
}

async fn a_provider_is_approved_by_a_second_person_only(pg: bool) {
    let s = spawn_app(pg).await;
    let admin = s.add_user("ann.owner@example.com", Role::Admin, None).await;
    let director = s
        .add_user("dr.lead@example.com", Role::Provider, None)
        .await;
    let provider = s
        .add_user("pat.injector@example.com", Role::Provider, None)
        .await;
    let staff = s.add_user("sam.desk@example.com", Role::Staff, None).await;
    let admin_token = s.token(&admin).await;
    let settings = json!({"medical_director": director.id});
    assert_eq!(
        s.post("/api/v1/settings", Some(&admin_token), settings)
            .await
            .0,
        204
    );
    let id = invite(&s, &admin, "new.np@example.com", "provider", json!({})).await;
    let approve = format!("/api/v1/users/{id}/approve");

    // Not yet set up: nothing to approve.
    let director_token = s.token(&director).await;
    let body = s.reauthenticated(&director, json!({}));
    assert_eq!(s.post(&approve, Some(&director_token), body).await.0, 409);

    let token = link(&s, "new.np@example.com").await;
    let secret = accept(&s, &token).await.unwrap();
    let body = login_body(&s, "new.np@example.com", secret.as_deref());
    assert_eq!(s.login(body).await.0, 401, "set up, not approved");
    // Nor can anyone book them (and so put them on a care team) before the approval.
    let staff_token = s.token(&staff).await;
    let patient = json!({"given": "Ira", "family": "Approvaltest", "dob": "1990-01-02"});
    let (_, patient) = s
        .post("/api/v1/patients", Some(&staff_token), patient)
        .await;
    let booking = json!({"patient_id": patient["id"], "provider_id": id, "start_ms": 1_900_000_000_000i64,
        "end_ms": 1_900_001_800_000i64, "service": "consultation",
        "location": {"type": "mobile", "address": "1 Test Street"}});
    let (status, reply) = s
        .post("/api/v1/appointments", Some(&staff_token), booking.clone())
        .await;
    assert_eq!(status, 422, "{reply}");

    // Who may see and give the approval.
    let (status, list) = s.get("/api/v1/approvals", Some(&admin_token)).await;
    assert_eq!(status, 200);
    assert_eq!(list["users"][0]["id"], id.as_str());
    assert_eq!(list["users"][0]["state"], "awaiting_approval");
    for user in [&staff, &provider] {
        let token = s.token(user).await;
        assert_eq!(s.get("/api/v1/approvals", Some(&token)).await.0, 403);
        let body = s.reauthenticated(user, json!({}));
        assert_eq!(s.post(&approve, Some(&token), body).await.0, 403);
    }
    let body = s.reauthenticated(&admin, json!({}));
    assert_eq!(
        s.post(&approve, Some(&admin_token), body).await.0,
        403,
        "never the inviter"
    );
    let wrong = json!({"password": "not the password", "totp": "000000"});
    assert_eq!(s.post(&approve, Some(&director_token), wrong).await.0, 401);
    let body = s.reauthenticated(&director, json!({}));
    assert_eq!(s.post(&approve, Some(&director_token), body).await.0, 204);
    let body = login_body(&s, "new.np@example.com", secret.as_deref());
    assert_eq!(s.login(body).await.0, 200, "approved");
    let (status, reply) = s
        .post("/api/v1/appointments", Some(&staff_token), booking)
        .await;
    assert_eq!(status, 201, "{reply}");
    let body = s.reauthenticated(&director, json!({}));
    assert_eq!(s.post(&approve, Some(&director_token), body).await.0, 409);

    let audit = s.audit().await;
    let denied = |action: &str| {
        audit
            .iter()
            .filter(|(a, o, _)| a == action && o == "denied")
            .count()
    };
    assert_eq!(denied("user.approve"), 3, "staff, provider, inviter");
    assert_eq!(denied("user.approval_list"), 2, "staff, provider");
    assert!(
        audit
            .iter()
            .any(|(a, o, _)| a == "auth.login" && o == "denied")
    );
}

async fn a_patient_sets_up_their_portal_account_without_approval(pg: bool) {
    let s = spawn_app(pg).await;
    let admin = s.add_user("ann.owner@example.com", Role::Admin, None).await;
    let extra = json!({"patient_id": "pat_portal"});
    let id = invite(&s, &admin, "robin.p@example.com", "patient", extra).await;
    let admin_token = s.token(&admin).await;
    let (_, users) = s.get("/api/v1/users", Some(&admin_token)).await;
    let row = users["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == id.as_str())
        .unwrap()
        .clone();
    assert_eq!(row["state"], "invited");
    let token = link(&s, "robin.p@example.com").await;
    let view = s.app.invitation(&token).await.unwrap();
    assert!(
        !view.needs_authenticator,
        "patients enrol one when the practice requires it"
    );
    // A weak password is refused and spends nothing.
    let weak = Enrolment {
        password: Zeroizing::new("password1234".to_owned()),
        totp_secret: None,
        code: None,
    };
    let refused = s.app.accept_invitation(&token, weak).await;
    assert!(matches!(refused, Err(AppError::Invalid(_))), "{refused:?}");
    assert_eq!(accept(&s, &token).await.unwrap(), None);
    let body = login_body(&s, "robin.p@example.com", None);
    assert_eq!(
        s.login(body).await.0,
        200,
        "no approval for a patient account"
    );
}

both_backends!(
    an_invitation_link_works_once_until_it_expires,
    a_provider_is_approved_by_a_second_person_only,
    a_patient_sets_up_their_portal_account_without_approval,
);

//! Login, sessions and their ends through the real HTTPS stack, on SQLite and PostgreSQL.
//! Time is a FixedClock: timeouts are tested by moving it, never by sleeping.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use serde_json::{Value, json};
use vial_app::Role;
use vial_testkit::both_backends;
use vial_testkit::server::{MINUTE, PASSWORD, TestUser, spawn_app, spawn_with, spawn_with_policy};

async fn password_and_totp_open_a_session(pg: bool) {
    let s = spawn_app(pg).await;
    let nia = s
        .add_user("nia.okafor@example.com", Role::Provider, None)
        .await;
    let token = s.token(&nia).await;
    let (status, me) = s.get("/api/v1/me", Some(&token)).await;
    assert_eq!(status, 200);
    assert_eq!(me["user_id"], nia.id.as_str());
    assert_eq!(me["role"], "provider");
    assert!(
        s.audit()
            .await
            .iter()
            .any(|(a, o, _)| a == "auth.login" && o == "allowed")
    );
}

async fn workforce_login_without_a_valid_fresh_totp_is_refused(pg: bool) {
    let s = spawn_app(pg).await;
    let nia = s
        .add_user("nia.okafor@example.com", Role::Provider, None)
        .await;
    let no_code = json!({"email": nia.email, "password": PASSWORD});
    assert_eq!(s.login(no_code).await.0, 401, "no TOTP");
    let wrong = json!({"email": nia.email, "password": PASSWORD, "totp": "000000"});
    assert_eq!(s.login(wrong).await.0, 401, "wrong TOTP");
    s.next_step();
    let body = s.credentials(&nia);
    assert_eq!(s.login(body.clone()).await.0, 200);
    assert_eq!(
        s.login(body).await.0,
        401,
        "a TOTP code is accepted once only"
    );
    let denied = s
        .audit()
        .await
        .iter()
        .filter(|(a, o, _)| a == "auth.login" && o == "denied")
        .count();
    assert_eq!(denied, 3);
}

async fn a_recovery_code_replaces_the_totp_once(pg: bool) {
    let s = spawn_app(pg).await;
    let nia = s
        .add_user("nia.okafor@example.com", Role::Provider, None)
        .await;
    assert_eq!(nia.recovery_codes.len(), 10);
    let code = nia.recovery_codes[3].to_lowercase().replace('-', " ");
    let body = json!({"email": nia.email, "password": PASSWORD, "recovery_code": code});
    let (status, reply) = s.login(body.clone()).await;
    assert_eq!(status, 200, "{reply}; codes are case- and dash-insensitive");
    assert_eq!(s.login(body).await.0, 401, "each code works once");
    let made_up = json!({"email": nia.email, "password": PASSWORD, "recovery_code": "AAAAA-AAAAA"});
    assert_eq!(s.login(made_up).await.0, 401);
    let wrong_password = json!({"email": nia.email, "password": "wrong password!", "recovery_code": nia.recovery_codes[4]});
    assert_eq!(
        s.login(wrong_password).await.0,
        401,
        "the password is still required"
    );
    let pat = s
        .add_user("pat.one@example.com", Role::Patient, Some("pat_1"))
        .await;
    assert!(
        pat.recovery_codes.is_empty(),
        "patients have no TOTP to recover"
    );
    assert!(
        s.audit()
            .await
            .iter()
            .any(|(a, o, _)| a == "auth.login" && o == "allowed")
    );
}

async fn unknown_accounts_and_wrong_passwords_look_the_same(pg: bool) {
    let s = spawn_app(pg).await;
    let nia = s
        .add_user("nia.okafor@example.com", Role::Provider, None)
        .await;
    let code = s.code(&nia);
    let unknown = s
        .login(json!({"email": "nobody@example.com", "password": PASSWORD, "totp": code}))
        .await;
    let wrong = s
        .login(json!({"email": nia.email, "password": "wrong password!", "totp": code}))
        .await;
    assert_eq!(unknown.0, 401);
    assert_eq!(
        unknown, wrong,
        "the response must not reveal whether the account exists"
    );
}

async fn repeated_failures_lock_out_even_the_right_password(pg: bool) {
    let s = spawn_app(pg).await;
    let nia = s
        .add_user("nia.okafor@example.com", Role::Provider, None)
        .await;
    for _ in 0..5 {
        let body = json!({"email": nia.email, "password": "wrong password!", "totp": s.code(&nia)});
        assert_eq!(s.login(body).await.0, 401);
    }
    s.next_step();
    assert_eq!(s.login(s.credentials(&nia)).await.0, 401, "locked");
    s.clock.advance_ms(2 * MINUTE);
    assert_eq!(s.token(&nia).await.len(), 43, "unlocked after the back-off");
}

/// A burst of concurrent wrong passwords (the probe's 100 from 10 addresses, here through the
/// use case itself, below the per-address limiter) counts every failure: the account ends up
/// locked and the right password is refused. Re-authentications spend the same budget.
async fn concurrent_failures_are_all_counted_and_lock_the_account(pg: bool) {
    let s = spawn_app(pg).await;
    let nia = s
        .add_user("nia.okafor@example.com", Role::Provider, None)
        .await;
    let wrong = |n: usize| vial_app::LoginRequest {
        email: nia.email.clone(),
        password: zeroize::Zeroizing::new(format!("wrong password {n}!")),
        totp: Some(s.code(&nia)),
        recovery_code: None,
        device: None,
        addr: Some(format!("10.0.0.{}", n % 10)),
        kind: vial_app::SessionKind::Api,
    };
    let mut refused = 0;
    for wave in 0..4 {
        let attempts = (0..8).map(|n| s.app.login(wrong(wave * 8 + n)));
        for outcome in futures_util::future::join_all(attempts).await {
            match outcome {
                Err(vial_app::AppError::Unauthenticated) => refused += 1,
                other => panic!("a wrong password was not refused: {other:?}"),
            }
        }
    }
    let (stored, counted) = {
        let mut tx = s.app.store().begin_read().await.unwrap();
        let user = tx.user_by_id(&nia.user_id()).await.unwrap().unwrap();
        // The failures refused as such (the later ones are refused as `account_locked`).
        let counted = tx
            .audit_rows(None, 100_000)
            .await
            .unwrap()
            .iter()
            .filter(|r| r.action == "auth.login" && r.outcome == "denied")
            .filter(|r| r.entry.windows(12).any(|w| w == b"bad_password"))
            .count();
        (user, i64::try_from(counted).unwrap())
    };
    assert_eq!(refused, 32, "every attempt refused");
    assert_eq!(stored.failed_logins, counted, "every bad password counted");
    assert!(counted >= 5, "{counted} counted");
    assert!(
        stored
            .locked_until_ms
            .is_some_and(|t| t > vial_app::Clock::now_ms(&*s.clock))
    );
    s.next_step();
    assert_eq!(s.login(s.credentials(&nia)).await.0, 401, "locked");
    // Re-authentication draws on the same budget: a locked account cannot re-authenticate.
    s.clock.advance_ms(60 * MINUTE);
    let token = s.token(&nia).await;
    let actor = s.app.authenticate(&token, None).await.unwrap();
    for n in 0..5 {
        let wrong_reauth = s
            .app
            .reauthenticate(&actor, &format!("wrong password {n}!"), None)
            .await;
        assert!(matches!(
            wrong_reauth,
            Err(vial_app::AppError::Unauthenticated)
        ));
    }
    s.next_step();
    let right = s
        .app
        .reauthenticate(&actor, PASSWORD, Some(&s.code(&nia)))
        .await;
    assert!(
        matches!(right, Err(vial_app::AppError::Unauthenticated)),
        "locked by re-authentication failures: {right:?}"
    );
}

/// A password change needs the current password and a fresh code, follows the new-account
/// policy, ends the person's other sessions (not this one) and is recorded; the old password
/// stops working. A patient needs no code.
async fn password_change_needs_the_current_one_and_ends_other_sessions(pg: bool) {
    let s = spawn_app(pg).await;
    let nia = s
        .add_user("nia.okafor@example.com", Role::Provider, None)
        .await;
    let here = s.token(&nia).await;
    s.next_step();
    let phone = s.token(&nia).await;
    let fresh = "juniper quarry lantern eleven";
    let body = |current: &str, new: &str, code: Option<String>| json!({"current_password": current, "new_password": new, "totp": code});
    let change = "/api/v1/me/password";
    s.next_step();
    let no_code = s
        .post(change, Some(&here), body(PASSWORD, fresh, None))
        .await;
    assert_eq!(no_code.0, 401, "{}", no_code.1);
    s.next_step();
    let wrong = body("not my password", fresh, Some(s.code(&nia)));
    assert_eq!(s.post(change, Some(&here), wrong).await.0, 401);
    s.next_step();
    let weak = body(PASSWORD, "password1234", Some(s.code(&nia)));
    let (status, reply) = s.post(change, Some(&here), weak).await;
    assert_eq!(status, 422);
    assert!(!reply.to_string().contains("password1234"), "{reply}");
    assert_eq!(s.me(&phone).await, 200, "nothing changed yet");
    s.next_step();
    let right = body(PASSWORD, fresh, Some(s.code(&nia)));
    assert_eq!(s.post(change, Some(&here), right).await.0, 204);
    assert_eq!(s.me(&here).await, 200, "this session stays");
    assert_eq!(s.me(&phone).await, 401, "the other device is signed out");
    s.next_step();
    let old = json!({"email": nia.email, "password": PASSWORD, "totp": s.code(&nia)});
    assert_eq!(s.login(old).await.0, 401);
    s.next_step();
    let new = json!({"email": nia.email, "password": fresh, "totp": s.code(&nia)});
    assert_eq!(s.login(new).await.0, 200);
    let audit = s.audit().await;
    assert!(
        audit
            .iter()
            .any(|(a, o, _)| a == "auth.password_change" && o == "allowed")
    );

    let pat = s
        .add_user("pat.one@example.com", Role::Patient, Some("pat_1"))
        .await;
    let token = s.token(&pat).await;
    let theirs = body(PASSWORD, "cobalt meadow whistle ninety", None);
    assert_eq!(s.post(change, Some(&token), theirs).await.0, 204);
}

async fn logout_idle_absolute_and_revocation_each_end_the_session(pg: bool) {
    let s = spawn_app(pg).await;
    let nia = s
        .add_user("nia.okafor@example.com", Role::Provider, None)
        .await;
    // Logout.
    let token = s.token(&nia).await;
    assert_eq!(
        s.post("/api/v1/logout", Some(&token), json!({})).await.0,
        204
    );
    assert_eq!(s.me(&token).await, 401);

    // Idle timeout: activity keeps the session alive, 15 quiet minutes end it.
    let token = s.token(&nia).await;
    for _ in 0..4 {
        s.clock.advance_ms(10 * MINUTE);
        assert_eq!(s.me(&token).await, 200);
    }
    s.clock.advance_ms(15 * MINUTE);
    assert_eq!(s.me(&token).await, 401, "idle timeout");
    s.clock.advance_ms(-14 * MINUTE);
    assert_eq!(s.me(&token).await, 401, "an ended session stays ended");
    s.clock.advance_ms(14 * MINUTE);

    // Absolute timeout: ends at 12 h however active.
    let token = s.token(&nia).await;
    for _ in 0..(12 * 6 - 1) {
        s.clock.advance_ms(10 * MINUTE);
        assert_eq!(s.me(&token).await, 200);
    }
    s.clock.advance_ms(10 * MINUTE);
    assert_eq!(s.me(&token).await, 401, "absolute timeout");

    // An admin signs the user out everywhere.
    let first = s.token(&nia).await;
    let second = s.token(&nia).await;
    let admin = vial_app::Actor {
        user_id: "usr_admin".into(),
        role: Role::Admin,
        session_id: "ses_admin".into(),
    };
    assert_eq!(
        s.app
            .end_all_sessions(&admin, &nia.user_id())
            .await
            .unwrap(),
        2
    );
    assert_eq!(s.me(&first).await, 401);
    assert_eq!(s.me(&second).await, 401);
    let audit = s.audit().await;
    for action in ["auth.logout", "auth.session_end", "auth.sessions_revoked"] {
        assert!(
            audit.iter().any(|(a, _, _)| a == action),
            "{action} audited"
        );
    }
}

async fn patients_log_in_without_totp_and_bad_requests_are_refused(pg: bool) {
    let s = spawn_app(pg).await;
    let pat = s
        .add_user("pat.one@example.com", Role::Patient, Some("pat_1"))
        .await;
    let (status, body) = s.login(s.credentials(&pat)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["role"], "patient");
    assert_eq!(body["user_id"], pat.id.as_str());
    let r = s
        .client
        .post(format!("{}/api/v1/login", s.base))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let extra = json!({"email": pat.email, "password": PASSWORD, "role": "admin"});
    assert_eq!(
        s.login(extra).await.0,
        422,
        "unknown fields are refused as an invalid shape"
    );
    let r = s
        .client
        .get(format!("{}/api/v1/me", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert_eq!(s.me("forged-token").await, 401);
}

/// Exports and key operations need the admin's password and a fresh code in the request; a
/// lost device can be signed out alone.
async fn sensitive_admin_operations_need_reauthentication(pg: bool) {
    let s = spawn_app(pg).await;
    let admin = s.add_user("ops.owner@example.com", Role::Admin, None).await;
    let staff = s.add_user("ops.desk@example.com", Role::Staff, None).await;
    let admin_token = s.token(&admin).await;
    let staff_token = s.token(&staff).await;

    let before = s.audit().await.len();
    let body = json!({"password": PASSWORD, "totp": s.code(&staff)});
    assert_eq!(
        s.post("/api/v1/keys/rotate", Some(&staff_token), body)
            .await
            .0,
        403
    );
    assert_eq!(
        s.get("/api/v1/keys/status", Some(&staff_token)).await.0,
        403
    );
    assert_eq!(s.get("/api/v1/users", Some(&staff_token)).await.0, 403);
    let denied: Vec<String> = s.audit().await[before..]
        .iter()
        .filter(|(_, outcome, _)| outcome == "denied")
        .map(|(action, _, _)| action.clone())
        .collect();
    assert_eq!(denied, ["key.rotate", "key.status", "user.list"]);

    s.next_step();
    let no_code = json!({"password": PASSWORD});
    assert_eq!(
        s.post("/api/v1/keys/rotate", Some(&admin_token), no_code)
            .await
            .0,
        401
    );
    let wrong = json!({"password": "wrong password!", "totp": s.code(&admin)});
    assert_eq!(
        s.post("/api/v1/keys/rotate", Some(&admin_token), wrong)
            .await
            .0,
        401
    );
    s.next_step();
    let right = json!({"password": PASSWORD, "totp": s.code(&admin)});
    let (status, body) = s
        .post("/api/v1/keys/rotate", Some(&admin_token), right.clone())
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["version"], 2);
    assert_eq!(
        s.post("/api/v1/keys/rotate", Some(&admin_token), right)
            .await
            .0,
        401,
        "a code works once"
    );
    let (_, keys) = s.get("/api/v1/keys/status", Some(&admin_token)).await;
    assert_eq!(keys["current_version"], 2);

    s.next_step();
    let export = json!({"from": 0, "to": 3, "password": PASSWORD, "totp": s.code(&admin)});
    let r = s
        .client
        .post(format!("{}/api/v1/audit/export", s.base))
        .bearer_auth(&admin_token)
        .json(&export)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/x-ndjson");
    let text = r.text().await.unwrap();
    assert!(text.lines().count() >= 4, "{text}");
    let export = json!({"from": 0, "to": 3, "password": PASSWORD, "totp": s.code(&staff)});
    assert_eq!(
        s.post("/api/v1/audit/export", Some(&staff_token), export)
            .await
            .0,
        403
    );

    // A lost tablet: the admin lists the staff member's devices and ends only that one.
    let tablet = s.token(&staff).await;
    let (status, sessions) = s
        .get(
            &format!("/api/v1/users/{}/sessions", staff.id),
            Some(&admin_token),
        )
        .await;
    assert_eq!(status, 200);
    let tablet_id = sessions["sessions"][0]["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/users/{}/sessions/{tablet_id}/end", staff.id);
    assert_eq!(s.post(&path, Some(&staff_token), json!({})).await.0, 403);
    assert_eq!(s.post(&path, Some(&admin_token), json!({})).await.0, 204);
    assert_eq!(s.me(&tablet).await, 401);
    assert_eq!(s.me(&staff_token).await, 200);
    let other_users = format!("/api/v1/users/{}/sessions/{tablet_id}/end", admin.id);
    assert_eq!(
        s.post(&other_users, Some(&admin_token), json!({})).await.0,
        404
    );
    let (_, users) = s.get("/api/v1/users", Some(&admin_token)).await;
    let mut emails: Vec<&str> = users["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    emails.sort_unstable();
    assert_eq!(emails, ["ops.desk@example.com", "ops.owner@example.com"]);
}

/// Patient MFA is optional by default (a patient who enrols an authenticator must then use it)
/// and mandatory when the practice requires it.
async fn patient_mfa_is_optional_or_required_by_the_practice(pg: bool) {
    let s = spawn_app(pg).await;
    let pat = s
        .add_user("pat.optional@example.com", Role::Patient, Some("pat_2"))
        .await;
    assert_eq!(s.totp_secret(&pat), None);
    let token = s.token(&pat).await;
    let actor = s.app.authenticate(&token, None).await.unwrap();
    let secret = s.app.propose_totp_secret(&actor).unwrap();
    let enrolled = TestUser::with_secret(&pat.email, Role::Patient, &secret);
    s.next_step();
    let wrong_password = s
        .app
        .enrol_totp(&actor, "not my password", None, &secret, &s.code(&enrolled))
        .await;
    assert!(matches!(
        wrong_password,
        Err(vial_app::AppError::Unauthenticated)
    ));
    s.app
        .enrol_totp(&actor, PASSWORD, None, &secret, &s.code(&enrolled))
        .await
        .unwrap();
    s.next_step();
    let no_code = json!({"email": pat.email, "password": PASSWORD});
    assert_eq!(
        s.login(no_code).await.0,
        401,
        "enrolled: the code is now required"
    );
    assert_eq!(s.login(s.credentials(&enrolled)).await.0, 200);

    let strict = spawn_with_policy(
        pg,
        vial_app::SessionPolicy {
            patient_mfa_required: true,
            ..vial_app::SessionPolicy::default()
        },
    )
    .await;
    let pat = strict
        .add_user("pat.required@example.com", Role::Patient, Some("pat_3"))
        .await;
    assert!(strict.totp_secret(&pat).is_some(), "patients get a secret");
    assert_eq!(pat.recovery_codes.len(), 10);
    let no_code = json!({"email": pat.email, "password": PASSWORD});
    assert_eq!(strict.login(no_code).await.0, 401);
    strict.next_step();
    assert_eq!(strict.login(strict.credentials(&pat)).await.0, 200);
}

async fn devices_are_listed_and_ended_and_admins_manage_accounts(pg: bool) {
    let s = spawn_app(pg).await;
    let admin = s.add_user("ann.owner@example.com", Role::Admin, None).await;
    let admin_token = s.token(&admin).await;
    // Admins invite over the API, re-authenticated; others may not.
    let confirmed = |user: &TestUser, mut body: Value| {
        s.next_step();
        body["reauth_password"] = json!(PASSWORD);
        body["reauth_totp"] = json!(s.code(user));
        body
    };
    let body = json!({"email": "dr.new@example.com", "role": "provider", "name": "Dr New"});
    let mut unconfirmed = body.clone();
    unconfirmed["reauth_password"] = json!("not my password");
    let (status, _) = s
        .post("/api/v1/users", Some(&admin_token), unconfirmed)
        .await;
    assert_eq!(status, 401, "a stolen admin session cannot add accounts");
    let mut chosen = confirmed(&admin, body.clone());
    chosen["password"] = json!(PASSWORD);
    let (status, _) = s.post("/api/v1/users", Some(&admin_token), chosen).await;
    assert_eq!(status, 422, "the admin chooses no password");
    let (status, created) = s
        .post("/api/v1/users", Some(&admin_token), confirmed(&admin, body))
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["state"], "invited");
    assert_eq!(created["needs_approval"], true);
    let keys: Vec<&String> = created.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["needs_approval", "role", "state", "user_id"],
        "no secret of the new user"
    );
    let nia = s
        .add_user("nia.okafor@example.com", Role::Provider, None)
        .await;
    let phone = s.token(&nia).await;
    let laptop = s.token(&nia).await;
    let body = json!({"email": "x.y@example.com", "role": "staff", "name": "X"});
    assert_eq!(
        s.post("/api/v1/users", Some(&laptop), confirmed(&nia, body))
            .await
            .0,
        403
    );
    let bad_role = confirmed(
        &admin,
        json!({"email": "z.y@example.com", "role": "root", "name": "Z"}),
    );
    assert_eq!(
        s.post("/api/v1/users", Some(&admin_token), bad_role)
            .await
            .0,
        422
    );

    // A user sees their devices and ends one (the lost phone) from another.
    let (status, list) = s.get("/api/v1/me/sessions", Some(&laptop)).await;
    assert_eq!(status, 200);
    let sessions = list["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 2);
    let phone_id = sessions.iter().find(|x| x["current"] == false).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let end = format!("/api/v1/me/sessions/{phone_id}/end");
    assert_eq!(s.post(&end, Some(&laptop), json!({})).await.0, 204);
    assert_eq!(s.me(&phone).await, 401);
    assert_eq!(s.me(&laptop).await, 200);
    // Nobody ends someone else's session through their own list.
    let admin_sessions = s.get("/api/v1/me/sessions", Some(&admin_token)).await.1;
    let admin_session = admin_sessions["sessions"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let foreign = format!("/api/v1/me/sessions/{admin_session}/end");
    assert_eq!(s.post(&foreign, Some(&laptop), json!({})).await.0, 404);

    // An admin signs a user out everywhere, then disables the account; a provider may not.
    let revoke = format!("/api/v1/users/{}/sessions/end", nia.id);
    assert_eq!(s.post(&revoke, Some(&laptop), json!({})).await.0, 403);
    let (status, ended) = s.post(&revoke, Some(&admin_token), json!({})).await;
    assert_eq!((status, ended["ended"].as_u64()), (200, Some(1)));
    assert_eq!(s.me(&laptop).await, 401);
    let disable = format!("/api/v1/users/{}/disable", nia.id);
    assert_eq!(s.post(&disable, Some(&admin_token), json!({})).await.0, 204);
    s.next_step();
    assert_eq!(
        s.login(s.credentials(&nia)).await.0,
        401,
        "a disabled account cannot log in"
    );
    let own = format!("/api/v1/users/{}/disable", admin.id);
    assert_eq!(
        s.post(&own, Some(&admin_token), json!({})).await.0,
        403,
        "not oneself"
    );
}

async fn role_changes_need_an_admin_reauthentication_and_never_apply_to_oneself(pg: bool) {
    let s = spawn_app(pg).await;
    let admin = s.add_user("ann.owner@example.com", Role::Admin, None).await;
    let staff = s.add_user("sam.desk@example.com", Role::Staff, None).await;
    let admin_token = s.token(&admin).await;
    let staff_token = s.token(&staff).await;
    let role_of = |who: &str| format!("/api/v1/users/{who}/role");

    let bad_password =
        json!({"role": "provider", "password": "wrong password!", "totp": s.code(&admin)});
    assert_eq!(
        s.post(&role_of(&staff.id), Some(&admin_token), bad_password)
            .await
            .0,
        401
    );
    s.next_step();
    let by_staff = json!({"role": "admin", "password": PASSWORD, "totp": s.code(&staff)});
    assert_eq!(
        s.post(&role_of(&staff.id), Some(&staff_token), by_staff)
            .await
            .0,
        403,
        "own role"
    );
    let own = json!({"role": "staff", "password": PASSWORD, "totp": s.code(&admin)});
    assert_eq!(
        s.post(&role_of(&admin.id), Some(&admin_token), own).await.0,
        403,
        "own role"
    );
    let into_patient = json!({"role": "patient", "password": PASSWORD, "totp": s.code(&admin)});
    assert_eq!(
        s.post(&role_of(&staff.id), Some(&admin_token), into_patient)
            .await
            .0,
        422
    );
    s.next_step();
    let ok = json!({"role": "provider", "password": PASSWORD, "totp": s.code(&admin)});
    assert_eq!(
        s.post(&role_of(&staff.id), Some(&admin_token), ok).await.0,
        204
    );
    assert_eq!(
        s.me(&staff_token).await,
        401,
        "sessions end with the old role"
    );
    // Provider is a role no admin hands out alone: the account awaits a second person.
    s.next_step();
    assert_eq!(s.login(s.credentials(&staff)).await.0, 401);
    let approve = format!("/api/v1/users/{}/approve", staff.id);
    let by_changer = s.reauthenticated(&admin, json!({}));
    assert_eq!(
        s.post(&approve, Some(&admin_token), by_changer).await.0,
        403,
        "not by the admin who gave the role"
    );
    let second = s.add_user("bo.second@example.com", Role::Admin, None).await;
    let second_token = s.token(&second).await;
    let by_second = s.reauthenticated(&second, json!({}));
    assert_eq!(
        s.post(&approve, Some(&second_token), by_second).await.0,
        204
    );
    let (_, me) = s.get("/api/v1/me", Some(&s.token(&staff).await)).await;
    assert_eq!(me["role"], "provider");
    let audit = s.audit().await;
    assert!(
        audit
            .iter()
            .any(|(a, o, _)| a == "user.role_change" && o == "allowed")
    );
    let denied = audit
        .iter()
        .filter(|(a, o, _)| a == "user.role_change" && o == "denied")
        .count();
    assert_eq!(denied, 2);
}

async fn an_address_is_rate_limited_before_any_account_is(pg: bool) {
    let limit = vial_web::LoginRateLimit {
        burst: 3,
        replenish: std::time::Duration::from_secs(3600),
    };
    let s = spawn_with(pg, limit).await;
    let body = json!({"email": "nobody@example.com", "password": "wrong password!"});
    for _ in 0..3 {
        assert_eq!(s.login(body.clone()).await.0, 401);
    }
    let (status, reply) = s.login(body).await;
    assert_eq!(status, 429);
    assert_eq!(reply["error"]["code"], "rate_limited");
    // Other routes are not affected.
    assert_eq!(s.get("/api/v1/health", None).await.0, 200);
}

/// Workforce names are shown to anyone signed in; a patient account's name is PHI and is never
/// handed out that way, to anyone.
async fn only_workforce_names_are_looked_up_by_id(pg: bool) {
    let s = spawn_app(pg).await;
    let staff = s
        .add_user("names.desk@example.com", Role::Staff, None)
        .await;
    let pat = s
        .add_user("names.patient@example.com", Role::Patient, Some("pat_9"))
        .await;
    for asker in [&staff, &pat] {
        let actor = s
            .app
            .authenticate(&s.token(asker).await, None)
            .await
            .unwrap();
        let name = s
            .app
            .workforce_name(&actor, &staff.user_id())
            .await
            .unwrap();
        assert!(!name.is_empty());
        assert!(matches!(
            s.app.workforce_name(&actor, &pat.user_id()).await,
            Err(vial_app::AppError::NotFound(_))
        ));
        assert!(matches!(
            s.app.workforce_name(&actor, &"usr_unknown".into()).await,
            Err(vial_app::AppError::NotFound(_))
        ));
        s.next_step();
    }
}

both_backends!(
    role_changes_need_an_admin_reauthentication_and_never_apply_to_oneself,
    a_recovery_code_replaces_the_totp_once,
    password_change_needs_the_current_one_and_ends_other_sessions,
    an_address_is_rate_limited_before_any_account_is,
    devices_are_listed_and_ended_and_admins_manage_accounts,
    password_and_totp_open_a_session,
    workforce_login_without_a_valid_fresh_totp_is_refused,
    unknown_accounts_and_wrong_passwords_look_the_same,
    repeated_failures_lock_out_even_the_right_password,
    concurrent_failures_are_all_counted_and_lock_the_account,
    logout_idle_absolute_and_revocation_each_end_the_session,
    patients_log_in_without_totp_and_bad_requests_are_refused,
    patient_mfa_is_optional_or_required_by_the_practice,
    sensitive_admin_operations_need_reauthentication,
    only_workforce_names_are_looked_up_by_id,
);

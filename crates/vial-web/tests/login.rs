//! Login, sessions and their ends through the real HTTPS stack, on SQLite and PostgreSQL.
//! Time is a FixedClock: timeouts are tested by moving it, never by sleeping.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use vial_app::Clock;
use vial_app::{
    App, AuditPolicy, DataDir, DatabaseChoice, FixedClock, NewUserInput, Role, SystemClock,
};
use zeroize::Zeroizing;

const PASSWORD: &str = "correct horse battery staple";
const MINUTE: i64 = 60_000;

struct Server {
    _dir: tempfile::TempDir,
    app: App,
    clock: Arc<FixedClock>,
    base: String,
    client: reqwest::Client,
    provider_id: String,
    totp_secret: String,
    patient_user_id: String,
}

async fn spawn(pg: bool) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::new(dir.path().join("data"));
    let database = if pg {
        DatabaseChoice::Postgres {
            url: std::env::var("VIAL_TEST_POSTGRES_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into()),
            schema: Some(format!("vial_test_{}", uuid::Uuid::new_v4().simple())),
        }
    } else {
        DatabaseChoice::Embedded
    };
    data.init(&database, &SystemClock, |d| {
        vial_web::ensure_self_signed(&d.tls_dir())
            .map(|_| ())
            .map_err(|e| e.to_string())
    })
    .await
    .unwrap();
    // Aligned to a TOTP step, well inside it.
    let clock = Arc::new(FixedClock::new(1_800_000_000_000 + 5_000));
    let app = data
        .open_with(
            &database,
            clock.clone(),
            AuditPolicy::default(),
            Arc::new(data.checkpoint_export()),
        )
        .await
        .unwrap();
    let provider = app
        .add_user(user("nia.okafor@example.com", Role::Provider, None), "test")
        .await
        .unwrap();
    let patient = app
        .add_user(
            user("pat.one@example.com", Role::Patient, Some("pat_1")),
            "test",
        )
        .await
        .unwrap();
    let material = vial_web::TlsMaterial::in_dir(&data.tls_dir());
    let (tls, _) = vial_web::server_config(&material).unwrap();
    let (handle, server) = vial_web::serve(
        app.clone(),
        vial_web::ServeOptions {
            listen: "127.0.0.1:0".parse().unwrap(),
            tls,
            shutdown_grace: Duration::from_secs(1),
        },
    );
    tokio::spawn(server);
    let addr = handle.listening().await.unwrap();
    let cert = reqwest::Certificate::from_pem(&std::fs::read(&material.cert).unwrap()).unwrap();
    let client = reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(cert)
        .build()
        .unwrap();
    Server {
        _dir: dir,
        app,
        clock,
        base: format!("https://127.0.0.1:{}", addr.port()),
        client,
        provider_id: provider.user_id,
        totp_secret: provider.totp_secret.unwrap().to_string(),
        patient_user_id: patient.user_id,
    }
}

fn user(email: &str, role: Role, patient: Option<&str>) -> NewUserInput {
    NewUserInput {
        email: email.into(),
        name: "Test Person".into(),
        role,
        password: Zeroizing::new(PASSWORD.into()),
        patient_id: patient.map(str::to_owned),
    }
}

impl Server {
    fn code(&self) -> String {
        let secret = data_encoding::BASE32_NOPAD
            .decode(self.totp_secret.as_bytes())
            .unwrap();
        let totp = totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 0, 30, secret).unwrap();
        totp.generate(u64::try_from(self.clock.now_ms() / 1000).unwrap())
    }

    /// Moves past the current TOTP step, so that a new code exists.
    fn next_step(&self) {
        self.clock.advance_ms(30_000);
    }

    async fn login(&self, body: Value) -> (u16, Value) {
        let r = self
            .client
            .post(format!("{}/api/v1/login", self.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn provider_login(&self) -> String {
        let (status, body) = self
            .login(json!({"email": "nia.okafor@example.com", "password": PASSWORD, "totp": self.code()}))
            .await;
        assert_eq!(status, 200, "{body}");
        body["token"].as_str().unwrap().to_owned()
    }

    async fn me(&self, token: &str) -> u16 {
        self.client
            .get(format!("{}/api/v1/me", self.base))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    async fn audit_actions(&self) -> Vec<(String, String)> {
        let mut tx = self.app.store().begin_read().await.unwrap();
        tx.audit_rows(None, 10_000)
            .await
            .unwrap()
            .into_iter()
            .map(|r| (r.action, r.outcome))
            .collect()
    }
}

async fn password_and_totp_open_a_session(pg: bool) {
    let s = spawn(pg).await;
    let token = s.provider_login().await;
    let me: Value = s
        .client
        .get(format!("{}/api/v1/me", s.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["user_id"], s.provider_id.as_str());
    assert_eq!(me["role"], "provider");
    assert!(
        s.audit_actions()
            .await
            .contains(&("auth.login".into(), "allowed".into()))
    );
}

async fn workforce_login_without_a_valid_fresh_totp_is_refused(pg: bool) {
    let s = spawn(pg).await;
    let (status, _) = s
        .login(json!({"email": "nia.okafor@example.com", "password": PASSWORD}))
        .await;
    assert_eq!(status, 401, "no TOTP");
    let (status, _) = s
        .login(json!({"email": "nia.okafor@example.com", "password": PASSWORD, "totp": "000000"}))
        .await;
    assert_eq!(status, 401, "wrong TOTP");
    s.next_step();
    let code = s.code();
    let body = json!({"email": "nia.okafor@example.com", "password": PASSWORD, "totp": code});
    assert_eq!(s.login(body.clone()).await.0, 200);
    assert_eq!(
        s.login(body).await.0,
        401,
        "a TOTP code is accepted once only"
    );
    let denied = s
        .audit_actions()
        .await
        .iter()
        .filter(|(a, o)| a == "auth.login" && o == "denied")
        .count();
    assert_eq!(denied, 3);
}

async fn unknown_accounts_and_wrong_passwords_look_the_same(pg: bool) {
    let s = spawn(pg).await;
    let unknown = s
        .login(json!({"email": "nobody@example.com", "password": PASSWORD, "totp": s.code()}))
        .await;
    let wrong = s
        .login(json!({"email": "nia.okafor@example.com", "password": "wrong password!", "totp": s.code()}))
        .await;
    assert_eq!(unknown.0, 401);
    assert_eq!(
        unknown, wrong,
        "the response must not reveal whether the account exists"
    );
}

async fn repeated_failures_lock_out_even_the_right_password(pg: bool) {
    let s = spawn(pg).await;
    for _ in 0..5 {
        let (status, _) = s
            .login(json!({"email": "nia.okafor@example.com", "password": "wrong password!", "totp": s.code()}))
            .await;
        assert_eq!(status, 401);
    }
    s.next_step();
    let right = json!({"email": "nia.okafor@example.com", "password": PASSWORD, "totp": s.code()});
    assert_eq!(s.login(right).await.0, 401, "locked");
    s.clock.advance_ms(2 * MINUTE);
    assert_eq!(
        s.provider_login().await.len(),
        43,
        "unlocked after the back-off"
    );
}

async fn logout_idle_absolute_and_revocation_each_end_the_session(pg: bool) {
    let s = spawn(pg).await;
    // Logout.
    let token = s.provider_login().await;
    let r = s
        .client
        .post(format!("{}/api/v1/logout", s.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(s.me(&token).await, 401);

    // Idle timeout: activity keeps the session alive, 15 quiet minutes end it.
    s.next_step();
    let token = s.provider_login().await;
    for _ in 0..4 {
        s.clock.advance_ms(10 * MINUTE);
        assert_eq!(s.me(&token).await, 200);
    }
    s.clock.advance_ms(15 * MINUTE);
    assert_eq!(s.me(&token).await, 401, "idle timeout");
    s.clock.advance_ms(-14 * MINUTE);
    assert_eq!(s.me(&token).await, 401, "an ended session stays ended");

    // Absolute timeout: ends at 12 h however active.
    s.next_step();
    let token = s.provider_login().await;
    for _ in 0..(12 * 6 - 1) {
        s.clock.advance_ms(10 * MINUTE);
        assert_eq!(s.me(&token).await, 200);
    }
    s.clock.advance_ms(10 * MINUTE);
    assert_eq!(s.me(&token).await, 401, "absolute timeout");

    // An admin signs the user out everywhere.
    s.next_step();
    let first = s.provider_login().await;
    s.next_step();
    let second = s.provider_login().await;
    let admin = vial_app::Actor {
        user_id: "usr_admin".into(),
        role: Role::Admin,
        session_id: "ses_admin".into(),
    };
    assert_eq!(
        s.app
            .end_all_sessions(&admin, &s.provider_id)
            .await
            .unwrap(),
        2
    );
    assert_eq!(s.me(&first).await, 401);
    assert_eq!(s.me(&second).await, 401);
    let actions = s.audit_actions().await;
    for action in ["auth.logout", "auth.session_end", "auth.sessions_revoked"] {
        assert!(actions.iter().any(|(a, _)| a == action), "{action} audited");
    }
}

async fn patients_log_in_without_totp_and_bad_requests_are_refused(pg: bool) {
    let s = spawn(pg).await;
    let (status, body) = s
        .login(json!({"email": "pat.one@example.com", "password": PASSWORD}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["role"], "patient");
    assert_eq!(body["user_id"], s.patient_user_id.as_str());
    let r = s
        .client
        .post(format!("{}/api/v1/login", s.base))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let (status, _) = s
        .login(json!({"email": "pat.one@example.com", "password": PASSWORD, "role": "admin"}))
        .await;
    assert_eq!(status, 422, "unknown fields are refused as an invalid shape");
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

macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() { super::$name(false).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() { super::$name(true).await }
        }
    )*};
}

both_backends!(
    password_and_totp_open_a_session,
    workforce_login_without_a_valid_fresh_totp_is_refused,
    unknown_accounts_and_wrong_passwords_look_the_same,
    repeated_failures_lock_out_even_the_right_password,
    logout_idle_absolute_and_revocation_each_end_the_session,
    patients_log_in_without_totp_and_bad_requests_are_refused,
);

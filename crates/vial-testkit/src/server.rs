//! The real server on a random port with a fresh data dir (SQLite) or schema (PostgreSQL), a
//! FixedClock, and a client that trusts its self-signed certificate ([`spawn_app`]), and the
//! test users who sign in to it.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use vial_app::{
    App, AuditPolicy, Clock, DataDir, FixedClock, NewUserInput, Role, System, SystemClock,
};
use zeroize::Zeroizing;

pub const PASSWORD: &str = "correct horse battery staple";
pub const MINUTE: i64 = 60_000;

/// A running server and what it runs on; the server stops with the test's runtime.
#[derive(Debug)]
pub struct Server {
    _dir: tempfile::TempDir,
    pub data_root: PathBuf,
    pub app: App,
    /// The binary's handle, for what the server itself does (bootstrap, maintenance).
    pub system: System,
    pub clock: Arc<FixedClock>,
    pub base: String,
    /// The bound address, for raw TCP and TLS clients.
    pub addr: std::net::SocketAddr,
    pub client: reqwest::Client,
    cert_pem: Vec<u8>,
}

/// A user the test added, with what signing in needs.
#[derive(Debug)]
pub struct TestUser {
    pub id: String,
    pub email: String,
    pub role: Role,
    totp_secret: Option<String>,
    pub recovery_codes: Vec<String>,
}

impl TestUser {
    /// The account's id, typed for calls into the app.
    pub fn user_id(&self) -> vial_app::UserId {
        vial_app::UserId::from(self.id.as_str())
    }
}

/// A server (PostgreSQL if `pg`, else SQLite) whose per-address login limit will not get in the
/// way of a test's logins.
pub async fn spawn_app(pg: bool) -> Server {
    spawn_with(
        pg,
        vial_web::LoginRateLimit {
            burst: 10_000,
            replenish: Duration::from_millis(1),
        },
    )
    .await
}

pub async fn spawn_with(pg: bool, login_rate: vial_web::LoginRateLimit) -> Server {
    spawn_configured(pg, login_rate, vial_app::SessionPolicy::default()).await
}

/// A server with the given session policy (timeouts, lockout, the patient-MFA setting).
pub async fn spawn_with_policy(pg: bool, policy: vial_app::SessionPolicy) -> Server {
    spawn_configured(
        pg,
        vial_web::LoginRateLimit {
            burst: 10_000,
            replenish: Duration::from_millis(1),
        },
        policy,
    )
    .await
}

/// A server whose photos obey `limits` and, if given, live in `blobs` (e.g. S3) instead of the
/// data dir's `blobs/` folder.
pub async fn spawn_with_photos(
    pg: bool,
    limits: vial_app::PhotoLimits,
    blobs: Option<vial_blob::BlobStore>,
) -> Server {
    spawn_full(
        pg,
        vial_web::LoginRateLimit {
            burst: 10_000,
            replenish: Duration::from_millis(1),
        },
        vial_app::SessionPolicy::default(),
        |app| {
            let app = app.with_photo_limits(limits);
            match blobs {
                Some(blobs) => app.with_blob_store(blobs),
                None => app,
            }
        },
    )
    .await
}

async fn spawn_configured(
    pg: bool,
    login_rate: vial_web::LoginRateLimit,
    policy: vial_app::SessionPolicy,
) -> Server {
    spawn_full(pg, login_rate, policy, |app| app).await
}

/// A server with the given connection cap and timeouts, and `configure` applied to the
/// binary's handle (hash limits, say).
pub async fn spawn_tuned(
    pg: bool,
    transport: vial_web::TransportLimits,
    configure: impl FnOnce(System) -> System,
) -> Server {
    spawn_inner(
        pg,
        vial_web::LoginRateLimit {
            burst: 10_000,
            replenish: Duration::from_millis(1),
        },
        vial_app::SessionPolicy::default(),
        transport,
        configure,
    )
    .await
}

async fn spawn_full(
    pg: bool,
    login_rate: vial_web::LoginRateLimit,
    policy: vial_app::SessionPolicy,
    configure: impl FnOnce(System) -> System,
) -> Server {
    let transport = vial_web::TransportLimits::default();
    spawn_inner(pg, login_rate, policy, transport, configure).await
}

async fn spawn_inner(
    pg: bool,
    login_rate: vial_web::LoginRateLimit,
    policy: vial_app::SessionPolicy,
    transport: vial_web::TransportLimits,
    configure: impl FnOnce(System) -> System,
) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::new(dir.path().join("data"));
    let database = crate::database(pg);
    data.init(&database, &SystemClock, |d| {
        vial_web::ensure_self_signed(&d.tls_dir())
            .map(|_| ())
            .map_err(|e| e.to_string())
    })
    .await
    .unwrap();
    // Inside a TOTP step, so that codes made here are valid when the server checks them.
    let clock = Arc::new(FixedClock::new(1_800_000_000_000 + 5_000));
    let system = data
        .open_with(
            &database,
            clock.clone(),
            AuditPolicy::default(),
            Arc::new(data.checkpoint_export()),
        )
        .await
        .unwrap()
        .with_session_policy(policy);
    let system = configure(system);
    let app = system.app().clone();
    let material = vial_web::TlsMaterial::in_dir(&data.tls_dir());
    let (tls, _) = vial_web::server_config(&material).unwrap();
    let (handle, server) = vial_web::serve(
        app.clone(),
        vial_web::ServeOptions {
            listen: "127.0.0.1:0".parse().unwrap(),
            tls,
            shutdown_grace: Duration::from_secs(1),
            login_rate,
            transport,
        },
    );
    tokio::spawn(server);
    let addr = handle.listening().await.unwrap();
    let cert_pem = std::fs::read(&material.cert).unwrap();
    let cert = reqwest::Certificate::from_pem(&cert_pem).unwrap();
    let client = reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(cert)
        .build()
        .unwrap();
    Server {
        data_root: data.root().to_path_buf(),
        _dir: dir,
        app,
        system,
        clock,
        base: format!("https://127.0.0.1:{}", addr.port()),
        addr,
        client,
        cert_pem,
    }
}

impl TestUser {
    /// A user known only by email and the TOTP secret shown on an enrolment page.
    pub fn with_secret(email: &str, role: Role, secret: &str) -> Self {
        Self {
            id: String::new(),
            email: email.into(),
            role,
            totp_secret: Some(secret.into()),
            recovery_codes: Vec::new(),
        }
    }
}

impl Server {
    /// A client like a browser's first request: no redirects followed, no cookies kept.
    pub fn page_client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .tls_built_in_root_certs(false)
            .add_root_certificate(reqwest::Certificate::from_pem(&self.cert_pem).unwrap())
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    /// A raw TLS connection to the server offering `alpn` (e.g. `b"h2"`), trusting only its
    /// certificate; for tests that speak bytes, not requests.
    pub async fn tls_connect(
        &self,
        alpn: &[u8],
    ) -> std::io::Result<tokio_rustls::client::TlsStream<tokio::net::TcpStream>> {
        let tcp = tokio::net::TcpStream::connect(self.addr).await?;
        self.tls_over(tcp, alpn).await
    }

    /// The TLS handshake over a TCP connection the test already opened.
    pub async fn tls_over(
        &self,
        tcp: tokio::net::TcpStream,
        alpn: &[u8],
    ) -> std::io::Result<tokio_rustls::client::TlsStream<tokio::net::TcpStream>> {
        use rustls::pki_types::pem::PemObject;
        let mut roots = rustls::RootCertStore::empty();
        let cert = rustls::pki_types::CertificateDer::from_pem_slice(&self.cert_pem).unwrap();
        roots.add(cert).unwrap();
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = vec![alpn.to_vec()];
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
        connector.connect(name, tcp).await
    }

    pub fn totp_secret(&self, user: &TestUser) -> Option<String> {
        user.totp_secret.clone()
    }

    pub async fn add_user(&self, email: &str, role: Role, patient: Option<&str>) -> TestUser {
        let added = self
            .system
            .add_user(
                NewUserInput {
                    email: email.into(),
                    name: "Test Person".into(),
                    role,
                    password: Zeroizing::new(PASSWORD.into()),
                    patient_id: patient.map(vial_app::PatientId::from),
                },
                "test",
            )
            .await
            .unwrap();
        TestUser {
            id: added.user_id.into_string(),
            email: email.into(),
            role,
            totp_secret: added.totp_secret.map(|s| s.to_string()),
            recovery_codes: added.recovery_codes.iter().map(|c| c.to_string()).collect(),
        }
    }

    /// The path of a fresh one-time link for the invited account with `email`, as the operator's
    /// `vial user invitation` prints it (the path part).
    pub async fn invitation_path(&self, email: &str) -> String {
        let link = self
            .system
            .issue_invitation(email, "system:cli")
            .await
            .unwrap();
        format!("/invitation/{}", link.token.as_str())
    }

    /// The current TOTP code for a base32 `secret` (one read off an enrolment page).
    pub fn code_for(&self, secret: &str) -> String {
        let secret = data_encoding::BASE32_NOPAD
            .decode(secret.as_bytes())
            .unwrap();
        let totp = totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 0, 30, secret).unwrap();
        totp.generate(u64::try_from(self.clock.now_ms() / 1000).unwrap())
    }

    /// The user's TOTP code for the clock's current time.
    pub fn code(&self, user: &TestUser) -> String {
        self.code_for(user.totp_secret.as_ref().unwrap())
    }

    /// `body` with `user`'s password and a fresh code as `password` and `totp`, for a request
    /// that asks for re-authentication.
    pub fn reauthenticated(&self, user: &TestUser, mut body: Value) -> Value {
        body["password"] = json!(PASSWORD);
        if user.totp_secret.is_some() {
            self.next_step();
            body["totp"] = json!(self.code(user));
        }
        body
    }

    /// Moves past the current TOTP step, so that a new code exists.
    pub fn next_step(&self) {
        self.clock.advance_ms(30_000);
    }

    pub async fn login(&self, body: Value) -> (u16, Value) {
        self.post("/api/v1/login", None, body).await
    }

    pub fn credentials(&self, user: &TestUser) -> Value {
        match user.totp_secret {
            Some(_) => json!({"email": user.email, "password": PASSWORD, "totp": self.code(user)}),
            None => json!({"email": user.email, "password": PASSWORD}),
        }
    }

    /// A fresh session token for `user` (with a fresh TOTP code).
    pub async fn token(&self, user: &TestUser) -> String {
        self.next_step();
        let (status, body) = self.login(self.credentials(user)).await;
        assert_eq!(status, 200, "{body}");
        body["token"].as_str().unwrap().to_owned()
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        let mut r = self.client.get(format!("{}{path}", self.base));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        let r = r.send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
        let mut r = self.client.post(format!("{}{path}", self.base)).json(&body);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        let r = r.send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn put(&self, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
        let mut r = self.client.put(format!("{}{path}", self.base)).json(&body);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        let r = r.send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn me(&self, token: &str) -> u16 {
        self.get("/api/v1/me", Some(token)).await.0
    }

    /// `(action, outcome, patient_id)` of every audit entry, in order.
    pub async fn audit(&self) -> Vec<(String, String, Option<String>)> {
        let mut tx = self.app.store().begin_read().await.unwrap();
        tx.audit_rows(None, 100_000)
            .await
            .unwrap()
            .into_iter()
            .map(|r| (r.action, r.outcome, r.patient_id))
            .collect()
    }
}

//! The load tools' common set-up: a real server on a fresh data directory (SQLite, or a fresh
//! schema in the PostgreSQL at `postgres_url`), a provider who registered one patient (so is on
//! the care team), and an HTTPS client signed in as that provider.

use std::sync::Arc;
use std::time::Duration;

use vial_app::{
    Actor, AuditPolicy, DataDir, DatabaseChoice, NewPatient, NewUserInput, PatientId, Role,
    SystemClock,
};
use zeroize::Zeroizing;

/// Connections the client keeps open at most.
pub const CONNECTIONS: usize = 64;

pub struct LoadServer {
    /// The data directory lives as long as the server.
    pub _dir: tempfile::TempDir,
    pub system: vial_app::System,
    pub actor: Actor,
    pub patient: PatientId,
    pub client: reqwest::Client,
    pub token: String,
    pub addr: std::net::SocketAddr,
}

pub async fn start(postgres_url: Option<&String>) -> LoadServer {
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::new(dir.path().join("data"));
    let database = match postgres_url {
        Some(url) => DatabaseChoice::Postgres {
            url: url.clone(),
            schema: Some(format!("vial_load_{}", uuid::Uuid::new_v4().simple())),
            ca: None,
        },
        None => DatabaseChoice::Embedded,
    };
    data.init(&database, &SystemClock, |d| {
        vial_web::ensure_self_signed(&d.tls_dir())
            .map(|_| ())
            .map_err(|e| e.to_string())
    })
    .await
    .unwrap();
    let system = data
        .open_with(
            &database,
            Arc::new(SystemClock),
            AuditPolicy::default(),
            Arc::new(data.checkpoint_export()),
        )
        .await
        .unwrap();

    // A patient registered by a provider (so the provider is on the care team), read back.
    let provider = system
        .add_user(
            NewUserInput {
                email: "load.provider@example.com".into(),
                name: "Load Provider".into(),
                role: Role::Provider,
                password: Zeroizing::new("a load-test passphrase".into()),
                patient_id: None,
            },
            "load",
        )
        .await
        .unwrap();
    let actor = Actor {
        user_id: provider.user_id.clone(),
        role: Role::Provider,
        session_id: "ses_setup".into(),
    };
    let patient = system
        .app()
        .create_patient(
            &actor,
            NewPatient {
                given: "Load".into(),
                family: "Patient".into(),
                dob: "1980-01-01".into(),
                phone: Some("555-0100".into()),
                email: None,
            },
        )
        .await
        .unwrap();

    let material = vial_web::TlsMaterial::in_dir(&data.tls_dir());
    let (tls, _) = vial_web::server_config(&material).unwrap();
    let (handle, server) = vial_web::serve(
        system.app().clone(),
        vial_web::ServeOptions {
            listen: "127.0.0.1:0".parse().unwrap(),
            tls,
            shutdown_grace: Duration::from_secs(1),
            login_rate: vial_web::LoginRateLimit::default(),
            transport: vial_web::TransportLimits::default(),
        },
    );
    tokio::spawn(server);
    let addr = handle.listening().await.unwrap();
    let cert = reqwest::Certificate::from_pem(&std::fs::read(&material.cert).unwrap()).unwrap();
    let client = reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(cert)
        .http1_only()
        .pool_max_idle_per_host(CONNECTIONS)
        .build()
        .unwrap();

    let secret = data_encoding::BASE32_NOPAD
        .decode(provider.totp_secret.unwrap().as_bytes())
        .unwrap();
    let totp = totp_rs::TOTP::new(totp_rs::Algorithm::SHA1, 6, 1, 30, secret).unwrap();
    let login: serde_json::Value = client
        .post(format!("https://127.0.0.1:{}/api/v1/login", addr.port()))
        .json(&serde_json::json!({
            "email": "load.provider@example.com",
            "password": "a load-test passphrase",
            "totp": totp.generate_current().unwrap(),
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["token"].as_str().unwrap().to_owned();
    LoadServer {
        _dir: dir,
        system,
        actor,
        patient,
        client,
        token,
        addr,
    }
}

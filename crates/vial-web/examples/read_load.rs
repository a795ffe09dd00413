//! Load tool: authenticated, authorized, decrypted and audited `GET /api/v1/patients/{id}` over
//! HTTPS with keep-alive from 64 connections; every response's audit entry is durable before
//! the response is sent. Prints requests per second and latency percentiles.
//!
//! `cargo run --release -p vial-web --example read_load -- [SECONDS] [POSTGRES_URL]` loads the
//! server from this process (reqwest). With `--serve` instead of SECONDS it only sets up the
//! server, prints `URL TOKEN` and waits for Ctrl-C, so that an external load tool whose own
//! cost is lower measures it, e.g.
//! `wrk -t2 -c64 -d10s --latency -H "Authorization: Bearer $TOKEN" $URL`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // a tool: fail loudly, print figures

use std::sync::Arc;
use std::time::{Duration, Instant};

use vial_app::{
    Actor, AuditPolicy, DataDir, DatabaseChoice, NewPatient, NewUserInput, Role, SystemClock,
};
use zeroize::Zeroizing;

const CONNECTIONS: usize = 64;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let serve_only = args.get(1).is_some_and(|a| a == "--serve");
    let seconds: u64 = if serve_only {
        0
    } else {
        args.get(1).map_or(10, |s| s.parse().unwrap())
    };
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::new(dir.path().join("data"));
    let database = match args.get(2) {
        Some(url) => DatabaseChoice::Postgres {
            url: url.clone(),
            schema: Some(format!("vial_load_{}", uuid::Uuid::new_v4().simple())),
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
    let url = format!(
        "https://127.0.0.1:{}/api/v1/patients/{patient}",
        addr.port()
    );
    if serve_only {
        println!("{url} {token}");
        tokio::signal::ctrl_c().await.unwrap();
        return;
    }

    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for _ in 0..CONNECTIONS {
        let (client, url, token) = (client.clone(), url.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let t = Instant::now();
                let r = client.get(&url).bearer_auth(&token).send().await.unwrap();
                assert_eq!(r.status(), 200);
                let _ = r.bytes().await.unwrap();
                latencies.push(t.elapsed());
            }
            latencies
        }));
    }
    let started = Instant::now();
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await.unwrap());
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 - 1.0) * p) as usize];
    println!(
        "backend={} connections={CONNECTIONS} requests={} seconds={elapsed:.1} req_per_s={:.0} p50={:?} p99={:?}",
        if args.get(2).is_some() {
            "postgres"
        } else {
            "sqlite"
        },
        latencies.len(),
        latencies.len() as f64 / elapsed,
        pct(0.5),
        pct(0.99),
    );
}

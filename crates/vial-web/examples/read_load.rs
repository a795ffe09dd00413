//! Load tool: authenticated, authorized, decrypted and audited `GET /api/v1/patients/{id}` over
//! HTTPS with keep-alive from 64 connections; every response's audit entry is durable before
//! the response is sent. Prints requests per second and latency percentiles.
//!
//! `cargo run --release -p vial-web --example read_load -- [SECONDS] [POSTGRES_URL]` loads the
//! server from this process (reqwest). With `--serve` instead of SECONDS it only sets up the
//! server, prints `URL TOKEN` and waits for Ctrl-C, so that an external load tool whose own
//! cost is lower measures it, e.g.
//! `wrk -t2 -c64 -d10s --latency -H "Authorization: Bearer $TOKEN" $URL`.
//!
//! With `chart` instead of SECONDS it seeds one patient's chart (history, treatments, signed
//! notes, consents, appointments, photos) and loads the chart page 200 times, one after another
//! with the session cookie, printing the server time's p50 and p95 as the browser sees it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // a tool: fail loudly, print figures

use std::time::{Duration, Instant};

use vial_app::{Actor, NewUserInput, Role};
use zeroize::Zeroizing;

#[path = "support/load_server.rs"]
mod load_server;

use load_server::{CONNECTIONS, LoadServer};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let serve_only = args.get(1).is_some_and(|a| a == "--serve");
    let chart_only = args.get(1).is_some_and(|a| a == "chart");
    let seconds: u64 = if serve_only || chart_only {
        0
    } else {
        args.get(1).map_or(10, |s| s.parse().unwrap())
    };
    let LoadServer {
        _dir,
        system,
        actor,
        patient,
        client,
        token,
        addr,
    } = load_server::start(args.get(2)).await;
    let url = format!(
        "https://127.0.0.1:{}/api/v1/patients/{patient}",
        addr.port()
    );
    if chart_only {
        seed_chart(&system, &actor, &patient).await;
        let chart = format!("https://127.0.0.1:{}/patients/{patient}/chart", addr.port());
        load_chart(&client, &chart, &token, args.get(2).is_some()).await;
        return;
    }
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

/// A chart as a busy patient's looks after a year: history, treatments and their signed notes,
/// two consents, appointments and photos.
async fn seed_chart(system: &vial_app::System, provider: &Actor, patient: &vial_app::PatientId) {
    let admin = system
        .add_user(
            NewUserInput {
                email: "load.owner@example.com".into(),
                name: "Load Owner".into(),
                role: Role::Admin,
                password: Zeroizing::new("a load-test passphrase".into()),
                patient_id: None,
            },
            "load",
        )
        .await
        .unwrap();
    let admin = Actor {
        user_id: admin.user_id,
        role: Role::Admin,
        session_id: "ses_setup".into(),
    };
    for kind in ["treatment", "photography"] {
        let form = serde_json::json!({"kind": kind, "version": "v1", "text": "I consent."});
        system
            .publish_consent_form(&admin, serde_json::from_value(form).unwrap())
            .await
            .unwrap();
        let signed = serde_json::json!({"kind": kind, "form_version": "v1",
            "signature": {"type": "typed", "name": "Load Patient"}});
        system
            .sign_consent(provider, patient, serde_json::from_value(signed).unwrap())
            .await
            .unwrap();
    }
    let history = serde_json::json!({"allergies": ["lidocaine"], "medications": ["aspirin 81 mg"],
        "pregnant_or_breastfeeding": false, "autoimmune_disease": false, "keloid_history": false,
        "prior_filler_complication": false, "prior_neurotoxin_complication": false,
        "anticoagulants": true, "active_infection_at_site": false});
    system
        .put_history(provider, patient, serde_json::from_value(history).unwrap())
        .await
        .unwrap();
    let lot = serde_json::json!({"product": "botox_100", "lot": "C5123A", "expiry": "2030-01-31",
        "quantity": 400});
    system
        .receive_lot(provider, serde_json::from_value(lot).unwrap())
        .await
        .unwrap();
    for month in 1..=8 {
        let treatment = serde_json::json!({"date": format!("2026-{month:02}-15"), "body": {
            "type": "neurotoxin", "product": "botox_100", "dilution_ml": 2.5, "lot": "C5123A",
            "expiry": "2030-01-31", "points": [
                {"site": "glabella_procerus", "units": 4, "x": 0.5, "y": 0.3},
                {"site": "corrugator_l", "units": 4, "x": 0.57, "y": 0.29},
                {"site": "corrugator_r", "units": 4, "x": 0.43, "y": 0.29},
                {"site": "frontalis_c", "units": 6, "x": 0.5, "y": 0.18}]}});
        system
            .chart_treatment(
                provider,
                patient,
                serde_json::from_value(treatment).unwrap(),
            )
            .await
            .unwrap();
        let note = system
            .create_document(
                provider,
                patient,
                vial_app::DocumentKind::Note,
                serde_json::json!({"subjective": "Wants softer frown lines.",
                    "objective": "Moderate dynamic glabellar lines.",
                    "assessment": "Suitable for neurotoxin.",
                    "plan": "Treated as charted; review in two weeks."}),
            )
            .await
            .unwrap();
        system.sign_document(provider, &note).await.unwrap();
    }
    let clinic = system.add_location(&admin, "Load clinic").await.unwrap();
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    for day in 1..=4 {
        let start = (now_ms / 3_600_000 + 24 * day) * 3_600_000;
        let booking = serde_json::json!({"start_ms": start, "end_ms": start + 1_800_000,
            "service": "follow_up", "location": {"type": "clinic", "clinic_id": clinic}});
        system
            .book_appointment(
                provider,
                patient,
                &provider.user_id,
                serde_json::from_value(booking).unwrap(),
            )
            .await
            .unwrap();
    }
    for (view, seed) in [("front", 1), ("left_45", 2), ("right_45", 3)] {
        let image = vial_testkit::images::scene(640, 480, 8, seed);
        system
            .capture_photo(
                provider,
                patient,
                vial_app::PhotoUpload {
                    view: view.into(),
                    body_area: "face".into(),
                    treatment_id: None,
                    phase: None,
                    bytes: vial_testkit::images::jpeg(&image, 85),
                },
            )
            .await
            .unwrap();
    }
}

/// Loads the chart page 200 times after 20 to warm up, one at a time; prints p50 and p95.
async fn load_chart(client: &reqwest::Client, url: &str, token: &str, postgres: bool) {
    let cookie = format!("__Host-vial-session={token}");
    let mut latencies = Vec::new();
    for round in 0..220 {
        let t = Instant::now();
        let r = client
            .get(url)
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let body = r.text().await.unwrap();
        assert!(
            body.contains("C5123A"),
            "the chart shows the seeded treatments"
        );
        if round >= 20 {
            latencies.push(t.elapsed());
        }
    }
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 - 1.0) * p) as usize];
    println!(
        "chart backend={} loads={} p50={:?} p95={:?}",
        if postgres { "postgres" } else { "sqlite" },
        latencies.len(),
        pct(0.5),
        pct(0.95),
    );
}

//! Load tool for secure messaging: 64 concurrent senders posting messages (sealed, audited,
//! durable before the answer) over HTTPS, then the first page (50 threads) of an inbox holding
//! 10,000 threads, read one after another, beside `/api/v1/health` as the same run's yardstick.
//!
//! `cargo run --release -p vial-web --example message_load -- [SECONDS] [POSTGRES_URL]`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // a tool: fail loudly, print figures

use std::time::{Duration, Instant};

use vial_app::NewThread;
use vial_clinical::FreeText;

const THREADS: usize = 10_000;

#[path = "support/load_server.rs"]
mod load_server;

use load_server::{CONNECTIONS, LoadServer};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let seconds: u64 = args.get(1).map_or(10, |s| s.parse().unwrap());
    let LoadServer {
        _dir,
        system,
        actor,
        patient,
        client,
        token,
        addr,
    } = load_server::start(args.get(2)).await;
    let base = format!("https://127.0.0.1:{}", addr.port());

    // 10,000 open threads about the provider's patient.
    let seeding = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..CONNECTIONS {
        let (app, actor, patient) = (system.app().clone(), actor.clone(), patient.clone());
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for i in (worker..THREADS).step_by(CONNECTIONS) {
                let start = NewThread {
                    reason: "post_treatment_concern".into(),
                    subject: Some(FreeText::from(format!("Follow-up {i}"))),
                    body: FreeText::from("How are you feeling after the treatment?"),
                    urgent: i % 97 == 0,
                    ..NewThread::default()
                };
                ids.push(app.start_thread(&actor, &patient, start).await.unwrap().id);
            }
            ids
        }));
    }
    let mut threads = Vec::new();
    for t in tasks {
        threads.extend(t.await.unwrap());
    }
    println!(
        "seeded threads={} seconds={:.1}",
        threads.len(),
        seeding.elapsed().as_secs_f64()
    );

    // 64 senders, each on a thread of its own.
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for thread in threads.iter().take(CONNECTIONS) {
        let url = format!("{base}/api/v1/threads/{thread}/messages");
        let (client, token) = (client.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let t = Instant::now();
                let r = client
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&serde_json::json!({"body": "Ice for ten minutes, twice a day."}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 201);
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
    let backend = if args.get(2).is_some() {
        "postgres"
    } else {
        "sqlite"
    };
    let (p50, p99) = percentiles(&mut latencies);
    println!(
        "backend={backend} post_message senders={CONNECTIONS} messages={} seconds={elapsed:.1} \
         msgs_per_s={:.0} p50={p50:?} p99={p99:?}",
        latencies.len(),
        latencies.len() as f64 / elapsed,
    );

    // The inbox's first page, then the yardstick, one request at a time.
    for (name, url) in [
        (
            "inbox_first_page",
            format!("{base}/api/v1/threads?box=unassigned"),
        ),
        ("health", format!("{base}/api/v1/health")),
    ] {
        let mut latencies = Vec::new();
        for round in 0..220 {
            let t = Instant::now();
            let r = client.get(&url).bearer_auth(&token).send().await.unwrap();
            assert_eq!(r.status(), 200);
            let body = r.bytes().await.unwrap();
            if round == 0 && name == "inbox_first_page" {
                let page: serde_json::Value = serde_json::from_slice(&body).unwrap();
                assert_eq!(page["threads"].as_array().unwrap().len(), 50);
            }
            if round >= 20 {
                latencies.push(t.elapsed());
            }
        }
        let (p50, p99) = percentiles(&mut latencies);
        println!("backend={backend} {name} requests=200 p50={p50:?} p99={p99:?}");
    }
}

fn percentiles(latencies: &mut [Duration]) -> (Duration, Duration) {
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 - 1.0) * p) as usize];
    (pct(0.5), pct(0.99))
}

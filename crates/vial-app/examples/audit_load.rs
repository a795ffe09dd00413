//! Load tool: durable audit appends from many concurrent appenders, then a full verification.
//!
//! `cargo run --release -p vial-app --example audit_load -- DATA_DIR ENTRIES APPENDERS [POSTGRES_URL]`
//! prints appends per second (each acknowledged only once committed to disk) and the
//! verification rate.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // a tool: fail loudly, print figures

use std::sync::Arc;
use std::time::Instant;

use vial_app::{AuditEvent, AuditPolicy, DataDir, DatabaseChoice, SystemClock};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        eprintln!("usage: audit_load DATA_DIR ENTRIES APPENDERS [POSTGRES_URL]");
        std::process::exit(2);
    }
    let data = DataDir::new(&args[1]);
    let entries: u64 = args[2].parse().expect("ENTRIES");
    let appenders: u64 = args[3].parse().expect("APPENDERS");
    let database = match args.get(4) {
        Some(url) => DatabaseChoice::Postgres {
            url: url.clone(),
            schema: Some(format!("vial_load_{}", uuid::Uuid::new_v4().simple())),
            ca: None,
        },
        None => DatabaseChoice::Embedded,
    };
    if !data.is_initialized() {
        data.init(&database, &SystemClock, |_| Ok(()))
            .await
            .unwrap();
    }
    let app = data
        .open_with(
            &database,
            Arc::new(SystemClock),
            AuditPolicy::default(),
            Arc::new(data.checkpoint_export()),
        )
        .await
        .unwrap();

    let started = Instant::now();
    let mut tasks = Vec::new();
    for a in 0..appenders {
        let app = app.clone();
        let share = entries / appenders + u64::from(a < entries % appenders);
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(share as usize);
            for i in 0..share {
                let t = Instant::now();
                app.record(
                    AuditEvent::new("patient.read")
                        .actor(&"usr_0123456789abcdef".into(), Some("provider"))
                        .resource("patient", format!("pat_{a}_{i}"))
                        .patient(&format!("pat_{a}_{i}").into())
                        .purpose("treatment"),
                )
                .await
                .unwrap();
                latencies.push(t.elapsed());
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await.unwrap());
    }
    let seconds = started.elapsed().as_secs_f64();
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 - 1.0) * p) as usize];
    println!(
        "backend={} appenders={appenders} entries={entries} seconds={seconds:.2} \
         appends_per_s={:.0} p50={:?} p99={:?}",
        if args.get(4).is_some() {
            "postgres"
        } else {
            "sqlite"
        },
        entries as f64 / seconds,
        pct(0.50),
        pct(0.99),
    );
    app.checkpoint_now().await.unwrap();
    let report = app.verify_audit(&data.checkpoint_export()).await.unwrap();
    println!(
        "verify entries={} seconds={:.2} entries_per_s={:.0}",
        report.entries, report.seconds, report.entries_per_second
    );
}

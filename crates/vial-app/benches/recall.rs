//! Lot recall over 50,000 treatments (10,000 patients × 5) on SQLite, through the gateway:
//! every patient decided and recorded, names opened, and for the provider each treatment's date
//! and product. Target: < 200 ms.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark fails loudly

use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use vial_app::{DataDir, DatabaseChoice, NewPatient, SystemClock};
use vial_store::InventoryLotRow;

use vial_testkit::clinic;

const PATIENTS: usize = 10_000;
const PER_PATIENT: usize = 5;
const LOT: &str = "RECALL-2027";
const WRITERS: usize = 64;

fn recall(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::new(dir.path().join("data"));
    let (app, provider, admin) = rt.block_on(async {
        data.init(&DatabaseChoice::Embedded, &SystemClock, |_| Ok(()))
            .await
            .unwrap();
        let app = data
            .open(&DatabaseChoice::Embedded, Arc::new(SystemClock))
            .await
            .unwrap();
        let (provider, admin) = clinic::staff(&app, "bench").await;
        // Stock large enough for every treatment (the API caps one receipt; the bench does not).
        app.products(&provider).await.unwrap();
        let mut tx = app.store().begin().await.unwrap();
        tx.insert_inventory_lot(&InventoryLotRow {
            id: "lot_bench".into(),
            product_code: "botox_100".into(),
            lot: LOT.into(),
            expiry: "2099-12-31".into(),
            received: 1_000_000_000,
            remaining: 1_000_000_000,
            received_at_ms: 0,
        })
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let today = time::OffsetDateTime::now_utc().date();
        let date = format!(
            "{:04}-{:02}-{:02}",
            today.year(),
            u8::from(today.month()),
            today.day()
        );
        let treatment: vial_clinical::TreatmentInput = serde_json::from_value(serde_json::json!({
            "date": date,
            "body": {"type": "neurotoxin", "product": "botox_100", "dilution_ml": 2.5, "lot": LOT,
                     "expiry": "2099-12-31",
                     "points": [{"site": "glabella_procerus", "units": 4.0, "x": 0.5, "y": 0.3}]}
        }))
        .unwrap();
        let mut tasks = Vec::new();
        for w in 0..WRITERS {
            let (app, provider, treatment) = (app.clone(), provider.clone(), treatment.clone());
            tasks.push(tokio::spawn(async move {
                for i in (w..PATIENTS).step_by(WRITERS) {
                    let id = app
                        .create_patient(
                            &provider,
                            NewPatient {
                                given: format!("Given{i}"),
                                family: format!("Family{i}"),
                                dob: "1980-01-01".into(),
                                phone: Some(format!("555{i:07}")),
                                email: None,
                            },
                        )
                        .await
                        .unwrap();
                    for _ in 0..PER_PATIENT {
                        app.chart_treatment(&provider, &id, treatment.clone())
                            .await
                            .unwrap();
                    }
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        (app, provider, admin)
    });
    let total = (PATIENTS * PER_PATIENT) as u64;
    let mut group = c.benchmark_group("lot_recall_sqlite");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Elements(total));
    group.bench_function("provider_50k_treatments", |b| {
        b.iter(|| {
            let found = rt.block_on(app.recall_lot(&provider, LOT)).unwrap();
            assert_eq!(found.len() as u64, total);
        })
    });
    group.bench_function("admin_50k_treatments", |b| {
        b.iter(|| {
            let found = rt.block_on(app.recall_lot(&admin, LOT)).unwrap();
            assert_eq!(found.len() as u64, total);
        })
    });
    group.finish();
}

criterion_group!(benches, recall);
criterion_main!(benches);

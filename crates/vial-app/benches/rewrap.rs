//! Re-wrapping 100,000 stored data keys on SQLite after a rotation (target: < 5 s).
#![allow(clippy::unwrap_used)] // a benchmark fails loudly

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use vial_app::{DataDir, DatabaseChoice, RotationPolicy, SystemClock};
use vial_crypto::DataKey;
use vial_store::StoredDek;

const DEKS: u64 = 100_000;

fn rewrap(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::new(dir.path().join("data"));
    let app = rt.block_on(async {
        data.init(&DatabaseChoice::Embedded, &SystemClock, |_| Ok(()))
            .await
            .unwrap();
        let app = data
            .open(&DatabaseChoice::Embedded, Arc::new(SystemClock))
            .await
            .unwrap();
        let ring = app.keys().ring();
        let mut tx = app.store().begin().await.unwrap();
        for i in 0..DEKS {
            let key = DataKey::generate().unwrap();
            let wrapped = ring.wrap(&key).unwrap();
            tx.insert_dek(&StoredDek {
                id: *key.id().as_bytes(),
                owner: format!("pat_{i:08}"),
                kek_version: wrapped.kek_version(),
                wrapped: wrapped.as_bytes().to_vec(),
                created_at_ms: 0,
            })
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
        app
    });
    let policy = RotationPolicy::default();
    let mut group = c.benchmark_group("rewrap_sqlite");
    group.sample_size(10);
    group.warm_up_time(Duration::from_millis(1));
    group.measurement_time(Duration::from_secs(20));
    group.throughput(Throughput::Elements(DEKS));
    group.bench_function("100k_deks_after_rotation", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                // Each rotation makes every stored DEK stale again; only the re-wrap is timed.
                rt.block_on(app.rotate_keys("bench")).unwrap();
                let start = Instant::now();
                let report = rt.block_on(app.rewrap_all(&policy, |_| {})).unwrap();
                total += start.elapsed();
                assert_eq!(report.rewrapped, DEKS);
            }
            total
        })
    });
    group.finish();
}

criterion_group!(benches, rewrap);
criterion_main!(benches);

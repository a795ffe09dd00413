//! The shared storage scenarios on a real SQLite file.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::sync::Arc;

use vial_store::Store;
use vial_store_sqlite::SqliteStore;

async fn fresh() -> Arc<dyn Store> {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("vial.db"))
        .await
        .unwrap();
    // The directory must outlive the test; leaking one temp dir per test is fine.
    std::mem::forget(dir);
    Arc::new(store)
}

vial_store::scenario_tests!(fresh);

/// The access report's query is answered from the patient index, one probe per bucket, not by a
/// scan of the log (SQLite uses an expression index only when the query spells the expression
/// the same way, and only while the id is not propagated into it as a constant).
#[tokio::test]
async fn access_report_uses_the_patient_key_index() {
    use sqlx::{Connection as _, Row as _};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vial.db");
    drop(SqliteStore::open(&path).await.unwrap());
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let plan: Vec<String> = sqlx::query(&format!(
        "EXPLAIN QUERY PLAN {}",
        vial_store_sqlite::AUDIT_FOR_PATIENT_SQL
    ))
    .bind("pat_0123456789abcdef0123456789abcdef")
    .bind(100_i64)
    .fetch_all(&mut conn)
    .await
    .unwrap()
    .iter()
    .map(|row| row.get::<String, _>("detail"))
    .collect();
    assert!(
        plan.iter()
            .any(|step| step == "SEARCH a USING INDEX audit_by_patient_key (<expr>=? AND <expr>=?)"),
        "{plan:?}"
    );
    assert!(
        !plan.iter().any(|step| step.starts_with("SCAN a")),
        "{plan:?}"
    );
}

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

/// Codes fail closed both ways: the schema refuses a role the code does not know, and a stored
/// state no enum knows reads back as corruption, never as a default.
#[tokio::test]
async fn unknown_codes_fail_closed() {
    use sqlx::Connection as _;
    use vial_core::RecordId;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vial.db");
    let store = SqliteStore::open(&path).await.unwrap();
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let superuser = sqlx::query(
        "INSERT INTO users (id, role, email_bidx, email_enc, name_enc, password_hash, \
         created_at_ms) VALUES ('u1', 'superuser', ?, x'00', x'00', 'h', 1)",
    )
    .bind(vec![0u8; 32])
    .execute(&mut conn)
    .await;
    assert!(superuser.is_err(), "the schema accepted an unknown role");
    // An older schema without the CHECK: the row is stored, and reading it is refused.
    sqlx::query("PRAGMA ignore_check_constraints = ON")
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO patients (id, given_enc, family_enc, dob_enc, family_bidx, dob_bidx, \
         created_at_ms) VALUES ('p1', x'00', x'00', x'00', x'00', x'00', 1)",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO clinical_records (id, patient_id, kind, author_id, state, body_enc, \
         version, created_at_ms, updated_at_ms) \
         VALUES ('r1', 'p1', 'soap_note', 'u1', 'archived', x'00', 1, 1, 1)",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let mut read = store.begin_read().await.unwrap();
    let err = read
        .record_by_id(&RecordId::from("r1"))
        .await
        .expect_err("an unknown state was read as a known one");
    assert!(
        matches!(err, vial_store::StoreError::Corrupt(ref m) if m == "unknown code in state"),
        "{err}"
    );
}

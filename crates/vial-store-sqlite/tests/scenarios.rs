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

//! The shared storage scenarios on a real PostgreSQL server, each in a fresh schema.
//!
//! The server is `VIAL_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`).
//! An unreachable server fails these tests: they are never skipped.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::sync::Arc;

use vial_store::Store;
use vial_store_postgres::PgStore;

async fn fresh() -> Arc<dyn Store> {
    let url = std::env::var("VIAL_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let schema = format!("vial_test_{}", uuid::Uuid::new_v4().simple());
    let store = PgStore::connect_url_in_schema(&url, &schema)
        .await
        .expect("PostgreSQL must be reachable for the test suite (VIAL_TEST_POSTGRES_URL)");
    Arc::new(store)
}

vial_store::scenario_tests!(fresh);

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
    let store = PgStore::connect_url_in_schema(&url, &schema, None)
        .await
        .expect("PostgreSQL must be reachable for the test suite (VIAL_TEST_POSTGRES_URL)");
    Arc::new(store)
}

vial_store::scenario_tests!(fresh);

/// The schema refuses a role the code does not know (the typed rows cannot even express one):
/// defence in depth against SQL written by hand.
#[tokio::test]
async fn schema_refuses_unknown_role() {
    use sqlx::Connection as _;
    let url = std::env::var("VIAL_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let schema = format!("vial_test_{}", uuid::Uuid::new_v4().simple());
    let store = PgStore::connect_url_in_schema(&url, &schema, None)
        .await
        .unwrap();
    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
    sqlx::query(&format!("SET search_path TO {schema}"))
        .execute(&mut conn)
        .await
        .unwrap();
    let insert = "INSERT INTO users (id, role, email_bidx, email_enc, name_enc, \
                  password_hash, created_at_ms) VALUES ($1, $2, $3, '\\x00', '\\x00', 'h', 1)";
    sqlx::query(insert)
        .bind("u0")
        .bind("admin")
        .bind(vec![0u8; 32])
        .execute(&mut conn)
        .await
        .expect("the same row with a known role is stored");
    let superuser = sqlx::query(insert)
        .bind("u1")
        .bind("superuser")
        .bind(vec![1u8; 32])
        .execute(&mut conn)
        .await;
    let err = superuser.expect_err("the schema accepted an unknown role");
    assert!(err.to_string().contains("check"), "{err}");
    drop(store);
}

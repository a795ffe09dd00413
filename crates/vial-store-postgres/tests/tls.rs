//! The database hop over real TLS, against a PostgreSQL cluster that speaks only TLS
//! (`.ci/tls-fixtures.sh`), addressed by the test host name its test CA certifies: `verify-full` with
//! that CA connects; a wrong CA, no CA, or a name the certificate does not carry fail the
//! handshake; `prefer`, `require` and `disable` are refused before any connection.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::path::PathBuf;

use vial_store::StoreError;
use vial_store_postgres::PgStore;

struct TlsCluster {
    url: String,
    ca: PathBuf,
    wrong_ca: PathBuf,
}

/// The cluster `.ci/tls-fixtures.sh` made, or `None` when the developer opted out.
fn cluster() -> Option<TlsCluster> {
    let var = |name: &str| std::env::var(name).ok();
    match (
        var("VIAL_TEST_PG_TLS_URL"),
        var("VIAL_TEST_TLS_CA"),
        var("VIAL_TEST_TLS_WRONG_CA"),
    ) {
        (Some(url), Some(ca), Some(wrong_ca)) => Some(TlsCluster {
            url,
            ca: ca.into(),
            wrong_ca: wrong_ca.into(),
        }),
        _ if var("VIAL_SKIP_TLS").as_deref() == Some("1") => {
            eprintln!("skipped: VIAL_SKIP_TLS=1");
            None
        }
        _ => panic!(
            "the TLS PostgreSQL cluster is not set up: run `eval \"$(.ci/tls-fixtures.sh)\"` (as \
             .ci/run does), or set VIAL_SKIP_TLS=1"
        ),
    }
}

fn schema() -> String {
    format!("vial_test_tls_{}", uuid::Uuid::new_v4().simple())
}

fn with_mode(url: &str, mode: &str) -> String {
    format!("{url}?sslmode={mode}")
}

#[tokio::test]
async fn verify_full_with_the_practices_ca_connects_and_anything_less_is_refused() {
    let Some(c) = cluster() else { return };
    let verified = with_mode(&c.url, "verify-full");
    let schema = schema();
    let store = PgStore::connect_url_in_schema(&verified, &schema, Some(&c.ca))
        .await
        .expect("verify-full with the test CA");
    vial_store::Store::close(&store).await;
    // The cluster refuses plain TCP (pg_hba), so having connected at all was TLS.
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect_with(
        &vial_store_postgres::transport_checked(&verified, Some(&c.ca)).unwrap(),
    )
    .await
    .unwrap();
    let (ssl,): (bool,) =
        sqlx::query_as("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert!(ssl);
    sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
        .execute(&mut conn)
        .await
        .unwrap();

    // The handshake checks the chain and the name.
    for (url, ca, what) in [
        (verified.clone(), Some(&c.wrong_ca), "a wrong CA"),
        (
            verified.clone(),
            None,
            "no CA (the test CA is no public root)",
        ),
        (
            with_mode(&c.url.replace("db.vial.test", "127.0.0.1"), "verify-full"),
            Some(&c.ca),
            "an address the certificate does not name",
        ),
    ] {
        match PgStore::connect_url_in_schema(&url, &schema, ca.map(PathBuf::as_path)).await {
            Err(StoreError::Database(e)) => {
                let shown = format!("{e:?}").to_lowercase();
                assert!(
                    shown.contains("certificate") || shown.contains("tls"),
                    "{what}: {shown}"
                );
            }
            Err(other) => panic!("{what}: expected a TLS failure, got {other:?}"),
            Ok(_) => panic!("{what}: connected"),
        }
    }

    // Anything weaker never connects: refused on the URL alone.
    for mode in ["prefer", "require", "disable"] {
        match PgStore::connect_url_in_schema(&with_mode(&c.url, mode), &schema, Some(&c.ca)).await {
            Err(StoreError::Refused(message)) => {
                assert!(
                    message.contains("db.vial.test") && message.contains(mode),
                    "{message}"
                );
            }
            other => panic!("sslmode={mode}: expected a refusal, got {:?}", other.err()),
        }
    }
}

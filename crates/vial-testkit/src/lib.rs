//! Test support for Vial's crates, a dev-dependency only (never linked into the server): the real
//! server on a random port (`server`), the clinic set-up through the use cases (`clinic`), test
//! images with camera metadata (`images`), headless Chromium (`chromium`, `browser`), a
//! throw-away Garage S3 node (`garage`), and `both_backends!`.
//!
//! Helpers fail loudly (panics) because a test that cannot set up must not pass. A missing
//! PostgreSQL, Chromium or Garage is a failure; `VIAL_SKIP_BROWSER=1` and `VIAL_SKIP_S3=1` are the
//! explicit opt-outs for the last two (see [`skipped`]).
//!
//! Features keep each crate's tests from building what they do not use: `images` (vial-media),
//! `app` (vial-app's use cases), `web` (the HTTPS server), `browser` (Chromium on top of `web`).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test setup fails loudly by design

#[cfg(feature = "browser")]
pub mod browser;
#[cfg(feature = "browser")]
pub mod chromium;
#[cfg(feature = "app")]
pub mod clinic;
pub mod garage;
#[cfg(feature = "images")]
pub mod images;
#[cfg(feature = "web")]
pub mod server;

/// The PostgreSQL server the tests use: `VIAL_TEST_POSTGRES_URL`, by default the local one with
/// trust authentication. There is no opt-out: an unreachable server fails the suite.
pub fn postgres_url() -> String {
    std::env::var("VIAL_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A fresh PostgreSQL schema on [`postgres_url`] (`pg`), or the embedded SQLite database.
#[cfg(feature = "app")]
pub fn database(pg: bool) -> vial_app::DatabaseChoice {
    if pg {
        vial_app::DatabaseChoice::Postgres {
            url: postgres_url(),
            schema: Some(format!("vial_test_{}", uuid::Uuid::new_v4().simple())),
            ca: None,
        }
    } else {
        vial_app::DatabaseChoice::Embedded
    }
}

/// Whether the developer opted out of the tests that need `what` with `variable=1`; a notice
/// says so. Otherwise the caller must fail when `what` is missing.
pub fn skipped(variable: &str, what: &str) -> bool {
    let skip = std::env::var(variable).as_deref() == Ok("1");
    if skip {
        eprintln!("NOTICE: skipping the tests that need {what} ({variable}=1)");
    }
    skip
}

/// Generates `mod name { sqlite, postgres }` tests from `async fn name(pg: bool)`, each on a
/// two-worker runtime. The calling crate needs `tokio` (with `macros`) as a dev-dependency.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() { super::$name(false).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() { super::$name(true).await }
        }
    )*};
}

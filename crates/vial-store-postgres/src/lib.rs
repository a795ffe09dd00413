//! The PostgreSQL backend: the only code that speaks PostgreSQL's SQL.
//!
//! Used by hosted and multi-instance deployments; behaviour matches the SQLite backend, proven by
//! the shared scenario suite.

use std::path::Path;

use sql::db;
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgSslMode};
use vial_store::prelude::*;
use vial_store::{AuditLogBatches, Backend, StoreError, StoreResult};

/// Advisory lock key serializing audit appends (ASCII "vialaudt").
const AUDIT_APPEND_LOCK: i64 = 0x7669_616c_6175_6474;
/// Seed of the hash that turns a lock name into an advisory lock key.
const NAMED_LOCK_SEED: i64 = 0x7669_616c_7363;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// A PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects with `options` and runs migrations.
    pub async fn connect(options: PgConnectOptions) -> StoreResult<Self> {
        // No ping before each acquire: it is a round trip (and two context switches on each
        // side) per acquire, twice per audited read; a connection that broke fails its
        // statement instead, and the pool replaces it.
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .test_before_acquire(false)
            .connect_with(options)
            .await
            .map_err(db)?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| StoreError::Migration(Box::new(e)))?;
        Ok(Self { pool })
    }

    /// Connects to a `postgres://` URL (checked by [`transport_checked`], `ca` the practice's
    /// own CA) and runs migrations.
    pub async fn connect_url(url: &str, ca: Option<&Path>) -> StoreResult<Self> {
        Self::connect(transport_checked(url, ca)?).await
    }

    /// Connects to a `postgres://` URL (as [`PgStore::connect_url`]) using `schema` (created if
    /// absent) for every table. Lets several test runs or tenants share one database without
    /// seeing each other.
    pub async fn connect_url_in_schema(
        url: &str,
        schema: &str,
        ca: Option<&Path>,
    ) -> StoreResult<Self> {
        let options = transport_checked(url, ca)?;
        if schema.is_empty()
            || !schema
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(StoreError::Corrupt(
                "schema names are lowercase letters, digits and _".into(),
            ));
        }
        let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect_with(&options)
            .await
            .map_err(db)?;
        sqlx::query(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
            .execute(&mut conn)
            .await
            .map_err(db)?;
        Self::connect(options.options([("search_path", schema)])).await
    }
}

/// Every host a connection URL names: its host, `host=`/`hostaddr=` parameters, the host and
/// socket sqlx will use.
fn configured_hosts(parsed: &url::Url, options: &PgConnectOptions) -> Vec<String> {
    let mut hosts: Vec<String> = parsed
        .host_str()
        .filter(|h| !h.is_empty())
        .map(str::to_owned)
        .into_iter()
        .collect();
    for (key, value) in parsed.query_pairs() {
        if matches!(key.as_ref(), "host" | "hostaddr") {
            hosts.push(value.into_owned());
        }
    }
    hosts.push(options.get_host().to_owned());
    if let Some(socket) = options.get_socket() {
        hosts.push(socket.display().to_string());
    }
    hosts
}

/// The first host off this machine that `url` names, for the egress gate; `None` when the
/// database is this machine (or the URL does not parse, which connecting refuses anyway).
pub fn remote_host(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    let options: PgConnectOptions = url.parse().ok()?;
    configured_hosts(&parsed, &options)
        .into_iter()
        .find(|h| !vial_core::egress::is_own_machine(h))
}

/// The connection options of `url`, refused before any connection is tried unless the database
/// is this machine (every host the URL names: `vial_core::egress`) or the connection is TLS with
/// the certificate chain and host name verified (`sslmode=verify-full`). `ca` (PEM) is trusted
/// besides the public roots. Errors name the setting to change, never the URL (it may hold a
/// password).
pub fn transport_checked(url: &str, ca: Option<&Path>) -> StoreResult<PgConnectOptions> {
    let parsed = url::Url::parse(url)
        .map_err(|_| StoreError::Refused("--database-url is not a postgres:// URL".into()))?;
    let mut options: PgConnectOptions = url.parse().map_err(|_| {
        StoreError::Refused("--database-url is not a valid PostgreSQL connection URL".into())
    })?;
    let hosts = configured_hosts(&parsed, &options);
    let own = vial_core::egress::all_own_machine(hosts.iter().map(String::as_str));
    if !own {
        let weaker = match options.get_ssl_mode() {
            PgSslMode::VerifyFull => None,
            PgSslMode::Disable => Some(("disable", "sends everything in plain")),
            PgSslMode::Allow => Some(("allow", "falls back to plain")),
            PgSslMode::Prefer => Some(("prefer", "falls back to plain")),
            PgSslMode::Require => Some(("require", "checks no certificate")),
            PgSslMode::VerifyCa => Some(("verify-ca", "checks no host name")),
        };
        if let Some((mode, why)) = weaker {
            let host = hosts
                .iter()
                .find(|h| !vial_core::egress::is_own_machine(h))
                .map_or("", String::as_str);
            return Err(StoreError::Refused(format!(
                "--database-url: the database at {host} is not this machine, so its connection \
                 must be TLS with a verified certificate: set sslmode=verify-full in the URL \
                 (with --database-ca FILE for a private CA); sslmode={mode} {why}"
            )));
        }
    }
    if let Some(ca) = ca {
        let pem = std::fs::read(ca).map_err(|e| {
            StoreError::Refused(format!(
                "--database-ca {}: cannot read it ({e})",
                ca.display()
            ))
        })?;
        if !pem
            .windows(b"-----BEGIN CERTIFICATE-----".len())
            .any(|w| w == b"-----BEGIN CERTIFICATE-----")
        {
            return Err(StoreError::Refused(format!(
                "--database-ca {}: holds no PEM certificate",
                ca.display()
            )));
        }
        options = options.ssl_root_cert_from_pem(pem);
    }
    Ok(options)
}

#[async_trait::async_trait]
impl Store for PgStore {
    async fn begin(&self) -> StoreResult<Box<dyn Tx>> {
        let tx = self.pool.begin().await.map_err(db)?;
        Ok(Box::new(sql::PgTx::Transaction(tx)))
    }

    async fn begin_read(&self) -> StoreResult<Box<dyn Tx>> {
        let tx = self.pool.begin().await.map_err(db)?;
        Ok(Box::new(sql::PgTx::Transaction(tx)))
    }

    async fn reader(&self) -> StoreResult<Box<dyn Tx>> {
        let conn = self.pool.acquire().await.map_err(db)?;
        Ok(Box::new(sql::PgTx::Autocommit(conn)))
    }

    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    async fn audit_log(&self, batch: usize) -> StoreResult<AuditLogBatches> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        // Every page from the snapshot of the first.
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        let mut tx = sql::PgTx::Transaction(tx);
        let limit = u32::try_from(batch.max(1)).unwrap_or(u32::MAX);
        let (sender, mut receiver) = tokio::sync::mpsc::channel(4);
        tokio::spawn(async move {
            let mut after = None;
            loop {
                let page = tx.audit_row_batch(after, limit).await;
                let last = match &page {
                    Ok(rows) => match rows.iter().next_back() {
                        Some(row) => Some(row.seq),
                        None => break,
                    },
                    Err(_) => None,
                };
                // Stop after an error, or when the caller stopped reading.
                if sender.send(page).await.is_err() || last.is_none() {
                    break;
                }
                after = last;
            }
        });
        Ok(Box::new(std::iter::from_fn(move || {
            receiver.blocking_recv()
        })))
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}

/// A patient's newest audit rows, through `audit_by_patient (patient_id, seq)`.
const AUDIT_FOR_PATIENT_SQL: &str = "SELECT seq, time_ms, actor, patient_id, action, outcome, entry, \
     leaf_hash, chain_hash FROM audit_log WHERE patient_id = $1 ORDER BY seq DESC LIMIT $2";

vial_store::sqlx_tx!(PgTx, sqlx::Postgres, sqlx::postgres::PgRow);

impl sql::PgTx {
    /// One append lock for every session and instance, released at commit or rollback.
    async fn take_audit_lock(&mut self) -> StoreResult<()> {
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(AUDIT_APPEND_LOCK)
            .execute(self.conn())
            .await
            .map_err(db)?;
        Ok(())
    }

    /// A transaction-level advisory lock keyed by a hash of `name`, held until commit across
    /// instances, so two transactions cannot both pass the same check-then-write.
    async fn take_named_lock(&mut self, name: &str) -> StoreResult<()> {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, $2))")
            .bind(name)
            .bind(NAMED_LOCK_SEED)
            .execute(self.conn())
            .await
            .map_err(db)?;
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly by design
mod tests {
    use super::*;

    fn refusal(url: &str) -> String {
        match transport_checked(url, None) {
            Err(StoreError::Refused(message)) => message,
            other => panic!("{url}: expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn a_database_off_this_machine_needs_verify_full() {
        for (mode, why) in [
            ("disable", "sends everything in plain"),
            ("allow", "falls back to plain"),
            ("prefer", "falls back to plain"),
            ("require", "checks no certificate"),
            ("verify-ca", "checks no host name"),
        ] {
            let url = format!("postgres://vial:s3cret@db.example.com/vial?sslmode={mode}");
            let message = refusal(&url);
            assert!(message.starts_with("--database-url: the database at db.example.com"));
            assert!(message.contains("set sslmode=verify-full"), "{message}");
            assert!(
                message.contains(&format!("sslmode={mode} {why}")),
                "{message}"
            );
            assert!(
                !message.contains("s3cret"),
                "never the URL's password: {message}"
            );
        }
        // No sslmode at all is sqlx's `prefer`: refused too.
        assert!(refusal("postgres://db.example.com/vial").contains("sslmode=prefer"));
        // A host name that resolves here is still judged as configured.
        assert!(refusal("postgres://db.vial.test/vial?sslmode=require").contains("db.vial.test"));
        // A loopback URL host does not excuse a remote `host=` or `hostaddr=`.
        for param in ["host=db.example.com", "hostaddr=10.0.0.5"] {
            refusal(&format!(
                "postgres://localhost/vial?{param}&sslmode=require"
            ));
        }
        let options =
            transport_checked("postgres://db.example.com/vial?sslmode=verify-full", None).unwrap();
        assert!(matches!(options.get_ssl_mode(), PgSslMode::VerifyFull));
    }

    #[test]
    fn this_machine_may_be_reached_in_plain() {
        for url in [
            "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable",
            "postgres://localhost/vial",
            "postgres://[::1]:5432/vial?sslmode=disable",
            "postgres:///vial?host=/var/run/postgresql",
        ] {
            assert!(transport_checked(url, None).is_ok(), "{url}");
        }
    }

    #[test]
    fn the_ca_must_be_a_readable_pem_certificate() {
        let dir = std::env::temp_dir().join(format!("vial-ca-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let not_pem = dir.join("ca.der");
        std::fs::write(&not_pem, [0x30, 0x82, 0x01]).unwrap();
        let url = "postgres://db.example.com/vial?sslmode=verify-full";
        for (ca, expected) in [
            (dir.join("missing.pem"), "cannot read it"),
            (not_pem, "holds no PEM certificate"),
        ] {
            match transport_checked(url, Some(&ca)) {
                Err(StoreError::Refused(message)) => {
                    assert!(message.starts_with("--database-ca "), "{message}");
                    assert!(message.contains(expected), "{message}");
                }
                other => panic!("expected a refusal, got {other:?}"),
            }
        }
        let _ = std::fs::remove_dir_all(dir);
    }
}

//! The PostgreSQL backend: the only code that speaks PostgreSQL's SQL.
//!
//! Used by hosted and multi-instance deployments; behaviour matches the SQLite backend, proven by
//! the shared scenario suite.

use sql::db;
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
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

    /// Connects to a `postgres://` URL and runs migrations.
    pub async fn connect_url(url: &str) -> StoreResult<Self> {
        let options: PgConnectOptions = url.parse().map_err(db)?;
        Self::connect(options).await
    }

    /// Connects to a `postgres://` URL using `schema` (created if absent) for every table.
    /// Lets several test runs or tenants share one database without seeing each other.
    pub async fn connect_url_in_schema(url: &str, schema: &str) -> StoreResult<Self> {
        if schema.is_empty()
            || !schema
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(StoreError::Corrupt(
                "schema names are lowercase letters, digits and _".into(),
            ));
        }
        let options: PgConnectOptions = url.parse().map_err(db)?;
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

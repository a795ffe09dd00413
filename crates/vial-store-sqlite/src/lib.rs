//! The embedded SQLite backend: the only code that speaks SQLite's SQL.
//!
//! WAL journal, foreign keys on, `synchronous = FULL` (a commit is on disk before it returns),
//! one writer connection taking `BEGIN IMMEDIATE` (so read-then-write transactions never fail on
//! a lock upgrade, even with the CLI writing beside the server), a pool of read-only readers, and
//! the audit appender's own write connection (rusqlite, `direct.rs`), also `BEGIN IMMEDIATE`.

use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

mod audit_scan;
mod direct;

use sql::db;
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use vial_store::{AuditLogBatches, Backend, ChainFrom, Store, StoreError, StoreResult, Tx};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Bytes of the file each connection maps (1 GiB).
const MMAP_SIZE: i64 = 1 << 30;

/// A patient's newest audit rows, through `audit_by_patient_key` (migration 0009): one probe
/// per bucket of 4,096 entries, newest bucket first (about 4 µs a probe: 4 ms for a log of
/// 4 million entries). The expressions are spelled as the index
/// spells them, and `+patient_id` keeps SQLite from substituting `$1` into them (constant
/// propagation, which SQLite 3.40 did here), which would leave nothing for the index to match.
pub const AUDIT_FOR_PATIENT_SQL: &str = "WITH RECURSIVE bucket(n) AS ( \
         SELECT (SELECT max(seq) FROM audit_log) >> 12 \
         UNION ALL SELECT n - 1 FROM bucket WHERE n > 0) \
     SELECT a.seq, a.time_ms, a.actor, a.patient_id, a.action, a.outcome, a.entry, a.leaf_hash, \
         a.chain_hash \
     FROM bucket CROSS JOIN audit_log a \
     WHERE (a.seq >> 12) = bucket.n \
         AND substr(a.patient_id, length(a.patient_id) - 7) = substr($1, length($1) - 7) \
         AND +a.patient_id = $1 \
     ORDER BY a.seq DESC LIMIT $2";

/// A SQLite database file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    path: PathBuf,
    writer: SqlitePool,
    readers: SqlitePool,
    appender: Arc<direct::AuditAppender>,
}

impl SqliteStore {
    /// Opens (creating if absent) the database at `path` and runs migrations.
    pub async fn open(path: &Path) -> StoreResult<Self> {
        // Create the file private before SQLite does (its -wal and -shm copy this mode).
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path)
            .map_err(|e| StoreError::Database(Box::new(e)))?;
        let base = SqliteConnectOptions::from_str("sqlite://")
            .map_err(db)?
            .filename(path)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            // Statement journals (every multi-row INSERT inside a transaction opens one) in
            // memory instead of a temporary file: a write syscall per page saved on each append.
            .pragma("temp_store", "memory")
            // Pages read straight from the OS page cache instead of a pread and a copy into
            // SQLite's small per-connection cache each: recall and review queries touch pages
            // all over the file. Address space only; memory stays the kernel's page cache.
            .pragma("mmap_size", MMAP_SIZE.to_string())
            .busy_timeout(Duration::from_secs(10));
        // No ping before each acquire: a local file has no dropped connections to detect, and
        // each ping is a round trip to the connection's worker thread.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .connect_with(base.clone().create_if_missing(true))
            .await
            .map_err(db)?;
        MIGRATOR
            .run(&writer)
            .await
            .map_err(|e| StoreError::Migration(Box::new(e)))?;
        let readers = SqlitePoolOptions::new()
            .max_connections(4)
            .test_before_acquire(false)
            .connect_with(base.read_only(true))
            .await
            .map_err(db)?;
        Ok(Self {
            path: path.to_owned(),
            writer,
            readers,
            appender: Arc::new(direct::AuditAppender::new(path.to_owned())),
        })
    }
}

#[async_trait::async_trait]
impl Store for SqliteStore {
    async fn begin(&self) -> StoreResult<Box<dyn Tx>> {
        let tx = self
            .writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db)?;
        Ok(Box::new(sql::SqliteTx::Transaction(tx)))
    }

    async fn begin_read(&self) -> StoreResult<Box<dyn Tx>> {
        let tx = self.readers.begin().await.map_err(db)?;
        Ok(Box::new(sql::SqliteTx::Transaction(tx)))
    }

    async fn reader(&self) -> StoreResult<Box<dyn Tx>> {
        let conn = self.readers.acquire().await.map_err(db)?;
        Ok(Box::new(sql::SqliteTx::Autocommit(conn)))
    }

    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    async fn audit_log(&self, batch: usize) -> StoreResult<AuditLogBatches> {
        audit_scan::audit_log(self.path.clone(), batch)
    }

    async fn lot_recall(&self, lot_bidx: &[u8]) -> StoreResult<Vec<vial_store::RecallRow>> {
        let (path, lot_bidx) = (self.path.clone(), lot_bidx.to_vec());
        tokio::task::spawn_blocking(move || direct::lot_recall(&path, &lot_bidx))
            .await
            .map_err(direct::db)?
    }

    async fn append_audit(&self, rows: ChainFrom) -> StoreResult<u64> {
        let appender = self.appender.clone();
        tokio::task::spawn_blocking(move || appender.append(rows))
            .await
            .map_err(direct::db)?
    }

    async fn close(&self) {
        let appender = self.appender.clone();
        // Waits for an append in flight, off the async workers.
        let _ = tokio::task::spawn_blocking(move || appender.close()).await;
        self.readers.close().await;
        self.writer.close().await;
    }
}

vial_store::sqlx_tx!(SqliteTx, sqlx::Sqlite, sqlx::sqlite::SqliteRow);

impl sql::SqliteTx {
    /// Nothing to take: the write transaction began IMMEDIATE and holds the only write lock.
    async fn take_audit_lock(&mut self) -> StoreResult<()> {
        Ok(())
    }

    /// Likewise: one writer at a time already serializes every check-then-write.
    async fn take_named_lock(&mut self, _name: &str) -> StoreResult<()> {
        Ok(())
    }
}

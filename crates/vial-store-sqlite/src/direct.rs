//! Work through rusqlite rather than sqlx, on a blocking thread. Reads of many rows: sqlx hands
//! every SQLite row from its worker thread to the caller (about 4 µs a row), while here rows are
//! read in place; each read opens its own read-only connection (one statement, one snapshot).
//! Audit-only appends: sqlx makes each of their four statements a round trip to its worker
//! thread, here they are one hop for the whole transaction.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, TransactionBehavior, params};
use vial_store::{AuditHead, ChainFrom, RecallRow, StoreError, StoreResult, StoredDek};

/// A read-only connection set up like the sqlx readers (busy timeout, memory-mapped pages).
pub(crate) fn connect(path: &Path) -> StoreResult<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(db)?;
    conn.busy_timeout(Duration::from_secs(10)).map_err(db)?;
    conn.pragma_update(None, "mmap_size", crate::MMAP_SIZE)
        .map_err(db)?;
    Ok(conn)
}

/// Appends audit-only transactions on a write connection of its own, opened on first use and
/// set up like sqlx's writer (durable commits, `BEGIN IMMEDIATE`); the committer runs one
/// append at a time, so the connection is never waited for in-process.
#[derive(Debug)]
pub(crate) struct AuditAppender {
    path: PathBuf,
    /// One row's insert, spelled once (the connection caches its prepared statement).
    insert_sql: String,
    writer: Mutex<Writer>,
}

#[derive(Debug)]
enum Writer {
    Unopened,
    Open(Connection),
    /// The store was closed: appends fail, as sqlx's closed pools do.
    Closed,
}

impl AuditAppender {
    pub(crate) fn new(path: PathBuf) -> Self {
        Self {
            path,
            insert_sql: format!(
                "{}VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                vial_store::AUDIT_INSERT_SQL
            ),
            writer: Mutex::new(Writer::Unopened),
        }
    }

    /// `Store::append_audit`, blocking.
    pub(crate) fn append(&self, rows: ChainFrom) -> StoreResult<u64> {
        // A panic while appending left at most a rolled-back transaction behind.
        let mut writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        if let Writer::Unopened = *writer {
            *writer = Writer::Open(connect_writer(&self.path)?);
        }
        let Writer::Open(conn) = &mut *writer else {
            return Err(db(std::io::Error::other("the store is closed")));
        };
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db)?;
        let head = tx
            .query_row(vial_store::AUDIT_HEAD_SQL, [], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
            .optional()
            .map_err(db)?
            .map(|(seq, chain)| AuditHead::from_columns(seq, chain))
            .transpose()?;
        let rows = rows(head);
        {
            let mut insert = tx.prepare_cached(&self.insert_sql).map_err(db)?;
            for row in &rows {
                insert
                    .execute(params![
                        i64::try_from(row.seq).unwrap_or(i64::MAX),
                        row.time_ms,
                        row.actor,
                        row.patient_id,
                        row.action,
                        row.outcome,
                        row.entry,
                        &row.leaf_hash[..],
                        &row.chain_hash[..],
                    ])
                    .map_err(db)?;
            }
        }
        tx.commit().map_err(db)?;
        Ok(vial_store::log_size_after(head, &rows))
    }

    /// Closes the connection; later appends fail.
    pub(crate) fn close(&self) {
        *self.writer.lock().unwrap_or_else(PoisonError::into_inner) = Writer::Closed;
    }
}

/// A write connection set up like sqlx's writer (`SqliteStore::open`); the database exists and
/// is in WAL mode by then.
fn connect_writer(path: &Path) -> StoreResult<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(db)?;
    conn.busy_timeout(Duration::from_secs(10)).map_err(db)?;
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(db)?;
    conn.pragma_update(None, "foreign_keys", true).map_err(db)?;
    conn.pragma_update(None, "temp_store", "memory")
        .map_err(db)?;
    conn.pragma_update(None, "mmap_size", crate::MMAP_SIZE)
        .map_err(db)?;
    Ok(conn)
}

/// `TxRead::lot_recall`'s rows, read in one statement.
pub(crate) fn lot_recall(path: &Path, lot_bidx: &[u8]) -> StoreResult<Vec<RecallRow>> {
    let conn = connect(path)?;
    let mut statement = conn.prepare(vial_store::LOT_RECALL_SQL).map_err(db)?;
    let mut rows = statement.query([lot_bidx]).map_err(db)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(db)? {
        out.push(recall_row(row)?);
    }
    Ok(out)
}

/// A row of [`vial_store::LOT_RECALL_SQL`], its columns by position (no name look-ups per row).
fn recall_row(row: &Row<'_>) -> StoreResult<RecallRow> {
    Ok(RecallRow {
        patient_id: row.get::<_, String>(0).map_err(db)?.into(),
        uses_enc: row.get(1).map_err(db)?,
        given_enc: row.get(2).map_err(db)?,
        family_enc: row.get(3).map_err(db)?,
        phone_enc: row.get(4).map_err(db)?,
        email_enc: row.get(5).map_err(db)?,
        dek: StoredDek::from_columns(
            row.get(6).map_err(db)?,
            row.get(7).map_err(db)?,
            row.get(8).map_err(db)?,
            row.get(9).map_err(db)?,
            row.get(10).map_err(db)?,
        )?,
    })
}

pub(crate) fn db(e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::Database(Box::new(e))
}

//! Reads of many rows through rusqlite rather than sqlx: sqlx hands every SQLite row from its
//! worker thread to the caller (about 4 µs a row), while here rows are read in place on a
//! blocking thread. Each read opens its own read-only connection: one statement, one snapshot.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, Row};
use vial_store::{RecallRow, StoreError, StoreResult, StoredDek};

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
        patient_id: row.get(0).map_err(db)?,
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

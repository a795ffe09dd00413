//! The audit log's SQL: the head and insert statements SQLite's direct appender shares, and
//! [`audit_sql!`], the audit log's part of each backend's transaction (see
//! [`sqlx_tx!`](crate::sqlx_tx)).

/// The audit log's newest row (`seq`, `chain_hash`), for
/// [`AuditHead::from_columns`](crate::AuditHead::from_columns).
pub const AUDIT_HEAD_SQL: &str = "SELECT seq, chain_hash FROM audit_log ORDER BY seq DESC LIMIT 1";

/// An audit append up to its values: one row is `(seq, time_ms, actor, patient_id, action,
/// outcome, entry, leaf_hash, chain_hash)`, as [`AuditRow`](crate::AuditRow) orders its fields.
pub const AUDIT_INSERT_SQL: &str = "INSERT INTO audit_log (seq, time_ms, actor, \
                                    patient_id, action, outcome, entry, leaf_hash, \
                                    chain_hash) ";

/// The audit log's part of `mod sql`: [`AuditRead`](crate::AuditRead) and
/// [`AuditTx`](crate::AuditTx) for `$tx`. The backend provides, beside its `sqlx_tx!`,
/// `AUDIT_FOR_PATIENT_SQL` (a patient's newest audit rows: `$1` patient id, `$2` limit), shaped
/// for its index, and `take_audit_lock` on `$tx`.
#[doc(hidden)]
#[macro_export]
macro_rules! audit_sql {
    ($tx:ident, $db:ty, $row:ty) => {
        use ::sqlx::Row as _;
        use $crate::{
            AuditHead, AuditRow, AuditRowBatch, AuditRowRef, StoreError, StoreResult,
            StoredCheckpoint,
        };

        use super::*;

        fn corrupt(what: &str) -> StoreError {
            StoreError::Corrupt(what.to_owned())
        }

        fn hash32(bytes: Vec<u8>, what: &str) -> StoreResult<[u8; 32]> {
            bytes
                .try_into()
                .map_err(|_| corrupt(&format!("{what} is not 32 bytes")))
        }

        /// Fetched audit rows, their columns borrowed straight into one batch.
        fn audit_batch(rows: &[$row]) -> StoreResult<AuditRowBatch> {
            let mut batch = AuditRowBatch::with_capacity(rows.len());
            for row in rows {
                push_audit_row(&mut batch, row)?;
            }
            Ok(batch)
        }

        /// An audit row's columns, borrowed from the row straight into `batch`.
        fn push_audit_row(batch: &mut AuditRowBatch, row: &$row) -> StoreResult<()> {
            let seq: i64 = row.try_get("seq").map_err(db)?;
            let hash = |column: &str| -> StoreResult<&[u8; 32]> {
                let bytes: &[u8] = row.try_get(column).map_err(db)?;
                bytes
                    .try_into()
                    .map_err(|_| corrupt(&format!("audit_log.{column} is not 32 bytes")))
            };
            batch.push(AuditRowRef {
                seq: u64::try_from(seq).map_err(|_| corrupt("audit_log.seq is negative"))?,
                time_ms: row.try_get("time_ms").map_err(db)?,
                actor: row.try_get("actor").map_err(db)?,
                patient_id: row.try_get("patient_id").map_err(db)?,
                action: row.try_get("action").map_err(db)?,
                outcome: row.try_get("outcome").map_err(db)?,
                entry: row.try_get("entry").map_err(db)?,
                leaf_hash: hash("leaf_hash")?,
                chain_hash: hash("chain_hash")?,
            });
            Ok(())
        }

        #[::async_trait::async_trait]
        impl $crate::AuditRead for $tx {
            async fn audit_rows(
                &mut self,
                after: Option<u64>,
                limit: u32,
            ) -> StoreResult<Vec<AuditRow>> {
                let batch = self.audit_row_batch(after, limit).await?;
                Ok(batch.iter().map(|row| row.to_row()).collect())
            }

            async fn audit_row_batch(
                &mut self,
                after: Option<u64>,
                limit: u32,
            ) -> StoreResult<AuditRowBatch> {
                let after = after.map_or(-1, |a| i64::try_from(a).unwrap_or(i64::MAX));
                let rows = ::sqlx::query(
                    "SELECT seq, time_ms, actor, patient_id, action, outcome, entry, \
                     leaf_hash, chain_hash FROM audit_log WHERE seq > $1 \
                     ORDER BY seq LIMIT $2",
                )
                .bind(after)
                .bind(i64::from(limit))
                .fetch_all(self.conn())
                .await
                .map_err(db)?;
                audit_batch(&rows)
            }

            async fn audit_for_patient(
                &mut self,
                patient_id: &$crate::deps::vial_core::PatientId,
                limit: u32,
            ) -> StoreResult<Vec<AuditRow>> {
                let rows = ::sqlx::query(AUDIT_FOR_PATIENT_SQL)
                    .bind(patient_id.as_str())
                    .bind(i64::from(limit))
                    .fetch_all(self.conn())
                    .await
                    .map_err(db)?;
                Ok(audit_batch(&rows)?.iter().map(|row| row.to_row()).collect())
            }

            async fn audit_leaf_hashes(
                &mut self,
                from: u64,
                limit: u32,
            ) -> StoreResult<Vec<[u8; 32]>> {
                let rows: Vec<Vec<u8>> = ::sqlx::query_scalar(
                    "SELECT leaf_hash FROM audit_log WHERE seq >= $1 ORDER BY seq LIMIT $2",
                )
                .bind(i64::try_from(from).unwrap_or(i64::MAX))
                .bind(i64::from(limit))
                .fetch_all(self.conn())
                .await
                .map_err(db)?;
                rows.into_iter()
                    .map(|h| hash32(h, "audit_log.leaf_hash"))
                    .collect()
            }

            async fn checkpoints(&mut self) -> StoreResult<Vec<StoredCheckpoint>> {
                let rows = ::sqlx::query(
                    "SELECT tree_size, root_hash, signed_note, created_at_ms \
                     FROM audit_checkpoints ORDER BY tree_size",
                )
                .fetch_all(self.conn())
                .await
                .map_err(db)?;
                rows.iter()
                    .map(|row| {
                        let size: i64 = row.try_get("tree_size").map_err(db)?;
                        Ok(StoredCheckpoint {
                            tree_size: u64::try_from(size)
                                .map_err(|_| corrupt("tree_size is negative"))?,
                            root_hash: hash32(row.try_get("root_hash").map_err(db)?, "root_hash")?,
                            signed_note: row.try_get("signed_note").map_err(db)?,
                            created_at_ms: row.try_get("created_at_ms").map_err(db)?,
                        })
                    })
                    .collect()
            }
        }

        #[::async_trait::async_trait]
        impl $crate::AuditTx for $tx {
            async fn lock_audit_head(&mut self) -> StoreResult<Option<AuditHead>> {
                // Backend-specific: how concurrent appenders are serialized.
                self.take_audit_lock().await?;
                let row = ::sqlx::query($crate::AUDIT_HEAD_SQL)
                    .fetch_optional(self.conn())
                    .await
                    .map_err(db)?;
                row.map(|row| {
                    AuditHead::from_columns(
                        row.try_get("seq").map_err(db)?,
                        row.try_get("chain_hash").map_err(db)?,
                    )
                })
                .transpose()
            }

            async fn insert_audit(&mut self, rows: &[AuditRow]) -> StoreResult<()> {
                // 9 parameters a row; chunks stay far below both engines' parameter limits.
                for chunk in rows.chunks(1000) {
                    let mut query = ::sqlx::QueryBuilder::<$db>::new($crate::AUDIT_INSERT_SQL);
                    query.push_values(chunk, |mut b, r| {
                        b.push_bind(i64::try_from(r.seq).unwrap_or(i64::MAX))
                            .push_bind(r.time_ms)
                            .push_bind(&r.actor)
                            .push_bind(&r.patient_id)
                            .push_bind(&r.action)
                            .push_bind(&r.outcome)
                            .push_bind(&r.entry)
                            .push_bind(&r.leaf_hash[..])
                            .push_bind(&r.chain_hash[..]);
                    });
                    query.build().execute(self.conn()).await.map_err(db)?;
                }
                Ok(())
            }

            async fn insert_checkpoint(
                &mut self,
                checkpoint: &StoredCheckpoint,
            ) -> StoreResult<()> {
                ::sqlx::query(
                    "INSERT INTO audit_checkpoints (tree_size, root_hash, signed_note, \
                     created_at_ms) VALUES ($1, $2, $3, $4) ON CONFLICT (tree_size) \
                     DO NOTHING",
                )
                .bind(i64::try_from(checkpoint.tree_size).unwrap_or(i64::MAX))
                .bind(&checkpoint.root_hash[..])
                .bind(&checkpoint.signed_note)
                .bind(checkpoint.created_at_ms)
                .execute(self.conn())
                .await
                .map_err(db)?;
                Ok(())
            }
        }
    };
}

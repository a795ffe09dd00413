//! The data keys' SQL: the `deks` columns as joins select them, and [`keys_sql!`], the keys'
//! part of each backend's transaction (see [`sqlx_tx!`](crate::sqlx_tx)).

/// The `deks` columns as joins select them (`deks d`), named `dek_*`; spelled by a macro so
/// that [`LOT_RECALL_SQL`](crate::LOT_RECALL_SQL) can embed them at compile time.
macro_rules! joined_dek_columns {
    () => {
        "d.id AS dek_id, d.owner AS dek_owner, d.kek_version AS dek_kek_version, \
         d.wrapped AS dek_wrapped, d.created_at_ms AS dek_created_at_ms"
    };
}
pub(crate) use joined_dek_columns;

/// The `deks` columns as joins select them, read back by name (`dek_id`, `dek_owner`, ...).
pub const JOINED_DEK_COLUMNS: &str = joined_dek_columns!();

/// The keys' part of `mod sql`: [`KeysRead`](crate::KeysRead) and [`KeysTx`](crate::KeysTx)
/// for `$tx`, and the DEK decoders the other slices' joins use (`dek_columns`, `joined_dek`).
#[doc(hidden)]
#[macro_export]
macro_rules! keys_sql {
    ($tx:ident, $db:ty, $row:ty) => {
        use ::sqlx::Row as _;
        use $crate::{DekCount, DekRewrap, StoreError, StoreResult, StoredDek};

        use super::*;

        const DEK_COLUMNS: &str = "id, owner, kek_version, wrapped, created_at_ms";

        fn dek_from_row(row: &$row) -> StoreResult<StoredDek> {
            dek_columns(row, "")
        }

        /// The `deks` columns of a row, named with `prefix` (joins alias them `dek_id`, …).
        pub(super) fn dek_columns(row: &$row, prefix: &str) -> StoreResult<StoredDek> {
            let column = |name: &str| format!("{prefix}{name}");
            StoredDek::from_columns(
                row.try_get(column("id").as_str()).map_err(db)?,
                row.try_get(column("owner").as_str()).map_err(db)?,
                row.try_get(column("kek_version").as_str()).map_err(db)?,
                row.try_get(column("wrapped").as_str()).map_err(db)?,
                row.try_get(column("created_at_ms").as_str()).map_err(db)?,
            )
        }

        /// The DEK a `LEFT JOIN deks d` selected with [`JOINED_DEK_COLUMNS`]; `None` where the
        /// owner has none (NULL columns).
        pub(super) fn joined_dek(row: &$row) -> StoreResult<Option<StoredDek>> {
            let dek_id: Option<Vec<u8>> = row.try_get("dek_id").map_err(db)?;
            dek_id.map(|_| dek_columns(row, "dek_")).transpose()
        }

        #[::async_trait::async_trait]
        impl $crate::KeysRead for $tx {
            async fn dek_by_owner(&mut self, owner: &str) -> StoreResult<Option<StoredDek>> {
                let sql = format!("SELECT {DEK_COLUMNS} FROM deks WHERE owner = $1");
                let row = ::sqlx::query(&sql)
                    .bind(owner)
                    .fetch_optional(self.conn())
                    .await
                    .map_err(db)?;
                row.as_ref().map(dek_from_row).transpose()
            }

            async fn dek_by_id(&mut self, id: &[u8; 16]) -> StoreResult<Option<StoredDek>> {
                let sql = format!("SELECT {DEK_COLUMNS} FROM deks WHERE id = $1");
                let row = ::sqlx::query(&sql)
                    .bind(&id[..])
                    .fetch_optional(self.conn())
                    .await
                    .map_err(db)?;
                row.as_ref().map(dek_from_row).transpose()
            }

            async fn deks_wrapped_by(
                &mut self,
                version: u32,
                after: Option<[u8; 16]>,
                limit: u32,
            ) -> StoreResult<Vec<StoredDek>> {
                let sql = format!(
                    "SELECT {DEK_COLUMNS} FROM deks WHERE kek_version = $1 \
                     AND id > $2 ORDER BY id LIMIT $3"
                );
                let rows = ::sqlx::query(&sql)
                    .bind(i64::from(version))
                    .bind(after.map(|a| a.to_vec()).unwrap_or_default())
                    .bind(i64::from(limit))
                    .fetch_all(self.conn())
                    .await
                    .map_err(db)?;
                rows.iter().map(dek_from_row).collect()
            }

            async fn dek_counts(&mut self) -> StoreResult<Vec<DekCount>> {
                let rows = ::sqlx::query(
                    "SELECT kek_version, count(*) AS n FROM deks \
                     GROUP BY kek_version ORDER BY kek_version",
                )
                .fetch_all(self.conn())
                .await
                .map_err(db)?;
                rows.iter()
                    .map(|row| {
                        let version: i64 = row.try_get("kek_version").map_err(db)?;
                        let n: i64 = row.try_get("n").map_err(db)?;
                        Ok(DekCount {
                            kek_version: u32::try_from(version).map_err(|_| {
                                StoreError::Corrupt("deks.kek_version out of range".into())
                            })?,
                            deks: u64::try_from(n).unwrap_or_default(),
                        })
                    })
                    .collect()
            }
        }

        #[::async_trait::async_trait]
        impl $crate::KeysTx for $tx {
            async fn insert_dek(&mut self, dek: &StoredDek) -> StoreResult<()> {
                ::sqlx::query(
                    "INSERT INTO deks (id, owner, kek_version, wrapped, created_at_ms) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&dek.id[..])
                .bind(&dek.owner)
                .bind(i64::from(dek.kek_version))
                .bind(&dek.wrapped)
                .bind(dek.created_at_ms)
                .execute(self.conn())
                .await
                .map_err(db)?;
                Ok(())
            }

            async fn rewrap_deks(&mut self, rewraps: &[DekRewrap]) -> StoreResult<u64> {
                if rewraps.is_empty() {
                    return Ok(0);
                }
                // One statement per batch: per-statement overhead, not crypto, dominates
                // re-wrapping. `VALUES` columns are named column1… in both engines; a plain join
                // on the primary key (a CTE here made SQLite's plan markedly slower).
                let mut query = ::sqlx::QueryBuilder::<$db>::new(
                    "UPDATE deks SET kek_version = v.column3, wrapped = v.column4 FROM (",
                );
                query.push_values(rewraps, |mut row, r| {
                    row.push_bind(&r.id[..])
                        .push_bind(i64::from(r.old_version))
                        .push_bind(i64::from(r.new_version))
                        .push_bind(&r.wrapped[..]);
                });
                query.push(") AS v WHERE deks.id = v.column1 AND deks.kek_version = v.column2");
                let done = query.build().execute(self.conn()).await.map_err(db)?;
                Ok(done.rows_affected())
            }
        }
    };
}

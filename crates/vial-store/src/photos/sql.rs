//! Photos' SQL: [`photos_sql!`], the photos' part of each backend's transaction (see
//! [`sqlx_tx!`](crate::sqlx_tx)).

/// The photos' part of `mod sql`: [`PhotosRead`](crate::PhotosRead) and
/// [`PhotosTx`](crate::PhotosTx) for `$tx`.
#[doc(hidden)]
#[macro_export]
macro_rules! photos_sql {
    ($tx:ident, $db:ty, $row:ty) => {
        use ::sqlx::Row as _;
        use $crate::{PhotoRead, PhotoRow, StoreResult};

        use super::*;

        const PHOTO_COLUMNS: &str = "id, patient_id, author_id, treatment_id, format, \
                                     width, height, photo_bytes, thumb_bytes, meta_enc, \
                                     created_at_ms, deleted_at_ms, deleted_by";

        fn photo_from_row(row: &$row) -> StoreResult<PhotoRow> {
            Ok(PhotoRow {
                id: row.try_get("id").map_err(db)?,
                patient_id: row.try_get("patient_id").map_err(db)?,
                author_id: row.try_get("author_id").map_err(db)?,
                treatment_id: row.try_get("treatment_id").map_err(db)?,
                format: row.try_get("format").map_err(db)?,
                width: row.try_get("width").map_err(db)?,
                height: row.try_get("height").map_err(db)?,
                photo_bytes: row.try_get("photo_bytes").map_err(db)?,
                thumb_bytes: row.try_get("thumb_bytes").map_err(db)?,
                meta_enc: row.try_get("meta_enc").map_err(db)?,
                created_at_ms: row.try_get("created_at_ms").map_err(db)?,
                deleted_at_ms: row.try_get("deleted_at_ms").map_err(db)?,
                deleted_by: row.try_get("deleted_by").map_err(db)?,
            })
        }

        #[::async_trait::async_trait]
        impl $crate::PhotosRead for $tx {
            async fn photo_by_id(&mut self, id: &str) -> StoreResult<Option<PhotoRow>> {
                let sql = format!("SELECT {PHOTO_COLUMNS} FROM photos WHERE id = $1");
                let row = ::sqlx::query(&sql)
                    .bind(id)
                    .fetch_optional(self.conn())
                    .await
                    .map_err(db)?;
                row.as_ref().map(photo_from_row).transpose()
            }

            async fn photo_for(
                &mut self,
                id: &str,
                reader_id: &str,
            ) -> StoreResult<Option<PhotoRead>> {
                let sql = format!(
                    "SELECT ph.*, {JOINED_DEK_COLUMNS}, EXISTS (SELECT 1 \
                     FROM care_team c WHERE c.patient_id = ph.patient_id \
                     AND c.provider_id = $2) AS on_care_team FROM (SELECT \
                     {PHOTO_COLUMNS} FROM photos WHERE id = $1) ph \
                     LEFT JOIN deks d ON d.owner = ph.patient_id"
                );
                let read = self.read_for(&sql, id, reader_id, photo_from_row).await?;
                Ok(read.map(|(photo, dek, on_care_team)| PhotoRead {
                    photo,
                    dek,
                    on_care_team,
                }))
            }

            async fn photos_of_patient(&mut self, patient_id: &str) -> StoreResult<Vec<PhotoRow>> {
                let sql = format!(
                    "SELECT {PHOTO_COLUMNS} FROM photos WHERE patient_id = $1 \
                     AND deleted_at_ms IS NULL ORDER BY created_at_ms, id"
                );
                let rows = ::sqlx::query(&sql)
                    .bind(patient_id)
                    .fetch_all(self.conn())
                    .await
                    .map_err(db)?;
                rows.iter().map(photo_from_row).collect()
            }
        }

        #[::async_trait::async_trait]
        impl $crate::PhotosTx for $tx {
            async fn insert_photo(&mut self, p: &PhotoRow) -> StoreResult<()> {
                let sql = format!(
                    "INSERT INTO photos ({PHOTO_COLUMNS}) VALUES ($1, $2, $3, $4, $5, \
                     $6, $7, $8, $9, $10, $11, $12, $13)"
                );
                ::sqlx::query(&sql)
                    .bind(&p.id)
                    .bind(&p.patient_id)
                    .bind(&p.author_id)
                    .bind(&p.treatment_id)
                    .bind(&p.format)
                    .bind(p.width)
                    .bind(p.height)
                    .bind(p.photo_bytes)
                    .bind(p.thumb_bytes)
                    .bind(&p.meta_enc)
                    .bind(p.created_at_ms)
                    .bind(p.deleted_at_ms)
                    .bind(&p.deleted_by)
                    .execute(self.conn())
                    .await
                    .map_err(db)?;
                Ok(())
            }

            async fn soft_delete_photo(
                &mut self,
                id: &str,
                by: &str,
                now_ms: i64,
            ) -> StoreResult<bool> {
                let done = ::sqlx::query(
                    "UPDATE photos SET deleted_at_ms = $1, deleted_by = $2 \
                     WHERE id = $3 AND deleted_at_ms IS NULL",
                )
                .bind(now_ms)
                .bind(by)
                .bind(id)
                .execute(self.conn())
                .await
                .map_err(db)?;
                Ok(done.rows_affected() == 1)
            }
        }
    };
}

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
        use $crate::deps::vial_core::{PatientId, PhotoId, RecordId, UserId};

        const PHOTO_COLUMNS: &str = "id, patient_id, author_id, treatment_id, format, \
                                     width, height, photo_bytes, thumb_bytes, meta_enc, \
                                     created_at_ms, deleted_at_ms, deleted_by";

        fn photo_from_row(row: &$row) -> StoreResult<PhotoRow> {
            Ok(PhotoRow {
                id: id(row, "id")?,
                patient_id: id(row, "patient_id")?,
                author_id: id(row, "author_id")?,
                treatment_id: opt_id(row, "treatment_id")?,
                format: row.try_get("format").map_err(db)?,
                width: row.try_get("width").map_err(db)?,
                height: row.try_get("height").map_err(db)?,
                photo_bytes: row.try_get("photo_bytes").map_err(db)?,
                thumb_bytes: row.try_get("thumb_bytes").map_err(db)?,
                meta_enc: row.try_get("meta_enc").map_err(db)?,
                created_at_ms: row.try_get("created_at_ms").map_err(db)?,
                deleted_at_ms: row.try_get("deleted_at_ms").map_err(db)?,
                deleted_by: opt_id(row, "deleted_by")?,
            })
        }

        #[::async_trait::async_trait]
        impl $crate::PhotosRead for $tx {
            async fn photo_by_id(&mut self, id: &PhotoId) -> StoreResult<Option<PhotoRow>> {
                let sql = format!("SELECT {PHOTO_COLUMNS} FROM photos WHERE id = $1");
                let row = ::sqlx::query(&sql)
                    .bind(id.as_str())
                    .fetch_optional(self.conn())
                    .await
                    .map_err(db)?;
                row.as_ref().map(photo_from_row).transpose()
            }

            async fn photo_for(
                &mut self,
                id: &PhotoId,
                reader_id: &UserId,
            ) -> StoreResult<Option<PhotoRead>> {
                let sql = format!(
                    "SELECT ph.*, {JOINED_DEK_COLUMNS}, EXISTS (SELECT 1 \
                     FROM care_team c WHERE c.patient_id = ph.patient_id \
                     AND c.provider_id = $2) AS on_care_team FROM (SELECT \
                     {PHOTO_COLUMNS} FROM photos WHERE id = $1) ph \
                     LEFT JOIN deks d ON d.owner = ph.patient_id"
                );
                let read = self
                    .read_for(&sql, id.as_str(), reader_id, photo_from_row)
                    .await?;
                Ok(read.map(|(photo, dek, on_care_team)| PhotoRead {
                    photo,
                    dek,
                    on_care_team,
                }))
            }

            async fn photos_of_patient(
                &mut self,
                patient_id: &PatientId,
            ) -> StoreResult<Vec<PhotoRow>> {
                let sql = format!(
                    "SELECT {PHOTO_COLUMNS} FROM photos WHERE patient_id = $1 \
                     AND deleted_at_ms IS NULL ORDER BY created_at_ms, id"
                );
                let rows = ::sqlx::query(&sql)
                    .bind(patient_id.as_str())
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
                    .bind(p.id.as_str())
                    .bind(p.patient_id.as_str())
                    .bind(p.author_id.as_str())
                    .bind(p.treatment_id.as_ref().map(|v| v.as_str()))
                    .bind(&p.format)
                    .bind(p.width)
                    .bind(p.height)
                    .bind(p.photo_bytes)
                    .bind(p.thumb_bytes)
                    .bind(&p.meta_enc)
                    .bind(p.created_at_ms)
                    .bind(p.deleted_at_ms)
                    .bind(p.deleted_by.as_ref().map(|v| v.as_str()))
                    .execute(self.conn())
                    .await
                    .map_err(db)?;
                Ok(())
            }

            async fn soft_delete_photo(
                &mut self,
                id: &PhotoId,
                by: &UserId,
                now_ms: i64,
            ) -> StoreResult<bool> {
                let done = ::sqlx::query(
                    "UPDATE photos SET deleted_at_ms = $1, deleted_by = $2 \
                     WHERE id = $3 AND deleted_at_ms IS NULL",
                )
                .bind(now_ms)
                .bind(by.as_str())
                .bind(id.as_str())
                .execute(self.conn())
                .await
                .map_err(db)?;
                Ok(done.rows_affected() == 1)
            }
        }
    };
}

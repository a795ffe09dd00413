//! Charting's SQL: the lot recall query, and [`charting_sql!`], the clinical records', lots',
//! catalogue's and settings' part of each backend's transaction (see [`sqlx_tx!`](crate::sqlx_tx)).

/// A lot recall's rows (`$1`: the lot's blind index): one per patient the lot was used on, with
/// the sealed uses, contact columns and the patient's DEK, by patient id. Shared by the sqlx
/// transactions (which read its columns by name) and SQLite's direct read (by position).
pub const LOT_RECALL_SQL: &str = concat!(
    "SELECT l.patient_id, l.uses_enc, p.given_enc, p.family_enc, p.phone_enc, p.email_enc, ",
    crate::keys::sql::joined_dek_columns!(),
    " FROM lot_patients l JOIN patients p ON p.id = l.patient_id JOIN deks d \
     ON d.owner = l.patient_id WHERE l.lot_bidx = $1 ORDER BY l.patient_id"
);

/// Charting's part of `mod sql`: [`ChartingRead`](crate::ChartingRead) and
/// [`ChartingTx`](crate::ChartingTx) for `$tx`.
#[doc(hidden)]
#[macro_export]
macro_rules! charting_sql {
    ($tx:ident, $db:ty, $row:ty) => {
        use ::sqlx::Row as _;
        use $crate::{ClinicalRecordRow, InventoryLotRow, RecallRow, StoreResult};

        use super::*;
        use $crate::deps::vial_clinical::{CosignStatus, RecordKind, RecordState};
        use $crate::deps::vial_core::{PatientId, RecordId, UserId};

        const RECORD_COLUMNS: &str = "id, patient_id, kind, parent_id, author_id, state, \
                                      label, body_enc, version, created_at_ms, \
                                      updated_at_ms, signed_by, signed_at_ms, cosign, \
                                      cosigned_by, cosigned_at_ms, revoked_at_ms";

        fn record_from_row(row: &$row) -> StoreResult<ClinicalRecordRow> {
            Ok(ClinicalRecordRow {
                id: id(row, "id")?,
                patient_id: id(row, "patient_id")?,
                kind: code(row, "kind", RecordKind::parse)?,
                parent_id: opt_id(row, "parent_id")?,
                author_id: id(row, "author_id")?,
                state: code(row, "state", RecordState::parse)?,
                label: row.try_get("label").map_err(db)?,
                body_enc: row.try_get("body_enc").map_err(db)?,
                version: row.try_get("version").map_err(db)?,
                created_at_ms: row.try_get("created_at_ms").map_err(db)?,
                updated_at_ms: row.try_get("updated_at_ms").map_err(db)?,
                signed_by: opt_id(row, "signed_by")?,
                signed_at_ms: row.try_get("signed_at_ms").map_err(db)?,
                cosign: opt_code(row, "cosign", CosignStatus::parse)?,
                cosigned_by: opt_id(row, "cosigned_by")?,
                cosigned_at_ms: row.try_get("cosigned_at_ms").map_err(db)?,
                revoked_at_ms: row.try_get("revoked_at_ms").map_err(db)?,
            })
        }

        fn inventory_from_row(row: &$row) -> StoreResult<InventoryLotRow> {
            Ok(InventoryLotRow {
                id: id(row, "id")?,
                product_code: row.try_get("product_code").map_err(db)?,
                lot: row.try_get("lot").map_err(db)?,
                expiry: row.try_get("expiry").map_err(db)?,
                received: row.try_get("received").map_err(db)?,
                remaining: row.try_get("remaining").map_err(db)?,
                received_at_ms: row.try_get("received_at_ms").map_err(db)?,
            })
        }

        #[::async_trait::async_trait]
        impl $crate::ChartingRead for $tx {
            async fn record_by_id(
                &mut self,
                id: &RecordId,
            ) -> StoreResult<Option<ClinicalRecordRow>> {
                let sql = format!("SELECT {RECORD_COLUMNS} FROM clinical_records WHERE id = $1");
                let row = ::sqlx::query(&sql)
                    .bind(id.as_str())
                    .fetch_optional(self.conn())
                    .await
                    .map_err(db)?;
                row.as_ref().map(record_from_row).transpose()
            }

            async fn records_of_patient(
                &mut self,
                patient_id: &PatientId,
                kind: Option<RecordKind>,
            ) -> StoreResult<Vec<ClinicalRecordRow>> {
                let sql = format!(
                    "SELECT {RECORD_COLUMNS} FROM clinical_records \
                     WHERE patient_id = $1 AND ($2 IS NULL OR kind = $2) \
                     ORDER BY created_at_ms, id"
                );
                let rows = ::sqlx::query(&sql)
                    .bind(patient_id.as_str())
                    .bind(kind.map(RecordKind::as_str))
                    .fetch_all(self.conn())
                    .await
                    .map_err(db)?;
                rows.iter().map(record_from_row).collect()
            }

            async fn amendments_of(
                &mut self,
                parent_id: &RecordId,
            ) -> StoreResult<Vec<ClinicalRecordRow>> {
                let sql = format!(
                    "SELECT {RECORD_COLUMNS} FROM clinical_records \
                     WHERE parent_id = $1 ORDER BY created_at_ms, id"
                );
                let rows = ::sqlx::query(&sql)
                    .bind(parent_id.as_str())
                    .fetch_all(self.conn())
                    .await
                    .map_err(db)?;
                rows.iter().map(record_from_row).collect()
            }

            async fn records_awaiting_cosign(
                &mut self,
                limit: u32,
            ) -> StoreResult<Vec<ClinicalRecordRow>> {
                // The code is spelled into the statement, not bound: only then can both
                // planners use the partial index `clinical_records_awaiting`.
                let awaiting = CosignStatus::Awaiting.as_str();
                let sql = format!(
                    "SELECT {RECORD_COLUMNS} FROM clinical_records \
                     WHERE cosign = '{awaiting}' ORDER BY signed_at_ms, id \
                     LIMIT $1"
                );
                let rows = ::sqlx::query(&sql)
                    .bind(i64::from(limit))
                    .fetch_all(self.conn())
                    .await
                    .map_err(db)?;
                rows.iter().map(record_from_row).collect()
            }

            async fn lot_patient_uses(
                &mut self,
                lot_bidx: &[u8],
                patient_id: &PatientId,
            ) -> StoreResult<Option<Vec<u8>>> {
                ::sqlx::query_scalar(
                    "SELECT uses_enc FROM lot_patients WHERE lot_bidx = $1 AND patient_id = $2",
                )
                .bind(lot_bidx)
                .bind(patient_id.as_str())
                .fetch_optional(self.conn())
                .await
                .map_err(db)
            }

            async fn lot_recall(&mut self, lot_bidx: &[u8]) -> StoreResult<Vec<RecallRow>> {
                let rows = ::sqlx::query($crate::LOT_RECALL_SQL)
                    .bind(lot_bidx)
                    .fetch_all(self.conn())
                    .await
                    .map_err(db)?;
                rows.iter()
                    .map(|r| {
                        Ok(RecallRow {
                            uses_enc: r.try_get("uses_enc").map_err(db)?,
                            given_enc: r.try_get("given_enc").map_err(db)?,
                            family_enc: r.try_get("family_enc").map_err(db)?,
                            phone_enc: r.try_get("phone_enc").map_err(db)?,
                            email_enc: r.try_get("email_enc").map_err(db)?,
                            dek: super::keys::dek_columns(r, "dek_")?,
                            patient_id: id(r, "patient_id")?,
                        })
                    })
                    .collect()
            }

            async fn products(&mut self) -> StoreResult<Vec<(String, String)>> {
                let rows = ::sqlx::query("SELECT code, body FROM products ORDER BY code")
                    .fetch_all(self.conn())
                    .await
                    .map_err(db)?;
                rows.iter()
                    .map(|r| {
                        Ok((
                            r.try_get("code").map_err(db)?,
                            r.try_get("body").map_err(db)?,
                        ))
                    })
                    .collect()
            }

            async fn inventory_lots(&mut self) -> StoreResult<Vec<InventoryLotRow>> {
                let rows = ::sqlx::query(
                    "SELECT id, product_code, lot, expiry, received, remaining, \
                     received_at_ms FROM inventory_lots ORDER BY product_code, expiry, \
                     lot",
                )
                .fetch_all(self.conn())
                .await
                .map_err(db)?;
                rows.iter().map(inventory_from_row).collect()
            }

            async fn setting(&mut self, key: &str) -> StoreResult<Option<String>> {
                let row = ::sqlx::query("SELECT value FROM practice_settings WHERE key = $1")
                    .bind(key)
                    .fetch_optional(self.conn())
                    .await
                    .map_err(db)?;
                row.map(|r| r.try_get("value").map_err(db)).transpose()
            }
        }

        #[::async_trait::async_trait]
        impl $crate::ChartingTx for $tx {
            async fn insert_record(&mut self, r: &ClinicalRecordRow) -> StoreResult<()> {
                let sql = format!(
                    "INSERT INTO clinical_records ({RECORD_COLUMNS}) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, \
                     $14, $15, $16, $17)"
                );
                ::sqlx::query(&sql)
                    .bind(r.id.as_str())
                    .bind(r.patient_id.as_str())
                    .bind(r.kind.as_str())
                    .bind(r.parent_id.as_ref().map(|v| v.as_str()))
                    .bind(r.author_id.as_str())
                    .bind(r.state.as_str())
                    .bind(&r.label)
                    .bind(&r.body_enc)
                    .bind(r.version)
                    .bind(r.created_at_ms)
                    .bind(r.updated_at_ms)
                    .bind(r.signed_by.as_ref().map(|v| v.as_str()))
                    .bind(r.signed_at_ms)
                    .bind(r.cosign.map(|v| v.as_str()))
                    .bind(r.cosigned_by.as_ref().map(|v| v.as_str()))
                    .bind(r.cosigned_at_ms)
                    .bind(r.revoked_at_ms)
                    .execute(self.conn())
                    .await
                    .map_err(db)?;
                Ok(())
            }

            async fn update_record_body(
                &mut self,
                id: &RecordId,
                body_enc: &[u8],
                version: i64,
                now_ms: i64,
            ) -> StoreResult<bool> {
                let done = ::sqlx::query(
                    "UPDATE clinical_records SET body_enc = $1, version = version + 1, \
                     updated_at_ms = $2 WHERE id = $3 AND version = $4 \
                     AND state IN ($5, $6)",
                )
                .bind(body_enc)
                .bind(now_ms)
                .bind(id.as_str())
                .bind(version)
                .bind(RecordState::Draft.as_str())
                .bind(RecordState::Current.as_str())
                .execute(self.conn())
                .await
                .map_err(db)?;
                Ok(done.rows_affected() == 1)
            }

            async fn sign_record(
                &mut self,
                id: &RecordId,
                signer: &UserId,
                cosign: CosignStatus,
                now_ms: i64,
            ) -> StoreResult<bool> {
                let done = ::sqlx::query(
                    "UPDATE clinical_records SET state = $5, signed_by = $1, \
                     signed_at_ms = $2, cosign = $3, updated_at_ms = $2, version = \
                     version + 1 WHERE id = $4 AND state = $6",
                )
                .bind(signer.as_str())
                .bind(now_ms)
                .bind(cosign.as_str())
                .bind(id.as_str())
                .bind(RecordState::Signed.as_str())
                .bind(RecordState::Draft.as_str())
                .execute(self.conn())
                .await
                .map_err(db)?;
                Ok(done.rows_affected() == 1)
            }

            async fn cosign_record(
                &mut self,
                id: &RecordId,
                cosigner: &UserId,
                now_ms: i64,
            ) -> StoreResult<bool> {
                let done = ::sqlx::query(
                    "UPDATE clinical_records SET cosign = $4, cosigned_by = $1, \
                     cosigned_at_ms = $2, updated_at_ms = $2 WHERE id = $3 \
                     AND cosign = $5",
                )
                .bind(cosigner.as_str())
                .bind(now_ms)
                .bind(id.as_str())
                .bind(CosignStatus::Cosigned.as_str())
                .bind(CosignStatus::Awaiting.as_str())
                .execute(self.conn())
                .await
                .map_err(db)?;
                Ok(done.rows_affected() == 1)
            }

            async fn revoke_record(&mut self, id: &RecordId, now_ms: i64) -> StoreResult<bool> {
                let done = ::sqlx::query(
                    "UPDATE clinical_records SET state = $3, revoked_at_ms = $1, \
                     updated_at_ms = $1 WHERE id = $2 AND state = $4",
                )
                .bind(now_ms)
                .bind(id.as_str())
                .bind(RecordState::Revoked.as_str())
                .bind(RecordState::Signed.as_str())
                .execute(self.conn())
                .await
                .map_err(db)?;
                Ok(done.rows_affected() == 1)
            }

            async fn put_lot_patient_uses(
                &mut self,
                lot_bidx: &[u8],
                patient_id: &PatientId,
                uses_enc: &[u8],
            ) -> StoreResult<()> {
                ::sqlx::query(
                    "INSERT INTO lot_patients (lot_bidx, patient_id, uses_enc) \
                     VALUES ($1, $2, $3) ON CONFLICT (lot_bidx, patient_id) \
                     DO UPDATE SET uses_enc = excluded.uses_enc",
                )
                .bind(lot_bidx)
                .bind(patient_id.as_str())
                .bind(uses_enc)
                .execute(self.conn())
                .await
                .map_err(db)?;
                Ok(())
            }

            async fn insert_product(
                &mut self,
                code: &str,
                body: &str,
                now_ms: i64,
            ) -> StoreResult<()> {
                ::sqlx::query(
                    "INSERT INTO products (code, body, created_at_ms) VALUES ($1, $2, $3)",
                )
                .bind(code)
                .bind(body)
                .bind(now_ms)
                .execute(self.conn())
                .await
                .map_err(db)?;
                Ok(())
            }

            async fn insert_inventory_lot(&mut self, l: &InventoryLotRow) -> StoreResult<()> {
                ::sqlx::query(
                    "INSERT INTO inventory_lots (id, product_code, lot, expiry, \
                     received, remaining, received_at_ms) VALUES ($1, $2, $3, $4, $5, \
                     $6, $7)",
                )
                .bind(l.id.as_str())
                .bind(&l.product_code)
                .bind(&l.lot)
                .bind(&l.expiry)
                .bind(l.received)
                .bind(l.remaining)
                .bind(l.received_at_ms)
                .execute(self.conn())
                .await
                .map_err(db)?;
                Ok(())
            }

            async fn draw_down(
                &mut self,
                product_code: &str,
                lot: &str,
                quantity: i64,
            ) -> StoreResult<bool> {
                let done = ::sqlx::query(
                    "UPDATE inventory_lots SET remaining = remaining - $1 \
                     WHERE product_code = $2 AND lot = $3 AND remaining >= $1",
                )
                .bind(quantity)
                .bind(product_code)
                .bind(lot)
                .execute(self.conn())
                .await
                .map_err(db)?;
                Ok(done.rows_affected() == 1)
            }

            async fn set_setting(&mut self, key: &str, value: &str) -> StoreResult<()> {
                ::sqlx::query(
                    "INSERT INTO practice_settings (key, value) \
                     VALUES ($1, $2) ON CONFLICT (key) DO UPDATE \
                     SET value = excluded.value",
                )
                .bind(key)
                .bind(value)
                .execute(self.conn())
                .await
                .map_err(db)?;
                Ok(())
            }
        }
    };
}

//! Patients' SQL: [`patients_sql!`], the patients' part of each backend's transaction (see
//! [`sqlx_tx!`](crate::sqlx_tx)).

/// The patients' part of `mod sql`: [`PatientsRead`](crate::PatientsRead) and
/// [`PatientsTx`](crate::PatientsTx) for `$tx`.
#[doc(hidden)]
#[macro_export]
macro_rules! patients_sql {
    ($tx:ident, $db:ty, $row:ty) => {
        use ::sqlx::Row as _;
        use $crate::{BreakGlassRow, PatientLookup, PatientRead, PatientRow, StoreResult};

        use super::*;
        use $crate::deps::vial_core::{PatientId, UserId};

        const PATIENT_COLUMNS: &str = "id, given_enc, family_enc, dob_enc, phone_enc, \
                                       email_enc, family_bidx, dob_bidx, phone_bidx, \
                                       email_bidx, created_at_ms";

        fn patient_from_row(row: &$row) -> StoreResult<PatientRow> {
            Ok(PatientRow {
                id: id(row, "id")?,
                given_enc: row.try_get("given_enc").map_err(db)?,
                family_enc: row.try_get("family_enc").map_err(db)?,
                dob_enc: row.try_get("dob_enc").map_err(db)?,
                phone_enc: row.try_get("phone_enc").map_err(db)?,
                email_enc: row.try_get("email_enc").map_err(db)?,
                family_bidx: row.try_get("family_bidx").map_err(db)?,
                dob_bidx: row.try_get("dob_bidx").map_err(db)?,
                phone_bidx: row.try_get("phone_bidx").map_err(db)?,
                email_bidx: row.try_get("email_bidx").map_err(db)?,
                created_at_ms: row.try_get("created_at_ms").map_err(db)?,
            })
        }

        #[::async_trait::async_trait]
        impl $crate::PatientsRead for $tx {
            async fn patient_by_id(&mut self, id: &PatientId) -> StoreResult<Option<PatientRow>> {
                let sql = format!("SELECT {PATIENT_COLUMNS} FROM patients WHERE id = $1");
                let row = ::sqlx::query(&sql)
                    .bind(id.as_str())
                    .fetch_optional(self.conn())
                    .await
                    .map_err(db)?;
                row.as_ref().map(patient_from_row).transpose()
            }

            async fn find_patients(
                &mut self,
                lookup: &PatientLookup,
                limit: u32,
            ) -> StoreResult<Vec<PatientRow>> {
                let (filter, first, second) = match lookup {
                    PatientLookup::FamilyAndDob {
                        family_bidx,
                        dob_bidx,
                    } => (
                        "family_bidx = $1 AND dob_bidx = $2",
                        family_bidx,
                        Some(dob_bidx),
                    ),
                    PatientLookup::Phone(bidx) => ("phone_bidx = $1", bidx, None),
                    PatientLookup::Email(bidx) => ("email_bidx = $1", bidx, None),
                };
                let limit_param = if second.is_some() { "$3" } else { "$2" };
                let sql = format!(
                    "SELECT {PATIENT_COLUMNS} FROM patients WHERE {filter} \
                     ORDER BY id LIMIT {limit_param}"
                );
                let mut query = ::sqlx::query(&sql).bind(first);
                if let Some(second) = second {
                    query = query.bind(second);
                }
                let rows = query
                    .bind(i64::from(limit))
                    .fetch_all(self.conn())
                    .await
                    .map_err(db)?;
                rows.iter().map(patient_from_row).collect()
            }

            async fn patient_for(
                &mut self,
                id: &PatientId,
                reader_id: &UserId,
            ) -> StoreResult<Option<PatientRead>> {
                let sql = format!(
                    "SELECT p.id, p.given_enc, p.family_enc, p.dob_enc, p.phone_enc, \
                     p.email_enc, p.family_bidx, p.dob_bidx, p.phone_bidx, p.email_bidx, \
                     p.created_at_ms, {JOINED_DEK_COLUMNS}, EXISTS (SELECT 1 \
                     FROM care_team c WHERE c.patient_id = p.id \
                     AND c.provider_id = $2) AS on_care_team FROM patients p \
                     LEFT JOIN deks d ON d.owner = p.id WHERE p.id = $1"
                );
                let read = self
                    .read_for(&sql, id.as_str(), reader_id, patient_from_row)
                    .await?;
                Ok(read.map(|(patient, dek, on_care_team)| PatientRead {
                    patient,
                    dek,
                    on_care_team,
                }))
            }

            async fn on_care_team(
                &mut self,
                patient_id: &PatientId,
                provider_id: &UserId,
            ) -> StoreResult<bool> {
                let found: i64 = ::sqlx::query_scalar(
                    "SELECT count(*) FROM care_team WHERE patient_id = $1 AND provider_id = $2",
                )
                .bind(patient_id.as_str())
                .bind(provider_id.as_str())
                .fetch_one(self.conn())
                .await
                .map_err(db)?;
                Ok(found > 0)
            }

            async fn has_break_glass(
                &mut self,
                patient_id: &PatientId,
                provider_id: &UserId,
                now_ms: i64,
            ) -> StoreResult<bool> {
                let n: i64 = ::sqlx::query_scalar(
                    "SELECT count(*) FROM break_glass WHERE patient_id = $1 \
                     AND provider_id = $2 AND expires_at_ms > $3",
                )
                .bind(patient_id.as_str())
                .bind(provider_id.as_str())
                .bind(now_ms)
                .fetch_one(self.conn())
                .await
                .map_err(db)?;
                Ok(n > 0)
            }

            async fn recent_break_glass(&mut self, limit: u32) -> StoreResult<Vec<BreakGlassRow>> {
                let rows = ::sqlx::query(
                    "SELECT id, patient_id, provider_id, reason_enc, created_at_ms, \
                     expires_at_ms FROM break_glass ORDER BY created_at_ms DESC \
                     LIMIT $1",
                )
                .bind(i64::from(limit))
                .fetch_all(self.conn())
                .await
                .map_err(db)?;
                rows.iter()
                    .map(|row| {
                        Ok(BreakGlassRow {
                            id: id(row, "id")?,
                            patient_id: id(row, "patient_id")?,
                            provider_id: id(row, "provider_id")?,
                            reason_enc: row.try_get("reason_enc").map_err(db)?,
                            created_at_ms: row.try_get("created_at_ms").map_err(db)?,
                            expires_at_ms: row.try_get("expires_at_ms").map_err(db)?,
                        })
                    })
                    .collect()
            }

            async fn provider_patients(
                &mut self,
                provider_id: &UserId,
                now_ms: i64,
            ) -> StoreResult<(Vec<PatientId>, Vec<PatientId>)> {
                let team: Vec<String> =
                    ::sqlx::query_scalar("SELECT patient_id FROM care_team WHERE provider_id = $1")
                        .bind(provider_id.as_str())
                        .fetch_all(self.conn())
                        .await
                        .map_err(db)?;
                let glass: Vec<String> = ::sqlx::query_scalar(
                    "SELECT DISTINCT patient_id FROM break_glass \
                     WHERE provider_id = $1 AND expires_at_ms > $2",
                )
                .bind(provider_id.as_str())
                .bind(now_ms)
                .fetch_all(self.conn())
                .await
                .map_err(db)?;
                let ids = |raw: Vec<String>| raw.into_iter().map(PatientId::from).collect();
                Ok((ids(team), ids(glass)))
            }
        }

        #[::async_trait::async_trait]
        impl $crate::PatientsTx for $tx {
            async fn insert_patient(&mut self, p: &PatientRow) -> StoreResult<()> {
                let sql = format!(
                    "INSERT INTO patients ({PATIENT_COLUMNS}) VALUES ($1, $2, $3, $4, \
                     $5, $6, $7, $8, $9, $10, $11)"
                );
                ::sqlx::query(&sql)
                    .bind(p.id.as_str())
                    .bind(&p.given_enc)
                    .bind(&p.family_enc)
                    .bind(&p.dob_enc)
                    .bind(&p.phone_enc)
                    .bind(&p.email_enc)
                    .bind(&p.family_bidx)
                    .bind(&p.dob_bidx)
                    .bind(&p.phone_bidx)
                    .bind(&p.email_bidx)
                    .bind(p.created_at_ms)
                    .execute(self.conn())
                    .await
                    .map_err(db)?;
                Ok(())
            }

            async fn add_to_care_team(
                &mut self,
                patient_id: &PatientId,
                provider_id: &UserId,
                reason: $crate::CareTeamReason,
                at_ms: i64,
            ) -> StoreResult<bool> {
                let done = ::sqlx::query(
                    "INSERT INTO care_team (patient_id, provider_id, reason, \
                     created_at_ms) VALUES ($1, $2, $3, $4) ON CONFLICT (patient_id, \
                     provider_id) DO NOTHING",
                )
                .bind(patient_id.as_str())
                .bind(provider_id.as_str())
                .bind(reason.code())
                .bind(at_ms)
                .execute(self.conn())
                .await
                .map_err(db)?;
                Ok(done.rows_affected() == 1)
            }

            async fn remove_from_care_team(
                &mut self,
                patient_id: &PatientId,
                provider_id: &UserId,
            ) -> StoreResult<bool> {
                let done = ::sqlx::query(
                    "DELETE FROM care_team WHERE patient_id = $1 AND provider_id = $2",
                )
                .bind(patient_id.as_str())
                .bind(provider_id.as_str())
                .execute(self.conn())
                .await
                .map_err(db)?;
                Ok(done.rows_affected() == 1)
            }

            async fn insert_break_glass(&mut self, g: &BreakGlassRow) -> StoreResult<()> {
                ::sqlx::query(
                    "INSERT INTO break_glass (id, patient_id, provider_id, reason_enc, \
                     created_at_ms, expires_at_ms) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(g.id.as_str())
                .bind(g.patient_id.as_str())
                .bind(g.provider_id.as_str())
                .bind(&g.reason_enc)
                .bind(g.created_at_ms)
                .bind(g.expires_at_ms)
                .execute(self.conn())
                .await
                .map_err(db)?;
                Ok(())
            }
        }
    };
}

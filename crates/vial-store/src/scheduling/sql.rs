//! Scheduling's SQL: [`scheduling_sql!`], the locations' and appointments' part of each
//! backend's transaction (see [`sqlx_tx!`](crate::sqlx_tx)).

/// Scheduling's part of `mod sql`: [`SchedulingRead`](crate::SchedulingRead) and
/// [`SchedulingTx`](crate::SchedulingTx) for `$tx`.
#[doc(hidden)]
#[macro_export]
macro_rules! scheduling_sql {
    ($tx:ident, $db:ty, $row:ty) => {
        use ::sqlx::Row as _;
        use $crate::{AppointmentRow, LocationRow, StoreResult};

        use super::*;
        use $crate::deps::vial_clinical::Status;
        use $crate::deps::vial_core::{AppointmentId, PatientId, UserId};

        const APPOINTMENT_COLUMNS: &str = "id, patient_id, provider_id, location_id, \
                                           start_ms, end_ms, status, service_enc, \
                                           address_enc, created_by, created_at_ms, \
                                           updated_at_ms";

        fn appointment_from_row(row: &$row) -> StoreResult<AppointmentRow> {
            Ok(AppointmentRow {
                id: id(row, "id")?,
                patient_id: id(row, "patient_id")?,
                provider_id: id(row, "provider_id")?,
                location_id: row.try_get("location_id").map_err(db)?,
                start_ms: row.try_get("start_ms").map_err(db)?,
                end_ms: row.try_get("end_ms").map_err(db)?,
                status: code(row, "status", Status::parse)?,
                service_enc: row.try_get("service_enc").map_err(db)?,
                address_enc: row.try_get("address_enc").map_err(db)?,
                created_by: id(row, "created_by")?,
                created_at_ms: row.try_get("created_at_ms").map_err(db)?,
                updated_at_ms: row.try_get("updated_at_ms").map_err(db)?,
            })
        }

        #[::async_trait::async_trait]
        impl $crate::SchedulingRead for $tx {
            async fn locations(&mut self) -> StoreResult<Vec<LocationRow>> {
                let rows = ::sqlx::query(
                    "SELECT id, name, created_at_ms FROM locations ORDER BY name, id",
                )
                .fetch_all(self.conn())
                .await
                .map_err(db)?;
                rows.iter()
                    .map(|r| {
                        Ok(LocationRow {
                            id: id(r, "id")?,
                            name: r.try_get("name").map_err(db)?,
                            created_at_ms: r.try_get("created_at_ms").map_err(db)?,
                        })
                    })
                    .collect()
            }

            async fn appointment_by_id(
                &mut self,
                id: &AppointmentId,
            ) -> StoreResult<Option<AppointmentRow>> {
                let sql = format!("SELECT {APPOINTMENT_COLUMNS} FROM appointments WHERE id = $1");
                let row = ::sqlx::query(&sql)
                    .bind(id.as_str())
                    .fetch_optional(self.conn())
                    .await
                    .map_err(db)?;
                row.as_ref().map(appointment_from_row).transpose()
            }

            async fn active_overlapping(
                &mut self,
                provider_id: &UserId,
                start_ms: i64,
                end_ms: i64,
            ) -> StoreResult<Vec<AppointmentRow>> {
                let sql = format!(
                    "SELECT {APPOINTMENT_COLUMNS} FROM appointments \
                     WHERE provider_id = $1 AND status IN ($4, $5) \
                     AND start_ms < $3 AND end_ms > $2 ORDER BY start_ms"
                );
                let [holding, also_holding] = Status::HOLDING_TIME;
                let rows = ::sqlx::query(&sql)
                    .bind(provider_id.as_str())
                    .bind(start_ms)
                    .bind(end_ms)
                    .bind(holding.as_str())
                    .bind(also_holding.as_str())
                    .fetch_all(self.conn())
                    .await
                    .map_err(db)?;
                rows.iter().map(appointment_from_row).collect()
            }

            async fn appointments_between(
                &mut self,
                start_ms: i64,
                end_ms: i64,
                provider_id: Option<&UserId>,
            ) -> StoreResult<Vec<AppointmentRow>> {
                let sql = format!(
                    "SELECT {APPOINTMENT_COLUMNS} FROM appointments \
                     WHERE start_ms >= $1 AND start_ms < $2 AND ($3 IS NULL OR \
                     provider_id = $3) ORDER BY start_ms, id"
                );
                let rows = ::sqlx::query(&sql)
                    .bind(start_ms)
                    .bind(end_ms)
                    .bind(provider_id.map(UserId::as_str))
                    .fetch_all(self.conn())
                    .await
                    .map_err(db)?;
                rows.iter().map(appointment_from_row).collect()
            }

            async fn appointments_of_patient(
                &mut self,
                patient_id: &PatientId,
            ) -> StoreResult<Vec<AppointmentRow>> {
                let sql = format!(
                    "SELECT {APPOINTMENT_COLUMNS} FROM appointments \
                     WHERE patient_id = $1 ORDER BY start_ms, id"
                );
                let rows = ::sqlx::query(&sql)
                    .bind(patient_id.as_str())
                    .fetch_all(self.conn())
                    .await
                    .map_err(db)?;
                rows.iter().map(appointment_from_row).collect()
            }

            async fn appointments_in_status(
                &mut self,
                status: Status,
                after_ms: i64,
                provider_id: Option<&UserId>,
            ) -> StoreResult<Vec<AppointmentRow>> {
                let sql = format!(
                    "SELECT {APPOINTMENT_COLUMNS} FROM appointments \
                     WHERE status = $1 AND end_ms > $2 AND ($3 IS NULL OR provider_id = $3) \
                     ORDER BY start_ms, id"
                );
                let rows = ::sqlx::query(&sql)
                    .bind(status.as_str())
                    .bind(after_ms)
                    .bind(provider_id.map(UserId::as_str))
                    .fetch_all(self.conn())
                    .await
                    .map_err(db)?;
                rows.iter().map(appointment_from_row).collect()
            }
        }

        #[::async_trait::async_trait]
        impl $crate::SchedulingTx for $tx {
            async fn insert_location(&mut self, l: &LocationRow) -> StoreResult<()> {
                ::sqlx::query(
                    "INSERT INTO locations (id, name, created_at_ms) VALUES ($1, $2, $3)",
                )
                .bind(l.id.as_str())
                .bind(&l.name)
                .bind(l.created_at_ms)
                .execute(self.conn())
                .await
                .map_err(db)?;
                Ok(())
            }

            async fn insert_appointment(&mut self, a: &AppointmentRow) -> StoreResult<()> {
                let sql = format!(
                    "INSERT INTO appointments ({APPOINTMENT_COLUMNS}) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
                );
                ::sqlx::query(&sql)
                    .bind(a.id.as_str())
                    .bind(a.patient_id.as_str())
                    .bind(a.provider_id.as_str())
                    .bind(&a.location_id)
                    .bind(a.start_ms)
                    .bind(a.end_ms)
                    .bind(a.status.as_str())
                    .bind(&a.service_enc)
                    .bind(&a.address_enc)
                    .bind(a.created_by.as_str())
                    .bind(a.created_at_ms)
                    .bind(a.updated_at_ms)
                    .execute(self.conn())
                    .await
                    .map_err(db)?;
                Ok(())
            }

            async fn set_appointment_status(
                &mut self,
                id: &AppointmentId,
                from: Status,
                to: Status,
                now_ms: i64,
            ) -> StoreResult<bool> {
                let done = ::sqlx::query(
                    "UPDATE appointments SET status = $1, updated_at_ms = $2 \
                     WHERE id = $3 AND status = $4",
                )
                .bind(to.as_str())
                .bind(now_ms)
                .bind(id.as_str())
                .bind(from.as_str())
                .execute(self.conn())
                .await
                .map_err(db)?;
                Ok(done.rows_affected() == 1)
            }
        }
    };
}

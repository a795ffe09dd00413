//! The vendor registry's SQL: [`vendors_sql!`], its part of each backend's transaction (see
//! [`sqlx_tx!`](crate::sqlx_tx)).

/// The vendors' part of `mod sql`: [`VendorsRead`](crate::VendorsRead) and
/// [`VendorsTx`](crate::VendorsTx) for `$tx`.
#[doc(hidden)]
#[macro_export]
macro_rules! vendors_sql {
    ($tx:ident, $db:ty, $row:ty) => {
        use ::sqlx::Row as _;
        use $crate::{StoreResult, VendorRow};

        use super::*;

        const VENDOR_COLUMNS: &str = "id, name, service, hosts, region, baa_signed, \
             baa_expires, baa_sha256, created_at_ms, ended_at_ms";

        fn vendor_from_row(r: &$row) -> StoreResult<VendorRow> {
            let hosts: String = r.try_get("hosts").map_err(db)?;
            Ok(VendorRow {
                id: r.try_get("id").map_err(db)?,
                name: r.try_get("name").map_err(db)?,
                service: r.try_get("service").map_err(db)?,
                hosts: hosts.lines().map(str::to_owned).collect(),
                region: r.try_get("region").map_err(db)?,
                baa_signed: r.try_get("baa_signed").map_err(db)?,
                baa_expires: r.try_get("baa_expires").map_err(db)?,
                baa_sha256: r.try_get("baa_sha256").map_err(db)?,
                created_at_ms: r.try_get("created_at_ms").map_err(db)?,
                ended_at_ms: r.try_get("ended_at_ms").map_err(db)?,
            })
        }

        #[::async_trait::async_trait]
        impl $crate::VendorsRead for $tx {
            async fn vendors(&mut self) -> StoreResult<Vec<VendorRow>> {
                let sql = format!("SELECT {VENDOR_COLUMNS} FROM vendors ORDER BY name, id");
                let rows = ::sqlx::query(&sql)
                    .fetch_all(self.conn())
                    .await
                    .map_err(db)?;
                rows.iter().map(vendor_from_row).collect()
            }

            async fn vendor(&mut self, id: &str) -> StoreResult<Option<VendorRow>> {
                let sql = format!("SELECT {VENDOR_COLUMNS} FROM vendors WHERE id = $1");
                let row = ::sqlx::query(&sql)
                    .bind(id)
                    .fetch_optional(self.conn())
                    .await
                    .map_err(db)?;
                row.as_ref().map(vendor_from_row).transpose()
            }

            async fn vendor_document(&mut self, id: &str) -> StoreResult<Option<Vec<u8>>> {
                let row = ::sqlx::query("SELECT baa_document FROM vendors WHERE id = $1")
                    .bind(id)
                    .fetch_optional(self.conn())
                    .await
                    .map_err(db)?;
                match row {
                    Some(r) => r.try_get("baa_document").map_err(db),
                    None => Ok(None),
                }
            }
        }

        #[::async_trait::async_trait]
        impl $crate::VendorsTx for $tx {
            async fn insert_vendor(
                &mut self,
                v: &VendorRow,
                document: Option<&[u8]>,
            ) -> StoreResult<()> {
                ::sqlx::query(
                    "INSERT INTO vendors (id, name, service, hosts, region, baa_signed, \
                     baa_expires, baa_sha256, baa_document, created_at_ms, ended_at_ms) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                )
                .bind(&v.id)
                .bind(&v.name)
                .bind(&v.service)
                .bind(v.hosts.join("\n"))
                .bind(&v.region)
                .bind(&v.baa_signed)
                .bind(&v.baa_expires)
                .bind(&v.baa_sha256)
                .bind(document)
                .bind(v.created_at_ms)
                .bind(v.ended_at_ms)
                .execute(self.conn())
                .await
                .map_err(db)?;
                Ok(())
            }

            async fn renew_vendor(&mut self, id: &str, baa_expires: &str) -> StoreResult<bool> {
                let done = ::sqlx::query(
                    "UPDATE vendors SET baa_expires = $2 WHERE id = $1 AND ended_at_ms IS NULL",
                )
                .bind(id)
                .bind(baa_expires)
                .execute(self.conn())
                .await
                .map_err(db)?;
                Ok(done.rows_affected() == 1)
            }

            async fn end_vendor(&mut self, id: &str, at_ms: i64) -> StoreResult<bool> {
                let done = ::sqlx::query(
                    "UPDATE vendors SET ended_at_ms = $2 WHERE id = $1 AND ended_at_ms IS NULL",
                )
                .bind(id)
                .bind(at_ms)
                .execute(self.conn())
                .await
                .map_err(db)?;
                Ok(done.rows_affected() == 1)
            }
        }
    };
}

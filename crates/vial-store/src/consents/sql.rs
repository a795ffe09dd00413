//! Consents' SQL: [`consents_sql!`], the consent forms' part of each backend's transaction (see
//! [`sqlx_tx!`](crate::sqlx_tx)).

/// The consents' part of `mod sql`: [`ConsentsRead`](crate::ConsentsRead) and
/// [`ConsentsTx`](crate::ConsentsTx) for `$tx`.
#[doc(hidden)]
#[macro_export]
macro_rules! consents_sql {
    ($tx:ident, $db:ty, $row:ty) => {
        use ::sqlx::Row as _;
        use $crate::{ConsentFormRow, StoreResult};

        use super::*;

        #[::async_trait::async_trait]
        impl $crate::ConsentsRead for $tx {
            async fn consent_forms(&mut self) -> StoreResult<Vec<ConsentFormRow>> {
                let rows = ::sqlx::query(
                    "SELECT kind, version, text, created_at_ms \
                     FROM consent_forms ORDER BY kind, created_at_ms, version",
                )
                .fetch_all(self.conn())
                .await
                .map_err(db)?;
                rows.iter()
                    .map(|r| {
                        Ok(ConsentFormRow {
                            kind: r.try_get("kind").map_err(db)?,
                            version: r.try_get("version").map_err(db)?,
                            text: r.try_get("text").map_err(db)?,
                            created_at_ms: r.try_get("created_at_ms").map_err(db)?,
                        })
                    })
                    .collect()
            }
        }

        #[::async_trait::async_trait]
        impl $crate::ConsentsTx for $tx {
            async fn insert_consent_form(&mut self, f: &ConsentFormRow) -> StoreResult<()> {
                ::sqlx::query(
                    "INSERT INTO consent_forms (kind, version, text, created_at_ms) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(&f.kind)
                .bind(&f.version)
                .bind(&f.text)
                .bind(f.created_at_ms)
                .execute(self.conn())
                .await
                .map_err(db)?;
                Ok(())
            }
        }
    };
}

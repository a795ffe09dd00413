//! Per-owner data keys: fetched and unwrapped, or created and wrapped, inside a transaction.

use vial_crypto::{DataKey, DekId, WrappedKey};
use vial_store::{StoredDek, Tx, TxRead};

use crate::{App, AppError};

impl App {
    /// The DEK of `owner`, created (and wrapped with the current KEK) if it has none yet.
    pub(crate) async fn data_key_for(
        &self,
        tx: &mut dyn Tx,
        owner: &(impl AsRef<str> + Sync + ?Sized),
    ) -> Result<DataKey, AppError> {
        let owner = owner.as_ref();
        if let Some(stored) = tx.dek_by_owner(owner).await? {
            return self.unwrap_stored(&stored);
        }
        let key = DataKey::generate()?;
        let wrapped = self.keys().refresh()?.wrap(&key)?;
        tx.insert_dek(&StoredDek {
            id: *key.id().as_bytes(),
            owner: owner.to_owned(),
            kek_version: wrapped.kek_version(),
            wrapped: wrapped.as_bytes().to_vec(),
            created_at_ms: self.now_ms(),
        })
        .await?;
        Ok(key)
    }

    /// The existing DEK of `owner`; an owner without one has no readable data.
    pub(crate) async fn existing_data_key(
        &self,
        tx: &mut dyn TxRead,
        owner: &(impl AsRef<str> + Sync + ?Sized),
    ) -> Result<DataKey, AppError> {
        let owner = owner.as_ref();
        let stored = tx
            .dek_by_owner(owner)
            .await?
            .ok_or(AppError::NotFound("data key"))?;
        self.unwrap_stored(&stored)
    }

    pub(crate) fn unwrap_stored(&self, stored: &StoredDek) -> Result<DataKey, AppError> {
        let wrapped = WrappedKey::from_bytes(stored.wrapped.clone())?;
        self.keys().unwrap(DekId(stored.id), &wrapped)
    }
}

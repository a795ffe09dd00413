//! Data keys: each owner's DEK as stored, wrapped by one KEK version, and their re-wrapping
//! when the KEK rotates.

mod records;
pub(crate) mod sql;

#[cfg(feature = "scenarios")]
pub mod scenarios;

pub use records::{DekCount, DekRewrap, StoredDek};

use crate::StoreResult;

/// Reads of data keys.
#[async_trait::async_trait]
pub trait KeysRead: Send {
    async fn dek_by_owner(&mut self, owner: &str) -> StoreResult<Option<StoredDek>>;
    async fn dek_by_id(&mut self, id: &[u8; 16]) -> StoreResult<Option<StoredDek>>;
    /// Up to `limit` DEKs wrapped by KEK `version`, in id order after `after` (an index range).
    async fn deks_wrapped_by(
        &mut self,
        version: u32,
        after: Option<[u8; 16]>,
        limit: u32,
    ) -> StoreResult<Vec<StoredDek>>;
    /// How many DEKs each KEK version still wraps.
    async fn dek_counts(&mut self) -> StoreResult<Vec<DekCount>>;
}

/// Writes of data keys.
#[async_trait::async_trait]
pub trait KeysTx: Send {
    async fn insert_dek(&mut self, dek: &StoredDek) -> StoreResult<()>;
    /// Replaces each DEK's wrapping if it is still wrapped by the version it was read at, in one
    /// statement; returns how many were replaced (the rest changed meanwhile).
    async fn rewrap_deks(&mut self, rewraps: &[DekRewrap]) -> StoreResult<u64>;
}

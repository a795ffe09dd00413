//! Data keys as stored.

/// A data key as stored: wrapped by one KEK version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDek {
    pub id: [u8; 16],
    /// Whose data it encrypts, e.g. a patient or user id.
    pub owner: String,
    pub kek_version: u32,
    pub wrapped: Vec<u8>,
    pub created_at_ms: i64,
}

impl StoredDek {
    /// A DEK from its columns as the database returns them, refusing an id that is not 16
    /// bytes or a KEK version out of range (whichever driver read them).
    pub fn from_columns(
        id: Vec<u8>,
        owner: String,
        kek_version: i64,
        wrapped: Vec<u8>,
        created_at_ms: i64,
    ) -> crate::StoreResult<Self> {
        Ok(Self {
            id: id
                .try_into()
                .map_err(|_| crate::StoreError::Corrupt("deks.id is not 16 bytes".into()))?,
            owner,
            kek_version: u32::try_from(kek_version)
                .map_err(|_| crate::StoreError::Corrupt("deks.kek_version out of range".into()))?,
            wrapped,
            created_at_ms,
        })
    }
}

/// A DEK's new wrapping, applied only if it is still at `old_version`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DekRewrap {
    pub id: [u8; 16],
    pub old_version: u32,
    pub new_version: u32,
    pub wrapped: Vec<u8>,
}

/// Number of DEKs wrapped by one KEK version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DekCount {
    pub kek_version: u32,
    pub deks: u64,
}

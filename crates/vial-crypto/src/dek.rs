//! Data keys (DEKs): one per patient (or other owner), used for that owner's fields and blobs.

use aws_lc_rs::aead::{AES_256_GCM, LessSafeKey, UnboundKey};

use crate::{CryptoError, SecretKeyBytes};

/// A DEK's public identifier, stored beside the wrapped key and inside every ciphertext.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DekId(pub [u8; 16]);

impl DekId {
    pub fn random() -> Result<Self, CryptoError> {
        let mut id = [0u8; 16];
        crate::random_bytes(&mut id)?;
        Ok(Self(id))
    }

    pub fn from_slice(bytes: &[u8]) -> Result<Self, CryptoError> {
        bytes
            .try_into()
            .map(Self)
            .map_err(|_| CryptoError::Malformed("a data key id must be 16 bytes"))
    }

    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }
}

/// An unwrapped data key. Its secret is zeroized on drop and never printed.
pub struct DataKey {
    id: DekId,
    secret: SecretKeyBytes,
    pub(crate) aead: LessSafeKey,
}

impl DataKey {
    /// A fresh random key with a fresh id.
    pub fn generate() -> Result<Self, CryptoError> {
        Self::from_parts(DekId::random()?, crate::generate_secret()?)
    }

    pub(crate) fn from_parts(id: DekId, secret: SecretKeyBytes) -> Result<Self, CryptoError> {
        let unbound = UnboundKey::new(&AES_256_GCM, secret.expose())
            .map_err(|_| CryptoError::InvalidKey("data key"))?;
        Ok(Self {
            id,
            secret,
            aead: LessSafeKey::new(unbound),
        })
    }

    pub fn id(&self) -> DekId {
        self.id
    }

    pub(crate) fn secret(&self) -> &SecretKeyBytes {
        &self.secret
    }
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

//! Where key material comes from. The crate defines the contract; providers (a local key file,
//! later an external KMS) live outside it, because they do I/O.

use zeroize::{Zeroize, ZeroizeOnDrop};

/// 32 secret bytes, wiped on drop, never printed.
#[derive(Clone, Zeroize, ZeroizeOnDrop, PartialEq, Eq)]
pub struct SecretKeyBytes([u8; 32]);

impl SecretKeyBytes {
    pub fn new(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Builds from a slice that must be exactly 32 bytes long.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, crate::CryptoError> {
        let arr: [u8; 32] = bytes
            .try_into()
            .map_err(|_| crate::CryptoError::InvalidKey("a key must be 32 bytes"))?;
        Ok(Self(arr))
    }

    /// Exposes the bytes to a provider that must persist them; callers must not copy them into
    /// anything that outlives the call unless it zeroizes too.
    pub fn expose(&self) -> &[u8; 32] {
        &self.0
    }
}

impl std::fmt::Debug for SecretKeyBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKeyBytes(<redacted>)")
    }
}

/// One KEK version as a provider knows it. `secret` is `None` once the version is retired.
#[derive(Debug, Clone)]
pub struct KekRecord {
    pub version: u32,
    pub created_at_ms: i64,
    pub retired_at_ms: Option<i64>,
    pub secret: Option<SecretKeyBytes>,
}

/// Everything a key ring is built from.
#[derive(Debug, Clone)]
pub struct KeyMaterial {
    pub keks: Vec<KekRecord>,
    pub blind_index_key: SecretKeyBytes,
    /// Seed of the Ed25519 key that signs audit checkpoints; kept here, never in the database.
    pub audit_signing_seed: SecretKeyBytes,
}

/// A source of key material that can add and retire KEK versions.
pub trait KeyProvider: Send + Sync {
    type Error: std::error::Error + Send + Sync + 'static;

    /// Current key material, as stored by the provider.
    fn load(&self) -> Result<KeyMaterial, Self::Error>;
    /// Adds a new KEK version that becomes current; returns its version number.
    fn rotate(&self, now_ms: i64) -> Result<u32, Self::Error>;
    /// Destroys a superseded version's secret. Callers must first prove nothing uses it.
    fn retire(&self, version: u32, now_ms: i64) -> Result<(), Self::Error>;
}

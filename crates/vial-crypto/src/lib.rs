//! Vial's envelope encryption: the only place that touches key bytes and AEAD primitives.
//!
//! Owns the ciphertext formats, AAD binding, data keys (DEKs), the key ring of versioned
//! key-encryption keys (KEKs), DEK wrapping and blind indexes. It performs no I/O: key material
//! reaches it through [`KeyMaterial`], supplied by a [`KeyProvider`] implemented elsewhere.
//! It must never expose key bytes through `Debug`, `Display` or serialization.
//!
//! Primitives all come from `aws-lc-rs` (AES-256-GCM, HKDF-SHA-256, HMAC-SHA-256, the system RNG).

mod aad;
mod blind;
mod blob;
mod dek;
mod error;
mod field;
pub use blob::sealed_blob_len;
pub use field::dek_id_of;
mod keyring;
mod provider;

pub use aad::Aad;
pub use blind::{BlindField, BlindIndex, BlindIndexKey};
pub use blob::{BLOB_CHUNK_LEN, BLOB_HEADER_LEN, BlobLayout, BlobOpener, MAX_BLOB_CHUNK_LEN};
pub use dek::{DataKey, DekId};
pub use error::CryptoError;
pub use keyring::{KeyRing, WrappedKey};
pub use provider::{KekRecord, KeyMaterial, KeyProvider, SecretKeyBytes};

/// First byte of every ciphertext Vial stores, so formats can evolve without guessing.
pub mod format {
    /// A field value: `0x01 ‖ dek id (16) ‖ nonce (12) ‖ ciphertext ‖ tag (16)`.
    pub const FIELD_V1: u8 = 0x01;
    /// A chunked blob: `0x02 ‖ dek id (16) ‖ salt (32) ‖ chunk len (u32 BE) ‖ ciphertext ‖
    /// one tag per chunk`. Tags trail the ciphertext so that sealing needs no copy.
    pub const BLOB_V1: u8 = 0x02;
    /// A wrapped DEK: `0x03 ‖ kek version (u32 BE) ‖ nonce (12) ‖ ciphertext (32) ‖ tag (16)`.
    pub const WRAPPED_DEK_V1: u8 = 0x03;
}

/// Fills `buf` from the operating system's CSPRNG.
pub fn random_bytes(buf: &mut [u8]) -> Result<(), CryptoError> {
    aws_lc_rs::rand::fill(buf).map_err(|_| CryptoError::Random)
}

/// Generates a fresh 256-bit secret, e.g. a new KEK or blind-index key.
pub fn generate_secret() -> Result<SecretKeyBytes, CryptoError> {
    let mut bytes = [0u8; 32];
    random_bytes(&mut bytes)?;
    Ok(SecretKeyBytes::new(bytes))
}

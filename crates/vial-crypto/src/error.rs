//! The crypto crate's errors. Messages name what failed, never key or plaintext bytes.

/// Everything that can go wrong encrypting, decrypting or handling keys.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    #[error("the system random number generator failed")]
    Random,
    #[error("ciphertext is malformed: {0}")]
    Malformed(&'static str),
    #[error("unknown ciphertext format version {0:#04x}")]
    UnknownFormat(u8),
    #[error("ciphertext was sealed with a different data key")]
    WrongDataKey,
    #[error("decryption failed: wrong key, wrong context (table/column/row) or tampered data")]
    Decrypt,
    #[error("key-encryption key version {0} is not available (missing or retired)")]
    MissingKek(u32),
    #[error("no active key-encryption key is available")]
    NoActiveKek,
    #[error("invalid key material: {0}")]
    InvalidKey(&'static str),
    #[error("value cannot be indexed: {0}")]
    InvalidIndexInput(&'static str),
}

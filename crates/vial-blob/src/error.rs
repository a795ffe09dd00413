//! The blob crate's errors. Messages name the object (kind and opaque id) and the operation,
//! never blob bytes or credentials.

/// Everything that can go wrong storing or fetching a blob.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// No object under that kind and id.
    #[error("blob {0} not found")]
    NotFound(String),
    /// The id or prefix is not an opaque id (`[a-z0-9_]{1,64}`).
    #[error("invalid blob id: {0}")]
    InvalidId(&'static str),
    /// The bytes are not laid out like a sealed (encrypted) blob; refused so that plaintext is
    /// never stored.
    #[error("bytes are not a sealed blob: {0}")]
    NotSealed(&'static str),
    /// The local directory is missing, not a directory, or open to other users.
    #[error("blob directory is not safe to use: {0}")]
    Insecure(String),
    /// The S3 configuration is unusable (e.g. plain HTTP to a non-loopback endpoint).
    #[error("invalid object storage configuration: {0}")]
    Config(String),
    /// The storage backend failed (I/O, network, permissions, server error).
    #[error("object storage failed: {0}")]
    Backend(String),
}

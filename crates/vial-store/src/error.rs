//! Storage errors. Messages carry table and constraint names, never values.

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness constraint was violated; names what must be unique.
    #[error("already exists: {0}")]
    Conflict(&'static str),
    /// A stored value does not have the shape the code expects (e.g. a corrupted row).
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// The database could not be reached or failed; the source is kept for logs.
    #[error("database error: {0}")]
    Database(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("migration failed: {0}")]
    Migration(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The connection as configured is refused before it is tried (e.g. a remote database
    /// without verified TLS); the message names the setting to change.
    #[error("{0}")]
    Refused(String),
}

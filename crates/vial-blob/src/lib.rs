//! Vial's photo and object storage: sealed blobs under opaque ids, in a local directory (the
//! embedded default) or S3-compatible object storage, both through `object_store`.
//!
//! It owns where blob bytes live and how they are named, never what they mean: it holds no keys
//! and never sees plaintext. Everything it stores is a [`SealedBlob`], which can only be built
//! from bytes laid out like a `vial-crypto` sealed blob, so a photo cannot be stored in clear by
//! mistake. Objects are named `<kind>/<id>` from a [`BlobKind`] and a [`BlobId`] (lowercase
//! letters, digits and `_`): never a file name, a patient's name or a path a caller chose.
//!
//! It must never log or return blob bytes in errors, print credentials, or decrypt.

mod config;
mod error;
mod id;
mod local;
mod sealed;
mod store;

pub use config::S3Config;
pub use error::BlobError;
pub use id::{BlobId, BlobKind, MAX_ID_LEN};
pub use sealed::SealedBlob;
pub use store::{BlobMeta, BlobRange, BlobStore, BlobStream, FILE_READ_LEN, ListedBlob};

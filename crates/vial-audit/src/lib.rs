//! Vial's tamper-evident audit log core: what an audit record is and how its integrity is proven.
//!
//! Owns the audit entry and its canonical byte encoding ([`entry`]), the per-entry hash chain
//! ([`chain`]), the RFC 9162 Merkle tree with inclusion and consistency proofs ([`merkle`]),
//! signed C2SP checkpoints ([`checkpoint`]) and offline-verifiable export bundles ([`bundle`]).
//!
//! It is pure: it never performs I/O, never spawns, never reads clocks or the environment.
//! Storage reaches it through [`merkle::HashReader`]; time arrives as a field of the entry.
//! Entries carry identifiers and codes only, never PHI values.
//!
//! The leaf index of an entry in the Merkle tree is its `seq`; both start at 0 and are contiguous,
//! so the chain and the tree describe the same sequence.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod bundle;
pub mod chain;
pub mod checkpoint;
pub mod entry;
mod error;
pub mod merkle;

pub use bundle::{BundleEntry, BundleHeader, ProofBundle, verify_bundle};
pub use chain::{CHAIN_DOMAIN, ChainBreak, ChainVerifier, GENESIS, chain_hash, entry_hash};
pub use checkpoint::{Checkpoint, CheckpointSigner, CheckpointVerifier};
pub use entry::{AuditEntry, AuditEntryView, Outcome};
pub use error::AuditError;
pub use merkle::{CompactRange, Hash, HashReader, MemoryTree};

//! The audit slice's use cases: signed checkpoints, whole-log verification and proof-bundle
//! exports. Appending entries is the unit of work's job (`unit_of_work.rs`), never this slice's.

pub(crate) mod checkpoint;
mod export;
mod verify;

pub use checkpoint::{AUDIT_ORIGIN, AuditPolicy, CheckpointExport, DirectoryExport};
pub use verify::AuditVerifyReport;

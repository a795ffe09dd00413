//! The crate's single error type. Owns error wording; must never embed entry field values
//! (they are ids, but an error message is not the place to copy audit data around).

use crate::chain::ChainBreak;

/// Everything that can go wrong in `vial-audit`. Variants are precise so callers can tell a
/// corrupted log (tampering) from malformed input (bugs, truncation) without parsing strings.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    /// The canonical encoding starts with a version this build does not know.
    #[error("canonical entry: unsupported format version {0:#04x}")]
    UnsupportedVersion(u8),
    /// The canonical encoding ends before the entry is complete.
    #[error("canonical entry: truncated")]
    Truncated,
    /// A field tag is not the one the fixed field order requires.
    #[error("canonical entry: expected field tag {expected}, found {found}")]
    UnexpectedTag { expected: u8, found: u8 },
    /// An optional field's presence marker is neither 0 nor 1.
    #[error("canonical entry: invalid presence marker {0:#04x}")]
    BadPresence(u8),
    /// A length prefix is not the minimal LEB128 form, or overflows.
    #[error("canonical entry: non-canonical length prefix")]
    NonCanonicalLength,
    /// A text field is not UTF-8.
    #[error("canonical entry: field is not valid UTF-8")]
    InvalidUtf8,
    /// The outcome byte is not a known [`crate::Outcome`].
    #[error("canonical entry: invalid outcome code {0:#04x}")]
    BadOutcome(u8),
    /// Bytes remain after a complete entry.
    #[error("canonical entry: {0} trailing bytes")]
    TrailingBytes(usize),

    /// The hash chain is broken; `seq` is the first entry that fails.
    #[error("audit chain broken at seq {seq}: {reason}")]
    ChainBroken { seq: u64, reason: ChainBreak },

    /// A leaf index is not inside the tree.
    #[error("leaf index {index} is out of range for tree size {size}")]
    IndexOutOfRange { index: u64, size: u64 },
    /// Consistency between sizes where the first is larger than the second.
    #[error("tree size {first} is larger than tree size {second}")]
    SizeRegression { first: u64, second: u64 },
    /// A [`crate::HashReader`] could not provide a hash (`level` 0 is a leaf).
    #[error("tree hash at level {level}, index {index} is unavailable")]
    HashUnavailable { level: u32, index: u64 },
    /// A proof has the wrong shape (too short, too long, or non-empty where it must be empty).
    #[error("malformed {kind} proof")]
    ProofMalformed { kind: &'static str },
    /// A proof is well formed but does not lead to the expected root(s).
    #[error("{kind} proof does not match the root hash")]
    ProofRootMismatch { kind: &'static str },

    /// A signed note violates the C2SP signed-note syntax.
    #[error("malformed signed note: {0}")]
    MalformedNote(&'static str),
    /// A checkpoint body violates the C2SP tlog-checkpoint syntax.
    #[error("malformed checkpoint: {0}")]
    MalformedCheckpoint(&'static str),
    /// A key name is empty, or contains whitespace or '+'.
    #[error("invalid key name")]
    InvalidKeyName,
    /// A verifier or signer key string cannot be parsed.
    #[error("malformed key: {0}")]
    MalformedKey(&'static str),
    /// The note carries no signature by the expected key (name and key id).
    #[error("no signature by the expected key")]
    NoMatchingSignature,
    /// The note carries a signature by the expected key, and it does not verify.
    #[error("invalid signature by the expected key")]
    InvalidSignature,

    /// A bundle line is not valid JSON of the expected shape.
    #[error("bundle JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// An exported entry sits at a leaf index other than its `seq`.
    #[error("leaf index {leaf_index} does not equal the entry's seq {seq}")]
    LeafIndexMismatch { leaf_index: u64, seq: u64 },
    /// A bundle is structurally wrong (no header, unknown format).
    #[error("malformed bundle: {0}")]
    MalformedBundle(&'static str),
    /// One exported entry fails verification.
    #[error("bundle entry at leaf index {leaf_index} failed: {source}")]
    BundleEntry {
        leaf_index: u64,
        #[source]
        source: Box<AuditError>,
    },
}

//! The per-entry hash chain: each stored entry carries its leaf hash and a chain hash that
//! commits to every entry before it, so edits, insertions, deletions and reorderings are
//! detected by a single streaming pass.
//!
//! Owns the chain's hash definitions and [`ChainVerifier`]. It must never trust a stored hash:
//! every hash is recomputed from the entry's canonical bytes. It must never allocate per entry
//! on the verification path (the stored bytes, or one reused encode buffer), because verifiers
//! stream millions.
//!
//! ```text
//! leaf_n  = SHA-256(0x00 || canonical_bytes(entry_n))        (the RFC 6962 leaf hash)
//! chain_n = SHA-256("vial-audit-chain-v1" || chain_{n-1} || leaf_n),  chain_{-1} = 32 zero bytes
//! ```

use sha2::{Digest, Sha256};

use crate::merkle::leaf_hash;
use crate::{AuditEntry, AuditError, Hash};

/// Domain separator of the chain hash; distinct from the Merkle 0x00/0x01 prefixes so a chain
/// hash can never be confused with a tree hash.
pub const CHAIN_DOMAIN: &[u8] = b"vial-audit-chain-v1";

/// The chain value before the first entry.
pub const GENESIS: Hash = [0u8; 32];

/// Why a chain failed at a given entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    /// `found > expected`: entries are missing (deleted) before this one.
    #[error("sequence gap: expected seq {expected}, found {found}")]
    SeqGap { expected: u64, found: u64 },
    /// `found < expected`: a duplicated, inserted or reordered entry.
    #[error("sequence out of order: expected seq {expected}, found {found}")]
    SeqOutOfOrder { expected: u64, found: u64 },
    /// The stored leaf hash does not match the entry's content: the entry was edited.
    #[error("leaf hash does not match the entry content")]
    LeafHashMismatch,
    /// The stored chain hash does not follow from the previous one: the chain was rewritten.
    #[error("chain hash does not follow from the previous entry")]
    ChainHashMismatch,
}

/// The RFC 6962 leaf hash of an entry: `SHA-256(0x00 || canonical_bytes)`.
pub fn entry_hash(entry: &AuditEntry) -> Hash {
    leaf_hash(&entry.canonical_bytes())
}

/// The chain hash following `prev` for an entry whose leaf hash is `leaf`.
pub fn chain_hash(prev: &Hash, leaf: &Hash) -> Hash {
    Sha256::new()
        .chain_update(CHAIN_DOMAIN)
        .chain_update(prev)
        .chain_update(leaf)
        .finalize()
        .into()
}

/// Streams entries in log order and reports the first one that breaks the chain.
///
/// After the first failure the verifier is poisoned: every later call returns the same error,
/// so a caller cannot accidentally "resume" past tampering.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    next_seq: u64,
    prev: Hash,
    failed: Option<(u64, ChainBreak)>,
    buf: Vec<u8>,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self::new()
    }
}

impl ChainVerifier {
    /// A verifier for a log from its first entry (seq 0, genesis chain value).
    pub fn new() -> Self {
        Self::resume(0, GENESIS)
    }

    /// A verifier that continues after a trusted point: `next_seq` is the next expected seq and
    /// `prev_chain` the chain hash of the entry before it.
    pub fn resume(next_seq: u64, prev_chain: Hash) -> Self {
        Self {
            next_seq,
            prev: prev_chain,
            failed: None,
            buf: Vec::with_capacity(512),
        }
    }

    /// Checks the next entry with its stored leaf and chain hashes. Returns the recomputed leaf
    /// hash on success so callers can feed a [`crate::CompactRange`] without hashing twice.
    pub fn push(
        &mut self,
        entry: &AuditEntry,
        stored_leaf: &Hash,
        stored_chain: &Hash,
    ) -> Result<Hash, AuditError> {
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        entry.encode_into(&mut buf);
        let checked = self.push_canonical(entry.seq, &buf, stored_leaf, stored_chain);
        self.buf = buf;
        checked
    }

    /// Like [`Self::push`], for an entry still in the canonical bytes it was stored as (the
    /// caller decoded `seq` from them): the stored bytes themselves are hashed, so nothing is
    /// re-encoded and any byte changed in storage fails the leaf hash.
    pub fn push_canonical(
        &mut self,
        seq: u64,
        canonical: &[u8],
        stored_leaf: &Hash,
        stored_chain: &Hash,
    ) -> Result<Hash, AuditError> {
        if let Some((seq, reason)) = self.failed {
            return Err(AuditError::ChainBroken { seq, reason });
        }
        match self.check(seq, canonical, stored_leaf, stored_chain) {
            Ok(leaf) => Ok(leaf),
            Err(reason) => {
                self.failed = Some((seq, reason));
                Err(AuditError::ChainBroken { seq, reason })
            }
        }
    }

    /// Entries verified so far plus the starting seq: the next seq expected.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// The chain hash of the last verified entry (or the starting value).
    pub fn head(&self) -> Hash {
        self.prev
    }

    fn check(
        &mut self,
        found: u64,
        canonical: &[u8],
        stored_leaf: &Hash,
        stored_chain: &Hash,
    ) -> Result<Hash, ChainBreak> {
        let expected = self.next_seq;
        if found > expected {
            return Err(ChainBreak::SeqGap { expected, found });
        }
        if found < expected {
            return Err(ChainBreak::SeqOutOfOrder { expected, found });
        }
        let leaf = leaf_hash(canonical);
        // Not constant-time: both values are public integrity data, not secrets.
        if &leaf != stored_leaf {
            return Err(ChainBreak::LeafHashMismatch);
        }
        let chain = chain_hash(&self.prev, &leaf);
        if &chain != stored_chain {
            return Err(ChainBreak::ChainHashMismatch);
        }
        self.prev = chain;
        self.next_seq = expected.saturating_add(1);
        Ok(leaf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Outcome;

    fn entry(seq: u64) -> AuditEntry {
        AuditEntry {
            seq,
            time_ms: 1_700_000_000_000 + seq as i64,
            actor: Some(format!("u{}", seq % 7)),
            role: Some("clinician".into()),
            session: None,
            device: None,
            source_addr: None,
            action: "patient.read".into(),
            resource_type: Some("patient".into()),
            resource_id: Some(format!("p{seq}")),
            patient_id: Some(format!("p{seq}")),
            purpose: Some("treatment".into()),
            outcome: Outcome::Allowed,
            reason: None,
        }
    }

    /// A well-formed stored log: (entry, leaf hash, chain hash).
    fn log(n: u64) -> Vec<(AuditEntry, Hash, Hash)> {
        let mut prev = GENESIS;
        (0..n)
            .map(|i| {
                let e = entry(i);
                let leaf = entry_hash(&e);
                prev = chain_hash(&prev, &leaf);
                (e, leaf, prev)
            })
            .collect()
    }

    fn first_break(rows: &[(AuditEntry, Hash, Hash)]) -> Option<(u64, ChainBreak)> {
        let mut v = ChainVerifier::new();
        for (e, l, c) in rows {
            if let Err(AuditError::ChainBroken { seq, reason }) = v.push(e, l, c) {
                return Some((seq, reason));
            }
        }
        None
    }

    #[test]
    fn leaf_hash_is_rfc6962_leaf_of_canonical_bytes() {
        let e = entry(3);
        assert_eq!(
            entry_hash(&e),
            crate::merkle::leaf_hash(&e.canonical_bytes())
        );
    }

    #[test]
    fn intact_log_verifies_and_resumes() {
        let rows = log(10);
        assert_eq!(first_break(&rows), None);
        let mut v = ChainVerifier::resume(5, rows[4].2);
        for (e, l, c) in &rows[5..] {
            assert!(v.push(e, l, c).is_ok());
        }
        assert_eq!((v.next_seq(), v.head()), (10, rows[9].2));
    }

    #[test]
    fn detects_each_kind_of_tampering() {
        let mut edited = log(10);
        edited[4].0.outcome = Outcome::Denied;
        assert_eq!(
            first_break(&edited),
            Some((4, ChainBreak::LeafHashMismatch))
        );

        // Edited and re-hashed leaf, but the chain was not recomputed.
        edited[4].1 = entry_hash(&edited[4].0);
        assert_eq!(
            first_break(&edited),
            Some((4, ChainBreak::ChainHashMismatch))
        );

        let mut deleted = log(10);
        deleted.remove(6);
        let gap = ChainBreak::SeqGap {
            expected: 6,
            found: 7,
        };
        assert_eq!(first_break(&deleted), Some((7, gap)));

        let mut swapped = log(10);
        swapped.swap(2, 3);
        let ooo = ChainBreak::SeqGap {
            expected: 2,
            found: 3,
        };
        assert_eq!(first_break(&swapped), Some((3, ooo)));

        let mut dup = log(10);
        dup.insert(5, dup[4].clone());
        let back = ChainBreak::SeqOutOfOrder {
            expected: 5,
            found: 4,
        };
        assert_eq!(first_break(&dup), Some((4, back)));

        // Inserted entry with a self-consistent leaf hash but no valid chain position.
        let mut inserted = log(10);
        let mut forged = entry(5);
        forged.actor = Some("intruder".into());
        let leaf = entry_hash(&forged);
        inserted[5] = (forged, leaf, chain_hash(&GENESIS, &leaf));
        assert_eq!(
            first_break(&inserted),
            Some((5, ChainBreak::ChainHashMismatch))
        );
    }

    #[test]
    fn verifier_stays_poisoned() {
        let mut rows = log(3);
        rows[0].1[0] ^= 1;
        let mut v = ChainVerifier::new();
        assert!(v.push(&rows[0].0, &rows[0].1, &rows[0].2).is_err());
        let again = v.push(&rows[1].0, &rows[1].1, &rows[1].2);
        assert!(matches!(again, Err(AuditError::ChainBroken { seq: 0, .. })));
    }

    #[test]
    fn stored_bytes_verify_as_stored_and_any_changed_byte_fails() {
        let rows = log(6);
        let stored: Vec<Vec<u8>> = rows.iter().map(|(e, _, _)| e.canonical_bytes()).collect();
        let mut v = ChainVerifier::new();
        for ((e, l, c), bytes) in rows.iter().zip(&stored) {
            assert_eq!(v.push_canonical(e.seq, bytes, l, c).ok(), Some(*l));
        }
        assert_eq!(v.head(), rows[5].2);

        // A byte changed in storage fails the leaf even when it still decodes.
        let mut changed = stored[3].clone();
        let at = changed
            .windows(9)
            .position(|w| w == b"treatment")
            .expect("purpose is stored");
        changed[at + 8] = b'T';
        assert!(crate::AuditEntryView::parse(&changed).is_ok());
        let mut v = ChainVerifier::new();
        for ((e, l, c), bytes) in rows.iter().zip(&stored).take(3) {
            assert!(v.push_canonical(e.seq, bytes, l, c).is_ok());
        }
        assert!(matches!(
            v.push_canonical(3, &changed, &rows[3].1, &rows[3].2),
            Err(AuditError::ChainBroken {
                seq: 3,
                reason: ChainBreak::LeafHashMismatch
            })
        ));
    }
}

//! Offline-verifiable exports: a signed checkpoint plus a range of entries, each with the
//! inclusion proof that ties it to the checkpoint's root.
//!
//! Owns the bundle's serde shape and JSON Lines layout (one header line holding the signed
//! checkpoint, then one line per entry) and [`verify_bundle`]. An auditor needs only the bundle
//! and the log's verifier key. It must never treat a bundle as verified because it parsed:
//! every entry is re-hashed from its fields and proven against a signature-checked root.

use serde::{Deserialize, Serialize};

use crate::checkpoint::split_note;
use crate::merkle::{HashReader, inclusion_proof, verify_inclusion};
use crate::{AuditEntry, AuditError, Checkpoint, CheckpointVerifier, Hash, entry_hash};

/// The `format` value of version-1 bundle headers.
pub const BUNDLE_FORMAT: &str = "vial-audit-bundle-v1";

/// The first JSON line of a bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleHeader {
    /// Always [`BUNDLE_FORMAT`].
    pub format: String,
    /// The complete signed checkpoint note.
    pub checkpoint: String,
}

/// One exported entry with its proof; one JSON line each.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleEntry {
    pub leaf_index: u64,
    pub entry: AuditEntry,
    /// Audit path, bottom-up, each hash in standard base64.
    #[serde(with = "b64_hashes")]
    pub inclusion_proof: Vec<Hash>,
}

/// A header and the entries it proves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofBundle {
    pub header: BundleHeader,
    pub entries: Vec<BundleEntry>,
}

impl ProofBundle {
    /// Builds proofs for `entries` against `signed_checkpoint`, reading tree hashes from
    /// `reader`. The checkpoint is not verified here (the signer produced it); its size is used.
    pub fn build<R: HashReader + ?Sized>(
        reader: &R,
        signed_checkpoint: &str,
        entries: impl IntoIterator<Item = AuditEntry>,
    ) -> Result<Self, AuditError> {
        let size = Checkpoint::parse_body(split_note(signed_checkpoint)?.0)?.size;
        let entries = entries
            .into_iter()
            .map(|entry| {
                Ok(BundleEntry {
                    leaf_index: entry.seq,
                    inclusion_proof: inclusion_proof(reader, entry.seq, size)?,
                    entry,
                })
            })
            .collect::<Result<_, AuditError>>()?;
        Ok(Self {
            header: BundleHeader {
                format: BUNDLE_FORMAT.to_owned(),
                checkpoint: signed_checkpoint.to_owned(),
            },
            entries,
        })
    }

    /// JSON Lines: the header, then one entry per line; every line ends in `\n`.
    pub fn to_jsonl(&self) -> Result<String, AuditError> {
        let mut out = serde_json::to_string(&self.header)?;
        out.push('\n');
        for e in &self.entries {
            out.push_str(&serde_json::to_string(e)?);
            out.push('\n');
        }
        Ok(out)
    }

    /// Parses [`Self::to_jsonl`] output. Parsing proves nothing; call [`verify_bundle`].
    pub fn from_jsonl(text: &str) -> Result<Self, AuditError> {
        let mut lines = text.lines();
        let header: BundleHeader = serde_json::from_str(
            lines
                .next()
                .ok_or(AuditError::MalformedBundle("no header"))?,
        )?;
        if header.format != BUNDLE_FORMAT {
            return Err(AuditError::MalformedBundle("unknown format"));
        }
        let entries = lines.map(serde_json::from_str).collect::<Result<_, _>>()?;
        Ok(Self { header, entries })
    }
}

/// Verifies a bundle offline: the checkpoint signature against `verifier`, then each entry's
/// position and inclusion proof against the checkpoint root. Returns the verified checkpoint.
pub fn verify_bundle(
    bundle: &ProofBundle,
    verifier: &CheckpointVerifier,
) -> Result<Checkpoint, AuditError> {
    if bundle.header.format != BUNDLE_FORMAT {
        return Err(AuditError::MalformedBundle("unknown format"));
    }
    let checkpoint = verifier.verify(&bundle.header.checkpoint)?;
    for e in &bundle.entries {
        let wrap = |source| AuditError::BundleEntry {
            leaf_index: e.leaf_index,
            source: Box::new(source),
        };
        // Leaf index equals seq by construction; a mismatch would let an entry borrow another's proof.
        if e.leaf_index != e.entry.seq {
            return Err(wrap(AuditError::LeafIndexMismatch {
                leaf_index: e.leaf_index,
                seq: e.entry.seq,
            }));
        }
        let leaf = entry_hash(&e.entry);
        verify_inclusion(
            e.leaf_index,
            checkpoint.size,
            &leaf,
            &e.inclusion_proof,
            &checkpoint.root,
        )
        .map_err(wrap)?;
    }
    Ok(checkpoint)
}

mod b64_hashes {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD as B64;
    use serde::de::Error;
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::Hash;

    pub fn serialize<S: Serializer>(hashes: &[Hash], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(hashes.iter().map(|h| B64.encode(h)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Hash>, D::Error> {
        Vec::<String>::deserialize(d)?
            .iter()
            .map(|s| {
                B64.decode(s)
                    .ok()
                    .and_then(|b| Hash::try_from(b).ok())
                    .ok_or_else(|| D::Error::custom("proof hash is not base64 of 32 bytes"))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CheckpointSigner, MemoryTree, Outcome};

    fn entry(seq: u64) -> AuditEntry {
        AuditEntry {
            seq,
            time_ms: 1_700_000_000_000,
            actor: Some("u7".into()),
            role: Some("nurse".into()),
            session: Some("s1".into()),
            device: None,
            source_addr: Some("127.0.0.1".into()),
            action: if seq.is_multiple_of(3) {
                "patient.read"
            } else {
                "note.write"
            }
            .into(),
            resource_type: Some("patient".into()),
            resource_id: Some(format!("p{seq}")),
            patient_id: Some(format!("p{seq}")),
            purpose: Some("treatment".into()),
            outcome: Outcome::Allowed,
            reason: None,
        }
    }

    fn setup() -> Result<(ProofBundle, CheckpointSigner), AuditError> {
        let log: Vec<AuditEntry> = (0..21).map(entry).collect();
        let tree = MemoryTree::from_leaves(log.iter().map(entry_hash));
        let signer = CheckpointSigner::from_seed("vial.example/audit", &[9u8; 32])?;
        let note = signer.sign(&Checkpoint::new("vial.example/audit", 21, tree.root()))?;
        let bundle = ProofBundle::build(&tree, &note, log[5..12].iter().cloned())?;
        Ok((bundle, signer))
    }

    #[test]
    fn round_trip_through_jsonl_verifies() -> Result<(), AuditError> {
        let (bundle, signer) = setup()?;
        let jsonl = bundle.to_jsonl()?;
        assert_eq!(jsonl.lines().count(), 1 + 7);
        let parsed = ProofBundle::from_jsonl(&jsonl)?;
        assert_eq!(parsed, bundle);
        let cp = verify_bundle(&parsed, &signer.verifier())?;
        assert_eq!(cp.size, 21);
        Ok(())
    }

    #[test]
    fn tampering_is_detected() -> Result<(), AuditError> {
        let (bundle, signer) = setup()?;
        let v = signer.verifier();

        let mut edited = bundle.clone();
        edited.entries[2].entry.outcome = Outcome::Denied;
        let err = verify_bundle(&edited, &v);
        assert!(matches!(
            err,
            Err(AuditError::BundleEntry { leaf_index: 7, .. })
        ));

        let mut moved = bundle.clone();
        moved.entries[0].leaf_index = 6;
        let err = verify_bundle(&moved, &v);
        assert!(matches!(
            err,
            Err(AuditError::BundleEntry { leaf_index: 6, .. })
        ));

        let mut swapped_proof = bundle.clone();
        swapped_proof.entries[0].inclusion_proof = bundle.entries[1].inclusion_proof.clone();
        assert!(verify_bundle(&swapped_proof, &v).is_err());

        let mut resigned = bundle.clone();
        resigned.header.checkpoint = resigned.header.checkpoint.replacen("\n21\n", "\n22\n", 1);
        assert!(matches!(
            verify_bundle(&resigned, &v),
            Err(AuditError::InvalidSignature)
        ));

        let stranger = CheckpointSigner::from_seed("vial.example/audit", &[1u8; 32])?;
        assert!(verify_bundle(&bundle, &stranger.verifier()).is_err());

        let jsonl = bundle.to_jsonl()?.replace(BUNDLE_FORMAT, "other-v9");
        assert!(matches!(
            ProofBundle::from_jsonl(&jsonl),
            Err(AuditError::MalformedBundle(_))
        ));
        assert!(matches!(
            ProofBundle::from_jsonl(""),
            Err(AuditError::MalformedBundle(_))
        ));
        Ok(())
    }
}

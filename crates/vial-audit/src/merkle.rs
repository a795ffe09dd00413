//! The RFC 6962 / RFC 9162 Merkle tree: tree hashes, inclusion and consistency proofs.
//!
//! Owns the hashing rules (leaf `SHA-256(0x00 || data)`, node `SHA-256(0x01 || l || r)`, the
//! MTH split at the largest power of two smaller than n), proof generation (RFC 9162 §2.1.3.1,
//! §2.1.4.1), proof verification (§2.1.3.2, §2.1.4.2, followed step by step) and
//! [`CompactRange`], the O(log n) frontier that lets a verifier stream a whole log.
//! It must never know how hashes are stored: storage is reached through [`HashReader`].

use sha2::{Digest, Sha256};

use crate::AuditError;

/// A SHA-256 output.
pub type Hash = [u8; 32];

/// MTH of the empty tree: SHA-256 of the empty string.
pub const EMPTY_ROOT: Hash = [
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
];

/// RFC 6962 leaf hash: `SHA-256(0x00 || data)`.
pub fn leaf_hash(data: &[u8]) -> Hash {
    Sha256::new()
        .chain_update([0x00])
        .chain_update(data)
        .finalize()
        .into()
}

/// RFC 6962 interior node hash: `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    Sha256::new()
        .chain_update([0x01])
        .chain_update(left)
        .chain_update(right)
        .finalize()
        .into()
}

/// Read access to a tree's hashes. Only `leaf` is required; stores that keep interior nodes
/// override `perfect_subtree` so proofs cost O(log² n) reads instead of O(n).
pub trait HashReader {
    /// The leaf hash at `index`.
    fn leaf(&self, index: u64) -> Result<Hash, AuditError>;

    /// The root of the perfect subtree of `2^level` leaves starting at leaf `index << level`.
    fn perfect_subtree(&self, level: u32, index: u64) -> Result<Hash, AuditError> {
        if level == 0 {
            return self.leaf(index);
        }
        let left = index
            .checked_mul(2)
            .ok_or(AuditError::HashUnavailable { level, index })?;
        let l = self.perfect_subtree(level - 1, left)?;
        let r = self.perfect_subtree(level - 1, left | 1)?;
        Ok(node_hash(&l, &r))
    }
}

impl HashReader for [Hash] {
    fn leaf(&self, index: u64) -> Result<Hash, AuditError> {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.get(i))
            .copied()
            .ok_or(AuditError::HashUnavailable { level: 0, index })
    }
}

impl HashReader for Vec<Hash> {
    fn leaf(&self, index: u64) -> Result<Hash, AuditError> {
        self.as_slice().leaf(index)
    }
}

/// The Merkle tree head of the first `size` leaves.
pub fn root<R: HashReader + ?Sized>(reader: &R, size: u64) -> Result<Hash, AuditError> {
    if size == 0 {
        return Ok(EMPTY_ROOT);
    }
    subtree_root(reader, 0, size)
}

/// The inclusion proof (audit path) of leaf `index` in the tree of the first `size` leaves.
pub fn inclusion_proof<R: HashReader + ?Sized>(
    reader: &R,
    index: u64,
    size: u64,
) -> Result<Vec<Hash>, AuditError> {
    if index >= size {
        return Err(AuditError::IndexOutOfRange { index, size });
    }
    let mut proof = Vec::with_capacity(64);
    path(reader, index, 0, size, &mut proof)?;
    Ok(proof)
}

/// The consistency proof between the trees of the first `first` and `second` leaves.
/// Empty when `first` is 0 or equal to `second`, as both are trivially consistent.
pub fn consistency_proof<R: HashReader + ?Sized>(
    reader: &R,
    first: u64,
    second: u64,
) -> Result<Vec<Hash>, AuditError> {
    if first > second {
        return Err(AuditError::SizeRegression { first, second });
    }
    let mut proof = Vec::with_capacity(64);
    if first > 0 && first < second {
        subproof(reader, first, 0, second, true, &mut proof)?;
    }
    Ok(proof)
}

/// Runs the RFC 9162 §2.1.3.2 verification and returns the root the proof leads to.
pub fn root_from_inclusion_proof(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
) -> Result<Hash, AuditError> {
    const KIND: &str = "inclusion";
    if index >= size {
        return Err(AuditError::IndexOutOfRange { index, size });
    }
    let (mut fn_, mut sn) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if sn == 0 {
            return Err(AuditError::ProofMalformed { kind: KIND });
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    if sn != 0 {
        return Err(AuditError::ProofMalformed { kind: KIND });
    }
    Ok(r)
}

/// Verifies that `leaf` is at `index` in the tree of `size` leaves with head `root`.
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), AuditError> {
    if &root_from_inclusion_proof(index, size, leaf, proof)? != root {
        return Err(AuditError::ProofRootMismatch { kind: "inclusion" });
    }
    Ok(())
}

/// Verifies that the tree of `second` leaves with head `second_root` extends the tree of
/// `first` leaves with head `first_root`, following RFC 9162 §2.1.4.2. The trivial cases the
/// RFC leaves to the caller are decided first: equal sizes need equal roots and an empty
/// proof; size 0 needs the empty-tree root and an empty proof.
pub fn verify_consistency(
    first: u64,
    second: u64,
    first_root: &Hash,
    second_root: &Hash,
    proof: &[Hash],
) -> Result<(), AuditError> {
    const KIND: &str = "consistency";
    let mismatch = AuditError::ProofRootMismatch { kind: KIND };
    if first > second {
        return Err(AuditError::SizeRegression { first, second });
    }
    if first == second || first == 0 {
        if !proof.is_empty() {
            return Err(AuditError::ProofMalformed { kind: KIND });
        }
        let expected = if first == 0 { &EMPTY_ROOT } else { second_root };
        return if first_root == expected {
            Ok(())
        } else {
            Err(mismatch)
        };
    }
    // 1. An empty proof cannot link two different trees.
    let Some((head, rest)) = proof.split_first() else {
        return Err(AuditError::ProofMalformed { kind: KIND });
    };
    // 2. When `first` is a power of two its root is a node of the larger tree: prepend it.
    let (start, rest) = if first.is_power_of_two() {
        (first_root, proof)
    } else {
        (head, rest)
    };
    // 3-4. fn/sn index the last leaves; skip the levels where the first tree's edge is a right child.
    let (mut fn_, mut sn) = (first - 1, second - 1);
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    // 5-6.
    let (mut fr, mut sr) = (*start, *start);
    for c in rest {
        if sn == 0 {
            return Err(AuditError::ProofMalformed { kind: KIND });
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    // 7.
    if sn != 0 {
        return Err(AuditError::ProofMalformed { kind: KIND });
    }
    if &fr != first_root || &sr != second_root {
        return Err(mismatch);
    }
    Ok(())
}

/// The right edge of a tree: the roots of its maximal perfect subtrees, left to right (one per
/// set bit of `size`). Appending is amortised O(1) hashes; memory and `root()` are O(log n).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompactRange {
    size: u64,
    nodes: Vec<Hash>,
}

impl CompactRange {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Resumes from a stored frontier; `nodes` must hold one hash per set bit of `size`.
    pub fn from_parts(size: u64, nodes: Vec<Hash>) -> Result<Self, AuditError> {
        if nodes.len() != size.count_ones() as usize {
            return Err(AuditError::HashUnavailable {
                level: 0,
                index: size,
            });
        }
        Ok(Self { size, nodes })
    }

    /// Appends one leaf hash.
    pub fn append(&mut self, leaf: Hash) {
        let mut hash = leaf;
        let mut s = self.size;
        // Each trailing 1 bit of the old size is a perfect subtree that the new leaf completes.
        while s & 1 == 1 {
            if let Some(left) = self.nodes.pop() {
                hash = node_hash(&left, &hash);
            }
            s >>= 1;
        }
        self.nodes.push(hash);
        self.size += 1;
    }

    /// Number of leaves appended.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The frontier hashes, largest subtree first (what to persist to resume later).
    pub fn nodes(&self) -> &[Hash] {
        &self.nodes
    }

    /// The Merkle tree head over all appended leaves.
    pub fn root(&self) -> Hash {
        let mut iter = self.nodes.iter().rev();
        let Some(last) = iter.next() else {
            return EMPTY_ROOT;
        };
        iter.fold(*last, |acc, left| node_hash(left, &acc))
    }
}

/// An in-memory tree that keeps every perfect-subtree hash, so proofs cost O(log² n) hashes.
#[derive(Debug, Clone)]
pub struct MemoryTree {
    /// `levels[h][i]` is the root of leaves `[i << h, (i + 1) << h)`.
    levels: Vec<Vec<Hash>>,
}

impl Default for MemoryTree {
    fn default() -> Self {
        Self {
            levels: vec![Vec::new()],
        }
    }
}

impl MemoryTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// A tree over the given leaf hashes.
    pub fn from_leaves(leaves: impl IntoIterator<Item = Hash>) -> Self {
        let mut tree = Self::new();
        leaves.into_iter().for_each(|l| tree.push(l));
        tree
    }

    /// Appends one leaf hash.
    pub fn push(&mut self, leaf: Hash) {
        let mut hash = leaf;
        let mut level = 0;
        loop {
            if self.levels.len() <= level {
                self.levels.push(Vec::new());
            }
            let row = &mut self.levels[level];
            row.push(hash);
            let n = row.len();
            // An even count means the new hash completed a pair: carry its parent upward.
            if n % 2 == 1 {
                break;
            }
            hash = node_hash(&row[n - 2], &row[n - 1]);
            level += 1;
        }
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.levels[0].len() as u64
    }

    /// The Merkle tree head over all leaves.
    pub fn root(&self) -> Hash {
        // Cannot fail: every index below size() is present.
        root(self, self.size()).unwrap_or(EMPTY_ROOT)
    }
}

impl HashReader for MemoryTree {
    fn leaf(&self, index: u64) -> Result<Hash, AuditError> {
        self.perfect_subtree(0, index)
    }

    fn perfect_subtree(&self, level: u32, index: u64) -> Result<Hash, AuditError> {
        let missing = AuditError::HashUnavailable { level, index };
        let row = self.levels.get(level as usize).ok_or(missing)?;
        let i = usize::try_from(index).map_err(|_| AuditError::HashUnavailable { level, index })?;
        row.get(i)
            .copied()
            .ok_or(AuditError::HashUnavailable { level, index })
    }
}

/// Largest power of two strictly smaller than `n` (n ≥ 2).
fn split(n: u64) -> u64 {
    1 << (63 - (n - 1).leading_zeros())
}

/// MTH(D[start : start + n]) for n ≥ 1. Along the RFC split every left part is a perfect,
/// aligned subtree, which is what lets readers serve it from a stored interior node.
fn subtree_root<R: HashReader + ?Sized>(r: &R, start: u64, n: u64) -> Result<Hash, AuditError> {
    if n.is_power_of_two() {
        let level = n.trailing_zeros();
        return r.perfect_subtree(level, start >> level);
    }
    let k = split(n);
    let left = subtree_root(r, start, k)?;
    let right = subtree_root(r, start + k, n - k)?;
    Ok(node_hash(&left, &right))
}

/// RFC 9162 §2.1.3.1 PATH(m, D[start : start + n]), appending nodes bottom-up.
fn path<R: HashReader + ?Sized>(
    r: &R,
    m: u64,
    start: u64,
    n: u64,
    out: &mut Vec<Hash>,
) -> Result<(), AuditError> {
    if n <= 1 {
        return Ok(());
    }
    let k = split(n);
    if m < k {
        path(r, m, start, k, out)?;
        out.push(subtree_root(r, start + k, n - k)?);
    } else {
        path(r, m - k, start + k, n - k, out)?;
        out.push(subtree_root(r, start, k)?);
    }
    Ok(())
}

/// RFC 9162 §2.1.4.1 SUBPROOF(m, D[start : start + n], b).
fn subproof<R: HashReader + ?Sized>(
    r: &R,
    m: u64,
    start: u64,
    n: u64,
    complete: bool,
    out: &mut Vec<Hash>,
) -> Result<(), AuditError> {
    if m == n {
        if !complete {
            out.push(subtree_root(r, start, n)?);
        }
        return Ok(());
    }
    let k = split(n);
    if m <= k {
        subproof(r, m, start, k, complete, out)?;
        out.push(subtree_root(r, start + k, n - k)?);
    } else {
        subproof(r, m - k, start + k, n - k, false, out)?;
        out.push(subtree_root(r, start, k)?);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // Leaves and roots: transparency-dev/merkle testonly/constants.go (LeafInputs, RootHashes).
    #[rustfmt::skip]
    const LEAVES: [&str; 8] = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657",
        "606162636465666768696a6b6c6d6e6f"];
    #[rustfmt::skip]
    const ROOTS: [&str; 9] = [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];
    // Proofs: transparency-dev/merkle proof/verify_test.go (inclusionProofs, consistencyProofs);
    // leaf indices there are 1-based and are converted to 0-based here.
    #[rustfmt::skip]
    const INCLUSION: &[(u64, u64, &[&str])] = &[
        (0, 1, &[]),
        (0, 8, &["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                 "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                 "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
        (5, 8, &["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                 "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                 "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
        (2, 3, &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
        (1, 5, &["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                 "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                 "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    ];
    #[rustfmt::skip]
    const CONSISTENCY: &[(u64, u64, &[&str])] = &[
        (1, 1, &[]),
        (1, 8, &["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                 "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                 "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
        (6, 8, &["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                 "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                 "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
        (2, 5, &["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                 "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
        (6, 7, &["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                 "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
                 "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    ];

    fn h(s: &str) -> Hash {
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out).unwrap_or_else(|e| panic!("bad vector {s}: {e}"));
        out
    }

    fn vector_leaves() -> Vec<Hash> {
        LEAVES
            .iter()
            .map(|s| leaf_hash(&hex::decode(s).unwrap_or_default()))
            .collect()
    }

    fn hashes(v: &[&str]) -> Vec<Hash> {
        v.iter().map(|s| h(s)).collect()
    }

    #[test]
    fn rfc6962_roots_for_every_size() -> Result<(), AuditError> {
        let leaves = vector_leaves();
        assert_eq!(EMPTY_ROOT, h(ROOTS[0]));
        // Leaf hash of "" from transparency-dev/merkle testonly/constants.go NodeHashes()[0][0].
        assert_eq!(leaves[0], h(ROOTS[1]));
        let mut compact = CompactRange::new();
        let mut tree = MemoryTree::new();
        assert_eq!(compact.root(), EMPTY_ROOT);
        for (size, want) in ROOTS.iter().enumerate().skip(1) {
            compact.append(leaves[size - 1]);
            tree.push(leaves[size - 1]);
            assert_eq!(root(&leaves, size as u64)?, h(want), "slice size {size}");
            assert_eq!(compact.root(), h(want), "compact size {size}");
            assert_eq!(tree.root(), h(want), "tree size {size}");
        }
        Ok(())
    }

    #[test]
    fn rfc6962_inclusion_vectors() -> Result<(), AuditError> {
        let leaves = vector_leaves();
        for &(index, size, proof) in INCLUSION {
            let proof = hashes(proof);
            let root = h(ROOTS[size as usize]);
            assert_eq!(inclusion_proof(&leaves, index, size)?, proof);
            let leaf = leaves[index as usize];
            verify_inclusion(index, size, &leaf, &proof, &root)?;
            // Corruptions modelled on verify_test.go's corruptInclusionProof.
            let mut bad: Vec<(u64, u64, Hash, Vec<Hash>)> = vec![
                (index.wrapping_sub(1), size, leaf, proof.clone()),
                (index + 1, size, leaf, proof.clone()),
                (index ^ 2, size, leaf, proof.clone()),
                (index, size * 2, leaf, proof.clone()),
                (index, size / 2, leaf, proof.clone()),
                (index, size, leaf_hash(b"WrongLeaf"), proof.clone()),
                (index, size, leaf, [proof.clone(), vec![root]].concat()),
                (index, size, leaf, [vec![root], proof.clone()].concat()),
            ];
            for i in 0..proof.len() {
                let mut p = proof.clone();
                p[i][0] ^= 8;
                bad.push((index, size, leaf, p));
            }
            if !proof.is_empty() {
                bad.push((index, size, leaf, proof[..proof.len() - 1].to_vec()));
            }
            for (i, s, l, p) in bad {
                assert!(
                    verify_inclusion(i, s, &l, &p, &root).is_err(),
                    "{i} {s} {p:?}"
                );
            }
            assert!(verify_inclusion(index, size, &leaf, &proof, &EMPTY_ROOT).is_err());
        }
        Ok(())
    }

    #[test]
    fn rfc6962_consistency_vectors() -> Result<(), AuditError> {
        let leaves = vector_leaves();
        for &(first, second, proof) in CONSISTENCY {
            let proof = hashes(proof);
            let (r1, r2) = (h(ROOTS[first as usize]), h(ROOTS[second as usize]));
            assert_eq!(consistency_proof(&leaves, first, second)?, proof);
            verify_consistency(first, second, &r1, &r2, &proof)?;
            if proof.is_empty() {
                continue;
            }
            // Corruptions modelled on verify_test.go's corruptConsistencyProof.
            let mut bad: Vec<(u64, u64, Hash, Hash, Vec<Hash>)> = vec![
                (first - 1, second, r1, r2, proof.clone()),
                (first + 1, second, r1, r2, proof.clone()),
                (first ^ 2, second, r1, r2, proof.clone()),
                (first, second * 2, r1, r2, proof.clone()),
                (first, second / 2, r1, r2, proof.clone()),
                (first, second, r2, r1, proof.clone()),
                (first, second, r1, r2, Vec::new()),
                (first, second, r1, r2, [proof.clone(), vec![r1]].concat()),
                (first, second, r1, r2, [proof.clone(), vec![r2]].concat()),
                (first, second, r1, r2, [vec![r1], proof.clone()].concat()),
                (
                    first,
                    second,
                    r1,
                    r2,
                    [vec![proof[0]], proof.clone()].concat(),
                ),
                (first, second, r1, r2, proof[..proof.len() - 1].to_vec()),
            ];
            for i in 0..proof.len() {
                let mut p = proof.clone();
                p[i][0] ^= 16;
                bad.push((first, second, r1, r2, p));
            }
            for (f, s, a, b, p) in bad {
                assert!(
                    verify_consistency(f, s, &a, &b, &p).is_err(),
                    "{f} {s} {p:?}"
                );
            }
        }
        Ok(())
    }

    #[test]
    fn trivial_consistency_cases() {
        let r = h(ROOTS[3]);
        assert!(verify_consistency(0, 0, &EMPTY_ROOT, &EMPTY_ROOT, &[]).is_ok());
        assert!(verify_consistency(0, 5, &EMPTY_ROOT, &r, &[]).is_ok());
        assert!(verify_consistency(3, 3, &r, &r, &[]).is_ok());
        assert!(verify_consistency(3, 3, &r, &EMPTY_ROOT, &[]).is_err());
        assert!(verify_consistency(3, 3, &r, &r, &[r]).is_err());
        assert!(verify_consistency(0, 5, &EMPTY_ROOT, &r, &[r]).is_err());
        assert!(matches!(
            verify_consistency(4, 3, &r, &r, &[]),
            Err(AuditError::SizeRegression {
                first: 4,
                second: 3
            })
        ));
    }

    #[test]
    fn compact_range_resumes_from_parts() -> Result<(), AuditError> {
        let leaves = vector_leaves();
        let mut a = CompactRange::new();
        leaves[..5].iter().for_each(|l| a.append(*l));
        let mut b = CompactRange::from_parts(a.size(), a.nodes().to_vec())?;
        leaves[5..].iter().for_each(|l| b.append(*l));
        assert_eq!(b.root(), h(ROOTS[8]));
        assert!(CompactRange::from_parts(5, vec![EMPTY_ROOT]).is_err());
        Ok(())
    }

    fn synthetic(n: u64) -> Vec<Hash> {
        (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect()
    }

    proptest! {
        #[test]
        fn generated_proofs_verify_and_tampering_fails(
            n in 1u64..300, m_frac in 0.0f64..=1.0, i_frac in 0.0f64..1.0,
            pick in any::<prop::sample::Index>(), bit in 0u8..8,
        ) {
            let leaves = synthetic(n);
            let tree = MemoryTree::from_leaves(leaves.iter().copied());
            let m = ((n as f64) * m_frac) as u64;
            let index = ((n as f64) * i_frac) as u64;
            let (root_n, root_m) = (tree.root(), root(&leaves, m)?);
            prop_assert_eq!(root(&leaves, n)?, root_n);

            // Inclusion: slice reader (recomputes) and MemoryTree (stored nodes) must agree.
            let proof = inclusion_proof(&tree, index, n)?;
            prop_assert_eq!(&proof, &inclusion_proof(&leaves, index, n)?);
            verify_inclusion(index, n, &leaves[index as usize], &proof, &root_n)?;
            prop_assert!(verify_inclusion(index, n, &leaf_hash(b"x"), &proof, &root_n).is_err());
            if !proof.is_empty() {
                let mut bad = proof.clone();
                let at = pick.index(bad.len());
                bad[at][0] ^= 1 << bit;
                prop_assert!(verify_inclusion(index, n, &leaves[index as usize], &bad, &root_n).is_err());
            }

            // Consistency.
            let proof = consistency_proof(&tree, m, n)?;
            prop_assert_eq!(&proof, &consistency_proof(&leaves, m, n)?);
            verify_consistency(m, n, &root_m, &root_n, &proof)?;
            if !proof.is_empty() {
                let mut bad = proof.clone();
                let at = pick.index(bad.len());
                bad[at][0] ^= 1 << bit;
                prop_assert!(verify_consistency(m, n, &root_m, &root_n, &bad).is_err());
                prop_assert!(verify_consistency(m, n, &root_n, &root_m, &proof).is_err());
            }
        }
    }
}

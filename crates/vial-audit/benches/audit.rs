//! Audit-log throughput: chain verification and Merkle root over 1,000,000 synthetic entries,
//! and one checkpoint sign + verify.
#![allow(clippy::unwrap_used)] // a benchmark fails loudly

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use vial_audit::merkle::{leaf_hash, root};
use vial_audit::{
    AuditEntry, ChainVerifier, Checkpoint, CheckpointSigner, CompactRange, GENESIS, Hash, Outcome,
    chain_hash, entry_hash,
};

const N: u64 = 1_000_000;

/// A realistic row: ids and codes of typical length (~200 canonical bytes).
fn entry(seq: u64) -> AuditEntry {
    AuditEntry {
        seq,
        time_ms: 1_700_000_000_000 + seq as i64,
        actor: Some(format!("usr_01HV{:020}", seq % 997)),
        role: Some("clinician".into()),
        session: Some(format!("ses_{:024x}", seq / 50)),
        device: Some("dev_7f3a9c2e".into()),
        source_addr: Some("10.20.30.40".into()),
        action: "patient.read".into(),
        resource_type: Some("patient".into()),
        resource_id: Some(format!("pat_{:020}", seq % 40_000)),
        patient_id: Some(format!("pat_{:020}", seq % 40_000)),
        purpose: Some("treatment".into()),
        outcome: if seq.is_multiple_of(50) {
            Outcome::Denied
        } else {
            Outcome::Allowed
        },
        reason: None,
    }
}

fn chain_verify(c: &mut Criterion) {
    let mut prev = GENESIS;
    let rows: Vec<(AuditEntry, Hash, Hash)> = (0..N)
        .map(|i| {
            let e = entry(i);
            let leaf = entry_hash(&e);
            prev = chain_hash(&prev, &leaf);
            (e, leaf, prev)
        })
        .collect();
    let mut group = c.benchmark_group("chain");
    group.sample_size(10);
    group.throughput(Throughput::Elements(N));
    group.bench_function("verify_1M_entries", |b| {
        b.iter(|| {
            let mut v = ChainVerifier::new();
            for (e, leaf, chain) in &rows {
                v.push(e, leaf, chain).unwrap();
            }
            black_box(v.head())
        })
    });
    group.finish();
}

fn merkle_root(c: &mut Criterion) {
    let leaves: Vec<Hash> = (0..N).map(|i| leaf_hash(&i.to_be_bytes())).collect();
    let mut group = c.benchmark_group("merkle");
    group.sample_size(10);
    group.throughput(Throughput::Elements(N));
    group.bench_function("compact_range_root_1M_leaves", |b| {
        b.iter(|| {
            let mut range = CompactRange::new();
            leaves.iter().for_each(|l| range.append(*l));
            black_box(range.root())
        })
    });
    group.bench_function("mth_root_1M_leaves", |b| {
        b.iter(|| black_box(root(&leaves, N).unwrap()))
    });
    group.finish();
}

fn checkpoint(c: &mut Criterion) {
    let signer = CheckpointSigner::from_seed("vial.example/audit", &[5u8; 32]).unwrap();
    let verifier = signer.verifier();
    let cp = Checkpoint::new("vial.example/audit", N, [3u8; 32]);
    c.bench_function("checkpoint_sign_and_verify", |b| {
        b.iter(|| {
            let note = signer.sign(black_box(&cp)).unwrap();
            black_box(verifier.verify(&note).unwrap())
        })
    });
}

criterion_group!(benches, chain_verify, merkle_root, checkpoint);
criterion_main!(benches);

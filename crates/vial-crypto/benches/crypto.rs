//! Envelope-encryption speed against the raw AES-256-GCM primitive on the same machine.
#![allow(clippy::unwrap_used)] // a benchmark fails loudly

use aws_lc_rs::aead::{AES_256_GCM, Aad as RawAad, LessSafeKey, Nonce, UnboundKey};
use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use vial_crypto::{Aad, BlobLayout, DataKey, KekRecord, KeyMaterial, KeyRing, generate_secret};

const BLOB: usize = 8 * 1024 * 1024;

fn blob_encryption(c: &mut Criterion) {
    let plain = vec![0x5au8; BLOB];
    let mut group = c.benchmark_group("encrypt_8MiB");
    group.throughput(Throughput::Bytes(BLOB as u64));
    // The primitive alone: one in-place seal over a buffer that already holds the data.
    let raw = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &[7u8; 32]).unwrap());
    let mut buf = plain.clone();
    group.bench_function(BenchmarkId::new("raw_aes256gcm_in_place", BLOB), |b| {
        b.iter(|| {
            raw.seal_in_place_separate_tag(
                Nonce::assume_unique_for_key([0u8; 12]),
                RawAad::empty(),
                &mut buf,
            )
            .unwrap()
        })
    });
    // Vial's blob format: a fresh allocation, copy, per-blob key derivation and chunking.
    let dek = DataKey::generate().unwrap();
    let aad = Aad::new("photos", "content", "ph_0123456789");
    group.bench_function(BenchmarkId::new("vial_seal_blob", BLOB), |b| {
        b.iter(|| dek.seal_blob(aad, &plain).unwrap())
    });
    // In place, like the primitive: the buffer holds header room plus the data.
    let mut in_place = vec![0u8; vial_crypto::BLOB_HEADER_LEN];
    in_place.extend_from_slice(&plain);
    group.bench_function(BenchmarkId::new("vial_seal_blob_in_place", BLOB), |b| {
        b.iter(|| {
            in_place.truncate(vial_crypto::BLOB_HEADER_LEN + BLOB);
            dek.seal_blob_in_place(aad, &mut in_place).unwrap()
        })
    });
    let sealed = dek.seal_blob(aad, &plain).unwrap();
    group.bench_function(BenchmarkId::new("vial_open_blob", BLOB), |b| {
        b.iter(|| dek.open_blob(aad, &sealed).unwrap())
    });
    group.finish();
}

fn blob_decryption(c: &mut Criterion) {
    let plain = vec![0x5au8; BLOB];
    let mut group = c.benchmark_group("decrypt_8MiB");
    group.throughput(Throughput::Bytes(BLOB as u64));
    // The primitive alone: one in-place open of ciphertext already in a buffer (the copy that
    // refills the buffer each iteration is not timed).
    let raw = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &[7u8; 32]).unwrap());
    let mut ciphertext = plain.clone();
    let tag = raw
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key([0u8; 12]),
            RawAad::empty(),
            &mut ciphertext,
        )
        .unwrap();
    group.bench_function(BenchmarkId::new("raw_aes256gcm_open_in_place", BLOB), |b| {
        b.iter_batched_ref(
            || ciphertext.clone(),
            |buf| {
                raw.open_in_place_separate_tag(
                    Nonce::assume_unique_for_key([0u8; 12]),
                    RawAad::empty(),
                    tag.as_ref(),
                    buf,
                )
                .unwrap();
            },
            BatchSize::LargeInput,
        )
    });
    // The streaming reader's decryption: the opener (HKDF) and every chunk opened in place.
    let dek = DataKey::generate().unwrap();
    let aad = Aad::new("photos", "content", "ph_0123456789");
    let sealed = dek.seal_blob(aad, &plain).unwrap();
    let layout = BlobLayout::parse(&sealed, sealed.len() as u64).unwrap();
    let body =
        sealed[layout.body_range().start as usize..layout.body_range().end as usize].to_vec();
    let tags = &sealed[layout.tags_range().start as usize..];
    group.bench_function(BenchmarkId::new("vial_blob_opener_in_place", BLOB), |b| {
        b.iter_batched_ref(
            || body.clone(),
            |buf| {
                let opener = dek
                    .blob_opener(aad, &sealed, sealed.len() as u64, tags)
                    .unwrap();
                for (index, chunk) in buf.chunks_mut(layout.chunk_len()).enumerate() {
                    opener.open_chunk_in_place(index, chunk).unwrap();
                }
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

fn dek_wrapping(c: &mut Criterion) {
    let material = KeyMaterial {
        keks: vec![KekRecord {
            version: 1,
            created_at_ms: 0,
            retired_at_ms: None,
            secret: Some(generate_secret().unwrap()),
        }],
        blind_index_key: generate_secret().unwrap(),
        audit_signing_seed: generate_secret().unwrap(),
    };
    let ring = KeyRing::new(&material).unwrap();
    let dek = DataKey::generate().unwrap();
    let wrapped = ring.wrap(&dek).unwrap();
    let mut group = c.benchmark_group("dek");
    group.throughput(Throughput::Elements(1));
    group.bench_function("wrap", |b| b.iter(|| ring.wrap(&dek).unwrap()));
    group.bench_function("unwrap", |b| {
        b.iter(|| ring.unwrap(dek.id(), &wrapped).unwrap())
    });
    let field_aad = Aad::new("patients", "family", "p_0123456789");
    group.bench_function("seal_field", |b| {
        b.iter(|| dek.seal(field_aad, b"Nguyen-Smith").unwrap())
    });
    group.finish();
}

criterion_group!(benches, blob_encryption, blob_decryption, dek_wrapping);
criterion_main!(benches);

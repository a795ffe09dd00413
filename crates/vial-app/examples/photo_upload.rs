//! Photo upload and retrieval through the app (validate, strip, re-encode when rotated,
//! thumbnail, encrypt, store in the local blob directory, audit) on SQLite, with an 8 MB
//! 12-megapixel JPEG made at start-up.
//!
//! `cargo run --release -p vial-app --example photo_upload` prints upload p50/p95 (upright and
//! rotated by EXIF orientation 6), retrieval throughput in MB/s, and raw AES-256-GCM for
//! comparison. `… --example photo_upload -- once` (or `-- setup`) uploads one photo (or none)
//! and exits, for measuring peak memory with `/usr/bin/time -v`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // a measurement tool

use std::sync::Arc;
use std::time::{Duration, Instant};

use image::{ImageEncoder, Rgb, RgbImage};
use vial_app::{
    Actor, App, DataDir, DatabaseChoice, NewPatient, NewUserInput, PhotoPart, PhotoUpload, Role,
    SystemClock,
};
use zeroize::Zeroizing;

const ROUNDS: usize = 20;

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_default();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (app, provider, patient) = rt.block_on(setup(&DataDir::new(dir.path().join("data"))));
    let upright = photo_jpeg(None);
    let rotated = photo_jpeg(Some(6));
    println!(
        "input: 4000x3000 JPEG, {:.1} MB upright, {:.1} MB with orientation 6",
        mb(upright.len()),
        mb(rotated.len())
    );
    match mode.as_str() {
        "setup" => return,
        "once" => {
            for (label, bytes) in [("upright", &upright), ("rotated", &rotated)] {
                let input = bytes.clone();
                // Linux: writing 5 to clear_refs resets the peak RSS (VmHWM) to the current RSS.
                let _ = std::fs::write("/proc/self/clear_refs", "5");
                let before = status_kb("VmRSS");
                let id = rt.block_on(upload(&app, &provider, &patient, input));
                let peak = status_kb("VmHWM");
                println!(
                    "uploaded {id} ({label}): peak RSS {:.1} MB above the {:.1} MB resident before it (the 8 MB input already counted there)",
                    (peak - before) as f64 / 1000.0,
                    before as f64 / 1000.0
                );
            }
            return;
        }
        _ => {}
    }
    for (label, bytes) in [("upright", &upright), ("rotated", &rotated)] {
        let mut times = Vec::new();
        let mut ids = Vec::new();
        for _ in 0..ROUNDS {
            let start = Instant::now();
            ids.push(rt.block_on(upload(&app, &provider, &patient, bytes.clone())));
            times.push(start.elapsed());
        }
        times.sort();
        println!(
            "upload {label}: p50 {:?}, p95 {:?} ({ROUNDS} uploads)",
            times[ROUNDS / 2],
            times[ROUNDS * 95 / 100 - 1]
        );
        if label == "upright" {
            let start = Instant::now();
            let mut total = 0;
            for id in &ids {
                let photo = rt
                    .block_on(app.photo_content(&provider, id, PhotoPart::Content))
                    .unwrap();
                total += photo.bytes.len();
            }
            let secs = start.elapsed().as_secs_f64();
            println!(
                "retrieval (authorize + audit + read blob + decrypt): {:.0} MB/s, {:?} a photo",
                mb(total) / secs,
                Duration::from_secs_f64(secs / ids.len() as f64)
            );
        }
    }
    raw_aes(upright.len());
}

/// Raw AES-256-GCM over the same size: one-shot (aws-lc-rs) and chunked (vial-crypto's blob
/// format, which adds HKDF and per-chunk tags).
fn raw_aes(len: usize) {
    use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &[7u8; 32]).unwrap());
    let mut buf = vec![0x5Au8; len];
    let start = Instant::now();
    for i in 0..ROUNDS {
        let mut nonce = [0u8; 12];
        nonce[..8].copy_from_slice(&(i as u64).to_be_bytes());
        let tag = key
            .seal_in_place_separate_tag(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut buf)
            .unwrap();
        let _ = std::hint::black_box(tag);
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "raw AES-256-GCM (aws-lc-rs, one shot): {:.0} MB/s",
        mb(len * ROUNDS) / secs
    );
    let dek = vial_crypto_key();
    let aad = vial_crypto::Aad::new("photos", "content", "ph_bench");
    let sealed = dek.seal_blob(aad, &buf).unwrap();
    let start = Instant::now();
    for _ in 0..ROUNDS {
        std::hint::black_box(dek.open_blob(aad, &sealed).unwrap());
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "vial-crypto open_blob (64 KiB chunks): {:.0} MB/s",
        mb(len * ROUNDS) / secs
    );
}

/// A `/proc/self/status` figure in kB (0 where there is none).
fn status_kb(field: &str) -> i64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn vial_crypto_key() -> vial_crypto::DataKey {
    vial_crypto::DataKey::generate().unwrap()
}

fn mb(bytes: usize) -> f64 {
    bytes as f64 / 1_000_000.0
}

async fn upload(app: &App, provider: &Actor, patient: &str, bytes: Vec<u8>) -> String {
    app.capture_photo(
        provider,
        patient,
        PhotoUpload {
            view: "front".into(),
            body_area: "face".into(),
            treatment_id: None,
            phase: None,
            bytes,
        },
    )
    .await
    .unwrap()
}

async fn setup(data: &DataDir) -> (App, Actor, String) {
    data.init(&DatabaseChoice::Embedded, &SystemClock, |_| Ok(()))
        .await
        .unwrap();
    let app = data
        .open(&DatabaseChoice::Embedded, Arc::new(SystemClock))
        .await
        .unwrap();
    let mut actors = Vec::new();
    for (email, role) in [
        ("bench.np@example.com", Role::Provider),
        ("bench.owner@example.com", Role::Admin),
    ] {
        let added = app
            .add_user(
                NewUserInput {
                    email: email.into(),
                    name: "Bench Person".into(),
                    role,
                    password: Zeroizing::new("correct horse battery staple".into()),
                    patient_id: None,
                },
                "bench",
            )
            .await
            .unwrap();
        actors.push(Actor {
            user_id: added.user_id,
            role,
            session_id: "ses_bench".into(),
        });
    }
    let admin = actors.pop().unwrap();
    let provider = actors.pop().unwrap();
    app.publish_consent_form(
        &admin,
        serde_json::from_value(
            serde_json::json!({"kind": "photography", "version": "v1", "text": "I consent."}),
        )
        .unwrap(),
    )
    .await
    .unwrap();
    let patient = app
        .create_patient(
            &provider,
            NewPatient {
                given: "Bench".into(),
                family: "Patient".into(),
                dob: "1980-01-01".into(),
                phone: None,
                email: None,
            },
        )
        .await
        .unwrap();
    app.sign_consent(
        &provider,
        &patient,
        serde_json::from_value(
            serde_json::json!({"kind": "photography", "form_version": "v1",
            "signature": {"type": "typed", "name": "Bench Patient"}}),
        )
        .unwrap(),
    )
    .await
    .unwrap();
    (app, provider, patient)
}

/// A 4000×3000 noisy gradient as a JPEG of about 8 MB, optionally with an EXIF orientation.
fn photo_jpeg(orientation: Option<u16>) -> Vec<u8> {
    let mut state = 0x9E37_79B9u32;
    let image = RgbImage::from_fn(4000, 3000, |x, y| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let n = (state % 67) as i32 - 33;
        let base = [(x * 255 / 4000) as i32, (y * 255 / 3000) as i32, 128];
        Rgb(base.map(|b| (b + n).clamp(0, 255) as u8))
    });
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 95)
        .write_image(&image, 4000, 3000, image::ExtendedColorType::Rgb8)
        .unwrap();
    let Some(orientation) = orientation else {
        return jpeg;
    };
    // APP1 "Exif\0\0" + little-endian TIFF with one IFD entry: Orientation (0x0112), SHORT.
    let mut exif = b"Exif\0\0II*\0\x08\0\0\0\x01\0\x12\x01\x03\0\x01\0\0\0".to_vec();
    exif.extend_from_slice(&orientation.to_le_bytes());
    exif.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((exif.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&exif);
    out.extend_from_slice(&jpeg[2..]);
    out
}

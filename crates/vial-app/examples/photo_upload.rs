//! Photo upload and retrieval through the app (validate, strip, re-encode when rotated,
//! thumbnail, encrypt, store in the local blob directory, audit) on SQLite, with an 8 MB
//! 12-megapixel JPEG made at start-up.
//!
//! `cargo run --release -p vial-app --example photo_upload` prints upload p50/p95 (upright and
//! rotated by EXIF orientation 6); streamed retrieval throughput in MB/s (authorize, audit,
//! ranged reads, chunk-by-chunk decryption in place), one stream and 2, 4 and 8 at once, with where
//! its time goes; and raw AES-256-GCM and vial-crypto's openers for comparison. `… --example photo_upload -- once` (or `-- setup`) uploads one photo (or none)
//! and exits, for measuring peak memory with `/usr/bin/time -v`; `-- retrieval` skips the
//! rotated uploads.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // a measurement tool

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use image::{ImageEncoder, Rgb, RgbImage};
use vial_app::{
    Actor, DataDir, DatabaseChoice, PatientId, PhotoId, PhotoPart, PhotoUpload, System, SystemClock,
};

use vial_testkit::clinic;

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
    // `-- retrieval`: the upright uploads and the retrieval figures only.
    let inputs = match mode.as_str() {
        "retrieval" => vec![("upright", &upright)],
        _ => vec![("upright", &upright), ("rotated", &rotated)],
    };
    for (label, bytes) in inputs {
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
            raw_aes(upright.len());
            retrieval(
                &rt,
                &app,
                &provider,
                &ids,
                &dir.path().join("data").join("blobs"),
                upright.len(),
            );
        }
    }
}

/// Rounds per retrieval figure; each round times raw AES-256-GCM and then retrieval.
const RATIO_ROUNDS: usize = 9;

/// Retrieval as a viewer gets it (authorize + audit + ranged reads + chunk-by-chunk decryption,
/// every chunk consumed), one stream at a time and 2, 4 and 8 at once, plus where the time goes: the
/// audited opening alone and the ranged body read alone.
///
/// This machine's speed drifts by tens of percent from one second to the next, so the yardstick
/// (raw AES-256-GCM opening as many photos, on one core) is timed alternately with retrieval:
/// photo by photo for one stream, pass by pass for several. The share of raw is taken round by
/// round; the median is reported, with the lowest and highest round.
fn retrieval(
    rt: &tokio::runtime::Runtime,
    app: &System,
    provider: &Actor,
    ids: &[PhotoId],
    blob_dir: &std::path::Path,
    photo_len: usize,
) {
    let mut raw = RawAes::new(photo_len);
    // Warm-up: page cache, allocator, connections.
    rt.block_on(retrieve_all(app.clone(), provider.clone(), ids.to_vec(), 1));
    raw.open_time(ids.len());
    println!(
        "retrieval (authorize + audit + ranged reads + in-place chunk decryption), {RATIO_ROUNDS} rounds per figure, each raw AES-256-GCM on one core then a pass over {} photos per stream:",
        ids.len()
    );
    for streams in [1, 2, 4, 8] {
        let (mut shares, mut rates, mut raws) = (Vec::new(), Vec::new(), Vec::new());
        let (mut opening, mut body, mut views, mut bytes) = (Duration::ZERO, Duration::ZERO, 0, 0);
        for _ in 0..RATIO_ROUNDS {
            // One stream alternates the yardstick with retrieval photo by photo; several
            // streams, a pass at a time.
            let turns: Vec<Vec<PhotoId>> = if streams == 1 {
                ids.iter().map(|id| vec![id.clone()]).collect()
            } else {
                vec![ids.to_vec()]
            };
            let (mut raw_time, mut retrieval_time, mut round_bytes) =
                (Duration::ZERO, Duration::ZERO, 0);
            for turn in turns {
                raw_time += raw.open_time(turn.len());
                let start = Instant::now();
                let all: Vec<Retrieved> = rt.block_on(async {
                    let tasks: Vec<_> = (0..streams)
                        .map(|_| {
                            tokio::spawn(retrieve_all(
                                app.clone(),
                                provider.clone(),
                                turn.clone(),
                                1,
                            ))
                        })
                        .collect();
                    let mut out = Vec::new();
                    for task in tasks {
                        out.push(task.await.unwrap());
                    }
                    out
                });
                retrieval_time += start.elapsed();
                round_bytes += all.iter().map(|r| r.bytes).sum::<usize>();
                opening += all.iter().map(|r| r.opening).sum::<Duration>();
                body += all.iter().map(|r| r.body).sum::<Duration>();
                views += streams * turn.len();
            }
            let raw_rate = mb(photo_len * ids.len()) / raw_time.as_secs_f64();
            let rate = mb(round_bytes) / retrieval_time.as_secs_f64();
            shares.push(100.0 * rate / raw_rate);
            rates.push(rate);
            raws.push(raw_rate);
            bytes += round_bytes;
        }
        let (share, low, high) = spread(&mut shares);
        println!(
            "  {streams} stream{}: {:.0} MB/s in all = {share:.0}% of raw (rounds {low:.0}–{high:.0}%; raw {:.0} MB/s); each view: opening {:?}, then the rest of the body at {:.0} MB/s",
            if streams == 1 { "" } else { "s at once" },
            spread(&mut rates).0,
            spread(&mut raws).0,
            opening / views as u32,
            mb(bytes) / body.as_secs_f64(),
        );
    }

    // Where the time goes: the audited opening without the body ...
    let start = Instant::now();
    for id in ids {
        let photo = rt
            .block_on(app.photo_content(provider, id, PhotoPart::Content))
            .unwrap();
        std::hint::black_box(photo.len());
    }
    println!(
        "  of which authorize + audit + header and tags (no body read past what is opened ahead): {:?} a photo",
        start.elapsed() / ids.len() as u32
    );
    thumbnail_views(rt, app, provider, ids);
    // ... and the ranged reads from the blob directory without decryption.
    let blobs = vial_blob::BlobStore::local(blob_dir).unwrap();
    let (mut total, mut locating, mut body) = (0, Duration::ZERO, Duration::ZERO);
    for id in ids {
        let (bytes, located, read) = rt.block_on(read_body(&blobs, id.as_str()));
        total += bytes;
        locating += located;
        body += read;
    }
    println!(
        "  ranged reads alone (local blob dir, no decryption): header and tags {:?} a photo, body {:.0} MB/s in {} KiB pieces",
        locating / ids.len() as u32,
        mb(total) / body.as_secs_f64(),
        vial_blob::FILE_READ_LEN / 1024,
    );
}

/// Audited views of thumbnails (a few KB each, so the decision and the durable audit entry are
/// most of a view): latency one at a time, and views per second with 8 viewers at once.
fn thumbnail_views(rt: &tokio::runtime::Runtime, app: &System, provider: &Actor, ids: &[PhotoId]) {
    async fn view(app: &System, provider: &Actor, id: &PhotoId) {
        let thumbnail = app
            .photo_content(provider, id, PhotoPart::Thumbnail)
            .await
            .unwrap();
        std::hint::black_box(thumbnail.bytes().await.unwrap());
    }
    let mut times = Vec::new();
    for id in ids.iter().cycle().take(10 * ids.len()) {
        let start = Instant::now();
        rt.block_on(view(app, provider, id));
        times.push(start.elapsed());
    }
    times.sort();
    let concurrent = ids.len() * 10;
    let start = Instant::now();
    rt.block_on(async {
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (app, provider, ids) = (app.clone(), provider.clone(), ids.to_vec());
                tokio::spawn(async move {
                    for id in ids.iter().cycle().take(concurrent / 8) {
                        view(&app, &provider, id).await;
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
    });
    println!(
        "  thumbnail views (authorize + durable audit + a few KB): one at a time p50 {:?}, p95 {:?}; 8 viewers at once {:.0} views/s",
        times[times.len() / 2],
        times[times.len() * 95 / 100],
        concurrent as f64 / start.elapsed().as_secs_f64()
    );
}

/// The median of `values`, with the lowest and the highest.
fn spread(values: &mut [f64]) -> (f64, f64, f64) {
    values.sort_by(f64::total_cmp);
    (
        values[values.len() / 2],
        values[0],
        values[values.len() - 1],
    )
}

/// Raw AES-256-GCM (aws-lc-rs) over one photo's length, one shot, in place, on one core: the
/// yardstick retrieval is measured against.
struct RawAes {
    key: aws_lc_rs::aead::LessSafeKey,
    buf: Vec<u8>,
    counter: u64,
}

impl RawAes {
    fn new(len: usize) -> Self {
        use aws_lc_rs::aead::{AES_256_GCM, LessSafeKey, UnboundKey};
        Self {
            key: LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &[7u8; 32]).unwrap()),
            buf: vec![0x5Au8; len],
            counter: 0,
        }
    }

    /// Seals and opens the buffer `times` times; the time spent opening.
    fn open_time(&mut self, times: usize) -> Duration {
        self.seal_and_open_time(times).1
    }

    /// Seals and opens the buffer `times` times; the time spent sealing and opening.
    fn seal_and_open_time(&mut self, times: usize) -> (Duration, Duration) {
        use aws_lc_rs::aead::{Aad, Nonce};
        let (mut sealing, mut opening) = (Duration::ZERO, Duration::ZERO);
        for _ in 0..times {
            self.counter += 1;
            let mut nonce = [0u8; 12];
            nonce[..8].copy_from_slice(&self.counter.to_be_bytes());
            let start = Instant::now();
            let tag = self
                .key
                .seal_in_place_separate_tag(
                    Nonce::assume_unique_for_key(nonce),
                    Aad::empty(),
                    &mut self.buf,
                )
                .unwrap();
            sealing += start.elapsed();
            let start = Instant::now();
            self.key
                .open_in_place_separate_tag(
                    Nonce::assume_unique_for_key(nonce),
                    Aad::empty(),
                    tag.as_ref(),
                    &mut self.buf,
                )
                .unwrap();
            opening += start.elapsed();
        }
        (sealing, opening)
    }
}

/// The sealed body of a stored photo read as the retrieval path does (header, then tags and the
/// body stream), without decryption: its length, the time to the body stream, and the body's.
async fn read_body(blobs: &vial_blob::BlobStore, id: &str) -> (usize, Duration, Duration) {
    let start = Instant::now();
    let blob = vial_blob::BlobId::parse(id).unwrap();
    let kind = vial_blob::BlobKind::Photo;
    let header = blobs
        .get_range(kind, &blob, vial_crypto::BlobLayout::HEADER)
        .await
        .unwrap();
    let layout = vial_crypto::BlobLayout::parse(&header.bytes, header.size).unwrap();
    let (tags, mut body) = tokio::try_join!(
        blobs.get_range(kind, &blob, layout.tags_range()),
        blobs.get_stream_range(kind, &blob, layout.body_range()),
    )
    .unwrap();
    std::hint::black_box(tags);
    let located = Instant::now();
    let mut total = 0;
    while let Some(piece) = body.next().await {
        total += piece.unwrap().len();
    }
    (total, located - start, located.elapsed())
}

/// What [`retrieve_all`] measured: plaintext bytes, and the time spent opening views (the
/// audited unit, header and tags) and streaming bodies.
struct Retrieved {
    bytes: usize,
    opening: Duration,
    body: Duration,
}

/// Streams and consumes every photo in `ids`, `passes` times.
async fn retrieve_all(app: System, provider: Actor, ids: Vec<PhotoId>, passes: usize) -> Retrieved {
    let mut out = Retrieved {
        bytes: 0,
        opening: Duration::ZERO,
        body: Duration::ZERO,
    };
    for _ in 0..passes {
        for id in &ids {
            let start = Instant::now();
            let photo = app
                .photo_content(&provider, id, PhotoPart::Content)
                .await
                .unwrap();
            let opened = Instant::now();
            out.opening += opened - start;
            let mut stream = photo.into_stream();
            while let Some(chunk) = stream.next().await {
                out.bytes += chunk.unwrap().len();
            }
            out.body += opened.elapsed();
        }
    }
    out
}

/// Raw AES-256-GCM over the same size, one shot in place on one core (sealing and opening),
/// next to vial-crypto's blob format: the in-place chunk opener alone (the retrieval path's
/// decryption, without I/O) and the whole-blob `open_blob` (a copy, then decryption).
fn raw_aes(len: usize) {
    const CRYPTO_ROUNDS: usize = 50;
    let (sealing, opening) = RawAes::new(len).seal_and_open_time(CRYPTO_ROUNDS);
    let rate = |d: Duration| mb(len * CRYPTO_ROUNDS) / d.as_secs_f64();
    println!(
        "raw AES-256-GCM (aws-lc-rs, one shot, in place, one core): seal {:.0} MB/s, open {:.0} MB/s",
        rate(sealing),
        rate(opening)
    );

    let dek = vial_crypto_key();
    let aad = vial_crypto::Aad::new("photos", "content", "ph_bench");
    let mut buf = vec![0x5Au8; len];
    let sealed = dek.seal_blob(aad, &buf).unwrap();
    let layout = vial_crypto::BlobLayout::parse(&sealed, sealed.len() as u64).unwrap();
    let body = &sealed[layout.body_range().start as usize..layout.body_range().end as usize];
    let tags = &sealed[layout.tags_range().start as usize..];
    let mut chunk_opening = Duration::ZERO;
    for _ in 0..CRYPTO_ROUNDS {
        buf.copy_from_slice(body);
        let start = Instant::now();
        let opener = dek
            .blob_opener(aad, &sealed, sealed.len() as u64, tags)
            .unwrap();
        for (index, chunk) in buf.chunks_mut(layout.chunk_len()).enumerate() {
            opener.open_chunk_in_place(index, chunk).unwrap();
        }
        chunk_opening += start.elapsed();
    }
    println!(
        "vial-crypto chunk opener alone (HKDF + 64 KiB chunks opened in place): {:.0} MB/s ({:.0}% of raw)",
        rate(chunk_opening),
        100.0 * rate(chunk_opening) / rate(opening)
    );
    let start = Instant::now();
    for _ in 0..CRYPTO_ROUNDS {
        std::hint::black_box(dek.open_blob(aad, &sealed).unwrap());
    }
    println!(
        "vial-crypto open_blob (whole blob, copied then opened): {:.0} MB/s",
        rate(start.elapsed())
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

async fn upload(app: &System, provider: &Actor, patient: &PatientId, bytes: Vec<u8>) -> PhotoId {
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

async fn setup(data: &DataDir) -> (System, Actor, PatientId) {
    data.init(&DatabaseChoice::Embedded, &SystemClock, |_| Ok(()))
        .await
        .unwrap();
    let app = data
        .open(&DatabaseChoice::Embedded, Arc::new(SystemClock))
        .await
        .unwrap();
    let (provider, admin) = clinic::staff(&app, "bench").await;
    let patient = clinic::photographable_patient(&app, &provider, &admin).await;
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

//! Sanitizing a 12-megapixel phone photo (4000 × 3000, about 8 MB at JPEG quality 95) on both
//! paths: already upright (lossless strip, full decode for validation, thumbnail) and EXIF
//! orientation 6 (decode, rotate, re-encode at quality 92, thumbnail). Plus the pieces that
//! dominate them, so a regression can be placed.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark fails loudly

use vial_testkit::images;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use vial_media::{Limits, Rect, deidentify, sanitize};

const WIDTH: u32 = 4000;
const HEIGHT: u32 = 3000;

fn photo(orientation: u16) -> Vec<u8> {
    // Gradients plus ±9 of noise compress to about 8 MB at quality 95, like a detailed photo.
    images::camera_jpeg_quality(&images::scene(WIDTH, HEIGHT, 9, 42), Some(orientation), 95)
}

fn sanitize_12mp(c: &mut Criterion) {
    let limits = Limits::default();
    let mut group = c.benchmark_group("sanitize_12MP");
    group.sample_size(10);
    for (orientation, name) in [(1, "upright_lossless"), (6, "orientation6_reencode")] {
        let input = photo(orientation);
        group.throughput(Throughput::Bytes(input.len() as u64));
        group.bench_function(BenchmarkId::new(name, input.len()), |b| {
            b.iter(|| sanitize(&input, &limits).unwrap())
        });
    }
    group.finish();
}

fn pieces_12mp(c: &mut Criterion) {
    let input = photo(1);
    let mut group = c.benchmark_group("pieces_12MP");
    group.sample_size(10);
    group.bench_function("decode_only_image_crate", |b| {
        b.iter(|| image::load_from_memory(&input).unwrap())
    });
    let decoded = image::load_from_memory(&input).unwrap().into_rgb8();
    group.bench_function("encode_q92_image_crate", |b| {
        b.iter(|| images::jpeg(&decoded, 92))
    });
    let sanitized = sanitize(&input, &Limits::default()).unwrap();
    let face = Rect::new(0.3, 0.2, 0.4, 0.5).unwrap();
    group.bench_function("deidentify_crop_blur", |b| {
        b.iter(|| deidentify(&sanitized.bytes, Some(face), &[face]).unwrap())
    });
    group.finish();
}

criterion_group!(benches, sanitize_12mp, pieces_12mp);
criterion_main!(benches);

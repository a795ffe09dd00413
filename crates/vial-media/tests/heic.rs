//! HEIC input through the public API, on files encoded at test time with libheif's own HEVC
//! encoder (x265, built into Debian bookworm's libheif1). Built only with the `heic` feature
//! (`required-features` in Cargo.toml).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use image::{GenericImageView, ImageFormat};
use vial_media::{Format, Limits, MediaError, sanitize, sniff};
use vial_testkit::images::*;

fn ok(bytes: &[u8]) -> vial_media::Sanitized {
    sanitize(bytes, &Limits::default()).unwrap()
}

fn err(bytes: &[u8]) -> MediaError {
    sanitize(bytes, &Limits::default()).unwrap_err()
}

use libheif_rs::{Channel, ColorSpace, CompressionFormat, EncoderQuality, HeifContext, RgbChroma};

/// Encodes through libheif's own HEVC encoder (x265, built into Debian's libheif1).
fn heic(rgb: &image::RgbImage, exif: Option<&[u8]>) -> Vec<u8> {
    heif(rgb, CompressionFormat::Hevc, exif)
}

/// Encodes with libheif's encoder for `format`: HEVC makes HEIC, AV1 (libaom) makes AVIF.
fn heif(rgb: &image::RgbImage, format: CompressionFormat, exif: Option<&[u8]>) -> Vec<u8> {
    let lib = vial_media::libheif();
    let (w, h) = rgb.dimensions();
    let mut picture = libheif_rs::Image::new(w, h, ColorSpace::Rgb(RgbChroma::C444)).unwrap();
    for channel in [Channel::R, Channel::G, Channel::B] {
        picture.create_plane(channel, w, h, 8).unwrap();
    }
    let planes = picture.planes_mut();
    for (i, plane) in [planes.r, planes.g, planes.b].into_iter().enumerate() {
        let plane = plane.unwrap();
        for (y, row) in plane
            .data
            .chunks_mut(plane.stride)
            .take(h as usize)
            .enumerate()
        {
            for (x, value) in row.iter_mut().take(w as usize).enumerate() {
                *value = rgb.get_pixel(x as u32, y as u32)[i];
            }
        }
    }
    let mut context = HeifContext::new().unwrap();
    let mut encoder = lib.encoder_for_format(format).unwrap();
    encoder.set_quality(EncoderQuality::Lossy(90)).unwrap();
    // No `EncodingOptions` (and so no orientation through them): libheif-rs 0.20 frees
    // them before libheif reads them. `with_irot` adds the rotation instead.
    let handle = context.encode_image(&picture, &mut encoder, None).unwrap();
    if let Some(exif) = exif {
        context.add_exif_metadata(&handle, exif).unwrap();
    }
    context.write_to_bytes().unwrap()
}

fn u32_at(b: &[u8], at: usize) -> usize {
    u32::from_be_bytes(b[at..at + 4].try_into().unwrap()) as usize
}

fn add_to_u32(b: &mut [u8], at: usize, delta: usize) {
    let v = u32_at(b, at) + delta;
    b[at..at + 4].copy_from_slice(&(v as u32).to_be_bytes());
}

/// Offsets of the child boxes of type `kind` between `from` and `to`.
fn find(b: &[u8], from: usize, to: usize, kind: &[u8; 4]) -> usize {
    let mut at = from;
    while at < to {
        if &b[at + 4..at + 8] == kind {
            return at;
        }
        at += u32_at(b, at);
    }
    panic!("no {:?} box", String::from_utf8_lossy(kind));
}

/// Adds an `irot` property (rotation by `quarter_turns_ccw` × 90° anti-clockwise) to the
/// primary image of a file as libheif 1.15 writes it: `ipma` v0 with 8-bit indices, `iloc`
/// v0 with 4-byte sizes and base offsets, and `mdat` after `meta`.
fn with_irot(heic: &[u8], quarter_turns_ccw: u8) -> Vec<u8> {
    let irot = [0, 0, 0, 9, b'i', b'r', b'o', b't', quarter_turns_ccw];
    let mut b = heic.to_vec();
    let meta = find(&b, 0, b.len(), b"meta");
    let meta_end = meta + u32_at(&b, meta);
    let pitm = find(&b, meta + 12, meta_end, b"pitm");
    let primary = [b[pitm + 12], b[pitm + 13]];
    let iloc = find(&b, meta + 12, meta_end, b"iloc");
    let iprp = find(&b, meta + 12, meta_end, b"iprp");
    let iprp_end = iprp + u32_at(&b, iprp);
    let ipco = find(&b, iprp + 8, iprp_end, b"ipco");
    let ipma = find(&b, iprp + 8, iprp_end, b"ipma");
    assert!(ipco < ipma, "layout not as libheif 1.15 writes it");
    assert_eq!(&b[iloc + 8..iloc + 14], &[0, 0, 0, 0, 0x44, 0x40]);
    assert_eq!(&b[ipma + 8..ipma + 12], &[0, 0, 0, 0]);

    // mdat will move 10 bytes further, and with it every item's data: shift the base
    // offsets. Item: id (2), data reference (2), base offset (4), extents (2) × 8 bytes.
    let items = u16::from_be_bytes([b[iloc + 14], b[iloc + 15]]) as usize;
    let mut at = iloc + 16;
    for _ in 0..items {
        add_to_u32(&mut b, at + 4, 10);
        let extents = u16::from_be_bytes([b[at + 8], b[at + 9]]) as usize;
        at += 10 + 8 * extents;
    }

    // The new property's 1-based index, then its association with the primary item.
    let ipco_end = ipco + u32_at(&b, ipco);
    let mut properties = 0u8;
    let mut at = ipco + 8;
    while at < ipco_end {
        properties += 1;
        at += u32_at(&b, at);
    }
    let entries = u32_at(&b, ipma + 12);
    let mut at = ipma + 16;
    let mut inserted = false;
    for _ in 0..entries {
        let count = b[at + 2] as usize;
        if b[at..at + 2] == primary {
            b.insert(at + 3 + count, 0x80 | (properties + 1));
            b[at + 2] += 1;
            inserted = true;
            break;
        }
        at += 3 + count;
    }
    assert!(inserted, "primary item has no properties");
    add_to_u32(&mut b, ipma, 1);
    b.splice(ipco_end..ipco_end, irot);
    add_to_u32(&mut b, ipco, 9);
    add_to_u32(&mut b, iprp, 10);
    add_to_u32(&mut b, meta, 10);
    b
}

#[test]
fn heic_becomes_an_upright_jpeg_without_metadata() {
    // Stored 128 × 96 with a 270° anti-clockwise (= 90° clockwise) rotation, plus EXIF
    // saying orientation 6, as iPhones write both.
    let exif = exif_tiff(Some(6));
    let input = with_irot(&heic(&marked(128, 96), Some(&exif)), 3);
    assert_eq!(sniff(&input), Some(Format::Heic));
    assert!(contains(&input, MAKE.as_bytes()) && contains(&input, DATUM.as_bytes()));

    let out = ok(&input);
    assert_eq!(out.format, Format::Jpeg);
    assert!(out.reencoded);
    assert_no_metadata(&out.bytes);
    assert_no_metadata(&out.thumbnail);
    // Rotated once, by the container's transformation, not again by EXIF.
    assert_eq!((out.width, out.height), (96, 128));
    let shown = decode_as(&out.bytes, ImageFormat::Jpeg).to_rgb8();
    assert_eq!(shown.dimensions(), (96, 128));
    assert!(is_red(*shown.get_pixel(88, 8)), "marker not at top-right");
    for (x, y) in [(8, 8), (8, 120), (88, 120)] {
        assert!(!is_red(*shown.get_pixel(x, y)), "marker also at ({x},{y})");
    }
}

#[test]
fn plain_heic_keeps_its_size_and_colours() {
    let input = heic(&marked(160, 120), None);
    let out = ok(&input);
    assert_eq!((out.width, out.height), (160, 120));
    let shown = decode(&out.bytes).to_rgb8();
    assert!(is_red(*shown.get_pixel(4, 4)));
    assert!(!is_red(*shown.get_pixel(100, 100)));
    assert_eq!(decode(&out.thumbnail).dimensions(), (160, 120));
}

#[test]
fn truncated_heic_is_undecodable() {
    let input = heic(&scene(160, 120, 10, 12), None);
    let cut = &input[..input.len() - 20];
    assert_eq!(sniff(cut), Some(Format::Heic));
    assert!(matches!(err(cut), MediaError::Undecodable(_)));
}

#[test]
fn heic_dimensions_are_limited() {
    let input = heic(&scene(160, 120, 10, 13), None);
    let limits = Limits {
        max_dimension: 100,
        ..Limits::default()
    };
    assert_eq!(
        sanitize(&input, &limits),
        Err(MediaError::TooManyPixels {
            width: 160,
            height: 120
        })
    );
}

/// The same file with every AV1 brand in its `ftyp` box replaced by `heic`.
fn labelled_heic(avif: &[u8]) -> Vec<u8> {
    let mut b = avif.to_vec();
    assert_eq!(&b[4..8], b"ftyp");
    let end = u32_at(&b, 0);
    for at in std::iter::once(8).chain((16..end).step_by(4)) {
        if [b"avif", b"avis", b"MA1B", b"MA1A"].contains(&&b[at..at + 4].try_into().unwrap()) {
            b[at..at + 4].copy_from_slice(b"heic");
        }
    }
    b
}

#[test]
fn avif_never_reaches_libheif() {
    let avif = heif(&marked(64, 48), CompressionFormat::Av1, None);
    assert_eq!(&avif[4..12], b"ftypavif");
    assert!(contains(&avif, b"av01"));
    assert_eq!(sniff(&avif), None);
    assert_eq!(err(&avif), MediaError::UnsupportedType);

    // Labelled HEIC, its AV1-coded item is still found and refused before libheif decodes it.
    let disguised = labelled_heic(&avif);
    assert!(!contains(&disguised[..u32_at(&disguised, 0)], b"avif"));
    assert_eq!(sniff(&disguised), Some(Format::Heic));
    assert_eq!(err(&disguised), MediaError::UnsupportedType);
    assert_eq!(
        vial_media::deidentify(&disguised, None, &[]),
        Err(MediaError::UnsupportedType)
    );
}

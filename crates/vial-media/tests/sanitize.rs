//! `sanitize` through the public API, on real JPEG and PNG bytes made at test time (HEIC's are in
//! `heic.rs`, behind the `heic` feature).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::time::{Duration, Instant};

use image::{GenericImageView, ImageFormat};
use vial_media::{Format, Limits, MediaError, THUMBNAIL_SIDE, sanitize, sniff};
use vial_testkit::images::*;

fn ok(bytes: &[u8]) -> vial_media::Sanitized {
    sanitize(bytes, &Limits::default()).unwrap()
}

fn err(bytes: &[u8]) -> MediaError {
    sanitize(bytes, &Limits::default()).unwrap_err()
}

#[test]
fn rotated_camera_jpeg_comes_back_upright_without_metadata() {
    // Stored 64 wide × 48 high with orientation 6: shown rotated 90° clockwise, so the stored
    // top-left corner (the red block) ends up top-right.
    let input = camera_jpeg(&marked(64, 48), Some(6));
    assert!(contains(&input, b"Exif\0\0") && contains(&input, MAKE.as_bytes()));
    assert!(contains(&input, b"GPS") && contains(&input, DATUM.as_bytes()));

    let out = ok(&input);
    assert_eq!(out.format, Format::Jpeg);
    assert!(out.reencoded);
    assert_eq!((out.width, out.height), (48, 64));
    assert_no_metadata(&out.bytes);
    assert_no_metadata(&out.thumbnail);

    let shown = decode_as(&out.bytes, ImageFormat::Jpeg).to_rgb8();
    assert_eq!(shown.dimensions(), (48, 64));
    assert!(is_red(*shown.get_pixel(40, 8)), "marker not at top-right");
    for (x, y) in [(8, 8), (8, 56), (40, 56)] {
        assert!(!is_red(*shown.get_pixel(x, y)), "marker also at ({x},{y})");
    }
}

#[test]
fn every_orientation_is_applied() {
    // Where the stored top-left block appears once the orientation is applied (64×48 stored).
    let cases = [
        (2, (64, 48), (56, 8)),
        (3, (64, 48), (56, 40)),
        (4, (64, 48), (8, 40)),
        (5, (48, 64), (8, 8)),
        (6, (48, 64), (40, 8)),
        (7, (48, 64), (40, 56)),
        (8, (48, 64), (8, 56)),
    ];
    for (orientation, size, red_at) in cases {
        let out = ok(&camera_jpeg(&marked(64, 48), Some(orientation)));
        assert!(out.reencoded);
        let shown = decode(&out.bytes).to_rgb8();
        assert_eq!(shown.dimensions(), size, "orientation {orientation}");
        assert!(
            is_red(*shown.get_pixel(red_at.0, red_at.1)),
            "orientation {orientation}: marker not at {red_at:?}"
        );
    }
}

#[test]
fn upright_jpeg_is_stripped_losslessly() {
    let plain = jpeg(&scene(96, 64, 20, 7), 90);
    let input = with_segments(
        &plain,
        &[
            (
                0xE1,
                &[b"Exif\0\0".as_slice(), &exif_tiff(Some(1))].concat(),
            ),
            (0xE1, XMP),
            (0xED, IPTC),
            (0xFE, COMMENT),
        ],
    );
    let out = ok(&input);
    assert!(!out.reencoded);
    assert_eq!(out.format, Format::Jpeg);
    assert_eq!((out.width, out.height), (96, 64));
    assert_no_metadata(&out.bytes);
    // Exactly the encoder's tables, frame header and scan, byte for byte (computed with
    // img-parts); the only segment the original had besides them was JFIF's APP0.
    assert_eq!(out.bytes, without_app0(&plain));
    assert_eq!(decode(&out.bytes), decode(&plain));
    // Sanitizing again changes nothing.
    assert_eq!(ok(&out.bytes).bytes, out.bytes);
}

#[test]
fn jpeg_without_exif_is_stripped_losslessly() {
    let plain = jpeg(&scene(40, 30, 5, 1), 80);
    let out = ok(&with_segments(&plain, &[(0xFE, COMMENT)]));
    assert!(!out.reencoded);
    assert_eq!(out.bytes, without_app0(&plain));
}

#[test]
fn icc_profile_is_kept_and_data_after_the_image_is_dropped() {
    let plain = jpeg(&scene(40, 30, 5, 2), 80);
    let mut icc = b"ICC_PROFILE\0\x01\x01".to_vec();
    icc.extend_from_slice(&[0u8; 16]);
    icc.extend_from_slice(b"RGB XYZ ");
    let mut input = with_segments(&plain, &[(0xE2, &icc), (0xE2, b"MPF\0II*\0")]);
    // A second image after EOI, as Multi-Picture and "motion photo" files carry, with its own
    // EXIF.
    input.extend_from_slice(&camera_jpeg(&marked(16, 16), Some(1)));

    let out = ok(&input);
    assert!(!out.reencoded);
    assert!(contains(&out.bytes, &icc));
    assert!(!contains(&out.bytes, b"MPF\0"));
    assert_no_metadata(&out.bytes);
    assert!(out.bytes.ends_with(&[0xFF, 0xD9]));
    assert_eq!(out.bytes.len(), without_app0(&plain).len() + icc.len() + 4);
}

#[test]
fn png_text_time_and_exif_chunks_are_dropped_losslessly() {
    let plain = png(&scene(50, 40, 10, 3));
    let input = with_chunks(
        &plain,
        &[
            (b"tEXt", b"Author\0Jane Roe"),
            (
                b"iTXt",
                b"XML:com.adobe.xmp\0\0\0\0\0http://ns.adobe.com/xap GPS",
            ),
            (b"zTXt", b"Comment\0\0x\x9c\x03\0\0\0\0\x01"),
            (b"tIME", &[7, 232, 5, 6, 7, 8, 9]),
            (b"eXIf", &exif_tiff(Some(1))),
            (b"pHYs", &[0, 0, 11, 19, 0, 0, 11, 19, 1]),
            (b"gAMA", &[0, 0, 0xB1, 0x8F]),
        ],
    );
    let out = ok(&input);
    assert_eq!(out.format, Format::Png);
    assert!(!out.reencoded);
    assert_no_metadata(&out.bytes);
    for kind in [b"tEXt", b"iTXt", b"zTXt", b"tIME", b"eXIf", b"pHYs"] {
        assert!(!contains(&out.bytes, kind), "{:?} kept", kind);
    }
    assert!(contains(&out.bytes, b"gAMA"));
    // The image data is untouched: the original plus a gAMA chunk.
    assert_eq!(
        out.bytes,
        with_chunks(&plain, &[(b"gAMA", &[0, 0, 0xB1, 0x8F])])
    );
    assert_eq!(decode(&out.bytes).to_rgb8(), decode(&plain).to_rgb8());
}

/// A PNG whose colour profile is a zlib bomb: a few kilobytes in the file, `inflated` bytes once
/// decompressed, with the header of an RGB profile so that an encoder would embed it.
fn png_with_profile_bomb(picture: &image::RgbImage, inflated: usize) -> Vec<u8> {
    use image::ImageEncoder;
    let mut profile = vec![0u8; inflated];
    profile[..4].copy_from_slice(&(inflated as u32).to_be_bytes());
    profile[16..20].copy_from_slice(b"RGB ");
    profile[36..40].copy_from_slice(b"acsp");
    let mut out = Vec::new();
    let mut encoder = image::codecs::png::PngEncoder::new(&mut out);
    encoder.set_icc_profile(profile).unwrap();
    encoder
        .write_image(
            picture.as_raw(),
            picture.width(),
            picture.height(),
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
    out
}

/// The types of a PNG's chunks, in order.
fn png_chunks(png: &[u8]) -> Vec<[u8; 4]> {
    let mut kinds = Vec::new();
    let mut at = 8;
    while at + 8 <= png.len() {
        let len = u32::from_be_bytes(png[at..at + 4].try_into().unwrap()) as usize;
        kinds.push(png[at + 4..at + 8].try_into().unwrap());
        at += 12 + len;
    }
    kinds
}

#[test]
fn png_colour_profile_bomb_is_dropped_not_inflated() {
    // 16 KiB uploaded, 8 MiB once inflated; viewers of the stored file or its thumbnail would
    // inflate it again, each time.
    let picture = scene(50, 40, 10, 3);
    let input = png_with_profile_bomb(&picture, 8 << 20);
    assert!(input.len() < 16 << 10, "{} bytes", input.len());
    assert!(png_chunks(&input).contains(b"iCCP"));

    for input in [
        input.clone(),
        with_chunks(&input, &[(b"eXIf", &exif_tiff(Some(6)))]),
    ] {
        let out = ok(&input);
        assert_eq!(out.format, Format::Png);
        let kinds = png_chunks(&out.bytes);
        assert!(!kinds.contains(b"iCCP"), "profile kept: {kinds:?}");
        assert!(!contains(&out.thumbnail, b"ICC_PROFILE"));
        assert!(
            out.thumbnail.len() < 64 << 10,
            "{} bytes",
            out.thumbnail.len()
        );
    }
    // Lossless: the same file less its profile.
    let out = ok(&input);
    assert!(!out.reencoded);
    assert_eq!(out.bytes, png(&picture));

    let copy = vial_media::deidentify(&input, None, &[]).unwrap();
    assert!(!contains(&copy, b"ICC_PROFILE"));
    assert!(copy.len() < 64 << 10, "{} bytes", copy.len());
}

#[test]
fn png_exif_orientation_is_applied() {
    let input = with_chunks(&png(&marked(64, 48)), &[(b"eXIf", &exif_tiff(Some(8)))]);
    let out = ok(&input);
    assert_eq!(out.format, Format::Png);
    assert!(out.reencoded);
    assert_no_metadata(&out.bytes);
    let shown = decode_as(&out.bytes, ImageFormat::Png).to_rgb8();
    // Orientation 8: rotated 90° counter-clockwise, the stored top-left goes bottom-left.
    assert_eq!(shown.dimensions(), (48, 64));
    assert_eq!(*shown.get_pixel(8, 56), RED);
    assert_eq!(*shown.get_pixel(8, 8), BLUE);
}

#[test]
fn truncated_jpeg_is_undecodable() {
    let whole = camera_jpeg(&scene(64, 64, 30, 4), Some(1));
    for len in [whole.len() - 1, whole.len() - 2, whole.len() * 2 / 3, 200] {
        assert!(
            matches!(err(&whole[..len]), MediaError::Undecodable(_)),
            "accepted a JPEG cut at {len}"
        );
    }
    // The rotation path refuses it too.
    let rotated = camera_jpeg(&scene(64, 64, 30, 4), Some(6));
    let cut = &rotated[..rotated.len() * 2 / 3];
    assert!(matches!(err(cut), MediaError::Undecodable(_)));
}

#[test]
fn truncated_png_is_undecodable() {
    let whole = png(&scene(64, 64, 30, 5));
    for len in [whole.len() - 1, whole.len() - 12, whole.len() / 2, 30] {
        assert!(
            matches!(err(&whole[..len]), MediaError::Undecodable(_)),
            "accepted a PNG cut at {len}"
        );
    }
}

#[test]
fn corrupt_png_data_is_undecodable() {
    // Structure intact (so the rewrite passes), but the compressed data is garbage with a
    // valid CRC: the decoder must refuse it.
    let mut input = png(&scene(8, 8, 0, 0))[..33].to_vec(); // signature + IHDR
    input.extend(png_chunk(b"IDAT", b"definitely not zlib data"));
    input.extend(png_chunk(b"IEND", b""));
    assert!(matches!(err(&input), MediaError::Undecodable(_)));
}

#[test]
fn non_images_are_unsupported() {
    assert_eq!(
        err(b"Hello, this is a text file.\n"),
        MediaError::UnsupportedType
    );
    assert_eq!(err(b""), MediaError::UnsupportedType);
    let mut state = 0x2545_F491u32;
    let random: Vec<u8> = (0..4096)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as u8
        })
        .collect();
    assert_eq!(sniff(&random), None);
    assert_eq!(err(&random), MediaError::UnsupportedType);
    // GIF, WebP, PDF and an MP4 are all refused by their magic bytes.
    for other in [
        &b"GIF89a\x01\0\x01\0"[..],
        b"RIFF\x10\0\0\0WEBPVP8 ",
        b"%PDF-1.7\n",
        b"\0\0\0\x18ftypisom\0\0\x02\0isomiso2",
    ] {
        assert_eq!(err(other), MediaError::UnsupportedType);
    }
}

/// The opening of a HEIC file as iPhones write it: the `ftyp` box (major brand `heic`, their
/// six compatible brands), then `meta` up to its `pict` handler.
const IPHONE_HEIC_HEAD: &[u8] = b"\0\0\0\x28ftypheic\0\0\0\0mif1MiHEMiPrmiafMiHBheic\
\0\0\0\x2dmeta\0\0\0\0\0\0\0\x21hdlr\0\0\0\0\0\0\0\0pict\0\0\0\0\0\0\0\0\0\0\0\0\0";

/// The opening of an AVIF file as libavif writes it: `ftyp` with the generic `mif1` and `miaf`
/// brands that HEIC files list too, then `meta`.
const AVIF_HEAD: &[u8] = b"\0\0\0\x20ftypavif\0\0\0\0avifmif1miafMA1B\
\0\0\0\x2dmeta\0\0\0\0\0\0\0\x21hdlr\0\0\0\0\0\0\0\0pict\0\0\0\0\0\0\0\0\0\0\0\0\0";

/// AVIF never reaches libheif's AV1 decoders, with or without the `heic` feature.
#[test]
fn avif_is_an_unsupported_type() {
    assert_eq!(sniff(AVIF_HEAD), None);
    assert_eq!(err(AVIF_HEAD), MediaError::UnsupportedType);
    assert_eq!(
        vial_media::deidentify(AVIF_HEAD, None, &[]),
        Err(MediaError::UnsupportedType)
    );
}

/// Without the `heic` feature a HEIC photo is recognized and refused with a message that says
/// what to upload instead, by both entry points; unknown types no longer promise HEIC.
#[cfg(not(feature = "heic"))]
#[test]
fn heic_is_refused_clearly_without_the_feature() {
    assert_eq!(sniff(IPHONE_HEIC_HEAD), Some(Format::Heic));
    let refused = err(IPHONE_HEIC_HEAD);
    assert_eq!(refused, MediaError::HeicUnsupported);
    assert_eq!(
        refused.to_string(),
        "HEIC photos need a server built with HEIC support; upload a JPEG or PNG"
    );
    assert_eq!(
        vial_media::deidentify(IPHONE_HEIC_HEAD, None, &[]),
        Err(MediaError::HeicUnsupported)
    );
    assert!(!MediaError::UnsupportedType.to_string().contains("HEIC"));
}

/// With the `heic` feature the same opening reaches libheif, which finds it truncated.
#[cfg(feature = "heic")]
#[test]
fn heic_head_alone_is_undecodable_with_the_feature() {
    assert!(matches!(err(IPHONE_HEIC_HEAD), MediaError::Undecodable(_)));
}

#[test]
fn right_magic_bogus_contents_is_undecodable() {
    // What a "photo.png" that is not really one looks like: the signature, then junk.
    let mut bogus = b"\x89PNG\r\n\x1a\n".to_vec();
    bogus.extend_from_slice(b"this is not a PNG at all, just some text pretending");
    assert!(matches!(err(&bogus), MediaError::Undecodable(_)));
    let mut bogus = vec![0xFF, 0xD8, 0xFF];
    bogus.extend_from_slice(b"neither is this a JPEG");
    assert!(matches!(err(&bogus), MediaError::Undecodable(_)));
}

#[test]
fn oversized_upload_is_too_large_before_anything_else() {
    let input = camera_jpeg(&scene(64, 64, 30, 6), Some(6));
    let limits = Limits {
        max_bytes: 1000,
        ..Limits::default()
    };
    assert_eq!(
        sanitize(&input, &limits),
        Err(MediaError::TooLarge {
            size: input.len(),
            limit: 1000
        })
    );
    // Size is checked before type.
    assert!(matches!(
        sanitize(&[b'x'; 1001], &limits),
        Err(MediaError::TooLarge { .. })
    ));
    assert_eq!(Limits::default().max_bytes, 25 * 1024 * 1024);
}

#[test]
fn decompression_bombs_are_refused_from_the_header() {
    let started = Instant::now();
    // A tiny PNG declaring 100000 × 100000 RGB pixels (30 GB decoded).
    let mut bomb = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = 100_000u32.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    bomb.extend(png_chunk(b"IHDR", &ihdr));
    bomb.extend(png_chunk(
        b"IDAT",
        &[0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    ));
    bomb.extend(png_chunk(b"IEND", b""));
    assert!(bomb.len() < 100);
    assert_eq!(
        err(&bomb),
        MediaError::TooManyPixels {
            width: 100_000,
            height: 100_000
        }
    );

    // Under the side limit but over the pixel limit: 10000 × 9000 = 90 MP.
    let mut wide = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = 10_000u32.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&9_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
    wide.extend(png_chunk(b"IHDR", &ihdr));
    assert!(matches!(err(&wide), MediaError::TooManyPixels { .. }));

    // A JPEG whose frame header claims 65535 × 65535, followed by nothing.
    let real = jpeg(&scene(16, 16, 0, 0), 50);
    let sof = real.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
    let mut jpeg_bomb = real[..sof + 5].to_vec();
    jpeg_bomb.extend_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF]);
    jpeg_bomb.extend_from_slice(&real[sof + 9..]);
    assert_eq!(
        err(&jpeg_bomb),
        MediaError::TooManyPixels {
            width: 65_535,
            height: 65_535
        }
    );
    // Refused from the header: nothing was allocated or decoded.
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[test]
fn smaller_limits_apply_to_dimensions() {
    let input = jpeg(&scene(200, 100, 5, 8), 80);
    let side = Limits {
        max_dimension: 199,
        ..Limits::default()
    };
    assert!(matches!(
        sanitize(&input, &side),
        Err(MediaError::TooManyPixels {
            width: 200,
            height: 100
        })
    ));
    let pixels = Limits {
        max_pixels: 19_999,
        ..Limits::default()
    };
    assert!(matches!(
        sanitize(&input, &pixels),
        Err(MediaError::TooManyPixels { .. })
    ));
    let exact = Limits {
        max_pixels: 20_000,
        max_dimension: 200,
        ..Limits::default()
    };
    assert!(sanitize(&input, &exact).is_ok());
}

#[test]
fn thumbnail_fits_320_and_decodes() {
    for (w, h) in [(1000, 600), (300, 900), (200, 150)] {
        let out = ok(&camera_jpeg(&scene(w, h, 10, 9), Some(1)));
        let thumb = decode_as(&out.thumbnail, ImageFormat::Jpeg);
        let (tw, th) = thumb.dimensions();
        assert!(tw.max(th) <= THUMBNAIL_SIDE, "{tw}x{th}");
        if w.max(h) > THUMBNAIL_SIDE {
            assert_eq!(tw.max(th), THUMBNAIL_SIDE);
        } else {
            assert_eq!((tw, th), (w, h));
        }
        // Same shape as the picture, to within rounding.
        let ratio = |a: u32, b: u32| f64::from(a) / f64::from(b);
        assert!((ratio(tw, th) - ratio(w, h)).abs() < 0.02);
        assert_no_metadata(&out.thumbnail);
    }
}

#[test]
fn debug_output_shows_no_pixels() {
    let out = ok(&jpeg(&scene(20, 20, 0, 0), 80));
    let shown = format!("{out:?}");
    assert!(shown.contains("Jpeg") && shown.contains("bytes"));
    assert!(!shown.contains("255"), "{shown}");
}

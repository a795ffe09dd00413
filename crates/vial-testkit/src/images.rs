//! Test images made at test time — no photo is ever committed. Metadata is built with
//! kamadak-exif's writer and inserted with img-parts, an implementation independent of the one
//! under test.

use std::io::Cursor;

use exif::experimental::Writer;
use exif::{Field, In, Rational, Tag, Value};
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::{DynamicImage, ImageEncoder, ImageFormat, Rgb, RgbImage};
use img_parts::Bytes;
use img_parts::jpeg::{Jpeg, JpegSegment};
use img_parts::png::{Png, PngChunk};

pub const MAKE: &str = "VialTestCam Corp";
pub const MODEL: &str = "VTC-9000 Pro";
pub const SERIAL: &str = "SN-4815162342";
pub const DATUM: &str = "WGS-84";
pub const XMP: &[u8] = b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta xmlns:x='adobe:ns:meta/'>\
<rdf:RDF><rdf:Description exif:GPSLatitude='40,26.767N' exif:GPSLongitude='79,58.933W'/>\
</rdf:RDF></x:xmpmeta>";
pub const COMMENT: &[u8] = b"Patient Jane Roe, DOB 1980-02-03";
pub const IPTC: &[u8] = b"Photoshop 3.0\08BIM\x04\x04\0\0\0\0\0\x0c\x1c\x02\x78\0\x08Jane Roe";

pub const RED: Rgb<u8> = Rgb([220, 30, 30]);
pub const BLUE: Rgb<u8> = Rgb([30, 60, 200]);

/// A picture as a camera sensor stores it: blue, with a red 16×16 block at the top-left corner.
pub fn marked(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(
        width,
        height,
        |x, y| {
            if x < 16 && y < 16 { RED } else { BLUE }
        },
    )
}

/// [`marked`] with some texture, so that its JPEG data is not trivially repetitive.
pub fn textured(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        if x < 16 && y < 16 {
            RED
        } else {
            Rgb([30, 60, ((x * 7 + y * 13) % 200) as u8])
        }
    })
}

/// Smooth gradients with some noise, deterministic.
pub fn scene(width: u32, height: u32, noise: u8, seed: u32) -> RgbImage {
    let mut state = seed | 1;
    RgbImage::from_fn(width, height, |x, y| {
        let mut n = || {
            // xorshift32
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            if noise == 0 {
                0
            } else {
                (state % (2 * u32::from(noise) + 1)) as i32 - i32::from(noise)
            }
        };
        let base = [
            (x * 255 / width.max(1)) as i32,
            (y * 255 / height.max(1)) as i32,
            ((x + y) * 127 / (width + height).max(1)) as i32 + 64,
        ];
        Rgb(base.map(|b| (b + n()).clamp(0, 255) as u8))
    })
}

pub fn jpeg(image: &RgbImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, quality)
        .write_image(
            image,
            image.width(),
            image.height(),
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
    out
}

pub fn png(image: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    PngEncoder::new(&mut out)
        .write_image(
            image,
            image.width(),
            image.height(),
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
    out
}

/// A TIFF-structured EXIF block with camera, serial, time and GPS fields and, if given, an
/// orientation.
pub fn exif_tiff(orientation: Option<u16>) -> Vec<u8> {
    let ascii = |tag, ifd_num, s: &str| Field {
        tag,
        ifd_num,
        value: Value::Ascii(vec![s.as_bytes().to_vec()]),
    };
    let r = |num, denom| Rational { num, denom };
    let mut fields = vec![
        ascii(Tag::Make, In::PRIMARY, MAKE),
        ascii(Tag::Model, In::PRIMARY, MODEL),
        ascii(Tag::BodySerialNumber, In::PRIMARY, SERIAL),
        ascii(Tag::DateTimeOriginal, In::PRIMARY, "2024:05:06 07:08:09"),
        ascii(Tag::GPSLatitudeRef, In::PRIMARY, "N"),
        Field {
            tag: Tag::GPSLatitude,
            ifd_num: In::PRIMARY,
            value: Value::Rational(vec![r(40, 1), r(26, 1), r(46, 1)]),
        },
        ascii(Tag::GPSLongitudeRef, In::PRIMARY, "W"),
        Field {
            tag: Tag::GPSLongitude,
            ifd_num: In::PRIMARY,
            value: Value::Rational(vec![r(79, 1), r(58, 1), r(56, 1)]),
        },
        ascii(Tag::GPSMapDatum, In::PRIMARY, DATUM),
    ];
    if let Some(o) = orientation {
        fields.push(Field {
            tag: Tag::Orientation,
            ifd_num: In::PRIMARY,
            value: Value::Short(vec![o]),
        });
    }
    let mut writer = Writer::new();
    for f in &fields {
        writer.push_field(f);
    }
    let mut out = Cursor::new(Vec::new());
    writer.write(&mut out, false).unwrap();
    out.into_inner()
}

/// The same JPEG with `segments` (marker, payload) inserted right after SOI.
pub fn with_segments(jpeg: &[u8], segments: &[(u8, &[u8])]) -> Vec<u8> {
    let mut parsed = Jpeg::from_bytes(Bytes::copy_from_slice(jpeg)).unwrap();
    for (i, (marker, payload)) in segments.iter().enumerate() {
        parsed.segments_mut().insert(
            i,
            JpegSegment::new_with_contents(*marker, Bytes::copy_from_slice(payload)),
        );
    }
    let mut out = Vec::new();
    parsed.encoder().write_to(&mut out).unwrap();
    out
}

/// A phone photo: a quality-90 JPEG with one EXIF APP1 segment (camera, serial, time, GPS,
/// `orientation`) right after SOI.
pub fn exif_jpeg(image: &RgbImage, orientation: u16) -> Vec<u8> {
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend(exif_tiff(Some(orientation)));
    with_segments(&jpeg(image, 90), &[(0xE1, &app1)])
}

/// A JPEG carrying every kind of metadata: EXIF (camera, serial, time, GPS, `orientation`),
/// XMP with GPS, IPTC, and a comment naming the patient.
pub fn camera_jpeg(image: &RgbImage, orientation: Option<u16>) -> Vec<u8> {
    camera_jpeg_quality(image, orientation, 90)
}

/// [`camera_jpeg`] at a chosen JPEG quality.
pub fn camera_jpeg_quality(image: &RgbImage, orientation: Option<u16>, quality: u8) -> Vec<u8> {
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend(exif_tiff(orientation));
    with_segments(
        &jpeg(image, quality),
        &[(0xE1, &app1), (0xE1, XMP), (0xED, IPTC), (0xFE, COMMENT)],
    )
}

/// The JPEG as the image crate wrote it minus its JFIF APP0 segment: what a lossless strip of
/// [`camera_jpeg`] must produce, computed with img-parts.
pub fn without_app0(jpeg: &[u8]) -> Vec<u8> {
    let mut parsed = Jpeg::from_bytes(Bytes::copy_from_slice(jpeg)).unwrap();
    parsed.remove_segments_by_marker(0xE0);
    let mut out = Vec::new();
    parsed.encoder().write_to(&mut out).unwrap();
    out
}

/// The same PNG with `chunks` (type, data) inserted right after IHDR.
pub fn with_chunks(png: &[u8], chunks: &[(&[u8; 4], &[u8])]) -> Vec<u8> {
    let mut parsed = Png::from_bytes(Bytes::copy_from_slice(png)).unwrap();
    for (i, (kind, data)) in chunks.iter().enumerate() {
        parsed
            .chunks_mut()
            .insert(1 + i, PngChunk::new(**kind, Bytes::copy_from_slice(data)));
    }
    let mut out = Vec::new();
    parsed.encoder().write_to(&mut out).unwrap();
    out
}

/// A chunk's raw bytes (length, type, data, CRC) for hand-built PNGs.
pub fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    PngChunk::new(*kind, Bytes::copy_from_slice(data))
        .encoder()
        .write_to(&mut out)
        .unwrap();
    out
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Every place a metadata value could hide, absent.
pub fn assert_no_metadata(bytes: &[u8]) {
    for needle in [
        &b"Exif\0\0"[..],
        MAKE.as_bytes(),
        MODEL.as_bytes(),
        SERIAL.as_bytes(),
        DATUM.as_bytes(),
        b"2024:05:06",
        b"GPS",
        b"http://ns.adobe.com/xap",
        b"Photoshop 3.0",
        b"Jane Roe",
    ] {
        assert!(
            !contains(bytes, needle),
            "output still contains {:?}",
            String::from_utf8_lossy(needle)
        );
    }
}

pub fn decode(bytes: &[u8]) -> DynamicImage {
    image::load_from_memory(bytes).unwrap()
}

pub fn decode_as(bytes: &[u8], format: ImageFormat) -> DynamicImage {
    image::load_from_memory_with_format(bytes, format).unwrap()
}

/// Whether a pixel is clearly the red marker (JPEG shifts colours a little).
pub fn is_red(p: Rgb<u8>) -> bool {
    p[0] > 150 && p[1] < 100 && p[2] < 100
}

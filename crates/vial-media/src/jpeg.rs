//! JPEG: reading the frame header, rewriting the file without its metadata, and decoding.
//!
//! The rewrite walks the marker structure over the caller's `&[u8]` and copies only what is
//! needed to render the picture: quantization and Huffman tables, the frame and scan headers,
//! restart settings, the entropy-coded scans byte for byte, and the colour information (ICC
//! profile chunks in APP2, Adobe's colour-transform flag in APP14; unlike PNG's, a JPEG profile
//! is stored uncompressed, so it costs no more than its share of the upload). Everything else
//! is dropped:
//! APP0 (JFIF/JFXX thumbnails), APP1 (EXIF with GPS, camera make, model and serial numbers,
//! timestamps and MakerNotes; XMP), APP13 (IPTC/Photoshop), every other APPn, comments, markers
//! between scans that are not tables, and anything after the end-of-image marker (MPF secondary
//! images, vendor trailers, "motion photo" videos). A file without its end-of-image marker is
//! truncated and refused. Decoding runs zune-jpeg in strict mode, so corrupt entropy data is an
//! error rather than a grey fill; one case stays undetectable: scan data cut short and then
//! given an end-of-image marker (by a repair tool, say) decodes with the missing blocks flat,
//! as browsers show it.
//!
//! This module must never re-compress: the scans it returns are the ones it was given.

use image::{DynamicImage, GrayImage, RgbImage};
use zune_jpeg::zune_core::bytestream::ZCursor;
use zune_jpeg::zune_core::colorspace::ColorSpace;
use zune_jpeg::zune_core::options::DecoderOptions;

use crate::{Limits, MediaError, decode::Decoded};

const TRUNCATED: MediaError = MediaError::Undecodable("truncated JPEG");
const CORRUPT: MediaError = MediaError::Undecodable("corrupt JPEG marker structure");

const SOI: u8 = 0xD8;
const EOI: u8 = 0xD9;
const SOS: u8 = 0xDA;
const APP1: u8 = 0xE1;
const APP2: u8 = 0xE2;
const APP14: u8 = 0xEE;

/// What the headers before the first scan say.
#[derive(Debug)]
pub(crate) struct Header<'a> {
    pub width: u32,
    pub height: u32,
    /// The TIFF structure of the first EXIF APP1 segment (after `Exif\0\0`), if any.
    pub exif: Option<&'a [u8]>,
}

/// Reads the frame dimensions and finds the EXIF block, looking no further than the first scan
/// header. Allocates nothing.
pub(crate) fn header(bytes: &[u8]) -> Result<Header<'_>, MediaError> {
    let mut walker = Walker::new(bytes)?;
    let mut exif = None;
    let mut size = None;
    while let Some(part) = walker.next_part()? {
        let Part::Segment {
            marker, payload, ..
        } = part
        else {
            continue;
        };
        if marker == APP1 && exif.is_none() {
            exif = payload.strip_prefix(b"Exif\0\0");
        } else if is_sof(marker) && size.is_none() {
            // Sample precision (1), height (2), width (2), component count (1)…
            let dims = payload.get(1..5).ok_or(CORRUPT)?;
            let height = u32::from(u16::from_be_bytes([dims[0], dims[1]]));
            let width = u32::from(u16::from_be_bytes([dims[2], dims[3]]));
            size = Some((width, height));
        } else if marker == SOS {
            break;
        }
    }
    let (width, height) = size.ok_or(MediaError::Undecodable("JPEG has no frame header"))?;
    Ok(Header {
        width,
        height,
        exif,
    })
}

/// Rewrites `bytes` without metadata (see the module docs), or refuses a truncated or
/// malformed file. The entropy-coded data is copied unchanged.
pub(crate) fn strip(bytes: &[u8]) -> Result<Vec<u8>, MediaError> {
    let mut out = Vec::with_capacity(bytes.len());
    walk(bytes, |kept| out.extend_from_slice(kept))?;
    Ok(out)
}

/// The structural checks of [`strip`] without its output.
pub(crate) fn check(bytes: &[u8]) -> Result<(), MediaError> {
    walk(bytes, |_| ())
}

/// Walks the whole file, handing every piece that survives the rewrite to `emit`, in order.
fn walk(bytes: &[u8], mut emit: impl FnMut(&[u8])) -> Result<(), MediaError> {
    let mut walker = Walker::new(bytes)?;
    emit(&[0xFF, SOI]);
    let mut scans = 0usize;
    while let Some(part) = walker.next_part()? {
        match part {
            Part::Segment {
                marker,
                raw,
                payload,
            } => {
                if marker == SOS {
                    scans += 1;
                }
                if keep(marker, payload) {
                    emit(raw);
                }
            }
            Part::Entropy(raw) => emit(raw),
        }
    }
    if scans == 0 {
        return Err(MediaError::Undecodable("JPEG has no image data"));
    }
    emit(&[0xFF, EOI]);
    Ok(())
}

/// Decodes to 8-bit RGB (or grayscale for a one-channel JPEG) in strict mode: missing or corrupt
/// entropy data is an error, not a grey fill. Works on the caller's slice, without copying it.
pub(crate) fn decode(bytes: &[u8], limits: &Limits) -> Result<Decoded, MediaError> {
    let side = limits.max_dimension as usize;
    let options = DecoderOptions::default()
        .set_strict_mode(true)
        .set_max_width(side)
        .set_max_height(side);
    let mut decoder = zune_jpeg::JpegDecoder::new_with_options(ZCursor::new(bytes), options);
    decoder
        .decode_headers()
        .map_err(|_| MediaError::Undecodable("corrupt JPEG header"))?;
    let (width, height) = decoder
        .dimensions()
        .ok_or(MediaError::Undecodable("corrupt JPEG header"))?;
    let (width, height) = (dimension(width)?, dimension(height)?);
    limits.check_dimensions(width, height)?;
    let gray = decoder.input_colorspace() == Some(ColorSpace::Luma);
    let out = if gray {
        ColorSpace::Luma
    } else {
        ColorSpace::RGB
    };
    decoder.set_options(decoder.options().jpeg_set_out_colorspace(out));
    let icc = decoder.icc_profile();
    let pixels = decoder
        .decode()
        .map_err(|_| MediaError::Undecodable("corrupt or truncated JPEG data"))?;
    let image = if gray {
        GrayImage::from_raw(width, height, pixels).map(DynamicImage::ImageLuma8)
    } else {
        RgbImage::from_raw(width, height, pixels).map(DynamicImage::ImageRgb8)
    }
    .ok_or(MediaError::Undecodable("JPEG decoded to the wrong size"))?;
    Ok(Decoded { image, icc })
}

fn dimension(value: usize) -> Result<u32, MediaError> {
    u32::try_from(value).map_err(|_| MediaError::Undecodable("corrupt JPEG header"))
}

/// Whether a marker segment survives the rewrite: a whitelist, so that nothing unknown passes.
fn keep(marker: u8, payload: &[u8]) -> bool {
    match marker {
        // Frame headers (every SOFn), Huffman and arithmetic-coding tables, quantization tables,
        // restart interval, scan headers, number of lines.
        m if is_sof(m) => true,
        0xC4 | 0xCC | 0xDB | 0xDD | SOS | 0xDC => true,
        APP2 => payload.starts_with(b"ICC_PROFILE\0"),
        // 12 bytes: "Adobe", version, two flag words and the colour transform that says whether
        // the components are RGB, YCbCr or YCCK. Decoders need it; it identifies no one.
        APP14 => payload.len() == 12 && payload.starts_with(b"Adobe"),
        _ => false,
    }
}

/// Start-of-frame markers: C0–CF except DHT (C4), JPG (C8) and DAC (CC).
fn is_sof(marker: u8) -> bool {
    matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC)
}

/// One piece of a JPEG file, borrowed from it.
enum Part<'a> {
    /// A marker segment with a length: `raw` is the whole segment from its `FF`, `payload`
    /// what follows the length field. Standalone markers (TEM, RSTn) outside a scan come as a
    /// segment with an empty payload.
    Segment {
        marker: u8,
        raw: &'a [u8],
        payload: &'a [u8],
    },
    /// Entropy-coded data after a scan header, restart markers included, up to the next marker.
    Entropy(&'a [u8]),
}

/// Walks the marker structure from SOI to EOI.
struct Walker<'a> {
    bytes: &'a [u8],
    pos: usize,
    in_scan: bool,
    done: bool,
}

impl<'a> Walker<'a> {
    fn new(bytes: &'a [u8]) -> Result<Self, MediaError> {
        if !bytes.starts_with(&[0xFF, SOI]) {
            return Err(MediaError::UnsupportedType);
        }
        Ok(Walker {
            bytes,
            pos: 2,
            in_scan: false,
            done: false,
        })
    }

    /// The next part, `None` after EOI, or an error for a truncated or malformed file.
    fn next_part(&mut self) -> Result<Option<Part<'a>>, MediaError> {
        if self.done {
            return Ok(None);
        }
        let bytes = self.bytes;
        if self.in_scan {
            self.in_scan = false;
            let start = self.pos;
            self.pos = next_marker(bytes, start)?;
            return Ok(Some(Part::Entropy(&bytes[start..self.pos])));
        }
        let start = self.pos;
        if *bytes.get(start).ok_or(TRUNCATED)? != 0xFF {
            return Err(CORRUPT);
        }
        // Any number of 0xFF fill bytes may precede a marker.
        let mut at = start + 1;
        while bytes.get(at) == Some(&0xFF) {
            at += 1;
        }
        let marker = *bytes.get(at).ok_or(TRUNCATED)?;
        at += 1;
        match marker {
            EOI => {
                self.done = true;
                Ok(None)
            }
            0x00 | SOI => Err(CORRUPT),
            0x01 | 0xD0..=0xD7 => {
                self.pos = at;
                Ok(Some(Part::Segment {
                    marker,
                    raw: &bytes[start..at],
                    payload: &[],
                }))
            }
            _ => {
                let len = bytes.get(at..at + 2).ok_or(TRUNCATED)?;
                let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
                if len < 2 {
                    return Err(CORRUPT);
                }
                let end = at + len;
                if end > bytes.len() {
                    return Err(TRUNCATED);
                }
                self.pos = end;
                self.in_scan = marker == SOS;
                Ok(Some(Part::Segment {
                    marker,
                    raw: &bytes[start..end],
                    payload: &bytes[at + 2..end],
                }))
            }
        }
    }
}

/// The offset of the marker that ends the entropy-coded data starting at `from`. Inside the
/// data `FF 00` is an escaped 0xFF and `FF D0`–`FF D7` are restart markers; both belong to it.
fn next_marker(bytes: &[u8], from: usize) -> Result<usize, MediaError> {
    let mut at = from;
    loop {
        let ff = bytes[at..]
            .iter()
            .position(|&b| b == 0xFF)
            .ok_or(TRUNCATED)?;
        at += ff;
        match *bytes.get(at + 1).ok_or(TRUNCATED)? {
            0x00 | 0xD0..=0xD7 => at += 2,
            // A fill byte: the marker starts at a later 0xFF.
            0xFF => at += 1,
            _ => return Ok(at),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // tests fail loudly by design

    use super::*;

    fn segment(marker: u8, payload: &[u8]) -> Vec<u8> {
        let mut s = vec![0xFF, marker];
        s.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
        s.extend_from_slice(payload);
        s
    }

    /// Not a decodable picture, just the marker structure of one.
    fn skeleton(trailer: &[u8]) -> Vec<u8> {
        let mut f = vec![0xFF, SOI];
        f.extend(segment(0xE0, b"JFIF\0\x01\x02\0\0\x01\0\x01\0\0"));
        f.extend(segment(APP1, b"Exif\0\0MM\0*\0\0\0\x08"));
        f.extend(segment(APP2, b"ICC_PROFILE\0\x01\x01prof"));
        f.extend(segment(APP2, b"MPF\0junk"));
        f.extend(segment(0xFE, b"a comment"));
        f.extend(segment(0xDB, &[0; 65]));
        f.extend(segment(0xC0, &[8, 0, 2, 0, 3, 1, 1, 0x11, 0]));
        f.extend(segment(SOS, &[1, 1, 0, 0, 63, 0]));
        f.extend_from_slice(&[0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56]);
        f.extend(segment(0xFE, b"between scans"));
        f.extend(segment(SOS, &[1, 1, 0, 0, 63, 0]));
        f.extend_from_slice(&[0x78, 0xFF, 0xFF, 0xD9]);
        f.extend_from_slice(trailer);
        f
    }

    #[test]
    fn header_reads_dimensions_and_exif() {
        let f = skeleton(b"");
        let h = header(&f).unwrap();
        assert_eq!((h.width, h.height), (3, 2));
        assert_eq!(h.exif, Some(&b"MM\0*\0\0\0\x08"[..]));
    }

    #[test]
    fn strip_keeps_tables_scans_and_colour_only() {
        let f = skeleton(b"\xFF\xD8\xFF\xE1Exif\0\0 GPS of a second image");
        let out = strip(&f).unwrap();
        let mut expected = vec![0xFF, SOI];
        expected.extend(segment(APP2, b"ICC_PROFILE\0\x01\x01prof"));
        expected.extend(segment(0xDB, &[0; 65]));
        expected.extend(segment(0xC0, &[8, 0, 2, 0, 3, 1, 1, 0x11, 0]));
        expected.extend(segment(SOS, &[1, 1, 0, 0, 63, 0]));
        expected.extend_from_slice(&[0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56]);
        expected.extend(segment(SOS, &[1, 1, 0, 0, 63, 0]));
        expected.extend_from_slice(&[0x78, 0xFF, 0xFF, 0xD9]);
        assert_eq!(out, expected);
    }

    #[test]
    fn truncation_anywhere_is_refused() {
        let f = skeleton(b"");
        for len in 0..f.len() {
            assert!(strip(&f[..len]).is_err(), "accepted a file cut at {len}");
        }
    }

    #[test]
    fn garbage_between_segments_is_refused() {
        let mut f = skeleton(b"");
        f.insert(2, 0x42);
        assert_eq!(strip(&f), Err(CORRUPT));
    }
}

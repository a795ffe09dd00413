//! PNG: reading the header, rewriting the file without its metadata, and decoding.
//!
//! The rewrite keeps only the chunks needed to render the picture — `IHDR`, `PLTE`, `tRNS`,
//! `IDAT`, `IEND` and the fixed-size colour chunks `sRGB`, `gAMA`, `cHRM` — copied byte for
//! byte, CRCs included. Text (`tEXt`, `zTXt`, `iTXt`), EXIF (`eXIf`), timestamps (`tIME`), the
//! ICC colour profile (`iCCP`) and every other ancillary chunk are dropped, as is anything after
//! `IEND`. An unknown *critical* chunk (upper-case first letter) cannot be dropped without
//! changing the picture, so it is refused.
//!
//! `iCCP` is dropped rather than inflated under a cap: its profile is zlib-compressed, so a few
//! hundred kilobytes can claim a gigabyte, and every reader (the decoder here, the thumbnail
//! encoder, each viewer's browser) would pay that again. Only `IDAT` is ever inflated, and its
//! size follows from the header's dimensions, which are checked first. Without a profile a viewer
//! renders the picture as sRGB, or by `gAMA`/`cHRM` when present.
//!
//! This module must never re-compress: the `IDAT` data it returns is the data it was given.

use std::io::Cursor;

use image::DynamicImage;
use image::codecs::png::PngDecoder;

use crate::format::PNG_SIGNATURE;
use crate::{Limits, MediaError, decode::Decoded};

const TRUNCATED: MediaError = MediaError::Undecodable("truncated PNG");

/// The chunks that survive the rewrite.
const KEPT: [&[u8; 4]; 8] = [
    b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND", b"sRGB", b"gAMA", b"cHRM",
];

/// Reads width and height from the `IHDR` chunk, which must come first. Looks at 24 bytes.
pub(crate) fn dimensions(bytes: &[u8]) -> Result<(u32, u32), MediaError> {
    // signature (8) ‖ length (4) ‖ "IHDR" ‖ width (4) ‖ height (4) ‖ …
    let ihdr = bytes.get(8..24).ok_or(TRUNCATED)?;
    if ihdr[0..4] != [0, 0, 0, 13] || &ihdr[4..8] != b"IHDR" {
        return Err(MediaError::Undecodable(
            "PNG does not start with its header",
        ));
    }
    let width = u32::from_be_bytes([ihdr[8], ihdr[9], ihdr[10], ihdr[11]]);
    let height = u32::from_be_bytes([ihdr[12], ihdr[13], ihdr[14], ihdr[15]]);
    Ok((width, height))
}

/// What [`strip`] returns: the rewritten file and the EXIF block it dropped (read only for
/// its orientation).
#[derive(Debug)]
pub(crate) struct Stripped<'a> {
    pub bytes: Vec<u8>,
    pub exif: Option<&'a [u8]>,
}

/// Rewrites `bytes` without metadata (see the module docs), or refuses a truncated or
/// malformed file.
pub(crate) fn strip(bytes: &[u8]) -> Result<Stripped<'_>, MediaError> {
    let mut out = Vec::with_capacity(bytes.len());
    let exif = walk(bytes, |kept| out.extend_from_slice(kept))?;
    Ok(Stripped { bytes: out, exif })
}

/// Walks every chunk up to `IEND`, handing those that survive the rewrite to `emit`, in order.
fn walk(bytes: &[u8], mut emit: impl FnMut(&[u8])) -> Result<Option<&[u8]>, MediaError> {
    if !bytes.starts_with(&PNG_SIGNATURE) {
        return Err(MediaError::UnsupportedType);
    }
    emit(&PNG_SIGNATURE);
    let mut exif = None;
    let mut at = PNG_SIGNATURE.len();
    let mut idat = false;
    loop {
        // length (4) ‖ type (4) ‖ data (length) ‖ CRC (4)
        let head = bytes.get(at..at + 8).ok_or(TRUNCATED)?;
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let kind: [u8; 4] = [head[4], head[5], head[6], head[7]];
        let end = at
            .checked_add(12)
            .and_then(|n| n.checked_add(len))
            .ok_or(TRUNCATED)?;
        let raw = bytes.get(at..end).ok_or(TRUNCATED)?;
        let data = &raw[8..8 + len];
        if at == PNG_SIGNATURE.len() && &kind != b"IHDR" {
            return Err(MediaError::Undecodable(
                "PNG does not start with its header",
            ));
        }
        if KEPT.contains(&&kind) {
            emit(raw);
        } else if kind[0].is_ascii_uppercase() {
            return Err(MediaError::Undecodable("unsupported critical PNG chunk"));
        } else if &kind == b"eXIf" && exif.is_none() {
            exif = Some(data);
        }
        idat |= &kind == b"IDAT";
        at = end;
        if &kind == b"IEND" {
            break;
        }
    }
    if !idat {
        return Err(MediaError::Undecodable("PNG has no image data"));
    }
    Ok(exif)
}

/// Decodes a rewritten file — never the upload itself, whose compressed metadata chunks the
/// decoder would inflate — with the `image` crate's limits set as a second guard behind the
/// header check; CRCs are verified and a short `IDAT` stream is an error.
pub(crate) fn decode(stripped: &Stripped<'_>, limits: &Limits) -> Result<Decoded, MediaError> {
    let decoder = PngDecoder::with_limits(Cursor::new(&stripped.bytes), limits.decoder_limits())
        .map_err(|e| crate::decode::undecodable(&e, "corrupt PNG header"))?;
    let image = DynamicImage::from_decoder(decoder)
        .map_err(|e| crate::decode::undecodable(&e, "corrupt or truncated PNG data"))?;
    Ok(Decoded { image, icc: None })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // tests fail loudly by design

    use super::*;

    fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        // The CRC is not checked by the rewrite, only by the decoder.
        let mut c = (data.len() as u32).to_be_bytes().to_vec();
        c.extend_from_slice(kind);
        c.extend_from_slice(data);
        c.extend_from_slice(&[0xC0, 0xFF, 0xEE, 0x00]);
        c
    }

    fn file(chunks: &[Vec<u8>]) -> Vec<u8> {
        let mut f = PNG_SIGNATURE.to_vec();
        for c in chunks {
            f.extend_from_slice(c);
        }
        f
    }

    fn ihdr() -> Vec<u8> {
        chunk(b"IHDR", &[0, 0, 0, 3, 0, 0, 0, 2, 8, 2, 0, 0, 0])
    }

    #[test]
    fn header_dimensions() {
        assert_eq!(dimensions(&file(&[ihdr()])), Ok((3, 2)));
        assert!(dimensions(&file(&[chunk(b"tEXt", b"Author\0x")])).is_err());
    }

    #[test]
    fn strip_keeps_rendering_chunks_only() {
        let kept = [
            ihdr(),
            chunk(b"gAMA", &[0, 0, 0xB1, 0x8F]),
            chunk(b"IDAT", b"pixels"),
            chunk(b"IEND", b""),
        ];
        let f = file(&[
            kept[0].clone(),
            chunk(b"tEXt", b"Author\0Dr Who"),
            chunk(b"eXIf", b"MM\0*"),
            kept[1].clone(),
            chunk(b"tIME", &[7; 7]),
            kept[2].clone(),
            chunk(b"zTXt", b"x"),
            chunk(b"iCCP", b"bomb\0\0\x78\x9c"),
            kept[3].clone(),
            b"trailing bytes".to_vec(),
        ]);
        let out = strip(&f).unwrap();
        assert_eq!(out.bytes, file(&kept));
        assert_eq!(out.exif, Some(&b"MM\0*"[..]));
    }

    #[test]
    fn malformed_structure_is_refused() {
        let whole = file(&[ihdr(), chunk(b"IDAT", b"pixels"), chunk(b"IEND", b"")]);
        for len in 0..whole.len() {
            assert!(
                strip(&whole[..len]).is_err(),
                "accepted a file cut at {len}"
            );
        }
        let no_idat = file(&[ihdr(), chunk(b"IEND", b"")]);
        assert!(strip(&no_idat).is_err());
        let critical = file(&[ihdr(), chunk(b"ABCD", b""), chunk(b"IEND", b"")]);
        assert!(strip(&critical).is_err());
        let huge_length = file(&[ihdr(), vec![0xFF, 0xFF, 0xFF, 0xFF, b'I', b'D', b'A', b'T']]);
        assert!(strip(&huge_length).is_err());
    }
}

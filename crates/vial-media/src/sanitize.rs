//! Turns an uploaded clinical photo into what Vial stores: the picture without any metadata,
//! upright, plus a small JPEG thumbnail.
//!
//! Fidelity comes first. A JPEG or PNG that is already upright (EXIF orientation 1 or absent)
//! is rewritten *losslessly*: only metadata segments or chunks are removed, the compressed image
//! data is byte-identical, so no generation loss ever touches a clinical record. A picture that
//! must be rotated or flipped is decoded, turned, and re-encoded (JPEG at quality 92, PNG
//! losslessly). HEIC is always decoded and stored as a JPEG at quality 92.
//!
//! Either way the full decode runs, on the exact bytes that will be stored in the lossless case,
//! so Vial never stores a picture it could not show.

use std::fmt;

use image::metadata::Orientation;

use crate::decode::{self, Decoded, guard};
use crate::{Format, Limits, MediaError, encode, jpeg, orientation, png};

/// A photo ready to be encrypted and stored. Carries PHI (the picture), so its `Debug` shows
/// only the format, dimensions and sizes.
#[derive(Clone, PartialEq, Eq)]
pub struct Sanitized {
    /// The stored format: JPEG or PNG, never HEIC.
    pub format: Format,
    /// The image without metadata.
    pub bytes: Vec<u8>,
    /// Upright width, in pixels.
    pub width: u32,
    /// Upright height, in pixels.
    pub height: u32,
    /// A JPEG no larger than [`THUMBNAIL_SIDE`](crate::THUMBNAIL_SIDE) on its longest side.
    pub thumbnail: Vec<u8>,
    /// Whether the pixels were decoded and compressed again (orientation applied, or HEIC);
    /// `false` means the compressed image data is the uploader's, byte for byte.
    pub reencoded: bool,
}

impl fmt::Debug for Sanitized {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sanitized")
            .field("format", &self.format)
            .field("bytes", &format_args!("<{} bytes>", self.bytes.len()))
            .field("width", &self.width)
            .field("height", &self.height)
            .field(
                "thumbnail",
                &format_args!("<{} bytes>", self.thumbnail.len()),
            )
            .field("reencoded", &self.reencoded)
            .finish()
    }
}

/// Validates an upload and returns it without metadata, upright, with a thumbnail.
///
/// Checks, in order and before any full decode: size (`TooLarge`), magic bytes
/// (`UnsupportedType`), the dimensions declared in the header (`TooManyPixels`), the container
/// structure (`Undecodable` for truncation); then a full decode under the decoders' limits
/// (`Undecodable`).
///
/// Memory: the decoded picture dominates — 3 bytes a pixel, so a 12-megapixel photo takes about
/// 36 MB on top of the input and the output (about its size again). Rotating by 90° or 270°
/// briefly holds the picture twice; HEIC likewise holds libheif's buffer and the copy. Measured
/// for an 8 MB 12 MP JPEG (`examples/peak.rs`): about 44 MB above the input when upright, 71 MB
/// with orientation 6. The worst case the default limits allow is a 50-megapixel 16-bit RGBA PNG
/// at 400 MB, so callers should bound how many sanitizations run at once.
pub fn sanitize(bytes: &[u8], limits: &Limits) -> Result<Sanitized, MediaError> {
    match decode::admit(bytes, limits)? {
        Format::Jpeg => sanitize_jpeg(bytes, limits),
        Format::Png => sanitize_png(bytes, limits),
        Format::Heic => {
            let decoded = decode::heic(bytes, limits)?;
            reencoded(Format::Heic, decoded)
        }
    }
}

fn sanitize_jpeg(bytes: &[u8], limits: &Limits) -> Result<Sanitized, MediaError> {
    let header = jpeg::header(bytes)?;
    limits.check_dimensions(header.width, header.height)?;
    match orientation::from_exif(header.exif) {
        Orientation::NoTransforms => {
            let stripped = jpeg::strip(bytes)?;
            let decoded = guard(|| jpeg::decode(&stripped, limits))?;
            lossless(Format::Jpeg, stripped, &decoded)
        }
        turn => {
            jpeg::check(bytes)?;
            let mut decoded = guard(|| jpeg::decode(bytes, limits))?;
            decoded.image.apply_orientation(turn);
            reencoded(Format::Jpeg, decoded)
        }
    }
}

fn sanitize_png(bytes: &[u8], limits: &Limits) -> Result<Sanitized, MediaError> {
    let (width, height) = png::dimensions(bytes)?;
    limits.check_dimensions(width, height)?;
    let stripped = png::strip(bytes)?;
    match orientation::from_exif(stripped.exif) {
        Orientation::NoTransforms => {
            let decoded = guard(|| png::decode(&stripped, limits))?;
            lossless(Format::Png, stripped.bytes, &decoded)
        }
        turn => {
            let mut decoded = guard(|| png::decode(&stripped, limits))?;
            drop(stripped);
            decoded.image.apply_orientation(turn);
            reencoded(Format::Png, decoded)
        }
    }
}

/// The stripped original is stored; the decode only proves it renders and feeds the thumbnail.
fn lossless(format: Format, bytes: Vec<u8>, decoded: &Decoded) -> Result<Sanitized, MediaError> {
    let image = &decoded.image;
    Ok(Sanitized {
        format,
        thumbnail: encode::thumbnail(image, decoded.icc.as_deref())?,
        width: image.width(),
        height: image.height(),
        bytes,
        reencoded: false,
    })
}

/// Upright pixels are compressed again: a PNG as lossless PNG, anything else as JPEG at
/// [`encode::PHOTO_QUALITY`].
fn reencoded(format: Format, decoded: Decoded) -> Result<Sanitized, MediaError> {
    let Decoded { image, icc } = decoded;
    let icc = icc.as_deref();
    let thumbnail = encode::thumbnail(&image, icc)?;
    let (format, bytes) = match format {
        Format::Png => (Format::Png, encode::png(&image, icc)?),
        Format::Jpeg | Format::Heic => (
            Format::Jpeg,
            encode::jpeg(&image, encode::PHOTO_QUALITY, icc)?,
        ),
    };
    Ok(Sanitized {
        format,
        width: image.width(),
        height: image.height(),
        bytes,
        thumbnail,
        reencoded: true,
    })
}

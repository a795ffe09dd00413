//! From untrusted bytes to upright pixels, with every check in its order: byte size, magic bytes,
//! header dimensions, container structure, then the full decode under the decoders' own limits.
//!
//! A decoder that panics on hostile input is contained here and reported as `Undecodable`, so
//! one bad upload cannot take a request handler down with it. Nothing here does I/O.

use std::panic::{AssertUnwindSafe, catch_unwind};

use image::DynamicImage;
use image::metadata::Orientation;

use crate::{Format, Limits, MediaError, jpeg, orientation, png, sniff};

/// Decoded pixels and the ICC profile that says what their numbers mean.
pub(crate) struct Decoded {
    pub image: DynamicImage,
    pub icc: Option<Vec<u8>>,
}

/// The first two checks: byte size, then magic bytes.
pub(crate) fn admit(bytes: &[u8], limits: &Limits) -> Result<Format, MediaError> {
    limits.check_size(bytes.len())?;
    sniff(bytes).ok_or(MediaError::UnsupportedType)
}

/// Validates and decodes any accepted image and turns it upright: the path for callers that
/// only need pixels (de-identified copies).
pub(crate) fn upright(bytes: &[u8], limits: &Limits) -> Result<Decoded, MediaError> {
    let (mut decoded, orientation) = match admit(bytes, limits)? {
        Format::Jpeg => {
            let header = jpeg::header(bytes)?;
            limits.check_dimensions(header.width, header.height)?;
            let orientation = orientation::from_exif(header.exif);
            jpeg::check(bytes)?;
            (guard(|| jpeg::decode(bytes, limits))?, orientation)
        }
        Format::Png => {
            let (width, height) = png::dimensions(bytes)?;
            limits.check_dimensions(width, height)?;
            let stripped = png::strip(bytes)?;
            let orientation = orientation::from_exif(stripped.exif);
            (guard(|| png::decode(&stripped, limits))?, orientation)
        }
        Format::Heic => (heic(bytes, limits)?, Orientation::NoTransforms),
    };
    decoded.image.apply_orientation(orientation);
    Ok(decoded)
}

/// Decodes HEIC, or refuses it when the crate was built without the `heic` feature. Either way
/// a file with an item coded other than in HEVC is an `UnsupportedType`.
pub(crate) fn heic(bytes: &[u8], limits: &Limits) -> Result<Decoded, MediaError> {
    crate::format::check_heic_items(bytes)?;
    #[cfg(feature = "heic")]
    {
        guard(|| crate::heic::decode(bytes, limits))
    }
    #[cfg(not(feature = "heic"))]
    {
        let _ = (bytes, limits);
        Err(MediaError::HeicUnsupported)
    }
}

/// Runs a decoder, turning a panic inside it into `Undecodable`.
pub(crate) fn guard<T>(decode: impl FnOnce() -> Result<T, MediaError>) -> Result<T, MediaError> {
    // The closure only reads the caller's bytes and builds a fresh value, so nothing is left
    // half-modified if it unwinds.
    catch_unwind(AssertUnwindSafe(decode)).unwrap_or(Err(MediaError::Undecodable(
        "the decoder failed on this file",
    )))
}

/// Maps an `image` crate error to a fixed reason, never to its message.
pub(crate) fn undecodable(error: &image::ImageError, reason: &'static str) -> MediaError {
    match error {
        image::ImageError::Limits(_) => {
            MediaError::Undecodable("image exceeds the decoder's memory limit")
        }
        image::ImageError::Unsupported(_) => {
            MediaError::Undecodable("image uses an unsupported feature")
        }
        _ => MediaError::Undecodable(reason),
    }
}

//! HEIC/HEIF input through the system `libheif` (Debian bookworm: 1.15, package `libheif-dev`).
//!
//! iPhones and many Android phones save HEIC. Vial does not store it: the primary image is
//! decoded with the file's own geometric transformations (`irot`, `imir`, `clap`) applied, so
//! the pixels come out upright, and the caller re-encodes them as JPEG. Nothing else in the
//! container is carried over — EXIF and XMP items, thumbnails, depth and auxiliary images are
//! never read. EXIF's orientation tag is deliberately ignored: in HEIF the transformation boxes
//! are authoritative, and applying both would rotate twice.
//!
//! This module must never hand `libheif`'s error messages to callers; they are mapped to fixed
//! reasons.

use std::sync::OnceLock;

use image::{DynamicImage, RgbImage};
use libheif_rs::{ColorProfile, ColorSpace, HeifContext, LibHeif, RgbChroma, color_profile_types};

use crate::{Limits, MediaError, decode::Decoded};

/// libheif, initialized once for the whole process and never torn down: `heif_init` and
/// `heif_deinit` manage global plugin state, and pairing them per decode (as a `LibHeif` per
/// call does) churns that state under concurrent uploads.
pub fn libheif() -> &'static LibHeif {
    static LIBHEIF: OnceLock<LibHeif> = OnceLock::new();
    LIBHEIF.get_or_init(LibHeif::new)
}

/// Parses the container (boxes only), checks the primary image's dimensions against `limits`,
/// then decodes it to upright 8-bit RGB.
pub(crate) fn decode(bytes: &[u8], limits: &Limits) -> Result<Decoded, MediaError> {
    let lib = libheif();
    let context = HeifContext::read_from_bytes(bytes)
        .map_err(|_| MediaError::Undecodable("corrupt or truncated HEIC container"))?;
    let handle = context
        .primary_image_handle()
        .map_err(|_| MediaError::Undecodable("HEIC has no primary image"))?;
    // The dimensions after transformations; a rotation swaps them but not their product.
    limits.check_dimensions(handle.width(), handle.height())?;
    let icc = handle
        .color_profile_raw()
        .filter(|p| {
            let kind = p.profile_type();
            kind == color_profile_types::PROF || kind == color_profile_types::R_ICC
        })
        .map(|p| p.data);

    // No `DecodingOptions`: libheif-rs 0.20 frees them before libheif reads them (a
    // use-after-free fixed only in 1.0.1, which needs libheif 1.17). libheif's defaults are what
    // Vial wants anyway: transformations applied, and 8-bit interleaved RGB as asked for here.
    let decoded = lib
        .decode(&handle, ColorSpace::Rgb(RgbChroma::Rgb), None)
        .map_err(|_| MediaError::Undecodable("corrupt or unsupported HEIC image data"))?;
    let (width, height) = (decoded.width(), decoded.height());
    limits.check_dimensions(width, height)?;
    let planes = decoded.planes();
    let plane = planes
        .interleaved
        .filter(|p| p.bits_per_pixel == 8 || p.storage_bits_per_pixel == 24)
        .ok_or(MediaError::Undecodable(
            "HEIC decoded to an unexpected layout",
        ))?;
    let row = width as usize * 3;
    if plane.stride < row {
        return Err(MediaError::Undecodable(
            "HEIC decoded to an unexpected layout",
        ));
    }
    // libheif's rows are padded to its stride; copy them into a tight buffer.
    let mut pixels = Vec::with_capacity(row * height as usize);
    for line in plane.data.chunks(plane.stride).take(height as usize) {
        pixels.extend_from_slice(
            line.get(..row)
                .ok_or(MediaError::Undecodable("HEIC decoded to the wrong size"))?,
        );
    }
    drop(decoded);
    let image = RgbImage::from_raw(width, height, pixels)
        .map(DynamicImage::ImageRgb8)
        .ok_or(MediaError::Undecodable("HEIC decoded to the wrong size"))?;
    Ok(Decoded { image, icc })
}

//! Writing pixels back out: JPEG for photos and thumbnails, PNG for oriented PNG uploads. The
//! encoders are given pixels and, at most, an ICC profile — never EXIF, XMP or text — so what
//! comes out carries no metadata by construction.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{DynamicImage, ExtendedColorType, ImageEncoder};

use crate::MediaError;

/// JPEG quality for re-encoded clinical photos: visually lossless for skin texture.
pub(crate) const PHOTO_QUALITY: u8 = 92;
/// JPEG quality for marketing copies.
pub(crate) const COPY_QUALITY: u8 = 90;
/// Longest side of a thumbnail, in pixels.
pub const THUMBNAIL_SIDE: u32 = 320;
const THUMBNAIL_QUALITY: u8 = 82;

/// Encodes as baseline JPEG. Grayscale stays grayscale; anything else becomes 8-bit RGB (alpha
/// is dropped: JPEG has none). The ICC profile is embedded when it describes the output's
/// colour space.
pub(crate) fn jpeg(
    image: &DynamicImage,
    quality: u8,
    icc: Option<&[u8]>,
) -> Result<Vec<u8>, MediaError> {
    let converted;
    let (pixels, width, height, color): (&[u8], u32, u32, ExtendedColorType) = match image {
        DynamicImage::ImageRgb8(rgb) => (rgb, rgb.width(), rgb.height(), ExtendedColorType::Rgb8),
        DynamicImage::ImageLuma8(gray) => {
            (gray, gray.width(), gray.height(), ExtendedColorType::L8)
        }
        other => {
            converted = other.to_rgb8();
            let (w, h) = converted.dimensions();
            (&converted, w, h, ExtendedColorType::Rgb8)
        }
    };
    let mut out = Vec::new();
    let mut encoder = JpegEncoder::new_with_quality(&mut out, quality);
    if let Some(icc) = icc.filter(|icc| describes(icc, color)) {
        encoder
            .set_icc_profile(icc.to_vec())
            .map_err(|_| MediaError::Encode("cannot embed the colour profile"))?;
    }
    encoder
        .write_image(pixels, width, height, color)
        .map_err(|_| MediaError::Encode("JPEG encoding failed"))?;
    Ok(out)
}

/// Encodes as PNG with the same pixel layout and the ICC profile, if any.
pub(crate) fn png(image: &DynamicImage, icc: Option<&[u8]>) -> Result<Vec<u8>, MediaError> {
    let mut out = Vec::new();
    let mut encoder = PngEncoder::new_with_quality(
        Cursor::new(&mut out),
        CompressionType::Default,
        FilterType::Adaptive,
    );
    let color = image.color().into();
    if let Some(icc) = icc.filter(|icc| describes(icc, color)) {
        encoder
            .set_icc_profile(icc.to_vec())
            .map_err(|_| MediaError::Encode("cannot embed the colour profile"))?;
    }
    encoder
        .write_image(image.as_bytes(), image.width(), image.height(), color)
        .map_err(|_| MediaError::Encode("PNG encoding failed"))?;
    Ok(out)
}

/// A JPEG whose longest side is at most [`THUMBNAIL_SIDE`]; smaller pictures keep their size.
pub(crate) fn thumbnail(image: &DynamicImage, icc: Option<&[u8]>) -> Result<Vec<u8>, MediaError> {
    if image.width().max(image.height()) <= THUMBNAIL_SIDE {
        return jpeg(image, THUMBNAIL_QUALITY, icc);
    }
    // Box-averaging downscale: fast, and without the aliasing of nearest-neighbour sampling.
    let small = image.thumbnail(THUMBNAIL_SIDE, THUMBNAIL_SIDE);
    jpeg(&small, THUMBNAIL_QUALITY, icc)
}

/// Whether an ICC profile's data colour space (header bytes 16–19) fits the pixels it would be
/// attached to; a CMYK profile on RGB output would make viewers misrender it.
fn describes(icc: &[u8], color: ExtendedColorType) -> bool {
    let space = icc.get(16..20);
    match color {
        ExtendedColorType::L8
        | ExtendedColorType::La8
        | ExtendedColorType::L16
        | ExtendedColorType::La16 => space == Some(b"GRAY"),
        _ => space == Some(b"RGB "),
    }
}

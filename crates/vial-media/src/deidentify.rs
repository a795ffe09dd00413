//! De-identified copies of clinical photos for marketing use: an optional crop and obscured
//! regions (eyes, tattoos, birthmarks, jewellery), written as a fresh JPEG with no metadata.
//!
//! Regions are image-relative so the same request means the same thing on any screen size, as
//! with the face map. Obscuring is irreversible by construction — a region keeps only a coarse
//! grid of averages, smoothly interpolated — unlike a light Gaussian blur, which can be partly
//! undone. Whether a patient consented to marketing use is decided elsewhere (`vial-app`); this
//! module only makes the pixels.

use image::imageops::{self, FilterType};
use image::{DynamicImage, RgbImage};

use crate::decode::{self, Decoded};
use crate::{Limits, MediaError, encode};

/// At most this many regions may be obscured in one copy.
pub const MAX_BLUR_REGIONS: usize = 64;
/// An obscured region keeps at most this many averaged samples along its longest side…
const BLUR_CELLS: u32 = 8;
/// …and each sample covers at least this many pixels a side, so small regions are not spared.
const MIN_CELL: u32 = 8;
/// Slack for coordinates computed in floating point by a client (e.g. `0.1 + 0.9`).
const EPSILON: f64 = 1e-9;

/// A rectangle in image-relative coordinates: `0` is the left or top edge, `1` the right or
/// bottom edge. Only [`Rect::new`] builds one, so every `Rect` lies inside the image and is not
/// empty.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    x: f64,
    y: f64,
    width: f64,
    height: f64,
}

impl Rect {
    /// A rectangle whose top-left corner is at (`x`, `y`), or `InvalidRegion` when a value is not
    /// finite, the size is not positive, or the rectangle reaches outside `0..=1`.
    pub fn new(x: f64, y: f64, width: f64, height: f64) -> Result<Rect, MediaError> {
        if ![x, y, width, height].iter().all(|v| v.is_finite()) {
            return Err(MediaError::InvalidRegion(
                "coordinates must be finite numbers",
            ));
        }
        if width <= 0.0 || height <= 0.0 {
            return Err(MediaError::InvalidRegion("region is empty"));
        }
        if x < 0.0 || y < 0.0 || x + width > 1.0 + EPSILON || y + height > 1.0 + EPSILON {
            return Err(MediaError::InvalidRegion(
                "region reaches outside the image",
            ));
        }
        Ok(Rect {
            x,
            y,
            width,
            height,
        })
    }

    pub fn x(&self) -> f64 {
        self.x
    }

    pub fn y(&self) -> f64 {
        self.y
    }

    pub fn width(&self) -> f64 {
        self.width
    }

    pub fn height(&self) -> f64 {
        self.height
    }

    /// The pixels this rectangle covers in a `width`×`height` image, rounded outwards.
    fn pixels(&self, width: u32, height: u32) -> Result<PixelRect, MediaError> {
        let span = |start: f64, len: f64, size: u32| {
            let size = f64::from(size);
            // Both values are clamped to 0..=size, which fits in u32.
            let from = (start * size).floor().clamp(0.0, size) as u32;
            let to = ((start + len) * size).ceil().clamp(0.0, size) as u32;
            (from, to.saturating_sub(from))
        };
        let (x, w) = span(self.x, self.width, width);
        let (y, h) = span(self.y, self.height, height);
        if w == 0 || h == 0 {
            return Err(MediaError::InvalidRegion("region is smaller than a pixel"));
        }
        Ok(PixelRect { x, y, w, h })
    }
}

/// A rectangle in pixels, inside the image.
#[derive(Debug, Clone, Copy)]
struct PixelRect {
    x: u32,
    y: u32,
    w: u32,
    h: u32,
}

/// A marketing copy of a sanitized photo: `blur` regions obscured, then cropped to `crop` (both
/// relative to the whole upright picture), as a JPEG without metadata.
///
/// The input is decoded under the default [`Limits`], so the same checks as at upload apply.
/// Memory: the decoded picture as 8-bit RGB (36 MB for 12 MP) plus the cropped copy.
pub fn deidentify(bytes: &[u8], crop: Option<Rect>, blur: &[Rect]) -> Result<Vec<u8>, MediaError> {
    if blur.len() > MAX_BLUR_REGIONS {
        return Err(MediaError::InvalidRegion("too many regions to obscure"));
    }
    let Decoded { image, icc } = decode::upright(bytes, &Limits::DEFAULT)?;
    let mut rgb = image.into_rgb8();
    let (width, height) = rgb.dimensions();
    let crop = crop.map(|c| c.pixels(width, height)).transpose()?;
    let blur = blur
        .iter()
        .map(|r| r.pixels(width, height))
        .collect::<Result<Vec<_>, _>>()?;
    for region in blur {
        obscure(&mut rgb, region);
    }
    let copy = match crop {
        Some(c) => imageops::crop_imm(&rgb, c.x, c.y, c.w, c.h).to_image(),
        None => rgb,
    };
    encode::jpeg(
        &DynamicImage::ImageRgb8(copy),
        encode::COPY_QUALITY,
        icc.as_deref(),
    )
}

/// Replaces a region with a coarse grid of its averages, smoothly interpolated.
fn obscure(image: &mut RgbImage, r: PixelRect) {
    let region = imageops::crop_imm(image, r.x, r.y, r.w, r.h).to_image();
    let cell = r.w.max(r.h).div_ceil(BLUR_CELLS).max(MIN_CELL);
    // Downscaling with a triangle filter averages every pixel of a cell into its sample.
    let coarse = imageops::resize(
        &region,
        r.w.div_ceil(cell),
        r.h.div_ceil(cell),
        FilterType::Triangle,
    );
    let smooth = imageops::resize(&coarse, r.w, r.h, FilterType::Triangle);
    imageops::replace(image, &smooth, i64::from(r.x), i64::from(r.y));
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // tests fail loudly by design

    use super::*;

    #[test]
    fn rect_validation() {
        assert!(Rect::new(0.0, 0.0, 1.0, 1.0).is_ok());
        assert!(Rect::new(0.1, 0.1, 0.9, 0.9).is_ok());
        for (x, y, w, h) in [
            (-0.1, 0.0, 0.5, 0.5),
            (0.0, 0.0, 0.0, 0.5),
            (0.0, 0.0, 0.5, -0.5),
            (0.6, 0.0, 0.5, 0.5),
            (0.0, 0.0, 0.5, 1.01),
            (f64::NAN, 0.0, 0.5, 0.5),
            (0.0, 0.0, f64::INFINITY, 0.5),
        ] {
            assert!(
                matches!(Rect::new(x, y, w, h), Err(MediaError::InvalidRegion(_))),
                "accepted {x} {y} {w} {h}"
            );
        }
    }

    #[test]
    fn pixels_round_outwards_and_stay_inside() {
        let r = Rect::new(0.25, 0.5, 0.5, 0.5)
            .unwrap()
            .pixels(10, 10)
            .unwrap();
        assert_eq!((r.x, r.y, r.w, r.h), (2, 5, 6, 5));
        let sliver = Rect::new(0.5, 0.5, 1e-20, 0.1).unwrap();
        assert_eq!(
            sliver.pixels(100, 100).unwrap_err(),
            MediaError::InvalidRegion("region is smaller than a pixel")
        );
    }
}

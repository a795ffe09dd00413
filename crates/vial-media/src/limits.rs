//! Upload limits and the checks made before any pixel is decoded, in the order that keeps the
//! cost of a hostile upload small: byte size, then the dimensions the header declares. A
//! decompression bomb (a few kilobytes declaring 100000×100000 pixels) is refused here, before
//! the decoder allocates anything.

use crate::MediaError;

/// What an upload may be. The defaults suit phone and DSLR photos of a clinic visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted upload, in bytes. Default 25 MiB.
    pub max_bytes: usize,
    /// Largest accepted width × height. Default 50 megapixels.
    pub max_pixels: u64,
    /// Largest accepted width or height on its own. Default 16384.
    pub max_dimension: u32,
}

impl Limits {
    /// The defaults: 25 MiB, 50 megapixels, 16384 pixels a side.
    pub const DEFAULT: Limits = Limits {
        max_bytes: 25 * 1024 * 1024,
        max_pixels: 50_000_000,
        max_dimension: 16_384,
    };

    /// Refuses an upload over [`Limits::max_bytes`].
    pub(crate) fn check_size(&self, size: usize) -> Result<(), MediaError> {
        if size > self.max_bytes {
            return Err(MediaError::TooLarge {
                size,
                limit: self.max_bytes,
            });
        }
        Ok(())
    }

    /// Refuses header dimensions that are empty or over the limits.
    pub(crate) fn check_dimensions(&self, width: u32, height: u32) -> Result<(), MediaError> {
        if width == 0 || height == 0 {
            return Err(MediaError::Undecodable("image has no pixels"));
        }
        if width > self.max_dimension
            || height > self.max_dimension
            || u64::from(width) * u64::from(height) > self.max_pixels
        {
            return Err(MediaError::TooManyPixels { width, height });
        }
        Ok(())
    }

    /// The decoders' own guard, set from the same limits: no decoded buffer may exceed the
    /// pixel limit at 8 bytes a pixel (16-bit RGBA, the widest layout the decoders produce).
    pub(crate) fn decoder_limits(&self) -> image::Limits {
        let mut limits = image::Limits::default();
        limits.max_image_width = Some(self.max_dimension);
        limits.max_image_height = Some(self.max_dimension);
        limits.max_alloc = Some(self.max_pixels.saturating_mul(8));
        limits
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

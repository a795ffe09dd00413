//! The media crate's errors. Messages say what was wrong with an upload in a few fixed words; they
//! never carry file names, metadata values, decoder output or pixel data, so they are safe to log
//! and to show to the uploader.
//!
//! There is deliberately no status code here: the web layer maps `TooLarge` to 413,
//! `UnsupportedType` and `HeicUnsupported` to 415, `TooManyPixels`, `Undecodable` and
//! `InvalidRegion` to 422, and `Encode` to 500.

/// Everything that can go wrong validating, sanitizing or de-identifying a photo.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MediaError {
    /// The upload is bigger than [`Limits::max_bytes`](crate::Limits::max_bytes).
    #[error("image is {size} bytes; the limit is {limit} bytes")]
    TooLarge { size: usize, limit: usize },
    /// The magic bytes are not those of an accepted format (JPEG, PNG, and HEIC/HEIF when built
    /// with the `heic` feature), or a HEIF file is not HEVC-coded (AVIF, say).
    #[cfg_attr(
        feature = "heic",
        error("unsupported image type: only JPEG, PNG and HEIC are accepted")
    )]
    #[cfg_attr(
        not(feature = "heic"),
        error("unsupported image type: only JPEG and PNG are accepted")
    )]
    UnsupportedType,
    /// The upload is HEIC/HEIF, but this build has no HEIC decoder (no `heic` feature).
    #[error("HEIC photos need a server built with HEIC support; upload a JPEG or PNG")]
    HeicUnsupported,
    /// The header declares dimensions over the pixel or side-length limit (a decompression bomb
    /// or simply too big a picture); refused before any pixel memory is allocated.
    #[error("image dimensions {width}x{height} exceed the limit")]
    TooManyPixels { width: u32, height: u32 },
    /// The bytes claim an accepted format but are truncated, corrupt or use a feature the
    /// decoders do not support.
    #[error("image cannot be decoded: {0}")]
    Undecodable(&'static str),
    /// A crop or blur region is not a non-empty rectangle inside the image.
    #[error("invalid region: {0}")]
    InvalidRegion(&'static str),
    /// Writing the output image failed; a bug or resource problem, never the uploader's fault.
    #[error("image cannot be encoded: {0}")]
    Encode(&'static str),
}

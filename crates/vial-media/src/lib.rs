//! Vial's photo intake: the only code that parses image files.
//!
//! Owns recognizing an upload by its magic bytes ([`sniff`]), refusing what is too big, not an
//! image, a decompression bomb or undecodable ([`Limits`], [`MediaError`]), removing every piece
//! of metadata — EXIF with GPS position, camera make, model and serial numbers, timestamps and
//! MakerNotes; XMP; IPTC; comments; PNG text chunks and PNG's compressed colour profiles — while
//! keeping the clinical picture itself intact ([`sanitize`]), thumbnails, and de-identified
//! marketing copies ([`deidentify`]).
//!
//! It is pure: no file system, database, network or async. It works on the caller's `&[u8]`
//! without copying it; it must never log, and its errors never carry file names, metadata values
//! or pixels. Encrypting and storing the results is `vial-app`'s and `vial-blob`'s business.
//!
//! Accepted formats are JPEG, PNG and, with the opt-in `heic` feature, HEIC (through the system
//! `libheif`; Debian package `libheif-dev`). Without the feature HEIC is still recognized, and
//! refused as [`MediaError::HeicUnsupported`]. What is stored is always JPEG or PNG.
//!
//! Memory: the decoded picture dominates every call. At 3 bytes a pixel a 12-megapixel photo is
//! about 36 MB; see [`sanitize`] for the peaks.

mod decode;
mod deidentify;
mod encode;
mod error;
mod format;
#[cfg(feature = "heic")]
mod heic;
mod jpeg;
mod limits;
mod orientation;
mod png;
mod sanitize;

pub use deidentify::{MAX_BLUR_REGIONS, Rect, deidentify};
pub use encode::THUMBNAIL_SIDE;
pub use error::MediaError;
pub use format::{Format, sniff};
#[cfg(feature = "heic")]
pub use heic::libheif;
pub use limits::Limits;
pub use sanitize::{Sanitized, sanitize};

/// Whether this build accepts HEIC/HEIF input (the `heic` feature, linking `libheif`).
pub const HEIC_SUPPORTED: bool = cfg!(feature = "heic");

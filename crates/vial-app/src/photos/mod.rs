//! Clinical photos through the PHI gateway: capture (providers on the care team, with an active
//! photography consent), viewing the picture or its thumbnail (the care team, the patient their
//! own), listing, soft deletion, and de-identified marketing copies (an active marketing
//! consent plus re-authentication, recorded as a disclosure).
//!
//! An upload is validated and sanitized by `vial-media` (size, magic bytes, bomb limits, full
//! decode, metadata stripped, upright) before anything is stored. The picture and its thumbnail
//! are sealed under the patient's DEK with AAD `(photos, content | thumbnail, <photo id>)` and
//! stored in the [`BlobStore`] as `photos/<id>` and `thumbs/<id>`; the `photos` row keeps ids,
//! times, sizes and the stored format in clear and seals the view, body area and phase as JSON
//! (AAD `(photos, meta, <id>)`). Views are streamed: the sealed blob is read by ranges and its
//! chunks opened as they arrive (`read.rs`). It must never log or return image bytes except to
//! an actor the gateway allowed, never release a chunk that failed authentication, and never
//! store an unsealed byte.

mod capture;
mod export;
mod read;
pub(crate) use read::summary as photo_summary;
mod sweep;

use std::sync::Arc;

use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;
use vial_blob::{BlobId, BlobStore};
use vial_media::Limits;
use zeroize::Zeroizing;

use crate::AppError;
use vial_core::{PatientId, PhotoId, RecordId, UserId};

pub use export::ExportRequest;
pub use read::PhotoStream;
pub use sweep::{BlobSweep, ORPHAN_GRACE};

/// Default largest photo upload: 25 MiB.
pub const DEFAULT_PHOTO_MAX_BYTES: usize = Limits::DEFAULT.max_bytes;

/// Sanitizations (and de-identifications) running at once: each holds a decoded picture (about
/// 36 MB for 12 megapixels), so memory stays bounded whatever the number of uploads.
const MEDIA_PERMITS: usize = 2;

const TABLE: &str = "photos";

/// Where photos go and what an upload may be; part of [`crate::App`].
#[derive(Debug, Clone)]
pub(crate) struct PhotoStorage {
    pub(crate) blobs: Option<BlobStore>,
    pub(crate) limits: Limits,
    permits: Arc<Semaphore>,
}

impl Default for PhotoStorage {
    fn default() -> Self {
        Self {
            blobs: None,
            limits: Limits::DEFAULT,
            permits: Arc::new(Semaphore::new(MEDIA_PERMITS)),
        }
    }
}

impl PhotoStorage {
    fn blobs(&self) -> Result<&BlobStore, AppError> {
        self.blobs
            .as_ref()
            .ok_or_else(|| AppError::Unavailable("no photo storage is configured".into()))
    }

    /// Runs CPU-heavy image work off the async threads, at most [`MEDIA_PERMITS`] at once.
    pub(crate) async fn media<T, F>(&self, work: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce() -> Result<T, AppError> + Send + 'static,
    {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| AppError::Unavailable("photo processing stopped".into()))?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|_| AppError::Unavailable("photo processing failed".into()))?
    }
}

/// A photo as uploaded: the file's bytes and its description codes (checked by
/// `vial_clinical::validate_photo_description`).
pub struct PhotoUpload {
    pub view: String,
    pub body_area: String,
    pub treatment_id: Option<RecordId>,
    pub phase: Option<String>,
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for PhotoUpload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PhotoUpload")
            .field("bytes", &self.bytes.len())
            .finish_non_exhaustive()
    }
}

/// A photo's description, as the chart lists it (no pixels).
#[derive(Clone)]
pub struct PhotoSummary {
    pub id: PhotoId,
    pub patient_id: PatientId,
    pub author_id: UserId,
    pub view: String,
    pub body_area: String,
    pub phase: Option<String>,
    pub treatment_id: Option<RecordId>,
    /// `image/jpeg` or `image/png`.
    pub content_type: &'static str,
    pub width: i64,
    pub height: i64,
    pub bytes: i64,
    pub created_at_ms: i64,
}

/// Ids and counts only: the values are PHI.
impl std::fmt::Debug for PhotoSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PhotoSummary")
            .field("id", &self.id)
            .field("patient_id", &self.patient_id)
            .field("bytes", &self.bytes)
            .finish_non_exhaustive()
    }
}

/// Which stored picture of a photo to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhotoPart {
    /// The full picture.
    Content,
    /// The JPEG thumbnail.
    Thumbnail,
}

/// A picture (or thumbnail) for an allowed viewer, decrypted as it is read: the gateway has
/// already recorded the view, the header and tag trailer of the sealed blob are fetched, and
/// the body streams from the blob store and is opened chunk by chunk in the buffers it arrives
/// in (no second copy; about two 1 MiB pieces in memory: the one being opened and the one read
/// ahead). Only authenticated chunks come out: a chunk that fails ends the stream with an
/// error. `Debug` shows the size only.
///
/// The chunks are plain [`bytes::Bytes`] (not zeroized when dropped, like any response body);
/// [`PhotoContent::bytes`] collects them into a buffer that is.
pub struct PhotoContent {
    pub photo_id: PhotoId,
    pub content_type: &'static str,
    /// The file extension matching `content_type`, without the dot.
    pub extension: &'static str,
    body: PhotoStream,
}

impl PhotoContent {
    /// Size of the picture in bytes (e.g. for `Content-Length`), known before it is read.
    pub fn len(&self) -> u64 {
        self.body.plain_len()
    }

    /// Whether the picture is empty (never, for a stored photo).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The picture as a stream of authenticated plaintext chunks.
    pub fn into_stream(self) -> PhotoStream {
        self.body
    }

    /// The whole picture in one buffer, zeroized on drop (for callers that need it whole).
    pub async fn bytes(self) -> Result<Zeroizing<Vec<u8>>, AppError> {
        let capacity = usize::try_from(self.len()).unwrap_or(0);
        let mut out = Zeroizing::new(Vec::with_capacity(capacity));
        let mut stream = self.into_stream();
        while let Some(chunk) = stream.next().await {
            out.extend_from_slice(&chunk?);
        }
        Ok(out)
    }
}

impl std::fmt::Debug for PhotoContent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PhotoContent")
            .field("photo_id", &self.photo_id)
            .field("content_type", &self.content_type)
            .field("bytes", &self.len())
            .finish()
    }
}

/// The sealed description of a photo (`meta_enc`).
#[derive(Serialize, Deserialize)]
struct PhotoMeta {
    view: String,
    body_area: String,
    phase: Option<String>,
}

/// Stored format codes and their media types; only JPEG and PNG are ever stored.
pub(crate) fn format_code(format: vial_media::Format) -> &'static str {
    match format {
        vial_media::Format::Png => "png",
        vial_media::Format::Jpeg | vial_media::Format::Heic => "jpeg",
    }
}

pub(crate) fn content_type(code: &str) -> (&'static str, &'static str) {
    match code {
        "png" => ("image/png", "png"),
        _ => ("image/jpeg", "jpg"),
    }
}

/// The blob id of a photo id (ids are `ph_<32 hex>`, which are valid blob ids).
fn blob_id(photo_id: &PhotoId) -> Result<BlobId, AppError> {
    BlobId::parse(photo_id.as_str()).map_err(|_| AppError::NotFound("photo"))
}

fn part_column(part: PhotoPart) -> &'static str {
    match part {
        PhotoPart::Content => "content",
        PhotoPart::Thumbnail => "thumbnail",
    }
}

fn blob_kind(part: PhotoPart) -> vial_blob::BlobKind {
    match part {
        PhotoPart::Content => vial_blob::BlobKind::Photo,
        PhotoPart::Thumbnail => vial_blob::BlobKind::Thumbnail,
    }
}

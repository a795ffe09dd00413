//! Photos: clinical photos' rows (the pictures themselves are sealed blobs elsewhere), listed per
//! patient and deleted softly.

pub(crate) mod sql;

#[cfg(feature = "scenarios")]
pub mod scenarios;

use vial_core::{PatientId, PhotoId, RecordId, UserId};

use crate::{StoreResult, StoredDek};

/// A clinical photo as stored: the picture and thumbnail are sealed blobs elsewhere; here only
/// ids, times, sizes and the stored format are in clear, and the view, body area and phase are
/// sealed in `meta_enc`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoRow {
    pub id: PhotoId,
    pub patient_id: PatientId,
    pub author_id: UserId,
    pub treatment_id: Option<RecordId>,
    /// `jpeg` or `png`.
    pub format: String,
    pub width: i64,
    pub height: i64,
    /// Plaintext sizes of the picture and thumbnail.
    pub photo_bytes: i64,
    pub thumb_bytes: i64,
    pub meta_enc: Vec<u8>,
    pub created_at_ms: i64,
    pub deleted_at_ms: Option<i64>,
    pub deleted_by: Option<UserId>,
}

/// A photo read for one user: the row, its patient's wrapped DEK and whether that user is on
/// the patient's care team, in one query (every view of a picture or thumbnail).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoRead {
    pub photo: PhotoRow,
    pub dek: Option<StoredDek>,
    pub on_care_team: bool,
}

/// Reads of photos.
#[async_trait::async_trait]
pub trait PhotosRead: Send {
    /// A photo, deleted or not.
    async fn photo_by_id(&mut self, id: &PhotoId) -> StoreResult<Option<PhotoRow>>;
    /// A photo (deleted or not) with its patient's wrapped DEK and whether `reader_id` is on
    /// the patient's care team, in one query (every view of a picture or thumbnail).
    async fn photo_for(
        &mut self,
        id: &PhotoId,
        reader_id: &UserId,
    ) -> StoreResult<Option<PhotoRead>>;
    /// A patient's photos that are not deleted, oldest first.
    async fn photos_of_patient(&mut self, patient_id: &PatientId) -> StoreResult<Vec<PhotoRow>>;
}

/// Writes of photos.
#[async_trait::async_trait]
pub trait PhotosTx: Send {
    async fn insert_photo(&mut self, photo: &PhotoRow) -> StoreResult<()>;
    /// Marks a photo deleted (its row and blobs are kept); false if absent or already deleted.
    async fn soft_delete_photo(
        &mut self,
        id: &PhotoId,
        by: &UserId,
        now_ms: i64,
    ) -> StoreResult<bool>;
}

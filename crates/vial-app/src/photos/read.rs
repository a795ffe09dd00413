//! Reading photos: a picture or thumbnail (decrypted for an actor the gateway allowed, every
//! view audited, streamed: [`PhotoStream`] opens the sealed body chunk by chunk as the blob
//! store delivers it), a patient's list of photos, and soft deletion (the row and blobs are kept
//! for the retention period; the photo disappears from lists and views).

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use futures_util::stream::BoxStream;
use futures_util::{Stream, StreamExt};
use tokio::sync::oneshot;
use vial_blob::{BlobError, BlobId, BlobKind, BlobRange, BlobStore, BlobStream};
use vial_core::{Action, PatientId, PhotoId, Resource};
use vial_crypto::{Aad, BlobLayout, BlobOpener, CryptoError, DataKey};
use vial_store::PhotoRow;
use zeroize::Zeroize;

use super::{
    PhotoContent, PhotoMeta, PhotoPart, PhotoSummary, TABLE, blob_id, blob_kind, content_type,
    part_column,
};
use crate::gateway::purpose_of;
use crate::gateway::{Access, authorize_with, unknown};
use crate::records::open_json;
use crate::{Actor, App, AppError, AuditEvent, Audited};

impl App {
    /// The picture (or thumbnail) of a photo, for the care team or the patient, as a stream
    /// decrypted chunk by chunk. Absent and deleted photos are `NotFound`; every allowed or
    /// denied view is audited, and nothing is returned before the view's entry is committed.
    ///
    /// The work is overlapped with the audited unit without releasing anything early: the
    /// sealed blob's header, trailer and first body piece are fetched while the unit decides
    /// (ciphertext only, and the blob's name is the photo id), and once an allowed view is
    /// decided (and recorded in the unit) its first [`PREFILL_BYTES`] are opened while the entry
    /// commits. Those chunks are held in the stream, handed out only after the commit, and
    /// wiped if it fails.
    pub async fn photo_content(
        &self,
        actor: &Actor,
        photo_id: &PhotoId,
        part: PhotoPart,
    ) -> Result<PhotoContent, AppError> {
        let audit_action = match part {
            PhotoPart::Content => "photo.view",
            PhotoPart::Thumbnail => "photo.view_thumbnail",
        };
        let (decided, decision) = oneshot::channel();
        let committed = self.open_photo(actor, photo_id, Action::Read, audit_action, decided);
        let prepared = async {
            let kind = blob_kind(part);
            let fetched =
                async { fetch_sealed(self.photos.blobs()?, kind, &blob_id(photo_id)?).await };
            let (fetched, decision) = tokio::join!(fetched, decision);
            let Ok((key, row)) = decision else {
                return Err(AppError::Unavailable(
                    "the photo view was not decided".into(),
                ));
            };
            let sealed = fetched?;
            let aad = Aad::new(TABLE, part_column(part), &row.id);
            let opener = key.blob_opener(
                aad,
                &sealed.header.bytes,
                sealed.header.size,
                &sealed.tags.bytes,
            )?;
            let body = PhotoStream::new(row.id.clone(), opener, sealed.body.boxed());
            Ok((row, body))
        };
        let mut committed = std::pin::pin!(committed);
        let mut prepared = std::pin::pin!(prepared);
        // An unrecorded, denied or absent view ends at its own error, not the blob's; a stream
        // opened ahead is dropped and its held chunks wiped.
        let mut recorded = false;
        let (row, mut body) = loop {
            tokio::select! {
                result = &mut committed, if !recorded => {
                    result?;
                    recorded = true;
                }
                prepared = &mut prepared => match prepared {
                    Ok(prepared) => break prepared,
                    Err(e) => {
                        if !recorded {
                            (&mut committed).await?;
                        }
                        return Err(e);
                    }
                },
            }
        };
        if !recorded {
            // Decrypt while the entry commits (bounded); hand out only once it has.
            tokio::select! {
                result = &mut committed => result?,
                () = body.prefill(PREFILL_BYTES) => (&mut committed).await?,
            }
        }
        let (content_type, extension) = match part {
            PhotoPart::Content => content_type(&row.format),
            PhotoPart::Thumbnail => content_type("jpeg"),
        };
        Ok(PhotoContent {
            body,
            photo_id: row.id,
            content_type,
            extension,
        })
    }

    /// A patient's photos (not deleted), oldest first, described without pixels (a read unit).
    pub async fn photos_of(
        &self,
        actor: &Actor,
        patient_id: &PatientId,
    ) -> Result<Vec<PhotoSummary>, AppError> {
        let (app, actor, patient_id) = (self.clone(), actor.clone(), patient_id.clone());
        self.transact_read(move |work| {
            Box::pin(async move {
                let access = Access {
                    patient_id: &patient_id,
                    resource: Resource::Photos,
                    action: Action::Read,
                    audit_action: "photo.list",
                    purpose: purpose_of(actor.role),
                };
                app.authorize(work, &actor, access).await?;
                if work.read().patient_by_id(&patient_id).await?.is_none() {
                    return Err(AppError::NotFound("patient"));
                }
                let tx = work.read();
                let rows = tx.photos_of_patient(&patient_id).await?;
                if rows.is_empty() {
                    return Ok(Vec::new());
                }
                let key = app.existing_data_key(tx, &patient_id).await?;
                rows.into_iter().map(|row| summary(&key, row)).collect()
            })
        })
        .await
    }

    /// Deletes a photo (providers on the care team): it leaves lists and views at once, while
    /// its row and sealed blobs are kept for the retention period.
    pub async fn delete_photo(&self, actor: &Actor, photo_id: &PhotoId) -> Result<(), AppError> {
        let (app, actor, photo_id) = (self.clone(), actor.clone(), photo_id.clone());
        let now = self.now_ms();
        self.transact(move |work| {
            Box::pin(async move {
                let row =
                    photo_row(work, &actor, &photo_id, (Action::Capture, "photo.delete")).await?;
                let access = Access {
                    patient_id: &row.patient_id,
                    resource: Resource::Photos,
                    action: Action::Capture,
                    audit_action: "photo.delete",
                    purpose: "treatment",
                };
                app.authorize(work, &actor, access).await?;
                if !work
                    .tx()
                    .await?
                    .soft_delete_photo(&row.id, &actor.user_id, now)
                    .await?
                {
                    return Err(AppError::NotFound("photo"));
                }
                work.audit(
                    AuditEvent::by("photo.deleted", &actor)
                        .patient(&row.patient_id)
                        .resource("photo", &row.id)
                        .purpose("treatment"),
                );
                Ok(())
            })
        })
        .await
    }

    /// One audited read unit: the live photo, the gateway's decision on its patient, and for an
    /// allowed actor the patient's DEK (the photo, DEK and care-team membership in one read).
    /// The key and row go out through `decided` as soon as the decision is recorded in the
    /// unit, before it commits: the caller may prepare with them, and must release nothing
    /// unless this returns `Ok`.
    async fn open_photo(
        &self,
        actor: &Actor,
        photo_id: &PhotoId,
        action: Action,
        audit_action: &'static str,
        decided: oneshot::Sender<(DataKey, PhotoRow)>,
    ) -> Result<(), AppError> {
        let (app, actor, photo_id) = (self.clone(), actor.clone(), photo_id.clone());
        self.transact_read(move |work| {
            Box::pin(async move {
                let found = work.read().photo_for(&photo_id, &actor.user_id).await?;
                let Some(read) = found else {
                    let asked = ("photo", photo_id.as_str());
                    let of = (Resource::Photos, action);
                    return Err(unknown(work, &actor, of, audit_action, asked, "photo"));
                };
                let row = read.photo;
                let relation = app
                    .relation_in(
                        work.read(),
                        &actor,
                        &row.patient_id,
                        Some(read.on_care_team),
                    )
                    .await?;
                let access = Access {
                    patient_id: &row.patient_id,
                    resource: Resource::Photos,
                    action,
                    audit_action,
                    purpose: purpose_of(actor.role),
                };
                authorize_with(work, &actor, relation, access)?;
                if row.deleted_at_ms.is_some() {
                    return Err(AppError::NotFound("photo"));
                }
                let key = app.unwrap_stored(&read.dek.ok_or(AppError::NotFound("data key"))?)?;
                // The caller may have stopped waiting; the view is recorded either way.
                let _ = decided.send((key, row));
                Ok(())
            })
        })
        .await
    }
}

/// A stored sealed blob's parts, fetched without its key: the header (with the blob's size),
/// the tag trailer and the body as a stream.
struct SealedParts {
    header: BlobRange,
    tags: BlobRange,
    body: BlobStream,
}

/// Fetches a sealed blob's parts where its header says they lie: the header first, then the
/// trailer and the body stream at once. The opener built from them checks the layout against
/// the header and the trailer's length.
async fn fetch_sealed(
    blobs: &BlobStore,
    kind: BlobKind,
    blob: &BlobId,
) -> Result<SealedParts, AppError> {
    let header = blobs.get_range(kind, blob, BlobLayout::HEADER).await?;
    let layout = BlobLayout::parse(&header.bytes, header.size)?;
    let (tags, body) = tokio::try_join!(
        blobs.get_range(kind, blob, layout.tags_range()),
        blobs.get_stream_range(kind, blob, layout.body_range()),
    )?;
    Ok(SealedParts { header, tags, body })
}

/// The photo's row, deleted or not (the caller decides, then refuses a deleted one as missing);
/// an id that names none is answered as [`unknown`] for `(action, audit_action)`.
pub(super) async fn photo_row(
    work: &mut crate::Work,
    actor: &Actor,
    photo_id: &PhotoId,
    (action, audit_action): (Action, &'static str),
) -> Result<PhotoRow, AppError> {
    let found = work.read().photo_by_id(photo_id).await?;
    found.ok_or_else(|| {
        let of = (Resource::Photos, action);
        unknown(
            work,
            actor,
            of,
            audit_action,
            ("photo", photo_id.as_str()),
            "photo",
        )
    })
}

pub(crate) fn summary(key: &DataKey, row: PhotoRow) -> Result<PhotoSummary, AppError> {
    let meta: PhotoMeta = open_json(key, TABLE, "meta", &row.id, &row.meta_enc)?;
    Ok(PhotoSummary {
        content_type: content_type(&row.format).0,
        id: row.id,
        patient_id: row.patient_id,
        author_id: row.author_id,
        view: meta.view,
        body_area: meta.body_area,
        phase: meta.phase,
        treatment_id: row.treatment_id,
        width: row.width,
        height: row.height,
        bytes: row.photo_bytes,
        created_at_ms: row.created_at_ms,
    })
}

/// A photo's plaintext as a stream of authenticated chunks: ciphertext pieces from the blob
/// store in, each chunk opened where it lies and handed out, in order. A chunk that fails
/// authentication, a storage error, or a body shorter or longer than its header says ends the
/// stream with an error (logged with the photo id only) after the chunks before it and nothing
/// else; the bytes of a chunk that failed are never released.
///
/// Pieces from a local directory arrive chunk-aligned and uniquely owned, so they are opened in
/// their own buffers without a copy; pieces that are not (S3 frames) are gathered into whole
/// chunks first. Decryption runs inline as the stream is polled (10–20 µs per 64 KiB chunk)
/// while the blob store reads the next piece on the blocking pool, so reading and decrypting
/// overlap on two cores. Opening batches on the blocking pool instead was measured no faster
/// for one stream and slower for two (it crowds out the committer). The read-ahead is usually
/// ready, so the stream yields to the scheduler every [`CHUNKS_PER_YIELD`] chunks: a consumer
/// in a tight loop never holds an async worker for a whole photo (which starves the committer,
/// and so every other view's audit entry).
///
/// [`PhotoStream::prefill`] opens chunks ahead into a held queue that is handed out first;
/// held chunks that are never handed out are wiped when the stream is dropped.
pub struct PhotoStream {
    photo_id: PhotoId,
    opener: BlobOpener,
    /// The body's ciphertext, as the blob store delivers it.
    source: BoxStream<'static, Result<Bytes, BlobError>>,
    /// Ciphertext received and not yet opened.
    pending: BytesMut,
    /// Index of the first chunk in `pending`.
    next_chunk: usize,
    /// Chunks opened since the stream last yielded to the scheduler.
    since_yield: usize,
    /// Chunks opened ahead by `prefill`, handed out first, in order.
    held: VecDeque<BytesMut>,
    held_bytes: usize,
    /// The error that ended the stream during `prefill`, handed out after `held`.
    held_error: Option<AppError>,
    received: u64,
    source_done: bool,
    finished: bool,
}

/// Chunks opened between two yields to the scheduler: about 50 µs of decryption.
const CHUNKS_PER_YIELD: usize = 4;

/// Most plaintext a view opens ahead while its audit entry commits: more than the cores
/// decrypt in the time of a commit, and a bound on what a view holds before its first byte.
pub const PREFILL_BYTES: usize = 4 << 20;

impl PhotoStream {
    fn new(
        photo_id: PhotoId,
        opener: BlobOpener,
        source: BoxStream<'static, Result<Bytes, BlobError>>,
    ) -> Self {
        Self {
            photo_id,
            opener,
            source,
            pending: BytesMut::new(),
            next_chunk: 0,
            since_yield: 0,
            held: VecDeque::new(),
            held_bytes: 0,
            held_error: None,
            received: 0,
            source_done: false,
            finished: false,
        }
    }

    /// Size of the whole plaintext.
    pub fn plain_len(&self) -> u64 {
        self.opener.layout().plain_len()
    }

    /// Opens chunks ahead until at least `limit` bytes are held or the stream has ended (with
    /// or without an error, which is handed out after the held chunks). Nothing is released.
    pub async fn prefill(&mut self, limit: usize) {
        std::future::poll_fn(|cx| {
            loop {
                if self.held_bytes >= limit || self.held_error.is_some() {
                    return Poll::Ready(());
                }
                match self.poll_chunk(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(None) => return Poll::Ready(()),
                    Poll::Ready(Some(Err(e))) => self.held_error = Some(e),
                    Poll::Ready(Some(Ok(chunk))) => {
                        self.held_bytes += chunk.len();
                        self.held.push_back(chunk);
                    }
                }
            }
        })
        .await;
    }

    /// Ends the stream: nothing more is released.
    fn fail(&mut self, error: AppError) -> AppError {
        self.finished = true;
        self.pending = BytesMut::new();
        tracing::warn!(photo = %self.photo_id, error = %error, "photo stream stopped");
        error
    }

    /// The next chunk if a whole one has been received, opened.
    fn open_next(&mut self) -> Option<Result<BytesMut, AppError>> {
        let len = self.opener.layout().chunk_plain_len(self.next_chunk)?;
        if len == 0 || self.pending.len() < len {
            return None;
        }
        let mut chunk = self.pending.split_to(len);
        let index = self.next_chunk;
        self.next_chunk += 1;
        self.since_yield += 1;
        Some(match self.opener.open_chunk_in_place(index, &mut chunk) {
            Ok(()) => Ok(chunk),
            Err(e) => Err(self.fail(e.into())),
        })
    }

    /// Takes a piece of ciphertext from the blob store.
    fn receive(&mut self, piece: Bytes) -> Result<(), AppError> {
        self.received += piece.len() as u64;
        if self.received > self.plain_len() {
            return Err(CryptoError::Malformed("photo body longer than its layout").into());
        }
        if self.pending.is_empty() {
            // Uniquely owned (a local read): opened in its own buffer, no copy.
            self.pending = piece
                .try_into_mut()
                .unwrap_or_else(|shared| BytesMut::from(&shared[..]));
        } else {
            self.pending.extend_from_slice(&piece);
        }
        Ok(())
    }

    /// The body has ended: everything must have arrived and been opened. An empty plaintext is
    /// one empty chunk, authenticated here.
    fn finish(&mut self) -> Option<Result<BytesMut, AppError>> {
        let layout = *self.opener.layout();
        let complete = self.pending.is_empty() && self.received == layout.plain_len();
        if complete && layout.chunk_plain_len(self.next_chunk) == Some(0) {
            let index = self.next_chunk;
            self.next_chunk += 1;
            if let Err(e) = self.opener.open_chunk_in_place(index, &mut []) {
                return Some(Err(self.fail(e.into())));
            }
        }
        if complete && self.next_chunk == layout.chunk_count() {
            self.finished = true;
            return None;
        }
        let short = CryptoError::Malformed("photo body ended before its last chunk");
        Some(Err(self.fail(short.into())))
    }

    /// The next opened chunk from the blob store (the held ones aside).
    fn poll_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<BytesMut, AppError>>> {
        loop {
            if self.finished {
                return Poll::Ready(None);
            }
            if self.since_yield >= CHUNKS_PER_YIELD {
                // Let other tasks run; this one is woken again at once.
                self.since_yield = 0;
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            if let Some(chunk) = self.open_next() {
                return Poll::Ready(Some(chunk));
            }
            if self.source_done {
                return Poll::Ready(self.finish());
            }
            match self.source.poll_next_unpin(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => self.source_done = true,
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(self.fail(e.into())))),
                Poll::Ready(Some(Ok(piece))) => {
                    if let Err(e) = self.receive(piece) {
                        return Poll::Ready(Some(Err(self.fail(e))));
                    }
                }
            }
        }
    }
}

impl Stream for PhotoStream {
    type Item = Result<Bytes, AppError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if let Some(chunk) = this.held.pop_front() {
            this.held_bytes -= chunk.len();
            return Poll::Ready(Some(Ok(chunk.freeze())));
        }
        if let Some(error) = this.held_error.take() {
            return Poll::Ready(Some(Err(error)));
        }
        this.poll_chunk(cx)
            .map(|item| item.map(|chunk| chunk.map(BytesMut::freeze)))
    }
}

impl Drop for PhotoStream {
    fn drop(&mut self) {
        // Opened ahead and never handed out (e.g. the view's entry did not commit).
        for chunk in &mut self.held {
            chunk.zeroize();
        }
    }
}

impl std::fmt::Debug for PhotoStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PhotoStream")
            .field("photo_id", &self.photo_id)
            .field("plain_len", &self.plain_len())
            .field("next_chunk", &self.next_chunk)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // tests fail loudly by design

    use futures_util::stream;
    use vial_crypto::{BLOB_CHUNK_LEN, BLOB_HEADER_LEN};

    use super::*;

    const N: usize = BLOB_CHUNK_LEN;

    fn sample(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 % 253) as u8).collect()
    }

    /// A sealed picture: the opener a reader builds from its header and trailer, and its body.
    fn sealed(plain: &[u8]) -> (BlobOpener, Vec<u8>) {
        let key = DataKey::generate().unwrap();
        let aad = Aad::new(TABLE, "content", "ph_test");
        let sealed = key.seal_blob(aad, plain).unwrap();
        let layout = BlobLayout::parse(&sealed, sealed.len() as u64).unwrap();
        let (body, tags) = sealed[layout.body_range().start as usize..].split_at(plain.len());
        let opener = key
            .blob_opener(aad, &sealed, sealed.len() as u64, tags)
            .unwrap();
        (opener, body.to_vec())
    }

    /// Streams `pieces` (each delivered as the blob store would) through a [`PhotoStream`].
    async fn run(
        opener: BlobOpener,
        pieces: Vec<Result<Bytes, BlobError>>,
    ) -> Vec<Result<Bytes, AppError>> {
        let source = stream::iter(pieces).boxed();
        PhotoStream::new("ph_test".into(), opener, source)
            .collect()
            .await
    }

    fn pieces(body: &[u8], len: usize) -> Vec<Result<Bytes, BlobError>> {
        body.chunks(len)
            .map(|p| Ok(Bytes::from(p.to_vec())))
            .collect()
    }

    fn released(items: &[Result<Bytes, AppError>]) -> Vec<u8> {
        items
            .iter()
            .filter_map(|i| i.as_ref().ok())
            .flat_map(|b| b.to_vec())
            .collect()
    }

    #[tokio::test]
    async fn opens_pieces_of_any_shape() {
        let plain = sample(3 * N + 5);
        // Chunk-aligned pieces as a local read delivers them, odd frames as S3 does, and the
        // whole body at once.
        for (shape, len) in [("aligned", 2 * N), ("frames", 10_007), ("whole", 3 * N + 5)] {
            let (opener, body) = sealed(&plain);
            let items = run(opener, pieces(&body, len)).await;
            assert!(items.iter().all(Result::is_ok), "{shape}");
            assert_eq!(released(&items), plain, "{shape}");
            assert!(items.iter().flatten().all(|chunk| chunk.len() <= N));
        }
        // A piece someone else holds too is copied before it is opened, never changed.
        let (opener, body) = sealed(&plain);
        let held = Bytes::from(body.clone());
        let items = run(opener, vec![Ok(held.clone())]).await;
        assert_eq!(released(&items), plain);
        assert_eq!(held, body);
    }

    #[tokio::test]
    async fn a_bad_chunk_ends_the_stream_after_the_authentic_ones() {
        let plain = sample(4 * N + 9);
        for len in [N, 3 * N, 16 * N] {
            let (opener, mut body) = sealed(&plain);
            body[2 * N + 300] ^= 1;
            let items = run(opener, pieces(&body, len)).await;
            assert!(
                matches!(
                    items.last(),
                    Some(Err(AppError::Crypto(CryptoError::Decrypt)))
                ),
                "the error comes last, nothing after it"
            );
            assert_eq!(items.iter().filter(|i| i.is_err()).count(), 1);
            assert_eq!(released(&items), plain[..2 * N], "pieces of {len}");
        }
    }

    #[tokio::test]
    async fn short_long_and_failing_bodies_are_errors() {
        let plain = sample(2 * N + 5);
        let (opener, body) = sealed(&plain);
        let items = run(opener, pieces(&body[..body.len() - 2], N)).await;
        assert!(matches!(items.last(), Some(Err(AppError::Crypto(_)))));
        assert_eq!(released(&items), plain[..2 * N]);

        let (opener, mut body) = sealed(&plain);
        body.extend_from_slice(b"more");
        let items = run(opener, pieces(&body, N)).await;
        assert!(matches!(items.last(), Some(Err(AppError::Crypto(_)))));
        assert!(plain.starts_with(&released(&items)));

        let (opener, body) = sealed(&plain);
        let mut input = pieces(&body[..N], N);
        input.push(Err(BlobError::Backend("read photos/ph_test: gone".into())));
        input.extend(pieces(&body[N..], N));
        let items = run(opener, input).await;
        assert!(matches!(items.last(), Some(Err(AppError::Blob(_)))));
        assert_eq!(items.iter().filter(|i| i.is_err()).count(), 1);
        assert!(plain[..N].starts_with(&released(&items)));
    }

    #[tokio::test]
    async fn sealed_parts_are_located_from_the_blob_header() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = BlobStore::local(dir.path().join("blobs")).unwrap();
        let key = DataKey::generate().unwrap();
        let blob = BlobId::parse("ph_test").unwrap();
        let aad = Aad::new(TABLE, "content", "ph_test");
        for len in [0, 5, N, 3 * N + 5] {
            let plain = sample(len);
            let sealed = key.seal_blob(aad, &plain).unwrap();
            let sealed = vial_blob::SealedBlob::new(sealed).unwrap();
            blobs.put(BlobKind::Photo, &blob, sealed).await.unwrap();
            let parts = fetch_sealed(&blobs, BlobKind::Photo, &blob).await.unwrap();
            let (header, tags) = (&parts.header, &parts.tags);
            let opener = key
                .blob_opener(aad, &header.bytes, header.size, &tags.bytes)
                .unwrap();
            let items = PhotoStream::new("ph_test".into(), opener, parts.body.boxed())
                .collect::<Vec<_>>()
                .await;
            assert_eq!(released(&items), plain, "{len} bytes");
            assert!(items.iter().all(Result::is_ok));
        }
        let absent = BlobId::parse("ph_absent").unwrap();
        assert!(matches!(
            fetch_sealed(&blobs, BlobKind::Photo, &absent).await,
            Err(AppError::Blob(vial_blob::BlobError::NotFound(_)))
        ));
    }

    #[tokio::test]
    async fn prefilled_chunks_are_held_and_then_handed_out_first_in_order() {
        let plain = sample(5 * N + 3);
        for (limit, piece) in [(2 * N, N), (2 * N + 1, 2 * N), (100 * N, N), (0, N)] {
            let (opener, body) = sealed(&plain);
            let source = stream::iter(pieces(&body, piece)).boxed();
            let mut stream = PhotoStream::new("ph_test".into(), opener, source);
            stream.prefill(limit).await;
            let held = stream.held_bytes;
            assert!(
                held >= limit.min(plain.len()) && held <= limit + piece.max(N),
                "limit {limit}: held {held}"
            );
            let items = stream.collect::<Vec<_>>().await;
            assert!(items.iter().all(Result::is_ok));
            assert_eq!(released(&items), plain, "limit {limit}");
        }
    }

    #[tokio::test]
    async fn a_bad_chunk_met_while_prefilling_comes_after_the_authentic_ones() {
        let plain = sample(4 * N + 9);
        let (opener, mut body) = sealed(&plain);
        body[N + 7] ^= 1;
        let source = stream::iter(pieces(&body, 2 * N)).boxed();
        let mut stream = PhotoStream::new("ph_test".into(), opener, source);
        stream.prefill(4 * N).await;
        assert_eq!(stream.held_bytes, N, "only the authentic chunk is held");
        let items = stream.collect::<Vec<_>>().await;
        assert_eq!(released(&items), plain[..N]);
        assert!(matches!(
            items[..],
            [Ok(_), Err(AppError::Crypto(CryptoError::Decrypt))]
        ));
    }

    #[tokio::test]
    async fn an_empty_picture_is_authenticated_too() {
        let (opener, body) = sealed(&[]);
        assert!(body.is_empty());
        assert!(run(opener, Vec::new()).await.is_empty());
        // The same empty body under a trailer that does not belong to it.
        let key = DataKey::generate().unwrap();
        let aad = Aad::new(TABLE, "content", "ph_test");
        let mut sealed = key.seal_blob(aad, &[]).unwrap();
        let last = sealed.len() - 1;
        sealed[last] ^= 1;
        let tags = &sealed[BLOB_HEADER_LEN..];
        let opener = key
            .blob_opener(aad, &sealed, sealed.len() as u64, tags)
            .unwrap();
        let items = run(opener, Vec::new()).await;
        assert!(matches!(
            items[..],
            [Err(AppError::Crypto(CryptoError::Decrypt))]
        ));
    }
}

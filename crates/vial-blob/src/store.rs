//! [`BlobStore`]: put, get (streamed or whole, all of a blob or a byte range of it), head,
//! delete and list sealed blobs, over one `object_store` backend chosen at start-up.
//!
//! Ranged reads let a reader fetch a sealed blob's header and tag trailer before streaming its
//! body. Local files are streamed in [`FILE_READ_LEN`] pieces, each read on the blocking pool
//! while the consumer works on the previous one (`object_store`'s own local stream reads 8 KiB
//! at a time, one blocking-pool hop each); S3 bodies stream as the HTTP client receives them.
//!
//! Every operation names its object by [`BlobKind`] and [`BlobId`]; absent objects are
//! [`BlobError::NotFound`] on every backend, and deleting an absent object succeeds on every
//! backend. It must never accept unsealed bytes or build a key from anything but a validated id.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::SystemTime;

use bytes::Bytes;
use futures_util::stream::{self, BoxStream, Stream, StreamExt, TryStreamExt};
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{Certificate, ClientOptions};
use object_store::{
    GetOptions, GetRange, GetResultPayload, ObjectStore, ObjectStoreExt, PutPayload,
};
use secrecy::ExposeSecret;
use tokio::task::JoinHandle;

use crate::{BlobError, BlobId, BlobKind, S3Config, SealedBlob, local};

/// Sealed-blob storage over a local directory or an S3-compatible bucket. Cheap to clone.
#[derive(Clone)]
pub struct BlobStore {
    objects: Arc<dyn ObjectStore>,
    backend: Backend,
}

#[derive(Clone)]
enum Backend {
    Local {
        root: PathBuf,
    },
    S3 {
        bucket: String,
        region: String,
        /// The endpoint's host as configured (AWS's regional name when none is).
        host: String,
    },
}

/// What `head` reports about a stored blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobMeta {
    /// Size of the sealed blob in bytes.
    pub size: u64,
}

/// Bytes per read when streaming a local file: large enough that the blocking-pool hop per read
/// costs little, small enough to start sending at once, and a multiple of `vial-crypto`'s chunk
/// length so that a sealed body streamed from its start arrives in whole chunks.
pub const FILE_READ_LEN: usize = 16 * vial_crypto::BLOB_CHUNK_LEN;

/// A stored blob (or a byte range of it) as a stream of byte chunks, for sending or decrypting
/// it on without holding it whole. Chunks are sized by the backend: [`FILE_READ_LEN`] for local
/// files, as received for S3.
pub struct BlobStream {
    size: u64,
    range: Range<u64>,
    chunks: BoxStream<'static, Result<Bytes, BlobError>>,
}

impl BlobStream {
    /// Total size of the sealed blob in bytes (for a whole blob, e.g. its `Content-Length`).
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The byte range of the blob this stream delivers (`0..size` for a whole blob).
    pub fn range(&self) -> Range<u64> {
        self.range.clone()
    }
}

/// A stored blob as [`BlobStore::list_with_times`] reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedBlob {
    pub id: BlobId,
    /// When it was last written.
    pub modified: SystemTime,
}

/// A byte range read from a stored blob in one request, with the blob's total size (which a
/// reader of a sealed blob needs to locate its tag trailer). `Debug` shows lengths only.
#[derive(Clone)]
pub struct BlobRange {
    /// Total size of the stored blob.
    pub size: u64,
    /// The bytes read; shorter than asked where the range ran past the end.
    pub bytes: Bytes,
}

impl std::fmt::Debug for BlobRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobRange")
            .field("size", &self.size)
            .field("len", &self.bytes.len())
            .finish()
    }
}

impl Stream for BlobStream {
    type Item = Result<Bytes, BlobError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().chunks.poll_next_unpin(cx)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.chunks.size_hint()
    }
}

impl std::fmt::Debug for BlobStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobStream")
            .field("size", &self.size)
            .field("range", &self.range)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for BlobStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut out = f.debug_struct("BlobStore");
        match &self.backend {
            Backend::Local { root } => out.field("local", root),
            Backend::S3 { bucket, region, .. } => {
                out.field("s3_bucket", bucket).field("region", region)
            }
        };
        out.finish_non_exhaustive()
    }
}

impl BlobStore {
    /// Blobs as files under `dir` (`<dir>/photos/<id>`, `<dir>/thumbs/<id>`): creates `dir`
    /// and its folders with mode 0700 if missing and refuses them if group or others can
    /// access them. Stored files are mode 0600.
    pub fn local(dir: impl AsRef<Path>) -> Result<Self, BlobError> {
        let root = local::prepare(dir.as_ref())?;
        let objects = LocalFileSystem::new_with_prefix(&root)
            .map_err(|e| BlobError::Backend(format!("open blob directory: {e}")))?;
        Ok(Self {
            objects: Arc::new(objects),
            backend: Backend::Local { root },
        })
    }

    /// Blobs as objects in an S3-compatible bucket (`<bucket>/photos/<id>`, ...). Makes no
    /// request: an unreachable endpoint or wrong credentials show up on first use.
    pub fn s3(config: &S3Config) -> Result<Self, BlobError> {
        config.validate()?;
        // `validate` let plain http through only to this machine.
        let plain = config
            .endpoint
            .as_deref()
            .is_some_and(|e| e.starts_with("http://"));
        let mut client = ClientOptions::new().with_allow_http(plain);
        if let Some(pem) = &config.ca_pem {
            let certificates = Certificate::from_pem_bundle(pem)
                .ok()
                .filter(|c| !c.is_empty())
                .ok_or_else(|| BlobError::Config("--s3-ca: holds no PEM certificate".into()))?;
            for certificate in certificates {
                client = client.with_root_certificate(certificate);
            }
        }
        let mut builder = AmazonS3Builder::new()
            .with_region(&config.region)
            .with_bucket_name(&config.bucket)
            .with_access_key_id(&config.access_key_id)
            .with_secret_access_key(config.secret_access_key.expose_secret())
            .with_virtual_hosted_style_request(false)
            .with_client_options(client);
        if let Some(endpoint) = &config.endpoint {
            builder = builder.with_endpoint(endpoint);
        }
        let objects = builder
            .build()
            .map_err(|e| BlobError::Config(format!("S3 client: {e}")))?;
        Ok(Self {
            objects: Arc::new(objects),
            backend: Backend::S3 {
                bucket: config.bucket.clone(),
                region: config.region.clone(),
                host: config.endpoint_host(),
            },
        })
    }

    /// The S3 region blobs are stored in, for the residency check at start-up; `None` for
    /// the local directory (which lives wherever the server does).
    pub fn region(&self) -> Option<&str> {
        match &self.backend {
            Backend::Local { .. } => None,
            Backend::S3 { region, .. } => Some(region),
        }
    }

    /// The host blobs are sent to, as configured, for the egress gate; `None` for the local
    /// directory.
    pub fn host(&self) -> Option<&str> {
        match &self.backend {
            Backend::Local { .. } => None,
            Backend::S3 { host, .. } => Some(host),
        }
    }

    /// Stores `blob` under `kind`/`id`, replacing any blob already there.
    pub async fn put(
        &self,
        kind: BlobKind,
        id: &BlobId,
        blob: SealedBlob,
    ) -> Result<(), BlobError> {
        let key = kind.key(id);
        let location = object_path(kind, id);
        self.objects
            .put(&location, PutPayload::from_bytes(blob.into_bytes()))
            .await
            .map_err(|e| backend_error("put", &key, e))?;
        if let Backend::Local { root } = &self.backend {
            let path = root.join(kind.prefix()).join(id.as_str());
            let fixed = tokio::task::spawn_blocking(move || local::restrict_and_sync(&path))
                .await
                .map_err(|e| BlobError::Backend(format!("put {key}: {e}")))
                .and_then(|r| r.map_err(|e| BlobError::Backend(format!("put {key}: {e}"))));
            if let Err(e) = fixed {
                // Fail closed: never leave a file we could not restrict to its owner.
                let _ = self.objects.delete(&location).await;
                return Err(e);
            }
        }
        Ok(())
    }

    /// Opens the blob under `kind`/`id` as a stream of chunks. [`BlobError::NotFound`] is
    /// returned here, before any chunk, when it is absent.
    pub async fn get(&self, kind: BlobKind, id: &BlobId) -> Result<BlobStream, BlobError> {
        self.stream(kind, id, GetOptions::default()).await
    }

    /// Opens bytes `range` of the blob under `kind`/`id` as a stream of chunks (one request; a
    /// range running past the end is cut at it). [`BlobError::NotFound`] is returned here,
    /// before any chunk, when the blob is absent. An empty range makes no request: it is an
    /// empty stream whose [`BlobStream::size`] is unknown and reported as 0.
    pub async fn get_stream_range(
        &self,
        kind: BlobKind,
        id: &BlobId,
        range: Range<u64>,
    ) -> Result<BlobStream, BlobError> {
        if range.is_empty() {
            return Ok(BlobStream {
                size: 0,
                range: range.start..range.start,
                chunks: stream::empty::<Result<Bytes, BlobError>>().boxed(),
            });
        }
        let options = GetOptions {
            range: Some(GetRange::Bounded(range)),
            ..GetOptions::default()
        };
        self.stream(kind, id, options).await
    }

    /// Reads bytes `range` of the blob under `kind`/`id` in one request, with the blob's total
    /// size; a range running past the end is cut at it, one starting at or past the end (or
    /// empty) is an error. Meant for small parts, such as a sealed blob's header and tags.
    pub async fn get_range(
        &self,
        kind: BlobKind,
        id: &BlobId,
        range: Range<u64>,
    ) -> Result<BlobRange, BlobError> {
        let key = kind.key(id);
        let result = self
            .objects
            .get_opts(
                &object_path(kind, id),
                GetOptions {
                    range: Some(GetRange::Bounded(range)),
                    ..GetOptions::default()
                },
            )
            .await
            .map_err(|e| backend_error("get", &key, e))?;
        let size = result.meta.size;
        let bytes = result
            .bytes()
            .await
            .map_err(|e| backend_error("read", &key, e))?;
        Ok(BlobRange { size, bytes })
    }

    async fn stream(
        &self,
        kind: BlobKind,
        id: &BlobId,
        options: GetOptions,
    ) -> Result<BlobStream, BlobError> {
        let key = kind.key(id);
        let result = self
            .objects
            .get_opts(&object_path(kind, id), options)
            .await
            .map_err(|e| backend_error("get", &key, e))?;
        let (size, range) = (result.meta.size, result.range.clone());
        let chunks = match result.payload {
            GetResultPayload::File(file, _) => file_stream(file, range.clone(), key),
            GetResultPayload::Stream(chunks) => chunks
                .map_err(move |e| backend_error("read", &key, e))
                .boxed(),
        };
        Ok(BlobStream {
            size,
            range,
            chunks,
        })
    }

    /// Reads the whole blob under `kind`/`id`; refuses stored bytes that are not a sealed blob.
    pub async fn get_bytes(&self, kind: BlobKind, id: &BlobId) -> Result<SealedBlob, BlobError> {
        let key = kind.key(id);
        let bytes = self
            .objects
            .get(&object_path(kind, id))
            .await
            .map_err(|e| backend_error("get", &key, e))?
            .bytes()
            .await
            .map_err(|e| backend_error("read", &key, e))?;
        SealedBlob::new(bytes)
    }

    /// Size of the blob under `kind`/`id`.
    pub async fn head(&self, kind: BlobKind, id: &BlobId) -> Result<BlobMeta, BlobError> {
        let key = kind.key(id);
        let meta = self
            .objects
            .head(&object_path(kind, id))
            .await
            .map_err(|e| backend_error("head", &key, e))?;
        Ok(BlobMeta { size: meta.size })
    }

    /// Whether a blob is stored under `kind`/`id`.
    pub async fn exists(&self, kind: BlobKind, id: &BlobId) -> Result<bool, BlobError> {
        match self.head(kind, id).await {
            Ok(_) => Ok(true),
            Err(BlobError::NotFound(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Deletes the blob under `kind`/`id`; deleting an absent blob succeeds.
    pub async fn delete(&self, kind: BlobKind, id: &BlobId) -> Result<(), BlobError> {
        let key = kind.key(id);
        match self.objects.delete(&object_path(kind, id)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(backend_error("delete", &key, e)),
        }
    }

    /// Every id stored under `kind`, sorted; objects whose names are not opaque ids (left by
    /// something else) are skipped.
    pub async fn list(&self, kind: BlobKind) -> Result<Vec<BlobId>, BlobError> {
        Ok(self
            .list_with_times(kind)
            .await?
            .into_iter()
            .map(|listed| listed.id)
            .collect())
    }

    /// Like [`BlobStore::list`], with when each blob was last written (as the backend's clock
    /// saw it). Meant for maintenance such as sweeping orphans.
    pub async fn list_with_times(&self, kind: BlobKind) -> Result<Vec<ListedBlob>, BlobError> {
        let prefix = ObjectPath::from(kind.prefix());
        let metas: Vec<_> = self
            .objects
            .list(Some(&prefix))
            .try_collect()
            .await
            .map_err(|e| backend_error("list", kind.prefix(), e))?;
        let mut listed: Vec<ListedBlob> = metas
            .into_iter()
            .filter(|meta| meta.location.parts().count() == 2)
            .filter_map(|meta| {
                let id = BlobId::parse(meta.location.filename()?).ok()?;
                Some(ListedBlob {
                    id,
                    modified: SystemTime::from(meta.last_modified),
                })
            })
            .collect();
        listed.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(listed)
    }
}

/// Streams `range` of an open local file in [`FILE_READ_LEN`] pieces, reading each on the
/// blocking pool while the consumer handles the one before (one read ahead, so reading and
/// whatever the consumer does overlap on two cores, and a slow consumer holds no thread).
/// Pieces are read into fresh buffers without zero-filling them first.
fn file_stream(
    file: File,
    range: Range<u64>,
    key: String,
) -> BoxStream<'static, Result<Bytes, BlobError>> {
    struct ReadAhead {
        next: Option<PieceRead>,
        remaining: u64,
        key: String,
    }
    let remaining = range.end.saturating_sub(range.start);
    let first = (remaining > 0).then(|| read_piece(file, Some(range.start), remaining));
    let state = ReadAhead {
        next: first,
        remaining,
        key,
    };
    stream::try_unfold(state, |mut state| async move {
        let Some(next) = state.next.take() else {
            return Ok(None);
        };
        let failed =
            |e: &dyn std::fmt::Display| BlobError::Backend(format!("read {}: {e}", state.key));
        let (file, piece) = next
            .await
            .map_err(|e| failed(&e))?
            .map_err(|e| failed(&e))?;
        if piece.is_empty() {
            return Err(failed(&"the file ended before its size"));
        }
        state.remaining = state.remaining.saturating_sub(piece.len() as u64);
        if state.remaining > 0 {
            state.next = Some(read_piece(file, None, state.remaining));
        }
        Ok(Some((Bytes::from(piece), state)))
    })
    .boxed()
}

/// A piece being read on the blocking pool: the file (to read on from) and the bytes.
type PieceRead = JoinHandle<std::io::Result<(File, Vec<u8>)>>;

/// Reads up to [`FILE_READ_LEN`] (and at most `remaining`) bytes from `file`'s position (after
/// seeking to `seek`, if given) on the blocking pool.
fn read_piece(mut file: File, seek: Option<u64>, remaining: u64) -> PieceRead {
    let len = remaining.min(FILE_READ_LEN as u64);
    tokio::task::spawn_blocking(move || {
        if let Some(at) = seek {
            file.seek(SeekFrom::Start(at))?;
        }
        // `read_to_end` reads into the spare capacity as it is: no zero-fill pass.
        let mut piece = Vec::with_capacity(usize::try_from(len).unwrap_or(FILE_READ_LEN));
        (&mut file).take(len).read_to_end(&mut piece)?;
        Ok((file, piece))
    })
}

fn object_path(kind: BlobKind, id: &BlobId) -> ObjectPath {
    // Both parts are `[a-z0-9_]+`, so no encoding or normalization can change them.
    ObjectPath::from_iter([kind.prefix(), id.as_str()])
}

fn backend_error(op: &str, key: &str, error: object_store::Error) -> BlobError {
    match error {
        object_store::Error::NotFound { .. } => BlobError::NotFound(key.to_owned()),
        other => BlobError::Backend(format!("{op} {key}: {other}")),
    }
}

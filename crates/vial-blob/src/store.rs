//! [`BlobStore`]: put, get (streamed or whole), head, delete and list sealed blobs, over one
//! `object_store` backend chosen at start-up.
//!
//! Every operation names its object by [`BlobKind`] and [`BlobId`]; absent objects are
//! [`BlobError::NotFound`] on every backend, and deleting an absent object succeeds on every
//! backend. It must never accept unsealed bytes or build a key from anything but a validated id.

use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::stream::{BoxStream, Stream, StreamExt, TryStreamExt};
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use secrecy::ExposeSecret;

use crate::{BlobError, BlobId, BlobKind, S3Config, SealedBlob, local};

/// Sealed-blob storage over a local directory or an S3-compatible bucket. Cheap to clone.
#[derive(Clone)]
pub struct BlobStore {
    objects: Arc<dyn ObjectStore>,
    backend: Backend,
}

#[derive(Clone)]
enum Backend {
    Local { root: PathBuf },
    S3 { bucket: String, region: String },
}

/// What `head` reports about a stored blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobMeta {
    /// Size of the sealed blob in bytes.
    pub size: u64,
}

/// A stored blob as a stream of byte chunks, for sending it on (e.g. as an HTTP body) without
/// holding it whole. Chunks are sized by the backend.
pub struct BlobStream {
    size: u64,
    chunks: BoxStream<'static, Result<Bytes, BlobError>>,
}

impl BlobStream {
    /// Total size of the sealed blob in bytes (e.g. for `Content-Length`).
    pub fn size(&self) -> u64 {
        self.size
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
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for BlobStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut out = f.debug_struct("BlobStore");
        match &self.backend {
            Backend::Local { root } => out.field("local", root),
            Backend::S3 { bucket, region } => {
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
        let mut builder = AmazonS3Builder::new()
            .with_region(&config.region)
            .with_bucket_name(&config.bucket)
            .with_access_key_id(&config.access_key_id)
            .with_secret_access_key(config.secret_access_key.expose_secret())
            .with_virtual_hosted_style_request(false)
            .with_allow_http(config.allow_http);
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
        let key = kind.key(id);
        let result = self
            .objects
            .get(&object_path(kind, id))
            .await
            .map_err(|e| backend_error("get", &key, e))?;
        let size = result.meta.size;
        let chunks = result
            .into_stream()
            .map_err(move |e| backend_error("read", &key, e))
            .boxed();
        Ok(BlobStream { size, chunks })
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
    /// something else) are skipped. Meant for maintenance such as sweeping orphans.
    pub async fn list(&self, kind: BlobKind) -> Result<Vec<BlobId>, BlobError> {
        let prefix = ObjectPath::from(kind.prefix());
        let metas: Vec<_> = self
            .objects
            .list(Some(&prefix))
            .try_collect()
            .await
            .map_err(|e| backend_error("list", kind.prefix(), e))?;
        let mut ids: Vec<BlobId> = metas
            .iter()
            .filter(|meta| meta.location.parts().count() == 2)
            .filter_map(|meta| meta.location.filename())
            .filter_map(|name| BlobId::parse(name).ok())
            .collect();
        ids.sort();
        Ok(ids)
    }
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

//! The behaviour every blob backend must show, written once and run by `tests/local.rs` and
//! `tests/s3.rs`: round trips of real sealed photos (whole and streamed, up to 8 MB), absent
//! ids, deletion, refusal of plaintext and of non-opaque ids, ranged reads (a sealed blob's
//! header and tags, then its body streamed and opened chunk by chunk), and — read back raw from the
//! backend, around the store — stored bytes that hold no JPEG signature and no run of the
//! plaintext.

use bytes::Bytes;
use futures_util::TryStreamExt;
use vial_blob::{BlobError, BlobId, BlobKind, BlobStore, SealedBlob};
use vial_crypto::{Aad, BlobLayout, DataKey};

const JPEG_SOI: [u8; 3] = [0xFF, 0xD8, 0xFF];
const JFIF_HEADER: [u8; 11] = [
    0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0,
];
const NAME: &[u8] = b"Jane Doe 1980-04-12 glabella 20u";

/// Runs the whole scenario. `raw` reads an object's stored bytes by key (`photos/<id>`)
/// straight from the backend, bypassing [`BlobStore`].
pub async fn run<R>(store: &BlobStore, raw: R)
where
    R: AsyncFn(&str) -> Vec<u8>,
{
    round_trip(store, &raw).await;
    kinds_are_separate_folders(store).await;
    absent_ids_are_not_found(store).await;
    overwrite_and_delete(store).await;
    refuses_plaintext();
    refuses_non_opaque_ids();
    eight_megabytes(store, &raw).await;
    ranged_reads(store).await;
}

/// A JPEG-looking plaintext of `len` bytes: the SOI/APP0 header, then noise with a patient's
/// name every few KiB (the "run of plaintext" the stored bytes must not contain).
pub fn fake_jpeg(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    let mut out: Vec<u8> = (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state.to_le_bytes()[0]
        })
        .collect();
    let head = JFIF_HEADER.len().min(len);
    out[..head].copy_from_slice(&JFIF_HEADER[..head]);
    let mut at = 4096;
    while at + NAME.len() <= len {
        out[at..at + NAME.len()].copy_from_slice(NAME);
        at += 4096;
    }
    out
}

/// Seals `plain` like `vial-app` does for a photo's content.
pub fn seal(dek: &DataKey, id: &BlobId, plain: &[u8]) -> SealedBlob {
    let sealed = dek
        .seal_blob(Aad::new("photos", "content", id.as_str()), plain)
        .expect("seal");
    SealedBlob::new(sealed).expect("a sealed blob is accepted")
}

pub fn open(dek: &DataKey, id: &BlobId, sealed: &[u8]) -> Vec<u8> {
    dek.open_blob(Aad::new("photos", "content", id.as_str()), sealed)
        .expect("open")
        .to_vec()
}

pub fn id(s: &str) -> BlobId {
    BlobId::parse(s).expect("valid id")
}

/// Asserts that `stored` (raw bytes from the backend) reveals nothing of `plain`.
pub fn assert_opaque(stored: &[u8], plain: &[u8]) {
    // Ciphertext is uniformly random, so the 3-byte SOI turns up by chance about once per
    // 16 MiB; what must never appear is a JPEG *start*: SOI at offset 0, or the whole header.
    assert!(
        !stored.starts_with(&JPEG_SOI),
        "stored bytes start like a JPEG"
    );
    assert!(
        !contains(stored, &JFIF_HEADER),
        "stored bytes contain the JPEG header"
    );
    assert!(!contains(stored, NAME), "stored bytes contain the name");
    // Sample 32-byte runs of the plaintext across its length.
    let step = (plain.len() / 8).max(1);
    for start in (0..plain.len().saturating_sub(32)).step_by(step) {
        assert!(
            !contains(stored, &plain[start..start + 32]),
            "stored bytes contain plaintext at offset {start}"
        );
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

async fn collect_stream(store: &BlobStore, kind: BlobKind, id: &BlobId) -> (u64, Vec<Vec<u8>>) {
    let stream = store.get(kind, id).await.expect("get");
    let size = stream.size();
    let chunks: Vec<Vec<u8>> = stream
        .map_ok(|b| b.to_vec())
        .try_collect()
        .await
        .expect("read stream");
    (size, chunks)
}

async fn round_trip<R: AsyncFn(&str) -> Vec<u8>>(store: &BlobStore, raw: &R) {
    let dek = DataKey::generate().expect("dek");
    let photo = id("ph_round_trip");
    let plain = fake_jpeg(300 * 1024 + 17, 1);
    let sealed = seal(&dek, &photo, &plain);

    store
        .put(BlobKind::Photo, &photo, sealed.clone())
        .await
        .expect("put");
    assert!(store.exists(BlobKind::Photo, &photo).await.expect("exists"));
    let meta = store.head(BlobKind::Photo, &photo).await.expect("head");
    assert_eq!(meta.size, sealed.len() as u64);

    let whole = store
        .get_bytes(BlobKind::Photo, &photo)
        .await
        .expect("get_bytes");
    assert_eq!(whole, sealed);
    assert_eq!(open(&dek, &photo, whole.as_bytes()), plain);

    let (size, chunks) = collect_stream(store, BlobKind::Photo, &photo).await;
    assert_eq!(size, sealed.len() as u64);
    assert_eq!(chunks.concat(), sealed.as_bytes());

    let stored = raw("photos/ph_round_trip").await;
    assert_eq!(
        stored,
        sealed.as_bytes(),
        "the backend holds the sealed bytes"
    );
    assert_opaque(&stored, &plain);

    assert!(
        store
            .list(BlobKind::Photo)
            .await
            .expect("list")
            .contains(&photo)
    );
    // Listed with when it was written (the backend's clock: this machine's, give or take).
    let listed = store
        .list_with_times(BlobKind::Photo)
        .await
        .expect("list with times");
    let written = listed
        .iter()
        .find(|l| l.id == photo)
        .expect("listed")
        .modified;
    let now = std::time::SystemTime::now();
    let skew = std::time::Duration::from_secs(600);
    assert!(written > now - skew && written < now + skew);
    assert!(
        !store
            .list_with_times(BlobKind::Thumbnail)
            .await
            .expect("list thumbnails")
            .iter()
            .any(|l| l.id == photo)
    );
    store.delete(BlobKind::Photo, &photo).await.expect("delete");
}

async fn kinds_are_separate_folders(store: &BlobStore) {
    let dek = DataKey::generate().expect("dek");
    let shared = id("ph_kinds");
    let photo = seal(&dek, &shared, &fake_jpeg(5000, 2));
    let thumb = seal(&dek, &shared, &fake_jpeg(700, 3));
    store
        .put(BlobKind::Photo, &shared, photo.clone())
        .await
        .expect("put photo");
    assert!(matches!(
        store.get(BlobKind::Thumbnail, &shared).await,
        Err(BlobError::NotFound(_))
    ));
    store
        .put(BlobKind::Thumbnail, &shared, thumb.clone())
        .await
        .expect("put thumb");
    let got_photo = store
        .get_bytes(BlobKind::Photo, &shared)
        .await
        .expect("photo");
    let got_thumb = store
        .get_bytes(BlobKind::Thumbnail, &shared)
        .await
        .expect("thumb");
    assert_eq!((got_photo, got_thumb), (photo, thumb));
    assert_eq!(
        store.list(BlobKind::Thumbnail).await.expect("list"),
        vec![shared.clone()]
    );
    for kind in BlobKind::ALL {
        store.delete(kind, &shared).await.expect("delete");
    }
}

async fn absent_ids_are_not_found(store: &BlobStore) {
    let absent = id("ph_never_stored");
    for kind in BlobKind::ALL {
        assert!(matches!(
            store.get(kind, &absent).await,
            Err(BlobError::NotFound(_))
        ));
        assert!(matches!(
            store.get_bytes(kind, &absent).await,
            Err(BlobError::NotFound(_))
        ));
        assert!(matches!(
            store.head(kind, &absent).await,
            Err(BlobError::NotFound(_))
        ));
        assert!(!store.exists(kind, &absent).await.expect("exists"));
        assert!(!store.list(kind).await.expect("list").contains(&absent));
    }
}

async fn overwrite_and_delete(store: &BlobStore) {
    let dek = DataKey::generate().expect("dek");
    let photo = id("ph_overwrite");
    let first = seal(&dek, &photo, &fake_jpeg(10_000, 4));
    let second = seal(&dek, &photo, &fake_jpeg(20_000, 5));
    store
        .put(BlobKind::Photo, &photo, first)
        .await
        .expect("put");
    store
        .put(BlobKind::Photo, &photo, second.clone())
        .await
        .expect("put again");
    assert_eq!(
        store.get_bytes(BlobKind::Photo, &photo).await.expect("get"),
        second
    );

    store.delete(BlobKind::Photo, &photo).await.expect("delete");
    assert!(matches!(
        store.get(BlobKind::Photo, &photo).await,
        Err(BlobError::NotFound(_))
    ));
    assert!(!store.exists(BlobKind::Photo, &photo).await.expect("exists"));
    assert!(
        !store
            .list(BlobKind::Photo)
            .await
            .expect("list")
            .contains(&photo)
    );
    store
        .delete(BlobKind::Photo, &photo)
        .await
        .expect("deleting an absent blob succeeds");
}

fn refuses_plaintext() {
    for plain in [fake_jpeg(50_000, 6), fake_jpeg(3, 7), Vec::new()] {
        assert!(matches!(
            SealedBlob::new(plain),
            Err(BlobError::NotSealed(_))
        ));
    }
}

fn refuses_non_opaque_ids() {
    for bad in ["../x", "Jane_Doe.jpg", "", "PH_ABC", "photos/ph_1", "ph 1"] {
        assert!(
            matches!(BlobId::parse(bad), Err(BlobError::InvalidId(_))),
            "{bad:?} was accepted"
        );
    }
}

async fn eight_megabytes<R: AsyncFn(&str) -> Vec<u8>>(store: &BlobStore, raw: &R) {
    let dek = DataKey::generate().expect("dek");
    let photo = id("ph_eight_mb");
    let plain = fake_jpeg(8 * 1024 * 1024, 8);
    let sealed = seal(&dek, &photo, &plain);
    store
        .put(BlobKind::Photo, &photo, sealed.clone())
        .await
        .expect("put 8 MB");

    let (size, chunks) = collect_stream(store, BlobKind::Photo, &photo).await;
    assert_eq!(size, sealed.len() as u64);
    assert!(chunks.len() > 1, "8 MB arrived in one chunk: not streamed");
    let joined = chunks.concat();
    assert_eq!(joined, sealed.as_bytes());
    assert_eq!(open(&dek, &photo, &joined), plain);

    let stored = raw("photos/ph_eight_mb").await;
    assert_eq!(stored.len(), sealed.len());
    assert_opaque(&stored, &plain);

    store.delete(BlobKind::Photo, &photo).await.expect("delete");
}

/// What a streaming reader of a sealed blob does: the header (with the blob's size), then the
/// tag trailer, then the body as a stream, opened chunk by chunk. Also: ranges cut at the end,
/// refused past it, empty, and on absent blobs.
async fn ranged_reads(store: &BlobStore) {
    let dek = DataKey::generate().expect("dek");
    let photo = id("ph_ranged");
    let plain = fake_jpeg(3 * 1024 * 1024 + 12_345, 11);
    let sealed = seal(&dek, &photo, &plain);
    let bytes = sealed.as_bytes().to_vec();
    let total = bytes.len() as u64;
    store
        .put(BlobKind::Photo, &photo, sealed)
        .await
        .expect("put");

    let header = store
        .get_range(BlobKind::Photo, &photo, BlobLayout::HEADER)
        .await
        .expect("header");
    assert_eq!(header.size, total);
    assert_eq!(header.bytes, bytes[..vial_crypto::BLOB_HEADER_LEN]);
    let layout = BlobLayout::parse(&header.bytes, header.size).expect("layout");
    let tags = store
        .get_range(BlobKind::Photo, &photo, layout.tags_range())
        .await
        .expect("tags");
    assert_eq!(tags.bytes, bytes[layout.tags_range().start as usize..]);
    let aad = Aad::new("photos", "content", photo.as_str());
    let opener = dek
        .blob_opener(aad, &header.bytes, header.size, &tags.bytes)
        .expect("opener");

    let body = store
        .get_stream_range(BlobKind::Photo, &photo, layout.body_range())
        .await
        .expect("body");
    assert_eq!((body.size(), body.range()), (total, layout.body_range()));
    let pieces: Vec<Vec<u8>> = body
        .map_ok(|b| b.to_vec())
        .try_collect()
        .await
        .expect("read body");
    assert!(pieces.len() > 1, "3 MB arrived in one piece: not streamed");
    let mut joined = pieces.concat();
    assert_eq!(joined.len() as u64, layout.plain_len());
    let n = layout.chunk_len();
    for (index, chunk) in joined.chunks_mut(n).enumerate() {
        opener
            .open_chunk_in_place(index, chunk)
            .expect("chunk opens");
    }
    assert_eq!(joined, plain);

    // A range running past the end is cut there; one starting past it is refused.
    let tail = store
        .get_range(BlobKind::Photo, &photo, total - 10..total + 100)
        .await
        .expect("tail");
    assert_eq!(tail.bytes, bytes[bytes.len() - 10..]);
    let cut: Vec<u8> = store
        .get_stream_range(BlobKind::Photo, &photo, total - 7..total + 5)
        .await
        .expect("cut stream")
        .map_ok(|b| b.to_vec())
        .try_concat()
        .await
        .expect("read cut stream");
    assert_eq!(cut, bytes[bytes.len() - 7..]);
    assert!(
        store
            .get_range(BlobKind::Photo, &photo, total + 1..total + 2)
            .await
            .is_err()
    );
    let empty: Vec<Bytes> = store
        .get_stream_range(BlobKind::Photo, &photo, 5..5)
        .await
        .expect("empty range")
        .try_collect()
        .await
        .expect("empty stream");
    assert!(empty.is_empty());

    let absent = id("ph_ranged_absent");
    assert!(matches!(
        store.get_range(BlobKind::Photo, &absent, 0..10).await,
        Err(BlobError::NotFound(_))
    ));
    assert!(matches!(
        store
            .get_stream_range(BlobKind::Photo, &absent, 0..10)
            .await,
        Err(BlobError::NotFound(_))
    ));
    store.delete(BlobKind::Photo, &photo).await.expect("delete");
}

//! The shared blob scenario on the local directory backend, plus what only it has: private
//! folders and files (0700/0600) named by opaque id only.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod scenario;

use std::collections::BTreeSet;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::Path;

use vial_blob::{BlobError, BlobKind, BlobStore};
use vial_crypto::DataKey;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test]
async fn scenario_on_a_local_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("blobs");
    let store = BlobStore::local(&dir).unwrap();
    assert_eq!(store.region(), None);
    scenario::run(&store, async |key: &str| {
        std::fs::read(dir.join(key)).expect("raw read")
    })
    .await;
}

#[tokio::test]
async fn folders_are_0700_files_0600_and_named_by_id_only() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("nested").join("blobs");
    let store = BlobStore::local(&dir).unwrap();
    assert_eq!(mode(&dir), 0o700);

    let dek = DataKey::generate().unwrap();
    let ids = ["ph_a1", "ph_b2", "ph_c3"].map(scenario::id);
    for id in &ids {
        let plain = scenario::fake_jpeg(70_000, 9);
        store
            .put(BlobKind::Photo, id, scenario::seal(&dek, id, &plain))
            .await
            .unwrap();
        store
            .put(
                BlobKind::Thumbnail,
                id,
                scenario::seal(&dek, id, &plain[..5000]),
            )
            .await
            .unwrap();
    }

    let mut seen = BTreeSet::new();
    for kind in BlobKind::ALL {
        let folder = dir.join(kind.prefix());
        assert_eq!(mode(&folder), 0o700, "{}", folder.display());
        for entry in std::fs::read_dir(&folder).unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name().into_string().unwrap();
            assert!(entry.file_type().unwrap().is_file());
            assert_eq!(mode(&entry.path()), 0o600, "{name}");
            seen.insert(format!("{}/{name}", kind.prefix()));
        }
    }
    let expected: BTreeSet<String> = BlobKind::ALL
        .iter()
        .flat_map(|kind| ids.iter().map(move |id| kind.key(id)))
        .collect();
    assert_eq!(seen, expected, "only the opaque ids, no staging leftovers");
    let top: BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(top, BTreeSet::from(["photos".into(), "thumbs".into()]));
    assert_eq!(store.list(BlobKind::Photo).await.unwrap(), ids.to_vec());
}

#[test]
fn refuses_a_directory_others_can_enter() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("open");
    std::fs::DirBuilder::new().mode(0o755).create(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert!(matches!(
        BlobStore::local(&dir),
        Err(BlobError::Insecure(_))
    ));

    // A private root with a kind folder opened up is refused too.
    let dir = tmp.path().join("private");
    BlobStore::local(&dir).unwrap();
    std::fs::set_permissions(dir.join("thumbs"), std::fs::Permissions::from_mode(0o750)).unwrap();
    assert!(matches!(
        BlobStore::local(&dir),
        Err(BlobError::Insecure(_))
    ));
}

#[test]
fn refuses_a_file_where_the_directory_should_be() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("blobs");
    std::fs::write(&file, b"x").unwrap();
    assert!(BlobStore::local(&file).is_err());
}

/// `object_store`'s own local stream reads 8 KiB per blocking-pool hop; the store reads local
/// files in `FILE_READ_LEN` pieces instead, so a sealed body streamed from its start arrives in
/// whole 64 KiB chunks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_files_stream_in_large_chunk_aligned_pieces() {
    use futures_util::TryStreamExt;
    let tmp = tempfile::tempdir().unwrap();
    let store = BlobStore::local(tmp.path().join("blobs")).unwrap();
    let dek = DataKey::generate().unwrap();
    let id = scenario::id("ph_pieces");
    let plain = scenario::fake_jpeg(5 * vial_blob::FILE_READ_LEN / 2 + 3, 12);
    let sealed = scenario::seal(&dek, &id, &plain);
    store
        .put(BlobKind::Photo, &id, sealed.clone())
        .await
        .unwrap();
    let layout = vial_crypto::BlobLayout::parse(sealed.as_bytes(), sealed.len() as u64).unwrap();
    let lens: Vec<usize> = store
        .get_stream_range(BlobKind::Photo, &id, layout.body_range())
        .await
        .unwrap()
        .map_ok(|piece| piece.len())
        .try_collect()
        .await
        .unwrap();
    let n = vial_blob::FILE_READ_LEN;
    assert_eq!(lens, vec![n, n, plain.len() - 2 * n]);
    assert_eq!(n % vial_crypto::BLOB_CHUNK_LEN, 0);
    let whole: Vec<usize> = store
        .get(BlobKind::Photo, &id)
        .await
        .unwrap()
        .map_ok(|piece| piece.len())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(whole.iter().sum::<usize>(), sealed.len());
    assert!(whole.iter().all(|&len| len <= n));
}

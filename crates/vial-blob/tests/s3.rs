//! The shared blob scenario against a real S3-compatible server: a Garage node started for the
//! test (see `vial_testkit::garage`), reached through `object_store`'s S3 client as in production.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use vial_testkit::garage;
mod scenario;

use std::time::{Duration, Instant};

use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt};
use secrecy::SecretString;
use vial_blob::{BlobError, BlobKind, BlobStore, S3Config};

use garage::Garage;

fn config(garage: &Garage, secret: &str) -> S3Config {
    S3Config {
        endpoint: Some(garage.s3_endpoint.clone()),
        region: garage::REGION.into(),
        bucket: garage::BUCKET.into(),
        access_key_id: garage.access_key_id.clone(),
        secret_access_key: SecretString::from(secret),
        ca_pem: None,
    }
}

/// A plain `object_store` client on the same bucket, to read what is stored around `BlobStore`.
fn raw_client(garage: &Garage) -> impl ObjectStore {
    AmazonS3Builder::new()
        .with_endpoint(&garage.s3_endpoint)
        .with_region(garage::REGION)
        .with_bucket_name(garage::BUCKET)
        .with_access_key_id(&garage.access_key_id)
        .with_secret_access_key(&garage.secret_access_key)
        .with_allow_http(true)
        .build()
        .unwrap()
}

/// Waits (bounded) until the freshly created bucket answers: a missing object is `NotFound`.
async fn wait_for_bucket(garage: &Garage, store: &BlobStore) {
    let probe = scenario::id("probe");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match store.exists(BlobKind::Photo, &probe).await {
            Ok(false) => return,
            other => assert!(
                Instant::now() < deadline,
                "the bucket did not become usable: {other:?}\n{}",
                garage.logs()
            ),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn scenario_on_garage_s3() {
    let Some(garage) = Garage::start() else {
        return;
    };
    let store = BlobStore::s3(&config(&garage, &garage.secret_access_key)).unwrap();
    assert_eq!(store.region(), Some(garage::REGION));
    wait_for_bucket(&garage, &store).await;

    let raw = raw_client(&garage);
    scenario::run(&store, async |key: &str| {
        raw.get(&ObjectPath::from(key))
            .await
            .expect("raw get")
            .bytes()
            .await
            .expect("raw body")
            .to_vec()
    })
    .await;

    // Object keys are `<kind>/<opaque id>`, nothing else.
    let dek = vial_crypto::DataKey::generate().unwrap();
    let id = scenario::id("ph_key_shape");
    let blob = scenario::seal(&dek, &id, &scenario::fake_jpeg(1000, 10));
    store.put(BlobKind::Thumbnail, &id, blob).await.unwrap();
    let keys: Vec<String> = futures_util::TryStreamExt::try_collect::<Vec<_>>(raw.list(None))
        .await
        .unwrap()
        .into_iter()
        .map(|meta| meta.location.to_string())
        .collect();
    assert_eq!(keys, vec!["thumbs/ph_key_shape".to_owned()]);
}

#[tokio::test]
async fn wrong_credentials_are_a_backend_error_not_absence() {
    let Some(garage) = Garage::start() else {
        return;
    };
    let good = BlobStore::s3(&config(&garage, &garage.secret_access_key)).unwrap();
    wait_for_bucket(&garage, &good).await;

    let wrong_secret = "0".repeat(64);
    let store = BlobStore::s3(&config(&garage, &wrong_secret)).unwrap();
    let id = scenario::id("ph_any");
    for result in [
        store.get(BlobKind::Photo, &id).await.map(|_| ()),
        store.head(BlobKind::Photo, &id).await.map(|_| ()),
    ] {
        match result {
            Err(BlobError::Backend(message)) => {
                assert!(!message.contains(&wrong_secret));
                assert!(!message.contains(&garage.secret_access_key));
            }
            other => panic!("expected a backend error, got {other:?}"),
        }
    }
    assert!(format!("{store:?}").contains("vial-test"));
    assert!(!format!("{store:?}").contains(&garage.secret_access_key));
}

#[test]
fn plain_http_to_a_remote_endpoint_is_refused() {
    let config = S3Config {
        endpoint: Some("http://s3.example.com".into()),
        region: "eu-central-1".into(),
        bucket: "photos".into(),
        access_key_id: "AKIA".into(),
        secret_access_key: SecretString::from("secret"),
        ca_pem: None,
    };
    assert!(matches!(BlobStore::s3(&config), Err(BlobError::Config(_))));
}

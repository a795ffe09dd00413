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

/// A TLS front (socat) before Garage, with the `s3.vial.test` certificate of
/// `.ci/tls-fixtures.sh`'s test CA; stopped on drop.
struct TlsFront {
    child: std::process::Child,
    port: u16,
}

impl TlsFront {
    /// `None` when the developer opted out with `VIAL_SKIP_TLS=1`.
    fn start(garage: &Garage) -> Option<(TlsFront, Vec<u8>, Vec<u8>)> {
        let var = |name: &str| std::env::var(name).ok();
        let (Some(cert), Some(key), Some(ca), Some(wrong_ca)) = (
            var("VIAL_TEST_S3_TLS_CERT"),
            var("VIAL_TEST_S3_TLS_KEY"),
            var("VIAL_TEST_TLS_CA"),
            var("VIAL_TEST_TLS_WRONG_CA"),
        ) else {
            if var("VIAL_SKIP_TLS").as_deref() == Some("1") {
                eprintln!("skipped: VIAL_SKIP_TLS=1");
                return None;
            }
            panic!(
                "the TLS fixtures are not set up: run `eval \"$(.ci/tls-fixtures.sh)\"` (as \
                 .ci/run does), or set VIAL_SKIP_TLS=1"
            );
        };
        let backend = garage.s3_endpoint.rsplit(':').next().unwrap().to_owned();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = std::process::Command::new("socat")
            .arg(format!(
                "OPENSSL-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork,cert={cert},key={key},verify=0"
            ))
            .arg(format!("TCP:127.0.0.1:{backend}"))
            .stdin(std::process::Stdio::null())
            .spawn()
            .expect("socat (apt-get install socat)");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "socat did not listen");
            std::thread::yield_now();
        }
        let read = |path: String| std::fs::read(path).unwrap();
        Some((TlsFront { child, port }, read(ca), read(wrong_ca)))
    }
}

impl Drop for TlsFront {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Object storage off this machine by name: https with the practice's CA works; without it, or
/// with another CA, the first request fails the handshake; plain http to it is refused before
/// any request.
#[tokio::test]
async fn s3_over_tls_needs_a_certificate_from_a_trusted_ca() {
    let Some(garage) = Garage::start() else {
        return;
    };
    let Some((front, ca, wrong_ca)) = TlsFront::start(&garage) else {
        return;
    };
    let over_tls = |ca_pem: Option<Vec<u8>>| S3Config {
        endpoint: Some(format!("https://s3.vial.test:{}", front.port)),
        ca_pem,
        ..config(&garage, &garage.secret_access_key)
    };
    let store = BlobStore::s3(&over_tls(Some(ca))).unwrap();
    wait_for_bucket(&garage, &store).await;
    let dek = vial_crypto::DataKey::generate().unwrap();
    let id = scenario::id("ph_over_tls");
    let blob = scenario::seal(&dek, &id, &scenario::fake_jpeg(2000, 20));
    store.put(BlobKind::Photo, &id, blob).await.unwrap();
    assert!(store.exists(BlobKind::Photo, &id).await.unwrap());

    for (ca_pem, what) in [(None, "no CA"), (Some(wrong_ca), "a wrong CA")] {
        let store = BlobStore::s3(&over_tls(ca_pem)).unwrap();
        match store.exists(BlobKind::Photo, &id).await {
            Err(BlobError::Backend(_)) => {}
            other => panic!("{what}: expected the handshake to fail, got {other:?}"),
        }
    }
    let plain = S3Config {
        endpoint: Some(format!("http://s3.vial.test:{}", front.port)),
        ..config(&garage, &garage.secret_access_key)
    };
    match BlobStore::s3(&plain) {
        Err(BlobError::Config(message)) => {
            assert!(
                message.contains("s3.vial.test is not this machine"),
                "{message}"
            );
        }
        other => panic!(
            "plain http by name: expected a refusal, got {:?}",
            other.err()
        ),
    }
}

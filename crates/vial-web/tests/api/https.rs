//! The real server over real TLS: headers, errors, protocol and cipher refusal, plaintext refusal,
//! graceful shutdown.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use vial_app::{DataDir, DatabaseChoice, SystemClock};
use vial_web::{ServeOptions, ServerHandle};

struct Running {
    _dir: tempfile::TempDir,
    addr: SocketAddr,
    handle: ServerHandle,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    client: reqwest::Client,
}

async fn spawn_server() -> Running {
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::new(dir.path().join("data"));
    data.init(&DatabaseChoice::Embedded, &SystemClock, |d| {
        vial_web::ensure_self_signed(&d.tls_dir())
            .map(|_| ())
            .map_err(|e| e.to_string())
    })
    .await
    .unwrap();
    let app = data
        .open(&DatabaseChoice::Embedded, Arc::new(SystemClock))
        .await
        .unwrap();
    let material = vial_web::TlsMaterial::in_dir(&data.tls_dir());
    let (tls, fingerprint) = vial_web::server_config(&material).unwrap();
    assert_eq!(
        fingerprint.len(),
        32 * 3 - 1,
        "SHA-256 as colon-separated hex"
    );
    let (handle, server) = vial_web::serve(
        app.app().clone(),
        ServeOptions {
            listen: "127.0.0.1:0".parse().unwrap(),
            tls,
            shutdown_grace: Duration::from_secs(5),
            login_rate: vial_web::LoginRateLimit::default(),
            transport: vial_web::TransportLimits::default(),
        },
    );
    let server = tokio::spawn(server);
    let addr = handle.listening().await.expect("server bound");
    let cert = reqwest::Certificate::from_pem(&std::fs::read(&material.cert).unwrap()).unwrap();
    let client = reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(cert)
        .build()
        .unwrap();
    Running {
        _dir: dir,
        addr,
        handle,
        server,
        client,
    }
}

const SECURITY_HEADERS: &[(&str, &str)] = &[
    ("cache-control", "no-store"),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    (
        "strict-transport-security",
        "max-age=63072000; includeSubDomains",
    ),
];

fn assert_secure_headers(response: &reqwest::Response) {
    for (name, value) in SECURITY_HEADERS {
        assert_eq!(response.headers()[*name], *value, "{name}");
    }
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
}

#[tokio::test]
async fn pages_and_errors_carry_the_security_headers() {
    let s = spawn_server().await;
    let base = format!("https://127.0.0.1:{}", s.addr.port());
    let index = s.client.get(format!("{base}/")).send().await.unwrap();
    assert_eq!(index.status(), 200);
    assert_secure_headers(&index);
    let health = s
        .client
        .get(format!("{base}/api/v1/health"))
        .send()
        .await
        .unwrap();
    assert_secure_headers(&health);
    assert_eq!(
        health.json::<serde_json::Value>().await.unwrap()["status"],
        "ok"
    );
    let missing = s
        .client
        .get(format!("{base}/api/v1/nothing-here"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert_secure_headers(&missing);
    let body: serde_json::Value = missing.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found");
    assert!(body["error"]["message"].as_str().unwrap().len() > 5);
}

#[tokio::test]
async fn the_openapi_document_describes_every_route() {
    let s = spawn_server().await;
    let r = s
        .client
        .get(format!(
            "https://127.0.0.1:{}/api/v1/openapi.json",
            s.addr.port()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let doc: serde_json::Value = r.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/api/v1/login", "post"),
        ("/api/v1/logout", "post"),
        ("/api/v1/me", "get"),
        ("/api/v1/me/sessions", "get"),
        ("/api/v1/me/sessions/{id}/end", "post"),
        ("/api/v1/me/access-log", "get"),
        ("/api/v1/users", "post"),
        ("/api/v1/users/{id}/sessions/end", "post"),
        ("/api/v1/users/{id}/disable", "post"),
        ("/api/v1/users/{id}/role", "post"),
        ("/api/v1/users/{id}/approve", "post"),
        ("/api/v1/approvals", "get"),
        ("/api/v1/patients", "post"),
        ("/api/v1/patients", "get"),
        ("/api/v1/patients/search", "post"),
        ("/api/v1/patients/{id}", "get"),
        ("/api/v1/patients/{id}/care-team", "post"),
        ("/api/v1/patients/{id}/break-glass", "post"),
        ("/api/v1/break-glass", "get"),
        ("/api/v1/audit", "get"),
        ("/api/v1/audit/export", "post"),
        ("/api/v1/keys/rotate", "post"),
        ("/api/v1/keys/status", "get"),
        ("/api/v1/users", "get"),
        ("/api/v1/users/{id}/sessions", "get"),
        ("/api/v1/users/{id}/sessions/{sid}/end", "post"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path}"
        );
    }
    assert!(doc["components"]["schemas"]["LoginBody"].is_object());
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
}

/// A minimal TLS ClientHello offering `version` and only `suites`.
fn client_hello(version: [u8; 2], suites: &[u16]) -> Vec<u8> {
    let mut ext = Vec::new();
    // supported_groups: x25519, secp256r1
    ext.extend_from_slice(&[0x00, 0x0a, 0x00, 0x06, 0x00, 0x04, 0x00, 0x1d, 0x00, 0x17]);
    // ec_point_formats: uncompressed
    ext.extend_from_slice(&[0x00, 0x0b, 0x00, 0x02, 0x01, 0x00]);
    // signature_algorithms: ecdsa_secp256r1_sha256, rsa_pss_rsae_sha256, rsa_pkcs1_sha256
    ext.extend_from_slice(&[
        0x00, 0x0d, 0x00, 0x08, 0x00, 0x06, 0x04, 0x03, 0x08, 0x04, 0x04, 0x01,
    ]);
    let mut body = Vec::new();
    body.extend_from_slice(&version);
    body.extend_from_slice(&[0x42; 32]); // random
    body.push(0); // no session id
    body.extend_from_slice(&((suites.len() * 2) as u16).to_be_bytes());
    for s in suites {
        body.extend_from_slice(&s.to_be_bytes());
    }
    body.extend_from_slice(&[1, 0]); // null compression only
    body.extend_from_slice(&(ext.len() as u16).to_be_bytes());
    body.extend_from_slice(&ext);
    let mut handshake = vec![0x01];
    handshake.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    handshake.extend_from_slice(&body);
    let mut record = vec![0x16, 0x03, 0x01];
    record.extend_from_slice(&(handshake.len() as u16).to_be_bytes());
    record.extend_from_slice(&handshake);
    record
}

/// The first byte the server answers with: 0x16 handshake (accepted), 0x15 alert, or None
/// when it closes the connection.
async fn first_reply_byte(addr: SocketAddr, bytes: &[u8]) -> Option<u8> {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(bytes).await.unwrap();
    let mut buf = [0u8; 1];
    match tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf)).await {
        Ok(Ok(1)) => Some(buf[0]),
        _ => None,
    }
}

const CBC_SUITES: &[u16] = &[
    0x002f, 0x0035, 0x003c, 0xc009, 0xc00a, 0xc013, 0xc014, 0xc023, 0xc027,
];
const AEAD_SUITE: u16 = 0xc02b; // ECDHE_ECDSA_WITH_AES_128_GCM_SHA256

#[tokio::test]
async fn old_protocols_and_cbc_suites_are_refused() {
    let s = spawn_server().await;
    // Control: a TLS 1.2 hello with an AEAD suite gets a ServerHello, so the refusals below
    // are refusals and not a broken probe.
    assert_eq!(
        first_reply_byte(s.addr, &client_hello([3, 3], &[AEAD_SUITE])).await,
        Some(0x16)
    );
    // TLS 1.1 and 1.0, even offering an AEAD suite.
    for version in [[3, 2], [3, 1]] {
        let reply = first_reply_byte(s.addr, &client_hello(version, &[AEAD_SUITE, 0x002f])).await;
        assert_ne!(
            reply,
            Some(0x16),
            "version {version:?} must not be negotiated"
        );
    }
    // TLS 1.2 offering only CBC suites.
    let reply = first_reply_byte(s.addr, &client_hello([3, 3], CBC_SUITES)).await;
    assert_ne!(reply, Some(0x16), "CBC-only hello must not be negotiated");
}

#[tokio::test]
async fn plain_http_gets_no_page() {
    let s = spawn_server().await;
    let mut stream = TcpStream::connect(s.addr).await.unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut reply = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut reply)).await;
    let text = String::from_utf8_lossy(&reply);
    assert!(!text.contains("HTTP/"), "plaintext answered: {text}");
    assert!(!text.contains("Vial"), "page served in plaintext");
}

#[tokio::test]
async fn graceful_shutdown_stops_the_server() {
    let s = spawn_server().await;
    s.handle.shutdown();
    s.server.await.unwrap().unwrap();
    assert!(TcpStream::connect(s.addr).await.is_err(), "listener closed");
}

/// The certificate generated when none is configured is valid for a year, kept while it has
/// more than 30 days left, and renewed at start-up after that (a matching key, still 0600).
#[test]
fn the_bootstrap_certificate_lasts_a_year_and_is_renewed_near_its_end() {
    use std::os::unix::fs::PermissionsExt;
    use time::macros::datetime;
    let dir = tempfile::tempdir().unwrap();
    let tls = dir.path().join("tls");
    let validity = |path: &std::path::Path| {
        let pem = std::fs::read(path).unwrap();
        let (_, pem) = x509_parser::pem::parse_x509_pem(&pem).unwrap();
        let cert = pem.parse_x509().unwrap();
        let validity = cert.validity();
        (
            validity.not_before.to_datetime(),
            validity.not_after.to_datetime(),
        )
    };
    let start = datetime!(2027-01-01 0:00 UTC);
    let material = vial_web::ensure_self_signed_at(&tls, start).unwrap();
    let (from, until) = validity(&material.cert);
    assert_eq!(from, start - time::Duration::days(1));
    assert_eq!(until, start + time::Duration::days(365));
    let first = std::fs::read(&material.cert).unwrap();

    vial_web::ensure_self_signed_at(&tls, start + time::Duration::days(300)).unwrap();
    assert_eq!(
        std::fs::read(&material.cert).unwrap(),
        first,
        "65 days left: kept"
    );

    let later = start + time::Duration::days(340);
    vial_web::ensure_self_signed_at(&tls, later).unwrap();
    assert_ne!(
        std::fs::read(&material.cert).unwrap(),
        first,
        "25 days left: renewed"
    );
    assert_eq!(
        validity(&material.cert).1,
        later + time::Duration::days(365)
    );
    let mode = std::fs::metadata(&material.key)
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    vial_web::server_config(&material).expect("the renewed key matches the renewed certificate");
    assert!(!tls.join("cert.pem.new").exists() && !tls.join("key.pem.new").exists());
}

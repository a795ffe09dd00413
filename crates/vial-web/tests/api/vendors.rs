//! The vendor registry over HTTP, on SQLite and PostgreSQL: admins only (every other role
//! refused, and recorded); adding and ending need re-authentication; bad input is refused
//! precisely and stores nothing; the signed BAA is stored sealed, only its SHA-256 shown.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use base64::Engine as _;
use serde_json::{Value, json};
use vial_app::Role;
use vial_testkit::both_backends;
use vial_testkit::server::spawn_app;

/// A marker that must never be found in clear in the database or the data directory.
const MARKER: &[u8] = b"BAA-MARKER-c0ffee-signed-by-Bucket-Co";

fn pdf() -> Vec<u8> {
    let mut doc = b"%PDF-1.7\n".to_vec();
    doc.extend_from_slice(MARKER);
    doc.extend_from_slice(b"\n%%EOF\n");
    doc
}

fn vendor(extra: Value) -> Value {
    let mut body = json!({
        "name": "Bucket Co", "service": "storage", "hosts": ["*.s3.example.com"],
        "region": "us-east-1", "baa_signed": "2026-01-01", "baa_expires": "2028-01-01",
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    body
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

async fn only_admins_keep_the_registry(pg: bool) {
    let s = spawn_app(pg).await;
    let admin = s.add_user("v.owner@example.com", Role::Admin, None).await;
    let admin_token = s.token(&admin).await;
    let mut others = Vec::new();
    for (email, role) in [
        ("v.np@example.com", Role::Provider),
        ("v.desk@example.com", Role::Staff),
    ] {
        let user = s.add_user(email, role, None).await;
        let token = s.token(&user).await;
        others.push((user, token));
    }
    for (user, token) in &others {
        assert_eq!(s.get("/api/v1/vendors", Some(token)).await.0, 403);
        let body = s.reauthenticated(user, vendor(json!({})));
        assert_eq!(s.post("/api/v1/vendors", Some(token), body).await.0, 403);
        let renew = json!({"baa_expires": "2029-01-01"});
        assert_eq!(
            s.post("/api/v1/vendors/x/renew", Some(token), renew)
                .await
                .0,
            403
        );
        let end = s.reauthenticated(user, json!({}));
        assert_eq!(
            s.post("/api/v1/vendors/x/end", Some(token), end).await.0,
            403
        );
    }

    // A wrong password, and each bad field, store nothing.
    let wrong = vendor(json!({"password": "not it", "totp": s.code(&admin)}));
    assert_eq!(
        s.post("/api/v1/vendors", Some(&admin_token), wrong).await.0,
        401
    );
    for (extra, field) in [
        (json!({"hosts": ["*.com"]}), "host:"),
        (json!({"hosts": ["localhost"]}), "host:"),
        (json!({"hosts": []}), "host:"),
        (json!({"service": "fax"}), "service:"),
        (json!({"region": "us east"}), "region:"),
        (json!({"baa_signed": "2026-13-01"}), "baa_signed:"),
        (json!({"baa_expires": "2025-12-31"}), "baa_expires:"),
        (json!({"name": "Bucket\u{202e}Co"}), "name:"),
        (json!({"baa_document_base64": "aGVsbG8="}), "baa_document:"),
        (
            json!({"baa_document_base64": "%%%"}),
            "baa_document_base64:",
        ),
    ] {
        s.next_step();
        let body = s.reauthenticated(&admin, vendor(extra.clone()));
        let (status, answer) = s.post("/api/v1/vendors", Some(&admin_token), body).await;
        assert_eq!(status, 422, "{extra}: {answer}");
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(message.starts_with(field), "{extra}: {message}");
    }
    let (status, list) = s.get("/api/v1/vendors", Some(&admin_token)).await;
    assert_eq!(status, 200);
    assert_eq!(list["vendors"], json!([]));

    s.next_step();
    let document = pdf();
    let encoded = base64::engine::general_purpose::STANDARD.encode(&document);
    let body = s.reauthenticated(&admin, vendor(json!({"baa_document_base64": encoded})));
    let (status, added) = s.post("/api/v1/vendors", Some(&admin_token), body).await;
    assert_eq!(status, 201, "{added}");
    let id = added["id"].as_str().unwrap().to_owned();
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &document);
    let hex: String = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(added["baa_sha256"], hex.as_str());
    assert_eq!(added["status"], "in_force");
    assert_eq!(added["hosts"], json!(["*.s3.example.com"]));

    // The PDF comes back as attached, to admins only; the reads are recorded.
    let url = format!("{}/api/v1/vendors/{id}/baa", s.base);
    let response = s
        .client
        .get(&url)
        .bearer_auth(&admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(
        response.bytes().await.unwrap().as_ref(),
        document.as_slice()
    );
    let response = s
        .client
        .get(&url)
        .bearer_auth(&others[0].1)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let (status, _) = s
        .get("/api/v1/vendors/vendor_none/baa", Some(&admin_token))
        .await;
    assert_eq!(status, 404);

    // Renewal checks its date; ending needs re-authentication and happens once.
    let path = format!("/api/v1/vendors/{id}/renew");
    let (status, _) = s
        .post(
            &path,
            Some(&admin_token),
            json!({"baa_expires": "2025-01-01"}),
        )
        .await;
    assert_eq!(status, 422);
    let (status, renewed) = s
        .post(
            &path,
            Some(&admin_token),
            json!({"baa_expires": "2029-06-30"}),
        )
        .await;
    assert_eq!(status, 200, "{renewed}");
    assert_eq!(renewed["baa_expires"], "2029-06-30");
    let (status, _) = s
        .post(
            "/api/v1/vendors/nope/renew",
            Some(&admin_token),
            json!({"baa_expires": "2029-06-30"}),
        )
        .await;
    assert_eq!(status, 404);
    let end = format!("/api/v1/vendors/{id}/end");
    let (status, _) = s
        .post(&end, Some(&admin_token), json!({"password": "not it"}))
        .await;
    assert_eq!(status, 401);
    s.next_step();
    let (status, ended) = s
        .post(
            &end,
            Some(&admin_token),
            s.reauthenticated(&admin, json!({})),
        )
        .await;
    assert_eq!(status, 200, "{ended}");
    assert_eq!(ended["status"], "ended");
    s.next_step();
    let (status, _) = s
        .post(
            &end,
            Some(&admin_token),
            s.reauthenticated(&admin, json!({})),
        )
        .await;
    assert_eq!(status, 409);
    let (status, _) = s
        .post(
            &path,
            Some(&admin_token),
            json!({"baa_expires": "2030-01-01"}),
        )
        .await;
    assert_eq!(status, 409);

    // Every decision is recorded: the refusals, the changes.
    let audit = s.audit().await;
    let count = |action: &str, outcome: &str| {
        audit
            .iter()
            .filter(|(a, o, _)| a == action && o == outcome)
            .count()
    };
    assert_eq!(count("vendor.list", "denied"), 2);
    assert!(count("vendor.add", "denied") >= 2, "{audit:?}");
    assert_eq!(count("vendor.add", "allowed"), 1);
    assert_eq!(count("vendor.renew", "allowed"), 1);
    assert_eq!(count("vendor.end", "allowed"), 1);
    assert_eq!(count("vendor.document.read", "allowed"), 2);
    assert_eq!(count("vendor.document.read", "denied"), 1);

    // The BAA is sealed where it is stored, and nothing of it is in clear on disk.
    let mut tx = s.app.store().begin_read().await.unwrap();
    let sealed = tx.vendor_document(&id).await.unwrap().unwrap();
    assert!(!contains(&sealed, MARKER) && !sealed.starts_with(b"%PDF"));
    drop(tx);
    if !pg {
        for entry in walk(&s.data_root) {
            let bytes = std::fs::read(&entry).unwrap();
            assert!(
                !contains(&bytes, MARKER),
                "{} holds the BAA in clear",
                entry.display()
            );
        }
    }
}

/// The page's registration form takes the signed BAA as a file; the page then shows its hash and
/// links the document, which comes back byte for byte.
async fn the_page_attaches_the_signed_baa(pg: bool) {
    let s = spawn_app(pg).await;
    let admin = s.add_user("v.page@example.com", Role::Admin, None).await;
    let mut browser = crate::pages::Browser::new(&s);
    assert_eq!(browser.login(&admin).await.status, 303);
    let csrf = browser.csrf("/admin/vendors").await;
    s.next_step();
    let code = s.code(&admin);
    let document = pdf();
    let fields = [
        ("_csrf", csrf.as_str()),
        ("name", "Mailer Inc"),
        ("service", "email"),
        ("hosts", "smtp.mailer.example.com\n*.mailer.example.net"),
        ("region", "us"),
        ("baa_signed", "2026-06-01"),
        ("baa_expires", "2028-06-01"),
        ("your_password", vial_testkit::server::PASSWORD),
        ("your_code", code.as_str()),
    ];
    let boundary = "vialVendorBoundary41";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"baa_document\"; filename=\"baa.pdf\"\r\n\
             Content-Type: application/pdf\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(&document);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let content_type = format!("multipart/form-data; boundary={boundary}");
    let page = browser
        .post_body("/admin/vendors", &content_type, body.clone())
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    let page = browser.get("/admin/vendors").await;
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &document);
    let hex: String = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    assert!(page.body.contains(&hex), "{}", page.body);
    assert!(page.body.contains("*.mailer.example.net"), "{}", page.body);
    let id = s.system.vendors().await.unwrap()[0].id.clone();
    let pdf_page = browser.get(&format!("/admin/vendors/{id}/baa")).await;
    assert_eq!(pdf_page.status, 200);
    assert_eq!(pdf_page.body.as_bytes(), document.as_slice());

    // Without the form's token nothing is stored.
    let forged = String::from_utf8(body)
        .unwrap()
        .replace(&csrf, "forged-token");
    let page = browser
        .post_body("/admin/vendors", &content_type, forged.into_bytes())
        .await;
    assert_eq!(page.status, 403, "{}", page.body);
    assert_eq!(s.system.vendors().await.unwrap().len(), 1);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

both_backends!(
    only_admins_keep_the_registry,
    the_page_attaches_the_signed_baa
);

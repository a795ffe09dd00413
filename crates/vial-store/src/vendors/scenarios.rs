//! The vendor registry's behaviour on every backend.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure must be loud

use crate::{Store, VendorRow};

fn row(id: &str, name: &str) -> VendorRow {
    VendorRow {
        id: id.into(),
        name: name.into(),
        service: "storage".into(),
        hosts: vec!["*.s3.example.com".into(), "s3.example.com".into()],
        region: "us-east-1".into(),
        baa_signed: "2026-01-01".into(),
        baa_expires: "2027-01-01".into(),
        baa_sha256: None,
        created_at_ms: 1,
        ended_at_ms: None,
    }
}

/// Vendors round-trip with their hosts; renewing and ending change only live vendors; the
/// sealed document is kept apart from the listing.
pub async fn vendors_are_renewed_and_ended_once(store: &dyn Store) {
    let mut tx = store.begin().await.unwrap();
    let mut with_doc = row("v1", "Bucket Co");
    with_doc.baa_sha256 = Some("ab".repeat(32));
    tx.insert_vendor(&with_doc, Some(b"sealed")).await.unwrap();
    tx.insert_vendor(&row("v2", "Acme Mail"), None)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.begin().await.unwrap();
    let all = tx.vendors().await.unwrap();
    assert_eq!(
        all.iter().map(|v| v.id.as_str()).collect::<Vec<_>>(),
        ["v2", "v1"]
    );
    assert_eq!(all[1], with_doc);
    assert_eq!(tx.vendor_document("v1").await.unwrap().unwrap(), b"sealed");
    assert_eq!(tx.vendor_document("v2").await.unwrap(), None);
    assert_eq!(tx.vendor_document("nope").await.unwrap(), None);
    assert!(tx.renew_vendor("v1", "2028-01-01").await.unwrap());
    assert!(!tx.renew_vendor("nope", "2028-01-01").await.unwrap());
    assert!(tx.end_vendor("v2", 5).await.unwrap());
    assert!(!tx.end_vendor("v2", 6).await.unwrap());
    assert!(!tx.renew_vendor("v2", "2028-01-01").await.unwrap());
    tx.commit().await.unwrap();

    let mut tx = store.begin_read().await.unwrap();
    assert_eq!(
        tx.vendor("v1").await.unwrap().unwrap().baa_expires,
        "2028-01-01"
    );
    assert_eq!(tx.vendor("v2").await.unwrap().unwrap().ended_at_ms, Some(5));
    assert_eq!(tx.vendor("nope").await.unwrap(), None);
}

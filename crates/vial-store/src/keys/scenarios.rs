//! Data keys' behaviour on every backend: round trips, counts, re-wrapping from the version
//! read only, uniqueness.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure must be loud

use crate::{DekRewrap, Store, StoreError, StoredDek};

pub(crate) fn dek(n: u8, owner: &str, version: u32) -> StoredDek {
    StoredDek {
        id: [n; 16],
        owner: owner.to_owned(),
        kek_version: version,
        wrapped: vec![3, 0, 0, 0, version as u8, n],
        created_at_ms: 1_000 + i64::from(n),
    }
}

/// DEKs are stored, found by owner and id, counted per version, and re-wrapped only from the
/// version they were read at (a concurrent re-wrap is not overwritten).
pub async fn deks_round_trip_count_and_rewrap(store: &dyn Store) {
    let mut tx = store.begin().await.unwrap();
    for n in 1..=5 {
        tx.insert_dek(&dek(n, &format!("owner{n}"), 1))
            .await
            .unwrap();
    }
    tx.insert_dek(&dek(9, "owner9", 2)).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.begin_read().await.unwrap();
    assert_eq!(
        tx.dek_by_owner("owner3").await.unwrap(),
        Some(dek(3, "owner3", 1))
    );
    assert_eq!(
        tx.dek_by_id(&[9; 16]).await.unwrap(),
        Some(dek(9, "owner9", 2))
    );
    assert_eq!(tx.dek_by_owner("nobody").await.unwrap(), None);
    let counts = tx.dek_counts().await.unwrap();
    assert_eq!(
        counts
            .iter()
            .map(|c| (c.kek_version, c.deks))
            .collect::<Vec<_>>(),
        vec![(1, 5), (2, 1)]
    );
    drop(tx);

    // Paging through what still needs re-wrapping, in id order.
    let mut tx = store.begin().await.unwrap();
    let ids = |page: Vec<StoredDek>| page.iter().map(|d| d.id[0]).collect::<Vec<_>>();
    assert_eq!(
        ids(tx.deks_wrapped_by(1, None, 2).await.unwrap()),
        vec![1, 2]
    );
    let page = tx.deks_wrapped_by(1, Some([2; 16]), 10).await.unwrap();
    assert_eq!(ids(page), vec![3, 4, 5]);
    assert_eq!(ids(tx.deks_wrapped_by(2, None, 10).await.unwrap()), vec![9]);
    let rewrap = |id: u8, wrapped: Vec<u8>| DekRewrap {
        id: [id; 16],
        old_version: 1,
        new_version: 2,
        wrapped,
    };
    let batch = [
        rewrap(1, vec![3, 0, 0, 0, 2, 1]),
        rewrap(2, vec![3, 0, 0, 0, 2, 2]),
    ];
    assert_eq!(tx.rewrap_deks(&batch).await.unwrap(), 2);
    // A second re-wrap from the stale version is refused, not applied twice.
    assert_eq!(tx.rewrap_deks(&[rewrap(1, vec![0xff])]).await.unwrap(), 0);
    assert_eq!(tx.rewrap_deks(&[]).await.unwrap(), 0);
    tx.commit().await.unwrap();
    let mut tx = store.begin_read().await.unwrap();
    let stored = tx.dek_by_id(&[1; 16]).await.unwrap().unwrap();
    assert_eq!(
        (stored.kek_version, stored.wrapped),
        (2, vec![3, 0, 0, 0, 2, 1])
    );
}

/// A DEK id and an owner are each unique.
pub async fn dek_uniqueness(store: &dyn Store) {
    let mut tx = store.begin().await.unwrap();
    tx.insert_dek(&dek(1, "owner1", 1)).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    let err = tx.insert_dek(&dek(2, "owner1", 1)).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
}

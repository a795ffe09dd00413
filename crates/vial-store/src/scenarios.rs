//! Behaviour every backend must show, written once and run by each backend crate's tests.
//!
//! Each function takes a fresh, migrated store and panics (via `assert!`) on a violation.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure must be loud

use crate::{DekRewrap, NewUser, Store, StoreError, StoredDek, UserCipherColumn};

fn dek(n: u8, owner: &str, version: u32) -> StoredDek {
    StoredDek {
        id: [n; 16],
        owner: owner.to_owned(),
        kek_version: version,
        wrapped: vec![3, 0, 0, 0, version as u8, n],
        created_at_ms: 1_000 + i64::from(n),
    }
}

fn user(id: &str, email_bidx: u8) -> NewUser {
    NewUser {
        id: id.to_owned(),
        role: "provider".to_owned(),
        email_bidx: vec![email_bidx; 32],
        email_enc: vec![1, 2, 3],
        name_enc: vec![4, 5, 6],
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_owned(),
        totp_enc: Some(vec![7, 8]),
        patient_id: None,
        created_at_ms: 42,
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

/// Users round-trip; a second user with the same email index is a conflict and stores nothing.
pub async fn users_round_trip_and_unique_email(store: &dyn Store) {
    let mut tx = store.begin().await.unwrap();
    tx.insert_user(&user("u1", 1)).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.begin().await.unwrap();
    let err = tx.insert_user(&user("u2", 1)).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict("email")), "{err:?}");
    drop(tx);

    let mut tx = store.begin_read().await.unwrap();
    let found = tx.user_by_email_index(&[1; 32]).await.unwrap().unwrap();
    assert_eq!(found.id, "u1");
    assert_eq!(found.totp_enc, Some(vec![7, 8]));
    assert_eq!(found.disabled_at_ms, None);
    assert!(tx.user_by_id("u2").await.unwrap().is_none());
    assert!(tx.user_by_email_index(&[2; 32]).await.unwrap().is_none());
    drop(tx);

    // The admin's list, and TOTP re-enrolment resetting the replay guard.
    let mut tx = store.begin().await.unwrap();
    tx.insert_user(&user("u3", 3)).await.unwrap();
    assert!(tx.claim_totp_step("u1", 42).await.unwrap());
    assert!(tx.set_totp("u1", &[9, 9]).await.unwrap());
    assert!(!tx.set_totp("absent", &[9]).await.unwrap());
    tx.commit().await.unwrap();
    let mut tx = store.begin_read().await.unwrap();
    let listed: Vec<String> = tx
        .users(10)
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.id)
        .collect();
    assert_eq!(listed, ["u1", "u3"]);
    assert_eq!(tx.users(1).await.unwrap().len(), 1);
    let u1 = tx.user_by_id("u1").await.unwrap().unwrap();
    assert_eq!((u1.totp_enc, u1.totp_last_step), (Some(vec![9, 9]), None));
}

/// Work in a transaction dropped without commit is rolled back.
pub async fn uncommitted_work_is_rolled_back(store: &dyn Store) {
    let mut tx = store.begin().await.unwrap();
    tx.insert_user(&user("u1", 1)).await.unwrap();
    tx.debug_overwrite_user_column("u1", UserCipherColumn::Name, &[9])
        .await
        .unwrap();
    drop(tx);
    let mut tx = store.begin_read().await.unwrap();
    assert!(tx.user_by_id("u1").await.unwrap().is_none());
}

/// An unknown role is refused by the schema itself (defence in depth beside the code's check).
pub async fn schema_refuses_unknown_role(store: &dyn Store) {
    let mut tx = store.begin().await.unwrap();
    let mut bad = user("u1", 1);
    bad.role = "superuser".to_owned();
    assert!(tx.insert_user(&bad).await.is_err());
}

/// Runs every scenario, each on a fresh store from `fresh`.
#[macro_export]
macro_rules! scenario_tests {
    ($fresh:path) => {
        $crate::scenario_tests!(@one $fresh, deks_round_trip_count_and_rewrap);
        $crate::scenario_tests!(@one $fresh, dek_uniqueness);
        $crate::scenario_tests!(@one $fresh, users_round_trip_and_unique_email);
        $crate::scenario_tests!(@one $fresh, uncommitted_work_is_rolled_back);
        $crate::scenario_tests!(@one $fresh, schema_refuses_unknown_role);
    };
    (@one $fresh:path, $name:ident) => {
        #[tokio::test]
        async fn $name() {
            let store = $fresh().await;
            $crate::scenarios::$name(&*store).await;
        }
    };
}

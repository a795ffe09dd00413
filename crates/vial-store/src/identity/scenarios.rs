//! Identity's behaviour on every backend: users round-trip, emails are unique, roles are
//! checked by the schema, and work left uncommitted is rolled back.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failure must be loud

use vial_core::{AccountState, Role, UserId};

use crate::{Lockout, NewUser, Store, StoreError, UserCipherColumn};

pub(crate) fn user(id: &str, email_bidx: u8) -> NewUser {
    NewUser {
        id: id.into(),
        role: Role::Provider,
        email_bidx: vec![email_bidx; 32],
        email_enc: vec![1, 2, 3],
        name_enc: vec![4, 5, 6],
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_owned(),
        totp_enc: Some(vec![7, 8]),
        patient_id: None,
        created_at_ms: 42,
        state: AccountState::Active,
        invited_by: None,
    }
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
    assert!(tx.user_by_id(&UserId::from("u2")).await.unwrap().is_none());
    assert!(tx.user_by_email_index(&[2; 32]).await.unwrap().is_none());
    drop(tx);

    // The admin's list, and TOTP re-enrolment resetting the replay guard.
    let mut tx = store.begin().await.unwrap();
    tx.insert_user(&user("u3", 3)).await.unwrap();
    assert!(tx.claim_totp_step(&UserId::from("u1"), 42).await.unwrap());
    assert!(tx.set_totp(&UserId::from("u1"), &[9, 9]).await.unwrap());
    assert!(!tx.set_totp(&UserId::from("absent"), &[9]).await.unwrap());
    tx.commit().await.unwrap();
    let mut tx = store.begin_read().await.unwrap();
    let listed: Vec<String> = tx
        .users(10)
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.id.into_string())
        .collect();
    assert_eq!(listed, ["u1", "u3"]);
    assert_eq!(tx.users(1).await.unwrap().len(), 1);
    let u1 = tx.user_by_id(&UserId::from("u1")).await.unwrap().unwrap();
    assert_eq!((u1.totp_enc, u1.totp_last_step), (Some(vec![9, 9]), None));
}

/// Re-enrolment replaces every recovery code, used or not; a password change replaces the hash.
pub async fn credentials_are_replaced_whole(store: &dyn Store) {
    let u1 = UserId::from("u1");
    let mut tx = store.begin().await.unwrap();
    tx.insert_user(&user("u1", 1)).await.unwrap();
    tx.insert_recovery_codes(&u1, &[vec![1; 32], vec![2; 32]])
        .await
        .unwrap();
    assert!(tx.use_recovery_code(&u1, &[1; 32], 50).await.unwrap());
    tx.replace_recovery_codes(&u1, &[vec![3; 32]])
        .await
        .unwrap();
    assert!(tx.set_password_hash(&u1, "$argon2id$new").await.unwrap());
    assert!(
        !tx.set_password_hash(&UserId::from("absent"), "x")
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    assert!(
        !tx.use_recovery_code(&u1, &[2; 32], 60).await.unwrap(),
        "old unused code"
    );
    assert!(
        tx.use_recovery_code(&u1, &[3; 32], 60).await.unwrap(),
        "new code"
    );
    let found = tx.user_by_id(&u1).await.unwrap().unwrap();
    assert_eq!(found.password_hash, "$argon2id$new");
}

/// Work in a transaction dropped without commit is rolled back.
pub async fn uncommitted_work_is_rolled_back(store: &dyn Store) {
    let mut tx = store.begin().await.unwrap();
    tx.insert_user(&user("u1", 1)).await.unwrap();
    tx.debug_overwrite_user_column(&UserId::from("u1"), UserCipherColumn::Name, &[9])
        .await
        .unwrap();
    drop(tx);
    let mut tx = store.begin_read().await.unwrap();
    assert!(tx.user_by_id(&UserId::from("u1")).await.unwrap().is_none());
}

/// Failures are counted by the store and the lock decided in the same statement: nothing below
/// the threshold, then the base lock doubling per failure up to the cap, never shortened; a
/// success clears the count only once the lock has passed.
pub async fn failures_lock_the_account_with_a_doubling_back_off(store: &dyn Store) {
    let lockout = Lockout {
        after: 3,
        base_ms: 100,
        max_ms: 350,
    };
    let mut tx = store.begin().await.unwrap();
    tx.insert_user(&user("u1", 1)).await.unwrap();
    let u1 = UserId::from("u1");
    let mut seen = Vec::new();
    for _ in 0..5 {
        tx.count_login_failure(&u1, 1_000, lockout).await.unwrap();
        let row = tx.user_by_id(&u1).await.unwrap().unwrap();
        seen.push((row.failed_logins, row.locked_until_ms));
    }
    assert_eq!(
        seen,
        [
            (1, None),
            (2, None),
            (3, Some(1_100)),
            (4, Some(1_200)),
            (5, Some(1_350))
        ]
    );
    // A later failure with a shorter back-off never shortens the lock.
    let short = Lockout {
        max_ms: 10,
        ..lockout
    };
    tx.count_login_failure(&u1, 1_001, short).await.unwrap();
    let row = tx.user_by_id(&u1).await.unwrap().unwrap();
    assert_eq!((row.failed_logins, row.locked_until_ms), (6, Some(1_350)));
    assert!(
        !tx.clear_login_failures(&u1, 1_349).await.unwrap(),
        "locked"
    );
    assert!(tx.clear_login_failures(&u1, 1_350).await.unwrap());
    let row = tx.user_by_id(&u1).await.unwrap().unwrap();
    assert_eq!((row.failed_logins, row.locked_until_ms), (0, None));
}

/// An invitation link works once and only before it expires; issuing another replaces it; the
/// account moves invited → awaiting approval → active, each step only from the state before.
pub async fn invitations_work_once_and_approval_is_a_state(store: &dyn Store) {
    let (admin, new) = (UserId::from("u_admin"), UserId::from("u_new"));
    let mut tx = store.begin().await.unwrap();
    tx.insert_user(&user("u_admin", 1)).await.unwrap();
    tx.insert_user(&user("u_other", 3)).await.unwrap();
    let mut invited = user("u_new", 2);
    invited.state = AccountState::Invited;
    invited.invited_by = Some(admin.clone());
    invited.password_hash = String::new();
    invited.totp_enc = None;
    tx.insert_user(&invited).await.unwrap();
    tx.put_invitation(&new, &[1; 32], 100, 200).await.unwrap();
    // A second link replaces the first.
    tx.put_invitation(&new, &[2; 32], 110, 210).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.begin_read().await.unwrap();
    assert!(
        tx.invitation_by_token_hash(&[1; 32])
            .await
            .unwrap()
            .is_none()
    );
    let link = tx
        .invitation_by_token_hash(&[2; 32])
        .await
        .unwrap()
        .unwrap();
    assert_eq!((link.user_id.as_str(), link.expires_at_ms), ("u_new", 210));
    let stored = tx.user_by_id(&new).await.unwrap().unwrap();
    assert_eq!(stored.state, AccountState::Invited);
    assert_eq!(stored.invited_by.as_ref(), Some(&admin));
    drop(tx);

    let mut tx = store.begin().await.unwrap();
    assert!(!tx.use_invitation(&[2; 32], 210).await.unwrap(), "expired");
    assert!(!tx.use_invitation(&[1; 32], 150).await.unwrap(), "replaced");
    assert!(tx.use_invitation(&[2; 32], 150).await.unwrap());
    assert!(!tx.use_invitation(&[2; 32], 151).await.unwrap(), "once");
    let (invited, awaiting) = (AccountState::Invited, AccountState::AwaitingApproval);
    assert!(
        !tx.approve_account(&new, &admin).await.unwrap(),
        "not yet set up"
    );
    assert!(tx.set_account_state(&new, invited, awaiting).await.unwrap());
    assert!(!tx.set_account_state(&new, invited, awaiting).await.unwrap());
    assert!(
        tx.approve_account(&new, &UserId::from("u_other"))
            .await
            .unwrap()
    );
    assert!(!tx.approve_account(&new, &admin).await.unwrap(), "already");
    tx.commit().await.unwrap();
    let mut tx = store.begin_read().await.unwrap();
    let stored = tx.user_by_id(&new).await.unwrap().unwrap();
    assert_eq!(stored.state, AccountState::Active);
    assert_eq!(stored.approved_by, Some(UserId::from("u_other")));
    assert!(
        tx.invitation_by_token_hash(&[2; 32])
            .await
            .unwrap()
            .unwrap()
            .used_at_ms
            == Some(150)
    );
    drop(tx);

    // A role that needs approval, given later, puts the account back to awaiting it.
    let mut tx = store.begin().await.unwrap();
    assert!(tx.require_approval(&new, &admin).await.unwrap());
    assert!(
        !tx.require_approval(&UserId::from("absent"), &admin)
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
    let mut tx = store.begin_read().await.unwrap();
    let stored = tx.user_by_id(&new).await.unwrap().unwrap();
    assert_eq!((stored.state, stored.approved_by), (awaiting, None));
}

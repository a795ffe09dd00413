//! Envelope encryption, key rotation and key-file handling through the real use cases, on both
//! backends: every test runs once on SQLite and once on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;

use vial_app::{
    AppError, DataDir, DatabaseChoice, FixedClock, NewUserInput, Role, RotationPolicy, System,
};
use vial_crypto::{CryptoError, KeyProvider};
use vial_store::UserCipherColumn;
use vial_testkit::both_backends;
use zeroize::Zeroizing;

const START_MS: i64 = 1_700_000_000_000;
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

struct Env {
    dir: tempfile::TempDir,
    data: DataDir,
    database: DatabaseChoice,
    clock: Arc<FixedClock>,
}

impl Env {
    async fn new(postgres: bool) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let data = DataDir::new(dir.path().join("data"));
        let database = vial_testkit::database(postgres);
        let clock = Arc::new(FixedClock::new(START_MS));
        data.init(&database, &*clock, |_| Ok(())).await.unwrap();
        Self {
            dir,
            data,
            database,
            clock,
        }
    }

    async fn app(&self) -> Result<System, AppError> {
        self.data.open(&self.database, self.clock.clone()).await
    }
}

fn input(email: &str, name: &str) -> NewUserInput {
    NewUserInput {
        email: email.into(),
        name: name.into(),
        role: Role::Provider,
        password: Zeroizing::new("correct horse battery staple".into()),
        patient_id: None,
    }
}

fn no_grace() -> RotationPolicy {
    RotationPolicy {
        retire_grace_ms: 0,
        batch: 2,
        ..RotationPolicy::default()
    }
}

async fn round_trip(pg: bool) {
    let env = Env::new(pg).await;
    let app = env.app().await.unwrap();
    let added = app
        .add_user(input("dana.reyes@example.com", "Dana Reyes"), "test")
        .await
        .unwrap();
    assert_eq!(
        added.totp_secret.as_ref().unwrap().len(),
        32,
        "160-bit base32 secret"
    );
    let profile = app.user_profile(&added.user_id).await.unwrap();
    assert_eq!(profile.name.as_str(), "Dana Reyes");
    assert_eq!(profile.email.as_str(), "dana.reyes@example.com");
}

async fn moved_ciphertexts_fail(pg: bool) {
    let env = Env::new(pg).await;
    let app = env.app().await.unwrap();
    let a = app
        .add_user(input("a.one@example.com", "Alpha One"), "test")
        .await
        .unwrap()
        .user_id;
    let b = app
        .add_user(input("b.two@example.com", "Bravo Two"), "test")
        .await
        .unwrap()
        .user_id;
    let a_record = {
        let mut tx = app.store().begin_read().await.unwrap();
        tx.user_by_id(&a).await.unwrap().unwrap()
    };
    let mut tx = app.store().begin().await.unwrap();
    // Same row, other column: same data key, so only the AAD catches it.
    tx.debug_overwrite_user_column(&a, UserCipherColumn::Email, &a_record.name_enc)
        .await
        .unwrap();
    // Other row.
    tx.debug_overwrite_user_column(&b, UserCipherColumn::Name, &a_record.name_enc)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(matches!(
        app.user_profile(&a).await,
        Err(AppError::Crypto(CryptoError::Decrypt))
    ));
    assert!(matches!(
        app.user_profile(&b).await,
        Err(AppError::Crypto(CryptoError::WrongDataKey))
    ));
}

async fn wrong_or_missing_keys_are_errors(pg: bool) {
    let env = Env::new(pg).await;
    let user = {
        let app = env.app().await.unwrap();
        app.add_user(input("c.three@example.com", "Charlie Three"), "test")
            .await
            .unwrap()
            .user_id
    };
    let key_path = env.data.key_file().path().to_path_buf();
    // Another installation's key file: same shape, different keys.
    let foreign = vial_app::LocalKeyFile::new(env.dir.path().join("foreign.json"));
    foreign.create(START_MS).unwrap();
    std::fs::rename(foreign.path(), &key_path).unwrap();
    let app = env.app().await.unwrap();
    assert!(matches!(
        app.user_profile(&user).await,
        Err(AppError::Crypto(CryptoError::Decrypt))
    ));
    std::fs::remove_file(&key_path).unwrap();
    let err = env.app().await.unwrap_err();
    assert!(err.to_string().contains("is missing"), "{err}");
}

async fn rotation_keeps_data_readable_and_rewraps_everything(pg: bool) {
    let env = Env::new(pg).await;
    let app = env.app().await.unwrap();
    let mut users = Vec::new();
    for i in 0..5 {
        let added = app
            .add_user(
                input(&format!("p{i}.x@example.com"), &format!("Person {i}")),
                "test",
            )
            .await;
        users.push(added.unwrap().user_id);
    }
    assert_eq!(
        app.rotate_if_due(&no_grace()).await.unwrap(),
        None,
        "a fresh key is not rotated"
    );
    env.clock.advance_ms(91 * DAY_MS);
    assert_eq!(
        app.rotate_if_due(&no_grace()).await.unwrap(),
        Some(2),
        "a 91-day-old key is rotated"
    );

    let status = app.key_status().await.unwrap();
    let counts: Vec<_> = status
        .versions
        .iter()
        .map(|v| (v.version, v.deks, v.current))
        .collect();
    assert_eq!(counts, vec![(1, 5, false), (2, 0, true)]);
    for user in &users {
        assert_eq!(app.user_profile(user).await.unwrap().role, Role::Provider);
    }
    // Version 1 still wraps DEKs: it must not be retired.
    assert_eq!(
        app.retire_unused(&no_grace()).await.unwrap(),
        Vec::<u32>::new()
    );

    let mut batches = 0;
    let report = app.rewrap_all(&no_grace(), |_| batches += 1).await.unwrap();
    assert_eq!(
        (report.rewrapped, report.skipped, report.unreadable),
        (5, 0, 0)
    );
    assert_eq!(batches, 3, "5 DEKs in batches of 2");
    let status = app.key_status().await.unwrap();
    let counts: Vec<_> = status
        .versions
        .iter()
        .map(|v| (v.version, v.deks))
        .collect();
    assert_eq!(counts, vec![(1, 0), (2, 5)]);
    // A second pass finds nothing to do (resumable: progress is the stored version).
    assert_eq!(
        app.rewrap_all(&no_grace(), |_| {}).await.unwrap().rewrapped,
        0
    );

    assert_eq!(app.retire_unused(&no_grace()).await.unwrap(), vec![1]);
    let material = env.data.key_file().load().unwrap();
    assert!(
        material.keks[0].secret.is_none(),
        "a retired key's secret is destroyed"
    );
    for user in &users {
        assert_eq!(app.user_profile(user).await.unwrap().role, Role::Provider);
    }
    // New data after rotation uses the new version.
    let later = app
        .add_user(input("later.one@example.com", "Later One"), "test")
        .await
        .unwrap();
    assert!(app.user_profile(&later.user_id).await.is_ok());
    let status = app.key_status().await.unwrap();
    assert_eq!(status.versions[1].deks, 6);
}

async fn retirement_waits_for_the_grace_period(pg: bool) {
    let env = Env::new(pg).await;
    let app = env.app().await.unwrap();
    app.rotate_keys("test").await.unwrap();
    let policy = RotationPolicy::default();
    assert!(app.retire_unused(&policy).await.unwrap().is_empty());
    env.clock.advance_ms(policy.retire_grace_ms);
    assert_eq!(app.retire_unused(&policy).await.unwrap(), vec![1]);
}

async fn a_readable_key_file_stops_start_up(pg: bool) {
    let env = Env::new(pg).await;
    let path = env.data.key_file().path().to_path_buf();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = env.app().await.unwrap_err().to_string();
    assert!(err.contains("readable by group or others"), "{err}");
    assert!(err.contains("chmod 600"), "{err}");
}

async fn bad_users_are_refused_and_store_nothing(pg: bool) {
    let env = Env::new(pg).await;
    let app = env.app().await.unwrap();
    app.add_user(input("e.five@example.com", "Echo Five"), "test")
        .await
        .unwrap();
    let dup = app
        .add_user(input(" E.Five@Example.com", "Someone Else"), "test")
        .await;
    assert!(matches!(dup, Err(AppError::Conflict(_))), "{dup:?}");
    for common in [
        "password1234",
        "qwertyuiop123",
        "aaaaaaaaaaaa",
        "f.six@example.com!",
    ] {
        let mut weak = input("f.six@example.com", "Fox Six");
        weak.password = Zeroizing::new(common.into());
        let r = app.add_user(weak, "test").await;
        assert!(
            matches!(r, Err(AppError::Invalid(_))),
            "{common} must be refused"
        );
    }
    let mut short = input("f.six@example.com", "Fox Six");
    short.password = Zeroizing::new("short".into());
    assert!(matches!(
        app.add_user(short, "test").await,
        Err(AppError::Invalid(_))
    ));
    for email in [
        "no-at-sign",
        "a@b",
        "two@@example.com",
        "frontdesk@example.com",
    ] {
        let r = app.add_user(input(email, "Name Here"), "test").await;
        assert!(matches!(r, Err(AppError::Invalid(_))), "{email}: {r:?}");
    }
    let mut patient = input("g.seven@example.com", "Golf Seven");
    patient.role = Role::Patient;
    assert!(matches!(
        app.add_user(patient, "test").await,
        Err(AppError::Invalid(_))
    ));
    let status = app.key_status().await.unwrap();
    assert_eq!(
        status.versions[0].deks, 1,
        "refused users left no data key behind"
    );
}

/// Nothing in the SQLite files holds a known plaintext (name, email, TOTP secret).
#[tokio::test]
async fn sqlite_files_hold_no_plaintext() {
    let env = Env::new(false).await;
    let app = env.app().await.unwrap();
    let added = app
        .add_user(
            input("zz.marker.4711@example.com", "Quillon Marker4711"),
            "test",
        )
        .await
        .unwrap();
    let totp = added.totp_secret.unwrap().to_string();
    app.store().close().await;
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(env.data.root()).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file()
            && path
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("vial.db")
        {
            bytes.extend(std::fs::read(path).unwrap());
        }
    }
    assert!(bytes.len() > 4096, "the database was read");
    for marker in ["Marker4711", "zz.marker.4711", "example.com", totp.as_str()] {
        assert!(
            !bytes.windows(marker.len()).any(|w| w == marker.as_bytes()),
            "{marker} found in clear"
        );
    }
}

both_backends!(
    round_trip,
    moved_ciphertexts_fail,
    wrong_or_missing_keys_are_errors,
    rotation_keeps_data_readable_and_rewraps_everything,
    retirement_waits_for_the_grace_period,
    a_readable_key_file_stops_start_up,
    bad_users_are_refused_and_store_nothing,
);

/// Nothing in the PostgreSQL tables holds a known plaintext, in any text or bytea column.
#[tokio::test]
async fn postgres_tables_hold_no_plaintext() {
    let env = Env::new(true).await;
    let DatabaseChoice::Postgres {
        url,
        schema: Some(schema),
        ..
    } = &env.database
    else {
        unreachable!()
    };
    let app = env.app().await.unwrap();
    let added = app
        .add_user(
            input("zz.marker.4712@example.com", "Quillon Marker4712"),
            "test",
        )
        .await
        .unwrap();
    let totp = added.totp_secret.unwrap().to_string();
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(url)
        .await
        .unwrap();
    for marker in ["Marker4712", "zz.marker.4712", "example.com", totp.as_str()] {
        for (table, columns) in [
            (
                "users",
                "id || role || password_hash || coalesce(patient_id, '')",
            ),
            ("deks", "owner"),
        ] {
            let text_hits: i64 = sqlx::query_scalar(&format!(
                "SELECT count(*) FROM {schema}.{table} WHERE position($1 in {columns}) > 0"
            ))
            .bind(marker)
            .fetch_one(&mut conn)
            .await
            .unwrap();
            assert_eq!(text_hits, 0, "{marker} in clear in {table}");
        }
        let bytea_hits: i64 = sqlx::query_scalar(&format!(
            "SELECT count(*) FROM {schema}.users WHERE position($1 in email_enc) > 0 \
             OR position($1 in name_enc) > 0 OR position($1 in coalesce(totp_enc, ''::bytea)) > 0 \
             OR position($1 in email_bidx) > 0"
        ))
        .bind(marker.as_bytes())
        .fetch_one(&mut conn)
        .await
        .unwrap();
        assert_eq!(
            bytea_hits, 0,
            "{marker} in clear in a users ciphertext column"
        );
    }
    // The check itself finds what is there.
    let found: i64 = sqlx::query_scalar(&format!(
        "SELECT count(*) FROM {schema}.users WHERE position('provider' in role) > 0"
    ))
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(found, 1);
}

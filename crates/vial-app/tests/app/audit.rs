//! The audit log through the real use cases and real databases: tamper detection (edit, delete,
//! insert, reorder, truncate, whole-chain rewrite), concurrent appenders in several processes,
//! SIGKILL mid-append, retention enforced by the schema, fail-closed units. Every scenario runs
//! on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;

use sqlx::Connection;
use vial_app::{
    AppError, AuditEvent, AuditPolicy, Audited, Clock, DataDir, DatabaseChoice, FixedClock, System,
    SystemClock,
};
use vial_audit::AuditEntry;

use vial_testkit::{both_backends, clinic, postgres_url as pg_url};

struct Env {
    _dir: Option<tempfile::TempDir>,
    data: DataDir,
    database: DatabaseChoice,
}

impl Env {
    async fn new(postgres: bool) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let data = DataDir::new(dir.path().join("data"));
        let database = vial_testkit::database(postgres);
        data.init(&database, &SystemClock, |_| Ok(()))
            .await
            .unwrap();
        Self {
            _dir: Some(dir),
            data,
            database,
        }
    }

    async fn app(&self) -> System {
        self.app_with(Arc::new(SystemClock)).await
    }

    /// The app on `clock`, checkpointing by time only (the entry count is out of reach).
    async fn app_with(&self, clock: Arc<dyn Clock>) -> System {
        self.data
            .open_with(
                &self.database,
                clock,
                AuditPolicy {
                    checkpoint_every_entries: 1_000_000,
                    ..AuditPolicy::default()
                },
                Arc::new(self.data.checkpoint_export()),
            )
            .await
            .unwrap()
    }

    /// The `audit-child` helper (tests/bin/audit_child.rs) on this environment: a second OS
    /// process appending `count` entries (forever when 0).
    fn spawn_child_appender(&self, count: u64) -> std::process::Child {
        let schema = match &self.database {
            DatabaseChoice::Postgres { schema, .. } => schema.clone().unwrap_or_default(),
            DatabaseChoice::Embedded => String::new(),
        };
        Command::new(env!("CARGO_BIN_EXE_audit-child"))
            .arg(self.data.root())
            .args([pg_url(), schema, count.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    }

    async fn verify(&self) -> Result<vial_app::AuditVerifyReport, AppError> {
        self.app()
            .await
            .verify_audit(&self.data.checkpoint_export())
            .await
    }

    /// A second connection to the database, with the schema's guards in place.
    async fn raw(&self) -> Raw {
        match &self.database {
            DatabaseChoice::Embedded => {
                let url = format!("sqlite://{}", self.data.database_path().display());
                Raw::Sqlite(sqlx::SqliteConnection::connect(&url).await.unwrap())
            }
            DatabaseChoice::Postgres { schema, .. } => {
                let mut c = sqlx::PgConnection::connect(&pg_url()).await.unwrap();
                sqlx::query(&format!("SET search_path TO {}", schema.clone().unwrap()))
                    .execute(&mut c)
                    .await
                    .unwrap();
                Raw::Pg(c)
            }
        }
    }

    /// Raw SQL access with the append-only and retention triggers removed: an attacker with
    /// database access.
    async fn attacker(&self) -> Raw {
        let mut raw = self.raw().await;
        let lifted: &[&str] = match raw {
            Raw::Sqlite(_) => &[
                "DROP TRIGGER IF EXISTS audit_log_append_only",
                "DROP TRIGGER IF EXISTS audit_log_retention",
            ],
            Raw::Pg(_) => &["ALTER TABLE audit_log DISABLE TRIGGER USER"],
        };
        for sql in lifted {
            raw.exec(sql).await.unwrap();
        }
        raw
    }
}

enum Raw {
    Sqlite(sqlx::SqliteConnection),
    Pg(sqlx::PgConnection),
}

struct Row {
    seq: i64,
    entry: Vec<u8>,
    leaf: Vec<u8>,
    chain: Vec<u8>,
}

/// Runs the same expression on whichever connection `raw` holds (the SQL uses `$N`
/// parameters, which both engines accept).
macro_rules! on_conn {
    ($raw:expr, $conn:ident => $body:expr) => {
        match $raw {
            Raw::Sqlite($conn) => $body,
            Raw::Pg($conn) => $body,
        }
    };
}

impl Raw {
    async fn exec(&mut self, sql: &str) -> Result<u64, sqlx::Error> {
        on_conn!(self, c => sqlx::query(sql).execute(c).await.map(|r| r.rows_affected()))
    }

    async fn rows(&mut self) -> Vec<Row> {
        let sql = "SELECT seq, entry, leaf_hash, chain_hash FROM audit_log ORDER BY seq";
        type Columns = (i64, Vec<u8>, Vec<u8>, Vec<u8>);
        let raw: Vec<Columns> =
            on_conn!(self, c => sqlx::query_as(sql).fetch_all(c).await.unwrap());
        raw.into_iter()
            .map(|(seq, entry, leaf, chain)| Row {
                seq,
                entry,
                leaf,
                chain,
            })
            .collect()
    }

    /// Overwrites a row's stored entry and hashes (the indexed copies follow the entry).
    async fn put(&mut self, seq: i64, entry: &AuditEntry, leaf: &[u8], chain: &[u8]) {
        let sql = "UPDATE audit_log SET entry = $1, leaf_hash = $2, chain_hash = $3 WHERE seq = $4";
        let bytes = entry.canonical_bytes();
        on_conn!(self, c => {
            sqlx::query(sql)
            .bind(&bytes)
            .bind(leaf)
            .bind(chain)
            .bind(seq)
            .execute(c)
            .await
            .unwrap();
        });
    }

    /// Recomputes every leaf and chain hash from `from` on, as a careful attacker would.
    async fn rehash_from(&mut self, from: i64) {
        let rows = self.rows().await;
        let mut prev: [u8; 32] = if from == 0 {
            vial_audit::GENESIS
        } else {
            rows[from as usize - 1].chain.clone().try_into().unwrap()
        };
        for row in rows.iter().filter(|r| r.seq >= from) {
            let entry = AuditEntry::from_canonical_bytes(&row.entry).unwrap();
            let leaf = vial_audit::entry_hash(&entry);
            let chain = vial_audit::chain_hash(&prev, &leaf);
            self.put(row.seq, &entry, &leaf, &chain).await;
            prev = chain;
        }
    }
}

async fn fill(app: &System, n: usize) {
    for i in 0..n {
        app.record(AuditEvent::new("test.event").resource("thing", format!("t{i}")))
            .await
            .unwrap();
    }
}

fn broken_at(result: Result<vial_app::AuditVerifyReport, AppError>) -> (u64, String) {
    match result {
        Err(AppError::AuditBroken { seq, reason }) => (seq, reason),
        other => panic!("expected a broken log, got {other:?}"),
    }
}

async fn untouched_log_verifies(pg: bool) {
    let env = Env::new(pg).await;
    let app = env.app().await;
    fill(&app, 50).await;
    assert_eq!(app.checkpoint_now().await.unwrap(), Some(50));
    fill(&app, 7).await;
    let report = env.verify().await.unwrap();
    assert_eq!(report.entries, 57);
    assert_eq!(report.checkpoints, 1);
    assert_eq!(report.exported_tree_size, Some(50));
}

async fn edited_entry_is_named(pg: bool) {
    let env = Env::new(pg).await;
    fill(&env.app().await, 20).await;
    let mut raw = env.attacker().await;
    let row = &raw.rows().await[7];
    let mut entry = AuditEntry::from_canonical_bytes(&row.entry).unwrap();
    entry.resource_id = Some("someone-else".into());
    let (leaf, chain) = (row.leaf.clone(), row.chain.clone());
    raw.put(7, &entry, &leaf, &chain).await;
    let (seq, reason) = broken_at(env.verify().await);
    assert_eq!(seq, 7, "{reason}");
}

async fn rewritten_chain_is_caught_by_the_checkpoint(pg: bool) {
    let env = Env::new(pg).await;
    let app = env.app().await;
    fill(&app, 20).await;
    app.checkpoint_now().await.unwrap();
    let mut raw = env.attacker().await;
    let row = &raw.rows().await[3];
    let mut entry = AuditEntry::from_canonical_bytes(&row.entry).unwrap();
    entry.action = "nothing.happened".into();
    let (leaf, chain) = (row.leaf.clone(), row.chain.clone());
    raw.put(3, &entry, &leaf, &chain).await;
    raw.exec("UPDATE audit_log SET action = 'nothing.happened' WHERE seq = 3")
        .await
        .unwrap();
    raw.rehash_from(3).await;
    let (seq, reason) = broken_at(env.verify().await);
    assert!(
        reason.contains("checkpoint") && reason.contains("altered"),
        "{reason}"
    );
    assert_eq!(seq, 19);
}

async fn deleted_entry_is_named(pg: bool) {
    let env = Env::new(pg).await;
    fill(&env.app().await, 20).await;
    let mut raw = env.attacker().await;
    assert_eq!(
        raw.exec("DELETE FROM audit_log WHERE seq = 9")
            .await
            .unwrap(),
        1
    );
    let (seq, reason) = broken_at(env.verify().await);
    assert_eq!(seq, 10, "{reason}");
    assert!(reason.contains("gap"), "{reason}");
}

async fn inserted_entry_is_named(pg: bool) {
    let env = Env::new(pg).await;
    fill(&env.app().await, 20).await;
    let mut raw = env.attacker().await;
    // Make room at seq 5 (two steps keep the primary key unique throughout) …
    raw.exec("UPDATE audit_log SET seq = seq + 1000 WHERE seq >= 5")
        .await
        .unwrap();
    raw.exec("UPDATE audit_log SET seq = seq - 999 WHERE seq >= 1000")
        .await
        .unwrap();
    // … and forge a well-formed entry there, hashed correctly onto the chain.
    let rows = raw.rows().await;
    let mut forged = AuditEntry::from_canonical_bytes(&rows[4].entry).unwrap();
    forged.seq = 5;
    forged.resource_id = Some("forged".into());
    let leaf = vial_audit::entry_hash(&forged);
    let chain = vial_audit::chain_hash(&rows[4].chain.clone().try_into().unwrap(), &leaf);
    let sql = "INSERT INTO audit_log (seq, time_ms, actor, patient_id, action, outcome, entry, \
               leaf_hash, chain_hash) VALUES (5, $1, NULL, NULL, 'test.event', 'allowed', $2, $3, $4)";
    let bytes = forged.canonical_bytes();
    on_conn!(&mut raw, c => {
        sqlx::query(sql)
        .bind(forged.time_ms)
        .bind(&bytes)
        .bind(&leaf[..])
        .bind(&chain[..])
        .execute(c)
        .await
        .unwrap();
    });
    let (seq, reason) = broken_at(env.verify().await);
    assert_eq!(
        seq, 6,
        "the first original entry after the insertion: {reason}"
    );
}

async fn reordered_entries_are_named(pg: bool) {
    let env = Env::new(pg).await;
    fill(&env.app().await, 20).await;
    let mut raw = env.attacker().await;
    raw.exec("UPDATE audit_log SET seq = 1000 WHERE seq = 12")
        .await
        .unwrap();
    raw.exec("UPDATE audit_log SET seq = 12 WHERE seq = 13")
        .await
        .unwrap();
    raw.exec("UPDATE audit_log SET seq = 13 WHERE seq = 1000")
        .await
        .unwrap();
    let (seq, reason) = broken_at(env.verify().await);
    assert_eq!(seq, 12, "{reason}");
}

async fn truncation_behind_the_exported_checkpoint_is_named(pg: bool) {
    let env = Env::new(pg).await;
    let app = env.app().await;
    fill(&app, 30).await;
    assert_eq!(app.checkpoint_now().await.unwrap(), Some(30));
    let mut raw = env.attacker().await;
    // Checkpoints stored in the database go too: only the exported one remains as evidence.
    raw.exec("DELETE FROM audit_log WHERE seq >= 25")
        .await
        .unwrap();
    let _ = raw
        .exec("DROP TRIGGER IF EXISTS audit_checkpoints_retention")
        .await;
    let _ = raw
        .exec("ALTER TABLE audit_checkpoints DISABLE TRIGGER USER")
        .await;
    raw.exec("DELETE FROM audit_checkpoints").await.unwrap();
    let (seq, reason) = broken_at(env.verify().await);
    assert_eq!(seq, 25, "{reason}");
    assert!(
        reason.contains("truncated") && reason.contains("exported"),
        "{reason}"
    );
}

async fn the_schema_refuses_to_change_or_delete_young_entries(pg: bool) {
    let env = Env::new(pg).await;
    let app = env.app().await;
    fill(&app, 3).await;
    assert_eq!(app.checkpoint_now().await.unwrap(), Some(3));
    let mut raw = env.raw().await;
    let err = raw
        .exec("DELETE FROM audit_log WHERE seq = 0")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("six-year retention"), "{err}");
    let err = raw
        .exec("UPDATE audit_log SET action = 'x' WHERE seq = 1")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
    let err = raw.exec("DELETE FROM audit_checkpoints").await.unwrap_err();
    assert!(err.to_string().contains("six-year retention"), "{err}");
    let err = raw
        .exec("UPDATE audit_checkpoints SET signed_note = ''")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
    if pg {
        let err = raw.exec("TRUNCATE audit_log").await.unwrap_err();
        assert!(err.to_string().contains("append-only"), "{err}");
    }
    assert_eq!(env.verify().await.unwrap().entries, 3);
}

async fn failed_units_keep_denials_and_nothing_else(pg: bool) {
    let env = Env::new(pg).await;
    let app = env.app().await;
    let result: Result<(), AppError> = app
        .transact(|work| {
            Box::pin(async move {
                work.tx()
                    .await?
                    .insert_dek(&vial_store::StoredDek {
                        id: [7; 16],
                        owner: "ghost".into(),
                        kek_version: 1,
                        wrapped: vec![1],
                        created_at_ms: 0,
                    })
                    .await?;
                work.audit(AuditEvent::new("thing.write"));
                work.audit(AuditEvent::new("thing.read").denied("not_on_care_team"));
                Err(AppError::Invalid("refused".into()))
            })
        })
        .await;
    assert!(matches!(result, Err(AppError::Invalid(_))));
    // A read unit that fails keeps its denials too, and only them.
    let result: Result<(), AppError> = app
        .transact_read(|work| {
            Box::pin(async move {
                work.audit(AuditEvent::new("other.read"));
                work.audit(AuditEvent::new("other.read").denied("not_on_care_team"));
                Err(AppError::NotFound("other"))
            })
        })
        .await;
    assert!(matches!(result, Err(AppError::NotFound(_))));
    // A unit in the same batch that succeeds is unaffected.
    app.record(AuditEvent::new("after")).await.unwrap();
    let mut tx = app.store().begin_read().await.unwrap();
    assert!(
        tx.dek_by_owner("ghost").await.unwrap().is_none(),
        "rolled back"
    );
    let rows = tx.audit_rows(None, 100).await.unwrap();
    let actions: Vec<_> = rows
        .iter()
        .map(|r| (r.action.as_str(), r.outcome.as_str()))
        .collect();
    assert_eq!(
        actions,
        vec![
            ("thing.read", "denied"),
            ("other.read", "denied"),
            ("after", "allowed")
        ]
    );
}

async fn a_panicking_unit_fails_alone_and_the_committer_carries_on(pg: bool) {
    let env = Env::new(pg).await;
    let app = env.app().await;
    let result: Result<(), AppError> = app
        .transact(|work| {
            Box::pin(async move {
                work.audit(AuditEvent::new("never.recorded"));
                if work.tx().await.is_ok() {
                    panic!("a bug in a use case");
                }
                Ok(())
            })
        })
        .await;
    assert!(
        matches!(result, Err(AppError::Unavailable(_))),
        "{result:?}"
    );
    app.record(AuditEvent::new("after")).await.unwrap();
    let report = env.verify().await.unwrap();
    assert_eq!(report.entries, 1, "only the later entry");
}

/// A photo view whose audit entry cannot be committed hands out nothing, although its body is
/// read and opened ahead while the entry commits; other views carry on.
async fn a_photo_view_whose_entry_cannot_commit_hands_out_nothing(pg: bool) {
    let env = Env::new(pg).await;
    let app = env.app().await;
    let (provider, photo) = photographed_patient(&app).await;
    let mut raw = env.raw().await;
    if pg {
        raw.exec(
            "CREATE FUNCTION refuse_views() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$",
        )
        .await
        .unwrap();
        raw.exec(
            "CREATE TRIGGER refuse_views BEFORE INSERT ON audit_log FOR EACH ROW \
             WHEN (NEW.action = 'photo.view') EXECUTE FUNCTION refuse_views()",
        )
        .await
        .unwrap();
    } else {
        raw.exec(
            "CREATE TRIGGER refuse_views BEFORE INSERT ON audit_log \
             WHEN NEW.action = 'photo.view' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END",
        )
        .await
        .unwrap();
    }
    let refused = app
        .photo_content(&provider, &photo, vial_app::PhotoPart::Content)
        .await;
    assert!(
        matches!(refused, Err(AppError::Unavailable(_))),
        "{:?}",
        refused.map(|p| p.len())
    );
    let thumbnail = app
        .photo_content(&provider, &photo, vial_app::PhotoPart::Thumbnail)
        .await
        .unwrap();
    assert!(thumbnail.bytes().await.unwrap().starts_with(&[0xFF, 0xD8]));

    let lifted = match pg {
        true => "DROP TRIGGER refuse_views ON audit_log",
        false => "DROP TRIGGER refuse_views",
    };
    raw.exec(lifted).await.unwrap();
    let content = app
        .photo_content(&provider, &photo, vial_app::PhotoPart::Content)
        .await
        .unwrap();
    let len = content.len();
    let bytes = content.bytes().await.unwrap();
    assert_eq!(bytes.len() as u64, len);
    assert!(len > 4 << 20, "larger than what a view opens ahead");
    assert!(bytes.starts_with(&[0xFF, 0xD8]) && bytes.ends_with(&[0xFF, 0xD9]));
    let views: Vec<String> = raw_actions(&mut raw).await;
    assert_eq!(
        views,
        ["photo.view_thumbnail", "photo.view"],
        "the refused view left no entry"
    );
}

/// The actions of the log's photo views, in order.
async fn raw_actions(raw: &mut Raw) -> Vec<String> {
    let sql = "SELECT action FROM audit_log WHERE action LIKE 'photo.view%' ORDER BY seq";
    on_conn!(raw, c => sqlx::query_scalar(sql).fetch_all(c).await.unwrap())
}

/// A provider, and a patient with a photography consent and one photo of about 5 MB (more
/// than a view opens ahead); the provider and the photo's id.
async fn photographed_patient(app: &System) -> (vial_app::Actor, vial_app::PhotoId) {
    let (provider, admin) = clinic::staff(app, "test").await;
    let patient = clinic::photographable_patient(app, &provider, &admin).await;
    let photo = app
        .capture_photo(
            &provider,
            &patient,
            vial_app::PhotoUpload {
                view: "front".into(),
                body_area: "face".into(),
                treatment_id: None,
                phase: None,
                bytes: noisy_jpeg(2400, 1800),
            },
        )
        .await
        .unwrap();
    (provider, photo)
}

/// A noisy picture as a JPEG (noise keeps it large: about a byte per pixel).
fn noisy_jpeg(width: u32, height: u32) -> Vec<u8> {
    use image::ImageEncoder;
    let mut state = 0x9E37_79B9u32;
    let picture = image::RgbImage::from_fn(width, height, |_, _| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        image::Rgb(state.to_le_bytes()[..3].try_into().unwrap())
    });
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 95)
        .write_image(&picture, width, height, image::ExtendedColorType::Rgb8)
        .unwrap();
    jpeg
}

/// Records `event` as a unit of work (`read` false) or as a read unit's (true), which the
/// committer appends alone when no unit shares its batch.
async fn record(app: &System, event: AuditEvent, read: bool) {
    if read {
        app.transact_read(|work| {
            Box::pin(async move {
                work.audit(event);
                Ok(())
            })
        })
        .await
        .unwrap();
    } else {
        app.record(event).await.unwrap();
    }
}

/// Steady traffic — an entry every 10 s of the injected clock, as session touches make — gets a
/// time-based checkpoint every minute (the default interval), however often entries come.
async fn steady_traffic_is_checkpointed_every_interval(pg: bool) {
    let env = Env::new(pg).await;
    let start = SystemClock.now_ms();
    let clock = Arc::new(FixedClock::new(start));
    let app = env.app_with(clock.clone()).await;
    let checkpoints = || async {
        let mut tx = app.store().begin_read().await.unwrap();
        tx.checkpoints().await.unwrap()
    };
    let before = checkpoints().await.len();
    let minutes = 5;
    for _ in 0..minutes * 6 {
        clock.advance_ms(10_000);
        fill(&app, 1).await;
    }
    // One more entry, the clock standing still: the committer handles it only after the checks
    // that followed the previous ones, and makes no checkpoint for it.
    fill(&app, 1).await;
    let made: Vec<i64> = checkpoints().await[before..]
        .iter()
        .map(|c| (c.created_at_ms - start) / 1000)
        .collect();
    assert_eq!(made.len(), minutes, "checkpoints at {made:?} s");
    // Each within one entry of its minute: the checkpoint after an entry may read the clock
    // once the next entry has moved it on.
    for (minute, at) in (1..).zip(&made) {
        assert!(
            (60 * minute - 10..=60 * minute + 10).contains(at),
            "{made:?} s"
        );
    }
}

/// Units and read units, in this process and another, append one gap-free chain.
async fn concurrent_appenders_and_a_second_process_make_one_chain(pg: bool) {
    let env = Env::new(pg).await;
    let app = env.app().await;
    let mut child = env.spawn_child_appender(300);
    let mut tasks = Vec::new();
    for t in 0..8 {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..150 {
                let event = AuditEvent::new("test.concurrent").resource("w", format!("{t}-{i}"));
                record(&app, event, t % 2 == 0).await;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let acknowledged = BufReader::new(child.stdout.take().unwrap())
        .lines()
        .map_while(Result::ok)
        .filter(|l| l.contains("ack child-"))
        .count();
    assert!(child.wait().unwrap().success());
    assert_eq!(acknowledged, 300);
    let report = env.verify().await.unwrap();
    assert_eq!(report.entries, 8 * 150 + 300, "one gap-free chain");
}

async fn sigkill_mid_append_loses_nothing_committed(pg: bool) {
    let env = Env::new(pg).await;
    let mut child = env.spawn_child_appender(0);
    let mut acknowledged = Vec::new();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    while acknowledged.len() < 200 {
        let line = lines.next().unwrap().unwrap();
        if let Some((_, id)) = line.split_once("ack ") {
            acknowledged.push(id.to_owned());
        }
    }
    Command::new("kill")
        .args(["-KILL", &child.id().to_string()])
        .status()
        .unwrap();
    child.wait().unwrap();
    let report = env.verify().await.unwrap();
    assert!(report.entries >= 200);
    let app = env.app().await;
    let mut tx = app.store().begin_read().await.unwrap();
    let rows = tx.audit_rows(None, 1_000_000).await.unwrap();
    let stored: std::collections::HashSet<String> = rows
        .iter()
        .filter_map(|r| {
            AuditEntry::from_canonical_bytes(&r.entry)
                .unwrap()
                .resource_id
        })
        .collect();
    for id in &acknowledged {
        assert!(stored.contains(id), "acknowledged entry {id} was lost");
    }
}

both_backends!(
    a_panicking_unit_fails_alone_and_the_committer_carries_on,
    untouched_log_verifies,
    edited_entry_is_named,
    rewritten_chain_is_caught_by_the_checkpoint,
    deleted_entry_is_named,
    inserted_entry_is_named,
    reordered_entries_are_named,
    truncation_behind_the_exported_checkpoint_is_named,
    the_schema_refuses_to_change_or_delete_young_entries,
    failed_units_keep_denials_and_nothing_else,
    a_photo_view_whose_entry_cannot_commit_hands_out_nothing,
    concurrent_appenders_and_a_second_process_make_one_chain,
    sigkill_mid_append_loses_nothing_committed,
    steady_traffic_is_checkpointed_every_interval,
);

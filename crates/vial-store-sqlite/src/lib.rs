//! The embedded SQLite backend: the only code that speaks SQLite's SQL.
//!
//! WAL journal, foreign keys on, `synchronous = FULL` (a commit is on disk before it returns),
//! one writer connection taking `BEGIN IMMEDIATE` (so read-then-write transactions never fail on
//! a lock upgrade, even with the CLI writing beside the server), and a pool of read-only readers.

use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, Sqlite, SqlitePool, Transaction};
use vial_store::{
    AuditHead, AuditRow, Backend, BreakGlassRow, DekCount, DekRewrap, NewSession, NewUser,
    PatientLookup, PatientRow, SessionRecord, Store, StoreError, StoreResult, StoredCheckpoint,
    StoredDek, Tx, UserCipherColumn, UserRecord,
};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// A SQLite database file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    writer: SqlitePool,
    readers: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating if absent) the database at `path` and runs migrations.
    pub async fn open(path: &Path) -> StoreResult<Self> {
        // Create the file private before SQLite does (its -wal and -shm copy this mode).
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path)
            .map_err(|e| StoreError::Database(Box::new(e)))?;
        let base = SqliteConnectOptions::from_str("sqlite://")
            .map_err(db)?
            .filename(path)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(base.clone().create_if_missing(true))
            .await
            .map_err(db)?;
        MIGRATOR
            .run(&writer)
            .await
            .map_err(|e| StoreError::Migration(Box::new(e)))?;
        let readers = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(base.read_only(true))
            .await
            .map_err(db)?;
        Ok(Self { writer, readers })
    }
}

#[async_trait::async_trait]
impl Store for SqliteStore {
    async fn begin(&self) -> StoreResult<Box<dyn Tx>> {
        let tx = self
            .writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db)?;
        Ok(Box::new(SqliteTx { tx }))
    }

    async fn begin_read(&self) -> StoreResult<Box<dyn Tx>> {
        let tx = self.readers.begin().await.map_err(db)?;
        Ok(Box::new(SqliteTx { tx }))
    }

    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    async fn close(&self) {
        self.readers.close().await;
        self.writer.close().await;
    }
}

struct SqliteTx {
    tx: Transaction<'static, Sqlite>,
}

fn db(e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(d) = &e
        && d.is_unique_violation()
    {
        // SQLite names the column in its message, PostgreSQL the constraint (`users_email_bidx_key`).
        let names = format!("{} {}", d.message(), d.constraint().unwrap_or_default());
        return StoreError::Conflict(if names.contains("email_bidx") {
            "email"
        } else if names.contains("owner") {
            "data key owner"
        } else {
            "id"
        });
    }
    StoreError::Database(Box::new(e))
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(what.to_owned())
}

fn hash32(bytes: Vec<u8>, what: &str) -> StoreResult<[u8; 32]> {
    bytes
        .try_into()
        .map_err(|_| corrupt(&format!("{what} is not 32 bytes")))
}

const SESSION_COLUMNS: &str = "id, user_id, kind, device, first_addr, last_addr, created_at_ms, \
                               last_seen_ms, reauth_at_ms, ended_at_ms, end_reason";

fn session_from_row(row: &sqlx::sqlite::SqliteRow) -> StoreResult<SessionRecord> {
    Ok(SessionRecord {
        id: row.try_get("id").map_err(db)?,
        user_id: row.try_get("user_id").map_err(db)?,
        kind: row.try_get("kind").map_err(db)?,
        device: row.try_get("device").map_err(db)?,
        first_addr: row.try_get("first_addr").map_err(db)?,
        last_addr: row.try_get("last_addr").map_err(db)?,
        created_at_ms: row.try_get("created_at_ms").map_err(db)?,
        last_seen_ms: row.try_get("last_seen_ms").map_err(db)?,
        reauth_at_ms: row.try_get("reauth_at_ms").map_err(db)?,
        ended_at_ms: row.try_get("ended_at_ms").map_err(db)?,
        end_reason: row.try_get("end_reason").map_err(db)?,
    })
}

const PATIENT_COLUMNS: &str = "id, given_enc, family_enc, dob_enc, phone_enc, email_enc, \
                               family_bidx, dob_bidx, phone_bidx, email_bidx, created_at_ms";

fn patient_from_row(row: &sqlx::sqlite::SqliteRow) -> StoreResult<PatientRow> {
    Ok(PatientRow {
        id: row.try_get("id").map_err(db)?,
        given_enc: row.try_get("given_enc").map_err(db)?,
        family_enc: row.try_get("family_enc").map_err(db)?,
        dob_enc: row.try_get("dob_enc").map_err(db)?,
        phone_enc: row.try_get("phone_enc").map_err(db)?,
        email_enc: row.try_get("email_enc").map_err(db)?,
        family_bidx: row.try_get("family_bidx").map_err(db)?,
        dob_bidx: row.try_get("dob_bidx").map_err(db)?,
        phone_bidx: row.try_get("phone_bidx").map_err(db)?,
        email_bidx: row.try_get("email_bidx").map_err(db)?,
        created_at_ms: row.try_get("created_at_ms").map_err(db)?,
    })
}

fn audit_row(row: &sqlx::sqlite::SqliteRow) -> StoreResult<AuditRow> {
    let seq: i64 = row.try_get("seq").map_err(db)?;
    Ok(AuditRow {
        seq: u64::try_from(seq).map_err(|_| corrupt("audit_log.seq is negative"))?,
        time_ms: row.try_get("time_ms").map_err(db)?,
        actor: row.try_get("actor").map_err(db)?,
        patient_id: row.try_get("patient_id").map_err(db)?,
        action: row.try_get("action").map_err(db)?,
        outcome: row.try_get("outcome").map_err(db)?,
        entry: row.try_get("entry").map_err(db)?,
        leaf_hash: hash32(row.try_get("leaf_hash").map_err(db)?, "audit_log.leaf_hash")?,
        chain_hash: hash32(
            row.try_get("chain_hash").map_err(db)?,
            "audit_log.chain_hash",
        )?,
    })
}

fn dek_from_row(row: &sqlx::sqlite::SqliteRow) -> StoreResult<StoredDek> {
    let id: Vec<u8> = row.try_get("id").map_err(db)?;
    let version: i64 = row.try_get("kek_version").map_err(db)?;
    Ok(StoredDek {
        id: id
            .try_into()
            .map_err(|_| StoreError::Corrupt("deks.id is not 16 bytes".into()))?,
        owner: row.try_get("owner").map_err(db)?,
        kek_version: u32::try_from(version)
            .map_err(|_| StoreError::Corrupt("deks.kek_version out of range".into()))?,
        wrapped: row.try_get("wrapped").map_err(db)?,
        created_at_ms: row.try_get("created_at_ms").map_err(db)?,
    })
}

fn user_from_row(row: &sqlx::sqlite::SqliteRow) -> StoreResult<UserRecord> {
    Ok(UserRecord {
        id: row.try_get("id").map_err(db)?,
        role: row.try_get("role").map_err(db)?,
        email_enc: row.try_get("email_enc").map_err(db)?,
        name_enc: row.try_get("name_enc").map_err(db)?,
        password_hash: row.try_get("password_hash").map_err(db)?,
        totp_enc: row.try_get("totp_enc").map_err(db)?,
        patient_id: row.try_get("patient_id").map_err(db)?,
        created_at_ms: row.try_get("created_at_ms").map_err(db)?,
        disabled_at_ms: row.try_get("disabled_at_ms").map_err(db)?,
        failed_logins: row.try_get("failed_logins").map_err(db)?,
        locked_until_ms: row.try_get("locked_until_ms").map_err(db)?,
        totp_last_step: row.try_get("totp_last_step").map_err(db)?,
    })
}

const DEK_COLUMNS: &str = "id, owner, kek_version, wrapped, created_at_ms";
const USER_COLUMNS: &str = "id, role, email_enc, name_enc, password_hash, totp_enc, patient_id, \
                            created_at_ms, disabled_at_ms, failed_logins, locked_until_ms, \
                            totp_last_step";

#[async_trait::async_trait]
impl Tx for SqliteTx {
    async fn commit(self: Box<Self>) -> StoreResult<()> {
        self.tx.commit().await.map_err(db)
    }

    async fn insert_dek(&mut self, dek: &StoredDek) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO deks (id, owner, kek_version, wrapped, created_at_ms) \
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&dek.id[..])
        .bind(&dek.owner)
        .bind(i64::from(dek.kek_version))
        .bind(&dek.wrapped)
        .bind(dek.created_at_ms)
        .execute(&mut *self.tx)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn dek_by_owner(&mut self, owner: &str) -> StoreResult<Option<StoredDek>> {
        let sql = format!("SELECT {DEK_COLUMNS} FROM deks WHERE owner = ?");
        let row = sqlx::query(&sql)
            .bind(owner)
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(db)?;
        row.as_ref().map(dek_from_row).transpose()
    }

    async fn dek_by_id(&mut self, id: &[u8; 16]) -> StoreResult<Option<StoredDek>> {
        let sql = format!("SELECT {DEK_COLUMNS} FROM deks WHERE id = ?");
        let row = sqlx::query(&sql)
            .bind(&id[..])
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(db)?;
        row.as_ref().map(dek_from_row).transpose()
    }

    async fn deks_wrapped_by(
        &mut self,
        version: u32,
        after: Option<[u8; 16]>,
        limit: u32,
    ) -> StoreResult<Vec<StoredDek>> {
        let sql = format!(
            "SELECT {DEK_COLUMNS} FROM deks WHERE kek_version = ? AND id > ? ORDER BY id LIMIT ?"
        );
        let rows = sqlx::query(&sql)
            .bind(i64::from(version))
            .bind(after.map(|a| a.to_vec()).unwrap_or_default())
            .bind(i64::from(limit))
            .fetch_all(&mut *self.tx)
            .await
            .map_err(db)?;
        rows.iter().map(dek_from_row).collect()
    }

    async fn rewrap_deks(&mut self, rewraps: &[DekRewrap]) -> StoreResult<u64> {
        if rewraps.is_empty() {
            return Ok(0);
        }
        // One statement per batch: per-statement overhead, not crypto, dominates re-wrapping.
        let mut query = sqlx::QueryBuilder::<Sqlite>::new(
            "UPDATE deks SET kek_version = v.column3, wrapped = v.column4 FROM (",
        );
        query.push_values(rewraps, |mut row, r| {
            row.push_bind(&r.id[..])
                .push_bind(i64::from(r.old_version))
                .push_bind(i64::from(r.new_version))
                .push_bind(&r.wrapped[..]);
        });
        query.push(") AS v WHERE deks.id = v.column1 AND deks.kek_version = v.column2");
        let done = query.build().execute(&mut *self.tx).await.map_err(db)?;
        Ok(done.rows_affected())
    }

    async fn dek_counts(&mut self) -> StoreResult<Vec<DekCount>> {
        let rows = sqlx::query(
            "SELECT kek_version, count(*) AS n FROM deks GROUP BY kek_version ORDER BY kek_version",
        )
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|row| {
                let version: i64 = row.try_get("kek_version").map_err(db)?;
                let n: i64 = row.try_get("n").map_err(db)?;
                Ok(DekCount {
                    kek_version: u32::try_from(version)
                        .map_err(|_| StoreError::Corrupt("deks.kek_version out of range".into()))?,
                    deks: u64::try_from(n).unwrap_or_default(),
                })
            })
            .collect()
    }

    async fn insert_user(&mut self, user: &NewUser) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO users (id, role, email_bidx, email_enc, name_enc, password_hash, \
             totp_enc, patient_id, created_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&user.id)
        .bind(&user.role)
        .bind(&user.email_bidx)
        .bind(&user.email_enc)
        .bind(&user.name_enc)
        .bind(&user.password_hash)
        .bind(&user.totp_enc)
        .bind(&user.patient_id)
        .bind(user.created_at_ms)
        .execute(&mut *self.tx)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn user_by_id(&mut self, id: &str) -> StoreResult<Option<UserRecord>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(db)?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn user_by_email_index(&mut self, email_bidx: &[u8]) -> StoreResult<Option<UserRecord>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE email_bidx = ?");
        let row = sqlx::query(&sql)
            .bind(email_bidx)
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(db)?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn insert_patient(&mut self, p: &PatientRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO patients (id, given_enc, family_enc, dob_enc, phone_enc, email_enc, \
             family_bidx, dob_bidx, phone_bidx, email_bidx, created_at_ms) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )
        .bind(&p.id)
        .bind(&p.given_enc)
        .bind(&p.family_enc)
        .bind(&p.dob_enc)
        .bind(&p.phone_enc)
        .bind(&p.email_enc)
        .bind(&p.family_bidx)
        .bind(&p.dob_bidx)
        .bind(&p.phone_bidx)
        .bind(&p.email_bidx)
        .bind(p.created_at_ms)
        .execute(&mut *self.tx)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn patient_by_id(&mut self, id: &str) -> StoreResult<Option<PatientRow>> {
        let sql = format!("SELECT {PATIENT_COLUMNS} FROM patients WHERE id = ?1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(db)?;
        row.as_ref().map(patient_from_row).transpose()
    }

    async fn find_patients(
        &mut self,
        lookup: &PatientLookup,
        limit: u32,
    ) -> StoreResult<Vec<PatientRow>> {
        let (filter, first, second) = match lookup {
            PatientLookup::FamilyAndDob {
                family_bidx,
                dob_bidx,
            } => (
                "family_bidx = ?1 AND dob_bidx = ?2",
                family_bidx,
                Some(dob_bidx),
            ),
            PatientLookup::Phone(bidx) => ("phone_bidx = ?1", bidx, None),
            PatientLookup::Email(bidx) => ("email_bidx = ?1", bidx, None),
        };
        let limit_param = if second.is_some() { "?3" } else { "?2" };
        let sql = format!(
            "SELECT {PATIENT_COLUMNS} FROM patients WHERE {filter} ORDER BY id LIMIT {limit_param}"
        );
        let mut query = sqlx::query(&sql).bind(first);
        if let Some(second) = second {
            query = query.bind(second);
        }
        let rows = query
            .bind(i64::from(limit))
            .fetch_all(&mut *self.tx)
            .await
            .map_err(db)?;
        rows.iter().map(patient_from_row).collect()
    }

    async fn add_to_care_team(
        &mut self,
        patient_id: &str,
        provider_id: &str,
        reason: &str,
        at_ms: i64,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "INSERT INTO care_team (patient_id, provider_id, reason, created_at_ms) \
             VALUES (?1, ?2, ?3, ?4) ON CONFLICT (patient_id, provider_id) DO NOTHING",
        )
        .bind(patient_id)
        .bind(provider_id)
        .bind(reason)
        .bind(at_ms)
        .execute(&mut *self.tx)
        .await
        .map_err(db)?;
        Ok(done.rows_affected() == 1)
    }

    async fn on_care_team(&mut self, patient_id: &str, provider_id: &str) -> StoreResult<bool> {
        let found: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM care_team WHERE patient_id = ?1 AND provider_id = ?2",
        )
        .bind(patient_id)
        .bind(provider_id)
        .fetch_one(&mut *self.tx)
        .await
        .map_err(db)?;
        Ok(found > 0)
    }

    async fn insert_break_glass(&mut self, g: &BreakGlassRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO break_glass (id, patient_id, provider_id, reason_enc, created_at_ms, \
             expires_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .bind(&g.id)
        .bind(&g.patient_id)
        .bind(&g.provider_id)
        .bind(&g.reason_enc)
        .bind(g.created_at_ms)
        .bind(g.expires_at_ms)
        .execute(&mut *self.tx)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn has_break_glass(
        &mut self,
        patient_id: &str,
        provider_id: &str,
        now_ms: i64,
    ) -> StoreResult<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM break_glass \
             WHERE patient_id = ?1 AND provider_id = ?2 AND expires_at_ms > ?3",
        )
        .bind(patient_id)
        .bind(provider_id)
        .bind(now_ms)
        .fetch_one(&mut *self.tx)
        .await
        .map_err(db)?;
        Ok(n > 0)
    }

    async fn recent_break_glass(&mut self, limit: u32) -> StoreResult<Vec<BreakGlassRow>> {
        let rows = sqlx::query(
            "SELECT id, patient_id, provider_id, reason_enc, created_at_ms, expires_at_ms \
             FROM break_glass ORDER BY created_at_ms DESC LIMIT ?1",
        )
        .bind(i64::from(limit))
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|row| {
                Ok(BreakGlassRow {
                    id: row.try_get("id").map_err(db)?,
                    patient_id: row.try_get("patient_id").map_err(db)?,
                    provider_id: row.try_get("provider_id").map_err(db)?,
                    reason_enc: row.try_get("reason_enc").map_err(db)?,
                    created_at_ms: row.try_get("created_at_ms").map_err(db)?,
                    expires_at_ms: row.try_get("expires_at_ms").map_err(db)?,
                })
            })
            .collect()
    }

    async fn set_login_state(
        &mut self,
        user_id: &str,
        failed_logins: i64,
        locked_until_ms: Option<i64>,
    ) -> StoreResult<()> {
        sqlx::query("UPDATE users SET failed_logins = ?1, locked_until_ms = ?2 WHERE id = ?3")
            .bind(failed_logins)
            .bind(locked_until_ms)
            .bind(user_id)
            .execute(&mut *self.tx)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn insert_recovery_codes(
        &mut self,
        user_id: &str,
        hashes: &[Vec<u8>],
    ) -> StoreResult<()> {
        for hash in hashes {
            sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES (?1, ?2)")
                .bind(user_id)
                .bind(hash)
                .execute(&mut *self.tx)
                .await
                .map_err(db)?;
        }
        Ok(())
    }

    async fn use_recovery_code(
        &mut self,
        user_id: &str,
        hash: &[u8],
        now_ms: i64,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE recovery_codes SET used_at_ms = ?1 \
             WHERE user_id = ?2 AND code_hash = ?3 AND used_at_ms IS NULL",
        )
        .bind(now_ms)
        .bind(user_id)
        .bind(hash)
        .execute(&mut *self.tx)
        .await
        .map_err(db)?;
        Ok(done.rows_affected() == 1)
    }

    async fn claim_totp_step(&mut self, user_id: &str, step: i64) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE users SET totp_last_step = ?1 WHERE id = ?2 \
             AND (totp_last_step IS NULL OR totp_last_step < ?1)",
        )
        .bind(step)
        .bind(user_id)
        .execute(&mut *self.tx)
        .await
        .map_err(db)?;
        Ok(done.rows_affected() == 1)
    }

    async fn insert_session(&mut self, s: &NewSession) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, id, user_id, kind, device, first_addr, last_addr, \
             created_at_ms, last_seen_ms, reauth_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7, ?7, ?7)",
        )
        .bind(&s.token_hash[..])
        .bind(&s.id)
        .bind(&s.user_id)
        .bind(&s.kind)
        .bind(&s.device)
        .bind(&s.addr)
        .bind(s.created_at_ms)
        .execute(&mut *self.tx)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn session_by_token_hash(
        &mut self,
        hash: &[u8; 32],
    ) -> StoreResult<Option<SessionRecord>> {
        let sql = format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE token_hash = ?1");
        let row = sqlx::query(&sql)
            .bind(&hash[..])
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(db)?;
        row.as_ref().map(session_from_row).transpose()
    }

    async fn touch_session(
        &mut self,
        id: &str,
        now_ms: i64,
        addr: Option<&str>,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE sessions SET last_seen_ms = ?1, last_addr = coalesce(?2, last_addr) \
             WHERE id = ?3 AND ended_at_ms IS NULL",
        )
        .bind(now_ms)
        .bind(addr)
        .bind(id)
        .execute(&mut *self.tx)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn end_session(&mut self, id: &str, now_ms: i64, reason: &str) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE sessions SET ended_at_ms = ?1, end_reason = ?2 \
             WHERE id = ?3 AND ended_at_ms IS NULL",
        )
        .bind(now_ms)
        .bind(reason)
        .bind(id)
        .execute(&mut *self.tx)
        .await
        .map_err(db)?;
        Ok(done.rows_affected() == 1)
    }

    async fn end_user_sessions(
        &mut self,
        user_id: &str,
        now_ms: i64,
        reason: &str,
    ) -> StoreResult<u64> {
        let done = sqlx::query(
            "UPDATE sessions SET ended_at_ms = ?1, end_reason = ?2 \
             WHERE user_id = ?3 AND ended_at_ms IS NULL",
        )
        .bind(now_ms)
        .bind(reason)
        .bind(user_id)
        .execute(&mut *self.tx)
        .await
        .map_err(db)?;
        Ok(done.rows_affected())
    }

    async fn set_user_role(&mut self, user_id: &str, role: &str) -> StoreResult<bool> {
        let done = sqlx::query("UPDATE users SET role = ?1 WHERE id = ?2")
            .bind(role)
            .bind(user_id)
            .execute(&mut *self.tx)
            .await
            .map_err(db)?;
        Ok(done.rows_affected() == 1)
    }

    async fn disable_user(&mut self, user_id: &str, now_ms: i64) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE users SET disabled_at_ms = ?1 WHERE id = ?2 AND disabled_at_ms IS NULL",
        )
        .bind(now_ms)
        .bind(user_id)
        .execute(&mut *self.tx)
        .await
        .map_err(db)?;
        Ok(done.rows_affected() == 1)
    }

    async fn sessions_of_user(&mut self, user_id: &str) -> StoreResult<Vec<SessionRecord>> {
        let sql = format!(
            "SELECT {SESSION_COLUMNS} FROM sessions WHERE user_id = ?1 ORDER BY created_at_ms DESC"
        );
        let rows = sqlx::query(&sql)
            .bind(user_id)
            .fetch_all(&mut *self.tx)
            .await
            .map_err(db)?;
        rows.iter().map(session_from_row).collect()
    }

    async fn savepoint(&mut self) -> StoreResult<()> {
        sqlx::query("SAVEPOINT unit")
            .execute(&mut *self.tx)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn release_savepoint(&mut self) -> StoreResult<()> {
        sqlx::query("RELEASE SAVEPOINT unit")
            .execute(&mut *self.tx)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn rollback_to_savepoint(&mut self) -> StoreResult<()> {
        sqlx::query("ROLLBACK TO SAVEPOINT unit")
            .execute(&mut *self.tx)
            .await
            .map_err(db)?;
        self.release_savepoint().await
    }

    async fn lock_audit_head(&mut self) -> StoreResult<Option<AuditHead>> {
        // The write transaction began IMMEDIATE: it already holds the only write lock.
        let row = sqlx::query("SELECT seq, chain_hash FROM audit_log ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut *self.tx)
            .await
            .map_err(db)?;
        row.map(|row| {
            let seq: i64 = row.try_get("seq").map_err(db)?;
            let chain: Vec<u8> = row.try_get("chain_hash").map_err(db)?;
            Ok(AuditHead {
                seq: u64::try_from(seq).map_err(|_| corrupt("audit_log.seq is negative"))?,
                chain_hash: hash32(chain, "audit_log.chain_hash")?,
            })
        })
        .transpose()
    }

    async fn insert_audit(&mut self, rows: &[AuditRow]) -> StoreResult<()> {
        // 9 parameters a row; chunks stay far below both engines' parameter limits.
        for chunk in rows.chunks(1000) {
            let mut query = sqlx::QueryBuilder::<Sqlite>::new(
                "INSERT INTO audit_log (seq, time_ms, actor, patient_id, action, outcome, entry, \
                 leaf_hash, chain_hash) ",
            );
            query.push_values(chunk, |mut b, r| {
                b.push_bind(i64::try_from(r.seq).unwrap_or(i64::MAX))
                    .push_bind(r.time_ms)
                    .push_bind(&r.actor)
                    .push_bind(&r.patient_id)
                    .push_bind(&r.action)
                    .push_bind(&r.outcome)
                    .push_bind(&r.entry)
                    .push_bind(&r.leaf_hash[..])
                    .push_bind(&r.chain_hash[..]);
            });
            query.build().execute(&mut *self.tx).await.map_err(db)?;
        }
        Ok(())
    }

    async fn audit_rows(&mut self, after: Option<u64>, limit: u32) -> StoreResult<Vec<AuditRow>> {
        let after = after.map_or(-1, |a| i64::try_from(a).unwrap_or(i64::MAX));
        let rows = sqlx::query(
            "SELECT seq, time_ms, actor, patient_id, action, outcome, entry, leaf_hash, chain_hash \
             FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?",
        )
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db)?;
        rows.iter().map(audit_row).collect()
    }

    async fn audit_for_patient(
        &mut self,
        patient_id: &str,
        limit: u32,
    ) -> StoreResult<Vec<AuditRow>> {
        let rows = sqlx::query(
            "SELECT seq, time_ms, actor, patient_id, action, outcome, entry, leaf_hash, chain_hash \
             FROM audit_log WHERE patient_id = ?1 ORDER BY seq DESC LIMIT ?2",
        )
        .bind(patient_id)
        .bind(i64::from(limit))
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db)?;
        rows.iter().map(audit_row).collect()
    }

    async fn audit_leaf_hashes(&mut self, from: u64, limit: u32) -> StoreResult<Vec<[u8; 32]>> {
        let rows: Vec<Vec<u8>> = sqlx::query_scalar(
            "SELECT leaf_hash FROM audit_log WHERE seq >= ? ORDER BY seq LIMIT ?",
        )
        .bind(i64::try_from(from).unwrap_or(i64::MAX))
        .bind(i64::from(limit))
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db)?;
        rows.into_iter()
            .map(|h| hash32(h, "audit_log.leaf_hash"))
            .collect()
    }

    async fn insert_checkpoint(&mut self, checkpoint: &StoredCheckpoint) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO audit_checkpoints (tree_size, root_hash, signed_note, created_at_ms) \
             VALUES (?, ?, ?, ?) ON CONFLICT (tree_size) DO NOTHING",
        )
        .bind(i64::try_from(checkpoint.tree_size).unwrap_or(i64::MAX))
        .bind(&checkpoint.root_hash[..])
        .bind(&checkpoint.signed_note)
        .bind(checkpoint.created_at_ms)
        .execute(&mut *self.tx)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn checkpoints(&mut self) -> StoreResult<Vec<StoredCheckpoint>> {
        let rows = sqlx::query(
            "SELECT tree_size, root_hash, signed_note, created_at_ms FROM audit_checkpoints \
             ORDER BY tree_size",
        )
        .fetch_all(&mut *self.tx)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|row| {
                let size: i64 = row.try_get("tree_size").map_err(db)?;
                Ok(StoredCheckpoint {
                    tree_size: u64::try_from(size).map_err(|_| corrupt("tree_size is negative"))?,
                    root_hash: hash32(row.try_get("root_hash").map_err(db)?, "root_hash")?,
                    signed_note: row.try_get("signed_note").map_err(db)?,
                    created_at_ms: row.try_get("created_at_ms").map_err(db)?,
                })
            })
            .collect()
    }

    async fn debug_overwrite_user_column(
        &mut self,
        id: &str,
        column: UserCipherColumn,
        value: &[u8],
    ) -> StoreResult<()> {
        let sql = match column {
            UserCipherColumn::Name => "UPDATE users SET name_enc = ? WHERE id = ?",
            UserCipherColumn::Email => "UPDATE users SET email_enc = ? WHERE id = ?",
        };
        sqlx::query(sql)
            .bind(value)
            .bind(id)
            .execute(&mut *self.tx)
            .await
            .map_err(db)?;
        Ok(())
    }
}

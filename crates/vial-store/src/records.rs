//! Records as stored: opaque ids, ciphertexts, wrapped keys and blind indexes only.

/// Which database engine a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A data key as stored: wrapped by one KEK version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDek {
    pub id: [u8; 16],
    /// Whose data it encrypts, e.g. a patient or user id.
    pub owner: String,
    pub kek_version: u32,
    pub wrapped: Vec<u8>,
    pub created_at_ms: i64,
}

impl StoredDek {
    /// A DEK from its columns as the database returns them, refusing an id that is not 16
    /// bytes or a KEK version out of range (whichever driver read them).
    pub fn from_columns(
        id: Vec<u8>,
        owner: String,
        kek_version: i64,
        wrapped: Vec<u8>,
        created_at_ms: i64,
    ) -> crate::StoreResult<Self> {
        Ok(Self {
            id: id
                .try_into()
                .map_err(|_| crate::StoreError::Corrupt("deks.id is not 16 bytes".into()))?,
            owner,
            kek_version: u32::try_from(kek_version)
                .map_err(|_| crate::StoreError::Corrupt("deks.kek_version out of range".into()))?,
            wrapped,
            created_at_ms,
        })
    }
}

/// A DEK's new wrapping, applied only if it is still at `old_version`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DekRewrap {
    pub id: [u8; 16],
    pub old_version: u32,
    pub new_version: u32,
    pub wrapped: Vec<u8>,
}

/// Number of DEKs wrapped by one KEK version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DekCount {
    pub kek_version: u32,
    pub deks: u64,
}

/// A user to create. Name, email and TOTP secret arrive encrypted; the email also as blind index.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub id: String,
    pub role: String,
    pub email_bidx: Vec<u8>,
    pub email_enc: Vec<u8>,
    pub name_enc: Vec<u8>,
    pub password_hash: String,
    pub totp_enc: Option<Vec<u8>>,
    pub patient_id: Option<String>,
    pub created_at_ms: i64,
}

/// A stored user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub id: String,
    pub role: String,
    pub email_enc: Vec<u8>,
    pub name_enc: Vec<u8>,
    pub password_hash: String,
    pub totp_enc: Option<Vec<u8>>,
    pub patient_id: Option<String>,
    pub created_at_ms: i64,
    pub disabled_at_ms: Option<i64>,
    /// Consecutive failed logins, reset by a successful one.
    pub failed_logins: i64,
    pub locked_until_ms: Option<i64>,
    /// The last TOTP time step accepted; a code is accepted once only.
    pub totp_last_step: Option<i64>,
}

/// One audit entry as stored: its canonical bytes, hashes and indexed copies of a few fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    pub seq: u64,
    pub time_ms: i64,
    pub actor: Option<String>,
    pub patient_id: Option<String>,
    pub action: String,
    /// `allowed` or `denied`.
    pub outcome: String,
    pub entry: Vec<u8>,
    pub leaf_hash: [u8; 32],
    pub chain_hash: [u8; 32],
}

/// An audit row borrowed from an [`AuditRowBatch`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditRowRef<'a> {
    pub seq: u64,
    pub time_ms: i64,
    pub actor: Option<&'a str>,
    pub patient_id: Option<&'a str>,
    pub action: &'a str,
    pub outcome: &'a str,
    pub entry: &'a [u8],
    pub leaf_hash: &'a [u8; 32],
    pub chain_hash: &'a [u8; 32],
}

impl AuditRowRef<'_> {
    pub fn to_row(&self) -> AuditRow {
        AuditRow {
            seq: self.seq,
            time_ms: self.time_ms,
            actor: self.actor.map(str::to_owned),
            patient_id: self.patient_id.map(str::to_owned),
            action: self.action.to_owned(),
            outcome: self.outcome.to_owned(),
            entry: self.entry.to_vec(),
            leaf_hash: *self.leaf_hash,
            chain_hash: *self.chain_hash,
        }
    }
}

/// Audit rows packed into two buffers, as a whole-log read hands them over: a million rows
/// would otherwise be five million allocations made on one core and freed on the other.
#[derive(Debug, Clone, Default)]
pub struct AuditRowBatch {
    rows: Vec<PackedAuditRow>,
    texts: String,
    entries: Vec<u8>,
}

/// A row's fixed fields and where its texts and entry lie in the batch's buffers.
#[derive(Debug, Clone)]
struct PackedAuditRow {
    seq: u64,
    time_ms: i64,
    actor: Option<std::ops::Range<usize>>,
    patient_id: Option<std::ops::Range<usize>>,
    action: std::ops::Range<usize>,
    outcome: std::ops::Range<usize>,
    entry: std::ops::Range<usize>,
    leaf_hash: [u8; 32],
    chain_hash: [u8; 32],
}

impl AuditRowBatch {
    /// Room for `rows` rows without growing the row list.
    pub fn with_capacity(rows: usize) -> Self {
        Self {
            rows: Vec::with_capacity(rows),
            texts: String::with_capacity(rows * 48),
            entries: Vec::with_capacity(rows * 160),
        }
    }

    pub fn push(&mut self, row: AuditRowRef<'_>) {
        let mut text = |s: &str| {
            let start = self.texts.len();
            self.texts.push_str(s);
            start..self.texts.len()
        };
        let packed = PackedAuditRow {
            seq: row.seq,
            time_ms: row.time_ms,
            actor: row.actor.map(&mut text),
            patient_id: row.patient_id.map(&mut text),
            action: text(row.action),
            outcome: text(row.outcome),
            entry: {
                let start = self.entries.len();
                self.entries.extend_from_slice(row.entry);
                start..self.entries.len()
            },
            leaf_hash: *row.leaf_hash,
            chain_hash: *row.chain_hash,
        };
        self.rows.push(packed);
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The rows in the order they were pushed.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = AuditRowRef<'_>> + ExactSizeIterator {
        // The ranges were taken from these buffers as the rows were pushed, on whole strings.
        let text = |r: &std::ops::Range<usize>| self.texts.get(r.clone()).unwrap_or_default();
        self.rows.iter().map(move |p| AuditRowRef {
            seq: p.seq,
            time_ms: p.time_ms,
            actor: p.actor.as_ref().map(text),
            patient_id: p.patient_id.as_ref().map(text),
            action: text(&p.action),
            outcome: text(&p.outcome),
            entry: self.entries.get(p.entry.clone()).unwrap_or_default(),
            leaf_hash: &p.leaf_hash,
            chain_hash: &p.chain_hash,
        })
    }
}

/// The newest entry's position and chain hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditHead {
    pub seq: u64,
    pub chain_hash: [u8; 32],
}

impl AuditHead {
    /// The head from [`AUDIT_HEAD_SQL`](crate::AUDIT_HEAD_SQL)'s columns as the database returns
    /// them (whichever driver read them), refusing a negative seq or a hash that is not 32 bytes.
    pub fn from_columns(seq: i64, chain_hash: Vec<u8>) -> crate::StoreResult<Self> {
        Ok(Self {
            seq: u64::try_from(seq)
                .map_err(|_| crate::StoreError::Corrupt("audit_log.seq is negative".into()))?,
            chain_hash: chain_hash.try_into().map_err(|_| {
                crate::StoreError::Corrupt("audit_log.chain_hash is not 32 bytes".into())
            })?,
        })
    }
}

/// A signed checkpoint over entries `[0, tree_size)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCheckpoint {
    pub tree_size: u64,
    pub root_hash: [u8; 32],
    pub signed_note: String,
    pub created_at_ms: i64,
}

/// A session to create. Only a hash of its secret token is stored.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub token_hash: [u8; 32],
    pub id: String,
    pub user_id: String,
    /// `browser` or `api`.
    pub kind: String,
    pub device: Option<String>,
    pub addr: Option<String>,
    pub created_at_ms: i64,
}

/// A stored session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub id: String,
    pub user_id: String,
    pub kind: String,
    pub device: Option<String>,
    pub first_addr: Option<String>,
    pub last_addr: Option<String>,
    pub created_at_ms: i64,
    pub last_seen_ms: i64,
    pub reauth_at_ms: i64,
    pub ended_at_ms: Option<i64>,
    pub end_reason: Option<String>,
}

/// A patient's demographics as stored: ciphertexts and blind indexes only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatientRow {
    pub id: String,
    pub given_enc: Vec<u8>,
    pub family_enc: Vec<u8>,
    pub dob_enc: Vec<u8>,
    pub phone_enc: Option<Vec<u8>>,
    pub email_enc: Option<Vec<u8>>,
    pub family_bidx: Vec<u8>,
    pub dob_bidx: Vec<u8>,
    pub phone_bidx: Option<Vec<u8>>,
    pub email_bidx: Option<Vec<u8>>,
    pub created_at_ms: i64,
}

/// How patients are looked up: exact matches on blind indexes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatientLookup {
    FamilyAndDob {
        family_bidx: Vec<u8>,
        dob_bidx: Vec<u8>,
    },
    Phone(Vec<u8>),
    Email(Vec<u8>),
}

/// A break-glass grant as stored (the reason is a ciphertext).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreakGlassRow {
    pub id: String,
    pub patient_id: String,
    pub provider_id: String,
    pub reason_enc: Vec<u8>,
    pub created_at_ms: i64,
    pub expires_at_ms: i64,
}

/// An appointment as stored: scheduling facts in clear, the service and a mobile visit's
/// address sealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppointmentRow {
    pub id: String,
    pub patient_id: String,
    pub provider_id: String,
    pub location_id: Option<String>,
    pub start_ms: i64,
    pub end_ms: i64,
    pub status: String,
    pub service_enc: Vec<u8>,
    pub address_enc: Option<Vec<u8>>,
    pub created_by: String,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

/// A clinic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocationRow {
    pub id: String,
    pub name: String,
    pub created_at_ms: i64,
}

/// A clinical document as stored: a sealed body and its life cycle in clear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClinicalRecordRow {
    pub id: String,
    pub patient_id: String,
    /// `treatment`, `soap_note`, `plan`, `consent`, `history` or `amendment`.
    pub kind: String,
    pub parent_id: Option<String>,
    pub author_id: String,
    /// `draft`, `signed`, `revoked` or `current`.
    pub state: String,
    /// A code without clinical detail (a consent's kind, a treatment's type).
    pub label: Option<String>,
    pub body_enc: Vec<u8>,
    pub version: i64,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    pub signed_by: Option<String>,
    pub signed_at_ms: Option<i64>,
    /// `not_required`, `awaiting` or `cosigned`.
    pub cosign: Option<String>,
    pub cosigned_by: Option<String>,
    pub cosigned_at_ms: Option<i64>,
    pub revoked_at_ms: Option<i64>,
}

/// Received stock of one lot; quantities in hundredths of the product's unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InventoryLotRow {
    pub id: String,
    pub product_code: String,
    pub lot: String,
    pub expiry: String,
    pub received: i64,
    pub remaining: i64,
    pub received_at_ms: i64,
}

/// A published consent form version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentFormRow {
    pub kind: String,
    pub version: String,
    pub text: String,
    pub created_at_ms: i64,
}

/// One patient's uses of a recalled lot, with everything a recall shows, fetched in one query:
/// the sealed list of uses, the patient's sealed name and contact, and the patient's wrapped DEK.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecallRow {
    pub patient_id: String,
    pub uses_enc: Vec<u8>,
    pub given_enc: Vec<u8>,
    pub family_enc: Vec<u8>,
    pub phone_enc: Option<Vec<u8>>,
    pub email_enc: Option<Vec<u8>>,
    pub dek: StoredDek,
}

/// A clinical photo as stored: the picture and thumbnail are sealed blobs elsewhere; here only
/// ids, times, sizes and the stored format are in clear, and the view, body area and phase are
/// sealed in `meta_enc`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoRow {
    pub id: String,
    pub patient_id: String,
    pub author_id: String,
    pub treatment_id: Option<String>,
    /// `jpeg` or `png`.
    pub format: String,
    pub width: i64,
    pub height: i64,
    /// Plaintext sizes of the picture and thumbnail.
    pub photo_bytes: i64,
    pub thumb_bytes: i64,
    pub meta_enc: Vec<u8>,
    pub created_at_ms: i64,
    pub deleted_at_ms: Option<i64>,
    pub deleted_by: Option<String>,
}

/// A session with what authenticating it needs of its user, read in one query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionAuth {
    pub session: SessionRecord,
    pub role: String,
    pub user_disabled_at_ms: Option<i64>,
}

/// A photo read for one user: the row, its patient's wrapped DEK and whether that user is on
/// the patient's care team, in one query (every view of a picture or thumbnail).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoRead {
    pub photo: PhotoRow,
    pub dek: Option<StoredDek>,
    pub on_care_team: bool,
}

/// A patient read for one user: the row, the wrapped DEK and whether that user is on the
/// patient's care team, in one query (the hot read path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatientRead {
    pub patient: PatientRow,
    pub dek: Option<StoredDek>,
    pub on_care_team: bool,
}

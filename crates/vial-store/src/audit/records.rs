//! Audit rows and checkpoints as stored: canonical entry bytes, hashes and a few indexed fields.

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

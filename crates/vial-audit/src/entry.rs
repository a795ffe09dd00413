//! The audit entry and its canonical byte encoding, the bytes every hash in this crate covers.
//!
//! Owns [`AuditEntry`], [`Outcome`] and the encoding's format. An entry records *who did what to
//! which record, why, and whether it was allowed*, as identifiers and codes only: user, session
//! and device ids, action codes, resource ids, purpose-of-use codes, reason codes. It must never
//! hold PHI values (names, dates of birth, clinical text); the audit log outlives every record
//! and is exported to auditors, so a PHI value written here could never be erased.
//!
//! # Canonical encoding, version 1
//!
//! ```text
//! 0x01                      format version
//! seq      u64 big-endian   8 bytes
//! time_ms  i64 big-endian   8 bytes
//! then, in this fixed order, each field prefixed by its one-byte tag:
//!   1 actor  2 role  3 session  4 device  5 source_addr      optional text
//!   6 action                                                 required text
//!   7 resource_type  8 resource_id  9 patient_id  10 purpose optional text
//!   11 outcome                                               one byte: 0 allowed, 1 denied
//!   12 reason                                                optional text
//! optional text = 0x00 (absent) | 0x01 len bytes
//! required text = len bytes
//! len           = byte length as minimal unsigned LEB128
//! ```
//!
//! Every field is self-delimiting and the order is fixed, so the encoding is injective: the
//! decoder ([`AuditEntry::from_canonical_bytes`]) accepts exactly the encoder's output
//! (minimal lengths, no trailing bytes), which makes `decode(encode(e)) == e` the proof of
//! unambiguity. `None` and `Some("")` encode differently on purpose.

use serde::{Deserialize, Serialize};

use crate::AuditError;

/// First byte of every canonical entry encoding.
pub const FORMAT_V1: u8 = 0x01;

/// Whether the audited action was permitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Allowed,
    Denied,
}

/// One audit record. Ids and codes only — never PHI values (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
// Unknown JSON fields are refused: the hash covers only these fields, so a silently dropped
// field would look verified when it was not.
#[serde(deny_unknown_fields)]
pub struct AuditEntry {
    /// Position in the log, from 0, contiguous; also the Merkle leaf index.
    pub seq: u64,
    /// Unix time in milliseconds, as supplied by the caller's clock.
    pub time_ms: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_addr: Option<String>,
    /// Action code, e.g. `patient.read`, `user.add`, `key.rotate`, `break_glass`.
    pub action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patient_id: Option<String>,
    /// Purpose-of-use code, e.g. `treatment`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    pub outcome: Outcome,
    /// Reason code, e.g. why access was denied or why break-glass was invoked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl AuditEntry {
    /// The canonical encoding (see the module docs) in a fresh buffer.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        self.encode_into(&mut out);
        out
    }

    /// Appends the canonical encoding to `out`. Hot paths reuse one buffer across entries so
    /// that encoding allocates nothing once the buffer has grown.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        out.push(FORMAT_V1);
        out.extend_from_slice(&self.seq.to_be_bytes());
        out.extend_from_slice(&self.time_ms.to_be_bytes());
        put_opt(out, 1, &self.actor);
        put_opt(out, 2, &self.role);
        put_opt(out, 3, &self.session);
        put_opt(out, 4, &self.device);
        put_opt(out, 5, &self.source_addr);
        out.push(6);
        put_text(out, &self.action);
        put_opt(out, 7, &self.resource_type);
        put_opt(out, 8, &self.resource_id);
        put_opt(out, 9, &self.patient_id);
        put_opt(out, 10, &self.purpose);
        out.push(11);
        out.push(match self.outcome {
            Outcome::Allowed => 0,
            Outcome::Denied => 1,
        });
        put_opt(out, 12, &self.reason);
    }

    /// Parses a canonical encoding, accepting only exactly what [`Self::encode_into`] produces.
    pub fn from_canonical_bytes(bytes: &[u8]) -> Result<Self, AuditError> {
        AuditEntryView::parse(bytes).map(|view| view.to_entry())
    }
}

/// An entry decoded in place, its texts borrowed from the canonical bytes: what a verifier
/// streaming millions of entries reads without allocating. Same decoder, same refusals, as
/// [`AuditEntry::from_canonical_bytes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditEntryView<'a> {
    pub seq: u64,
    pub time_ms: i64,
    pub actor: Option<&'a str>,
    pub role: Option<&'a str>,
    pub session: Option<&'a str>,
    pub device: Option<&'a str>,
    pub source_addr: Option<&'a str>,
    pub action: &'a str,
    pub resource_type: Option<&'a str>,
    pub resource_id: Option<&'a str>,
    pub patient_id: Option<&'a str>,
    pub purpose: Option<&'a str>,
    pub outcome: Outcome,
    pub reason: Option<&'a str>,
}

impl<'a> AuditEntryView<'a> {
    /// Decodes canonical bytes, accepting exactly the encoder's output.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, AuditError> {
        let mut r = Reader(bytes);
        let version = r.byte()?;
        if version != FORMAT_V1 {
            return Err(AuditError::UnsupportedVersion(version));
        }
        let seq = u64::from_be_bytes(r.array()?);
        let time_ms = i64::from_be_bytes(r.array()?);
        let actor = r.opt(1)?;
        let role = r.opt(2)?;
        let session = r.opt(3)?;
        let device = r.opt(4)?;
        let source_addr = r.opt(5)?;
        r.tag(6)?;
        let action = r.text()?;
        let resource_type = r.opt(7)?;
        let resource_id = r.opt(8)?;
        let patient_id = r.opt(9)?;
        let purpose = r.opt(10)?;
        r.tag(11)?;
        let outcome = match r.byte()? {
            0 => Outcome::Allowed,
            1 => Outcome::Denied,
            other => return Err(AuditError::BadOutcome(other)),
        };
        let reason = r.opt(12)?;
        if !r.0.is_empty() {
            return Err(AuditError::TrailingBytes(r.0.len()));
        }
        Ok(Self {
            seq,
            time_ms,
            actor,
            role,
            session,
            device,
            source_addr,
            action,
            resource_type,
            resource_id,
            patient_id,
            purpose,
            outcome,
            reason,
        })
    }

    /// The owned entry.
    pub fn to_entry(&self) -> AuditEntry {
        let owned = |v: Option<&str>| v.map(str::to_owned);
        AuditEntry {
            seq: self.seq,
            time_ms: self.time_ms,
            actor: owned(self.actor),
            role: owned(self.role),
            session: owned(self.session),
            device: owned(self.device),
            source_addr: owned(self.source_addr),
            action: self.action.to_owned(),
            resource_type: owned(self.resource_type),
            resource_id: owned(self.resource_id),
            patient_id: owned(self.patient_id),
            purpose: owned(self.purpose),
            outcome: self.outcome,
            reason: owned(self.reason),
        }
    }
}

fn put_opt(out: &mut Vec<u8>, tag: u8, value: &Option<String>) {
    out.push(tag);
    match value {
        None => out.push(0),
        Some(s) => {
            out.push(1);
            put_text(out, s);
        }
    }
}

fn put_text(out: &mut Vec<u8>, s: &str) {
    let mut n = s.len() as u64; // usize → u64 never truncates on supported targets
    while n >= 0x80 {
        out.push((n as u8 & 0x7f) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
    out.extend_from_slice(s.as_bytes());
}

/// A cursor over canonical bytes; every read fails with `Truncated` instead of panicking.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Result<u8, AuditError> {
        let (&b, rest) = self.0.split_first().ok_or(AuditError::Truncated)?;
        self.0 = rest;
        Ok(b)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], AuditError> {
        let (head, rest) = self
            .0
            .split_first_chunk::<N>()
            .ok_or(AuditError::Truncated)?;
        self.0 = rest;
        Ok(*head)
    }

    fn tag(&mut self, expected: u8) -> Result<(), AuditError> {
        match self.byte()? {
            found if found == expected => Ok(()),
            found => Err(AuditError::UnexpectedTag { expected, found }),
        }
    }

    fn len(&mut self) -> Result<usize, AuditError> {
        let mut value: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            let bits = u64::from(b & 0x7f);
            // A payload that shifts bits out of range would alias a shorter value.
            if shift == 63 && bits > 1 {
                return Err(AuditError::NonCanonicalLength);
            }
            value |= bits << shift;
            if b & 0x80 == 0 {
                // Minimal form: only a single-byte zero may end in a zero group.
                if b == 0 && shift > 0 {
                    return Err(AuditError::NonCanonicalLength);
                }
                return usize::try_from(value).map_err(|_| AuditError::Truncated);
            }
        }
        Err(AuditError::NonCanonicalLength)
    }

    fn text(&mut self) -> Result<&'a str, AuditError> {
        let n = self.len()?;
        if n > self.0.len() {
            return Err(AuditError::Truncated);
        }
        let (s, rest) = self.0.split_at(n);
        self.0 = rest;
        std::str::from_utf8(s).map_err(|_| AuditError::InvalidUtf8)
    }

    fn opt(&mut self, tag: u8) -> Result<Option<&'a str>, AuditError> {
        self.tag(tag)?;
        match self.byte()? {
            0 => Ok(None),
            1 => self.text().map(Some),
            other => Err(AuditError::BadPresence(other)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn opt_text() -> impl Strategy<Value = Option<String>> {
        // Includes non-ASCII and lengths past 127 to exercise multi-byte LEB128 prefixes.
        proptest::option::of(prop_oneof![".{0,8}", "[a-z.]{120,200}"])
    }

    prop_compose! {
        fn entry()(
            seq in any::<u64>(), time_ms in any::<i64>(),
            ids in proptest::collection::vec(opt_text(), 10),
            action in ".{0,12}", denied in any::<bool>(),
        ) -> AuditEntry {
            AuditEntry {
                seq, time_ms,
                actor: ids[0].clone(), role: ids[1].clone(), session: ids[2].clone(),
                device: ids[3].clone(), source_addr: ids[4].clone(), action,
                resource_type: ids[5].clone(), resource_id: ids[6].clone(),
                patient_id: ids[7].clone(), purpose: ids[8].clone(),
                outcome: if denied { Outcome::Denied } else { Outcome::Allowed },
                reason: ids[9].clone(),
            }
        }
    }

    proptest! {
        #[test]
        fn decode_inverts_encode(e in entry()) {
            let bytes = e.canonical_bytes();
            prop_assert_eq!(AuditEntry::from_canonical_bytes(&bytes)?, e.clone());
            let view = AuditEntryView::parse(&bytes)?;
            prop_assert_eq!(view.to_entry(), e);
        }

        #[test]
        fn distinct_entries_encode_distinctly(a in entry(), b in entry()) {
            prop_assert_eq!(a == b, a.canonical_bytes() == b.canonical_bytes());
        }

        #[test]
        fn one_field_change_changes_encoding(e in entry(), field in 0usize..3) {
            // Random pairs are nearly always far apart; near-misses are the interesting case.
            let mut f = e.clone();
            match field {
                0 => f.actor = match f.actor { None => Some(String::new()), Some(_) => None },
                1 => f.action.push('x'),
                _ => f.outcome = if f.outcome == Outcome::Allowed { Outcome::Denied } else { Outcome::Allowed },
            }
            prop_assert_ne!(e.canonical_bytes(), f.canonical_bytes());
        }

        #[test]
        fn decoder_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = AuditEntry::from_canonical_bytes(&bytes);
        }
    }

    fn sample() -> AuditEntry {
        AuditEntry {
            seq: 1,
            time_ms: -2,
            actor: Some("u1".into()),
            role: None,
            session: None,
            device: None,
            source_addr: None,
            action: "patient.read".into(),
            resource_type: None,
            resource_id: None,
            patient_id: Some("p9".into()),
            purpose: None,
            outcome: Outcome::Denied,
            reason: None,
        }
    }

    #[test]
    fn layout_is_as_documented() {
        let b = sample().canonical_bytes();
        let mut want = vec![1, 0, 0, 0, 0, 0, 0, 0, 1];
        want.extend_from_slice(&(-2i64).to_be_bytes());
        want.extend_from_slice(&[1, 1, 2, b'u', b'1', 2, 0, 3, 0, 4, 0, 5, 0, 6, 12]);
        want.extend_from_slice(b"patient.read");
        want.extend_from_slice(&[7, 0, 8, 0, 9, 1, 2, b'p', b'9', 10, 0, 11, 1, 12, 0]);
        assert_eq!(b, want);
    }

    #[test]
    fn rejects_non_canonical_input() {
        let good = sample().canonical_bytes();
        let mut trailing = good.clone();
        trailing.push(0);
        assert!(matches!(
            AuditEntry::from_canonical_bytes(&trailing),
            Err(AuditError::TrailingBytes(1))
        ));
        let mut version = good.clone();
        version[0] = 2;
        assert!(matches!(
            AuditEntry::from_canonical_bytes(&version),
            Err(AuditError::UnsupportedVersion(2))
        ));
        // actor length 2 written as the non-minimal LEB128 [0x82, 0x00].
        let mut padded = good[..19].to_vec();
        padded.extend_from_slice(&[0x82, 0x00]);
        padded.extend_from_slice(&good[20..]);
        assert!(matches!(
            AuditEntry::from_canonical_bytes(&padded),
            Err(AuditError::NonCanonicalLength)
        ));
        assert!(matches!(
            AuditEntry::from_canonical_bytes(&good[..good.len() - 1]),
            Err(AuditError::Truncated)
        ));
    }

    #[test]
    fn json_omits_absent_fields_and_refuses_unknown_ones() -> Result<(), serde_json::Error> {
        let json = serde_json::to_string(&sample())?;
        assert!(!json.contains("role"));
        assert!(json.contains("\"outcome\":\"denied\""));
        assert_eq!(serde_json::from_str::<AuditEntry>(&json)?, sample());
        let extra = json.replace("{", "{\"note\":\"x\",");
        assert!(serde_json::from_str::<AuditEntry>(&extra).is_err());
        Ok(())
    }
}

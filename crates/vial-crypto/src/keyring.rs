//! The key ring: versioned key-encryption keys (KEKs) that wrap and unwrap data keys.
//!
//! The newest unretired version is current: new DEKs are wrapped with it, and rotation re-wraps
//! older DEKs to it. Retired versions have no secret any more, so anything still wrapped by one
//! fails with [`CryptoError::MissingKek`] rather than decrypting to garbage.

use std::collections::BTreeMap;

use aws_lc_rs::aead::{self, AES_256_GCM, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use zeroize::Zeroizing;

use crate::{BlindIndexKey, CryptoError, DataKey, DekId, KeyMaterial, SecretKeyBytes, format};

const WRAPPED_LEN: usize = 1 + 4 + NONCE_LEN + 32 + 16;

/// A DEK sealed under one KEK version, as stored in the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrappedKey {
    kek_version: u32,
    bytes: Vec<u8>,
}

impl WrappedKey {
    /// Parses stored bytes, checking format and length; the KEK version is read from them.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, CryptoError> {
        match bytes.first() {
            Some(&format::WRAPPED_DEK_V1) if bytes.len() == WRAPPED_LEN => {
                let version: [u8; 4] = bytes[1..5]
                    .try_into()
                    .map_err(|_| CryptoError::Malformed("kek version"))?;
                Ok(Self {
                    kek_version: u32::from_be_bytes(version),
                    bytes,
                })
            }
            Some(&format::WRAPPED_DEK_V1) => Err(CryptoError::Malformed("wrapped key length")),
            Some(&other) => Err(CryptoError::UnknownFormat(other)),
            None => Err(CryptoError::Malformed("empty wrapped key")),
        }
    }

    pub fn kek_version(&self) -> u32 {
        self.kek_version
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }
}

struct Kek {
    created_at_ms: i64,
    aead: LessSafeKey,
}

/// Unwrapped KEKs plus the blind-index key. Built from [`KeyMaterial`]; never printed.
pub struct KeyRing {
    keks: BTreeMap<u32, Kek>,
    retired: BTreeMap<u32, i64>,
    blind: BlindIndexKey,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRing")
            .field("versions", &self.keks.keys().collect::<Vec<_>>())
            .field("retired", &self.retired.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

fn wrap_aad(dek_id: &DekId) -> Vec<u8> {
    let mut aad = b"vial:dek:v1\0".to_vec();
    aad.extend_from_slice(dek_id.as_bytes());
    aad
}

impl KeyRing {
    pub fn new(material: &KeyMaterial) -> Result<Self, CryptoError> {
        let mut keks = BTreeMap::new();
        let mut retired = BTreeMap::new();
        for record in &material.keks {
            match (&record.secret, record.retired_at_ms) {
                (Some(secret), None) => {
                    let unbound = UnboundKey::new(&AES_256_GCM, secret.expose())
                        .map_err(|_| CryptoError::InvalidKey("key-encryption key"))?;
                    keks.insert(
                        record.version,
                        Kek {
                            created_at_ms: record.created_at_ms,
                            aead: LessSafeKey::new(unbound),
                        },
                    );
                }
                (_, Some(at)) => {
                    retired.insert(record.version, at);
                }
                (None, None) => return Err(CryptoError::InvalidKey("active KEK without a secret")),
            }
        }
        if keks.is_empty() {
            return Err(CryptoError::NoActiveKek);
        }
        Ok(Self {
            keks,
            retired,
            blind: BlindIndexKey::new(&material.blind_index_key),
        })
    }

    /// The version new DEKs are wrapped with.
    pub fn current_version(&self) -> u32 {
        self.keks.keys().next_back().copied().unwrap_or_default()
    }

    /// When the current version was created (unix ms), to decide automatic rotation.
    pub fn current_created_at_ms(&self) -> i64 {
        self.keks
            .values()
            .next_back()
            .map(|k| k.created_at_ms)
            .unwrap_or_default()
    }

    /// Active (unretired) versions, oldest first.
    pub fn active_versions(&self) -> impl Iterator<Item = (u32, i64)> + '_ {
        self.keks.iter().map(|(v, k)| (*v, k.created_at_ms))
    }

    pub fn blind_index_key(&self) -> &BlindIndexKey {
        &self.blind
    }

    /// Seals a DEK under the current KEK version.
    pub fn wrap(&self, dek: &DataKey) -> Result<WrappedKey, CryptoError> {
        let version = self.current_version();
        let kek = self.keks.get(&version).ok_or(CryptoError::NoActiveKek)?;
        let mut nonce = [0u8; NONCE_LEN];
        crate::random_bytes(&mut nonce)?;
        let mut bytes = Vec::with_capacity(WRAPPED_LEN);
        bytes.push(format::WRAPPED_DEK_V1);
        bytes.extend_from_slice(&version.to_be_bytes());
        bytes.extend_from_slice(&nonce);
        bytes.extend_from_slice(dek.secret().expose());
        let aad = wrap_aad(&dek.id());
        let tag = kek
            .aead
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce),
                aead::Aad::from(aad.as_slice()),
                &mut bytes[5 + NONCE_LEN..],
            )
            .map_err(|_| CryptoError::Decrypt)?;
        bytes.extend_from_slice(tag.as_ref());
        Ok(WrappedKey {
            kek_version: version,
            bytes,
        })
    }

    /// Opens a wrapped DEK. The id must be the one it was wrapped for (it is authenticated).
    pub fn unwrap(&self, id: DekId, wrapped: &WrappedKey) -> Result<DataKey, CryptoError> {
        let kek = self
            .keks
            .get(&wrapped.kek_version)
            .ok_or(CryptoError::MissingKek(wrapped.kek_version))?;
        let nonce = Nonce::try_assume_unique_for_key(&wrapped.bytes[5..5 + NONCE_LEN])
            .map_err(|_| CryptoError::Malformed("nonce"))?;
        let mut buf = Zeroizing::new(wrapped.bytes[5 + NONCE_LEN..].to_vec());
        let aad = wrap_aad(&id);
        let secret = kek
            .aead
            .open_in_place(nonce, aead::Aad::from(aad.as_slice()), &mut buf)
            .map_err(|_| CryptoError::Decrypt)?;
        DataKey::from_parts(id, SecretKeyBytes::from_slice(secret)?)
    }

    /// Re-wraps a DEK under the current version (rotation). A no-op copy if already current.
    pub fn rewrap(&self, id: DekId, wrapped: &WrappedKey) -> Result<WrappedKey, CryptoError> {
        if wrapped.kek_version == self.current_version() {
            return Ok(wrapped.clone());
        }
        self.wrap(&self.unwrap(id, wrapped)?)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // tests fail loudly by design

    use super::*;
    use crate::{Aad, KekRecord, generate_secret};

    fn material(versions: &[u32]) -> KeyMaterial {
        KeyMaterial {
            keks: versions
                .iter()
                .map(|&v| KekRecord {
                    version: v,
                    created_at_ms: i64::from(v) * 1000,
                    retired_at_ms: None,
                    secret: Some(generate_secret().unwrap()),
                })
                .collect(),
            blind_index_key: generate_secret().unwrap(),
            audit_signing_seed: generate_secret().unwrap(),
        }
    }

    #[test]
    fn wrap_unwrap_round_trip_keeps_the_key() {
        let ring = KeyRing::new(&material(&[1])).unwrap();
        let dek = DataKey::generate().unwrap();
        let aad = Aad::new("t", "c", "r");
        let ct = dek.seal(aad, b"hello").unwrap();
        let wrapped = ring.wrap(&dek).unwrap();
        assert_eq!(wrapped.kek_version(), 1);
        let parsed = WrappedKey::from_bytes(wrapped.as_bytes().to_vec()).unwrap();
        let back = ring.unwrap(dek.id(), &parsed).unwrap();
        assert_eq!(&back.open(aad, &ct).unwrap()[..], b"hello");
    }

    #[test]
    fn unwrap_for_another_id_or_with_another_ring_fails() {
        let ring = KeyRing::new(&material(&[1])).unwrap();
        let stranger = KeyRing::new(&material(&[1])).unwrap();
        let dek = DataKey::generate().unwrap();
        let wrapped = ring.wrap(&dek).unwrap();
        let other_id = DekId::random().unwrap();
        assert_eq!(
            ring.unwrap(other_id, &wrapped).err(),
            Some(CryptoError::Decrypt)
        );
        assert_eq!(
            stranger.unwrap(dek.id(), &wrapped).err(),
            Some(CryptoError::Decrypt)
        );
    }

    #[test]
    fn rotation_rewraps_and_retired_versions_are_missing_not_garbage() {
        let mut m = material(&[1]);
        let old_ring = KeyRing::new(&m).unwrap();
        let dek = DataKey::generate().unwrap();
        let old = old_ring.wrap(&dek).unwrap();
        m.keks.push(KekRecord {
            version: 2,
            created_at_ms: 5000,
            retired_at_ms: None,
            secret: Some(generate_secret().unwrap()),
        });
        let ring = KeyRing::new(&m).unwrap();
        assert_eq!(ring.current_version(), 2);
        assert!(
            ring.unwrap(dek.id(), &old).is_ok(),
            "old data stays readable"
        );
        let new = ring.rewrap(dek.id(), &old).unwrap();
        assert_eq!(new.kek_version(), 2);
        m.keks[0].retired_at_ms = Some(6000);
        m.keks[0].secret = None;
        let retired = KeyRing::new(&m).unwrap();
        assert_eq!(
            retired.unwrap(dek.id(), &old).err(),
            Some(CryptoError::MissingKek(1))
        );
        assert!(retired.unwrap(dek.id(), &new).is_ok());
    }

    #[test]
    fn malformed_wrapped_keys_are_refused() {
        assert!(WrappedKey::from_bytes(vec![]).is_err());
        assert_eq!(
            WrappedKey::from_bytes(vec![7; 65]).err(),
            Some(CryptoError::UnknownFormat(7))
        );
        assert!(WrappedKey::from_bytes(vec![format::WRAPPED_DEK_V1; 10]).is_err());
    }

    #[test]
    fn a_ring_needs_an_active_kek_and_never_prints_secrets() {
        let mut m = material(&[1]);
        m.keks[0].retired_at_ms = Some(1);
        assert_eq!(KeyRing::new(&m).err(), Some(CryptoError::NoActiveKek));
        let m = material(&[1]);
        let secret_hex: String = m.keks[0]
            .secret
            .as_ref()
            .unwrap()
            .expose()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let ring = KeyRing::new(&m).unwrap();
        let printed = format!("{ring:?} {:?} {:?}", m, DataKey::generate().unwrap());
        assert!(!printed.contains(&secret_hex));
        assert!(printed.contains("redacted"));
    }
}

//! Field encryption: small values (a name, a date of birth, a note) sealed in one piece.
//!
//! Format `FIELD_V1 ‖ dek id ‖ nonce ‖ ciphertext ‖ tag`. Nonces are random: each patient has
//! their own DEK, so the number of messages per key stays far below the 2^32 random-nonce bound.

use aws_lc_rs::aead::{self, NONCE_LEN, Nonce};
use zeroize::Zeroizing;

use crate::{Aad, CryptoError, DataKey, format};

const HEADER_LEN: usize = 1 + 16 + NONCE_LEN;
const TAG_LEN: usize = 16;

impl DataKey {
    /// Encrypts `plaintext` for the storage location `aad`.
    pub fn seal(&self, aad: Aad<'_>, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let mut nonce = [0u8; NONCE_LEN];
        crate::random_bytes(&mut nonce)?;
        let mut out = Vec::with_capacity(HEADER_LEN + plaintext.len() + TAG_LEN);
        out.push(format::FIELD_V1);
        out.extend_from_slice(self.id().as_bytes());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(plaintext);
        let aad_bytes = aad.encode(format::FIELD_V1, self.id().as_bytes());
        let tag = self
            .aead
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce),
                aead::Aad::from(aad_bytes.as_slice()),
                &mut out[HEADER_LEN..],
            )
            .map_err(|_| CryptoError::Decrypt)?;
        out.extend_from_slice(tag.as_ref());
        Ok(out)
    }

    /// Decrypts a value sealed by [`DataKey::seal`] for the same location.
    pub fn open(&self, aad: Aad<'_>, ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let (&format_byte, rest) = ciphertext
            .split_first()
            .ok_or(CryptoError::Malformed("empty ciphertext"))?;
        if format_byte != format::FIELD_V1 {
            return Err(CryptoError::UnknownFormat(format_byte));
        }
        if ciphertext.len() < HEADER_LEN + TAG_LEN {
            return Err(CryptoError::Malformed("ciphertext shorter than its header"));
        }
        if rest[..16] != self.id().as_bytes()[..] {
            return Err(CryptoError::WrongDataKey);
        }
        let nonce = Nonce::try_assume_unique_for_key(&ciphertext[17..HEADER_LEN])
            .map_err(|_| CryptoError::Malformed("nonce"))?;
        let aad_bytes = aad.encode(format::FIELD_V1, self.id().as_bytes());
        let mut buf = Zeroizing::new(ciphertext[HEADER_LEN..].to_vec());
        let plain_len = self
            .aead
            .open_in_place(nonce, aead::Aad::from(aad_bytes.as_slice()), &mut buf)
            .map_err(|_| CryptoError::Decrypt)?
            .len();
        buf.truncate(plain_len);
        Ok(buf)
    }
}

/// Reads the DEK id out of a field or blob ciphertext without decrypting it.
pub fn dek_id_of(ciphertext: &[u8]) -> Result<crate::DekId, CryptoError> {
    match ciphertext.first() {
        Some(&format::FIELD_V1) | Some(&format::BLOB_V1) if ciphertext.len() >= 17 => {
            crate::DekId::from_slice(&ciphertext[1..17])
        }
        Some(&other) if other != format::FIELD_V1 && other != format::BLOB_V1 => {
            Err(CryptoError::UnknownFormat(other))
        }
        _ => Err(CryptoError::Malformed("ciphertext shorter than its header")),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // tests fail loudly by design

    use super::*;

    #[test]
    fn round_trip_and_context_binding() {
        let key = DataKey::generate().unwrap();
        let here = Aad::new("patients", "family", "p1");
        let ct = key.seal(here, b"Nguyen").unwrap();
        assert_eq!(&key.open(here, &ct).unwrap()[..], b"Nguyen");
        assert_eq!(dek_id_of(&ct).unwrap(), key.id());
        for moved in [
            Aad::new("patients", "given", "p1"),
            Aad::new("patients", "family", "p2"),
            Aad::new("users", "family", "p1"),
        ] {
            assert_eq!(key.open(moved, &ct), Err(CryptoError::Decrypt));
        }
    }

    #[test]
    fn wrong_key_tamper_and_garbage_are_errors() {
        let key = DataKey::generate().unwrap();
        let other = DataKey::generate().unwrap();
        let here = Aad::new("t", "c", "r");
        let ct = key.seal(here, b"secret").unwrap();
        assert_eq!(other.open(here, &ct), Err(CryptoError::WrongDataKey));
        let mut tampered = ct.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert_eq!(key.open(here, &tampered), Err(CryptoError::Decrypt));
        assert!(matches!(
            key.open(here, &[]),
            Err(CryptoError::Malformed(_))
        ));
        assert_eq!(
            key.open(here, &[9, 1, 2]),
            Err(CryptoError::UnknownFormat(9))
        );
        assert!(matches!(
            key.open(here, &ct[..20]),
            Err(CryptoError::Malformed(_))
        ));
    }

    #[test]
    fn same_plaintext_seals_differently() {
        let key = DataKey::generate().unwrap();
        let here = Aad::new("t", "c", "r");
        assert_ne!(key.seal(here, b"x").unwrap(), key.seal(here, b"x").unwrap());
    }
}

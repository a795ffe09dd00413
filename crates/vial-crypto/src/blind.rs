//! Blind indexes: deterministic HMAC-SHA-256 tags that allow exact-match search over encrypted
//! fields without storing the values in clear. The HMAC key is separate from every KEK.
//!
//! Values are normalized first so that `Smith ` and `smith` find the same patient. Each field has
//! its own domain tag so that equal strings in different fields index differently.

use aws_lc_rs::hmac;

use crate::{CryptoError, SecretKeyBytes};

/// Which kind of value is indexed; decides normalization and domain separation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlindField {
    FamilyName,
    BirthDate,
    Phone,
    Email,
    /// A one-time recovery code: ten base32 characters, dashes and spaces ignored.
    RecoveryCode,
    /// A product lot number, as `vial-clinical` normalizes it (trimmed, upper case), for recall:
    /// a lot tied to a patient is PHI.
    Lot,
}

impl BlindField {
    fn tag(self) -> &'static [u8] {
        match self {
            Self::FamilyName => b"family",
            Self::BirthDate => b"dob",
            Self::Phone => b"phone",
            Self::Email => b"email",
            Self::RecoveryCode => b"recovery",
            Self::Lot => b"lot",
        }
    }

    /// The canonical form that is indexed.
    pub fn normalize(self, value: &str) -> Result<String, CryptoError> {
        let normalized = match self {
            Self::FamilyName => value
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase(),
            Self::Email => value.trim().to_lowercase(),
            Self::Phone => value.chars().filter(char::is_ascii_digit).collect(),
            Self::Lot => value.trim().to_ascii_uppercase(),
            Self::RecoveryCode => {
                let code: String = value
                    .chars()
                    .filter(|c| !c.is_whitespace() && *c != '-')
                    .map(|c| c.to_ascii_uppercase())
                    .collect();
                if code.len() != 10
                    || !code
                        .bytes()
                        .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
                {
                    return Err(CryptoError::InvalidIndexInput(
                        "a recovery code is ten letters and digits",
                    ));
                }
                code
            }
            Self::BirthDate => {
                let v = value.trim();
                let ok = v.len() == 10
                    && v.bytes().enumerate().all(|(i, b)| {
                        if i == 4 || i == 7 {
                            b == b'-'
                        } else {
                            b.is_ascii_digit()
                        }
                    });
                if !ok {
                    return Err(CryptoError::InvalidIndexInput("a date must be YYYY-MM-DD"));
                }
                v.to_owned()
            }
        };
        if normalized.is_empty() {
            return Err(CryptoError::InvalidIndexInput(
                "value is empty after normalization",
            ));
        }
        Ok(normalized)
    }
}

/// A blind-index tag as stored in an indexed column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BlindIndex(pub [u8; 32]);

/// The HMAC key for blind indexes. Never printed.
pub struct BlindIndexKey(hmac::Key);

impl std::fmt::Debug for BlindIndexKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BlindIndexKey(<redacted>)")
    }
}

impl BlindIndexKey {
    pub fn new(secret: &SecretKeyBytes) -> Self {
        Self(hmac::Key::new(hmac::HMAC_SHA256, secret.expose()))
    }

    /// The index tag of `value` in `field`, after normalization.
    pub fn index(&self, field: BlindField, value: &str) -> Result<BlindIndex, CryptoError> {
        let normalized = zeroize::Zeroizing::new(field.normalize(value)?);
        let mut ctx = hmac::Context::with_key(&self.0);
        ctx.update(b"vial:bidx:v1\0");
        ctx.update(field.tag());
        ctx.update(b"\0");
        ctx.update(normalized.as_bytes());
        let tag = ctx.sign();
        let bytes: [u8; 32] = tag
            .as_ref()
            .try_into()
            .map_err(|_| CryptoError::InvalidKey("hmac output length"))?;
        Ok(BlindIndex(bytes))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // tests fail loudly by design

    use super::*;

    #[test]
    fn normalized_values_match_and_fields_are_separated() {
        let key = BlindIndexKey::new(&crate::generate_secret().unwrap());
        let a = key
            .index(BlindField::FamilyName, "  Van  Der Berg ")
            .unwrap();
        assert_eq!(
            a,
            key.index(BlindField::FamilyName, "van der berg").unwrap()
        );
        assert_eq!(
            key.index(BlindField::Phone, "+1 (555) 010-2000").unwrap(),
            key.index(BlindField::Phone, "15550102000").unwrap()
        );
        assert_eq!(
            key.index(BlindField::Email, " A@Example.COM").unwrap(),
            key.index(BlindField::Email, "a@example.com").unwrap()
        );
        assert_ne!(
            key.index(BlindField::FamilyName, "1990").unwrap(),
            key.index(BlindField::Phone, "1990").unwrap()
        );
        let other = BlindIndexKey::new(&crate::generate_secret().unwrap());
        assert_ne!(
            a,
            other.index(BlindField::FamilyName, "van der berg").unwrap()
        );
    }

    #[test]
    fn bad_values_are_refused() {
        let key = BlindIndexKey::new(&crate::generate_secret().unwrap());
        assert!(key.index(BlindField::BirthDate, "1990/01/02").is_err());
        assert!(key.index(BlindField::BirthDate, "1990-01-02").is_ok());
        assert!(key.index(BlindField::Phone, "call me").is_err());
        assert!(key.index(BlindField::FamilyName, "   ").is_err());
    }
}

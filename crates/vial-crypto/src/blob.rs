//! Blob encryption: large values (photos, exports) sealed in fixed-size chunks.
//!
//! Each blob gets its own AES-256-GCM key, derived with HKDF-SHA-256 from the DEK, a random
//! 32-byte salt and the AAD, so nonces never repeat across blobs. Chunks are sealed under the
//! STREAM construction (nonce = chunk counter ‖ last-chunk flag): chunks cannot be reordered,
//! dropped or truncated without decryption failing, and a blob can be processed chunk by chunk
//! without holding several copies in memory.

use aws_lc_rs::aead::{self, AES_256_GCM, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use aws_lc_rs::hkdf;
use zeroize::Zeroizing;

use crate::{Aad, CryptoError, DataKey, format};

/// Plaintext bytes per chunk. Large enough that per-chunk overhead is negligible, small enough
/// to stay in cache while it is copied and sealed.
pub const BLOB_CHUNK_LEN: usize = 64 * 1024;

const SALT_LEN: usize = 32;
const HEADER_LEN: usize = 1 + 16 + SALT_LEN + 4;
const TAG_LEN: usize = 16;

fn chunk_nonce(counter: u64, last: bool) -> Nonce {
    let mut nonce = [0u8; NONCE_LEN];
    nonce[..8].copy_from_slice(&counter.to_be_bytes());
    nonce[NONCE_LEN - 1] = u8::from(last);
    Nonce::assume_unique_for_key(nonce)
}

fn blob_key(dek: &DataKey, salt: &[u8], aad: Aad<'_>) -> Result<LessSafeKey, CryptoError> {
    let info = aad.encode(format::BLOB_V1, dek.id().as_bytes());
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, salt).extract(dek.secret().expose());
    let info_parts = [info.as_slice()];
    let okm = prk
        .expand(&info_parts, &AES_256_GCM)
        .map_err(|_| CryptoError::InvalidKey("blob key derivation"))?;
    Ok(LessSafeKey::new(UnboundKey::from(okm)))
}

/// Size of the sealed form of a plaintext of `len` bytes.
pub fn sealed_blob_len(len: usize) -> usize {
    let chunks = len.div_ceil(BLOB_CHUNK_LEN).max(1);
    HEADER_LEN + len + chunks * TAG_LEN
}

impl DataKey {
    /// Encrypts a large value for the storage location `aad`.
    pub fn seal_blob(&self, aad: Aad<'_>, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let mut salt = [0u8; SALT_LEN];
        crate::random_bytes(&mut salt)?;
        let key = blob_key(self, &salt, aad)?;
        let mut out = Vec::with_capacity(sealed_blob_len(plaintext.len()));
        out.push(format::BLOB_V1);
        out.extend_from_slice(self.id().as_bytes());
        out.extend_from_slice(&salt);
        out.extend_from_slice(&(BLOB_CHUNK_LEN as u32).to_be_bytes());
        let header: [u8; HEADER_LEN] = out[..HEADER_LEN]
            .try_into()
            .map_err(|_| CryptoError::Malformed("header"))?;

        let chunk_count = plaintext.len().div_ceil(BLOB_CHUNK_LEN).max(1);
        let mut chunks = plaintext.chunks(BLOB_CHUNK_LEN);
        for index in 0..chunk_count {
            let chunk = chunks.next().unwrap_or(&[]);
            let start = out.len();
            out.extend_from_slice(chunk);
            let tag = key
                .seal_in_place_separate_tag(
                    chunk_nonce(index as u64, index + 1 == chunk_count),
                    aead::Aad::from(&header[..]),
                    &mut out[start..],
                )
                .map_err(|_| CryptoError::Decrypt)?;
            out.extend_from_slice(tag.as_ref());
        }
        Ok(out)
    }

    /// Decrypts a blob sealed by [`DataKey::seal_blob`] for the same location.
    pub fn open_blob(
        &self,
        aad: Aad<'_>,
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let format_byte = *sealed
            .first()
            .ok_or(CryptoError::Malformed("empty ciphertext"))?;
        if format_byte != format::BLOB_V1 {
            return Err(CryptoError::UnknownFormat(format_byte));
        }
        if sealed.len() < HEADER_LEN + TAG_LEN {
            return Err(CryptoError::Malformed("blob shorter than its header"));
        }
        if sealed[1..17] != self.id().as_bytes()[..] {
            return Err(CryptoError::WrongDataKey);
        }
        let header = &sealed[..HEADER_LEN];
        let chunk_len_bytes: [u8; 4] = header[HEADER_LEN - 4..]
            .try_into()
            .map_err(|_| CryptoError::Malformed("chunk length"))?;
        let chunk_len = u32::from_be_bytes(chunk_len_bytes) as usize;
        if chunk_len == 0 {
            return Err(CryptoError::Malformed("chunk length is zero"));
        }
        let key = blob_key(self, &header[17..17 + SALT_LEN], aad)?;
        let body = &sealed[HEADER_LEN..];
        let sealed_chunk = chunk_len + TAG_LEN;
        let chunk_count = body.len().div_ceil(sealed_chunk);
        let mut out = Zeroizing::new(Vec::with_capacity(body.len()));
        for (index, chunk) in body.chunks(sealed_chunk).enumerate() {
            if chunk.len() < TAG_LEN {
                return Err(CryptoError::Malformed("truncated chunk"));
            }
            let start = out.len();
            out.extend_from_slice(chunk);
            let plain_len = key
                .open_in_place(
                    chunk_nonce(index as u64, index + 1 == chunk_count),
                    aead::Aad::from(header),
                    &mut out[start..],
                )
                .map_err(|_| CryptoError::Decrypt)?
                .len();
            out.truncate(start + plain_len);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // tests fail loudly by design

    use super::*;

    fn sample(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 31 % 251) as u8).collect()
    }

    #[test]
    fn round_trips_at_chunk_boundaries() {
        let key = DataKey::generate().unwrap();
        let here = Aad::new("photos", "content", "ph1");
        for len in [
            0,
            1,
            BLOB_CHUNK_LEN - 1,
            BLOB_CHUNK_LEN,
            BLOB_CHUNK_LEN + 1,
            3 * BLOB_CHUNK_LEN + 7,
        ] {
            let plain = sample(len);
            let sealed = key.seal_blob(here, &plain).unwrap();
            assert_eq!(sealed.len(), sealed_blob_len(len));
            assert_eq!(
                &key.open_blob(here, &sealed).unwrap()[..],
                &plain[..],
                "len {len}"
            );
        }
    }

    #[test]
    fn truncation_reordering_and_moving_fail() {
        let key = DataKey::generate().unwrap();
        let here = Aad::new("photos", "content", "ph1");
        let plain = sample(3 * BLOB_CHUNK_LEN);
        let sealed = key.seal_blob(here, &plain).unwrap();
        // Dropping the final chunk leaves a valid-looking prefix: the last-chunk flag catches it.
        let without_last = &sealed[..HEADER_LEN + 2 * (BLOB_CHUNK_LEN + TAG_LEN)];
        assert_eq!(key.open_blob(here, without_last), Err(CryptoError::Decrypt));
        // Swapping two chunks.
        let mut swapped = sealed.clone();
        let c = BLOB_CHUNK_LEN + TAG_LEN;
        let (first, second) = (HEADER_LEN, HEADER_LEN + c);
        let tmp = swapped[first..first + c].to_vec();
        swapped.copy_within(second..second + c, first);
        swapped[second..second + c].copy_from_slice(&tmp);
        assert_eq!(key.open_blob(here, &swapped), Err(CryptoError::Decrypt));
        // Another row.
        let elsewhere = Aad::new("photos", "content", "ph2");
        assert_eq!(key.open_blob(elsewhere, &sealed), Err(CryptoError::Decrypt));
        // Another key.
        let other = DataKey::generate().unwrap();
        assert_eq!(
            other.open_blob(here, &sealed),
            Err(CryptoError::WrongDataKey)
        );
    }

    #[test]
    fn sealed_blob_holds_no_plaintext_run() {
        let key = DataKey::generate().unwrap();
        let marker = b"VIAL-MARKER-PLAINTEXT-0123456789";
        let mut plain = sample(BLOB_CHUNK_LEN * 2);
        plain[1000..1000 + marker.len()].copy_from_slice(marker);
        let sealed = key.seal_blob(Aad::new("t", "c", "r"), &plain).unwrap();
        assert!(!sealed.windows(marker.len()).any(|w| w == marker));
    }
}

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
/// Bytes before the ciphertext: format, DEK id, salt, chunk length.
pub const BLOB_HEADER_LEN: usize = 1 + 16 + SALT_LEN + 4;
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
    BLOB_HEADER_LEN + len + chunks * TAG_LEN
}

impl DataKey {
    /// Encrypts a large value for the storage location `aad`.
    pub fn seal_blob(&self, aad: Aad<'_>, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let mut buf = Vec::with_capacity(sealed_blob_len(plaintext.len()));
        buf.resize(BLOB_HEADER_LEN, 0);
        buf.extend_from_slice(plaintext);
        self.seal_blob_in_place(aad, &mut buf)?;
        Ok(buf)
    }

    /// Encrypts in place, without copying: `buf` holds [`BLOB_HEADER_LEN`] bytes of room
    /// followed by the plaintext; afterwards it holds the sealed blob. A server receiving an
    /// upload reads it straight into such a buffer.
    pub fn seal_blob_in_place(&self, aad: Aad<'_>, buf: &mut Vec<u8>) -> Result<(), CryptoError> {
        if buf.len() < BLOB_HEADER_LEN {
            return Err(CryptoError::Malformed(
                "buffer has no room for the blob header",
            ));
        }
        let mut salt = [0u8; SALT_LEN];
        crate::random_bytes(&mut salt)?;
        let key = blob_key(self, &salt, aad)?;
        let mut header = [0u8; BLOB_HEADER_LEN];
        header[0] = format::BLOB_V1;
        header[1..17].copy_from_slice(self.id().as_bytes());
        header[17..17 + SALT_LEN].copy_from_slice(&salt);
        header[17 + SALT_LEN..].copy_from_slice(&(BLOB_CHUNK_LEN as u32).to_be_bytes());
        buf[..BLOB_HEADER_LEN].copy_from_slice(&header);

        let body = &mut buf[BLOB_HEADER_LEN..];
        let chunk_count = body.len().div_ceil(BLOB_CHUNK_LEN).max(1);
        let mut tags = Vec::with_capacity(chunk_count * TAG_LEN);
        let mut chunks = body.chunks_mut(BLOB_CHUNK_LEN);
        for index in 0..chunk_count {
            let mut empty: [u8; 0] = [];
            let chunk = chunks.next().unwrap_or(&mut empty);
            let tag = key
                .seal_in_place_separate_tag(
                    chunk_nonce(index as u64, index + 1 == chunk_count),
                    aead::Aad::from(&header[..]),
                    chunk,
                )
                .map_err(|_| CryptoError::Decrypt)?;
            tags.extend_from_slice(tag.as_ref());
        }
        buf.extend_from_slice(&tags);
        Ok(())
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
        if sealed.len() < BLOB_HEADER_LEN + TAG_LEN {
            return Err(CryptoError::Malformed("blob shorter than its header"));
        }
        if sealed[1..17] != self.id().as_bytes()[..] {
            return Err(CryptoError::WrongDataKey);
        }
        let header = &sealed[..BLOB_HEADER_LEN];
        let chunk_len_bytes: [u8; 4] = header[BLOB_HEADER_LEN - 4..]
            .try_into()
            .map_err(|_| CryptoError::Malformed("chunk length"))?;
        let chunk_len = u32::from_be_bytes(chunk_len_bytes) as usize;
        if chunk_len == 0 {
            return Err(CryptoError::Malformed("chunk length is zero"));
        }
        // body = ciphertext (same length as the plaintext) followed by one tag per chunk.
        let rest = sealed.len() - BLOB_HEADER_LEN;
        let chunk_count = rest.div_ceil(chunk_len + TAG_LEN);
        let plain_len = rest - chunk_count * TAG_LEN;
        if plain_len.div_ceil(chunk_len).max(1) != chunk_count {
            return Err(CryptoError::Malformed(
                "blob length does not match its chunking",
            ));
        }
        let key = blob_key(self, &header[17..17 + SALT_LEN], aad)?;
        let (ciphertext, tags) = sealed[BLOB_HEADER_LEN..].split_at(plain_len);
        let mut out = Zeroizing::new(vec![0u8; plain_len]);
        for (index, tag) in tags.chunks(TAG_LEN).enumerate() {
            let range = index * chunk_len..((index + 1) * chunk_len).min(plain_len);
            key.open_separate_gather(
                chunk_nonce(index as u64, index + 1 == chunk_count),
                aead::Aad::from(header),
                &ciphertext[range.clone()],
                tag,
                &mut out[range],
            )
            .map_err(|_| CryptoError::Decrypt)?;
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
        let n = BLOB_CHUNK_LEN;
        let (ct, tags) = sealed[BLOB_HEADER_LEN..].split_at(3 * n);
        let assemble = |chunks: &[&[u8]], tags: &[&[u8]]| -> Vec<u8> {
            let mut out = sealed[..BLOB_HEADER_LEN].to_vec();
            chunks.iter().for_each(|c| out.extend_from_slice(c));
            tags.iter().for_each(|t| out.extend_from_slice(t));
            out
        };
        let (c0, c1, c2) = (&ct[..n], &ct[n..2 * n], &ct[2 * n..]);
        let (t0, t1, t2) = (&tags[..16], &tags[16..32], &tags[32..]);
        assert_eq!(
            &key.open_blob(here, &assemble(&[c0, c1, c2], &[t0, t1, t2]))
                .unwrap()[..],
            &plain[..]
        );
        // Dropping the final chunk (and its tag) leaves an authentic prefix: the last-chunk flag
        // catches it.
        assert_eq!(
            key.open_blob(here, &assemble(&[c0, c1], &[t0, t1])),
            Err(CryptoError::Decrypt)
        );
        // Swapping two chunks together with their tags.
        assert_eq!(
            key.open_blob(here, &assemble(&[c1, c0, c2], &[t1, t0, t2])),
            Err(CryptoError::Decrypt)
        );
        // A flipped ciphertext bit.
        let mut flipped = sealed.clone();
        flipped[BLOB_HEADER_LEN + 5] ^= 1;
        assert_eq!(key.open_blob(here, &flipped), Err(CryptoError::Decrypt));
        // A length that no chunking produces.
        assert!(matches!(
            key.open_blob(here, &sealed[..sealed.len() - 1]),
            Err(CryptoError::Malformed(_)) | Err(CryptoError::Decrypt)
        ));
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
    fn in_place_sealing_matches_the_copying_form() {
        let key = DataKey::generate().unwrap();
        let here = Aad::new("photos", "content", "ph1");
        let plain = sample(2 * BLOB_CHUNK_LEN + 3);
        let mut buf = vec![0u8; BLOB_HEADER_LEN];
        buf.extend_from_slice(&plain);
        key.seal_blob_in_place(here, &mut buf).unwrap();
        assert_eq!(buf.len(), sealed_blob_len(plain.len()));
        assert_eq!(&key.open_blob(here, &buf).unwrap()[..], &plain[..]);
        let mut too_small = vec![0u8; BLOB_HEADER_LEN - 1];
        assert!(key.seal_blob_in_place(here, &mut too_small).is_err());
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

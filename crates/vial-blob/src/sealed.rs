//! [`SealedBlob`]: the only thing the blob store accepts.
//!
//! A sealed blob is checked for the layout `vial-crypto` writes (format byte, header, chunk
//! length, one tag per chunk). The check is structural, not cryptographic: only the holder of
//! the data key can tell a genuine blob from a forgery, but plaintext (a JPEG, a PNG, a HEIC)
//! cannot pass by accident.

use bytes::Bytes;
use vial_crypto::{BLOB_HEADER_LEN, BlobLayout, CryptoError};

use crate::BlobError;

/// Encrypted bytes, as produced by `vial_crypto::DataKey::seal_blob`. Cheap to clone.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedBlob(Bytes);

impl SealedBlob {
    /// Accepts `bytes` only if they are laid out like a sealed blob: format byte
    /// `BLOB_V1`, a full header, a non-zero chunk length and a total length that
    /// matches the chunking.
    pub fn new(bytes: impl Into<Bytes>) -> Result<Self, BlobError> {
        let bytes = bytes.into();
        check_layout(&bytes)?;
        Ok(Self(bytes))
    }

    /// The sealed bytes, to hand to `vial_crypto::DataKey::open_blob`.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The sealed bytes, without copying.
    pub fn into_bytes(self) -> Bytes {
        self.0
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always `false`: a sealed blob has at least a header and a tag.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for SealedBlob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealedBlob")
            .field("len", &self.0.len())
            .finish_non_exhaustive()
    }
}

/// The layout check is vial-crypto's own (`BlobLayout`), so the store and the reader agree on
/// what a sealed blob looks like and hostile lengths are handled in one place.
fn check_layout(bytes: &[u8]) -> Result<(), BlobError> {
    let header = &bytes[..bytes.len().min(BLOB_HEADER_LEN)];
    BlobLayout::parse(header, bytes.len() as u64)
        .map(|_| ())
        .map_err(|e| match e {
            CryptoError::Malformed(what) => BlobError::NotSealed(what),
            CryptoError::UnknownFormat(_) => BlobError::NotSealed("unknown format byte"),
            _ => BlobError::NotSealed("not a sealed blob"),
        })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // tests fail loudly by design
    use vial_crypto::{Aad, DataKey, sealed_blob_len};

    use super::*;

    /// Bytes per AES-GCM tag (one per chunk).
    const TAG_LEN: usize = 16;

    fn seal(len: usize) -> Vec<u8> {
        let dek = DataKey::generate().unwrap();
        let plain: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        dek.seal_blob(Aad::new("photos", "content", "ph_1"), &plain)
            .unwrap()
    }

    #[test]
    fn tag_length_matches_vial_crypto() {
        assert_eq!(BLOB_HEADER_LEN + TAG_LEN, sealed_blob_len(0));
        assert_eq!(sealed_blob_len(1), BLOB_HEADER_LEN + 1 + TAG_LEN);
    }

    #[test]
    fn accepts_every_sealed_size() {
        let chunk = vial_crypto::BLOB_CHUNK_LEN;
        for len in [
            0,
            1,
            100,
            chunk - 1,
            chunk,
            chunk + 1,
            3 * chunk,
            3 * chunk + 7,
        ] {
            let sealed = seal(len);
            assert_eq!(sealed.len(), sealed_blob_len(len));
            SealedBlob::new(sealed).unwrap();
        }
    }

    #[test]
    fn refuses_plaintext_and_damaged_layouts() {
        let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F', 0];
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        for bytes in [&jpeg[..], &png[..], b"", b"\x02"] {
            assert!(matches!(
                SealedBlob::new(bytes.to_vec()),
                Err(BlobError::NotSealed(_))
            ));
        }
        // Right format byte, but a zero chunk length.
        let mut sealed = seal(10);
        sealed[BLOB_HEADER_LEN - 4..BLOB_HEADER_LEN].copy_from_slice(&[0; 4]);
        assert!(SealedBlob::new(sealed).is_err());
        // A forged tiny chunk length whose tags would outgrow the body: refused, no panic.
        let mut sealed = seal(2);
        sealed[BLOB_HEADER_LEN - 4..BLOB_HEADER_LEN].copy_from_slice(&1u32.to_be_bytes());
        assert!(SealedBlob::new(sealed).is_err());
        // Right header, but a missing tag.
        let mut sealed = seal(2 * vial_crypto::BLOB_CHUNK_LEN + 5);
        sealed.truncate(sealed.len() - TAG_LEN);
        assert!(SealedBlob::new(sealed).is_err());
    }

    #[test]
    fn debug_shows_length_only() {
        let blob = SealedBlob::new(seal(3)).unwrap();
        let shown = format!("{blob:?}");
        assert_eq!(shown, format!("SealedBlob {{ len: {}, .. }}", blob.len()));
    }
}

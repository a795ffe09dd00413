//! Blob encryption: large values (photos, exports) sealed in fixed-size chunks.
//!
//! Each blob gets its own AES-256-GCM key, derived with HKDF-SHA-256 from the DEK, a random
//! 32-byte salt and the AAD, so nonces never repeat across blobs. Chunks are sealed under the
//! STREAM construction (nonce = chunk counter ‖ last-chunk flag): chunks cannot be reordered,
//! dropped or truncated without decryption failing, and a blob can be processed chunk by chunk
//! without holding several copies in memory.
//!
//! Tags trail the body so that sealing needs no copy; a streaming reader therefore fetches the
//! header and the tag trailer first ([`BlobLayout`] says where they are), then opens the body
//! chunk by chunk in its own buffers with a [`BlobOpener`], releasing only authenticated bytes.

use std::ops::Range;

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
/// Largest chunk length a reader accepts. Vial writes [`BLOB_CHUNK_LEN`]; the header's `u32`
/// would allow 4 GiB, which a forged header could use to make a streaming reader buffer that
/// much before anything is authenticated.
pub const MAX_BLOB_CHUNK_LEN: usize = 16 * 1024 * 1024;

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

/// Size of the sealed form of a plaintext of `len` bytes (the layout [`BlobLayout::sealing`]
/// describes).
pub fn sealed_blob_len(len: usize) -> usize {
    usize::try_from(BlobLayout::sealing(len as u64).total_len()).unwrap_or(usize::MAX)
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

    /// Decrypts a blob sealed by [`DataKey::seal_blob`] for the same location, whole. Readers
    /// that stream should fetch the parts and use [`DataKey::blob_opener`] instead.
    pub fn open_blob(
        &self,
        aad: Aad<'_>,
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let total = sealed.len() as u64;
        let header = sealed.get(..BLOB_HEADER_LEN).unwrap_or(sealed);
        let layout = BlobLayout::parse(header, total)?;
        let (body, tags) = (
            slice(sealed, layout.body_range())?,
            slice(sealed, layout.tags_range())?,
        );
        let opener = self.blob_opener(aad, header, total, tags)?;
        // One copy of the ciphertext, opened where it lies (no zero-fill first).
        let mut out = Zeroizing::new(body.to_vec());
        opener.open_in_place(&mut out)?;
        Ok(out)
    }

    /// The opener of one stored blob, for reading it in parts: `header` is its first
    /// [`BLOB_HEADER_LEN`] bytes (or more), `total_len` its sealed size and `tags` the trailer
    /// at [`BlobLayout::tags_range`] (locate it first with [`BlobLayout::parse`]). Checks the
    /// layout, the DEK and the trailer's length, and derives the blob's key; chunks are then
    /// authenticated one by one as they arrive.
    pub fn blob_opener(
        &self,
        aad: Aad<'_>,
        header: &[u8],
        total_len: u64,
        tags: &[u8],
    ) -> Result<BlobOpener, CryptoError> {
        let layout = BlobLayout::parse(header, total_len)?;
        if header[1..17] != self.id().as_bytes()[..] {
            return Err(CryptoError::WrongDataKey);
        }
        if tags.len() as u64 != range_len(&layout.tags_range()) {
            return Err(CryptoError::Malformed(
                "tag trailer does not match the blob's length",
            ));
        }
        let mut own_header = [0u8; BLOB_HEADER_LEN];
        own_header.copy_from_slice(&header[..BLOB_HEADER_LEN]);
        Ok(BlobOpener {
            key: blob_key(self, &header[17..17 + SALT_LEN], aad)?,
            header: own_header,
            tags: tags.to_vec(),
            layout,
        })
    }
}

/// Where the parts of a sealed blob lie, read from its header and total size (no key needed):
/// the header, the ciphertext body (as long as the plaintext, in chunks) and the trailer of one
/// tag per chunk. The arithmetic is the one [`DataKey::open_blob`] applies to a whole blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobLayout {
    chunk_len: usize,
    chunk_count: usize,
    plain_len: u64,
    total_len: u64,
}

impl BlobLayout {
    /// Byte range of the header within a sealed blob.
    pub const HEADER: Range<u64> = 0..BLOB_HEADER_LEN as u64;

    /// The layout of a sealed blob of `total_len` bytes whose first bytes (at least the
    /// header) are `header`. Refuses an unknown format, a zero or oversized chunk length
    /// (over [`MAX_BLOB_CHUNK_LEN`]) and a total length that no chunking produces.
    pub fn parse(header: &[u8], total_len: u64) -> Result<Self, CryptoError> {
        let format_byte = *header
            .first()
            .ok_or(CryptoError::Malformed("empty ciphertext"))?;
        if format_byte != format::BLOB_V1 {
            return Err(CryptoError::UnknownFormat(format_byte));
        }
        if header.len() < BLOB_HEADER_LEN || total_len < (BLOB_HEADER_LEN + TAG_LEN) as u64 {
            return Err(CryptoError::Malformed("blob shorter than its header"));
        }
        let chunk_len_bytes: [u8; 4] = header[BLOB_HEADER_LEN - 4..BLOB_HEADER_LEN]
            .try_into()
            .map_err(|_| CryptoError::Malformed("chunk length"))?;
        let chunk_len = u32::from_be_bytes(chunk_len_bytes) as usize;
        if chunk_len == 0 {
            return Err(CryptoError::Malformed("chunk length is zero"));
        }
        if chunk_len > MAX_BLOB_CHUNK_LEN {
            return Err(CryptoError::Malformed("chunk length is too large"));
        }
        // rest = ciphertext (as long as the plaintext) followed by one tag per chunk.
        let mismatch = || CryptoError::Malformed("blob length does not match its chunking");
        let rest = total_len - BLOB_HEADER_LEN as u64;
        let chunk_count = rest.div_ceil((chunk_len + TAG_LEN) as u64);
        let plain_len = rest
            .checked_sub(chunk_count * TAG_LEN as u64)
            .ok_or_else(mismatch)?;
        if plain_len.div_ceil(chunk_len as u64).max(1) != chunk_count {
            return Err(mismatch());
        }
        Ok(Self {
            chunk_len,
            chunk_count: usize::try_from(chunk_count)
                .map_err(|_| CryptoError::Malformed("blob too large"))?,
            plain_len,
            total_len,
        })
    }

    /// The layout [`DataKey::seal_blob`] writes for a plaintext of `plain_len` bytes, for a
    /// reader that knows the size from elsewhere and fetches header, trailer and body at once.
    /// Compare it with [`BlobLayout::parse`] of the header read: a blob written differently
    /// (another chunk length) or of another size does not match.
    pub fn sealing(plain_len: u64) -> Self {
        let chunk_count = plain_len.div_ceil(BLOB_CHUNK_LEN as u64).max(1);
        Self {
            chunk_len: BLOB_CHUNK_LEN,
            chunk_count: usize::try_from(chunk_count).unwrap_or(usize::MAX),
            plain_len,
            total_len: (BLOB_HEADER_LEN as u64)
                .saturating_add(plain_len)
                .saturating_add(chunk_count.saturating_mul(TAG_LEN as u64)),
        }
    }

    /// Size of the sealed blob.
    pub fn total_len(&self) -> u64 {
        self.total_len
    }

    /// Size of the plaintext (and of the ciphertext body).
    pub fn plain_len(&self) -> u64 {
        self.plain_len
    }

    /// Plaintext bytes per chunk (the last chunk may be shorter).
    pub fn chunk_len(&self) -> usize {
        self.chunk_len
    }

    /// Number of chunks, at least one (an empty plaintext is one empty chunk).
    pub fn chunk_count(&self) -> usize {
        self.chunk_count
    }

    /// Byte range of the ciphertext body within the sealed blob.
    pub fn body_range(&self) -> Range<u64> {
        Self::HEADER.end..Self::HEADER.end.saturating_add(self.plain_len)
    }

    /// Byte range of the tag trailer within the sealed blob.
    pub fn tags_range(&self) -> Range<u64> {
        self.body_range().end..self.total_len
    }

    /// Length of chunk `index` (ciphertext and plaintext alike), if there is such a chunk.
    pub fn chunk_plain_len(&self, index: usize) -> Option<usize> {
        if index >= self.chunk_count {
            return None;
        }
        let start = (index as u64).saturating_mul(self.chunk_len as u64);
        let len = self
            .plain_len
            .saturating_sub(start)
            .min(self.chunk_len as u64);
        usize::try_from(len).ok()
    }
}

/// Opens one blob's chunks in place as they arrive, in any buffer the caller owns: built by
/// [`DataKey::blob_opener`] from the header and tag trailer, before the body is read. A chunk
/// is only ever returned authenticated; one that fails is wiped. `Debug` shows the layout only.
pub struct BlobOpener {
    key: LessSafeKey,
    header: [u8; BLOB_HEADER_LEN],
    tags: Vec<u8>,
    layout: BlobLayout,
}

impl std::fmt::Debug for BlobOpener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobOpener")
            .field("layout", &self.layout)
            .finish_non_exhaustive()
    }
}

impl BlobOpener {
    /// Where the body and trailer lie, and how the body is chunked.
    pub fn layout(&self) -> &BlobLayout {
        &self.layout
    }

    /// Authenticates and decrypts chunk `index` where it lies: `chunk` holds exactly that
    /// chunk's ciphertext ([`BlobLayout::chunk_plain_len`] bytes) and afterwards its plaintext.
    /// The chunk's position is bound by its nonce (counter and last-chunk flag), so a chunk
    /// moved, swapped, or a blob cut short fails here. On any error `chunk` is zeroed: its
    /// bytes must not be used.
    pub fn open_chunk_in_place(&self, index: usize, chunk: &mut [u8]) -> Result<(), CryptoError> {
        let result = self.try_open_chunk(index, chunk);
        if result.is_err() {
            // aws-lc already clears its output on a failed open; wrong lengths never reach it.
            chunk.fill(0);
        }
        result
    }

    /// Opens a whole body (every chunk, in order) in place. On error all of `body` is zeroed.
    pub fn open_in_place(&self, body: &mut [u8]) -> Result<(), CryptoError> {
        if body.len() as u64 != self.layout.plain_len {
            body.fill(0);
            return Err(CryptoError::Malformed(
                "body length does not match the blob",
            ));
        }
        let mut start = 0;
        for index in 0..self.layout.chunk_count {
            let end = start + self.layout.chunk_plain_len(index).unwrap_or(0);
            let opened = match body.get_mut(start..end) {
                Some(chunk) => self.open_chunk_in_place(index, chunk),
                None => Err(CryptoError::Malformed("body shorter than its chunks")),
            };
            if let Err(e) = opened {
                body.fill(0);
                return Err(e);
            }
            start = end;
        }
        Ok(())
    }

    fn try_open_chunk(&self, index: usize, chunk: &mut [u8]) -> Result<(), CryptoError> {
        if self.layout.chunk_plain_len(index) != Some(chunk.len()) {
            return Err(CryptoError::Malformed(
                "chunk index or length does not match the blob",
            ));
        }
        let tag = self
            .tags
            .get(index * TAG_LEN..(index + 1) * TAG_LEN)
            .ok_or(CryptoError::Malformed("missing chunk tag"))?;
        // `open_in_place_separate_tag` decrypts without a copy and with the tag kept apart, as
        // the format stores it. aws-lc-rs documents it as outside its FIPS-approved surface (no
        // service indicator); a FIPS build would copy the tag behind the chunk (a buffer with
        // 16 spare bytes) and call `open_in_place` instead.
        self.key
            .open_in_place_separate_tag(
                chunk_nonce(index as u64, index + 1 == self.layout.chunk_count),
                aead::Aad::from(&self.header[..]),
                tag,
                chunk,
            )
            .map(|_| ())
            .map_err(|_| CryptoError::Decrypt)
    }
}

fn range_len(range: &Range<u64>) -> u64 {
    range.end - range.start
}

/// `bytes[range]`, or `Malformed` when it does not fit (it always does for a parsed layout).
fn slice(bytes: &[u8], range: Range<u64>) -> Result<&[u8], CryptoError> {
    usize::try_from(range.start)
        .ok()
        .zip(usize::try_from(range.end).ok())
        .and_then(|(start, end)| bytes.get(start..end))
        .ok_or(CryptoError::Malformed("blob shorter than its layout"))
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

    /// What a streaming reader does: fetch the header and the tag trailer by range, then let
    /// the body arrive chunk by chunk into one reused buffer, releasing each chunk once opened
    /// and stopping at the first failure. `total` is the size the reader believes the blob has.
    fn stream_open(
        key: &DataKey,
        aad: Aad<'_>,
        sealed: &[u8],
        total: u64,
    ) -> (Vec<u8>, Result<(), CryptoError>) {
        let mut released = Vec::new();
        let mut run = || -> Result<(), CryptoError> {
            let header = slice(sealed, BlobLayout::HEADER)?;
            let layout = BlobLayout::parse(header, total)?;
            let opener =
                key.blob_opener(aad, header, total, slice(sealed, layout.tags_range())?)?;
            assert_eq!(opener.layout(), &layout);
            let body = slice(sealed, layout.body_range())?;
            let mut buf = vec![0u8; layout.chunk_len()];
            let mut at = 0;
            for index in 0..layout.chunk_count() {
                let len = layout.chunk_plain_len(index).unwrap();
                buf[..len].copy_from_slice(&body[at..at + len]);
                if let Err(e) = opener.open_chunk_in_place(index, &mut buf[..len]) {
                    assert!(
                        buf[..len].iter().all(|&b| b == 0),
                        "a failed chunk is wiped"
                    );
                    return Err(e);
                }
                released.extend_from_slice(&buf[..len]);
                at += len;
            }
            Ok(())
        };
        let result = run();
        (released, result)
    }

    #[test]
    fn chunk_by_chunk_round_trips_at_chunk_boundaries() {
        let key = DataKey::generate().unwrap();
        let here = Aad::new("photos", "content", "ph1");
        let n = BLOB_CHUNK_LEN;
        for len in [0, 1, n - 1, n, n + 1, 2 * n, 3 * n + 7] {
            let plain = sample(len);
            let sealed = key.seal_blob(here, &plain).unwrap();
            let layout = BlobLayout::parse(&sealed, sealed.len() as u64).unwrap();
            assert_eq!(layout, BlobLayout::sealing(len as u64));
            assert_eq!(
                BlobLayout::sealing(u64::MAX).tags_range().end,
                u64::MAX,
                "saturates"
            );
            assert_eq!(layout.plain_len(), len as u64);
            assert_eq!(layout.chunk_count(), len.div_ceil(n).max(1));
            assert_eq!(layout.tags_range().end, sealed.len() as u64);
            let (released, result) = stream_open(&key, here, &sealed, sealed.len() as u64);
            assert_eq!(result, Ok(()), "len {len}");
            assert_eq!(released, plain, "len {len}");
        }
    }

    #[test]
    fn a_bad_chunk_ends_the_stream_after_the_authentic_ones() {
        let key = DataKey::generate().unwrap();
        let here = Aad::new("photos", "content", "ph1");
        let n = BLOB_CHUNK_LEN;
        let plain = sample(4 * n + 5);
        let sealed = key.seal_blob(here, &plain).unwrap();
        let total = sealed.len() as u64;
        let tags_at = BLOB_HEADER_LEN + plain.len();
        for (what, at, released_len) in [
            ("chunk 2", BLOB_HEADER_LEN + 2 * n + 100, 2 * n),
            ("last chunk", BLOB_HEADER_LEN + 4 * n + 1, 4 * n),
            ("tag of chunk 3", tags_at + 3 * TAG_LEN + 7, 3 * n),
            ("header salt", 20, 0),
        ] {
            let mut tampered = sealed.clone();
            tampered[at] ^= 0x01;
            let (released, result) = stream_open(&key, here, &tampered, total);
            assert_eq!(result, Err(CryptoError::Decrypt), "{what}");
            assert_eq!(released, plain[..released_len], "{what}");
        }
    }

    #[test]
    fn swapped_reordered_and_truncated_chunks_or_tags_fail() {
        let key = DataKey::generate().unwrap();
        let here = Aad::new("photos", "content", "ph1");
        let n = BLOB_CHUNK_LEN;
        let plain = sample(3 * n);
        let sealed = key.seal_blob(here, &plain).unwrap();
        let (ct, tags) = sealed[BLOB_HEADER_LEN..].split_at(3 * n);
        let assemble = |chunks: &[&[u8]], tags: &[&[u8]]| -> Vec<u8> {
            let mut out = sealed[..BLOB_HEADER_LEN].to_vec();
            chunks.iter().for_each(|c| out.extend_from_slice(c));
            tags.iter().for_each(|t| out.extend_from_slice(t));
            out
        };
        let (c0, c1, c2) = (&ct[..n], &ct[n..2 * n], &ct[2 * n..]);
        let (t0, t1, t2) = (&tags[..16], &tags[16..32], &tags[32..]);
        for (what, blob, released_len) in [
            (
                "chunks and tags swapped",
                assemble(&[c1, c0, c2], &[t1, t0, t2]),
                0,
            ),
            ("tags swapped", assemble(&[c0, c1, c2], &[t0, t2, t1]), n),
            ("chunks swapped", assemble(&[c0, c2, c1], &[t0, t1, t2]), n),
            ("last chunk dropped", assemble(&[c0, c1], &[t0, t1]), n),
            ("chunk repeated", assemble(&[c0, c0, c2], &[t0, t0, t2]), n),
        ] {
            let (released, result) = stream_open(&key, here, &blob, blob.len() as u64);
            assert_eq!(result, Err(CryptoError::Decrypt), "{what}");
            assert_eq!(released, plain[..released_len], "{what}");
        }
        // A trailer that is too short or too long for the layout.
        let total = sealed.len() as u64;
        for trailer in [&tags[..32], &sealed[sealed.len() - 64..]] {
            assert!(matches!(
                key.blob_opener(here, &sealed, total, trailer),
                Err(CryptoError::Malformed(_))
            ));
        }
    }

    #[test]
    fn wrong_context_key_or_total_length_releases_nothing_wrong() {
        let key = DataKey::generate().unwrap();
        let here = Aad::new("photos", "content", "ph1");
        let n = BLOB_CHUNK_LEN;
        let plain = sample(3 * n + 11);
        let sealed = key.seal_blob(here, &plain).unwrap();
        let total = sealed.len() as u64;
        let elsewhere = Aad::new("photos", "thumbnail", "ph1");
        assert_eq!(
            stream_open(&key, elsewhere, &sealed, total),
            (Vec::new(), Err(CryptoError::Decrypt))
        );
        let other = DataKey::generate().unwrap();
        assert_eq!(
            stream_open(&other, here, &sealed, total),
            (Vec::new(), Err(CryptoError::WrongDataKey))
        );
        for wrong in [
            total - 1,
            total + 1,
            total - 16,
            total + 16,
            total - 11 - 16,
            total - (n as u64 + 16),
            total + n as u64 + 16,
        ] {
            let (released, result) = stream_open(&key, here, &sealed, wrong);
            assert!(result.is_err(), "total {wrong} accepted");
            assert!(plain.starts_with(&released), "total {wrong}: wrong bytes");
        }
    }

    #[test]
    fn opener_refuses_wrong_indexes_and_lengths() {
        let key = DataKey::generate().unwrap();
        let here = Aad::new("photos", "content", "ph1");
        let n = BLOB_CHUNK_LEN;
        let sealed = key.seal_blob(here, &sample(n + 3)).unwrap();
        let layout = BlobLayout::parse(&sealed, sealed.len() as u64).unwrap();
        let tags = slice(&sealed, layout.tags_range()).unwrap();
        let opener = key
            .blob_opener(here, &sealed, sealed.len() as u64, tags)
            .unwrap();
        assert_eq!(layout.chunk_plain_len(1), Some(3));
        assert_eq!(layout.chunk_plain_len(2), None);
        let mut last = sealed[BLOB_HEADER_LEN + n..BLOB_HEADER_LEN + n + 3].to_vec();
        let mut too_long = sealed[BLOB_HEADER_LEN + n..BLOB_HEADER_LEN + n + 4].to_vec();
        for (index, buf) in [(2, &mut last.clone()), (1, &mut too_long), (0, &mut last)] {
            assert!(opener.open_chunk_in_place(index, buf).is_err());
            assert!(buf.iter().all(|&b| b == 0));
        }
        let mut body = sealed[BLOB_HEADER_LEN..BLOB_HEADER_LEN + n].to_vec();
        assert!(matches!(
            opener.open_in_place(&mut body),
            Err(CryptoError::Malformed(_))
        ));
        let shown = format!("{opener:?}");
        assert!(shown.starts_with("BlobOpener { layout: ") && !shown.contains("key"));
    }

    #[test]
    fn hostile_headers_and_lengths_are_refused_without_panicking() {
        let key = DataKey::generate().unwrap();
        let sealed = key.seal_blob(Aad::new("t", "c", "r"), &sample(10)).unwrap();
        let mut header = sealed[..BLOB_HEADER_LEN].to_vec();
        assert!(matches!(
            BlobLayout::parse(&[], 100),
            Err(CryptoError::Malformed(_))
        ));
        assert!(matches!(
            BlobLayout::parse(&header[..BLOB_HEADER_LEN - 1], 100),
            Err(CryptoError::Malformed(_))
        ));
        assert_eq!(
            BlobLayout::parse(&[0x01; BLOB_HEADER_LEN], 100),
            Err(CryptoError::UnknownFormat(0x01))
        );
        let too_big = (MAX_BLOB_CHUNK_LEN as u32 + 1).to_be_bytes();
        header[BLOB_HEADER_LEN - 4..].copy_from_slice(&too_big);
        assert!(BlobLayout::parse(&header, 1 << 30).is_err());
        // Small chunk lengths, every total: never a panic, and a layout that fits its total.
        for chunk_len in [1u32, 2, 15, 16, 17, 1000] {
            header[BLOB_HEADER_LEN - 4..].copy_from_slice(&chunk_len.to_be_bytes());
            for total in 0..300u64 {
                if let Ok(layout) = BlobLayout::parse(&header, total) {
                    let tags = layout.tags_range();
                    assert_eq!(tags.end, total);
                    assert_eq!(range_len(&tags), layout.chunk_count() as u64 * 16);
                    assert_eq!(layout.body_range().end, tags.start);
                }
            }
        }
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

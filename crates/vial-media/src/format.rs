//! Image formats Vial accepts, recognized by their magic bytes only — never by a file name, an
//! extension or a client-supplied content type, which an uploader controls.

/// An accepted image container.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Jpeg,
    Png,
    /// HEIC/HEIF (ISO BMFF with an HEVC image); accepted as input only, stored as JPEG.
    Heic,
}

impl Format {
    /// The media type to serve the bytes with.
    pub fn mime_type(self) -> &'static str {
        match self {
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
            Format::Heic => "image/heic",
        }
    }

    /// The usual file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Jpeg => "jpg",
            Format::Png => "png",
            Format::Heic => "heic",
        }
    }
}

/// The PNG signature: `\x89 P N G \r \n \x1a \n`.
pub(crate) const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];

/// HEIF brands that announce an image Vial can decode (HEVC-coded still images and sequences,
/// and the generic `mif1`/`msf1` structural brands that iPhones and others list).
const HEIF_BRANDS: [&[u8; 4]; 8] = [
    b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1",
];

/// Recognizes an accepted format from the first bytes of `bytes`, or `None`.
///
/// JPEG is `FF D8 FF`; PNG is its 8-byte signature; HEIC/HEIF is an ISO BMFF `ftyp` box at
/// offset 4 whose major brand or one of whose compatible brands is a HEIF brand.
pub fn sniff(bytes: &[u8]) -> Option<Format> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(Format::Jpeg)
    } else if bytes.starts_with(&PNG_SIGNATURE) {
        Some(Format::Png)
    } else if is_heif(bytes) {
        Some(Format::Heic)
    } else {
        None
    }
}

/// `size (u32 BE) ‖ "ftyp" ‖ major brand ‖ minor version (4) ‖ compatible brands (4 each)…`
fn is_heif(bytes: &[u8]) -> bool {
    let Some(size) = bytes.get(0..4) else {
        return false;
    };
    if bytes.get(4..8) != Some(b"ftyp") {
        return false;
    }
    let size = u32::from_be_bytes([size[0], size[1], size[2], size[3]]) as usize;
    // A box of size 0 runs to the end of the file and 1 means a 64-bit size follows; neither is
    // plausible for `ftyp`, so only an ordinary, complete box is looked into.
    if size < 16 || size > bytes.len() {
        return false;
    }
    let major = &bytes[8..12];
    let compatible = bytes[16..size].chunks_exact(4);
    std::iter::once(major)
        .chain(compatible)
        .any(|brand| HEIF_BRANDS.iter().any(|known| brand == known.as_slice()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ftyp(major: &[u8; 4], compatible: &[&[u8; 4]]) -> Vec<u8> {
        let size = 16 + 4 * compatible.len();
        let mut b = (size as u32).to_be_bytes().to_vec();
        b.extend_from_slice(b"ftyp");
        b.extend_from_slice(major);
        b.extend_from_slice(&[0, 0, 0, 0]);
        for brand in compatible {
            b.extend_from_slice(brand.as_slice());
        }
        b.extend_from_slice(b"\0\0\0\x08meta");
        b
    }

    #[test]
    fn magic_bytes_decide() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(Format::Jpeg));
        assert_eq!(sniff(&PNG_SIGNATURE), Some(Format::Png));
        assert_eq!(sniff(&ftyp(b"heic", &[b"mif1"])), Some(Format::Heic));
        assert_eq!(
            sniff(&ftyp(b"isom", &[b"mp41", b"mif1"])),
            Some(Format::Heic)
        );
        assert_eq!(sniff(&ftyp(b"mif1", &[])), Some(Format::Heic));
    }

    #[test]
    fn lookalikes_are_refused() {
        assert_eq!(sniff(b""), None);
        assert_eq!(sniff(&[0xFF, 0xD8]), None);
        assert_eq!(sniff(b"GIF89a"), None);
        assert_eq!(sniff(&PNG_SIGNATURE[..7]), None);
        // An MP4 video or an AVIF image is ISO BMFF too, but not HEIC.
        assert_eq!(sniff(&ftyp(b"isom", &[b"mp41"])), None);
        assert_eq!(sniff(&ftyp(b"avif", &[b"avif"])), None);
        // A brand that would only be found past the box's declared end does not count.
        let mut lying = ftyp(b"isom", &[]);
        lying.extend_from_slice(b"heic");
        assert_eq!(sniff(&lying), None);
    }
}

//! Image formats Vial accepts, recognized by their magic bytes only — never by a file name, an
//! extension or a client-supplied content type, which an uploader controls.

use crate::MediaError;

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

/// The HEIF brands of HEVC-coded images (ISO/IEC 23008-12 annex B): still images and
/// sequences in the Main, extended, multi-view and scalable profiles. The structural brands
/// `mif1`, `msf1` and `miaf` are not among them: AVIF files list them too.
const HEVC_BRANDS: [&[u8; 4]; 8] = [
    b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs",
];

/// The brands of AV1-coded HEIF (AVIF still images and sequences, and their MIAF profiles).
const AV1_BRANDS: [&[u8; 4]; 5] = [b"avif", b"avis", b"avio", b"MA1B", b"MA1A"];

/// Item types of coded images libheif would hand to a decoder other than its HEVC one: AV1
/// (dav1d or libaom), and the codecs later libheif versions add. Other types are derivations
/// (`grid`, `iden`, `iovl`), metadata (`Exif`, `mime`) or unknown to libheif, which then
/// decodes nothing for them.
const FOREIGN_CODINGS: [&[u8; 4]; 8] = [
    b"av01", b"avc1", b"jpeg", b"j2k1", b"vvc1", b"evc1", b"unci", b"mski",
];

const CORRUPT_HEIF: MediaError = MediaError::Undecodable("corrupt or truncated HEIC container");

/// Recognizes an accepted format from the first bytes of `bytes`, or `None`.
///
/// JPEG is `FF D8 FF`; PNG is its 8-byte signature; HEIC is an ISO BMFF `ftyp` box at offset 4
/// whose major brand or one of whose compatible brands is an HEVC brand, and none of whose
/// brands is an AV1 one.
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
    let mut brands = std::iter::once(major).chain(compatible);
    let is = |set: &[&[u8; 4]], brand: &[u8]| set.iter().any(|known| brand == known.as_slice());
    brands.clone().any(|brand| is(&HEVC_BRANDS, brand)) && !brands.any(|b| is(&AV1_BRANDS, b))
}

/// Refuses a HEIC file with an item coded other than in HEVC, before libheif reads it.
///
/// The brands [`sniff`] checks are the file's own claim; libheif chooses a decoder by the type
/// each item has in `meta`'s item information box (`iinf`), so a file labelled `heic` could
/// still bring an AV1 image to dav1d. Every top-level `meta` box is looked into; one cut short
/// is `Undecodable`.
pub(crate) fn check_heic_items(bytes: &[u8]) -> Result<(), MediaError> {
    for part in boxes(bytes) {
        let part = part?;
        if &part.kind == b"meta" {
            check_meta(part.body.ok_or(CORRUPT_HEIF)?)?;
        }
        // Nothing after a box that runs past the end can be read, by libheif either.
    }
    Ok(())
}

/// `meta` and `iinf` are full boxes (version ‖ flags); `iinf` then counts its entries in 16
/// bits (version 0) or 32; each `infe` of version 2 or 3 gives the item's id (16 or 32 bits),
/// a protection index (16 bits) and its type. Versions 0 and 1 carry no type.
fn check_meta(meta: &[u8]) -> Result<(), MediaError> {
    for child in boxes(meta.get(4..).ok_or(CORRUPT_HEIF)?) {
        let child = child?;
        let body = child.body.ok_or(CORRUPT_HEIF)?;
        if &child.kind != b"iinf" {
            continue;
        }
        let count = if *body.first().ok_or(CORRUPT_HEIF)? == 0 {
            2
        } else {
            4
        };
        for entry in boxes(body.get(4 + count..).ok_or(CORRUPT_HEIF)?) {
            let entry = entry?;
            let infe = entry.body.ok_or(CORRUPT_HEIF)?;
            let at = match infe.first() {
                Some(2) if &entry.kind == b"infe" => 4 + 2 + 2,
                Some(3) if &entry.kind == b"infe" => 4 + 4 + 2,
                _ => continue,
            };
            let item_type = infe.get(at..at + 4).ok_or(CORRUPT_HEIF)?;
            if FOREIGN_CODINGS.iter().any(|t| item_type == t.as_slice()) {
                return Err(MediaError::UnsupportedType);
            }
        }
    }
    Ok(())
}

/// An ISO BMFF box: its type and, unless it runs past the end of what holds it, its body.
struct Bmff<'a> {
    kind: [u8; 4],
    body: Option<&'a [u8]>,
}

/// The boxes laid end to end in `data`. A box without its body (cut short) ends the walk; so
/// does a malformed header, as an error.
fn boxes(data: &[u8]) -> impl Iterator<Item = Result<Bmff<'_>, MediaError>> {
    let mut at = 0;
    std::iter::from_fn(move || {
        if at >= data.len() {
            return None;
        }
        let next = next_box(data, at);
        at = match next {
            Ok((Bmff { body: Some(_), .. }, end)) => end,
            _ => data.len(),
        };
        Some(next.map(|(part, _)| part))
    })
}

/// `size (u32) ‖ type ‖ body`, where size 1 means a 64-bit size follows the type and size 0
/// that the box runs to the end of its container. Returns the box and where it ends.
fn next_box(data: &[u8], at: usize) -> Result<(Bmff<'_>, usize), MediaError> {
    let head = data.get(at..at + 8).ok_or(CORRUPT_HEIF)?;
    let kind = [head[4], head[5], head[6], head[7]];
    let (header, size) = match u32::from_be_bytes([head[0], head[1], head[2], head[3]]) {
        0 => (8, data.len() - at),
        1 => {
            let large = data.get(at + 8..at + 16).ok_or(CORRUPT_HEIF)?;
            let large = u64::from_be_bytes(large.try_into().map_err(|_| CORRUPT_HEIF)?);
            (16, usize::try_from(large).unwrap_or(usize::MAX))
        }
        size => (8, size as usize),
    };
    if size < header {
        return Err(CORRUPT_HEIF);
    }
    let end = at.saturating_add(size);
    let body = data.get(at + header..end);
    Ok((Bmff { kind, body }, end))
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
        // The HEVC brand may be the major one or only compatible.
        assert_eq!(
            sniff(&ftyp(b"mif1", &[b"heic", b"miaf"])),
            Some(Format::Heic)
        );
        for brand in [
            b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs",
        ] {
            assert_eq!(sniff(&ftyp(brand, &[])), Some(Format::Heic), "{brand:?}");
        }
    }

    #[test]
    fn heif_without_an_hevc_brand_is_refused() {
        // The structural brands say nothing about the codec: AVIF lists them too.
        assert_eq!(sniff(&ftyp(b"mif1", &[])), None);
        assert_eq!(sniff(&ftyp(b"msf1", &[b"miaf"])), None);
        assert_eq!(sniff(&ftyp(b"isom", &[b"mp41", b"mif1"])), None);
        // AVIF as libavif and libheif write it, a sequence, and one that also claims HEVC.
        assert_eq!(
            sniff(&ftyp(b"avif", &[b"avif", b"mif1", b"miaf", b"MA1B"])),
            None
        );
        assert_eq!(sniff(&ftyp(b"avis", &[b"avis", b"msf1", b"miaf"])), None);
        assert_eq!(sniff(&ftyp(b"heic", &[b"mif1", b"avif"])), None);
        assert_eq!(sniff(&ftyp(b"mif1", &[b"MA1A", b"heic"])), None);
    }

    fn bmff(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut b = ((8 + body.len()) as u32).to_be_bytes().to_vec();
        b.extend_from_slice(kind);
        b.extend_from_slice(body);
        b
    }

    /// `infe` version 2 (16-bit id) or 3 (32-bit id).
    fn infe(version: u8, id: u16, item_type: &[u8; 4]) -> Vec<u8> {
        let mut body = vec![version, 0, 0, 0];
        if version == 3 {
            body.extend_from_slice(&[0, 0]);
        }
        body.extend_from_slice(&id.to_be_bytes());
        body.extend_from_slice(&[0, 0]);
        body.extend_from_slice(item_type);
        body.push(0); // item name
        bmff(b"infe", &body)
    }

    /// A `meta` box whose `iinf` (version 0) lists `entries`.
    fn meta(entries: &[Vec<u8>]) -> Vec<u8> {
        let mut iinf = vec![0, 0, 0, 0];
        iinf.extend_from_slice(&(entries.len() as u16).to_be_bytes());
        iinf.extend(entries.concat());
        let mut body = vec![0, 0, 0, 0];
        body.extend(bmff(b"hdlr", &[0; 25]));
        body.extend(bmff(b"pitm", &[0, 0, 0, 0, 0, 1]));
        body.extend(bmff(b"iinf", &iinf));
        bmff(b"meta", &body)
    }

    fn file(boxes: &[Vec<u8>]) -> Vec<u8> {
        [ftyp(b"heic", &[b"mif1"])[..20].to_vec(), boxes.concat()].concat()
    }

    #[test]
    fn hevc_items_pass() {
        let hevc = meta(&[
            infe(2, 1, b"hvc1"),
            infe(2, 2, b"Exif"),
            infe(3, 3, b"grid"),
        ]);
        let mdat = bmff(b"mdat", &[7; 32]);
        assert_eq!(
            check_heic_items(&file(&[hevc.clone(), mdat.clone()])),
            Ok(())
        );
        // Image data cut short after `meta`: for libheif to find.
        let whole = file(&[hevc.clone(), mdat]);
        assert_eq!(check_heic_items(&whole[..whole.len() - 5]), Ok(()));
        // `mdat` first with a 64-bit size, and a last box running to the end of the file.
        let mut large = vec![0, 0, 0, 1, b'm', b'd', b'a', b't', 0, 0, 0, 0, 0, 0, 0, 20];
        large.extend_from_slice(&[7; 4]);
        let to_end = [0, 0, 0, 0, b'f', b'r', b'e', b'e', 1, 2, 3].to_vec();
        assert_eq!(check_heic_items(&file(&[large, hevc, to_end])), Ok(()));
    }

    #[test]
    fn an_item_in_another_coding_is_refused() {
        let av1 = |version| meta(&[infe(2, 1, b"hvc1"), infe(version, 2, b"av01")]);
        for version in [2, 3] {
            assert_eq!(
                check_heic_items(&file(&[av1(version)])),
                Err(MediaError::UnsupportedType)
            );
        }
        // Behind a first, harmless `meta` box, or a large `mdat`.
        let hevc = meta(&[infe(2, 1, b"hvc1")]);
        assert_eq!(
            check_heic_items(&file(&[hevc, av1(2)])),
            Err(MediaError::UnsupportedType)
        );
        let mut large = vec![0, 0, 0, 1, b'm', b'd', b'a', b't', 0, 0, 0, 0, 0, 0, 0, 16];
        large.extend(av1(3));
        assert_eq!(
            check_heic_items(&file(&[large])),
            Err(MediaError::UnsupportedType)
        );
    }

    #[test]
    fn a_meta_box_that_cannot_be_read_is_refused() {
        let whole = file(&[meta(&[infe(2, 1, b"hvc1"), infe(2, 2, b"av01")])]);
        for len in 21..whole.len() {
            assert!(
                check_heic_items(&whole[..len]).is_err(),
                "accepted a file cut at {len}"
            );
        }
        let mut undersized = file(&[meta(&[infe(2, 1, b"hvc1")])]);
        undersized[20..24].copy_from_slice(&[0, 0, 0, 7]);
        assert!(check_heic_items(&undersized).is_err());
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

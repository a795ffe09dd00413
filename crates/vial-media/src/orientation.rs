//! Reads the EXIF orientation tag, the only EXIF value Vial ever looks at, and only to turn the
//! picture upright before the EXIF block is thrown away.

use exif::{In, Reader, Tag};
use image::metadata::Orientation;

/// The orientation recorded in a TIFF-structured EXIF block (what follows `Exif\0\0` in a JPEG,
/// or a PNG `eXIf` chunk). Absent, unreadable or out-of-range values mean "as stored", which is
/// also what browsers do with them.
pub(crate) fn from_exif(tiff: Option<&[u8]>) -> Orientation {
    let Some(tiff) = tiff else {
        return Orientation::NoTransforms;
    };
    let Ok(exif) = Reader::new().read_raw(tiff.to_vec()) else {
        return Orientation::NoTransforms;
    };
    exif.get_field(Tag::Orientation, In::PRIMARY)
        .and_then(|field| field.value.get_uint(0))
        .and_then(|value| u8::try_from(value).ok())
        .and_then(Orientation::from_exif)
        .unwrap_or(Orientation::NoTransforms)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // tests fail loudly by design

    use super::*;
    use exif::experimental::Writer;
    use exif::{Field, Value};

    fn tiff(orientation: u16) -> Vec<u8> {
        let field = Field {
            tag: Tag::Orientation,
            ifd_num: In::PRIMARY,
            value: Value::Short(vec![orientation]),
        };
        let mut writer = Writer::new();
        writer.push_field(&field);
        let mut out = std::io::Cursor::new(Vec::new());
        writer.write(&mut out, false).unwrap();
        out.into_inner()
    }

    #[test]
    fn reads_the_tag() {
        assert_eq!(from_exif(Some(&tiff(6))), Orientation::Rotate90);
        assert_eq!(from_exif(Some(&tiff(3))), Orientation::Rotate180);
        assert_eq!(from_exif(Some(&tiff(1))), Orientation::NoTransforms);
    }

    #[test]
    fn anything_odd_means_as_stored() {
        assert_eq!(from_exif(None), Orientation::NoTransforms);
        assert_eq!(from_exif(Some(b"not tiff")), Orientation::NoTransforms);
        assert_eq!(from_exif(Some(&tiff(9))), Orientation::NoTransforms);
    }
}

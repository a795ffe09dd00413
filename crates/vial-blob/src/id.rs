//! Object names: a [`BlobKind`] (the folder) and an opaque [`BlobId`].
//!
//! Ids are checked on construction so that no caller can smuggle in a path (`../x`), a file
//! name (`Jane_Doe.jpg`) or anything else that could carry PHI into an object key.

use crate::BlobError;

/// Longest id accepted, in bytes.
pub const MAX_ID_LEN: usize = 64;

/// An opaque object id: 1 to 64 of `a-z`, `0-9` and `_` (e.g. `ph_3k9x...`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlobId(String);

impl BlobId {
    /// Accepts `id` only if it is an opaque id; refuses paths, dots, uppercase, spaces and
    /// anything longer than [`MAX_ID_LEN`].
    pub fn parse(id: &str) -> Result<Self, BlobError> {
        if id.is_empty() {
            return Err(BlobError::InvalidId("empty"));
        }
        if id.len() > MAX_ID_LEN {
            return Err(BlobError::InvalidId("longer than 64 characters"));
        }
        if !id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(BlobError::InvalidId(
                "only lowercase letters, digits and '_' are allowed",
            ));
        }
        Ok(Self(id.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for BlobId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a blob is, which is also the folder (key prefix) it lives under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BlobKind {
    /// A full-size photo: `photos/<id>`.
    Photo,
    /// A photo's thumbnail: `thumbs/<id>`.
    Thumbnail,
}

impl BlobKind {
    /// Every kind, e.g. to prepare the local folders.
    pub const ALL: [BlobKind; 2] = [BlobKind::Photo, BlobKind::Thumbnail];

    /// The key prefix (and local folder name).
    pub fn prefix(self) -> &'static str {
        match self {
            BlobKind::Photo => "photos",
            BlobKind::Thumbnail => "thumbs",
        }
    }

    /// The object key: `<prefix>/<id>`.
    pub fn key(self, id: &BlobId) -> String {
        format!("{}/{}", self.prefix(), id.as_str())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // tests fail loudly by design
    use super::*;

    #[test]
    fn accepts_opaque_ids() {
        for id in ["ph_abc", "a", "0", "_", &"x".repeat(MAX_ID_LEN)] {
            assert_eq!(BlobId::parse(id).unwrap().as_str(), id);
        }
        let id = BlobId::parse("ph_abc").unwrap();
        assert_eq!(BlobKind::Photo.key(&id), "photos/ph_abc");
        assert_eq!(BlobKind::Thumbnail.key(&id), "thumbs/ph_abc");
    }

    #[test]
    fn refuses_paths_names_and_odd_characters() {
        let long = "x".repeat(MAX_ID_LEN + 1);
        for id in [
            "",
            "../x",
            "..",
            ".",
            "a/b",
            "/etc",
            "a\\b",
            "Jane_Doe.jpg",
            "PH_ABC",
            "ph abc",
            "ph-abc",
            "ph#1",
            "ph\0",
            "é",
            &long,
        ] {
            assert!(
                matches!(BlobId::parse(id), Err(BlobError::InvalidId(_))),
                "{id:?} was accepted"
            );
        }
    }
}

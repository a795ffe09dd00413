//! Additional authenticated data: binds a ciphertext to where it is stored.
//!
//! A ciphertext copied into another table, column or row fails to decrypt, because the AAD it was
//! sealed with no longer matches. Components are length-prefixed so that no two contexts encode
//! to the same bytes.

/// The storage location a ciphertext belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Aad<'a> {
    pub table: &'a str,
    pub column: &'a str,
    pub row: &'a str,
}

impl<'a> Aad<'a> {
    /// `row` is the row's id, typed (`&PatientId`) or not.
    pub fn new(table: &'a str, column: &'a str, row: &'a (impl AsRef<str> + ?Sized)) -> Self {
        Self {
            table,
            column,
            row: row.as_ref(),
        }
    }

    /// The bytes authenticated alongside the ciphertext: a domain tag, the format byte, the DEK id
    /// and the length-prefixed location.
    pub(crate) fn encode(&self, format: u8, dek_id: &[u8; 16]) -> Vec<u8> {
        let mut out = Vec::with_capacity(
            8 + 1 + 16 + 12 + self.table.len() + self.column.len() + self.row.len(),
        );
        out.extend_from_slice(b"vial:v1\0");
        out.push(format);
        out.extend_from_slice(dek_id);
        for part in [self.table, self.column, self.row] {
            let len = u32::try_from(part.len()).unwrap_or(u32::MAX);
            out.extend_from_slice(&len.to_be_bytes());
            out.extend_from_slice(part.as_bytes());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_prefixes_keep_contexts_distinct() {
        let id = [7u8; 16];
        let a = Aad::new("ab", "c", "1").encode(1, &id);
        let b = Aad::new("a", "bc", "1").encode(1, &id);
        assert_ne!(a, b);
        assert_ne!(a, Aad::new("ab", "c", "1").encode(2, &id));
        assert_ne!(a, Aad::new("ab", "c", "1").encode(1, &[8u8; 16]));
    }
}

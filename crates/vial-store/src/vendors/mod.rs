//! Vendors: who receives PHI from the practice under which Business Associate Agreement. Not
//! PHI; the signed BAA document, if attached, is stored sealed.

pub(crate) mod sql;

#[cfg(feature = "scenarios")]
pub mod scenarios;

use crate::StoreResult;

/// A registered vendor as stored. Dates are `YYYY-MM-DD`; host patterns one per line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VendorRow {
    pub id: String,
    pub name: String,
    pub service: String,
    pub hosts: Vec<String>,
    pub region: String,
    pub baa_signed: String,
    pub baa_expires: String,
    /// SHA-256 (hex) of the attached BAA document, if any.
    pub baa_sha256: Option<String>,
    pub created_at_ms: i64,
    pub ended_at_ms: Option<i64>,
}

/// Reads of the vendor registry.
#[async_trait::async_trait]
pub trait VendorsRead: Send {
    /// Every vendor, ended ones too, by name.
    async fn vendors(&mut self) -> StoreResult<Vec<VendorRow>>;
    async fn vendor(&mut self, id: &str) -> StoreResult<Option<VendorRow>>;
    /// The sealed BAA document of a vendor, if one is attached.
    async fn vendor_document(&mut self, id: &str) -> StoreResult<Option<Vec<u8>>>;
}

/// Writes of the vendor registry.
#[async_trait::async_trait]
pub trait VendorsTx: Send {
    /// Adds a vendor with its sealed BAA document, if any.
    async fn insert_vendor(
        &mut self,
        vendor: &VendorRow,
        document: Option<&[u8]>,
    ) -> StoreResult<()>;
    /// Sets a vendor's BAA expiry; false if no vendor has that id or it has ended.
    async fn renew_vendor(&mut self, id: &str, baa_expires: &str) -> StoreResult<bool>;
    /// Ends a vendor; false if no vendor has that id or it had ended already.
    async fn end_vendor(&mut self, id: &str, at_ms: i64) -> StoreResult<bool>;
}

//! Charting through the PHI gateway: treatment records with lot traceability and recall, SOAP
//! notes and plans (draft → signed → amended, co-signature), medical history, the practice
//! catalogue and stock, and practice settings.

mod catalogue;
mod chart;
mod documents;
mod history;
mod settings;
pub(crate) use settings::medical_director;
mod treatments;

pub use catalogue::{InventoryLot, ProductView};
pub use chart::ChartView;
pub use documents::{AmendmentView, DocumentKind, DocumentView};
pub use history::HistoryView;
pub use settings::PracticeSetting;
pub use treatments::{ChartWarning, Charted, RecallEntry, TreatmentView};

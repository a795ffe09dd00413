//! The egress gate: the one function every outbound PHI flow passes before it leaves this
//! machine (the database at start, object-storage writes now; notices, exports and remote
//! backups as they come). It judges the configured endpoint by `vial_core::vendor::judge`
//! against the registry and the day, records the decision (host, vendor id, outcome — never
//! PHI) and refuses with a message naming the host and what to do. Also the admin's picture
//! of where PHI goes: each endpoint with its TLS and BAA standing, and the alerts.

use vial_core::egress::is_own_machine;
use vial_core::vendor::{EgressRefusal, judge};
use vial_core::{Action, Resource};

use super::{BaaStatus, VendorView, allowed_regions, terms, view};
use crate::{Actor, App, AppError, AuditEvent};

/// What an endpoint is for (ordered as the map shows them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum EndpointKind {
    Database,
    ObjectStorage,
    /// The SMTP relay notices go through (they carry no PHI, but an address is PHI).
    Email,
}

impl EndpointKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Database => "database",
            Self::ObjectStorage => "object_storage",
            Self::Email => "email",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Database => "Database",
            Self::ObjectStorage => "Photo storage",
            Self::Email => "Email notices",
        }
    }
}

/// An endpoint Vial is configured to send PHI to, as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub kind: EndpointKind,
    /// The configured host (never what it resolves to).
    pub host: String,
    /// Verified TLS 1.2+ (start-up refuses anything weaker off this machine).
    pub tls: bool,
    /// Where the data is kept, when the endpoint says (an S3 bucket's region).
    pub region: Option<String>,
    /// What it is, for people: "PostgreSQL", "S3 bucket photos", "SQLite in the data directory".
    pub detail: String,
}

impl Endpoint {
    pub(crate) fn database(database: &crate::DatabaseChoice) -> Self {
        match database {
            crate::DatabaseChoice::Embedded => Self {
                kind: EndpointKind::Database,
                host: "localhost".into(),
                tls: false,
                region: None,
                detail: "SQLite in the data directory".into(),
            },
            crate::DatabaseChoice::Postgres { url, .. } => {
                let remote = vial_store_postgres::remote_host(url);
                Self {
                    kind: EndpointKind::Database,
                    // Off this machine, start-up has already insisted on verify-full.
                    tls: remote.is_some(),
                    host: remote.unwrap_or_else(|| "localhost".into()),
                    region: None,
                    detail: "PostgreSQL".into(),
                }
            }
        }
    }

    pub(crate) fn blobs(blobs: &vial_blob::BlobStore) -> Self {
        match blobs.host() {
            Some(host) => Self {
                kind: EndpointKind::ObjectStorage,
                // Off this machine, `vial-blob` accepts only https.
                tls: !is_own_machine(host),
                host: host.to_owned(),
                region: blobs.region().map(str::to_owned),
                detail: "S3-compatible object storage".into(),
            },
            None => Self {
                kind: EndpointKind::ObjectStorage,
                host: "localhost".into(),
                tls: false,
                region: None,
                detail: "sealed files in the data directory".into(),
            },
        }
    }
}

/// An endpoint's standing today.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlowStatus {
    /// This machine: no vendor involved.
    OwnMachine,
    /// Covered by this vendor's BAA in force.
    Covered { vendor: String },
    /// PHI may not flow there: why, naming the host.
    Refused { reason: String, message: String },
}

/// Where PHI goes today, for the admin: the endpoints, the vendors, and what needs attention.
#[derive(Debug, Clone)]
pub struct DataFlow {
    pub endpoints: Vec<(Endpoint, FlowStatus)>,
    pub vendors: Vec<VendorView>,
    /// `None` when the practice set no allowed regions.
    pub allowed_regions: Option<Vec<String>>,
    /// What stops PHI flowing or breaks the rules: blocked endpoints, expired BAAs.
    pub problems: Vec<String>,
    /// What needs attention soon: BAAs expiring within 30 days, no allowed regions set.
    pub warnings: Vec<String>,
}

impl App {
    /// Adds (or replaces) the endpoint of its kind: the database's when the data directory
    /// opens it, object storage's when the blob store is set, so none can be left out.
    pub(crate) fn set_endpoint(&mut self, endpoint: Endpoint) {
        let mut all: Vec<Endpoint> = self
            .endpoints
            .iter()
            .filter(|e| e.kind != endpoint.kind)
            .cloned()
            .collect();
        all.push(endpoint);
        all.sort_by_key(|e| e.kind);
        self.endpoints = all.into();
    }

    /// The gate for `kind`'s endpoint: `Ok` if PHI may flow there today. Off this machine the
    /// decision is recorded as `event` (its resource set to the host, its reason to the vendor
    /// id or the refusal's code).
    pub(crate) async fn egress_gate(
        &self,
        kind: EndpointKind,
        event: AuditEvent,
    ) -> Result<(), AppError> {
        let Some(endpoint) = self.endpoints.iter().find(|e| e.kind == kind).cloned() else {
            return Ok(());
        };
        if is_own_machine(&endpoint.host) {
            return Ok(());
        }
        let verdict = self.judge_endpoint(&endpoint).await?;
        let event = event.resource("endpoint", &endpoint.host);
        match verdict {
            Ok(vendor) => self.record(event.reason(&vendor.unwrap_or_default())).await,
            Err(refusal) => {
                let reason = match refusal.vendor() {
                    Some(v) => format!("{}:{v}", refusal.code()),
                    None => refusal.code().to_owned(),
                };
                self.record(event.denied(&reason)).await?;
                Err(AppError::EgressRefused(refusal.to_string()))
            }
        }
    }

    /// Every configured endpoint through the gate, as the server starts.
    pub(crate) async fn egress_check_all(&self, by: &str) -> Result<(), AppError> {
        for endpoint in self.endpoints.iter() {
            let event = AuditEvent::new("egress.check")
                .by_system(by)
                .purpose("operations")
                .reason(endpoint.kind.as_str());
            self.egress_gate(endpoint.kind, event).await?;
        }
        Ok(())
    }

    async fn judge_endpoint(
        &self,
        endpoint: &Endpoint,
    ) -> Result<Result<Option<String>, EgressRefusal>, AppError> {
        let mut tx = self.store().reader().await?;
        let allowed = allowed_regions(&mut *tx).await?;
        let vendors = tx
            .vendors()
            .await?
            .iter()
            .map(terms)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(judge(
            &endpoint.host,
            endpoint.region.as_deref(),
            &vendors,
            self.today(),
            allowed.as_deref(),
        ))
    }

    /// Where PHI goes today and what needs attention (admins): computed on every call, so a BAA
    /// that expires while the server runs shows at once.
    pub async fn data_flow_as(&self, actor: &Actor) -> Result<DataFlow, AppError> {
        let event = AuditEvent::by("vendor.data_flow", actor).purpose("operations");
        self.practice_wide(actor, Resource::Administration, Action::Read, event)
            .await?;
        let mut tx = self.store().reader().await?;
        let allowed = allowed_regions(&mut *tx).await?;
        let rows = tx.vendors().await?;
        drop(tx);
        let today = self.today();
        let all_terms = rows.iter().map(terms).collect::<Result<Vec<_>, _>>()?;
        let vendors = rows
            .into_iter()
            .map(|row| view(row, today, allowed.as_deref()))
            .collect::<Result<Vec<_>, _>>()?;

        let mut problems = Vec::new();
        let mut warnings = Vec::new();
        let mut endpoints = Vec::new();
        for endpoint in self.endpoints.iter() {
            let status = if is_own_machine(&endpoint.host) {
                FlowStatus::OwnMachine
            } else {
                match judge(
                    &endpoint.host,
                    endpoint.region.as_deref(),
                    &all_terms,
                    today,
                    allowed.as_deref(),
                ) {
                    Ok(vendor) => FlowStatus::Covered {
                        vendor: vendor.unwrap_or_default(),
                    },
                    Err(refusal) => {
                        problems.push(format!("{} is blocked — {refusal}", endpoint.kind.label()));
                        FlowStatus::Refused {
                            reason: refusal.code().to_owned(),
                            message: refusal.to_string(),
                        }
                    }
                }
            };
            endpoints.push((endpoint.clone(), status));
        }
        for v in &vendors {
            match v.status {
                BaaStatus::Expired => problems.push(format!(
                    "The BAA with {} expired on {}: it receives no PHI until renewed.",
                    v.name, v.baa_expires
                )),
                BaaStatus::ExpiringSoon => warnings.push(format!(
                    "The BAA with {} expires in {} day{} ({}).",
                    v.name,
                    v.days_left,
                    if v.days_left == 1 { "" } else { "s" },
                    v.baa_expires
                )),
                BaaStatus::NotYetInForce => warnings.push(format!(
                    "The BAA with {} takes effect on {}.",
                    v.name, v.baa_signed
                )),
                BaaStatus::InForce | BaaStatus::Ended => {}
            }
            if v.status != BaaStatus::Ended && !v.region_allowed {
                problems.push(format!(
                    "{}'s region {} is outside the practice's allowed regions.",
                    v.name, v.region
                ));
            }
        }
        if allowed.is_none() {
            warnings.push(
                "No allowed regions are set: PHI may be kept in any region. Set them under \
                 Settings."
                    .to_owned(),
            );
        }
        Ok(DataFlow {
            endpoints,
            vendors,
            allowed_regions: allowed,
            problems,
            warnings,
        })
    }
}

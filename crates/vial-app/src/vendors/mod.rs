//! The vendor registry (SPEC §3 Vendor): who may receive PHI, under which Business Associate
//! Agreement, in which region. Admins change it (re-authenticated to add or end a vendor); the
//! operator's CLI does too, as the bootstrap door. Every change is audited; the signed BAA
//! document is sealed under the vendor's own data key, only its SHA-256 shown.

pub(crate) mod egress;

use aws_lc_rs::digest;
use jiff::civil::Date;
use vial_core::vendor::{
    BaaTerm, EXPIRY_WARNING_DAYS, HostPattern, VendorService, VendorTerms, parse_allowed_regions,
    parse_date, parse_region, region_allowed,
};
use vial_core::{Action, Resource};
use vial_crypto::Aad;
use vial_store::{TxRead, VendorRow};

use crate::gateway::{Ask, authorize};
use crate::records::new_id;
use crate::{Actor, App, AppError, AuditEvent, Audited, Work};

pub use egress::{DataFlow, Endpoint, EndpointKind, FlowStatus};

/// The practice setting naming the regions PHI may be kept in (`us,eu`).
pub const ALLOWED_REGIONS: &str = "allowed_regions";

/// The largest BAA document accepted.
pub const MAX_BAA_DOCUMENT_BYTES: usize = 10 * 1024 * 1024;

/// A vendor to register, as typed by an admin or the operator.
#[derive(Debug, Clone, Default)]
pub struct NewVendor {
    pub name: String,
    pub service: String,
    pub hosts: Vec<String>,
    pub region: String,
    pub baa_signed: String,
    pub baa_expires: String,
    /// The signed BAA as a PDF, if attached.
    pub baa_document: Option<Vec<u8>>,
}

/// Where a vendor's BAA stands today.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BaaStatus {
    InForce,
    /// In force, expiring within [`EXPIRY_WARNING_DAYS`].
    ExpiringSoon,
    Expired,
    /// Signed with a start date still to come.
    NotYetInForce,
    Ended,
}

impl BaaStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InForce => "in_force",
            Self::ExpiringSoon => "expiring_soon",
            Self::Expired => "expired",
            Self::NotYetInForce => "not_yet_in_force",
            Self::Ended => "ended",
        }
    }

    /// Whether PHI may flow to the vendor today.
    pub fn receives_phi(self) -> bool {
        matches!(self, Self::InForce | Self::ExpiringSoon)
    }
}

/// A registered vendor and where its BAA stands today. Not PHI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VendorView {
    pub id: String,
    pub name: String,
    pub service: String,
    pub hosts: Vec<String>,
    pub region: String,
    pub baa_signed: String,
    pub baa_expires: String,
    pub baa_sha256: Option<String>,
    pub ended_at_ms: Option<i64>,
    pub status: BaaStatus,
    /// Days to the expiry day (negative once expired).
    pub days_left: i64,
    /// Whether the vendor's region is among the practice's allowed regions (or none are set).
    pub region_allowed: bool,
}

/// Who changes the registry: a signed-in admin (decided by the gateway) or the operator's CLI.
#[derive(Debug, Clone)]
pub(crate) enum Changer {
    User(Actor),
    System(String),
}

impl Changer {
    fn event(&self, action: &str) -> AuditEvent {
        let event = match self {
            Self::User(actor) => AuditEvent::by(action, actor),
            Self::System(name) => AuditEvent::new(action).by_system(name),
        };
        event.purpose("operations")
    }

    /// Records `event`: for a user, as the gateway's decision on administration `action`.
    fn decide(&self, work: &mut Work, action: Action, event: AuditEvent) -> Result<(), AppError> {
        match self {
            Self::User(actor) => {
                authorize(
                    work,
                    actor,
                    Ask::practice(Resource::Administration, action),
                    event,
                )?;
            }
            Self::System(_) => work.audit(event),
        }
        Ok(())
    }
}

impl App {
    /// Every registered vendor and its BAA's standing today (admins).
    pub async fn vendors_as(&self, actor: &Actor) -> Result<Vec<VendorView>, AppError> {
        let event = AuditEvent::by("vendor.list", actor).purpose("operations");
        self.practice_wide(actor, Resource::Administration, Action::Read, event)
            .await?;
        self.vendor_views().await
    }

    /// Registers a vendor (admins, re-authenticated).
    pub async fn add_vendor_as(
        &self,
        actor: &Actor,
        vendor: NewVendor,
        password: &str,
        totp: Option<&str>,
    ) -> Result<VendorView, AppError> {
        let ask = Ask::practice(Resource::Administration, Action::Write);
        self.reauthenticate_for(actor, ask, password, totp).await?;
        self.add_vendor_by(Changer::User(actor.clone()), vendor)
            .await
    }

    /// Sets a vendor's new BAA expiry (admins).
    pub async fn renew_vendor_as(
        &self,
        actor: &Actor,
        id: &str,
        baa_expires: &str,
    ) -> Result<VendorView, AppError> {
        self.renew_vendor_by(Changer::User(actor.clone()), id, baa_expires)
            .await
    }

    /// Ends a vendor: it receives nothing more (admins, re-authenticated).
    pub async fn end_vendor_as(
        &self,
        actor: &Actor,
        id: &str,
        password: &str,
        totp: Option<&str>,
    ) -> Result<VendorView, AppError> {
        let ask = Ask::practice(Resource::Administration, Action::Write);
        self.reauthenticate_for(actor, ask, password, totp).await?;
        self.end_vendor_by(Changer::User(actor.clone()), id).await
    }

    /// A vendor's signed BAA document, opened (admins); `None` if none is attached.
    pub async fn vendor_document_as(
        &self,
        actor: &Actor,
        id: &str,
    ) -> Result<Option<Vec<u8>>, AppError> {
        let (app, actor, id) = (self.clone(), actor.clone(), id.to_owned());
        self.transact_read(move |work| {
            Box::pin(async move {
                let event = AuditEvent::by("vendor.document.read", &actor)
                    .purpose("operations")
                    .resource("vendor", &id);
                let ask = Ask::practice(Resource::Administration, Action::Read);
                authorize(work, &actor, ask, event)?;
                let tx = work.read();
                let Some(sealed) = tx.vendor_document(&id).await? else {
                    return Ok(None);
                };
                let key = app.existing_data_key(tx, &id).await?;
                let aad = Aad::new("vendors", "baa_document", &id);
                Ok(Some(key.open_blob(aad, &sealed)?.to_vec()))
            })
        })
        .await
    }

    pub(crate) async fn vendor_views(&self) -> Result<Vec<VendorView>, AppError> {
        let mut tx = self.store().reader().await?;
        let allowed = allowed_regions(&mut *tx).await?;
        let today = self.today();
        tx.vendors()
            .await?
            .into_iter()
            .map(|row| view(row, today, allowed.as_deref()))
            .collect()
    }

    /// Today's date (UTC) by the app's clock: BAA terms are whole days.
    pub(crate) fn today(&self) -> Date {
        jiff::Timestamp::from_millisecond(self.now_ms())
            .map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).date())
            .unwrap_or(Date::MIN)
    }

    pub(crate) async fn add_vendor_by(
        &self,
        by: Changer,
        vendor: NewVendor,
    ) -> Result<VendorView, AppError> {
        let allowed = {
            let mut tx = self.store().reader().await?;
            allowed_regions(&mut *tx).await?
        };
        let (row, document) = checked(vendor, allowed.as_deref(), self.now_ms())?;
        let today = self.today();
        let app = self.clone();
        self.transact(move |work| {
            Box::pin(async move {
                let event = by.event("vendor.add").resource("vendor", &row.id);
                by.decide(work, Action::Write, event)?;
                let sealed = match &document {
                    Some(doc) => {
                        let tx = work.tx().await?;
                        let key = app.data_key_for(tx, &row.id).await?;
                        Some(key.seal_blob(Aad::new("vendors", "baa_document", &row.id), doc)?)
                    }
                    None => None,
                };
                work.tx()
                    .await?
                    .insert_vendor(&row, sealed.as_deref())
                    .await?;
                view(row.clone(), today, allowed.as_deref())
            })
        })
        .await
    }

    pub(crate) async fn renew_vendor_by(
        &self,
        by: Changer,
        id: &str,
        baa_expires: &str,
    ) -> Result<VendorView, AppError> {
        let expires = parse_date("baa_expires", baa_expires)?;
        let id = id.to_owned();
        let today = self.today();
        self.transact(move |work| {
            Box::pin(async move {
                let event = by.event("vendor.renew").resource("vendor", &id);
                by.decide(work, Action::Write, event)?;
                let tx = work.tx().await?;
                let allowed = allowed_regions(tx).await?;
                let Some(mut row) = tx.vendor(&id).await? else {
                    return Err(AppError::NotFound("vendor"));
                };
                let signed = parse_date("baa_signed", &row.baa_signed)?;
                BaaTerm::new(signed, expires)?;
                if !tx.renew_vendor(&id, &expires.to_string()).await? {
                    return Err(AppError::State(
                        "this vendor has ended; register a new one instead".into(),
                    ));
                }
                row.baa_expires = expires.to_string();
                view(row, today, allowed.as_deref())
            })
        })
        .await
    }

    pub(crate) async fn end_vendor_by(
        &self,
        by: Changer,
        id: &str,
    ) -> Result<VendorView, AppError> {
        let id = id.to_owned();
        let today = self.today();
        let now = self.now_ms();
        self.transact(move |work| {
            Box::pin(async move {
                let event = by.event("vendor.end").resource("vendor", &id);
                by.decide(work, Action::Write, event)?;
                let tx = work.tx().await?;
                let allowed = allowed_regions(tx).await?;
                let Some(mut row) = tx.vendor(&id).await? else {
                    return Err(AppError::NotFound("vendor"));
                };
                if !tx.end_vendor(&id, now).await? {
                    return Err(AppError::State("this vendor has ended already".into()));
                }
                row.ended_at_ms = Some(now);
                view(row, today, allowed.as_deref())
            })
        })
        .await
    }
}

/// The practice's allowed regions; `None` when unset (no restriction).
pub(crate) async fn allowed_regions(tx: &mut dyn TxRead) -> Result<Option<Vec<String>>, AppError> {
    match tx.setting(ALLOWED_REGIONS).await? {
        Some(list) => Ok(Some(parse_allowed_regions(&list)?)),
        None => Ok(None),
    }
}

impl From<vial_core::vendor::VendorError> for AppError {
    fn from(e: vial_core::vendor::VendorError) -> Self {
        AppError::Invalid(e.0)
    }
}

/// The vendor as stored, once every field is valid, and its BAA document.
fn checked(
    v: NewVendor,
    allowed: Option<&[String]>,
    now_ms: i64,
) -> Result<(VendorRow, Option<Vec<u8>>), AppError> {
    let name = v.name.trim();
    if name.is_empty() || name.chars().count() > 120 || !vial_clinical::is_plain_line(name) {
        return Err(AppError::Invalid(
            "name: 1 to 120 characters on one line, no control characters".into(),
        ));
    }
    let service = VendorService::parse(v.service.trim())?;
    if v.hosts.is_empty() || v.hosts.len() > 20 {
        return Err(AppError::Invalid("host: name 1 to 20 host patterns".into()));
    }
    let mut hosts = Vec::with_capacity(v.hosts.len());
    for host in &v.hosts {
        let pattern = HostPattern::parse(host)?.as_str().to_owned();
        if !hosts.contains(&pattern) {
            hosts.push(pattern);
        }
    }
    let region = parse_region(&v.region)?;
    if !region_allowed(&region, allowed) {
        return Err(AppError::Invalid(
            "region: outside the practice's allowed regions".into(),
        ));
    }
    let term = BaaTerm::new(
        parse_date("baa_signed", v.baa_signed.trim())?,
        parse_date("baa_expires", v.baa_expires.trim())?,
    )?;
    let document = match v.baa_document {
        Some(doc) if doc.len() > MAX_BAA_DOCUMENT_BYTES => {
            return Err(AppError::Invalid(format!(
                "baa_document: larger than {} MiB",
                MAX_BAA_DOCUMENT_BYTES / (1024 * 1024)
            )));
        }
        Some(doc) if !doc.starts_with(b"%PDF-") => {
            return Err(AppError::Invalid("baa_document: must be a PDF".into()));
        }
        other => other,
    };
    let baa_sha256 = document.as_ref().map(|doc| {
        digest::digest(&digest::SHA256, doc)
            .as_ref()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    });
    let row = VendorRow {
        id: new_id::<String>("vendor"),
        name: name.to_owned(),
        service: service.as_str().to_owned(),
        hosts,
        region,
        baa_signed: term.signed.to_string(),
        baa_expires: term.expires.to_string(),
        baa_sha256,
        created_at_ms: now_ms,
        ended_at_ms: None,
    };
    Ok((row, document))
}

/// A stored vendor as the rule sees it.
pub(crate) fn terms(row: &VendorRow) -> Result<VendorTerms, AppError> {
    let corrupt = |_| AppError::Store(vial_store::StoreError::Corrupt("vendors row".into()));
    Ok(VendorTerms {
        id: row.id.clone(),
        hosts: row
            .hosts
            .iter()
            .map(|h| HostPattern::parse(h))
            .collect::<Result<_, _>>()
            .map_err(corrupt)?,
        term: BaaTerm::new(
            parse_date("baa_signed", &row.baa_signed).map_err(corrupt)?,
            parse_date("baa_expires", &row.baa_expires).map_err(corrupt)?,
        )
        .map_err(corrupt)?,
        region: row.region.clone(),
        ended: row.ended_at_ms.is_some(),
    })
}

fn view(row: VendorRow, today: Date, allowed: Option<&[String]>) -> Result<VendorView, AppError> {
    let t = terms(&row)?;
    let days_left = t.term.days_left(today);
    let status = if t.ended {
        BaaStatus::Ended
    } else if today < t.term.signed {
        BaaStatus::NotYetInForce
    } else if days_left < 0 {
        BaaStatus::Expired
    } else if days_left <= EXPIRY_WARNING_DAYS {
        BaaStatus::ExpiringSoon
    } else {
        BaaStatus::InForce
    };
    Ok(VendorView {
        region_allowed: region_allowed(&row.region, allowed),
        id: row.id,
        name: row.name,
        service: row.service,
        hosts: row.hosts,
        region: row.region,
        baa_signed: row.baa_signed,
        baa_expires: row.baa_expires,
        baa_sha256: row.baa_sha256,
        ended_at_ms: row.ended_at_ms,
        status,
        days_left,
    })
}

//! The vendor registry over HTTP (admins): list, add and end (re-authenticated in the request
//! body), renew. A signed BAA may come along as base64 PDF; only its SHA-256 is ever shown.

use axum::Json;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vial_app::{App, MAX_BAA_DOCUMENT_BYTES, NewVendor, VendorView};
use zeroize::Zeroizing;

use super::Body;
use crate::{ApiError, Authenticated};

pub(crate) fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list, add))
        .routes(routes!(renew))
        .routes(routes!(end))
        .routes(routes!(document))
        // A BAA document in base64 is 4/3 of its size, plus the rest of the body.
        .layer(DefaultBodyLimit::max(
            MAX_BAA_DOCUMENT_BYTES / 3 * 4 + 64 * 1024,
        ))
}

/// A registered vendor and where its BAA stands today.
#[derive(Serialize, ToSchema)]
pub(crate) struct Vendor {
    id: String,
    name: String,
    service: String,
    hosts: Vec<String>,
    region: String,
    /// YYYY-MM-DD.
    baa_signed: String,
    /// YYYY-MM-DD, the last day in force.
    baa_expires: String,
    /// SHA-256 (hex) of the attached BAA document.
    baa_sha256: Option<String>,
    /// `in_force`, `expiring_soon`, `expired`, `not_yet_in_force` or `ended`.
    status: &'static str,
    days_left: i64,
    region_allowed: bool,
    ended_at_ms: Option<i64>,
}

impl From<VendorView> for Vendor {
    fn from(v: VendorView) -> Self {
        Self {
            status: v.status.as_str(),
            id: v.id,
            name: v.name,
            service: v.service,
            hosts: v.hosts,
            region: v.region,
            baa_signed: v.baa_signed,
            baa_expires: v.baa_expires,
            baa_sha256: v.baa_sha256,
            days_left: v.days_left,
            region_allowed: v.region_allowed,
            ended_at_ms: v.ended_at_ms,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Vendors {
    vendors: Vec<Vendor>,
}

/// Every vendor, ended ones too, and its BAA's standing today (admins).
#[utoipa::path(get, path = "/api/v1/vendors", tag = "vendors", security(("bearer" = [])),
    responses((status = 200, description = "the registry", body = Vendors), (status = 403, description = "admins only")))]
pub(crate) async fn list(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
) -> Result<Json<Vendors>, ApiError> {
    let vendors = app.vendors_as(&actor).await?;
    Ok(Json(Vendors {
        vendors: vendors.into_iter().map(Vendor::from).collect(),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewVendorBody {
    name: String,
    /// hosting, database, storage, email, sms, payments, analytics, backup, keys or other.
    service: String,
    /// Exact host names or `*.suffix` patterns.
    hosts: Vec<String>,
    /// A region code: `us`, `eu`, `us-east-1`.
    region: String,
    /// YYYY-MM-DD.
    baa_signed: String,
    /// YYYY-MM-DD.
    baa_expires: String,
    /// The signed BAA as a base64 PDF (at most 10 MiB), stored encrypted.
    baa_document_base64: Option<String>,
    /// The admin's password, re-entered.
    #[schema(value_type = String)]
    password: Zeroizing<String>,
    totp: Option<String>,
}

/// Register a vendor under a signed BAA (admins, re-authenticated).
#[utoipa::path(post, path = "/api/v1/vendors", tag = "vendors", security(("bearer" = [])),
    request_body = NewVendorBody,
    responses((status = 201, description = "registered", body = Vendor), (status = 401, description = "re-authentication failed"),
              (status = 403, description = "admins only"), (status = 422, description = "a field is invalid")))]
pub(crate) async fn add(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    body: Body<NewVendorBody>,
) -> Result<(StatusCode, Json<Vendor>), ApiError> {
    let Json(b) = body?;
    let baa_document = b
        .baa_document_base64
        .map(|doc| {
            base64::engine::general_purpose::STANDARD
                .decode(doc.trim())
                .map_err(|_| ApiError::Unprocessable("baa_document_base64: not base64".into()))
        })
        .transpose()?;
    let vendor = NewVendor {
        name: b.name,
        service: b.service,
        hosts: b.hosts,
        region: b.region,
        baa_signed: b.baa_signed,
        baa_expires: b.baa_expires,
        baa_document,
    };
    let added = app
        .add_vendor_as(&actor, vendor, &b.password, b.totp.as_deref())
        .await?;
    Ok((StatusCode::CREATED, Json(Vendor::from(added))))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RenewBody {
    /// The renewed BAA's last day in force, YYYY-MM-DD.
    baa_expires: String,
}

/// Record a renewed BAA's new expiry (admins).
#[utoipa::path(post, path = "/api/v1/vendors/{id}/renew", tag = "vendors", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = RenewBody,
    responses((status = 200, description = "renewed", body = Vendor), (status = 403, description = "admins only"),
              (status = 404, description = "no such vendor"), (status = 409, description = "the vendor has ended"),
              (status = 422, description = "not a date, or before the signing day")))]
pub(crate) async fn renew(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    body: Body<RenewBody>,
) -> Result<Json<Vendor>, ApiError> {
    let Json(b) = body?;
    let renewed = app.renew_vendor_as(&actor, &id, &b.baa_expires).await?;
    Ok(Json(Vendor::from(renewed)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct EndBody {
    #[schema(value_type = String)]
    password: Zeroizing<String>,
    totp: Option<String>,
}

/// End a vendor: it receives no PHI from now on (admins, re-authenticated).
#[utoipa::path(post, path = "/api/v1/vendors/{id}/end", tag = "vendors", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = EndBody,
    responses((status = 200, description = "ended", body = Vendor), (status = 401, description = "re-authentication failed"),
              (status = 403, description = "admins only"), (status = 404, description = "no such vendor"),
              (status = 409, description = "ended already")))]
pub(crate) async fn end(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    body: Body<EndBody>,
) -> Result<Json<Vendor>, ApiError> {
    let Json(b) = body?;
    let ended = app
        .end_vendor_as(&actor, &id, &b.password, b.totp.as_deref())
        .await?;
    Ok(Json(Vendor::from(ended)))
}

/// The signed BAA as attached (admins; the read is recorded).
#[utoipa::path(get, path = "/api/v1/vendors/{id}/baa", tag = "vendors", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "the PDF", content_type = "application/pdf", body = String),
              (status = 403, description = "admins only"), (status = 404, description = "no document attached")))]
pub(crate) async fn document(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let pdf = app
        .vendor_document_as(&actor, &id)
        .await?
        .ok_or(ApiError::NotFound("BAA document not found".into()))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"baa.pdf\"",
            ),
        ],
        pdf,
    ))
}

//! The practice's product catalogue, its stock of lots and its settings over HTTP.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vial_app::{App, PracticeSetting};
use vial_clinical::{ProductInput, ReceivedLotInput};
use vial_core::UserId;

use crate::api::{Body, Created};
use crate::{ApiError, Authenticated};

pub(super) fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(add_product, products))
        .routes(routes!(receive_lot, inventory))
        .routes(routes!(settings))
}

/// Add a product to the catalogue (admins, providers).
#[utoipa::path(post, path = "/api/v1/products", tag = "inventory", security(("bearer" = [])),
    request_body = ProductInput,
    responses((status = 201, description = "added"), (status = 409, description = "code exists")))]
pub(crate) async fn add_product(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    body: Body<ProductInput>,
) -> Result<StatusCode, ApiError> {
    let Json(b) = body?;
    app.add_product(&actor, b).await?;
    Ok(StatusCode::CREATED)
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Products {
    products: Vec<ProductInput>,
}

/// The practice's product catalogue (workforce).
#[utoipa::path(get, path = "/api/v1/products", tag = "inventory", security(("bearer" = [])),
    responses((status = 200, description = "the catalogue", body = Products)))]
pub(crate) async fn products(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
) -> Result<Json<Products>, ApiError> {
    let products = app
        .products(&actor)
        .await?
        .into_iter()
        .map(|p| p.product)
        .collect();
    Ok(Json(Products { products }))
}

/// Receive a lot into stock (admins, providers); an expired lot is refused.
#[utoipa::path(post, path = "/api/v1/inventory", tag = "inventory", security(("bearer" = [])),
    request_body = ReceivedLotInput,
    responses((status = 201, description = "received", body = Created),
              (status = 409, description = "this lot of this product was received before"),
              (status = 422, description = "expired or unknown product")))]
pub(crate) async fn receive_lot(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    body: Body<ReceivedLotInput>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let Json(b) = body?;
    let id = app.receive_lot(&actor, b).await?;
    Ok((StatusCode::CREATED, Json(Created::of(id))))
}

/// Stock of one lot; quantities in the product's unit (units or syringes).
#[derive(Serialize, ToSchema)]
pub(crate) struct Lot {
    id: String,
    /// Product code.
    product: String,
    lot: String,
    /// `YYYY-MM-DD`.
    expiry: String,
    received: f64,
    remaining: f64,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Inventory {
    lots: Vec<Lot>,
}

/// Stock on hand (workforce).
#[utoipa::path(get, path = "/api/v1/inventory", tag = "inventory", security(("bearer" = [])),
    responses((status = 200, description = "stock on hand", body = Inventory)))]
pub(crate) async fn inventory(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
) -> Result<Json<Inventory>, ApiError> {
    let lots = app
        .inventory(&actor)
        .await?
        .into_iter()
        .map(|l| Lot {
            id: l.id,
            product: l.product,
            lot: l.lot,
            expiry: l.expiry,
            received: l.received,
            remaining: l.remaining,
        })
        .collect();
    Ok(Json(Inventory { lots }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SettingsBody {
    /// `not_required` or `medical_director`.
    #[serde(default)]
    cosign_requirement: Option<String>,
    /// The medical director's user id (a provider).
    #[serde(default)]
    medical_director: Option<String>,
    /// The practice's IANA time zone, e.g. `America/New_York` (default `UTC`): day and week
    /// views and opening hours are in it.
    #[serde(default)]
    time_zone: Option<String>,
    /// When patients may ask for appointments (default Monday to Friday 09:00-17:00).
    #[serde(default)]
    opening_hours: Option<OpeningHoursBody>,
    /// The regions PHI may be kept in, comma-separated region codes (`us,eu`); vendors and
    /// object storage outside them are refused. Unset: no restriction (warned about).
    #[serde(default)]
    allowed_regions: Option<String>,
}

/// Each day `closed` or one span `HH:MM-HH:MM` (24-hour clock, local time, up to `24:00`).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct OpeningHoursBody {
    mon: String,
    tue: String,
    wed: String,
    thu: String,
    fri: String,
    sat: String,
    sun: String,
}

/// Change practice settings (admins); one invalid value stores none.
#[utoipa::path(post, path = "/api/v1/settings", tag = "users", security(("bearer" = [])),
    request_body = SettingsBody,
    responses((status = 204, description = "saved"), (status = 403, description = "admins only"),
              (status = 422, description = "invalid value, named by its field")))]
pub(crate) async fn settings(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    body: Body<SettingsBody>,
) -> Result<StatusCode, ApiError> {
    let Json(b) = body?;
    let mut changes = Vec::new();
    if let Some(v) = b.medical_director {
        changes.push(PracticeSetting::MedicalDirector(UserId::from(v)));
    }
    if let Some(v) = b.cosign_requirement {
        changes.push(PracticeSetting::CosignRequirement(v));
    }
    if let Some(v) = b.time_zone {
        changes.push(PracticeSetting::TimeZone(v));
    }
    if let Some(h) = b.opening_hours {
        let days = [h.mon, h.tue, h.wed, h.thu, h.fri, h.sat, h.sun];
        changes.push(PracticeSetting::OpeningHours(days));
    }
    if let Some(v) = b.allowed_regions {
        changes.push(PracticeSetting::AllowedRegions(v));
    }
    app.set_practice_settings(&actor, changes).await?;
    Ok(StatusCode::NO_CONTENT)
}

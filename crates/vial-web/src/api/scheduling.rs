//! Scheduling over HTTP (SPEC §5): booking appointments (a patient's own booking is a request),
//! confirming or declining requests, day and week schedules, moving an appointment along its
//! status, and the practice's clinics. Handlers only translate HTTP to
//! the use cases in `vial-app`, which authorize, audit and encrypt.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vial_app::{App, AppError, AppointmentView, ScheduleRange};
use vial_clinical::{AppointmentInput, LocationInput, Status};

use super::Body;
use crate::{ApiError, Authenticated};
use vial_core::{AppointmentId, PatientId, UserId};

pub(crate) fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(book, schedule))
        .routes(routes!(appointment_status))
        .routes(routes!(confirm_request))
        .routes(routes!(decline_request))
        .routes(routes!(open_requests))
        .routes(routes!(my_appointments))
        .routes(routes!(patient_appointments))
        .routes(routes!(add_location, locations))
}

/// An appointment to book.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct BookBody {
    patient_id: PatientId,
    provider_id: UserId,
    /// Start, Unix milliseconds.
    start_ms: i64,
    /// End (exclusive), Unix milliseconds.
    end_ms: i64,
    /// Service code.
    service: String,
    location: LocationInput,
}

/// A new appointment.
#[derive(Serialize, ToSchema)]
pub(crate) struct Booked {
    id: AppointmentId,
    /// `booked`, or `requested` for a patient's own booking, which awaits the front desk.
    status: String,
}

/// Book an appointment (staff; a provider on their own schedule). A patient's booking for
/// themselves is a request, within the practice's opening hours, at most 12 months ahead and
/// 4 hours long, and a few open at a time; it holds no time until the front desk confirms it.
#[utoipa::path(post, path = "/api/v1/appointments", tag = "scheduling", security(("bearer" = [])),
    request_body = BookBody,
    responses((status = 201, description = "booked, or requested (a patient's own)", body = Booked), (status = 403, description = "not permitted"),
              (status = 409, description = "provider already booked then"), (status = 422, description = "invalid field, or outside a patient's limits")))]
pub(crate) async fn book(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    body: Body<BookBody>,
) -> Result<(StatusCode, Json<Booked>), ApiError> {
    let Json(b) = body?;
    let input = AppointmentInput {
        start_ms: b.start_ms,
        end_ms: b.end_ms,
        service: b.service,
        location: b.location,
    };
    let booking = app
        .book_appointment(&actor, &b.patient_id, &b.provider_id, input)
        .await?;
    let booked = Booked {
        id: booking.id,
        status: booking.status.as_str().to_owned(),
    };
    Ok((StatusCode::CREATED, Json(booked)))
}

/// How much of the calendar a schedule shows.
#[derive(Deserialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub(crate) enum View {
    Day,
    Week,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct ScheduleQuery {
    /// `YYYY-MM-DD`, the practice's local date.
    date: String,
    /// `day` (the default) or `week`.
    #[serde(default)]
    view: Option<View>,
    /// Only this provider's appointments.
    #[serde(default)]
    provider_id: Option<UserId>,
}

/// One appointment as a schedule shows it.
#[derive(Serialize, ToSchema)]
pub(crate) struct Appointment {
    id: AppointmentId,
    patient_id: PatientId,
    /// "Given Family", for those who may read the patient's name.
    patient_name: Option<String>,
    provider_id: UserId,
    start_ms: i64,
    end_ms: i64,
    /// `requested`, `booked`, `checked_in`, `completed`, `cancelled` or `no_show`.
    status: String,
    service: String,
    /// A clinic id, or `mobile`.
    location: String,
    /// A mobile visit's address (staff, the provider, the patient).
    address: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Appointments {
    appointments: Vec<Appointment>,
}

impl From<Vec<AppointmentView>> for Appointments {
    fn from(views: Vec<AppointmentView>) -> Self {
        let appointments = views
            .into_iter()
            .map(|a| Appointment {
                id: a.id,
                patient_id: a.patient_id,
                patient_name: a.patient_name,
                provider_id: a.provider_id,
                start_ms: a.start_ms,
                end_ms: a.end_ms,
                status: a.status.as_str().to_owned(),
                service: a.service,
                location: a.location,
                address: a.address,
            })
            .collect();
        Self { appointments }
    }
}

/// A day (or week) of appointments: staff and admins all, a provider their own.
#[utoipa::path(get, path = "/api/v1/appointments", tag = "scheduling", security(("bearer" = [])),
    params(ScheduleQuery),
    responses((status = 200, description = "the appointments", body = Appointments),
              (status = 422, description = "malformed date")))]
pub(crate) async fn schedule(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    query: Result<Query<ScheduleQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Appointments>, ApiError> {
    let Query(q) = query
        .map_err(|e| ApiError::Unprocessable(vial_clinical::without_values(&e.body_text())))?;
    let range = match q.view.unwrap_or(View::Day) {
        View::Day => ScheduleRange::Day,
        View::Week => ScheduleRange::Week,
    };
    let list = app
        .schedule(&actor, &q.date, range, q.provider_id.as_ref())
        .await?;
    Ok(Json(Appointments::from(list)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct StatusBody {
    /// `booked`, `checked_in`, `completed`, `cancelled` or `no_show`.
    status: String,
}

/// Move an appointment along requested → booked → checked_in → completed / cancelled / no_show
/// (a request is confirmed or declined by the front desk (staff); its patient may cancel it).
#[utoipa::path(post, path = "/api/v1/appointments/{id}/status", tag = "scheduling", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = StatusBody,
    responses((status = 204, description = "changed"), (status = 409, description = "not allowed from the current status, or the provider is booked then")))]
pub(crate) async fn appointment_status(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<AppointmentId>,
    body: Body<StatusBody>,
) -> Result<StatusCode, ApiError> {
    let Json(b) = body?;
    let to = Status::parse_at("status", &b.status).map_err(AppError::from)?;
    app.set_appointment_status(&actor, &id, to).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Confirm a patient's request (the front desk: staff): booked with its provider, who joins
/// the care team. Refused when the provider is booked then.
#[utoipa::path(post, path = "/api/v1/appointments/{id}/confirm", tag = "scheduling", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 204, description = "confirmed: booked"),
              (status = 409, description = "not an open request, or the provider is booked then")))]
pub(crate) async fn confirm_request(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<AppointmentId>,
) -> Result<StatusCode, ApiError> {
    app.confirm_request(&actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Decline a patient's request (the front desk: staff), or withdraw one's own (the patient).
#[utoipa::path(post, path = "/api/v1/appointments/{id}/decline", tag = "scheduling", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 204, description = "declined: cancelled"),
              (status = 409, description = "not an open request")))]
pub(crate) async fn decline_request(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<AppointmentId>,
) -> Result<StatusCode, ApiError> {
    app.decline_request(&actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Open requests awaiting confirmation, by start: staff and admins all, a provider those for
/// them.
#[utoipa::path(get, path = "/api/v1/appointment-requests", tag = "scheduling", security(("bearer" = [])),
    responses((status = 200, description = "the open requests", body = Appointments)))]
pub(crate) async fn open_requests(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
) -> Result<Json<Appointments>, ApiError> {
    Ok(Json(app.open_requests(&actor).await?.into()))
}

/// The signed-in patient's appointments.
#[utoipa::path(get, path = "/api/v1/me/appointments", tag = "scheduling", security(("bearer" = [])),
    responses((status = 200, description = "my appointments", body = Appointments)))]
pub(crate) async fn my_appointments(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
) -> Result<Json<Appointments>, ApiError> {
    Ok(Json(app.my_appointments(&actor).await?.into()))
}

/// One patient's appointments.
#[utoipa::path(get, path = "/api/v1/patients/{id}/appointments", tag = "scheduling", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "the patient's appointments", body = Appointments)))]
pub(crate) async fn patient_appointments(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<PatientId>,
) -> Result<Json<Appointments>, ApiError> {
    Ok(Json(app.appointments_of(&actor, &id).await?.into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LocationBody {
    name: String,
}

/// Add a clinic (admins).
#[utoipa::path(post, path = "/api/v1/locations", tag = "scheduling", security(("bearer" = [])),
    request_body = LocationBody,
    responses((status = 201, description = "added", body = super::Created), (status = 403, description = "admins only")))]
pub(crate) async fn add_location(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    body: Body<LocationBody>,
) -> Result<(StatusCode, Json<super::Created>), ApiError> {
    let Json(b) = body?;
    let id = app.add_location(&actor, &b.name).await?;
    Ok((StatusCode::CREATED, Json(super::Created::of(id))))
}

/// A clinic.
#[derive(Serialize, ToSchema)]
pub(crate) struct Location {
    id: String,
    name: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Locations {
    locations: Vec<Location>,
}

/// The practice's clinics.
#[utoipa::path(get, path = "/api/v1/locations", tag = "scheduling", security(("bearer" = [])),
    responses((status = 200, description = "the clinics", body = Locations)))]
pub(crate) async fn locations(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
) -> Result<Json<Locations>, ApiError> {
    let locations = app
        .locations(&actor)
        .await?
        .into_iter()
        .map(|(id, name)| Location { id, name })
        .collect();
    Ok(Json(Locations { locations }))
}

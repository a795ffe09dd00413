//! The front desk's schedule: a day or week of appointments with their status buttons (check in,
//! complete, cancel, no-show), patients' open requests with Confirm and Decline (the front desk's
//! alone), booking a patient found by search with a provider, and moving an
//! appointment along its status flow. Staff and admins see every provider's appointments, a
//! provider their own; admins only look (the matrix gives them read). Booking is in
//! [`booking`].

mod booking;

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use time::{Date, Duration};
use vial_app::{App, AppointmentView, Role, ScheduleRange};
use vial_clinical::{PracticeZone, Service, Status};

use crate::browser::{BrowserSession, CsrfForm};
use crate::pages::display::Names;
use crate::pages::display::{clock, code_label, date_of, iso, long_date, today};
use crate::pages::forms::{Refusal, is_opaque_id, refusal};
use crate::pages::{Layout, PageError, render};
use vial_core::AppointmentId;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/schedule", get(page))
        .route("/schedule/find-patient", post(booking::find_patient))
        .route("/schedule/book", post(booking::book))
        .route("/appointments/{id}/status", post(set_status))
}

/// A value and its label, for a `<select>` or `<datalist>`.
pub struct Choice {
    pub value: String,
    pub label: String,
}

/// A patient found by the booking search.
pub struct PatientChoice {
    pub id: String,
    pub label: String,
    pub checked: bool,
}

/// A status button on an appointment.
pub struct StatusAction {
    pub status: &'static str,
    pub label: &'static str,
    pub danger: bool,
}

pub struct AppointmentRow {
    pub id: String,
    pub start: String,
    pub end: String,
    pub patient: String,
    pub patient_link: Option<String>,
    pub consents_link: Option<String>,
    pub provider: String,
    pub service: String,
    pub location: String,
    pub status: &'static str,
    pub status_label: String,
    pub actions: Vec<StatusAction>,
    pub just_booked: bool,
}

pub struct DayGroup {
    pub label: String,
    pub rows: Vec<AppointmentRow>,
}

/// What the booking form shows again after a refusal.
#[derive(Default)]
pub struct BookingKeep {
    pub patient_record: String,
    pub provider_id: String,
    pub time: String,
    pub minutes: String,
    pub service: String,
    pub location: String,
    pub address: String,
}

#[derive(Template)]
#[template(path = "scheduling/schedule.html")]
struct SchedulePage {
    layout: Layout,
    date: String,
    week: bool,
    view: &'static str,
    heading: String,
    prev: String,
    next: String,
    today: String,
    /// The practice's IANA time zone, in which the page shows and takes times.
    zone: String,
    back: String,
    days: Vec<DayGroup>,
    count: usize,
    /// Patients' requests awaiting confirmation, whatever their day (staff and admins).
    requests: Vec<AppointmentRow>,
    can_book: bool,
    provider_self: bool,
    providers: Vec<Choice>,
    services: Vec<Choice>,
    clinics: Vec<Choice>,
    found: Option<Vec<PatientChoice>>,
    keep: BookingKeep,
    error: Option<String>,
    booked: bool,
}

#[derive(Deserialize, Default)]
pub struct ScheduleQuery {
    #[serde(default)]
    date: String,
    #[serde(default)]
    view: String,
    #[serde(default)]
    booked: String,
}

/// The day asked for (today at the practice by default), whether the week is shown, and the
/// practice's time zone the page reads and takes times in.
pub async fn day_and_range(
    app: &App,
    date: &str,
    view: &str,
) -> Result<(Date, bool, PracticeZone), PageError> {
    let (zone, _) = app.practice_calendar().await?;
    let day = if date.trim().is_empty() {
        today(app, &zone)
    } else {
        vial_clinical::parse_date("date", date.trim())
            .map_err(|e| PageError::Invalid(e.to_string()))?
    };
    Ok((day, view == "week", zone))
}

/// Everything the schedule page needs besides the form's own state.
pub struct View {
    pub day: Date,
    pub week: bool,
    pub zone: PracticeZone,
    pub booked: String,
    pub found: Option<Vec<PatientChoice>>,
    pub keep: BookingKeep,
    pub refused: Option<Refusal>,
}

pub async fn show(app: &App, session: &BrowserSession, view: View) -> Result<Response, PageError> {
    let actor = &session.actor;
    let range = if view.week {
        ScheduleRange::Week
    } else {
        ScheduleRange::Day
    };
    let appointments = app.schedule(actor, &iso(view.day), range, None).await?;
    let clinics: Vec<Choice> = app
        .locations(actor)
        .await?
        .into_iter()
        .map(|(value, label)| Choice { value, label })
        .collect();
    let mut names = Names::new(actor);
    let mut providers: Vec<Choice> = Vec::new();
    if actor.role == Role::Admin {
        // Admins may list accounts; the others learn providers from the schedule itself.
        for user in app.list_users(actor).await? {
            if user.role == Role::Provider && !user.disabled {
                providers.push(Choice {
                    value: user.id.into_string(),
                    label: user.name.to_string(),
                });
            }
        }
    }
    let can_change = matches!(actor.role, Role::Staff | Role::Provider);
    let open = match actor.role {
        Role::Staff | Role::Admin => app.open_requests(actor).await?,
        Role::Provider | Role::Patient => Vec::new(),
    };
    let mut requests = Vec::with_capacity(open.len());
    for a in open {
        let provider = names.of(app, &a.provider_id).await;
        let day = date_of(&view.zone, a.start_ms).map_or_else(String::new, long_date);
        let mut r = row(&view, actor.role, a, provider, &clinics, can_change);
        r.start = format!("{day} {}", r.start);
        requests.push(r);
    }
    let back = format!(
        "/schedule?date={}&view={}",
        iso(view.day),
        if view.week { "week" } else { "day" }
    );
    let mut days: Vec<DayGroup> = Vec::new();
    let count = appointments.len();
    for a in appointments {
        let provider = names.of(app, &a.provider_id).await;
        if !providers.iter().any(|p| p.value == a.provider_id.as_str()) {
            providers.push(Choice {
                value: a.provider_id.to_string(),
                label: provider.clone(),
            });
        }
        let label = date_of(&view.zone, a.start_ms).map_or_else(String::new, long_date);
        let row = row(&view, actor.role, a, provider, &clinics, can_change);
        match days.last_mut() {
            Some(group) if group.label == label => group.rows.push(row),
            _ => days.push(DayGroup {
                label,
                rows: vec![row],
            }),
        }
    }
    let step = Duration::days(if view.week { 7 } else { 1 });
    let (prev, next) = (
        view.day.checked_sub(step).unwrap_or(view.day),
        view.day.checked_add(step).unwrap_or(view.day),
    );
    let heading = if view.week {
        let monday = view
            .day
            .checked_sub(Duration::days(i64::from(
                view.day.weekday().number_days_from_monday(),
            )))
            .unwrap_or(view.day);
        format!("Week of {}", long_date(monday))
    } else {
        long_date(view.day)
    };
    let (status, error) = match view.refused {
        Some(r) => (r.status, Some(r.message)),
        None => (StatusCode::OK, None),
    };
    let page = SchedulePage {
        layout: Layout::signed_in("Schedule", session, app),
        date: iso(view.day),
        week: view.week,
        view: if view.week { "week" } else { "day" },
        heading,
        prev: iso(prev),
        next: iso(next),
        today: iso(today(app, &view.zone)),
        zone: view.zone.name().to_owned(),
        back,
        days,
        count,
        requests,
        can_book: can_change,
        provider_self: actor.role == Role::Provider,
        providers,
        services: Service::ALL
            .iter()
            .map(|s| Choice {
                value: s.as_str().to_owned(),
                label: code_label(s.as_str()),
            })
            .collect(),
        clinics,
        found: view.found,
        keep: view.keep,
        error,
        booked: !view.booked.is_empty(),
    };
    Ok((status, render(&page)?).into_response())
}

/// The buttons each status offers: where to, the label, whether it ends the visit. A request's
/// (confirm, decline) are the front desk's only.
const MOVES: [(Status, Status, &str, bool); 7] = [
    (Status::Requested, Status::Booked, "Confirm", false),
    (Status::Requested, Status::Cancelled, "Decline", true),
    (Status::Booked, Status::CheckedIn, "Check in", false),
    (Status::Booked, Status::NoShow, "No-show", true),
    (Status::Booked, Status::Cancelled, "Cancel", true),
    (Status::CheckedIn, Status::Completed, "Complete", false),
    (Status::CheckedIn, Status::Cancelled, "Cancel", true),
];

fn row(
    view: &View,
    role: Role,
    a: AppointmentView,
    provider: String,
    clinics: &[Choice],
    can_change: bool,
) -> AppointmentRow {
    let actions = match a.status {
        Status::Requested if role != Role::Staff => Vec::new(),
        from if can_change => MOVES
            .iter()
            .filter(|(at, ..)| *at == from)
            .map(|&(_, to, label, danger)| StatusAction {
                status: to.as_str(),
                label,
                danger,
            })
            .collect(),
        _ => Vec::new(),
    };
    let location = if a.location == "mobile" {
        match &a.address {
            Some(address) => format!("Mobile visit: {address}"),
            None => "Mobile visit".to_owned(),
        }
    } else {
        clinics
            .iter()
            .find(|c| c.value == a.location)
            .map_or_else(|| a.location.clone(), |c| c.label.clone())
    };
    let patient_link = match role {
        Role::Provider => Some(format!("/patients/{}/chart", a.patient_id)),
        Role::Staff => Some(format!("/patients/{}", a.patient_id)),
        _ => None,
    };
    let consents_link =
        (role == Role::Staff).then(|| format!("/patients/{}/consents", a.patient_id));
    AppointmentRow {
        consents_link,
        just_booked: a.id == *view.booked,
        start: clock(&view.zone, a.start_ms),
        end: clock(&view.zone, a.end_ms),
        patient: a
            .patient_name
            .unwrap_or_else(|| "(name not shown)".to_owned()),
        patient_link,
        provider,
        service: code_label(&a.service),
        location,
        status_label: code_label(a.status.as_str()),
        status: a.status.as_str(),
        actions,
        id: a.id.into_string(),
    }
}

pub async fn page(
    State(app): State<App>,
    Query(query): Query<ScheduleQuery>,
    session: BrowserSession,
) -> Result<Response, PageError> {
    let (day, week, zone) = day_and_range(&app, &query.date, &query.view).await?;
    let booked = if is_opaque_id(&query.booked) {
        query.booked
    } else {
        String::new()
    };
    show(
        &app,
        &session,
        View {
            day,
            week,
            zone,
            booked,
            found: None,
            keep: BookingKeep::default(),
            refused: None,
        },
    )
    .await
}

#[derive(Deserialize)]
pub struct StatusFields {
    status: String,
    #[serde(default)]
    back: String,
}

/// Where a status form may send the browser back to: our own schedule, portal or chart pages.
fn safe_back(back: &str) -> &str {
    let ours = ["/schedule", "/portal", "/patients/"]
        .iter()
        .any(|p| back.starts_with(p));
    let plain = back
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"/?=&-_".contains(&b));
    if ours && plain && !back.starts_with("//") {
        back
    } else {
        "/schedule"
    }
}

/// Checks in, completes, cancels or marks a no-show; a move the flow does not allow (or one
/// someone else made first) is explained on a page of its own.
pub async fn set_status(
    State(app): State<App>,
    Path(id): Path<AppointmentId>,
    form: CsrfForm<StatusFields>,
) -> Result<Response, PageError> {
    let CsrfForm { session, form } = form;
    let back = safe_back(&form.back);
    let outcome = match Status::parse_at("status", &form.status) {
        Ok(to) => app.set_appointment_status(&session.actor, &id, to).await,
        Err(e) => Err(e.into()),
    };
    match outcome {
        Ok(()) => Ok(Redirect::to(back).into_response()),
        Err(e) => {
            let refused = refusal(e)?;
            let page = crate::pages::forms::RefusedPage {
                layout: Layout::signed_in("Not changed", &session, &app),
                heading: "Not changed",
                message: refused.message,
                back: back.to_owned(),
            };
            Ok((refused.status, render(&page)?).into_response())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::safe_back;

    #[test]
    fn only_our_pages_are_return_targets() {
        assert_eq!(
            safe_back("/schedule?date=2027-01-15&view=day"),
            "/schedule?date=2027-01-15&view=day"
        );
        assert_eq!(safe_back("/portal"), "/portal");
        assert_eq!(safe_back("https://evil.example/"), "/schedule");
        assert_eq!(safe_back("//evil.example/schedule"), "/schedule");
        assert_eq!(safe_back("/schedule\\@evil"), "/schedule");
    }
}

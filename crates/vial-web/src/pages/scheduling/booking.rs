//! Booking from the schedule page: find the patient (posted, so names and birth dates stay out
//! of URLs), then book them with a provider at a clinic or a mobile visit. The date, time and
//! duration on the form become the use case's UTC milliseconds; a refusal (a clash, an unknown
//! provider, bad input) shows the schedule again with the reason and what was entered.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use time::Date;
use vial_app::{App, PatientQuery, Role};
use vial_clinical::{AppointmentInput, LocationInput, PracticeZone};

use super::{BookingKeep, PatientChoice, View, day_and_range, show};
use crate::browser::CsrfForm;
use crate::pages::PageError;
use crate::pages::display::{iso, minutes_of};
use crate::pages::forms::{Refusal, invalid, refusal};
use vial_core::{PatientId, UserId};

#[derive(Deserialize)]
pub struct FindFields {
    #[serde(default)]
    family: String,
    #[serde(default)]
    dob: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    view: String,
}

/// Finds a patient to book (posted, so names and birth dates stay out of URLs).
pub async fn find_patient(
    State(app): State<App>,
    form: CsrfForm<FindFields>,
) -> Result<Response, PageError> {
    let CsrfForm { session, form } = form;
    let (day, week, zone) = day_and_range(&app, &form.date, &form.view).await?;
    let query = if !form.phone.trim().is_empty() {
        Some(PatientQuery::Phone(form.phone))
    } else if !form.email.trim().is_empty() {
        Some(PatientQuery::Email(form.email))
    } else if !form.family.trim().is_empty() && !form.dob.trim().is_empty() {
        Some(PatientQuery::FamilyAndDob {
            family: form.family,
            dob: form.dob,
        })
    } else {
        None
    };
    let (found, refused) = match query {
        None => (
            None,
            Some(invalid(
                "find the patient by family name and date of birth, by phone, or by email",
            )),
        ),
        Some(query) => match app.search_patients(&session.actor, query).await {
            Ok(list) => {
                let only = list.len() == 1;
                let found = list
                    .iter()
                    .map(|d| PatientChoice {
                        id: d.id().to_string(),
                        label: match d.dob() {
                            Some(dob) => format!("{}, {} · born {dob}", d.family(), d.given()),
                            None => format!("{}, {}", d.family(), d.given()),
                        },
                        checked: only,
                    })
                    .collect();
                (Some(found), None)
            }
            Err(e) => (None, Some(refusal(e)?)),
        },
    };
    show(
        &app,
        &session,
        View {
            day,
            week,
            zone,
            booked: String::new(),
            found,
            keep: BookingKeep::default(),
            refused,
        },
    )
    .await
}

#[derive(Deserialize)]
pub struct BookFields {
    #[serde(default)]
    patient_id: String,
    #[serde(default)]
    patient_record: String,
    #[serde(default)]
    provider_id: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    time: String,
    #[serde(default)]
    minutes: String,
    #[serde(default)]
    service: String,
    #[serde(default)]
    location: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    view: String,
}

/// Books an appointment; back to the day it is on, or the form again with the reason.
pub async fn book(
    State(app): State<App>,
    form: CsrfForm<BookFields>,
) -> Result<Response, PageError> {
    let CsrfForm { session, form } = form;
    let (day, week, zone) = day_and_range(&app, &form.date, &form.view).await?;
    let patient_id = PatientId::from(if form.patient_id.trim().is_empty() {
        form.patient_record.trim()
    } else {
        form.patient_id.trim()
    });
    let provider_id = if session.actor.role == Role::Provider {
        session.actor.user_id.clone()
    } else {
        UserId::from(form.provider_id.trim())
    };
    let attempt = booking(&form, &zone, day, &patient_id, &provider_id);
    let outcome = match attempt {
        Err(r) => Err(r),
        Ok(input) => match app
            .book_appointment(&session.actor, &patient_id, &provider_id, input)
            .await
        {
            Ok(booking) => Ok(booking.id),
            Err(e) => Err(refusal(e)?),
        },
    };
    match outcome {
        Ok(id) => Ok(Redirect::to(&format!(
            "/schedule?date={}&view={}&booked={id}",
            iso(day),
            if week { "week" } else { "day" }
        ))
        .into_response()),
        Err(refused) => {
            show(
                &app,
                &session,
                View {
                    day,
                    week,
                    zone,
                    booked: String::new(),
                    found: None,
                    keep: BookingKeep {
                        patient_record: patient_id.into_string(),
                        provider_id: provider_id.into_string(),
                        time: form.time,
                        minutes: form.minutes,
                        service: form.service,
                        location: form.location,
                        address: form.address,
                    },
                    refused: Some(refused),
                },
            )
            .await
        }
    }
}

/// The use case's input from the form's date, time and duration (read in the practice's zone).
fn booking(
    form: &BookFields,
    zone: &PracticeZone,
    day: Date,
    patient_id: &PatientId,
    provider_id: &UserId,
) -> Result<AppointmentInput, Refusal> {
    if patient_id.as_str().is_empty() {
        return Err(invalid(
            "patient: find the patient and choose them, or enter their record id",
        ));
    }
    if provider_id.as_str().is_empty() {
        return Err(invalid("provider: choose the provider"));
    }
    let minutes_after_midnight =
        minutes_of(&form.time).ok_or_else(|| invalid("time: enter the start time as HH:MM"))?;
    let minutes: i64 = form
        .minutes
        .trim()
        .parse()
        .map_err(|_| invalid("duration: enter the length in minutes"))?;
    let start_ms = u16::try_from(minutes_after_midnight)
        .ok()
        .and_then(|minutes| zone.at_local(day, minutes).ok())
        .ok_or_else(|| invalid("date: enter a date the calendar can show"))?;
    let location = if form.location == "mobile" {
        LocationInput::Mobile {
            address: form.address.as_str().into(),
        }
    } else {
        LocationInput::Clinic {
            clinic_id: form.location.clone(),
        }
    };
    Ok(AppointmentInput {
        start_ms,
        end_ms: start_ms.saturating_add(minutes.saturating_mul(60_000)),
        service: form.service.clone(),
        location,
    })
}

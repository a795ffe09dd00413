//! Patient pages: the front desk's and provider's search and registration, a patient's
//! demographics, the portal ([`portal`]: "my record" and its summary) and who opened a record
//! ([`access`]). Searches are posted, so names and birth dates never appear in a URL.

pub mod access;
mod portal;

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{Html, Redirect};
use axum::routing::{get, post};
use serde::Deserialize;
use vial_app::{App, Demographics, NewPatient, PatientQuery};

use vial_core::PatientId;

use crate::browser::{BrowserSession, CsrfForm};
use crate::pages::{Layout, PageError, render};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/patients/search", post(search))
        .route("/patients/new", get(new_form).post(register))
        .route("/patients/{id}", get(view))
        .route("/portal", get(portal::page))
        .merge(access::routes())
}

/// Demographics as a page shows them.
pub struct PatientView {
    pub id: String,
    pub given: String,
    pub family: String,
    pub dob: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
}

impl From<&Demographics> for PatientView {
    fn from(d: &Demographics) -> Self {
        Self {
            id: d.id().to_string(),
            given: d.given().to_owned(),
            family: d.family().to_owned(),
            dob: d.dob().map(str::to_owned),
            phone: d.phone().map(str::to_owned),
            email: d.email().map(str::to_owned),
        }
    }
}

#[derive(Template)]
#[template(path = "patients/workforce_home.html")]
struct WorkforceHome {
    layout: Layout,
    heading: &'static str,
    results: Option<Vec<PatientView>>,
}

pub fn workforce_home(app: &App, session: &BrowserSession) -> Result<Html<String>, PageError> {
    let heading = match session.actor.role {
        vial_app::Role::Provider => "Provider home",
        _ => "Front desk",
    };
    render(&WorkforceHome {
        layout: Layout::signed_in(heading, session, app),
        heading,
        results: None,
    })
}

#[derive(Deserialize)]
struct SearchFields {
    #[serde(default)]
    family: String,
    #[serde(default)]
    dob: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
}

async fn search(
    State(app): State<App>,
    form: CsrfForm<SearchFields>,
) -> Result<Html<String>, PageError> {
    let CsrfForm { session, form } = form;
    let query = if !form.phone.trim().is_empty() {
        PatientQuery::Phone(form.phone)
    } else if !form.email.trim().is_empty() {
        PatientQuery::Email(form.email)
    } else if !form.family.trim().is_empty() && !form.dob.trim().is_empty() {
        PatientQuery::FamilyAndDob {
            family: form.family,
            dob: form.dob,
        }
    } else {
        return Err(PageError::Invalid(
            "search by family name and date of birth, by phone, or by email".into(),
        ));
    };
    let found = app.search_patients(&session.actor, query).await?;
    let heading = match session.actor.role {
        vial_app::Role::Provider => "Provider home",
        _ => "Front desk",
    };
    render(&WorkforceHome {
        layout: Layout::signed_in(heading, &session, &app),
        heading,
        results: Some(found.iter().map(PatientView::from).collect()),
    })
}

#[derive(Template)]
#[template(path = "patients/patient_new.html")]
struct NewPatientPage {
    layout: Layout,
}

async fn new_form(
    State(app): State<App>,
    session: BrowserSession,
) -> Result<Html<String>, PageError> {
    render(&NewPatientPage {
        layout: Layout::signed_in("Register a patient", &session, &app),
    })
}

#[derive(Deserialize)]
struct NewPatientFields {
    given: String,
    family: String,
    dob: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    email: String,
}

fn optional(value: String) -> Option<String> {
    (!value.trim().is_empty()).then_some(value)
}

async fn register(
    State(app): State<App>,
    form: CsrfForm<NewPatientFields>,
) -> Result<Redirect, PageError> {
    let CsrfForm { session, form } = form;
    let id = app
        .create_patient(
            &session.actor,
            NewPatient {
                given: form.given,
                family: form.family,
                dob: form.dob,
                phone: optional(form.phone),
                email: optional(form.email),
            },
        )
        .await?;
    Ok(Redirect::to(&format!("/patients/{id}")))
}

#[derive(Template)]
#[template(path = "patients/patient.html")]
struct PatientPage {
    layout: Layout,
    heading: &'static str,
    patient: PatientView,
}

async fn view(
    State(app): State<App>,
    Path(id): Path<PatientId>,
    session: BrowserSession,
) -> Result<Html<String>, PageError> {
    let demographics = app.read_patient(&session.actor, &id).await?;
    render(&PatientPage {
        layout: Layout::signed_in("Patient", &session, &app),
        heading: "Patient",
        patient: PatientView::from(&demographics),
    })
}

/// A patient's home: their own record, read through the same gateway as everyone else's.
pub async fn portal_home(app: &App, session: &BrowserSession) -> Result<Html<String>, PageError> {
    let id = app.linked_patient(&session.actor).await?.ok_or_else(|| {
        PageError::Invalid("this account is not linked to a patient record".into())
    })?;
    let demographics = app.read_patient(&session.actor, &id).await?;
    render(&PatientPage {
        layout: Layout::signed_in("My record", session, app),
        heading: "My record",
        patient: PatientView::from(&demographics),
    })
}

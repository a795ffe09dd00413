//! Consents: collecting one (the patient types their name on the exact form version they read)
//! and recording its revocation, from the chart or from the front desk's consents page (staff
//! may collect consents but never open the chart), plus the rows and form choices both show.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use vial_app::{App, AppError, ConsentFormView, ConsentView};
use vial_clinical::{ConsentInput, FreeText, SignatureInput};

use crate::browser::{BrowserSession, CsrfForm};
use crate::pages::charting::chart::Keep;
use crate::pages::charting::records::ConsentRow;
use crate::pages::display::Names;
use crate::pages::display::{code_label, stamp};
use crate::pages::forms::{Refusal, chart_path, invalid, refusal};
use crate::pages::patients::PatientView;
use crate::pages::{Layout, PageError, render};
use vial_core::{PatientId, RecordId};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/patients/{id}/consents", get(page).post(collect))
        .route("/consents/{id}/revoke", post(revoke))
}

/// A consent form version offered for signing: `kind@version`, its label and its exact text.
pub struct FormOption {
    pub value: String,
    pub label: String,
    pub text: String,
}

pub fn form_options(forms: Vec<ConsentFormView>) -> Vec<FormOption> {
    forms
        .into_iter()
        .map(|f| FormOption {
            value: format!("{}@{}", f.kind, f.version),
            label: format!("{} (version {})", code_label(&f.kind), f.version),
            text: f.text,
        })
        .collect()
}

/// Newest first, with who recorded each and the signature where the reader may see it.
pub async fn consent_rows(
    app: &App,
    names: &mut Names,
    consents: &[ConsentView],
) -> Vec<ConsentRow> {
    let mut rows = Vec::with_capacity(consents.len());
    for c in consents.iter().rev() {
        rows.push(ConsentRow {
            id: c.id.to_string(),
            kind: code_label(&c.kind),
            version: c.form_version.clone(),
            signed: stamp(c.signed_at_ms),
            by: names.of(app, &c.collected_by).await,
            active: c.active,
            revoked: c.revoked_at_ms.map(stamp).unwrap_or_default(),
            signature: match &c.signature {
                Some(SignatureInput::Typed { name }) => format!("typed: {}", name.as_str()),
                Some(SignatureInput::Drawn { .. }) => "drawn".to_owned(),
                None => String::new(),
            },
        });
    }
    rows
}

#[derive(Template)]
#[template(path = "consents/consents.html")]
struct ConsentsPage {
    layout: Layout,
    patient: PatientView,
    error: Option<String>,
    consents: Vec<ConsentRow>,
    forms: Vec<FormOption>,
    from: &'static str,
}

pub async fn page(
    State(app): State<App>,
    Path(id): Path<PatientId>,
    session: BrowserSession,
) -> Result<Response, PageError> {
    show(&app, &session, &id, None).await
}

/// Renders the page; `refused` (a form's refusal) sets the status and the message on top.
pub async fn show(
    app: &App,
    session: &BrowserSession,
    patient_id: &PatientId,
    refused: Option<Refusal>,
) -> Result<Response, PageError> {
    let actor = &session.actor;
    let demographics = app.read_patient(actor, patient_id).await?;
    let consents = app.consents_of(actor, patient_id).await?;
    let forms = app.consent_forms(actor).await?;
    let mut names = Names::new(actor);
    let (status, error) = match refused {
        Some(r) => (r.status, Some(r.message)),
        None => (StatusCode::OK, None),
    };
    let page = ConsentsPage {
        layout: Layout::signed_in("Consents", session, app),
        patient: PatientView::from(&demographics),
        error,
        consents: consent_rows(app, &mut names, &consents).await,
        forms: form_options(forms),
        from: "consents",
    };
    Ok((status, render(&page)?).into_response())
}

/// Which page a consent form was posted from, to go back to.
fn page_of(from: &str, patient_id: &PatientId) -> Result<String, PageError> {
    let chart = chart_path(patient_id)?;
    Ok(if from == "consents" {
        format!("/patients/{patient_id}/consents#consents")
    } else {
        format!("{chart}#consents")
    })
}

/// Back to the page the form came from, or that page again with the refusal.
async fn finish(
    app: &App,
    session: &BrowserSession,
    patient_id: &PatientId,
    from: &str,
    outcome: Result<(), Refusal>,
) -> Result<Response, PageError> {
    let target = page_of(from, patient_id)?;
    match outcome {
        Ok(()) => Ok(Redirect::to(&target).into_response()),
        Err(refused) if from == "consents" => show(app, session, patient_id, Some(refused)).await,
        Err(refused) => {
            crate::pages::charting::chart::show(
                app,
                session,
                patient_id,
                Keep::default(),
                Some(refused),
                None,
            )
            .await
        }
    }
}

fn checked<T>(result: Result<T, AppError>) -> Result<Result<(), Refusal>, PageError> {
    match result {
        Ok(_) => Ok(Ok(())),
        Err(e) => Ok(Err(refusal(e)?)),
    }
}

#[derive(Deserialize)]
pub struct ConsentFields {
    #[serde(default)]
    form: String,
    #[serde(default)]
    signature: String,
    #[serde(default)]
    from: String,
}

/// Records a consent the patient signed by typing their name on the chosen form version.
pub async fn collect(
    State(app): State<App>,
    Path(id): Path<PatientId>,
    form: CsrfForm<ConsentFields>,
) -> Result<Response, PageError> {
    let CsrfForm { session, form } = form;
    let outcome = match form.form.split_once('@') {
        None => Err(invalid("form: choose the consent form the patient read")),
        Some((kind, version)) => {
            let input = ConsentInput {
                kind: kind.to_owned(),
                form_version: version.to_owned(),
                signature: SignatureInput::Typed {
                    name: FreeText::from(form.signature),
                },
            };
            checked(app.sign_consent(&session.actor, &id, input).await)?
        }
    };
    finish(&app, &session, &id, &form.from, outcome).await
}

#[derive(Deserialize)]
pub struct RevokeFields {
    patient_id: PatientId,
    #[serde(default)]
    from: String,
}

/// Revokes a consent on the patient's behalf; the record stays, marked revoked.
pub async fn revoke(
    State(app): State<App>,
    Path(consent_id): Path<RecordId>,
    form: CsrfForm<RevokeFields>,
) -> Result<Response, PageError> {
    let CsrfForm { session, form } = form;
    let outcome = checked(app.revoke_consent(&session.actor, &consent_id).await)?;
    finish(&app, &session, &form.patient_id, &form.from, outcome).await
}

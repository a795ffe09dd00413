//! SOAP notes on the chart: write a draft, edit it (with the version read, so two editors cannot
//! overwrite each other), sign it (locked from then on), and append signed amendments under the
//! original. Editing a signed note is the use case's conflict (409), shown on the chart.

use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;
use vial_app::{App, DocumentKind};
use vial_clinical::{AmendmentInput, FreeText, SoapInput};

use crate::browser::{BrowserSession, CsrfForm};
use crate::pages::PageError;
use crate::pages::charting::chart::{Keep, SoapKeep};
use crate::pages::forms::{Refusal, chart_path, refusal};
use vial_core::{PatientId, RecordId};

#[derive(Deserialize)]
pub struct SoapFields {
    #[serde(default)]
    patient_id: String,
    #[serde(default)]
    version: i64,
    #[serde(default)]
    subjective: String,
    #[serde(default)]
    objective: String,
    #[serde(default)]
    assessment: String,
    #[serde(default)]
    plan: String,
}

impl SoapFields {
    /// The chart the form was posted from.
    fn patient(&self) -> PatientId {
        PatientId::from(self.patient_id.as_str())
    }

    fn body(&self) -> serde_json::Value {
        let input = SoapInput {
            subjective: FreeText::from(self.subjective.as_str()),
            objective: FreeText::from(self.objective.as_str()),
            assessment: FreeText::from(self.assessment.as_str()),
            plan: FreeText::from(self.plan.as_str()),
        };
        serde_json::to_value(&input).unwrap_or_default()
    }

    fn keep(self) -> Keep {
        Keep {
            note: SoapKeep {
                subjective: self.subjective,
                objective: self.objective,
                assessment: self.assessment,
                plan: self.plan,
            },
            ..Keep::default()
        }
    }
}

async fn finish(
    app: &App,
    session: &BrowserSession,
    patient_id: &PatientId,
    outcome: Result<String, vial_app::AppError>,
    keep: Keep,
) -> Result<Response, PageError> {
    use axum::response::{IntoResponse, Redirect};
    match outcome {
        Ok(target) => Ok(Redirect::to(&target).into_response()),
        Err(e) => {
            let refused: Refusal = refusal(e)?;
            crate::pages::charting::chart::show(app, session, patient_id, keep, Some(refused), None)
                .await
        }
    }
}

/// Starts a draft note.
pub async fn create(
    State(app): State<App>,
    Path(patient_id): Path<PatientId>,
    form: CsrfForm<SoapFields>,
) -> Result<Response, PageError> {
    let CsrfForm { session, form } = form;
    let path = chart_path(&patient_id)?;
    let outcome = app
        .create_document(&session.actor, &patient_id, DocumentKind::Note, form.body())
        .await
        .map(|id| format!("{path}#note-{id}"));
    finish(&app, &session, &patient_id, outcome, form.keep()).await
}

/// Saves a draft's new text; a signed note is refused with the use case's 409.
pub async fn edit(
    State(app): State<App>,
    Path(note_id): Path<RecordId>,
    form: CsrfForm<SoapFields>,
) -> Result<Response, PageError> {
    let CsrfForm { session, form } = form;
    let path = chart_path(&form.patient())?;
    let outcome = app
        .update_document(&session.actor, &note_id, form.version, form.body())
        .await
        .map(|()| format!("{path}#note-{note_id}"));
    let patient_id = form.patient();
    finish(&app, &session, &patient_id, outcome, Keep::default()).await
}

#[derive(Deserialize)]
pub struct NoteFields {
    patient_id: PatientId,
    #[serde(default)]
    text: String,
}

/// Signs a draft note; it is locked from then on.
pub async fn sign(
    State(app): State<App>,
    Path(note_id): Path<RecordId>,
    form: CsrfForm<NoteFields>,
) -> Result<Response, PageError> {
    let CsrfForm { session, form } = form;
    let path = chart_path(&form.patient_id)?;
    let outcome = app
        .sign_document(&session.actor, &note_id)
        .await
        .map(|()| format!("{path}#note-{note_id}"));
    finish(&app, &session, &form.patient_id, outcome, Keep::default()).await
}

/// Appends a signed amendment to a signed note; the original stays as it was.
pub async fn amend(
    State(app): State<App>,
    Path(note_id): Path<RecordId>,
    form: CsrfForm<NoteFields>,
) -> Result<Response, PageError> {
    let CsrfForm { session, form } = form;
    let path = chart_path(&form.patient_id)?;
    let outcome = app
        .amend_document(
            &session.actor,
            &note_id,
            AmendmentInput {
                text: FreeText::from(form.text.as_str()),
            },
        )
        .await
        .map(|_| format!("{path}#note-{note_id}"));
    let keep = Keep {
        amend_for: note_id.into_string(),
        amend_text: form.text,
        ..Keep::default()
    };
    finish(&app, &session, &form.patient_id, outcome, keep).await
}

//! The chart's forms that record care: the medical history, a neurotoxin treatment placed on the
//! face map and a filler treatment (consents are in [`crate::pages::consents`]). Each turns its form into the
//! use case's input and either returns to the chart (303) or shows the chart again with the
//! reason (422 invalid, 409 conflict) and what was typed; the use case stores nothing from bad
//! input.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use vial_app::{App, AppError};
use vial_clinical::{
    FillerAreaInput, FillerInput, FreeText, InjectionPointInput, MedicalHistoryInput,
    NeurotoxinInput, TreatmentBodyInput, TreatmentInput,
};

use crate::pages::charting::chart::{AreaKeep, FILLER_ROWS, Keep, show};
use crate::pages::charting::records::questions;
use crate::pages::forms::{Refusal, chart_path, invalid, refusal};
use vial_core::PatientId;

use crate::browser::{BrowserSession, CsrfForm};
use crate::pages::PageError;

/// Where a chart form goes next: back to the chart at `anchor`, or the chart again with the
/// refusal and what was typed.
async fn finish(
    app: &App,
    session: &BrowserSession,
    patient_id: &PatientId,
    outcome: Result<String, Refusal>,
    keep: Keep,
) -> Result<Response, PageError> {
    match outcome {
        Ok(target) => Ok(Redirect::to(&target).into_response()),
        Err(refused) => show(app, session, patient_id, keep, Some(refused), None).await,
    }
}

/// A use case's result as a redirect target or a refusal shown on the chart.
fn checked<T>(
    result: Result<T, AppError>,
    target: impl FnOnce(T) -> String,
) -> Result<Result<String, Refusal>, PageError> {
    match result {
        Ok(value) => Ok(Ok(target(value))),
        Err(e) => Ok(Err(refusal(e)?)),
    }
}

fn lines(text: &str) -> Vec<FreeText> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(FreeText::from)
        .collect()
}

fn optional_text(text: &str) -> Option<FreeText> {
    (!text.trim().is_empty()).then(|| FreeText::from(text))
}

/// Records or replaces the medical history; every yes/no question must be answered.
pub async fn history(
    State(app): State<App>,
    Path(id): Path<PatientId>,
    form: CsrfForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let CsrfForm { session, form } = form;
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let mut answers = Vec::new();
    let mut unanswered = Vec::new();
    for (name, label) in questions() {
        match field(name) {
            Some("yes") => answers.push(true),
            Some("no") => answers.push(false),
            _ => unanswered.push(*label),
        }
    }
    let outcome = if unanswered.is_empty() {
        let input = MedicalHistoryInput {
            allergies: lines(field("allergies").unwrap_or_default()),
            medications: lines(field("medications").unwrap_or_default()),
            pregnant_or_breastfeeding: answers[0],
            autoimmune_disease: answers[1],
            keloid_history: answers[2],
            prior_filler_complication: answers[3],
            prior_neurotoxin_complication: answers[4],
            anticoagulants: answers[5],
            active_infection_at_site: answers[6],
            notes: optional_text(field("notes").unwrap_or_default()),
        };
        let path = chart_path(&id)?;
        checked(app.put_history(&session.actor, &id, input).await, |()| {
            format!("{path}#history")
        })?
    } else {
        Err(invalid(format!(
            "medical history: answer yes or no to every question ({} unanswered)",
            unanswered.join(", ")
        )))
    };
    finish(&app, &session, &id, outcome, Keep::default()).await
}

/// The product, lot and expiry of a received lot chosen on the form, checked against the
/// product chosen with it.
async fn stock(
    app: &App,
    session: &BrowserSession,
    product: &str,
    lot_id: &str,
) -> Result<Result<(String, String), Refusal>, PageError> {
    let inventory = app.inventory(&session.actor).await?;
    Ok(match inventory.into_iter().find(|l| l.id == lot_id) {
        None => Err(invalid("lot: choose a received lot")),
        Some(l) if l.product != product => Err(invalid(
            "lot: the chosen lot is of another product; choose a lot of this product",
        )),
        Some(l) => Ok((l.lot, l.expiry)),
    })
}

fn decimal(field: &str, text: &str) -> Result<f64, Refusal> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| invalid(format!("{field}: enter a number")))
}

#[derive(Deserialize)]
pub struct ToxinFields {
    #[serde(default)]
    date: String,
    #[serde(default)]
    product: String,
    #[serde(default)]
    lot: String,
    #[serde(default)]
    dilution: String,
    #[serde(default)]
    points: String,
    #[serde(default)]
    notes: String,
}

/// The injection points the face map serialized; empty when the page ran without JavaScript.
fn points(json: &str) -> Result<Vec<InjectionPointInput>, Refusal> {
    let none = || {
        invalid(
            "points: tap the face map to place at least one injection point \
             (the face map needs JavaScript)",
        )
    };
    if json.trim().is_empty() {
        return Err(none());
    }
    let points: Vec<InjectionPointInput> = serde_json::from_str(json).map_err(|_| {
        invalid("points: the face map's points could not be read; place them again")
    })?;
    if points.is_empty() {
        return Err(none());
    }
    Ok(points)
}

/// Charts a neurotoxin treatment from the face map.
pub async fn neurotoxin(
    State(app): State<App>,
    Path(id): Path<PatientId>,
    form: CsrfForm<ToxinFields>,
) -> Result<Response, PageError> {
    let CsrfForm { session, form } = form;
    let path = chart_path(&id)?;
    let stocked = stock(&app, &session, &form.product, &form.lot).await?;
    let input = || {
        let points = points(&form.points)?;
        let dilution_ml = decimal("dilution", &form.dilution)?;
        let (lot, expiry) = stocked?;
        Ok::<_, Refusal>(TreatmentInput {
            date: form.date.trim().to_owned(),
            body: TreatmentBodyInput::Neurotoxin(NeurotoxinInput {
                product: form.product.clone(),
                dilution_ml,
                lot,
                expiry,
                points,
            }),
            complications: Vec::new(),
            notes: optional_text(&form.notes),
        })
    };
    let outcome = match input() {
        Err(refused) => Err(refused),
        Ok(input) => checked(
            app.chart_treatment(&session.actor, &id, input).await,
            |charted| format!("{path}?charted={}#treatments", charted.id),
        )?,
    };
    let keep = Keep {
        points: form.points,
        toxin_product: form.product,
        toxin_lot: form.lot,
        dilution: form.dilution,
        toxin_notes: form.notes,
        ..Keep::default()
    };
    finish(&app, &session, &id, outcome, keep).await
}

/// Charts a dermal filler treatment from the area rows (blank rows are skipped).
pub async fn filler(
    State(app): State<App>,
    Path(id): Path<PatientId>,
    form: CsrfForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let CsrfForm { session, form } = form;
    let path = chart_path(&id)?;
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let rows: Vec<AreaKeep> = (0..FILLER_ROWS)
        .map(|i| AreaKeep {
            area: field(&format!("area_{i}")),
            volume: field(&format!("volume_{i}")),
            depth: field(&format!("depth_{i}")),
            device: field(&format!("device_{i}")),
        })
        .collect();
    let (product, lot_id) = (field("product"), field("lot"));
    let stocked = stock(&app, &session, &product, &lot_id).await?;
    let input = || {
        let mut areas = Vec::new();
        for (i, row) in rows.iter().enumerate() {
            if row.area.is_empty() {
                continue;
            }
            areas.push(FillerAreaInput {
                area: row.area.clone(),
                volume_ml: decimal(&format!("area {} volume", i + 1), &row.volume)?,
                depth: row.depth.clone(),
                device: row.device.clone(),
                x: None,
                y: None,
            });
        }
        if areas.is_empty() {
            return Err(invalid("areas: choose at least one treated area"));
        }
        let syringe_volume_ml = decimal("syringe volume", &field("syringe"))?;
        let (lot, expiry) = stocked?;
        Ok::<_, Refusal>(TreatmentInput {
            date: field("date").trim().to_owned(),
            body: TreatmentBodyInput::Filler(FillerInput {
                product: product.clone(),
                syringe_volume_ml,
                lot,
                expiry,
                areas,
            }),
            complications: Vec::new(),
            notes: optional_text(&field("notes")),
        })
    };
    let outcome = match input() {
        Err(refused) => Err(refused),
        Ok(input) => checked(
            app.chart_treatment(&session.actor, &id, input).await,
            |charted| format!("{path}?charted={}#treatments", charted.id),
        )?,
    };
    let keep = Keep {
        filler_product: product,
        filler_lot: lot_id,
        syringe: field("syringe"),
        areas: rows,
        ..Keep::default()
    };
    finish(&app, &session, &id, outcome, keep).await
}

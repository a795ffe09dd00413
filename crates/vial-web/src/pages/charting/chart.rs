//! The provider's chart of one patient: demographics, medical history (with the warnings it
//! raises before treating), appointments, treatments with their derived totals and face maps,
//! the neurotoxin (face-map) and filler charting forms, SOAP notes with signing and amendments,
//! consents and photos. Only providers on the care team get past the gateway's first clinical read;
//! everyone else gets its refusal (403), recorded like every other decision.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use vial_app::{App, Role};
use vial_clinical::{
    Depth, Device, FillerArea, InjectionSite, ProductKind, TreatmentBodyInput, TreatmentKind,
    validate_history, validate_product,
};

use crate::pages::charting::records::{
    ConsentRow, HistoryForm, NoteRow, TreatmentRow, WarningRow, history_form, note_row,
    treatment_row, warning_rows,
};
use crate::pages::consents::{FormOption, consent_rows, form_options};
use crate::pages::display::Names;
use crate::pages::display::{FACE_HEIGHT, FACE_WIDTH, code_label, iso, number, stamp, today};
use crate::pages::forms::{Refusal, is_opaque_id};
use crate::pages::photos::{self, PhotoCard};
use vial_core::PatientId;

use crate::browser::BrowserSession;
use crate::pages::patients::PatientView;
use crate::pages::{Layout, PageError, render};

/// A value and its label.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// An injection site the face map offers, with its default position.
pub struct SiteOption {
    pub code: &'static str,
    pub label: &'static str,
    pub x: String,
    pub y: String,
    pub cx: String,
    pub cy: String,
}

/// The four SOAP sections as written.
#[derive(Default, Clone)]
pub struct SoapKeep {
    pub subjective: String,
    pub objective: String,
    pub assessment: String,
    pub plan: String,
}

/// One filler area row as entered.
#[derive(Default, Clone)]
pub struct AreaKeep {
    pub area: String,
    pub volume: String,
    pub depth: String,
    pub device: String,
}

/// The number of area rows the filler form offers.
pub const FILLER_ROWS: usize = 4;

/// What a refused form is shown with again, so nothing typed is lost.
#[derive(Default)]
pub struct Keep {
    pub points: String,
    pub toxin_product: String,
    pub toxin_lot: String,
    pub dilution: String,
    pub toxin_notes: String,
    pub filler_product: String,
    pub filler_lot: String,
    pub syringe: String,
    pub areas: Vec<AreaKeep>,
    pub note: SoapKeep,
    pub amend_for: String,
    pub amend_text: String,
}

#[derive(Template)]
#[template(path = "charting/chart.html")]
struct ChartPage {
    layout: Layout,
    patient: PatientView,
    today: String,
    error: Option<String>,
    charted: Option<String>,
    charted_warnings: Vec<WarningRow>,
    history: HistoryForm,
    toxin_warnings: Vec<WarningRow>,
    filler_warnings: Vec<WarningRow>,
    appointments: Vec<(String, String, String)>,
    treatments: Vec<TreatmentRow>,
    toxins: Vec<Choice>,
    toxin_lots: Vec<LotChoice>,
    dilutions: Vec<String>,
    fillers: Vec<Choice>,
    filler_lots: Vec<LotChoice>,
    syringes: Vec<String>,
    sites: Vec<SiteOption>,
    areas: Vec<Choice>,
    depths: Vec<Choice>,
    devices: Vec<Choice>,
    notes: Vec<NoteRow>,
    consents: Vec<ConsentRow>,
    forms: Vec<FormOption>,
    photos: Vec<PhotoCard>,
    photo_views: Vec<Choice>,
    photo_areas: Vec<Choice>,
    from: &'static str,
    keep: Keep,
    face_width: f64,
    face_height: f64,
}

/// A received lot to chart from.
pub struct LotChoice {
    pub id: String,
    pub product: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Deserialize, Default)]
pub struct ChartQuery {
    #[serde(default)]
    charted: String,
}

pub async fn page(
    State(app): State<App>,
    Path(id): Path<PatientId>,
    Query(query): Query<ChartQuery>,
    session: BrowserSession,
) -> Result<Response, PageError> {
    if session.actor.role == Role::Patient {
        return Ok(Redirect::to("/portal").into_response());
    }
    let charted = is_opaque_id(&query.charted).then_some(query.charted);
    show(&app, &session, &id, Keep::default(), None, charted).await
}

/// Renders the chart; `refused` (a form's refusal) sets the status and the message on top.
pub async fn show(
    app: &App,
    session: &BrowserSession,
    patient_id: &PatientId,
    keep: Keep,
    refused: Option<Refusal>,
    charted: Option<String>,
) -> Result<Response, PageError> {
    let actor = &session.actor;
    // One read unit: the gateway refuses (and records) anyone not on the care team at the
    // first kind of record they may not see.
    let vial_app::ChartView {
        demographics,
        history: history_view,
        treatments,
        notes: documents,
        consents,
        appointments,
        photos,
        products,
        inventory,
        consent_forms: forms,
        names,
        zone,
    } = app.chart(actor, patient_id).await?;
    let photos = photos::cards(&photos);

    let mut names = Names::read(actor, &names);
    let history = history_view
        .as_ref()
        .and_then(|v| validate_history(&v.history).ok());
    let updated_by = match &history_view {
        Some(v) => names.of(app, &v.updated_by).await,
        None => String::new(),
    };
    let catalogue: Vec<vial_clinical::Product> = products
        .iter()
        .filter_map(|p| validate_product(&p.product).ok())
        .collect();
    let product_name = |code: &str| {
        catalogue
            .iter()
            .find(|p| p.code().as_str() == code)
            .map_or_else(|| code.to_owned(), |p| p.name().to_owned())
    };

    let mut treatment_rows = Vec::with_capacity(treatments.len());
    let mut charted_warnings = Vec::new();
    let mut charted_summary = None;
    for t in treatments.iter().rev() {
        let author = names.of(app, &t.author_id).await;
        let row = treatment_row(t, author, &product_name, charted.as_deref());
        if row.just_charted {
            let (kind, product) = match &t.treatment.body {
                TreatmentBodyInput::Neurotoxin(n) => (TreatmentKind::Neurotoxin, Some(&n.product)),
                TreatmentBodyInput::Filler(f) => (TreatmentKind::Filler, Some(&f.product)),
                TreatmentBodyInput::Procedure(_) => (
                    TreatmentKind::Procedure(vial_clinical::ProcedureKind::Other),
                    None,
                ),
            };
            let product = product.and_then(|c| catalogue.iter().find(|p| p.code().as_str() == c));
            charted_warnings = warning_rows(history.as_ref(), kind, product);
            charted_summary = Some(format!("{} {}", row.product, row.total));
        }
        treatment_rows.push(row);
    }

    let mut notes = Vec::with_capacity(documents.len());
    for d in documents.iter().rev() {
        notes.push(note_row(app, &mut names, d).await);
    }
    let consent_rows = consent_rows(app, &mut names, &consents).await;
    let mut appointment_rows = Vec::new();
    for a in appointments.iter().rev() {
        let provider = names.of(app, &a.provider_id).await;
        appointment_rows.push((
            stamp(a.start_ms),
            format!("{} with {provider}", code_label(&a.service)),
            code_label(a.status.as_str()),
        ));
    }

    let kind_of = |code: &str| {
        catalogue
            .iter()
            .find(|p| p.code().as_str() == code)
            .map(|p| p.kind())
    };
    let choices = |kind: ProductKind, selected: &str| -> Vec<Choice> {
        catalogue
            .iter()
            .filter(|p| p.kind() == kind)
            .map(|p| Choice {
                value: p.code().as_str().to_owned(),
                label: p.name().to_owned(),
                selected: p.code().as_str() == selected,
            })
            .collect()
    };
    let lots = |kind: ProductKind, selected: &str| -> Vec<LotChoice> {
        inventory
            .iter()
            .filter(|l| kind_of(&l.product) == Some(kind) && l.remaining > 0.0)
            .map(|l| LotChoice {
                id: l.id.clone(),
                product: l.product.clone(),
                label: format!(
                    "Lot {} · expires {} · {} left · {}",
                    l.lot,
                    l.expiry,
                    number(l.remaining),
                    product_name(&l.product)
                ),
                selected: l.id == selected,
            })
            .collect()
    };
    let mut dilutions: Vec<String> = Vec::new();
    let mut syringes: Vec<String> = Vec::new();
    for p in &catalogue {
        for d in p.dilutions() {
            let d = number(d.as_f64());
            if !dilutions.contains(&d) {
                dilutions.push(d);
            }
        }
        for s in p.syringe_volumes() {
            let s = number(s.as_f64());
            if !syringes.contains(&s) {
                syringes.push(s);
            }
        }
    }
    let mut keep = keep;
    keep.areas.resize(FILLER_ROWS, AreaKeep::default());
    // Unless the form said otherwise, offer first a product there is stock of.
    let in_stock = |kind: ProductKind| {
        inventory
            .iter()
            .find(|l| kind_of(&l.product) == Some(kind) && l.remaining > 0.0)
            .map(|l| l.product.clone())
            .unwrap_or_default()
    };
    if keep.toxin_product.is_empty() {
        keep.toxin_product = in_stock(ProductKind::Neurotoxin);
    }
    if keep.filler_product.is_empty() {
        keep.filler_product = in_stock(ProductKind::Filler);
    }
    // The warnings before treating are for the product the form offers first.
    let find = |code: &str| catalogue.iter().find(|p| p.code().as_str() == code);
    let (status, error) = match refused {
        Some(r) => (r.status, Some(r.message)),
        None => (StatusCode::OK, None),
    };
    let page = ChartPage {
        layout: Layout::signed_in("Chart", session, app),
        patient: PatientView::from(&demographics),
        today: iso(today(app, &zone)),
        error,
        charted: charted_summary,
        charted_warnings,
        history: history_form(history_view.as_ref(), updated_by),
        toxin_warnings: warning_rows(
            history.as_ref(),
            TreatmentKind::Neurotoxin,
            find(&keep.toxin_product),
        ),
        filler_warnings: warning_rows(
            history.as_ref(),
            TreatmentKind::Filler,
            find(&keep.filler_product),
        ),
        appointments: appointment_rows,
        treatments: treatment_rows,
        toxins: choices(ProductKind::Neurotoxin, &keep.toxin_product),
        toxin_lots: lots(ProductKind::Neurotoxin, &keep.toxin_lot),
        dilutions,
        fillers: choices(ProductKind::Filler, &keep.filler_product),
        filler_lots: lots(ProductKind::Filler, &keep.filler_lot),
        syringes,
        sites: InjectionSite::ALL
            .iter()
            .map(|s| {
                let p = s.default_position();
                SiteOption {
                    code: s.as_str(),
                    label: s.label(),
                    x: format!("{:.3}", p.x()),
                    y: format!("{:.3}", p.y()),
                    cx: format!("{:.1}", p.x() * FACE_WIDTH),
                    cy: format!("{:.1}", p.y() * FACE_HEIGHT),
                }
            })
            .collect(),
        areas: FillerArea::ALL
            .iter()
            .map(|a| Choice {
                value: a.as_str().to_owned(),
                label: a.label().to_owned(),
                selected: false,
            })
            .collect(),
        depths: Depth::ALL
            .iter()
            .map(|d| Choice {
                value: d.as_str().to_owned(),
                label: code_label(d.as_str()),
                selected: false,
            })
            .collect(),
        devices: Device::ALL
            .iter()
            .map(|d| Choice {
                value: d.as_str().to_owned(),
                label: code_label(d.as_str()),
                selected: false,
            })
            .collect(),
        notes,
        consents: consent_rows,
        forms: form_options(forms),
        photos,
        photo_views: photos::view_choices(),
        photo_areas: photos::area_choices(),
        from: "chart",
        keep,
        face_width: FACE_WIDTH,
        face_height: FACE_HEIGHT,
    };
    Ok((status, render(&page)?).into_response())
}

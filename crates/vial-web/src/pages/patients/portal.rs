//! The patient's portal summary: their appointments (with a cancel button for booked ones, and
//! their own requests, awaiting the practice's confirmation, to withdraw),
//! signed notes with their amendments, treatment summaries, consents and their photos — read through the
//! same gateway as everyone else's, which shows a patient only what is signed.

use askama::Template;
use axum::extract::State;
use axum::response::Html;
use vial_app::{App, DocumentKind};
use vial_clinical::{SignState, SoapInput, Status, TreatmentBodyInput};

use crate::browser::BrowserSession;
use crate::pages::charting::records::AmendmentRow;
use crate::pages::display::Names;
use crate::pages::display::{area_label, code_label, number, site_label, stamp};
use crate::pages::{Layout, PageError, render};

pub struct VisitRow {
    pub id: String,
    pub when: String,
    pub what: String,
    pub status: String,
    pub cancellable: bool,
    /// A request of the patient's own, awaiting the practice's confirmation.
    pub requested: bool,
}

pub struct SummaryRow {
    pub date: String,
    pub what: String,
    pub total: String,
    pub lines: Vec<String>,
}

pub struct SignedNote {
    pub id: String,
    pub signed: String,
    pub sections: Vec<(&'static str, String)>,
    pub amendments: Vec<AmendmentRow>,
}

pub struct ConsentLine {
    pub kind: String,
    pub version: String,
    pub signed: String,
    pub status: String,
}

#[derive(Template)]
#[template(path = "patients/portal.html")]
struct PortalPage {
    layout: Layout,
    visits: Vec<VisitRow>,
    treatments: Vec<SummaryRow>,
    notes: Vec<SignedNote>,
    consents: Vec<ConsentLine>,
    photos: Vec<crate::pages::photos::PhotoCard>,
}

pub async fn page(
    State(app): State<App>,
    session: BrowserSession,
) -> Result<Html<String>, PageError> {
    let actor = &session.actor;
    let patient_id = app.linked_patient(actor).await?.ok_or_else(|| {
        PageError::Invalid(
            "the portal is for patients whose account is linked to their record".into(),
        )
    })?;
    let appointments = app.my_appointments(actor).await?;
    let treatments = app.treatments_of(actor, &patient_id).await?;
    let documents = app
        .documents_of(actor, &patient_id, DocumentKind::Note)
        .await?;
    let consents = app.consents_of(actor, &patient_id).await?;
    let photos = crate::pages::photos::gallery(&app, actor, &patient_id).await?;
    // The practice's catalogue is for the workforce; the seed's names cover the common products.
    let seed = vial_clinical::default_catalogue();
    let product_name = |code: &str| {
        seed.find(code)
            .map_or_else(|| code_label(code), |p| p.name().to_owned())
    };
    let mut names = Names::new(actor);

    let mut visits = Vec::with_capacity(appointments.len());
    for a in appointments.iter().rev() {
        let provider = names.of(&app, &a.provider_id).await;
        visits.push(VisitRow {
            id: a.id.to_string(),
            when: stamp(a.start_ms),
            what: format!("{} with {provider}", code_label(&a.service)),
            status: if a.status == Status::Requested {
                "Requested: awaiting the practice's confirmation".to_owned()
            } else {
                code_label(a.status.as_str())
            },
            cancellable: matches!(a.status, Status::Booked | Status::Requested),
            requested: a.status == Status::Requested,
        });
    }
    let treatments = treatments
        .iter()
        .rev()
        .map(|t| match &t.treatment.body {
            TreatmentBodyInput::Neurotoxin(n) => SummaryRow {
                date: t.treatment.date.clone(),
                what: product_name(&n.product),
                total: format!("{} units", number(t.total_units.unwrap_or_default())),
                lines: n
                    .points
                    .iter()
                    .map(|p| format!("{}: {} units", site_label(&p.site), number(p.units)))
                    .collect(),
            },
            TreatmentBodyInput::Filler(f) => SummaryRow {
                date: t.treatment.date.clone(),
                what: product_name(&f.product),
                total: format!("{} mL", number(t.total_volume_ml.unwrap_or_default())),
                lines: f
                    .areas
                    .iter()
                    .map(|a| format!("{}: {} mL", area_label(&a.area), number(a.volume_ml)))
                    .collect(),
            },
            TreatmentBodyInput::Procedure(p) => SummaryRow {
                date: t.treatment.date.clone(),
                what: code_label(&p.kind),
                total: String::new(),
                lines: Vec::new(),
            },
        })
        .collect();
    let mut notes = Vec::with_capacity(documents.len());
    for d in documents
        .iter()
        .rev()
        .filter(|d| d.state == SignState::Signed)
    {
        let soap: SoapInput = serde_json::from_value(d.body.clone()).unwrap_or_default();
        let sections = [
            ("Subjective", soap.subjective.as_str()),
            ("Objective", soap.objective.as_str()),
            ("Assessment", soap.assessment.as_str()),
            ("Plan", soap.plan.as_str()),
        ]
        .into_iter()
        .filter(|(_, text)| !text.trim().is_empty())
        .map(|(label, text)| (label, text.to_owned()))
        .collect();
        let signed = match (&d.signed_by, d.signed_at_ms) {
            (Some(by), Some(at)) => format!("{} by {}", stamp(at), names.of(&app, by).await),
            _ => String::new(),
        };
        let mut amendments = Vec::with_capacity(d.amendments.len());
        for a in &d.amendments {
            amendments.push(AmendmentRow {
                when: a.signed_at_ms.map(stamp).unwrap_or_default(),
                by: names.of(&app, &a.author_id).await,
                text: a.text.clone(),
            });
        }
        notes.push(SignedNote {
            id: d.id.to_string(),
            signed,
            sections,
            amendments,
        });
    }
    let consents = consents
        .iter()
        .rev()
        .map(|c| ConsentLine {
            kind: code_label(&c.kind),
            version: c.form_version.clone(),
            signed: stamp(c.signed_at_ms),
            status: match c.revoked_at_ms {
                Some(at) => format!("revoked {}", stamp(at)),
                None if c.active => "active".to_owned(),
                None => "inactive".to_owned(),
            },
        })
        .collect();
    render(&PortalPage {
        layout: Layout::signed_in("My visits and notes", &session, &app),
        visits,
        treatments,
        notes,
        consents,
        photos,
    })
}

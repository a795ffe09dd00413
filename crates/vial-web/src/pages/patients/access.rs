//! Who opened a record: the patient's own access log ("who opened my record") and the admin's
//! review of break-glass grants.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Html;
use axum::routing::get;
use vial_app::{AccessRecord, App};
use vial_core::{PatientId, UserId};

use crate::browser::BrowserSession;
use crate::pages::{Layout, PageError, render, when};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/account/access-log", get(access_log))
        .route("/admin/break-glass", get(break_glass))
}

/// One audit entry as a table row.
pub struct AccessRow {
    pub time: String,
    pub actor: String,
    pub role: String,
    /// What happened, in words a patient reads; `action` keeps the exact code beside it.
    pub what: &'static str,
    pub action: String,
    pub purpose: String,
    pub outcome: &'static str,
    pub reason: String,
}

impl From<AccessRecord> for AccessRow {
    fn from(r: AccessRecord) -> Self {
        Self {
            time: when(r.time_ms),
            actor: r.actor.unwrap_or_default(),
            role: r.role.unwrap_or_default(),
            what: in_words(&r.action),
            action: r.action,
            purpose: r.purpose.unwrap_or_default(),
            outcome: r.outcome,
            reason: r.reason.unwrap_or_default(),
        }
    }
}

/// An audit action as the record's owner would say it; the code itself is shown beside it.
fn in_words(action: &str) -> &'static str {
    let (area, verb) = action.split_once('.').unwrap_or((action, ""));
    match (area, verb) {
        ("patient", "read") => "Opened your details",
        ("patient", "create") => "Registered you",
        ("patient", _) => "Looked for your details",
        ("care_team", "remove") => "Left your care team",
        ("care_team", _) => "Joined your care team",
        ("break_glass", _) => "Emergency access to your record",
        ("document", _) => "Your notes and treatment plans",
        ("treatment" | "lot", _) => "Your treatment records",
        ("history", _) => "Your medical history",
        ("photo", _) => "Your photos",
        ("consent", _) => "Your consents",
        ("appointment", _) => "Your appointments",
        ("audit", _) => "Viewed who opened your record",
        _ => "Your record",
    }
}

#[derive(Template)]
#[template(path = "patients/access_log.html")]
struct AccessLogPage {
    layout: Layout,
    rows: Vec<AccessRow>,
}

async fn access_log(
    State(app): State<App>,
    session: BrowserSession,
) -> Result<Html<String>, PageError> {
    let rows = app.my_access_log(&session.actor).await?;
    render(&AccessLogPage {
        layout: Layout::signed_in("Who opened my record", &session, &app),
        rows: rows.into_iter().map(AccessRow::from).collect(),
    })
}

struct GrantRow {
    patient_id: PatientId,
    provider_id: UserId,
    created: String,
    expires: String,
}

#[derive(Template)]
#[template(path = "patients/break_glass.html")]
struct BreakGlassPage {
    layout: Layout,
    grants: Vec<GrantRow>,
}

async fn break_glass(
    State(app): State<App>,
    session: BrowserSession,
) -> Result<Html<String>, PageError> {
    let grants = app
        .break_glass_grants(&session.actor)
        .await?
        .into_iter()
        .map(|g| GrantRow {
            patient_id: g.patient_id,
            provider_id: g.provider_id,
            created: when(g.created_at_ms),
            expires: when(g.expires_at_ms),
        })
        .collect();
    render(&BreakGlassPage {
        layout: Layout::signed_in("Break-glass access", &session, &app),
        grants,
    })
}

#[cfg(test)]
mod tests {
    use super::in_words;

    #[test]
    fn actions_read_as_words_and_unknown_ones_stay_general() {
        assert_eq!(in_words("patient.read"), "Opened your details");
        assert_eq!(in_words("care_team.add"), "Joined your care team");
        assert_eq!(in_words("care_team.remove"), "Left your care team");
        assert_eq!(in_words("photo.view"), "Your photos");
        assert_eq!(in_words("something.new"), "Your record");
        assert_eq!(in_words(""), "Your record");
    }
}

//! Treatment plans: goals and planned sessions (target date, products, notes). A plan follows the
//! signing life cycle of [`crate::signing`], like a SOAP note.
//!
//! Limits: 1 to 20 goals of at most 1,000 characters; at most 24 sessions, each with a target
//! date, products (at most 10, unique, from the practice catalogue) or notes (at most 2,000
//! characters) — an empty session is refused.

use serde::{Deserialize, Serialize};
use time::Date;

use crate::ClinicalError;
use crate::calendar::{format_date, parse_date};
use crate::catalogue::{Catalogue, ProductCode};
use crate::error::check_count;
use crate::text::{BoundedText, FreeText, Lines, to_optional_input};

pub use crate::signing::SignState as PlanState;

/// The most goals in a plan.
pub const MAX_GOALS: usize = 20;
/// The longest goal.
pub const MAX_GOAL_CHARS: usize = 1_000;
/// The most planned sessions.
pub const MAX_SESSIONS: usize = 24;
/// The most products per session.
pub const MAX_SESSION_PRODUCTS: usize = 10;
/// The longest session note.
pub const MAX_SESSION_NOTES_CHARS: usize = 2_000;

/// A treatment plan as written.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TreatmentPlanInput {
    /// The patient's goals (PHI).
    pub goals: Vec<FreeText>,
    /// Planned sessions, in order.
    #[serde(default)]
    pub sessions: Vec<PlannedSessionInput>,
}

/// One planned session as written.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlannedSessionInput {
    /// Target date, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_date: Option<String>,
    /// Product codes from the practice catalogue.
    #[serde(default)]
    pub products: Vec<String>,
    /// Notes (PHI).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<FreeText>,
}

/// A checked treatment plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreatmentPlan {
    goals: Vec<BoundedText>,
    sessions: Vec<PlannedSession>,
}

/// A checked planned session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedSession {
    target_date: Option<Date>,
    products: Vec<ProductCode>,
    notes: Option<BoundedText>,
}

/// Checks a treatment plan against the practice catalogue.
pub fn validate_plan(
    input: &TreatmentPlanInput,
    catalogue: &Catalogue,
) -> Result<TreatmentPlan, ClinicalError> {
    check_count("goals", input.goals.len(), 1, MAX_GOALS, "goal")?;
    let goals = input
        .goals
        .iter()
        .enumerate()
        .map(|(i, goal)| {
            BoundedText::parse(
                &format!("goals[{i}]"),
                goal.as_str(),
                MAX_GOAL_CHARS,
                Lines::Multi,
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    check_count("sessions", input.sessions.len(), 0, MAX_SESSIONS, "session")?;
    let sessions = input
        .sessions
        .iter()
        .enumerate()
        .map(|(i, session)| {
            validate_session(session, catalogue).map_err(|e| e.within(&format!("sessions[{i}]")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(TreatmentPlan { goals, sessions })
}

fn validate_session(
    input: &PlannedSessionInput,
    catalogue: &Catalogue,
) -> Result<PlannedSession, ClinicalError> {
    let target_date = input
        .target_date
        .as_deref()
        .map(|raw| parse_date("target_date", raw))
        .transpose()?;
    check_count(
        "products",
        input.products.len(),
        0,
        MAX_SESSION_PRODUCTS,
        "product",
    )?;
    let mut products: Vec<ProductCode> = Vec::with_capacity(input.products.len());
    for (i, code) in input.products.iter().enumerate() {
        let field = format!("products[{i}]");
        let product = catalogue.find_at(&field, code)?.code().clone();
        if products.contains(&product) {
            return Err(ClinicalError::invalid(
                field,
                format!("duplicate product code \"{}\"", product.as_str()),
            ));
        }
        products.push(product);
    }
    let notes = BoundedText::optional(
        "notes",
        input.notes.as_ref(),
        MAX_SESSION_NOTES_CHARS,
        Lines::Multi,
    )?;
    if target_date.is_none() && products.is_empty() && notes.is_none() {
        return Err(ClinicalError::invalid(
            "",
            "must have a target date, products or notes",
        ));
    }
    Ok(PlannedSession {
        target_date,
        products,
        notes,
    })
}

impl TreatmentPlan {
    /// The goals.
    pub fn goals(&self) -> &[BoundedText] {
        &self.goals
    }

    /// The planned sessions.
    pub fn sessions(&self) -> &[PlannedSession] {
        &self.sessions
    }

    /// Back to the input form (for storage and display).
    pub fn to_input(&self) -> TreatmentPlanInput {
        TreatmentPlanInput {
            goals: self.goals.iter().map(BoundedText::to_free_text).collect(),
            sessions: self
                .sessions
                .iter()
                .map(|s| PlannedSessionInput {
                    target_date: s.target_date.map(format_date),
                    products: s.products.iter().map(|p| p.as_str().to_owned()).collect(),
                    notes: to_optional_input(s.notes.as_ref()),
                })
                .collect(),
        }
    }
}

impl PlannedSession {
    /// Target date, if set.
    pub fn target_date(&self) -> Option<Date> {
        self.target_date
    }

    /// Planned products.
    pub fn products(&self) -> &[ProductCode] {
        &self.products
    }

    /// Notes, if any.
    pub fn notes(&self) -> Option<&BoundedText> {
        self.notes.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;
    use crate::catalogue::default_catalogue;

    fn session(date: Option<&str>, products: &[&str]) -> PlannedSessionInput {
        PlannedSessionInput {
            target_date: date.map(str::to_owned),
            products: products.iter().map(|p| (*p).to_owned()).collect(),
            notes: None,
        }
    }

    fn input() -> TreatmentPlanInput {
        TreatmentPlanInput {
            goals: vec![
                "Soften glabellar lines".into(),
                "Restore midface volume".into(),
            ],
            sessions: vec![
                session(Some("2026-04-01"), &["botox_100"]),
                session(None, &["juvederm_voluma_xc", "botox_100"]),
            ],
        }
    }

    fn refused(input: TreatmentPlanInput) -> String {
        validate_plan(&input, &default_catalogue())
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn accepts() {
        let plan = validate_plan(&input(), &default_catalogue()).unwrap();
        assert_eq!(plan.goals().len(), 2);
        assert_eq!(
            plan.sessions()[0].target_date(),
            Some(date!(2026 - 04 - 01))
        );
        assert_eq!(
            plan.sessions()[1].products()[0].as_str(),
            "juvederm_voluma_xc"
        );
        assert_eq!(plan.to_input(), input());
        let notes_only = TreatmentPlanInput {
            sessions: vec![PlannedSessionInput {
                notes: Some("review".into()),
                ..Default::default()
            }],
            ..input()
        };
        assert_eq!(
            validate_plan(&notes_only, &default_catalogue())
                .unwrap()
                .sessions()[0]
                .notes()
                .map(BoundedText::as_str),
            Some("review")
        );
    }

    #[test]
    fn refuses_each_rule() {
        assert_eq!(
            refused(TreatmentPlanInput {
                goals: vec![],
                ..input()
            }),
            "goals: must contain at least 1 goal"
        );
        assert_eq!(
            refused(TreatmentPlanInput {
                goals: vec!["g".into(); 21],
                ..input()
            }),
            "goals: must contain at most 20 goals"
        );
        assert_eq!(
            refused(TreatmentPlanInput {
                goals: vec!["g".into(), " ".into()],
                ..input()
            }),
            "goals[1]: must not be empty"
        );
        assert_eq!(
            refused(TreatmentPlanInput {
                goals: vec!["g".repeat(1_001).into()],
                ..input()
            }),
            "goals[0]: must be at most 1000 characters"
        );
        assert_eq!(
            refused(TreatmentPlanInput {
                sessions: vec![session(None, &["a"]); 25],
                ..input()
            }),
            "sessions: must contain at most 24 sessions"
        );
        let with_session = |s: PlannedSessionInput| {
            let mut input = input();
            input.sessions.push(s);
            refused(input)
        };
        assert_eq!(
            with_session(session(Some("2026-02-30"), &[])),
            "sessions[2].target_date: is not a valid calendar date"
        );
        assert_eq!(
            with_session(session(None, &["botox_100", "foo"])),
            "sessions[2].products[1]: unknown product code \"foo\""
        );
        assert_eq!(
            with_session(session(None, &["botox_100", "botox_100"])),
            "sessions[2].products[1]: duplicate product code \"botox_100\""
        );
        assert_eq!(
            with_session(session(None, &["botox_100"; 11])),
            "sessions[2].products: must contain at most 10 products"
        );
        assert_eq!(
            with_session(PlannedSessionInput {
                notes: Some("n".repeat(2_001).into()),
                ..Default::default()
            }),
            "sessions[2].notes: must be at most 2000 characters"
        );
        assert_eq!(
            with_session(PlannedSessionInput {
                notes: Some(" ".into()),
                ..Default::default()
            }),
            "sessions[2]: must have a target date, products or notes"
        );
    }

    #[test]
    fn serde_input() {
        let json = r#"{"goals":["Lip volume"],"sessions":[{"target_date":"2026-05-01","products":["restylane_kysse"]}]}"#;
        let parsed: TreatmentPlanInput = serde_json::from_str(json).unwrap();
        assert_eq!(serde_json::to_string(&parsed).unwrap(), json);
        assert!(validate_plan(&parsed, &default_catalogue()).is_ok());
        assert!(
            serde_json::from_str::<TreatmentPlanInput>(r#"{"goals":["x"],"status":"signed"}"#)
                .is_err()
        );
        assert!(serde_json::from_str::<TreatmentPlanInput>(r#"{"goals":"x"}"#).is_err());
        assert!(
            serde_json::from_str::<TreatmentPlanInput>(
                r#"{"goals":["x"],"sessions":[{"units":3}]}"#
            )
            .is_err()
        );
    }
}

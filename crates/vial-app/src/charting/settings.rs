//! Practice settings: whether charts need the medical director's co-signature, who the director
//! is, and the practice's calendar (its IANA time zone and weekly opening hours, which shape day
//! views and the requests patients may make). Admins only.

use vial_clinical::{CosignRequirement, OpeningHours, PracticeZone};
use vial_core::{Action, Resource, UserId};

use crate::gateway::{Ask, authorize};
use crate::{Actor, App, AppError, AuditEvent, Role};

/// The settings an admin may change, each validated before it is stored.
#[derive(Debug, Clone)]
pub enum PracticeSetting {
    CosignRequirement(String),
    MedicalDirector(UserId),
    /// An IANA zone name, e.g. `America/New_York`.
    TimeZone(String),
    /// Monday to Sunday, each `closed` or `HH:MM-HH:MM` in the practice's local time.
    OpeningHours([String; 7]),
    /// The regions PHI may be kept in, comma-separated region codes (`us,eu`); vendors and
    /// object storage outside them are refused.
    AllowedRegions(String),
}

impl App {
    /// Stores one practice setting (admins); recorded in the audit log.
    pub async fn set_practice_setting(
        &self,
        actor: &Actor,
        setting: PracticeSetting,
    ) -> Result<(), AppError> {
        self.set_practice_settings(actor, vec![setting]).await
    }

    /// Stores several practice settings together (admins), each recorded in the audit log:
    /// all are checked first, so one invalid value stores none.
    pub async fn set_practice_settings(
        &self,
        actor: &Actor,
        settings: Vec<PracticeSetting>,
    ) -> Result<(), AppError> {
        let mut checked = Vec::with_capacity(settings.len());
        for setting in settings {
            checked.push(self.check_setting(setting).await?);
        }
        let actor = actor.clone();
        self.transact(move |work| {
            Box::pin(async move {
                if checked.is_empty() {
                    // Nothing to store is still a decision: a refused actor is recorded.
                    let ask = Ask::practice(Resource::Administration, Action::Write);
                    authorize(work, &actor, ask, AuditEvent::by("settings.change", &actor))?;
                }
                for (key, value) in checked {
                    let event = AuditEvent::by("settings.change", &actor).resource("setting", key);
                    let ask = Ask::practice(Resource::Administration, Action::Write);
                    authorize(work, &actor, ask, event)?;
                    work.tx().await?.set_setting(key, &value).await?;
                }
                Ok(())
            })
        })
        .await
    }

    /// A setting's key and stored value, once valid.
    async fn check_setting(
        &self,
        setting: PracticeSetting,
    ) -> Result<(&'static str, String), AppError> {
        Ok(match setting {
            PracticeSetting::CosignRequirement(v) => {
                let parsed = CosignRequirement::parse_at("cosign_requirement", &v)?;
                ("cosign_requirement", parsed.as_str().to_owned())
            }
            PracticeSetting::MedicalDirector(user_id) => {
                let is_provider = {
                    let mut tx = self.store().begin_read().await?;
                    tx.user_by_id(&user_id)
                        .await?
                        .is_some_and(|u| u.role == Role::Provider)
                };
                if !is_provider {
                    return Err(AppError::Invalid(
                        "medical_director: must be a provider's user id".into(),
                    ));
                }
                ("medical_director", user_id.into_string())
            }
            PracticeSetting::TimeZone(name) => {
                let zone = PracticeZone::parse(&name)?;
                (crate::scheduling::TIME_ZONE, zone.name().to_owned())
            }
            PracticeSetting::AllowedRegions(list) => {
                let regions = vial_core::vendor::parse_allowed_regions(&list)?;
                (crate::vendors::ALLOWED_REGIONS, regions.join(","))
            }
            PracticeSetting::OpeningHours(days) => {
                let hours = OpeningHours::from_days(days.each_ref().map(String::as_str))?;
                (crate::scheduling::OPENING_HOURS, hours.to_setting())
            }
        })
    }
}

/// The provider the practice named medical director, if any.
pub(crate) async fn medical_director(
    tx: &mut dyn vial_store::TxRead,
) -> Result<Option<UserId>, AppError> {
    Ok(tx.setting("medical_director").await?.map(UserId::from))
}

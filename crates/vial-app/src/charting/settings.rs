//! Practice settings that shape charting: whether charts need the medical director's
//! co-signature, who the director is, and the practice's UTC offset for day views. Admins only.

use vial_clinical::CosignRequirement;
use vial_core::{Action, Resource, UserId};

use crate::gateway::{Ask, authorize};
use crate::{Actor, App, AppError, AuditEvent, Role};

/// The settings an admin may change, each validated before it is stored.
#[derive(Debug, Clone)]
pub enum PracticeSetting {
    CosignRequirement(String),
    MedicalDirector(UserId),
    UtcOffsetMinutes(i32),
}

impl App {
    /// Stores one practice setting (admins); recorded in the audit log.
    pub async fn set_practice_setting(
        &self,
        actor: &Actor,
        setting: PracticeSetting,
    ) -> Result<(), AppError> {
        let (key, value) = match setting {
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
            PracticeSetting::UtcOffsetMinutes(m) => {
                if !(-840..=840).contains(&m) {
                    return Err(AppError::Invalid(
                        "utc_offset_minutes: must be between -840 and 840".into(),
                    ));
                }
                ("utc_offset_minutes", m.to_string())
            }
        };
        let event = AuditEvent::by("settings.change", actor).resource("setting", key);
        let actor = actor.clone();
        self.transact(move |work| {
            Box::pin(async move {
                let ask = Ask::practice(Resource::Administration, Action::Write);
                authorize(work, &actor, ask, event)?;
                work.tx().await?.set_setting(key, &value).await?;
                Ok(())
            })
        })
        .await
    }
}

/// The provider the practice named medical director, if any.
pub(crate) async fn medical_director(
    tx: &mut dyn vial_store::TxRead,
) -> Result<Option<UserId>, AppError> {
    Ok(tx.setting("medical_director").await?.map(UserId::from))
}

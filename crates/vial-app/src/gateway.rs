//! The gateway: the one place where every permission decision is made and recorded.
//!
//! [`decide`] is the door: every use case — patient-scoped or practice-wide — asks it inside
//! its unit of work, and it records the decision, allowed or denied, in the same transaction
//! that then reads or writes. Patient-scoped use cases first derive the actor's relation to the
//! patient from data (care team, live break-glass grant, own record: [`App::authorize`] does
//! both). Only after the decision may the caller decrypt. A denial is an error for the caller
//! but a committed audit entry all the same.

use vial_core::{Action, Decision, PatientId, Relation, Resource, Scope, UserId};
use vial_store::TxRead;

use crate::{Actor, App, AppError, AuditEvent, Audited, Role};

/// What is being done, for the policy and the audit log.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Access<'a> {
    pub patient_id: &'a PatientId,
    pub resource: Resource,
    pub action: Action,
    /// The audit action code, e.g. `patient.read`.
    pub audit_action: &'static str,
    /// Purpose of use, e.g. `treatment`, `operations`, `patient_access`.
    pub purpose: &'static str,
}

impl App {
    /// Decides and records one access; returns the granted scope or `Forbidden`.
    pub(crate) async fn authorize(
        &self,
        work: &mut impl Audited,
        actor: &Actor,
        access: Access<'_>,
    ) -> Result<Scope, AppError> {
        let relation = self
            .relation_in(work.read(), actor, access.patient_id, None)
            .await?;
        authorize_with(work, actor, relation, access)
    }

    /// Decides a practice-wide read through the gateway in a read unit of its own, so that the
    /// decision — allowed or denied — is durable before anything is read for the actor.
    pub(crate) async fn practice_wide(
        &self,
        by: &Actor,
        resource: Resource,
        action: Action,
        event: AuditEvent,
    ) -> Result<(), AppError> {
        let by = by.clone();
        self.transact_read(move |work| {
            Box::pin(async move {
                authorize(work, &by, Ask::practice(resource, action), event)?;
                Ok(())
            })
        })
        .await
    }

    /// Re-authenticates `actor` for a sensitive action, but only if the decision on `ask` will
    /// allow it: a refused actor spends no one-time code, and is refused (and recorded) by the
    /// decision itself.
    pub(crate) async fn reauthenticate_for(
        &self,
        actor: &Actor,
        ask: Ask<'_>,
        password: &str,
        totp: Option<&str>,
    ) -> Result<(), AppError> {
        if permits(actor, ask) {
            self.reauthenticate(actor, password, totp).await?;
        }
        Ok(())
    }

    /// Refuses what the policy refuses `actor` — the denial recorded as `event` in a unit of its
    /// own — and lets the rest through without an entry: for questions about data that is not
    /// PHI (the catalogue) or that the use case records itself with the patient it concerns.
    pub(crate) async fn refuse_unless(
        &self,
        actor: &Actor,
        ask: Ask<'static>,
        event: AuditEvent,
    ) -> Result<(), AppError> {
        if permits(actor, ask) {
            return Ok(());
        }
        let actor = actor.clone();
        self.transact_read(move |work| {
            Box::pin(async move { authorize(work, &actor, ask, event).map(|_| ()) })
        })
        .await
    }

    /// [`unknown`] in a read unit of its own, for a use case that looked the id up outside one.
    pub(crate) async fn unknown(
        &self,
        actor: &Actor,
        of: (Resource, Action),
        audit_action: &'static str,
        (kind, id): (&'static str, String),
        what: &'static str,
    ) -> AppError {
        let event = unknown_event(actor, audit_action, (kind, &id));
        let refused = self.refuse_unless(actor, Ask::practice(of.0, of.1), event);
        refused.await.err().unwrap_or(AppError::NotFound(what))
    }

    /// Like [`App::authorize`], returning the decision instead of failing on a denial (for
    /// searches, which leave out what the actor may not see).
    pub(crate) async fn decide_and_record(
        &self,
        work: &mut impl Audited,
        actor: &Actor,
        access: Access<'_>,
    ) -> Result<Decision, AppError> {
        let relation = self
            .relation_in(work.read(), actor, access.patient_id, None)
            .await?;
        Ok(decide_with(work, actor, relation, access))
    }

    /// A provider's relations to many patients at once (care team, live break-glass), for lists
    /// that would otherwise look each patient up: feed each to [`decide_with`].
    pub(crate) async fn provider_relations(
        &self,
        work: &mut impl Audited,
        actor: &Actor,
    ) -> Result<ProviderRelations, AppError> {
        if actor.role != Role::Provider {
            return Ok(ProviderRelations::default());
        }
        let (team, glass) = work
            .read()
            .provider_patients(&actor.user_id, self.now_ms())
            .await?;
        Ok(ProviderRelations {
            team: team.into_iter().collect(),
            glass: glass.into_iter().collect(),
        })
    }

    /// The actor's relation to a patient, from data stored in `tx` (patients: their own
    /// record). `on_care_team` is passed when the caller's own query already told.
    pub(crate) async fn relation_in(
        &self,
        tx: &mut dyn TxRead,
        actor: &Actor,
        patient_id: &PatientId,
        on_care_team: Option<bool>,
    ) -> Result<Relation, AppError> {
        Ok(match actor.role {
            Role::Provider
                if match on_care_team {
                    Some(known) => known,
                    None => tx.on_care_team(patient_id, &actor.user_id).await?,
                } =>
            {
                Relation::CareTeam
            }
            Role::Provider
                if tx
                    .has_break_glass(patient_id, &actor.user_id, self.now_ms())
                    .await? =>
            {
                Relation::BreakGlass
            }
            Role::Patient => {
                let own = tx
                    .user_by_id(&actor.user_id)
                    .await?
                    .and_then(|u| u.patient_id)
                    .is_some_and(|linked| linked == *patient_id);
                if own {
                    Relation::SelfRecord
                } else {
                    Relation::None
                }
            }
            _ => Relation::None,
        })
    }
}

/// A provider's patients, for deciding many patients in one go.
#[derive(Debug, Default)]
pub(crate) struct ProviderRelations {
    team: std::collections::HashSet<PatientId>,
    glass: std::collections::HashSet<PatientId>,
}

impl ProviderRelations {
    pub(crate) fn relation(&self, patient_id: &PatientId) -> Relation {
        if self.team.contains(patient_id) {
            Relation::CareTeam
        } else if self.glass.contains(patient_id) {
            Relation::BreakGlass
        } else {
            Relation::None
        }
    }
}

/// A question for the policy: the SPEC §2 matrix, or one of its rules about people.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Ask<'a> {
    /// May the actor, related to the data as `relation`, do `action` on `resource`?
    Matrix {
        relation: Relation,
        resource: Resource,
        action: Action,
    },
    /// May the actor change (or disable) the account `target`? Never their own.
    AccountChange { target: &'a UserId },
    /// May the actor assign a provider to a patient's care team?
    CareTeam,
    /// May the actor, related to the patient as `relation`, take a provider off the care team?
    CareTeamRemoval { relation: Relation },
    /// May the actor confirm or decline a patient's appointment request?
    BookingRequest,
    /// May the actor co-sign charts, the practice having named `director`?
    Cosign { director: Option<&'a UserId> },
    /// May the actor edit or sign a draft written by `author`?
    DraftAuthor { author: &'a UserId },
    /// May the actor read the product catalogue and stock?
    CatalogueRead,
    /// May the actor add products and receive stock?
    CatalogueMaintain,
    /// May the actor use the patient portal's own views?
    Portal,
    /// May the actor, related to the thread's patient as `relation`, do `action` on a thread
    /// of `kind`?
    Thread {
        relation: Relation,
        action: Action,
        kind: vial_core::ThreadKind,
    },
    /// May the actor read and write a thread's internal notes?
    InternalNote,
    /// May the actor write and use the practice's message templates?
    MessageTemplates,
    /// May the actor approve the account `target` that `invited_by` invited (both `None`: may
    /// they approve accounts at all), the practice having named `director`?
    AccountApproval {
        target: Option<&'a UserId>,
        invited_by: Option<&'a UserId>,
        director: Option<&'a UserId>,
    },
}

impl Ask<'_> {
    /// A practice-wide resource (administration, the audit log as a whole): the role decides.
    pub(crate) fn practice(resource: Resource, action: Action) -> Self {
        Ask::Matrix {
            relation: Relation::None,
            resource,
            action,
        }
    }
}

/// The one door: asks the policy and records the decision — allowed or denied — as `event`
/// in the unit of work, before anything is read for or returned to the actor. Every
/// permission decision in this crate goes through here (a test checks that no other file
/// calls the policy).
pub(crate) fn decide(
    work: &mut impl Audited,
    actor: &Actor,
    ask: Ask<'_>,
    event: AuditEvent,
) -> Decision {
    let decision = policy(actor, ask);
    work.audit(match decision {
        Decision::Allow(_) => event,
        Decision::Deny(reason) => event.denied(reason.as_str()),
    });
    decision
}

/// Whether [`decide`] would allow `ask`, without recording anything: for what comes before the
/// decision (asking a re-authentication, which spends a one-time code; choosing which refusal to
/// record). The decision itself is still [`decide`]'s, recorded.
pub(crate) fn permits(actor: &Actor, ask: Ask<'_>) -> bool {
    policy(actor, ask).is_allowed()
}

fn policy(actor: &Actor, ask: Ask<'_>) -> Decision {
    match ask {
        Ask::Matrix {
            relation,
            resource,
            action,
        } => vial_core::decide(actor.role, relation, resource, action),
        Ask::AccountChange { target } => {
            vial_core::may_change_role(&actor.user_id, actor.role, target)
        }
        Ask::CareTeam => vial_core::may_assign_care_team(actor.role),
        Ask::CareTeamRemoval { relation } => {
            vial_core::may_remove_from_care_team(actor.role, relation)
        }
        Ask::BookingRequest => vial_core::may_decide_booking_request(actor.role),
        Ask::Cosign { director } => vial_core::may_cosign(&actor.user_id, actor.role, director),
        Ask::DraftAuthor { author } => vial_core::may_write_draft(&actor.user_id, author),
        Ask::CatalogueRead => vial_core::may_read_catalogue(actor.role),
        Ask::CatalogueMaintain => vial_core::may_maintain_catalogue(actor.role),
        Ask::Portal => vial_core::may_use_portal(actor.role),
        Ask::Thread {
            relation,
            action,
            kind,
        } => vial_core::may_access_thread(actor.role, relation, action, kind),
        Ask::InternalNote => vial_core::may_see_internal_notes(actor.role),
        Ask::MessageTemplates => vial_core::may_use_message_templates(actor.role),
        Ask::AccountApproval {
            target,
            invited_by,
            director,
        } => {
            vial_core::may_approve_account(&actor.user_id, actor.role, target, invited_by, director)
        }
    }
}

/// The answer to an id that names nothing (a record, a photo, a patient): what the actor would
/// get for one of a patient they have no relation to — the denial recorded under the id asked
/// for — so that the status never tells whether an id exists. Only an actor who could open any
/// such record learns that it is missing (nothing is recorded then, as nothing was shown).
pub(crate) fn unknown(
    work: &mut impl Audited,
    actor: &Actor,
    (resource, action): (Resource, Action),
    audit_action: &'static str,
    (kind, id): (&'static str, &str),
    what: &'static str,
) -> AppError {
    let ask = Ask::practice(resource, action);
    if permits(actor, ask) {
        return AppError::NotFound(what);
    }
    let event = unknown_event(actor, audit_action, (kind, id));
    match authorize(work, actor, ask, event) {
        Ok(_) => AppError::NotFound(what),
        Err(denied) => denied,
    }
}

/// The entry a refusal of an unknown id records: the id asked for, no patient.
fn unknown_event(actor: &Actor, audit_action: &str, (kind, id): (&str, &str)) -> AuditEvent {
    AuditEvent::by(audit_action, actor)
        .resource(kind, id)
        .purpose(purpose_of(actor.role))
}

/// [`decide`], failing with `Forbidden` on a denial (which stays recorded).
pub(crate) fn authorize(
    work: &mut impl Audited,
    actor: &Actor,
    ask: Ask<'_>,
    event: AuditEvent,
) -> Result<Scope, AppError> {
    match decide(work, actor, ask, event) {
        Decision::Allow(scope) => Ok(scope),
        Decision::Deny(reason) => Err(AppError::Forbidden(reason.as_str())),
    }
}

/// [`App::authorize`] with the relation already known (read along with the record itself).
pub(crate) fn authorize_with(
    work: &mut impl Audited,
    actor: &Actor,
    relation: Relation,
    access: Access<'_>,
) -> Result<Scope, AppError> {
    authorize(
        work,
        actor,
        access.ask(relation),
        access.event_under(actor, relation),
    )
}

/// [`authorize_with`] that records only a denial: a check ahead of the use case that then
/// decides, and records, the allowed access itself.
pub(crate) fn refuse_with(
    work: &mut impl Audited,
    actor: &Actor,
    relation: Relation,
    access: Access<'_>,
) -> Result<(), AppError> {
    if permits(actor, access.ask(relation)) {
        return Ok(());
    }
    authorize_with(work, actor, relation, access).map(|_| ())
}

/// A patient-scoped decision with a known relation, recorded through [`decide`].
pub(crate) fn decide_with(
    work: &mut impl Audited,
    actor: &Actor,
    relation: Relation,
    access: Access<'_>,
) -> Decision {
    decide(
        work,
        actor,
        access.ask(relation),
        access.event_under(actor, relation),
    )
}

impl Access<'_> {
    fn ask(&self, relation: Relation) -> Ask<'static> {
        Ask::Matrix {
            relation,
            resource: self.resource,
            action: self.action,
        }
    }

    /// [`Access::event`] decided under `relation`: an access under a break-glass grant is
    /// recorded as emergency access, whatever the use case's usual purpose.
    fn event_under(&self, actor: &Actor, relation: Relation) -> AuditEvent {
        let event = self.event(actor);
        match relation {
            Relation::BreakGlass => event.purpose(EMERGENCY),
            _ => event,
        }
    }

    /// The single shape of a patient-scoped audit entry.
    pub(crate) fn event(&self, actor: &Actor) -> AuditEvent {
        AuditEvent::by(self.audit_action, actor)
            .patient(self.patient_id)
            .resource("patient", self.patient_id)
            .purpose(self.purpose)
    }
}

/// The purpose of use recorded for access under a break-glass grant.
pub(crate) const EMERGENCY: &str = "emergency";

/// The purpose of use recorded for a role's access to clinical data.
pub(crate) fn purpose_of(role: Role) -> &'static str {
    match role {
        Role::Provider => "treatment",
        Role::Staff | Role::Admin => "operations",
        Role::Patient => "patient_access",
    }
}

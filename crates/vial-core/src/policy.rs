//! The permission matrix of SPEC §2 (deny by default), as one table and one pure function.
//!
//! [`decide`] answers "may this role, with this relation to the record's patient, perform this
//! action on this resource?". The grants live in the private `RULES` table and nowhere else; a
//! combination not listed there is denied. Relation requirements depend only on the role (see
//! `relation_check`): providers need the care team or break-glass, patients need their own
//! record, staff and admin rights are practice-wide.

use crate::ids::UserId;
use crate::role::Role;

vocabulary! {
    /// What is being accessed: one variant per row of the SPEC §2 matrix.
    pub enum Resource {
        /// Demographics & contact details.
        Demographics = "demographics",
        /// Appointments (who is booked when, with whom, where).
        Appointments = "appointments",
        /// The service booked on an appointment (e.g. "neurotoxin consult").
        ServiceBooked = "service_booked",
        /// Medical history, allergies, medications.
        MedicalHistory = "medical_history",
        /// Treatment records, treatment plans, SOAP notes.
        ClinicalRecords = "clinical_records",
        /// Clinical photos.
        Photos = "photos",
        /// Consents (treatment, photography, marketing, telehealth).
        Consents = "consents",
        /// Secure message threads.
        Messages = "messages",
        /// The audit log.
        AuditLog = "audit_log",
        /// Practice administration: users and roles, devices, vendors/BAAs, keys.
        Administration = "administration",
    }
}

vocabulary! {
    /// What is being done to the resource. Only the verbs the matrix uses.
    pub enum Action {
        /// View the resource.
        Read = "read",
        /// Create or change it (for a patient's appointment: request one; for messages: send).
        Write = "write",
        /// Sign a clinical record or note (provider), or sign one's own consent (patient).
        Sign = "sign",
        /// Append an amendment to a signed record; the original is kept.
        Amend = "amend",
        /// Take a new clinical photo.
        Capture = "capture",
        /// Collect a patient's consent signature on the practice's behalf (staff).
        Collect = "collect",
        /// Export out of Vial (audit log export).
        Export = "export",
        /// Ask the practice to change one's own demographics (patient); not a direct write.
        RequestChange = "request_change",
        /// Cancel one's own appointment (patient).
        Cancel = "cancel",
    }
}

vocabulary! {
    /// The actor's relation to the record's patient, decided by the caller from data.
    /// For practice-wide resources (audit log, administration) pass [`Relation::None`], except a
    /// patient reading the access log of their own record ([`Relation::SelfRecord`]).
    pub enum Relation {
        /// A provider assigned to the patient's care team, or booked with the patient.
        CareTeam = "care_team",
        /// A provider holding an active, audited break-glass grant for this patient.
        BreakGlass = "break_glass",
        /// The patient's own record, own thread, own appointment, own consent.
        SelfRecord = "self_record",
        /// A provider invited into one workforce thread ("consult a colleague"): that thread
        /// only, never the chart ([`may_access_thread`]; [`decide`] grants it nothing).
        ThreadInvitee = "thread_invitee",
        /// No relation to the record's patient.
        None = "none",
    }
}

vocabulary! {
    /// How much of the resource an allowed action covers. The caller must enforce the narrowing.
    pub enum Scope {
        /// The whole resource.
        Full = "full",
        /// Name and contact fields only (admin reading demographics).
        NameAndContactOnly = "name_and_contact_only",
        /// Signed notes and records only, never drafts (patient reading clinical records).
        SignedOnly = "signed_only",
        /// Only appointments on the provider's own schedule.
        OwnSchedule = "own_schedule",
        /// Only threads about logistics, never clinical threads (staff messages).
        LogisticsThreads = "logistics_threads",
        /// Consent status only, not the signed form or signature (admin).
        StatusOnly = "status_only",
        /// Only "who accessed my record" entries about the patient's own record.
        OwnAccessLog = "own_access_log",
    }
}

vocabulary! {
    /// Why a request was denied. The codes go into audit entries: fixed words, never data.
    pub enum DenyReason {
        /// The matrix grants this role nothing for this action on this resource.
        NotPermittedForRole = "not_permitted_for_role",
        /// A provider right, but the provider is neither on the care team nor under break-glass.
        NotOnCareTeam = "not_on_care_team",
        /// A patient right, but the record is not the patient's own.
        NotOwnRecord = "not_own_record",
        /// Someone tried to change their own role.
        OwnRoleChange = "own_role_change",
        /// The account's stored role is not a known role (for callers rejecting a
        /// [`crate::UnknownRole`]); [`decide`] itself never returns it.
        UnknownRole = "unknown_role",
        /// An actor or target id was empty, so identity could not be established.
        InvalidIdentity = "invalid_identity",
        /// Co-signing (and its queue) is the practice's medical director's alone.
        NotMedicalDirector = "not_medical_director",
        /// A draft is edited and signed by its author only; others amend once it is signed.
        NotTheAuthor = "not_the_author",
        /// An account is approved by a second person, never by the admin who invited it (nor by
        /// its own person).
        SamePersonAsInviter = "same_person_as_inviter",
        /// A clinical thread, asked for by someone whose messages right covers logistics only.
        ClinicalThread = "clinical_thread",
        /// A workforce-only thread, asked for by the patient it is about.
        TeamThread = "team_thread",
        /// A workforce note inside a thread, asked for by the patient.
        InternalNote = "internal_note",
    }
}

/// The outcome of a policy check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decision {
    /// Allowed, limited to the given scope.
    Allow(Scope),
    /// Denied, with a data-free reason code for the audit entry.
    Deny(DenyReason),
}

impl Decision {
    /// True only for [`Decision::Allow`].
    pub const fn is_allowed(self) -> bool {
        matches!(self, Decision::Allow(_))
    }

    /// The granted scope, or `None` when denied.
    pub const fn scope(self) -> Option<Scope> {
        match self {
            Decision::Allow(scope) => Some(scope),
            Decision::Deny(_) => None,
        }
    }
}

/// One grant: `role` may perform each of `actions` on `resource`, limited to `scope`.
#[derive(Debug)]
struct Rule {
    resource: Resource,
    role: Role,
    actions: &'static [Action],
    scope: Scope,
}

const fn rule(resource: Resource, role: Role, actions: &'static [Action], scope: Scope) -> Rule {
    Rule {
        resource,
        role,
        actions,
        scope,
    }
}

use Action::*;
use Resource::*;
use Role::{Admin, Patient, Provider, Staff};
use Scope::*;

/// SPEC §2, row by row: each comment is the spec row verbatim (columns provider, staff, admin,
/// patient); the rules under it are that row. A "none" cell has no rule.
/// Relation requirements are not here: they follow from the role (see [`relation_check`]).
#[rustfmt::skip]
const RULES: &[Rule] = &[
    // resource | provider (care team) | staff | admin | patient (self)
    // demographics & contact | read/write | read/write | read (name, contact) |
    //   read; request change
    rule(Demographics,    Provider, &[Read, Write],              Full),
    rule(Demographics,    Staff,    &[Read, Write],              Full),
    rule(Demographics,    Admin,    &[Read],                     NameAndContactOnly),
    rule(Demographics,    Patient,  &[Read, RequestChange],      Full),
    // appointments | read/write own schedule | read/write all | read | read own; request/cancel
    rule(Appointments,    Provider, &[Read, Write],              OwnSchedule),
    rule(Appointments,    Staff,    &[Read, Write],              Full),
    rule(Appointments,    Admin,    &[Read],                     Full),
    rule(Appointments,    Patient,  &[Read, Write, Cancel],      Full),
    // service booked | read | read | read | read
    rule(ServiceBooked,   Provider, &[Read],                     Full),
    rule(ServiceBooked,   Staff,    &[Read],                     Full),
    rule(ServiceBooked,   Admin,    &[Read],                     Full),
    rule(ServiceBooked,   Patient,  &[Read],                     Full),
    // medical history, allergies, meds | read/write | none | none | read
    rule(MedicalHistory,  Provider, &[Read, Write],              Full),
    rule(MedicalHistory,  Patient,  &[Read],                     Full),
    // treatment records, plans, SOAP notes | read/write; sign; amend | none | none | read signed
    rule(ClinicalRecords, Provider, &[Read, Write, Sign, Amend], Full),
    rule(ClinicalRecords, Patient,  &[Read],                     SignedOnly),
    // photos | capture/read | none | none | read own
    rule(Photos,          Provider, &[Capture, Read],            Full),
    rule(Photos,          Patient,  &[Read],                     Full),
    // consents | read/write | read/collect | read status | read/sign own
    rule(Consents,        Provider, &[Read, Write],              Full),
    rule(Consents,        Staff,    &[Read, Collect],            Full),
    rule(Consents,        Admin,    &[Read],                     StatusOnly),
    rule(Consents,        Patient,  &[Read, Sign],               Full),
    // messages | threads of their patients | logistics threads | none | own threads
    rule(Messages,        Provider, &[Read, Write],              Full),
    rule(Messages,        Staff,    &[Read, Write],              LogisticsThreads),
    rule(Messages,        Patient,  &[Read, Write],              Full),
    // audit log | none | none | read/export | read "who accessed my record"
    rule(AuditLog,        Admin,    &[Read, Export],             Full),
    rule(AuditLog,        Patient,  &[Read],                     OwnAccessLog),
    // users, devices, vendors/BAAs, keys | none | none | read/write | none
    rule(Administration,  Admin,    &[Read, Write],              Full),
];

/// Whether `relation` satisfies what `role`'s grants require (SPEC §1 and the §2 column heads).
fn relation_check(role: Role, relation: Relation) -> Result<(), DenyReason> {
    match (role, relation) {
        // "provider (care team)"; break-glass is the audited emergency path into the same rights.
        (Provider, Relation::CareTeam | Relation::BreakGlass) => Ok(()),
        (Provider, _) => Err(DenyReason::NotOnCareTeam),
        // "patient (self)".
        (Patient, Relation::SelfRecord) => Ok(()),
        (Patient, _) => Err(DenyReason::NotOwnRecord),
        // Staff and admin rights are practice-wide: they never depend on the care team.
        (Staff | Admin, _) => Ok(()),
    }
}

/// Decides one request against SPEC §2. Deny by default: only what `RULES` lists is allowed.
///
/// A role with no grant for the action gets [`DenyReason::NotPermittedForRole`] whatever the
/// relation; a granted right with the wrong relation gets [`DenyReason::NotOnCareTeam`]
/// (provider) or [`DenyReason::NotOwnRecord`] (patient).
pub fn decide(role: Role, relation: Relation, resource: Resource, action: Action) -> Decision {
    let grant = RULES
        .iter()
        .find(|r| r.role == role && r.resource == resource && r.actions.contains(&action));
    let Some(grant) = grant else {
        return Decision::Deny(DenyReason::NotPermittedForRole);
    };
    match relation_check(role, relation) {
        Ok(()) => Decision::Allow(grant.scope),
        Err(reason) => Decision::Deny(reason),
    }
}

/// May `actor_id` (with `actor_role`) change the role of `target_user_id`? Only admins, never
/// on themselves (SPEC §2: "Nobody may change their own role").
///
/// Ids are compared after trimming and ASCII case folding: treating two spellings of one id as
/// "self" can only cause an extra denial, never an extra grant. Empty ids are denied.
pub fn may_change_role(actor_id: &UserId, actor_role: Role, target_user_id: &UserId) -> Decision {
    let (actor, target) = (actor_id.as_str().trim(), target_user_id.as_str().trim());
    if actor.is_empty() || target.is_empty() {
        return Decision::Deny(DenyReason::InvalidIdentity);
    }
    if actor.eq_ignore_ascii_case(target) {
        return Decision::Deny(DenyReason::OwnRoleChange);
    }
    // Roles are user administration: reuse the table so this right lives in one place.
    decide(actor_role, Relation::None, Administration, Write)
}

/// May `actor_id` co-sign charts and see the co-signature queue? Only a provider whom the
/// practice named its medical director (`director`, a practice setting); nobody while none is
/// named. Whether they may co-sign a given chart (never their own, on the care team) is
/// decided with the chart.
pub fn may_cosign(actor_id: &UserId, actor_role: Role, director: Option<&UserId>) -> Decision {
    let actor = actor_id.as_str().trim();
    if actor.is_empty() {
        return Decision::Deny(DenyReason::InvalidIdentity);
    }
    match director {
        Some(director) if actor_role == Role::Provider && director.as_str().trim() == actor => {
            Decision::Allow(Scope::Full)
        }
        _ => Decision::Deny(DenyReason::NotMedicalDirector),
    }
}

/// May `actor_id` edit or sign a draft written by `author_id`? Only its author: the note names
/// them, so nobody else may put words under that name (others amend after signing, as
/// themselves).
pub fn may_write_draft(actor_id: &UserId, author_id: &UserId) -> Decision {
    let actor = actor_id.as_str().trim();
    if actor.is_empty() {
        return Decision::Deny(DenyReason::InvalidIdentity);
    }
    if actor == author_id.as_str().trim() {
        Decision::Allow(Scope::Full)
    } else {
        Decision::Deny(DenyReason::NotTheAuthor)
    }
}

/// May someone with `role` read the practice's product catalogue and stock? The workforce (no
/// patient data in it, but it is the practice's business, not the public's).
pub fn may_read_catalogue(role: Role) -> Decision {
    if role.is_workforce() {
        Decision::Allow(Scope::Full)
    } else {
        Decision::Deny(DenyReason::NotPermittedForRole)
    }
}

/// May someone with `role` add products and receive stock? Admins and providers.
pub fn may_maintain_catalogue(role: Role) -> Decision {
    match role {
        Role::Admin | Role::Provider => Decision::Allow(Scope::Full),
        Role::Staff | Role::Patient => Decision::Deny(DenyReason::NotPermittedForRole),
    }
}

/// What a message thread is, for [`may_access_thread`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThreadKind {
    /// Routed to the front desk (scheduling, billing, other), not a clinical concern.
    pub logistics: bool,
    /// Between the workforce alone: the patient never sees it.
    pub team: bool,
}

/// May someone with `role`, related to the thread's patient as `relation`, do `action` on a
/// thread of `kind`? The messages row of SPEC §2, narrowed: staff ("logistics threads") only
/// logistics threads, a patient ("own threads") never the workforce's own.
pub fn may_access_thread(
    role: Role,
    relation: Relation,
    action: Action,
    kind: ThreadKind,
) -> Decision {
    let relation = match relation {
        // An invitation opens a workforce thread to a provider, and nothing else.
        Relation::ThreadInvitee if role == Provider && kind.team => Relation::CareTeam,
        Relation::ThreadInvitee if role == Provider => {
            return Decision::Deny(DenyReason::NotOnCareTeam);
        }
        other => other,
    };
    match decide(role, relation, Messages, action) {
        Decision::Allow(Scope::LogisticsThreads) if !kind.logistics => {
            Decision::Deny(DenyReason::ClinicalThread)
        }
        Decision::Allow(_) if kind.team && role == Patient => {
            Decision::Deny(DenyReason::TeamThread)
        }
        other => other,
    }
}

/// May someone with `role` read or write a thread's internal notes? The workforce only.
pub fn may_see_internal_notes(role: Role) -> Decision {
    match role {
        Provider | Staff => Decision::Allow(Scope::Full),
        _ => Decision::Deny(DenyReason::InternalNote),
    }
}

/// May someone with `role` write and use the practice's message templates (aftercare
/// instructions and the like)? Those who write to patients: providers and the front desk.
pub fn may_use_message_templates(role: Role) -> Decision {
    match role {
        Provider | Staff => Decision::Allow(Scope::Full),
        _ => Decision::Deny(DenyReason::NotPermittedForRole),
    }
}

/// May someone with `role` use the patient portal's own views (my appointments, who opened my
/// record)? Patients only: the workforce has its own views.
pub fn may_use_portal(role: Role) -> Decision {
    match role {
        Role::Patient => Decision::Allow(Scope::Full),
        _ => Decision::Deny(DenyReason::NotPermittedForRole),
    }
}

/// May someone with `role` put a provider on a patient's care team? SPEC §5: staff and admin
/// (front desk books, the practice manager assigns); providers and patients may not, so nobody
/// grants themselves access.
pub fn may_assign_care_team(role: Role) -> Decision {
    match role {
        Role::Staff | Role::Admin => Decision::Allow(Scope::Full),
        Role::Provider | Role::Patient => Decision::Deny(DenyReason::NotPermittedForRole),
    }
}

/// May someone with `role`, related to the patient as `relation`, take a provider off the
/// patient's care team? An admin (the practice's operations), or a provider on that care team
/// (handing a patient over); nobody under a break-glass grant, nobody else.
pub fn may_remove_from_care_team(role: Role, relation: Relation) -> Decision {
    match (role, relation) {
        (Role::Admin, _) | (Role::Provider, Relation::CareTeam) => Decision::Allow(Scope::Full),
        (Role::Provider, _) => Decision::Deny(DenyReason::NotOnCareTeam),
        (Role::Staff | Role::Patient, _) => Decision::Deny(DenyReason::NotPermittedForRole),
    }
}

/// May `actor_id` approve an account that `invited_by` created (`target` its id), the practice
/// having named `director` its medical director? Another admin, or the medical director — a
/// second person, so that no admin alone makes a provider (or another admin) who can reach
/// clinical data. Never the inviter, never the account itself. `invited_by` is `None` for the
/// question "may the actor approve accounts at all" (the list of accounts awaiting approval).
pub fn may_approve_account(
    actor_id: &UserId,
    actor_role: Role,
    target: Option<&UserId>,
    invited_by: Option<&UserId>,
    director: Option<&UserId>,
) -> Decision {
    let actor = actor_id.as_str().trim();
    if actor.is_empty() {
        return Decision::Deny(DenyReason::InvalidIdentity);
    }
    let same = |other: Option<&UserId>| {
        other.is_some_and(|o| o.as_str().trim().eq_ignore_ascii_case(actor))
    };
    if same(invited_by) || same(target) {
        return Decision::Deny(DenyReason::SamePersonAsInviter);
    }
    let is_director = actor_role == Role::Provider && same(director);
    if actor_role == Role::Admin || is_director {
        Decision::Allow(Scope::Full)
    } else {
        Decision::Deny(DenyReason::NotPermittedForRole)
    }
}

/// May someone with `role` confirm or decline a patient's appointment request? The front desk
/// (staff) only: confirming books the provider's time and puts them on the care team, so a
/// provider never does it for themselves, nor a patient; admins read the schedule, they do not
/// book it (SPEC §2).
pub fn may_decide_booking_request(role: Role) -> Decision {
    match role {
        Role::Staff => Decision::Allow(Scope::Full),
        Role::Admin | Role::Provider | Role::Patient => {
            Decision::Deny(DenyReason::NotPermittedForRole)
        }
    }
}

#[cfg(test)]
mod thread_tests {
    use super::*;

    #[test]
    fn threads_narrow_the_messages_row() {
        let clinical = ThreadKind {
            logistics: false,
            team: false,
        };
        let logistics = ThreadKind {
            logistics: true,
            team: false,
        };
        let team = ThreadKind {
            logistics: false,
            team: true,
        };
        let allowed = |d: Decision| d.is_allowed();
        assert!(allowed(may_access_thread(
            Provider,
            Relation::CareTeam,
            Read,
            clinical
        )));
        assert!(allowed(may_access_thread(
            Provider,
            Relation::CareTeam,
            Write,
            team
        )));
        assert_eq!(
            may_access_thread(Provider, Relation::None, Read, logistics),
            Decision::Deny(DenyReason::NotOnCareTeam)
        );
        assert!(allowed(may_access_thread(
            Staff,
            Relation::None,
            Write,
            logistics
        )));
        assert_eq!(
            may_access_thread(Staff, Relation::None, Read, clinical),
            Decision::Deny(DenyReason::ClinicalThread)
        );
        assert_eq!(
            may_access_thread(Admin, Relation::None, Read, logistics),
            Decision::Deny(DenyReason::NotPermittedForRole)
        );
        assert!(allowed(may_access_thread(
            Patient,
            Relation::SelfRecord,
            Write,
            clinical
        )));
        assert_eq!(
            may_access_thread(Patient, Relation::SelfRecord, Read, team),
            Decision::Deny(DenyReason::TeamThread)
        );
        assert_eq!(
            may_access_thread(Patient, Relation::None, Read, logistics),
            Decision::Deny(DenyReason::NotOwnRecord)
        );
        // An invitation opens a team thread to a provider, and nothing else.
        let invited = Relation::ThreadInvitee;
        assert!(allowed(may_access_thread(Provider, invited, Write, team)));
        assert_eq!(
            may_access_thread(Provider, invited, Read, clinical),
            Decision::Deny(DenyReason::NotOnCareTeam)
        );
        assert_eq!(
            may_access_thread(Patient, invited, Read, team),
            Decision::Deny(DenyReason::NotOwnRecord)
        );
        for resource in Resource::ALL {
            for action in Action::ALL {
                assert!(!decide(Provider, invited, resource, action).is_allowed());
            }
        }
        assert!(may_see_internal_notes(Provider).is_allowed());
        assert!(may_see_internal_notes(Staff).is_allowed());
        assert!(!may_see_internal_notes(Patient).is_allowed());
        assert!(!may_see_internal_notes(Admin).is_allowed());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_front_desk_decides_booking_requests() {
        let allowed: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| may_decide_booking_request(*r).is_allowed())
            .collect();
        assert_eq!(allowed, vec![Role::Staff]);
    }

    #[test]
    fn admins_and_the_care_team_remove_from_it() {
        for role in Role::ALL {
            for relation in [
                Relation::None,
                Relation::CareTeam,
                Relation::BreakGlass,
                Relation::SelfRecord,
            ] {
                let allowed = may_remove_from_care_team(role, relation).is_allowed();
                let expected = role == Role::Admin
                    || (role == Role::Provider && relation == Relation::CareTeam);
                assert_eq!(allowed, expected, "{role:?} {relation:?}");
            }
        }
    }

    #[test]
    fn only_staff_and_admin_assign_care_teams() {
        let allowed: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| may_assign_care_team(*r).is_allowed())
            .collect();
        assert_eq!(allowed, vec![Role::Staff, Role::Admin]);
    }

    /// One cell of SPEC §2 per role: the actions granted and the scope they come with.
    type Cell = &'static [(Action, Scope)];

    /// SPEC §2 transcribed again, independently of [`RULES`], in the spec's own shape:
    /// one row per resource, columns provider, staff, admin, patient.
    #[rustfmt::skip]
    const MATRIX: [(Resource, [Cell; 4]); 10] = [
        (Demographics, [
            &[(Read, Full), (Write, Full)],
            &[(Read, Full), (Write, Full)],
            &[(Read, NameAndContactOnly)],
            &[(Read, Full), (RequestChange, Full)],
        ]),
        (Appointments, [
            &[(Read, OwnSchedule), (Write, OwnSchedule)],
            &[(Read, Full), (Write, Full)],
            &[(Read, Full)],
            &[(Read, Full), (Write, Full), (Cancel, Full)],
        ]),
        (ServiceBooked, [&[(Read, Full)], &[(Read, Full)], &[(Read, Full)], &[(Read, Full)]]),
        (MedicalHistory, [&[(Read, Full), (Write, Full)], &[], &[], &[(Read, Full)]]),
        (ClinicalRecords, [
            &[(Read, Full), (Write, Full), (Sign, Full), (Amend, Full)],
            &[],
            &[],
            &[(Read, SignedOnly)],
        ]),
        (Photos, [&[(Capture, Full), (Read, Full)], &[], &[], &[(Read, Full)]]),
        (Consents, [
            &[(Read, Full), (Write, Full)],
            &[(Read, Full), (Collect, Full)],
            &[(Read, StatusOnly)],
            &[(Read, Full), (Sign, Full)],
        ]),
        (Messages, [
            &[(Read, Full), (Write, Full)],
            &[(Read, LogisticsThreads), (Write, LogisticsThreads)],
            &[],
            &[(Read, Full), (Write, Full)],
        ]),
        (AuditLog, [&[], &[], &[(Read, Full), (Export, Full)], &[(Read, OwnAccessLog)]]),
        (Administration, [&[], &[], &[(Read, Full), (Write, Full)], &[]]),
    ];

    /// The expected decision, computed from [`MATRIX`] with the column-head rules spelled out
    /// separately from [`relation_check`].
    fn expected(role: Role, relation: Relation, resource: Resource, action: Action) -> Decision {
        let column = match role {
            Provider => 0,
            Staff => 1,
            Admin => 2,
            Patient => 3,
        };
        let row = MATRIX.iter().find(|(res, _)| *res == resource).unwrap();
        let Some(&(_, scope)) = row.1[column].iter().find(|(a, _)| *a == action) else {
            return Decision::Deny(DenyReason::NotPermittedForRole);
        };
        let provider_ok = relation == Relation::CareTeam || relation == Relation::BreakGlass;
        if role == Provider && !provider_ok {
            Decision::Deny(DenyReason::NotOnCareTeam)
        } else if role == Patient && relation != Relation::SelfRecord {
            Decision::Deny(DenyReason::NotOwnRecord)
        } else {
            Decision::Allow(scope)
        }
    }

    #[test]
    fn every_cell_matches_the_independent_transcription_of_spec_section_2() {
        assert_eq!(
            MATRIX.map(|(res, _)| res),
            Resource::ALL,
            "MATRIX must list every resource"
        );
        let mut checked = 0;
        let mut allowed = 0;
        let mut mismatches = Vec::new();
        for role in Role::ALL {
            for relation in Relation::ALL {
                for resource in Resource::ALL {
                    for action in Action::ALL {
                        let got = decide(role, relation, resource, action);
                        let want = expected(role, relation, resource, action);
                        if got != want {
                            mismatches.push(format!(
                                "{role} {relation} {resource} {action}: got {got:?}, want {want:?}"
                            ));
                        }
                        checked += 1;
                        allowed += usize::from(got.is_allowed());
                    }
                }
            }
        }
        assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
        assert_eq!(checked, 4 * 5 * 10 * 9);
        // Guards against both tables shrinking together. Action-level grants: provider 17
        // (via 2 relations), patient 14 (via 1), staff 9 and admin 8 (via all 5 relations).
        assert_eq!(allowed, 17 * 2 + 14 + (9 + 8) * 5);
    }

    #[test]
    fn rules_table_has_no_overlapping_grants() {
        // `decide` takes the first match, so a second grant for the same triple would be dead
        // text that a reviewer might believe is in force.
        for (i, a) in RULES.iter().enumerate() {
            for b in &RULES[i + 1..] {
                let overlap = a.role == b.role
                    && a.resource == b.resource
                    && a.actions.iter().any(|x| b.actions.contains(x));
                assert!(!overlap, "duplicate grant: {a:?} / {b:?}");
            }
        }
    }

    #[test]
    fn staff_and_admin_never_get_medical_history_clinical_records_or_photos() {
        for role in [Staff, Admin] {
            for relation in Relation::ALL {
                for resource in [MedicalHistory, ClinicalRecords, Photos] {
                    for action in Action::ALL {
                        assert_eq!(
                            decide(role, relation, resource, action),
                            Decision::Deny(DenyReason::NotPermittedForRole),
                            "{role} {relation} {resource} {action}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn provider_off_care_team_is_denied() {
        for relation in [Relation::None, Relation::SelfRecord] {
            for resource in [
                ClinicalRecords,
                MedicalHistory,
                Photos,
                Demographics,
                Messages,
            ] {
                assert_eq!(
                    decide(Provider, relation, resource, Read),
                    Decision::Deny(DenyReason::NotOnCareTeam)
                );
            }
        }
        // Not granted at all: the role reason wins over the relation reason.
        assert_eq!(
            decide(Provider, Relation::None, AuditLog, Read),
            Decision::Deny(DenyReason::NotPermittedForRole)
        );
    }

    #[test]
    fn break_glass_grants_the_care_team_rights() {
        for action in [Read, Write, Sign, Amend] {
            assert_eq!(
                decide(Provider, Relation::BreakGlass, ClinicalRecords, action),
                Decision::Allow(Full)
            );
        }
        assert_eq!(
            decide(Provider, Relation::BreakGlass, Photos, Capture),
            Decision::Allow(Full)
        );
        // Break-glass is a provider path only: it gives a patient nothing.
        assert_eq!(
            decide(Patient, Relation::BreakGlass, Photos, Read),
            Decision::Deny(DenyReason::NotOwnRecord)
        );
    }

    #[test]
    fn patient_gets_only_their_own_record() {
        for relation in [Relation::None, Relation::CareTeam, Relation::BreakGlass] {
            for resource in [Demographics, ClinicalRecords, Photos, Messages, AuditLog] {
                assert_eq!(
                    decide(Patient, relation, resource, Read),
                    Decision::Deny(DenyReason::NotOwnRecord)
                );
            }
        }
        let own = Relation::SelfRecord;
        assert_eq!(decide(Patient, own, Photos, Read), Decision::Allow(Full));
        assert_eq!(
            decide(Patient, own, ClinicalRecords, Read),
            Decision::Allow(SignedOnly)
        );
        assert_eq!(
            decide(Patient, own, AuditLog, Read),
            Decision::Allow(OwnAccessLog)
        );
        for (resource, action) in [
            (ClinicalRecords, Write),
            (Demographics, Write),
            (Photos, Capture),
            (AuditLog, Export),
            (Administration, Read),
        ] {
            assert_eq!(
                decide(Patient, own, resource, action),
                Decision::Deny(DenyReason::NotPermittedForRole)
            );
        }
    }

    #[test]
    fn only_admin_touches_administration_and_exports_the_audit_log() {
        for role in [Provider, Staff, Patient] {
            for relation in Relation::ALL {
                for action in Action::ALL {
                    assert!(!decide(role, relation, Administration, action).is_allowed());
                    assert!(!decide(role, relation, AuditLog, Export).is_allowed());
                }
            }
        }
        assert_eq!(
            decide(Admin, Relation::None, AuditLog, Export),
            Decision::Allow(Full)
        );
        assert_eq!(
            decide(Admin, Relation::None, Administration, Write),
            Decision::Allow(Full)
        );
    }

    #[test]
    fn nobody_changes_their_own_role() {
        let own = Decision::Deny(DenyReason::OwnRoleChange);
        for role in Role::ALL {
            assert_eq!(
                may_change_role(&UserId::from("u-1"), role, &UserId::from("u-1")),
                own
            );
        }
        assert_eq!(
            may_change_role(&UserId::from("u-ABC"), Admin, &UserId::from(" u-abc ")),
            own
        );
        assert_eq!(
            may_change_role(&UserId::from("u-1"), Admin, &UserId::from("u-2")),
            Decision::Allow(Full)
        );
        for role in [Provider, Staff, Patient] {
            assert_eq!(
                may_change_role(&UserId::from("u-1"), role, &UserId::from("u-2")),
                Decision::Deny(DenyReason::NotPermittedForRole)
            );
        }
        let invalid = Decision::Deny(DenyReason::InvalidIdentity);
        assert_eq!(
            may_change_role(&UserId::from(""), Admin, &UserId::from("u-2")),
            invalid
        );
        assert_eq!(
            may_change_role(&UserId::from("u-1"), Admin, &UserId::from("  ")),
            invalid
        );
    }

    #[test]
    fn catalogue_and_portal_rights_follow_the_role() {
        let allowed = |f: fn(Role) -> Decision| {
            Role::ALL
                .into_iter()
                .filter(|r| f(*r).is_allowed())
                .collect::<Vec<_>>()
        };
        assert_eq!(allowed(may_read_catalogue), [Provider, Staff, Admin]);
        assert_eq!(allowed(may_maintain_catalogue), [Provider, Admin]);
        assert_eq!(allowed(may_use_portal), [Patient]);
    }

    #[test]
    fn only_the_author_writes_a_draft() {
        let (a, b) = (UserId::from("u-1"), UserId::from("u-2"));
        assert_eq!(may_write_draft(&a, &a), Decision::Allow(Scope::Full));
        assert_eq!(
            may_write_draft(&b, &a),
            Decision::Deny(DenyReason::NotTheAuthor)
        );
        assert_eq!(
            may_write_draft(&UserId::from(" "), &UserId::from(" ")),
            Decision::Deny(DenyReason::InvalidIdentity)
        );
    }

    #[test]
    fn only_the_named_medical_director_cosigns() {
        let no = Decision::Deny(DenyReason::NotMedicalDirector);
        assert_eq!(
            may_cosign(&UserId::from("u-1"), Provider, Some(&UserId::from("u-1"))),
            Decision::Allow(Scope::Full)
        );
        assert_eq!(
            may_cosign(&UserId::from("u-2"), Provider, Some(&UserId::from("u-1"))),
            no
        );
        assert_eq!(may_cosign(&UserId::from("u-1"), Provider, None), no);
        for role in [Staff, Admin, Patient] {
            assert_eq!(
                may_cosign(&UserId::from("u-1"), role, Some(&UserId::from("u-1"))),
                no,
                "{role:?}"
            );
        }
        assert_eq!(
            may_cosign(&UserId::from(" "), Provider, Some(&UserId::from(" "))),
            Decision::Deny(DenyReason::InvalidIdentity)
        );
    }

    #[test]
    fn codes_are_stable_snake_case_words() {
        // Audit entries store these strings; changing one breaks the meaning of old entries.
        assert_eq!(
            DenyReason::ALL.map(DenyReason::as_str),
            [
                "not_permitted_for_role",
                "not_on_care_team",
                "not_own_record",
                "own_role_change",
                "unknown_role",
                "invalid_identity",
                "not_medical_director",
                "not_the_author",
                "same_person_as_inviter",
                "clinical_thread",
                "team_thread",
                "internal_note",
            ]
        );
        let codes = DenyReason::ALL
            .iter()
            .map(|c| c.as_str())
            .chain(Resource::ALL.iter().map(|c| c.as_str()))
            .chain(Action::ALL.iter().map(|c| c.as_str()))
            .chain(Relation::ALL.iter().map(|c| c.as_str()))
            .chain(Scope::ALL.iter().map(|c| c.as_str()));
        for code in codes {
            let snake = !code.is_empty()
                && !code.starts_with('_')
                && !code.ends_with('_')
                && code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
            assert!(snake, "{code:?} is not snake_case");
        }
        assert_eq!(DenyReason::NotOnCareTeam.to_string(), "not_on_care_team");
    }

    #[test]
    fn accounts_are_approved_by_a_second_person_only() {
        let (inviter, other, director, target) = (
            UserId::from("usr_inviter"),
            UserId::from("usr_other"),
            UserId::from("usr_director"),
            UserId::from("usr_new"),
        );
        let ask = |actor: &UserId, role: Role, dir: Option<&UserId>| {
            may_approve_account(actor, role, Some(&target), Some(&inviter), dir)
        };
        assert!(ask(&other, Role::Admin, None).is_allowed(), "another admin");
        assert!(ask(&director, Role::Provider, Some(&director)).is_allowed());
        let same = Decision::Deny(DenyReason::SamePersonAsInviter);
        assert_eq!(ask(&inviter, Role::Admin, None), same);
        assert_eq!(ask(&UserId::from(" USR_INVITER "), Role::Admin, None), same);
        assert_eq!(ask(&target, Role::Admin, None), same, "never oneself");
        // The inviter stays refused even when they are also the named director.
        assert_eq!(ask(&inviter, Role::Provider, Some(&inviter)), same);
        let role = Decision::Deny(DenyReason::NotPermittedForRole);
        assert_eq!(ask(&other, Role::Provider, Some(&director)), role);
        assert_eq!(ask(&director, Role::Provider, None), role, "none named");
        assert_eq!(ask(&director, Role::Staff, Some(&director)), role);
        assert_eq!(ask(&director, Role::Patient, Some(&director)), role);
        assert_eq!(
            ask(&UserId::from(" "), Role::Admin, None),
            Decision::Deny(DenyReason::InvalidIdentity)
        );
        assert!(
            may_approve_account(&other, Role::Admin, None, None, None).is_allowed(),
            "the question whether one may approve at all"
        );
    }

    #[test]
    fn decision_helpers() {
        assert_eq!(Decision::Allow(SignedOnly).scope(), Some(SignedOnly));
        assert_eq!(Decision::Deny(DenyReason::NotOwnRecord).scope(), None);
        assert!(!Decision::Deny(DenyReason::NotOwnRecord).is_allowed());
    }
}

//! Patient demographics through the PHI gateway: register, read, search, care team.
//!
//! Every field is sealed under the patient's own DEK with AAD naming `patients`, the field and
//! the patient id; family name, date of birth, phone and email are also blind-indexed for
//! exact-match search. [`Demographics`] — decrypted PHI — can only be built here, after the
//! gateway has authorized and recorded the access.

use vial_core::{Action, Decision, PatientId, Relation, Resource, Scope};
use vial_crypto::{Aad, BlindField, DataKey};
use vial_store::{PatientLookup, PatientRead, PatientRow};
use zeroize::Zeroizing;

mod access_review;
mod break_glass;
pub(crate) mod care_team;

pub use access_review::AccessRecord;
pub use break_glass::{BREAK_GLASS_MS, BreakGlassGrant};

use crate::gateway::{Access, Ask, authorize, authorize_with, purpose_of, unknown};
use crate::{Actor, App, AppError, AuditEvent, Audited, Role};

const MAX_NAME: usize = 100;
const SEARCH_LIMIT: u32 = 25;

/// What registering a patient takes. Its `Debug` shows no values.
pub struct NewPatient {
    pub given: String,
    pub family: String,
    /// `YYYY-MM-DD`.
    pub dob: String,
    pub phone: Option<String>,
    pub email: Option<String>,
}

impl std::fmt::Debug for NewPatient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPatient(<redacted>)")
    }
}

/// Decrypted demographics, as much as the reader's scope allows. Built only by this module;
/// never printed, never serialized implicitly.
pub struct Demographics {
    id: PatientId,
    given: Zeroizing<String>,
    family: Zeroizing<String>,
    dob: Option<Zeroizing<String>>,
    phone: Option<Zeroizing<String>>,
    email: Option<Zeroizing<String>>,
}

impl std::fmt::Debug for Demographics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Demographics")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl Demographics {
    pub fn id(&self) -> &PatientId {
        &self.id
    }
    pub fn given(&self) -> &str {
        &self.given
    }
    pub fn family(&self) -> &str {
        &self.family
    }
    /// `None` when the reader may see name and contact only.
    pub fn dob(&self) -> Option<&str> {
        self.dob.as_deref().map(String::as_str)
    }
    pub fn phone(&self) -> Option<&str> {
        self.phone.as_deref().map(String::as_str)
    }
    pub fn email(&self) -> Option<&str> {
        self.email.as_deref().map(String::as_str)
    }
}

/// An exact-match search.
#[derive(Debug, Clone)]
pub enum PatientQuery {
    FamilyAndDob { family: String, dob: String },
    Phone(String),
    Email(String),
}

fn invalid(msg: impl Into<String>) -> AppError {
    AppError::Invalid(msg.into())
}

fn name(field: &str, value: &str) -> Result<String, AppError> {
    let v = value.trim();
    if v.is_empty() || v.chars().count() > MAX_NAME || !vial_clinical::is_plain_line(v) {
        return Err(invalid(format!(
            "{field} must be 1 to {MAX_NAME} characters without control characters"
        )));
    }
    Ok(v.to_owned())
}

/// A real calendar date between 1900-01-01 and today, as `YYYY-MM-DD`.
fn dob(value: &str, today_ms: i64) -> Result<String, AppError> {
    let err = || invalid("dob must be a real date YYYY-MM-DD between 1900 and today");
    let v = value.trim();
    let parts: Vec<&str> = v.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return Err(err());
    };
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return Err(err());
    }
    let (y, m, d): (i64, u32, u32) = (
        y.parse().map_err(|_| err())?,
        m.parse().map_err(|_| err())?,
        d.parse().map_err(|_| err())?,
    );
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(err()),
    };
    // Days since 1970-01-01 (civil-from-days inverse, Howard Hinnant's algorithm).
    let (yy, mm) = if m <= 2 {
        (y - 1, i64::from(m) + 9)
    } else {
        (y, i64::from(m) - 3)
    };
    let era = yy.div_euclid(400);
    let yoe = yy - era * 400;
    let doy = (153 * mm + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let epoch_day = era * 146_097 + doe - 719_468;
    if y < 1900 || d == 0 || d > days || epoch_day > today_ms.div_euclid(86_400_000) {
        return Err(err());
    }
    Ok(v.to_owned())
}

fn phone(value: &str) -> Result<String, AppError> {
    let digits = value.chars().filter(char::is_ascii_digit).count();
    let allowed = value
        .chars()
        .all(|c| c.is_ascii_digit() || " +-().".contains(c));
    if !allowed || !(7..=15).contains(&digits) {
        return Err(invalid(
            "phone must have 7 to 15 digits (spaces, +, -, ( ) and . allowed)",
        ));
    }
    Ok(value.trim().to_owned())
}

fn seal(key: &DataKey, id: &PatientId, column: &str, value: &str) -> Result<Vec<u8>, AppError> {
    Ok(key.seal(Aad::new("patients", column, id), value.as_bytes())?)
}

fn open(
    key: &DataKey,
    id: &PatientId,
    column: &str,
    value: &[u8],
) -> Result<Zeroizing<String>, AppError> {
    let plain = key.open(Aad::new("patients", column, id), value)?;
    String::from_utf8(plain.to_vec())
        .map(Zeroizing::new)
        .map_err(|_| invalid("stored text is not UTF-8"))
}

impl App {
    fn bidx(&self, field: BlindField, value: &str) -> Result<Vec<u8>, AppError> {
        Ok(self
            .keys()
            .ring()
            .blind_index_key()
            .index(field, value)?
            .0
            .to_vec())
    }

    /// Registers a patient. Staff may; a provider may too and joins the care team.
    pub async fn create_patient(
        &self,
        actor: &Actor,
        input: NewPatient,
    ) -> Result<PatientId, AppError> {
        let given = name("given", &input.given)?;
        let family = name("family", &input.family)?;
        let dob = dob(&input.dob, self.now_ms())?;
        let phone = input
            .phone
            .as_deref()
            .filter(|p| !p.trim().is_empty())
            .map(phone)
            .transpose()?;
        let email = input
            .email
            .as_deref()
            .filter(|e| !e.trim().is_empty())
            .map(crate::identity::validate_email)
            .transpose()?;
        let id = PatientId::from(format!("pat_{}", uuid::Uuid::new_v4().simple()));
        let row_bidx = (
            self.bidx(BlindField::FamilyName, &family)?,
            self.bidx(BlindField::BirthDate, &dob)?,
            phone
                .as_deref()
                .map(|p| self.bidx(BlindField::Phone, p))
                .transpose()?,
            email
                .as_deref()
                .map(|e| self.bidx(BlindField::Email, e))
                .transpose()?,
        );
        let (app, actor, now) = (self.clone(), actor.clone(), self.now_ms());
        self.transact(move |work| {
            Box::pin(async move {
                // Registering creates the record; a provider does so as its first care-team
                // member (added below, in the same transaction).
                let relation = if actor.role == Role::Provider {
                    Relation::CareTeam
                } else {
                    Relation::None
                };
                let event = AuditEvent::by("patient.create", &actor)
                    .patient(&id)
                    .resource("patient", &id)
                    .purpose("registration");
                let ask = Ask::Matrix {
                    relation,
                    resource: Resource::Demographics,
                    action: Action::Write,
                };
                authorize(work, &actor, ask, event)?;
                let tx = work.tx().await?;
                let key = app.data_key_for(tx, &id).await?;
                let row = PatientRow {
                    given_enc: seal(&key, &id, "given", &given)?,
                    family_enc: seal(&key, &id, "family", &family)?,
                    dob_enc: seal(&key, &id, "dob", &dob)?,
                    phone_enc: phone
                        .as_deref()
                        .map(|p| seal(&key, &id, "phone", p))
                        .transpose()?,
                    email_enc: email
                        .as_deref()
                        .map(|e| seal(&key, &id, "email", e))
                        .transpose()?,
                    family_bidx: row_bidx.0,
                    dob_bidx: row_bidx.1,
                    phone_bidx: row_bidx.2,
                    email_bidx: row_bidx.3,
                    id: id.clone(),
                    created_at_ms: now,
                };
                tx.insert_patient(&row).await?;
                if actor.role == Role::Provider {
                    let assigned = vial_store::CareTeamReason::Assigned;
                    care_team::join(work, &actor, &id, &actor.user_id, assigned, now).await?;
                }
                Ok(id)
            })
        })
        .await
    }

    /// One patient's demographics, as far as the actor may see them.
    pub async fn read_patient(
        &self,
        actor: &Actor,
        patient_id: &PatientId,
    ) -> Result<Demographics, AppError> {
        let (app, actor, id) = (self.clone(), actor.clone(), patient_id.clone());
        self.transact_read(move |work| {
            Box::pin(async move {
                let (read, relation) = app.patient_with_relation(work, &actor, &id).await?;
                let access = Access {
                    patient_id: &id,
                    resource: Resource::Demographics,
                    action: Action::Read,
                    audit_action: "patient.read",
                    purpose: purpose_of(actor.role),
                };
                let scope = authorize_with(work, &actor, relation, access)?;
                let key = app.unwrap_stored(&read.dek.ok_or(AppError::NotFound("data key"))?)?;
                decrypt_patient(&key, &read.patient, scope)
            })
        })
        .await
    }

    /// A patient's sealed record, key and the actor's relation to them, read in one statement;
    /// an id that names no patient is answered (and recorded) as [`unknown`] does. Nothing is
    /// decided here: the caller asks the gateway before it opens anything.
    pub(crate) async fn patient_with_relation(
        &self,
        work: &mut impl Audited,
        actor: &Actor,
        id: &PatientId,
    ) -> Result<(PatientRead, Relation), AppError> {
        let Some(read) = work.read().patient_for(id, &actor.user_id).await? else {
            let of = (Resource::Demographics, Action::Read);
            let asked = ("patient", id.as_str());
            return Err(unknown(work, actor, of, "patient.read", asked, "patient"));
        };
        let relation = self
            .relation_in(work.read(), actor, id, Some(read.on_care_team))
            .await?;
        Ok((read, relation))
    }

    /// Exact-match search. Only patients the actor may read are returned; every match, shown
    /// or withheld, is recorded.
    pub async fn search_patients(
        &self,
        actor: &Actor,
        query: PatientQuery,
    ) -> Result<Vec<Demographics>, AppError> {
        let lookup = match &query {
            PatientQuery::FamilyAndDob { family, dob: d } => PatientLookup::FamilyAndDob {
                family_bidx: self.bidx(BlindField::FamilyName, &name("family", family)?)?,
                dob_bidx: self.bidx(BlindField::BirthDate, &dob(d, self.now_ms())?)?,
            },
            PatientQuery::Phone(p) => {
                PatientLookup::Phone(self.bidx(BlindField::Phone, &phone(p)?)?)
            }
            PatientQuery::Email(e) => PatientLookup::Email(
                self.bidx(BlindField::Email, &crate::identity::validate_email(e)?)?,
            ),
        };
        let (app, actor) = (self.clone(), actor.clone());
        self.transact_read(move |work| {
            Box::pin(async move {
                let rows = work.read().find_patients(&lookup, SEARCH_LIMIT).await?;
                let mut found = Vec::new();
                for row in rows {
                    let access = Access {
                        patient_id: &row.id,
                        resource: Resource::Demographics,
                        action: Action::Read,
                        audit_action: "patient.search",
                        purpose: purpose_of(actor.role),
                    };
                    if let Decision::Allow(scope) =
                        app.decide_and_record(work, &actor, access).await?
                    {
                        let key = app.existing_data_key(work.read(), &row.id).await?;
                        found.push(decrypt_patient(&key, &row, scope)?);
                    }
                }
                Ok(found)
            })
        })
        .await
    }
}

/// Opens the demographics the scope allows; called only after the gateway recorded the access.
pub(crate) fn decrypt_patient(
    key: &DataKey,
    row: &PatientRow,
    scope: Scope,
) -> Result<Demographics, AppError> {
    let id = &row.id;
    let full = !matches!(scope, Scope::NameAndContactOnly);
    Ok(Demographics {
        id: row.id.clone(),
        given: open(key, id, "given", &row.given_enc)?,
        family: open(key, id, "family", &row.family_enc)?,
        dob: if full {
            Some(open(key, id, "dob", &row.dob_enc)?)
        } else {
            None
        },
        phone: row
            .phone_enc
            .as_deref()
            .map(|v| open(key, id, "phone", v))
            .transpose()?,
        email: row
            .email_enc
            .as_deref()
            .map(|v| open(key, id, "email", v))
            .transpose()?,
    })
}

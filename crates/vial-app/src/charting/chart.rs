//! A patient's chart in one trip: everything the chart page shows — demographics, medical
//! history, treatments, notes, consents, appointments, photos, and the catalogue, stock and
//! consent forms its forms offer — read in one read unit. The relation is derived once; each
//! kind of record shown is one decision and one entry, recorded under the same action codes as
//! the use case that shows that kind alone.

use std::collections::{HashMap, HashSet};

use vial_clinical::{PracticeZone, RecordKind};
use vial_core::{Action, PatientId, Resource, UserId};
use zeroize::Zeroizing;

use crate::charting::catalogue::{catalogue_in, inventory_in};
use crate::charting::documents::open_documents;
use crate::charting::history::open_history;
use crate::charting::treatments::open_treatments;
use crate::consents::{consent_forms_in, open_consents};
use crate::gateway::{Access, Ask, authorize_with, permits, purpose_of};
use crate::patients::decrypt_patient;
use crate::photos::photo_summary;
use crate::scheduling::{open_appointment_with, practice_zone_in};
use crate::{
    Actor, App, AppError, AppointmentView, Audited, ConsentFormView, ConsentView, Demographics,
    DocumentView, HistoryView, InventoryLot, PhotoSummary, ProductView, TreatmentView,
};

/// What the chart page shows of one patient, as far as the actor may see it.
pub struct ChartView {
    pub demographics: Demographics,
    pub history: Option<HistoryView>,
    pub treatments: Vec<TreatmentView>,
    pub notes: Vec<DocumentView>,
    pub consents: Vec<ConsentView>,
    pub appointments: Vec<AppointmentView>,
    pub photos: Vec<PhotoSummary>,
    /// The catalogue and stock the charting forms offer (empty for who may not read them).
    pub products: Vec<ProductView>,
    pub inventory: Vec<InventoryLot>,
    pub consent_forms: Vec<ConsentFormView>,
    /// The names of the workforce accounts the records mention (authors, signers, collectors,
    /// providers); an id missing here is not a workforce account.
    pub names: HashMap<UserId, Zeroizing<String>>,
    pub zone: PracticeZone,
}

/// Ids and counts only: the values are PHI.
impl std::fmt::Debug for ChartView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChartView")
            .field("demographics", &self.demographics)
            .field("treatments", &self.treatments.len())
            .field("notes", &self.notes.len())
            .field("consents", &self.consents.len())
            .field("appointments", &self.appointments.len())
            .field("photos", &self.photos.len())
            .finish_non_exhaustive()
    }
}

/// The kinds of record the chart shows, in the order they are decided; the first refused one
/// refuses the chart.
const SHOWN: [(Resource, &str); 7] = [
    (Resource::Demographics, "patient.read"),
    (Resource::MedicalHistory, "history.read"),
    (Resource::ClinicalRecords, "treatment.read"),
    (Resource::ClinicalRecords, "document.read"),
    (Resource::Consents, "consent.read"),
    (Resource::Appointments, "appointment.list"),
    (Resource::Photos, "photo.list"),
];

impl App {
    /// The chart of one patient, in one read unit (providers on the care team or under a
    /// break-glass grant; anyone else is refused at the first kind of record they may not see).
    pub async fn chart(
        &self,
        actor: &Actor,
        patient_id: &PatientId,
    ) -> Result<ChartView, AppError> {
        let (app, actor, id) = (self.clone(), actor.clone(), patient_id.clone());
        self.transact_read(move |work| {
            Box::pin(async move {
                let (read, relation) = app.patient_with_relation(work, &actor, &id).await?;
                let mut scopes = Vec::with_capacity(SHOWN.len());
                for (resource, audit_action) in SHOWN {
                    let access = Access {
                        patient_id: &id,
                        resource,
                        action: Action::Read,
                        audit_action,
                        purpose: purpose_of(actor.role),
                    };
                    scopes.push(authorize_with(work, &actor, relation, access)?);
                }
                let [demographics, _, treatments, notes, consents, _, _] = scopes[..] else {
                    return Err(AppError::Unavailable("chart decisions".into()));
                };

                let key = app.unwrap_stored(&read.dek.ok_or(AppError::NotFound("data key"))?)?;
                let demographics = decrypt_patient(&key, &read.patient, demographics)?;
                let tx = work.read();
                let mut of_kind: HashMap<RecordKind, Vec<_>> = HashMap::new();
                for row in tx.records_of_patient(&id, None).await? {
                    of_kind.entry(row.kind).or_default().push(row);
                }
                let mut take = |kind| of_kind.remove(&kind).unwrap_or_default();
                let history = match take(RecordKind::History).pop() {
                    Some(row) => Some(open_history(&key, row)?),
                    None => None,
                };
                let treatments = open_treatments(&key, take(RecordKind::Treatment), treatments)?;
                let note_rows = take(RecordKind::SoapNote);
                let notes = open_documents(&key, note_rows, take(RecordKind::Amendment), notes)?;
                let full_consents = !matches!(consents, vial_core::Scope::StatusOnly);
                let consents =
                    open_consents(full_consents.then_some(&key), take(RecordKind::Consent))?;
                let patient_name = format!("{} {}", demographics.given(), demographics.family());
                let appointments = tx
                    .appointments_of_patient(&id)
                    .await?
                    .into_iter()
                    .map(|row| open_appointment_with(&key, &actor, row, Some(patient_name.clone())))
                    .collect::<Result<Vec<_>, _>>()?;
                let photos = tx
                    .photos_of_patient(&id)
                    .await?
                    .into_iter()
                    .map(|row| photo_summary(&key, row))
                    .collect::<Result<Vec<_>, _>>()?;

                // Not PHI: offered to whoever may read them, left out (unrecorded) otherwise.
                let (products, inventory) = if permits(&actor, Ask::CatalogueRead) {
                    let products = catalogue_in(tx).await?.to_inputs();
                    let products = products.into_iter().map(|product| ProductView { product });
                    (products.collect(), inventory_in(tx).await?)
                } else {
                    (Vec::new(), Vec::new())
                };
                let consent_forms = consent_forms_in(tx).await?;
                let zone = practice_zone_in(tx).await?;

                let mut mentioned: HashSet<&UserId> = HashSet::new();
                mentioned.extend(history.iter().map(|h| &h.updated_by));
                mentioned.extend(treatments.iter().map(|t| &t.author_id));
                for n in &notes {
                    mentioned.insert(&n.author_id);
                    mentioned.extend(n.signed_by.iter().chain(n.cosigned_by.iter()));
                    mentioned.extend(n.amendments.iter().map(|a| &a.author_id));
                }
                mentioned.extend(consents.iter().map(|c| &c.collected_by));
                mentioned.extend(appointments.iter().map(|a| &a.provider_id));
                let mut names = HashMap::with_capacity(mentioned.len());
                for user_id in mentioned {
                    match app.workforce_name_in(tx, user_id).await {
                        Ok(name) => {
                            names.insert(user_id.clone(), name);
                        }
                        Err(AppError::NotFound(_)) => {}
                        Err(other) => return Err(other),
                    }
                }

                Ok(ChartView {
                    demographics,
                    history,
                    treatments,
                    notes,
                    consents,
                    appointments,
                    photos,
                    products,
                    inventory,
                    consent_forms,
                    names,
                    zone,
                })
            })
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chart_decides_every_kind_it_shows_once() {
        let actions: HashSet<&str> = SHOWN.iter().map(|(_, action)| *action).collect();
        assert_eq!(actions.len(), SHOWN.len());
    }
}

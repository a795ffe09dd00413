//! A clinic set up through vial-app's public API only, for tests, benchmarks and examples: staff
//! accounts, and a patient who has consented to photography.

use vial_app::{Actor, NewPatient, NewUserInput, Role, System};
use zeroize::Zeroizing;

/// A provider and an admin (`<tag>.np@example.com`, `<tag>.owner@example.com`), as actors
/// with session `ses_<tag>`.
pub async fn staff(app: &System, tag: &str) -> (Actor, Actor) {
    let mut actors = Vec::new();
    for (who, role) in [("np", Role::Provider), ("owner", Role::Admin)] {
        let added = app
            .add_user(
                NewUserInput {
                    email: format!("{tag}.{who}@example.com"),
                    name: "Staff Person".into(),
                    role,
                    password: Zeroizing::new("correct horse battery staple".into()),
                    patient_id: None,
                },
                tag,
            )
            .await
            .unwrap();
        actors.push(Actor {
            user_id: added.user_id,
            role,
            session_id: format!("ses_{tag}").into(),
        });
    }
    let admin = actors.pop().unwrap();
    let provider = actors.pop().unwrap();
    (provider, admin)
}

/// Publishes a photography consent form (as `admin`), and creates a patient (as `provider`)
/// who signs it; the patient's id.
pub async fn photographable_patient(
    app: &System,
    provider: &Actor,
    admin: &Actor,
) -> vial_app::PatientId {
    let form = serde_json::json!({"kind": "photography", "version": "v1", "text": "I consent."});
    app.publish_consent_form(admin, serde_json::from_value(form).unwrap())
        .await
        .unwrap();
    let patient = app
        .create_patient(
            provider,
            NewPatient {
                given: "Photo".into(),
                family: "Patient".into(),
                dob: "1980-01-01".into(),
                phone: None,
                email: None,
            },
        )
        .await
        .unwrap();
    let consent = serde_json::json!({"kind": "photography", "form_version": "v1",
        "signature": {"type": "typed", "name": "Photo Patient"}});
    app.sign_consent(provider, &patient, serde_json::from_value(consent).unwrap())
        .await
        .unwrap();
    patient
}

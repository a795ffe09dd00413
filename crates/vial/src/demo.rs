//! `vial demo seed`: a synthetic demo practice, so a new user sees a working clinic at once —
//! accounts for every role, a clinic, consent forms, stock, patients with appointments today and
//! this week, treatments charted on the face map, signed notes with an amendment, consents and
//! medical histories. Everything goes through the same use cases (and audit) as real work; the
//! names are invented. It refuses a data directory that already holds patients.

use std::io::Write;

use anyhow::{Context, bail};
use serde_json::json;
use vial_app::{Actor, DocumentKind, NewPatient, NewUserInput, Role, SessionId, System, UserId};
use zeroize::Zeroizing;

const GIVEN: &[&str] = &[
    "Avery", "Blake", "Casey", "Devon", "Emery", "Finley", "Harper", "Indigo", "Jordan", "Kendall",
    "Logan", "Morgan", "Noa", "Oakley", "Parker", "Quinn", "Riley", "Sawyer", "Tatum", "Val",
];
const FAMILY: &[&str] = &[
    "Ashdown",
    "Brightwell",
    "Corrigan",
    "Delacroix",
    "Everly",
    "Fairbanks",
    "Greenleaf",
    "Hollis",
    "Ingram",
    "Jessup",
];
const PATIENTS: usize = 24;

struct Staff {
    email: &'static str,
    name: &'static str,
    role: Role,
}

const ACCOUNTS: &[Staff] = &[
    Staff {
        email: "olivia.owner@demo.vial.test",
        name: "Olivia Owner",
        role: Role::Admin,
    },
    Staff {
        email: "nora.injector@demo.vial.test",
        name: "Nora Injector, NP",
        role: Role::Provider,
    },
    Staff {
        email: "dr.mason@demo.vial.test",
        name: "Dr. Mason Reyes, MD",
        role: Role::Provider,
    },
    Staff {
        email: "frankie.desk@demo.vial.test",
        name: "Frankie Desk",
        role: Role::Staff,
    },
];

fn actor(user_id: &UserId, role: Role) -> Actor {
    Actor {
        user_id: user_id.clone(),
        role,
        session_id: SessionId::from("ses_demo_seed"),
    }
}

/// A random passphrase for the demo accounts (four groups of five letters).
fn demo_password() -> anyhow::Result<Zeroizing<String>> {
    let mut raw = [0u8; 20];
    aws_lc_rs::rand::fill(&mut raw).map_err(|_| anyhow::anyhow!("no randomness"))?;
    let letters: String = raw.iter().map(|b| char::from(b'a' + b % 26)).collect();
    Ok(Zeroizing::new(format!(
        "{}-{}-{}-{}",
        &letters[0..5],
        &letters[5..10],
        &letters[10..15],
        &letters[15..20]
    )))
}

pub async fn seed(system: &System) -> anyhow::Result<()> {
    if system.has_users().await? {
        bail!("this data directory already holds a practice; demo data goes into a new one");
    }
    let password = demo_password()?;
    let mut out = Vec::new();
    let mut ids = Vec::new();
    for account in ACCOUNTS {
        let added = system
            .add_user(
                NewUserInput {
                    email: account.email.into(),
                    name: account.name.into(),
                    role: account.role,
                    password: password.clone(),
                    patient_id: None,
                },
                "system:demo",
            )
            .await
            .with_context(|| format!("cannot add {}", account.email))?;
        out.push(
            json!({"email": account.email, "role": account.role.as_str(),
                        "totp_secret": added.totp_secret.as_ref().map(|s| s.to_string())}),
        );
        ids.push(added.user_id);
    }
    let app = system.app();
    let admin = actor(&ids[0], Role::Admin);
    let nora = actor(&ids[1], Role::Provider);
    let mason = actor(&ids[2], Role::Provider);
    let desk = actor(&ids[3], Role::Staff);

    let clinic = app
        .add_location(&admin, "Vial Aesthetics — Main Street")
        .await?;
    for (kind, text) in [
        (
            "treatment",
            "I consent to aesthetic treatment as explained to me, including its risks.",
        ),
        (
            "photography",
            "I consent to clinical photographs for my record. They are not used for marketing.",
        ),
        (
            "marketing",
            "I allow de-identified before/after photos to be used in the practice's marketing.",
        ),
    ] {
        app.publish_consent_form(
            &admin,
            serde_json::from_value(json!({"kind": kind, "version": "2026-01", "text": text}))?,
        )
        .await?;
    }
    let today = time::OffsetDateTime::now_utc().date();
    let date = vial_clinical::format_date(today);
    let expiry = vial_clinical::format_date(today.replace_year(today.year() + 1).unwrap_or(today));
    for (product, lot, quantity) in [
        ("botox_100", "C5123A", 2_000),
        ("dysport_300", "D77210", 3_000),
    ] {
        app.receive_lot(
            &admin,
            serde_json::from_value(
                json!({"product": product, "lot": lot, "expiry": expiry, "quantity": quantity}),
            )?,
        )
        .await?;
    }
    app.receive_lot(
        &admin,
        serde_json::from_value(json!({"product": "juvederm_ultra_xc", "lot": "JU4410", "expiry": expiry, "quantity": 40}))?,
    )
    .await?;
    app.set_practice_setting(
        &admin,
        vial_app::PracticeSetting::MedicalDirector(ids[2].clone()),
    )
    .await?;
    app.set_practice_setting(
        &admin,
        vial_app::PracticeSetting::CosignRequirement("medical_director".into()),
    )
    .await?;

    let day_start_ms = (today.midnight().assume_utc().unix_timestamp()) * 1000;
    let mut first_patient = None;
    for i in 0..PATIENTS {
        let given = GIVEN[i % GIVEN.len()];
        let family = FAMILY[(i * 7) % FAMILY.len()];
        let patient = app
            .create_patient(
                &desk,
                NewPatient {
                    given: given.into(),
                    family: family.into(),
                    dob: format!(
                        "19{:02}-{:02}-{:02}",
                        60 + (i * 3) % 40,
                        1 + i % 12,
                        1 + (i * 5) % 28
                    ),
                    phone: Some(format!("+1 555 01{:02} {:03}", i, 100 + i * 7)),
                    email: Some(format!(
                        "{}.{}@example.invalid",
                        given.to_lowercase(),
                        family.to_lowercase()
                    )),
                },
            )
            .await?;
        let provider = if i % 3 == 0 { &mason } else { &nora };
        // Today's clinic day, 9:00 onwards in half-hour slots; the rest across the week.
        let start = if i < 12 {
            day_start_ms + (9 * 60 + 30 * i as i64) * 60_000
        } else {
            day_start_ms
                + ((i as i64 - 11) % 5 + 1) * 86_400_000
                + (9 * 60 + 30 * (i as i64 - 12)) * 60_000
        };
        let service = [
            "neurotoxin_treatment",
            "filler_treatment",
            "neurotoxin_consult",
            "follow_up",
        ][i % 4];
        app.book_appointment(
            &desk,
            &patient,
            &provider.user_id,
            serde_json::from_value(
                json!({"start_ms": start, "end_ms": start + 30 * 60_000, "service": service,
                                          "location": {"type": "clinic", "clinic_id": clinic}}),
            )?,
        )
        .await?;
        app.put_history(
            provider,
            &patient,
            serde_json::from_value(json!({
                "allergies": if i % 5 == 0 { vec!["lidocaine"] } else { Vec::<&str>::new() },
                "medications": if i % 4 == 1 { vec!["aspirin 81 mg"] } else { Vec::<&str>::new() },
                "pregnant_or_breastfeeding": false, "autoimmune_disease": false,
                "keloid_history": i % 9 == 0, "prior_filler_complication": false,
                "prior_neurotoxin_complication": false, "anticoagulants": i % 4 == 1,
                "active_infection_at_site": false
            }))?,
        )
        .await?;
        app.sign_consent(
            &desk,
            &patient,
            serde_json::from_value(json!({"kind": "treatment", "form_version": "2026-01",
                                          "signature": {"type": "typed", "name": format!("{given} {family}")}}))?,
        )
        .await?;
        if i >= 12 {
            continue;
        }
        let body = if i % 4 == 1 {
            json!({"type": "filler", "product": "juvederm_ultra_xc", "syringe_volume_ml": 1.0, "lot": "JU4410",
                   "expiry": expiry, "areas": [
                       {"area": "lips_upper", "volume_ml": 0.4, "depth": "subdermal", "device": "needle"},
                       {"area": "lips_lower", "volume_ml": 0.5, "depth": "subdermal", "device": "needle"}]})
        } else {
            json!({"type": "neurotoxin", "product": "botox_100", "dilution_ml": 2.5, "lot": "C5123A",
                   "expiry": expiry, "points": [
                       {"site": "glabella_procerus", "units": 4, "x": 0.5, "y": 0.3},
                       {"site": "corrugator_l", "units": 4, "x": 0.57, "y": 0.29},
                       {"site": "corrugator_r", "units": 4, "x": 0.43, "y": 0.29},
                       {"site": "frontalis_c", "units": 6, "x": 0.5, "y": 0.18}]})
        };
        app.chart_treatment(
            provider,
            &patient,
            serde_json::from_value(json!({"date": date, "body": body}))?,
        )
        .await?;
        let note = app
            .create_document(
                provider,
                &patient,
                DocumentKind::Note,
                json!({"subjective": "Wants softer frown lines before an event.",
                       "objective": "Moderate dynamic glabellar lines; no ptosis.",
                       "assessment": "Suitable for neurotoxin.",
                       "plan": "Treated as charted; review in two weeks."}),
            )
            .await?;
        app.sign_document(provider, &note).await?;
        if i == 0 {
            app.amend_document(
                provider,
                &note,
                serde_json::from_value(json!({"text": "Addendum: patient called, no bruising."}))?,
            )
            .await?;
            first_patient = Some(patient.clone());
        }
    }
    if let Some(patient) = first_patient {
        let added = system
            .add_user(
                NewUserInput {
                    email: "avery.patient@demo.vial.test".into(),
                    name: "Avery (patient portal)".into(),
                    role: Role::Patient,
                    password: password.clone(),
                    patient_id: Some(patient),
                },
                "system:demo",
            )
            .await?;
        out.push(
            json!({"email": "avery.patient@demo.vial.test", "role": "patient",
                        "totp_secret": added.totp_secret.as_ref().map(|s| s.to_string())}),
        );
    }
    let mut stdout = std::io::stdout().lock();
    serde_json::to_writer_pretty(
        &mut stdout,
        &json!({"practice": "Vial Aesthetics (demo, synthetic data)", "password": password.as_str(),
                "accounts": out, "patients": PATIENTS}),
    )?;
    writeln!(stdout)?;
    Ok(())
}

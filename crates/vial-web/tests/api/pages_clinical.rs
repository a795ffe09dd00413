//! The clinical pages over real HTTPS as a browser without JavaScript speaks them (session
//! cookie, CSRF token from the page, form posts): the statuses and messages of refused forms,
//! and that a refused form stored nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use reqwest::header::{COOKIE, LOCATION, ORIGIN};
use vial_app::{Actor, DocumentKind, LoginRequest, NewPatient, Role, SessionKind};
use vial_clinical::{AppointmentInput, ConsentFormInput, LocationInput, ReceivedLotInput};
use vial_testkit::server::{PASSWORD, Server, TestUser, spawn_app};
use zeroize::Zeroizing;

/// A signed-in browser: its session cookie and the CSRF token its pages carry.
struct Page<'a> {
    server: &'a Server,
    client: reqwest::Client,
    cookie: String,
    csrf: String,
}

struct Answer {
    status: u16,
    location: Option<String>,
    body: String,
}

impl<'a> Page<'a> {
    async fn sign_in(server: &'a Server, user: &TestUser) -> Page<'a> {
        server.next_step();
        let signed_in = server
            .app
            .login(LoginRequest {
                email: user.email.clone(),
                password: Zeroizing::new(PASSWORD.into()),
                totp: server.totp_secret(user).map(|_| server.code(user)),
                recovery_code: None,
                device: Some("test".into()),
                addr: None,
                kind: SessionKind::Browser,
            })
            .await
            .unwrap();
        let mut page = Page {
            server,
            client: server.page_client(),
            cookie: format!("__Host-vial-session={}", signed_in.token.as_str()),
            csrf: String::new(),
        };
        let home = page.get("/home").await;
        let marker = "name=\"csrf-token\" content=\"";
        let start = home.body.find(marker).unwrap() + marker.len();
        let end = start + home.body[start..].find('"').unwrap();
        page.csrf = home.body[start..end].to_owned();
        page
    }

    async fn answer(response: reqwest::Response) -> Answer {
        Answer {
            status: response.status().as_u16(),
            location: response
                .headers()
                .get(LOCATION)
                .map(|v| v.to_str().unwrap().to_owned()),
            body: response.text().await.unwrap(),
        }
    }

    async fn get(&self, path: &str) -> Answer {
        let response = self
            .client
            .get(format!("{}{path}", self.server.base))
            .header(COOKIE, &self.cookie)
            .send()
            .await
            .unwrap();
        Self::answer(response).await
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> Answer {
        let mut fields = vec![("_csrf", self.csrf.as_str())];
        fields.extend_from_slice(form);
        let response = self
            .client
            .post(format!("{}{path}", self.server.base))
            .header(COOKIE, &self.cookie)
            .header(ORIGIN, &self.server.base)
            .form(&fields)
            .send()
            .await
            .unwrap();
        Self::answer(response).await
    }
}

async fn actor(server: &Server, user: &TestUser) -> Actor {
    let token = server.token(user).await;
    server.app.authenticate(&token, None).await.unwrap()
}

struct Practice {
    provider: TestUser,
    staff: TestUser,
    provider_actor: Actor,
    staff_actor: Actor,
    clinic: String,
    patient_id: vial_app::PatientId,
    lot_id: String,
}

async fn practice(server: &Server) -> Practice {
    let provider = server
        .add_user("riley.np@example.com", Role::Provider, None)
        .await;
    let staff = server
        .add_user("sam.desk@example.com", Role::Staff, None)
        .await;
    let admin = server
        .add_user("morgan.owner@example.com", Role::Admin, None)
        .await;
    let (provider_actor, staff_actor, admin_actor) = (
        actor(server, &provider).await,
        actor(server, &staff).await,
        actor(server, &admin).await,
    );
    let clinic = server
        .app
        .add_location(&admin_actor, "Harbour clinic")
        .await
        .unwrap();
    server
        .app
        .publish_consent_form(
            &admin_actor,
            ConsentFormInput {
                kind: "treatment".into(),
                version: "2027-01".into(),
                text: "I consent to neurotoxin treatment.".into(),
            },
        )
        .await
        .unwrap();
    let patient_id = server
        .app
        .create_patient(
            &staff_actor,
            NewPatient {
                given: "Jordan".into(),
                family: "Nojs".into(),
                dob: "1990-07-14".into(),
                phone: None,
                email: None,
            },
        )
        .await
        .unwrap();
    server.next_step();
    let code = server.code(&staff);
    server
        .app
        .assign_care_team(
            &staff_actor,
            &patient_id,
            &provider.user_id(),
            PASSWORD,
            Some(&code),
        )
        .await
        .unwrap();
    let lot_id = server
        .app
        .receive_lot(
            &provider_actor,
            ReceivedLotInput {
                product: "dysport_300".into(),
                lot: "DY300X".into(),
                expiry: "2028-02-29".into(),
                quantity: 300,
            },
        )
        .await
        .unwrap();
    Practice {
        provider,
        staff,
        provider_actor,
        staff_actor,
        clinic,
        patient_id,
        lot_id,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chart_forms_refuse_bad_input_with_the_reason_and_store_nothing() {
    let server = spawn_app(false).await;
    let p = practice(&server).await;
    let page = Page::sign_in(&server, &p.provider).await;
    let chart = format!("/patients/{}/chart", p.patient_id);

    let shown = page.get(&chart).await;
    assert_eq!(shown.status, 200);
    assert!(shown.body.contains("Jordan Nojs"));
    assert!(shown.body.contains("Lot DY300X"));

    // Without JavaScript the face map sends no points: 422, the reason, nothing charted.
    let toxin = format!("{chart}/neurotoxin");
    let refused = page
        .post(
            &toxin,
            &[
                ("date", "2027-01-15"),
                ("product", "dysport_300"),
                ("lot", &p.lot_id),
                ("dilution", "2.5"),
                ("points", ""),
            ],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(
        refused
            .body
            .contains("tap the face map to place at least one injection point")
    );
    // What was typed is kept.
    assert!(refused.body.contains("value=\"2.5\""));

    // A lot of another product is refused by the page; a future date and too many units by the
    // use case — each with its reason, none stored.
    let points = r#"[{"site":"masseter_l","units":30,"x":0.76,"y":0.7}]"#;
    for (product, date, points, reason) in [
        (
            "botox_100",
            "2027-01-15",
            points,
            "the chosen lot is of another product",
        ),
        (
            "dysport_300",
            "2027-01-16",
            points,
            "date: must not be in the future",
        ),
        (
            "dysport_300",
            "2027-01-15",
            r#"[{"site":"masseter_l","units":130,"x":0.76,"y":0.7}]"#,
            "body.points[0].units: must be at most 100",
        ),
    ] {
        let refused = page
            .post(
                &toxin,
                &[
                    ("date", date),
                    ("product", product),
                    ("lot", &p.lot_id),
                    ("dilution", "2.5"),
                    ("points", points),
                ],
            )
            .await;
        assert_eq!(refused.status, 422, "{reason}");
        assert!(refused.body.contains(reason), "{reason}: {}", refused.body);
    }
    assert!(
        server
            .app
            .treatments_of(&p.provider_actor, &p.patient_id)
            .await
            .unwrap()
            .is_empty()
    );
    let stock = server.app.inventory(&p.provider_actor).await.unwrap();
    assert_eq!(stock[0].remaining, 300.0);

    // A good one: 303 back to the chart, which shows it.
    let charted = page
        .post(
            &toxin,
            &[
                ("date", "2027-01-15"),
                ("product", "dysport_300"),
                ("lot", &p.lot_id),
                ("dilution", "2.5"),
                ("points", points),
            ],
        )
        .await;
    assert_eq!(charted.status, 303);
    let target = charted.location.unwrap();
    assert!(
        target.starts_with(&format!("{chart}?charted=trt_")),
        "{target}"
    );
    let shown = page.get(&target).await;
    assert!(shown.body.contains("Charted: Dysport"));
    assert!(shown.body.contains("30 units"));

    // The history needs every question answered.
    let refused = page
        .post(
            &format!("{chart}/history"),
            &[("allergies", "Latex"), ("pregnant_or_breastfeeding", "no")],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("answer yes or no to every question"));
    assert!(
        server
            .app
            .history(&p.provider_actor, &p.patient_id)
            .await
            .unwrap()
            .is_none()
    );

    // A consent the patient signed by typing their name, then its revocation.
    let collect = format!("/patients/{}/consents", p.patient_id);
    let unsigned = page
        .post(
            &collect,
            &[("form", "treatment@2027-01"), ("signature", " ")],
        )
        .await;
    assert_eq!(unsigned.status, 422);
    let stale = page
        .post(
            &collect,
            &[("form", "treatment@2026-01"), ("signature", "Jordan Nojs")],
        )
        .await;
    assert_eq!(stale.status, 422, "{}", stale.body);
    let collected = page
        .post(
            &collect,
            &[("form", "treatment@2027-01"), ("signature", "Jordan Nojs")],
        )
        .await;
    assert_eq!(collected.status, 303);
    let consents = server
        .app
        .consents_of(&p.provider_actor, &p.patient_id)
        .await
        .unwrap();
    assert_eq!(consents.len(), 1);
    assert!(consents[0].active);
    let shown = page.get(&chart).await;
    assert!(shown.body.contains("Treatment (version 2027-01)"));
    assert!(shown.body.contains("typed: Jordan Nojs"));
    let revoked = page
        .post(
            &format!("/consents/{}/revoke", consents[0].id),
            &[("patient_id", p.patient_id.as_str())],
        )
        .await;
    assert_eq!(revoked.status, 303);
    let again = page
        .post(
            &format!("/consents/{}/revoke", consents[0].id),
            &[("patient_id", p.patient_id.as_str())],
        )
        .await;
    assert_eq!(again.status, 409);
    assert!(again.body.contains("consent is already revoked"));

    // A form without the page's token is refused before anything is read.
    let forged = page
        .client
        .post(format!("{}{toxin}", server.base))
        .header(COOKIE, &page.cookie)
        .header(ORIGIN, &server.base)
        .form(&[("points", points)])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status().as_u16(), 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_notes_and_status_moves_conflict_with_409() {
    let server = spawn_app(false).await;
    let p = practice(&server).await;
    let page = Page::sign_in(&server, &p.provider).await;
    let chart = format!("/patients/{}/chart", p.patient_id);

    let blank = page
        .post(&format!("{chart}/notes"), &[("subjective", "  ")])
        .await;
    assert_eq!(blank.status, 422);
    assert!(blank.body.contains("at least one of subjective"));

    let created = page
        .post(
            &format!("{chart}/notes"),
            &[("assessment", "Dynamic rhytids")],
        )
        .await;
    assert_eq!(created.status, 303);
    let notes = server
        .app
        .documents_of(&p.provider_actor, &p.patient_id, DocumentKind::Note)
        .await
        .unwrap();
    let note = notes[0].id.clone();
    let signed = page
        .post(
            &format!("/notes/{note}/sign"),
            &[("patient_id", p.patient_id.as_str())],
        )
        .await;
    assert_eq!(signed.status, 303);
    assert_eq!(
        signed.location.as_deref(),
        Some(format!("{chart}#note-{note}").as_str())
    );

    let edit = page
        .post(
            &format!("/notes/{note}/edit"),
            &[
                ("patient_id", p.patient_id.as_str()),
                ("version", "1"),
                ("assessment", "Rewritten"),
            ],
        )
        .await;
    assert_eq!(edit.status, 409);
    assert!(edit.body.contains("note is signed; add an amendment"));
    let again = page
        .post(
            &format!("/notes/{note}/sign"),
            &[("patient_id", p.patient_id.as_str())],
        )
        .await;
    assert_eq!(again.status, 409);
    assert!(again.body.contains("note is already signed"));
    let stored = server
        .app
        .read_document(&p.provider_actor, &note)
        .await
        .unwrap();
    assert_eq!(stored.body["assessment"], "Dynamic rhytids");

    // A status move the flow does not allow is explained, not applied.
    let start = 1_800_000_000_000 + 4 * 3_600_000;
    let vial_app::Booking { id: apt, .. } = server
        .app
        .book_appointment(
            &p.staff_actor,
            &p.patient_id,
            &p.provider.user_id(),
            AppointmentInput {
                start_ms: start,
                end_ms: start + 1_800_000,
                service: "follow_up".into(),
                location: LocationInput::Clinic {
                    clinic_id: p.clinic.clone(),
                },
            },
        )
        .await
        .unwrap();
    let desk = Page::sign_in(&server, &p.staff).await;
    let jump = desk
        .post(
            &format!("/appointments/{apt}/status"),
            &[
                ("status", "completed"),
                ("back", "/schedule?date=2027-01-15"),
            ],
        )
        .await;
    assert_eq!(jump.status, 409);
    assert!(
        jump.body
            .contains("cannot change an appointment from booked to completed")
    );
    // Return targets are our own pages only.
    let moved = desk
        .post(
            &format!("/appointments/{apt}/status"),
            &[
                ("status", "checked_in"),
                ("back", "https://elsewhere.example/"),
            ],
        )
        .await;
    assert_eq!(moved.status, 303);
    assert_eq!(moved.location.as_deref(), Some("/schedule"));

    // Booking over the same slot is a conflict shown on the schedule, with the entries kept.
    let clash = desk
        .post(
            "/schedule/book",
            &[
                ("patient_record", p.patient_id.as_str()),
                ("provider_id", &p.provider.id),
                ("date", "2027-01-15"),
                ("time", "12:15"),
                ("minutes", "30"),
                ("service", "consultation"),
                ("location", &p.clinic),
            ],
        )
        .await;
    assert_eq!(clash.status, 409);
    assert!(
        clash
            .body
            .contains("the provider is already booked at that time")
    );
    assert!(clash.body.contains("value=\"12:15\""));

    // Staff see the schedule but not the chart.
    let day = desk.get("/schedule?date=2027-01-15").await;
    assert_eq!(day.status, 200);
    assert!(day.body.contains("Jordan Nojs"));
    assert!(day.body.contains("Harbour clinic"));
    assert!(
        day.body
            .contains(&format!("/patients/{}/consents", p.patient_id))
    );
    let chart_page = desk.get(&chart).await;
    assert_eq!(chart_page.status, 403);

    // …but collect consents on their own page, and come back to it.
    let consents = format!("/patients/{}/consents", p.patient_id);
    let shown = desk.get(&consents).await;
    assert_eq!(shown.status, 200);
    assert!(shown.body.contains("Jordan Nojs"));
    let collected = desk
        .post(
            &consents,
            &[
                ("form", "treatment@2027-01"),
                ("signature", "Jordan Nojs"),
                ("from", "consents"),
            ],
        )
        .await;
    assert_eq!(collected.status, 303);
    assert_eq!(
        collected.location.as_deref(),
        Some(format!("{consents}#consents").as_str())
    );
    let refused = desk
        .post(
            &consents,
            &[
                ("form", "treatment@2027-01"),
                ("signature", ""),
                ("from", "consents"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("<h1>Consents</h1>"));
    let shown = desk.get(&consents).await;
    assert!(shown.body.contains("typed: Jordan Nojs"));
}

/// "Who opened my record" says in words what each entry was, with its code beside it: the
/// provider joining the care team and opening the chart are there for the patient to read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_patients_access_log_says_in_words_who_did_what() {
    let server = spawn_app(false).await;
    let p = practice(&server).await;
    let provider = Page::sign_in(&server, &p.provider).await;
    let chart = provider
        .get(&format!("/patients/{}/chart", p.patient_id))
        .await;
    assert_eq!(chart.status, 200);
    let jordan = server
        .add_user(
            "jordan.nojs@example.com",
            Role::Patient,
            Some(p.patient_id.as_str()),
        )
        .await;
    let page = Page::sign_in(&server, &jordan).await;
    let log = page.get("/account/access-log").await;
    assert_eq!(log.status, 200);
    for words in [
        "Joined your care team <small><code>care_team.assign</code>",
        "Opened your details <small><code>patient.read</code>",
    ] {
        assert!(log.body.contains(words), "{words}");
    }
}

/// A patient's own booking shows on their portal as a request awaiting the practice, which they
/// may withdraw; the front desk's schedule lists it with Confirm and Decline (a provider's has
/// no such buttons), and confirming books it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_front_desk_confirms_a_patients_request_on_the_schedule() {
    let server = spawn_app(false).await;
    let p = practice(&server).await;
    let jordan = server
        .add_user(
            "jordan.request@example.com",
            Role::Patient,
            Some(p.patient_id.as_str()),
        )
        .await;
    let jordan_actor = actor(&server, &jordan).await;
    // Monday 2027-01-18 14:00 UTC, within the default hours.
    let start = 1_800_280_800_000;
    let booking = server
        .app
        .book_appointment(
            &jordan_actor,
            &p.patient_id,
            &p.provider.user_id(),
            AppointmentInput {
                start_ms: start,
                end_ms: start + 1_800_000,
                service: "consultation".into(),
                location: LocationInput::Clinic {
                    clinic_id: p.clinic.clone(),
                },
            },
        )
        .await
        .unwrap();
    assert_eq!(booking.status, vial_clinical::Status::Requested);
    let portal = Page::sign_in(&server, &jordan).await;
    let mine = portal.get("/portal").await;
    assert_eq!(mine.status, 200);
    assert!(
        mine.body.contains("Requested: awaiting the practice"),
        "{}",
        mine.body
    );
    assert!(mine.body.contains("Withdraw this request"));

    let provider = Page::sign_in(&server, &p.provider).await;
    let theirs = provider.get("/schedule?date=2027-01-18").await;
    assert_eq!(theirs.status, 200);
    assert!(
        !theirs.body.contains("data-action=\"booked\""),
        "no Confirm for a provider"
    );

    let desk = Page::sign_in(&server, &p.staff).await;
    let schedule = desk.get("/schedule?date=2027-01-15").await;
    assert_eq!(schedule.status, 200);
    let id = booking.id.as_str();
    assert!(
        schedule.body.contains(&format!("id=\"req-{id}\"")),
        "listed whatever the day"
    );
    assert!(
        schedule
            .body
            .contains("data-action=\"booked\">Confirm</button>")
    );
    assert!(
        schedule
            .body
            .contains("data-action=\"cancelled\">Decline</button>")
    );
    let confirmed = desk
        .post(
            &format!("/appointments/{id}/status"),
            &[("status", "booked"), ("back", "/schedule?date=2027-01-18")],
        )
        .await;
    assert_eq!(confirmed.status, 303);
    let after = desk.get("/schedule?date=2027-01-15").await;
    assert!(!after.body.contains(&format!("id=\"req-{id}\"")));
    let mine = portal.get("/portal").await;
    assert!(!mine.body.contains("Withdraw this request"));
    assert!(mine.body.contains("Cancel this appointment"));
}

/// A practice in New York reads and books its schedule in New York time: the form's 09:00 is
/// 14:00 UTC in January, the day view lists it at 09:00, and a late-evening visit stays on its
/// local day rather than spilling into the next UTC date.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_schedule_reads_and_takes_times_in_the_practices_zone() {
    let server = spawn_app(false).await;
    let p = practice(&server).await;
    let owner = server
        .add_user("zone.owner@example.com", Role::Admin, None)
        .await;
    let owner = actor(&server, &owner).await;
    server
        .app
        .set_practice_setting(
            &owner,
            vial_app::PracticeSetting::TimeZone("America/New_York".into()),
        )
        .await
        .unwrap();
    let desk = Page::sign_in(&server, &p.staff).await;
    let form = desk.get("/schedule?date=2027-01-15").await;
    assert!(
        form.body.contains("Start (America/New_York)"),
        "{}",
        form.body
    );
    for (time, utc_start) in [
        ("09:00", 1_800_021_600_000i64),
        ("21:30", 1_800_066_600_000),
    ] {
        let booked = desk
            .post(
                "/schedule/book",
                &[
                    ("patient_record", p.patient_id.as_str()),
                    ("provider_id", &p.provider.id),
                    ("date", "2027-01-15"),
                    ("time", time),
                    ("minutes", "30"),
                    ("service", "consultation"),
                    ("location", &p.clinic),
                ],
            )
            .await;
        assert_eq!(booked.status, 303, "{}", booked.body);
        let day = server
            .app
            .schedule(
                &p.staff_actor,
                "2027-01-15",
                vial_app::ScheduleRange::Day,
                None,
            )
            .await
            .unwrap();
        assert!(
            day.iter().any(|a| a.start_ms == utc_start),
            "{time} New York is {utc_start}"
        );
    }
    let day = desk.get("/schedule?date=2027-01-15").await;
    assert!(day.body.contains("09:00"), "{}", day.body);
    assert!(day.body.contains("21:30"));
    assert!(!day.body.contains("14:00"), "not in UTC");
}

//! The clinical web UI in a real headless Chromium (phone-sized), driven over WebDriver
//! (fantoccini + chromedriver): the front desk books and checks in a patient, the provider
//! charts neurotoxin by tapping the face map, writes, signs and amends a SOAP note (the signed
//! note refusing edits), the patient reads the signed result in the portal, staff are refused
//! the chart, and the provider uploads photos from the chart and compares before and after.
//!
//! No sleeps: every step waits (bounded) for the element the next page shows.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use fantoccini::Locator;
use serde_json::json;
use vial_app::{Actor, DocumentKind, NewPatient, Role};
use vial_clinical::{ReceivedLotInput, TreatmentBodyInput};
use vial_testkit::browser::{Browser, WAIT, browser};
use vial_testkit::server::{PASSWORD, Server, TestUser, spawn_app};

/// The test server's clock stands at 2027-01-15 08:00 UTC.
const TODAY: &str = "2027-01-15";

/// A session's actor, for setting up data through the use cases.
async fn actor(server: &Server, user: &TestUser) -> Actor {
    let token = server.token(user).await;
    server.app.authenticate(&token, None).await.unwrap()
}

/// A practice: a provider, the front desk, an owner, a clinic and one patient.
struct Practice {
    provider: TestUser,
    staff: TestUser,
    staff_actor: Actor,
    provider_actor: Actor,
    clinic: String,
    patient_id: vial_app::PatientId,
}

async fn practice(server: &Server, family: &str) -> Practice {
    let provider = server
        .add_user("injector@example.com", Role::Provider, None)
        .await;
    let staff = server.add_user("desk@example.com", Role::Staff, None).await;
    let admin = server
        .add_user("owner@example.com", Role::Admin, None)
        .await;
    let (staff_actor, provider_actor, admin_actor) = (
        actor(server, &staff).await,
        actor(server, &provider).await,
        actor(server, &admin).await,
    );
    let clinic = server
        .app
        .add_location(&admin_actor, "Main Street clinic")
        .await
        .unwrap();
    let patient_id = server
        .app
        .create_patient(
            &staff_actor,
            NewPatient {
                given: "Avery".into(),
                family: family.into(),
                dob: "1985-03-02".into(),
                phone: None,
                email: None,
            },
        )
        .await
        .unwrap();
    Practice {
        provider,
        staff,
        staff_actor,
        provider_actor,
        clinic,
        patient_id,
    }
}

/// Receives Botox and filler stock to chart from and puts the provider on the patient's care
/// team.
async fn ready_to_treat(server: &Server, p: &Practice) {
    for (product, lot, quantity) in [
        ("botox_100", "C4521A", 200),
        ("juvederm_ultra_xc", "JV7781", 10),
    ] {
        server
            .app
            .receive_lot(
                &p.provider_actor,
                ReceivedLotInput {
                    product: product.into(),
                    lot: lot.into(),
                    expiry: "2028-06-30".into(),
                    quantity,
                },
            )
            .await
            .unwrap();
    }
    server.next_step();
    let code = server.code(&p.staff);
    let provider = p.provider.user_id();
    server
        .app
        .assign_care_team(
            &p.staff_actor,
            &p.patient_id,
            &provider,
            PASSWORD,
            Some(&code),
        )
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_front_desk_books_a_patient_and_checks_them_in() {
    let Some(browser) = browser().await else {
        return;
    };
    let server = spawn_app(false).await;
    let p = practice(&server, "Bookable").await;

    assert_eq!(browser.sign_in(&server, &p.staff).await, "Front desk");
    browser
        .open(&server, &format!("/schedule?date={TODAY}"))
        .await;
    assert_eq!(browser.heading().await, "Schedule");
    browser.wait_for("#no-appointments").await;

    // Find the patient (posted, so nothing identifying lands in a URL) and pick the result.
    browser.fill("find-family", "Bookable").await;
    browser.set("find-dob", "1985-03-02").await;
    browser.submit("#find-submit").await;
    let chosen = browser
        .wait_for("#found-patients input[type=radio]:checked")
        .await;
    assert_eq!(
        chosen.attr("value").await.unwrap().as_deref(),
        Some(p.patient_id.as_str())
    );
    assert!(
        browser
            .find("#found-patients")
            .await
            .text()
            .await
            .unwrap()
            .contains("Bookable, Avery")
    );

    browser.fill("book-provider", &p.provider.id).await;
    browser.set("book-time", "10:30").await;
    browser
        .find("#book-service")
        .await
        .select_by_value("neurotoxin_treatment")
        .await
        .unwrap();
    browser
        .find("#book-location")
        .await
        .select_by_value(&p.clinic)
        .await
        .unwrap();
    browser.submit("#book-submit").await;

    browser.wait_for("#booked-notice").await;
    let booked = browser.wait_for("li.appointment.just-booked").await;
    let text = booked.text().await.unwrap();
    for expected in [
        "10:30",
        "11:00",
        "Avery Bookable",
        "Neurotoxin treatment",
        "Main Street clinic",
        "Booked",
    ] {
        assert!(text.contains(expected), "{expected} in {text}");
    }
    let apt = booked.attr("id").await.unwrap().unwrap();

    // The patient arrives.
    browser
        .submit(&format!("#{apt} button[data-action=checked_in]"))
        .await;
    let arrived = browser
        .wait_for(&format!("#{apt}[data-status=checked_in]"))
        .await;
    assert!(arrived.text().await.unwrap().contains("Checked in"));
    let day = server
        .app
        .schedule(&p.staff_actor, TODAY, vial_app::ScheduleRange::Day, None)
        .await
        .unwrap();
    assert_eq!(day.len(), 1);
    assert_eq!(day[0].status, vial_clinical::Status::CheckedIn);
    assert_eq!(day[0].provider_id, p.provider.user_id());

    // Next day is empty; the week view still shows the visit.
    browser.submit("#next-day").await;
    browser.wait_for("#no-appointments").await;
    browser
        .open(&server, &format!("/schedule?date={TODAY}&view=week"))
        .await;
    browser.wait_for(&format!("#{apt}")).await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_provider_charts_neurotoxin_by_tapping_the_face_map() {
    let Some(browser) = browser().await else {
        return;
    };
    let server = spawn_app(false).await;
    let p = practice(&server, "Facemap").await;
    ready_to_treat(&server, &p).await;

    assert_eq!(browser.sign_in(&server, &p.provider).await, "Provider home");
    let chart = format!("/patients/{}/chart", p.patient_id);
    browser.open(&server, &chart).await;
    assert_eq!(browser.heading().await, "Chart");
    browser.wait_for("#history-missing").await;

    // The medical history first: every question answered; anticoagulants yes.
    browser.fill("history-allergies", "Penicillin").await;
    for no in browser
        .client
        .find_all(Locator::Css("#history-form input[type=radio][value=no]"))
        .await
        .unwrap()
    {
        no.click().await.unwrap();
    }
    browser
        .click("#history-form input[name=anticoagulants][value=yes]")
        .await;
    browser.submit("#history-save").await;
    let cautions = browser.wait_for("#toxin-warnings").await;
    assert!(cautions.text().await.unwrap().contains("Anticoagulant"));
    assert_eq!(
        browser
            .find("#history-allergies")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("Penicillin")
    );

    // The face map's script is running once it has added its keyboard alternative.
    browser.wait_for("#add-point").await;
    browser.fill("toxin-dilution", "2.5").await;

    // Submitted without a point: refused with a clear message, nothing stored.
    browser.submit("#neurotoxin-submit").await;
    let refused = browser.wait_for("#form-error").await;
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("tap the face map to place at least one injection point"),
    );
    browser.wait_for("#add-point").await;

    // Two taps: the glabella and the patient's left crow's feet (the image's right).
    let face = browser.find("#facemap-svg").await;
    browser.tap(&face, 0.50, 0.33).await;
    browser.wait_for("#points-list li:nth-child(1)").await;
    browser.tap(&face, 0.75, 0.40).await;
    browser.wait_for("#points-list li:nth-child(2)").await;
    let sites = browser
        .client
        .find_all(Locator::Css("#points-list .point-site"))
        .await
        .unwrap();
    assert_eq!(sites.len(), 2);
    assert_eq!(
        sites[0].prop("value").await.unwrap().as_deref(),
        Some("glabella_procerus")
    );
    assert_eq!(
        sites[1].prop("value").await.unwrap().as_deref(),
        Some("lateral_canthus_l")
    );
    let units = browser
        .client
        .find_all(Locator::Css("#points-list .point-units"))
        .await
        .unwrap();
    for (field, value) in units.iter().zip(["20", "12"]) {
        field.clear().await.unwrap();
        field.send_keys(value).await.unwrap();
    }
    assert_eq!(
        browser.find("#points-total").await.text().await.unwrap(),
        "32"
    );
    browser.submit("#neurotoxin-submit").await;

    let notice = browser.wait_for("#charted-notice").await;
    let said = notice.text().await.unwrap();
    assert!(said.contains("32 units"), "{said}");
    // The history's warning is shown with the charted treatment.
    assert!(said.contains("Anticoagulant"), "{said}");
    let charted = browser.find(".treatment.just-charted").await;
    let text = charted.text().await.unwrap();
    for expected in [
        "32 units",
        "Glabella / procerus: 20 units",
        "Lateral canthus / crow's feet (L): 12 units",
        "Lot C4521A",
    ] {
        assert!(text.contains(expected), "{expected} in {text}");
    }
    // The map redraws the points where they were placed.
    assert_eq!(
        charted
            .find_all(Locator::Css("svg .marker"))
            .await
            .unwrap()
            .len(),
        2
    );

    // Stored as placed, with the derived total, drawn from the lot.
    let treatments = server
        .app
        .treatments_of(&p.provider_actor, &p.patient_id)
        .await
        .unwrap();
    assert_eq!(treatments.len(), 1);
    assert_eq!(treatments[0].total_units, Some(32.0));
    let TreatmentBodyInput::Neurotoxin(body) = &treatments[0].treatment.body else {
        panic!("not a neurotoxin record");
    };
    assert_eq!(body.product, "botox_100");
    assert_eq!(body.lot, "C4521A");
    assert_eq!(body.expiry, "2028-06-30");
    assert!((body.dilution_ml - 2.5).abs() < 1e-9);
    let placed: Vec<_> = body.points.iter().map(|pt| (pt.x, pt.y)).collect();
    for ((x, y), (ex, ey)) in placed.iter().zip([(0.50, 0.33), (0.75, 0.40)]) {
        assert!(
            (x - ex).abs() < 0.03 && (y - ey).abs() < 0.03,
            "{x},{y} vs {ex},{ey}"
        );
    }
    let stock = server.app.inventory(&p.provider_actor).await.unwrap();
    let botox = stock.iter().find(|l| l.lot == "C4521A").unwrap();
    assert_eq!(botox.remaining, 168.0);

    // Filler is charted per area, without the map.
    browser.click("#chart-filler").await;
    browser
        .find("#filler-form select[name=area_0]")
        .await
        .select_by_value("lips_upper")
        .await
        .unwrap();
    let volume = browser.find("#filler-form input[name=volume_0]").await;
    volume.send_keys("0.6").await.unwrap();
    browser
        .find("#filler-form select[name=device_0]")
        .await
        .select_by_value("cannula")
        .await
        .unwrap();
    let syringe = browser.find("#filler-form input[name=syringe]").await;
    syringe.send_keys("1").await.unwrap();
    browser.submit("#filler-submit").await;
    let notice = browser.wait_for("#charted-notice").await;
    assert!(notice.text().await.unwrap().contains("0.6 mL"));
    let filler = browser
        .find(".treatment.just-charted")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        filler.contains("Upper lip: 0.6 mL · Intradermal · cannula"),
        "{filler}"
    );
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_note_is_locked_and_amended_and_the_patient_reads_it() {
    let Some(browser) = browser().await else {
        return;
    };
    let server = spawn_app(false).await;
    let p = practice(&server, "Soapnote").await;
    ready_to_treat(&server, &p).await;
    let patient = server
        .add_user(
            "avery@example.com",
            Role::Patient,
            Some(p.patient_id.as_str()),
        )
        .await;

    assert_eq!(browser.sign_in(&server, &p.provider).await, "Provider home");
    browser
        .open(&server, &format!("/patients/{}/chart", p.patient_id))
        .await;
    browser.wait_for("#new-note").await;
    browser
        .fill("note-subjective", "Frown lines bother her at work")
        .await;
    browser
        .fill("note-plan", "Glabella 20 units, review in two weeks")
        .await;
    browser.submit("#note-save").await;

    let draft = browser.wait_for("article.note.draft").await;
    let note = draft.attr("id").await.unwrap().unwrap();
    let note_id = note.trim_start_matches("note-").to_owned();
    assert!(
        browser
            .find(&format!("#edit-{note_id}"))
            .await
            .text()
            .await
            .is_ok()
    );
    browser.submit(&format!("#sign-{note_id} button")).await;

    let signed = browser.wait_for(&format!("#{note}.signed")).await;
    assert!(
        signed
            .text()
            .await
            .unwrap()
            .contains("Glabella 20 units, review in two weeks")
    );
    // Signed: no edit form any more.
    assert!(
        browser
            .client
            .find_all(Locator::Css("form.note-edit"))
            .await
            .unwrap()
            .is_empty()
    );

    // An edit posted anyway (a stale tab) is refused with the conflict, and changes nothing.
    browser
        .client
        .execute(
            "const form = document.createElement('form');
             form.method = 'post';
             form.action = '/notes/' + arguments[0] + '/edit';
             const fields = { _csrf: document.querySelector('meta[name=csrf-token]').content,
                              patient_id: arguments[1], version: '1', plan: 'Changed afterwards' };
             for (const [name, value] of Object.entries(fields)) {
               const input = document.createElement('input');
               input.type = 'hidden'; input.name = name; input.value = value;
               form.appendChild(input);
             }
             document.body.appendChild(form);
             form.submit();",
            vec![json!(note_id), json!(p.patient_id)],
        )
        .await
        .unwrap();
    let refused = browser.wait_for("#form-error").await;
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("note is signed; add an amendment")
    );
    let stored = server
        .app
        .read_document(&p.provider_actor, &note_id.as_str().into())
        .await
        .unwrap();
    assert_eq!(stored.state, vial_clinical::SignState::Signed);
    assert_eq!(
        stored.body["plan"],
        json!("Glabella 20 units, review in two weeks")
    );

    // The amendment goes under the original, which stays as signed.
    let amend = browser.find(&format!("#amend-{note_id} textarea")).await;
    amend
        .send_keys("Correction: 18 units were given at the glabella")
        .await
        .unwrap();
    browser.submit(&format!("#amend-{note_id} button")).await;
    let amendment = browser.wait_for(&format!("#{note} .amendment")).await;
    assert!(
        amendment
            .text()
            .await
            .unwrap()
            .contains("Correction: 18 units were given at the glabella")
    );
    let whole = browser
        .find(&format!("#{note}"))
        .await
        .text()
        .await
        .unwrap();
    let original = whole
        .find("Glabella 20 units, review in two weeks")
        .unwrap();
    let correction = whole.find("Correction: 18 units").unwrap();
    assert!(original < correction, "{whole}");
    let notes = server
        .app
        .documents_of(&p.provider_actor, &p.patient_id, DocumentKind::Note)
        .await
        .unwrap();
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].amendments.len(), 1);
    browser.sign_out().await;

    // The patient reads the signed note with its amendment in the portal.
    browser.sign_in(&server, &patient).await;
    browser.open(&server, "/portal").await;
    assert_eq!(browser.heading().await, "My visits and notes");
    let portal = browser.find("#notes").await.text().await.unwrap();
    assert!(
        portal.contains("Glabella 20 units, review in two weeks"),
        "{portal}"
    );
    assert!(portal.contains("Correction: 18 units"), "{portal}");
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_are_refused_the_chart() {
    let Some(browser) = browser().await else {
        return;
    };
    let server = spawn_app(false).await;
    let p = practice(&server, "Private").await;
    ready_to_treat(&server, &p).await;

    assert_eq!(browser.sign_in(&server, &p.staff).await, "Front desk");
    browser
        .open(&server, &format!("/patients/{}/chart", p.patient_id))
        .await;
    assert_eq!(browser.heading().await, "Not permitted");
    let source = browser.client.source().await.unwrap();
    assert!(!source.contains("Medical history"));
    // The refusal is on the record.
    let audit = server.audit().await;
    assert!(
        audit
            .iter()
            .any(|(action, outcome, patient)| action == "history.read"
                && outcome == "denied"
                && patient.as_deref() == Some(p.patient_id.as_str())),
        "{audit:?}"
    );
    browser.close().await;
}

/// A JPEG file of a `width`×`height` picture with a red block at the top-left corner.
fn photo_file(dir: &std::path::Path, name: &str, width: u32, height: u32) -> String {
    let picture = image::RgbImage::from_fn(width, height, |x, y| {
        if x < 16 && y < 16 {
            image::Rgb([220, 30, 30])
        } else {
            image::Rgb([30, 60, ((x + y) % 200) as u8])
        }
    });
    let path = dir.join(name);
    picture.save(&path).unwrap();
    path.display().to_string()
}

/// Waits (bounded) until every image matching `css` has loaded with pixels; returns how many.
async fn images_loaded(b: &Browser, css: &str) -> u64 {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let loaded = b
            .client
            .execute(
                "const imgs = [...document.querySelectorAll(arguments[0])]; \
                 return imgs.length > 0 && imgs.every(i => i.complete && i.naturalWidth > 0) \
                   ? imgs.length : 0;",
                vec![json!(css)],
            )
            .await
            .unwrap()
            .as_u64()
            .unwrap_or(0);
        if loaded > 0 {
            return loaded;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{css} images did not load"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_provider_uploads_photos_and_compares_before_and_after() {
    let Some(b) = browser().await else { return };
    let server = spawn_app(false).await;
    let p = practice(&server, "Photographed").await;
    ready_to_treat(&server, &p).await;
    let owner = server
        .add_user("photo.owner@example.com", Role::Admin, None)
        .await;
    let owner = actor(&server, &owner).await;
    server
        .app
        .publish_consent_form(
            &owner,
            serde_json::from_value(
                json!({"kind": "photography", "version": "v1", "text": "Photos for my record."}),
            )
            .unwrap(),
        )
        .await
        .unwrap();
    server
        .app
        .sign_consent(
            &p.staff_actor,
            &p.patient_id,
            serde_json::from_value(json!({"kind": "photography", "form_version": "v1",
                "signature": {"type": "typed", "name": "Avery Photographed"}}))
            .unwrap(),
        )
        .await
        .unwrap();
    let files = tempfile::tempdir().unwrap();
    let before = photo_file(files.path(), "before.jpg", 120, 90);
    let after = photo_file(files.path(), "after.jpg", 120, 90);

    b.sign_in(&server, &p.provider).await;
    b.open(&server, &format!("/patients/{}/chart#photos", p.patient_id))
        .await;
    b.wait_for("#photo-upload").await;
    assert!(
        b.find("#no-photos")
            .await
            .text()
            .await
            .unwrap()
            .contains("No photos")
    );
    let capture = b.find("#photo-file").await.attr("capture").await.unwrap();
    assert_eq!(capture.as_deref(), Some("environment"));
    for (file, phase) in [(&before, "before"), (&after, "after")] {
        b.wait_for("#photo-file").await;
        b.set("photo-view", "front").await;
        b.set("photo-area", "lips").await;
        b.set("photo-phase", phase).await;
        b.find("#photo-file").await.send_keys(file).await.unwrap();
        b.submit("#photo-save").await;
    }
    b.wait_for("#photo-gallery img").await;
    assert_eq!(
        images_loaded(&b, "#photo-gallery img").await,
        2,
        "two thumbnails"
    );
    let gallery = b.find("#photo-gallery").await.text().await.unwrap();
    assert!(gallery.contains("Front · Lips · Before"), "{gallery}");
    assert!(gallery.contains("Front · Lips · After"), "{gallery}");

    b.submit("#photo-compare").await;
    assert_eq!(b.heading().await, "Before and after");
    assert_eq!(images_loaded(&b, "#compare-pair img").await, 2);
    assert_eq!(images_loaded(&b, "#compare-slider img").await, 2);
    let before_alt = b
        .find("#compare-before-img")
        .await
        .attr("alt")
        .await
        .unwrap()
        .unwrap();
    assert!(before_alt.contains("Before"), "{before_alt}");
    // The slider (external script) clips the "after" picture as the range moves.
    b.client
        .execute(
            "const r = document.getElementById('compare-range'); r.value = 80; \
             r.dispatchEvent(new Event('input'));",
            vec![],
        )
        .await
        .unwrap();
    let reveal = b
        .client
        .execute(
            "const o = document.getElementById('compare-over'); \
             return [o.dataset.reveal, o.style.clipPath];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(reveal, json!(["80", "inset(0px 0px 0px 20%)"]));
    b.close().await;

    // Every thumbnail and picture fetched was an audited view (the browser may reuse an image
    // already in the document, so at least the two thumbnails and the two pictures).
    let views = server
        .audit()
        .await
        .into_iter()
        .filter(|(action, outcome, _)| action.starts_with("photo.view") && outcome == "allowed")
        .count();
    assert!(views >= 4, "{views} audited views");
}

//! Secure messages in a real headless Chromium (phone-sized): a patient starts a conversation
//! after a treatment, the provider on the care team answers from the inbox, the front desk
//! cannot open it, and the patient reads the answer.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::json;
use vial_app::Role;
use vial_testkit::browser::browser;
use vial_testkit::server::spawn_app;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patient_asks_after_a_treatment_and_the_provider_answers_from_the_inbox() {
    let Some(browser) = browser().await else {
        return;
    };
    let server = spawn_app(false).await;
    let staff = server
        .add_user("ui.msg.desk@example.com", Role::Staff, None)
        .await;
    let provider = server
        .add_user("ui.msg.np@example.com", Role::Provider, None)
        .await;
    let staff_token = server.token(&staff).await;
    let (status, body) = server
        .post(
            "/api/v1/patients",
            Some(&staff_token),
            json!({"given": "Messa", "family": "Browsertest", "dob": "1990-02-03"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let patient_id = body["id"].as_str().unwrap().to_owned();
    let (status, _) = server
        .post(
            &format!("/api/v1/patients/{patient_id}/care-team"),
            Some(&staff_token),
            server.reauthenticated(&staff, json!({"provider_id": provider.id})),
        )
        .await;
    assert_eq!(status, 204);
    let patient = server
        .add_user("messa@example.com", Role::Patient, Some(&patient_id))
        .await;
    // The photography consent on file, so that the provider may file the patient's photo.
    let admin = server
        .add_user("ui.msg.owner@example.com", Role::Admin, None)
        .await;
    let (status, _) = server
        .post(
            "/api/v1/consent-forms",
            Some(&server.token(&admin).await),
            json!({"kind": "photography", "version": "v1", "text": "Photos for my record."}),
        )
        .await;
    assert_eq!(status, 201);
    let (status, _) = server
        .post(
            &format!("/api/v1/patients/{patient_id}/consents"),
            Some(&server.token(&patient).await),
            json!({"kind": "photography", "form_version": "v1",
                   "signature": {"type": "typed", "name": "Messa Browsertest"}}),
        )
        .await;
    assert_eq!(status, 201);

    // The patient, on their phone, starts an urgent post-treatment conversation.
    assert_eq!(browser.sign_in(&server, &patient).await, "My record");
    browser.click("#bar-messages").await;
    browser.wait_for("#start-thread").await;
    assert!(
        browser
            .find("#emergency-disclaimer")
            .await
            .text()
            .await
            .unwrap()
            .contains("call 911")
    );
    browser.set("thread-reason", "post_treatment_concern").await;
    browser
        .fill("thread-subject", "Swelling after filler")
        .await;
    browser
        .fill("thread-body", "My upper lip is still swollen on day 3.")
        .await;
    browser.click("#thread-urgent").await;
    browser.submit("#thread-send").await;
    assert_eq!(browser.heading().await, "Swelling after filler");
    let thread_url = browser.client.current_url().await.unwrap();
    let thread_path = thread_url.path().to_owned();
    // A photo straight from the phone into the conversation.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("IMG_2041.jpg");
    std::fs::write(
        &file,
        vial_testkit::images::exif_jpeg(&vial_testkit::images::textured(64, 48), 1),
    )
    .unwrap();
    browser
        .find("#photo-file")
        .await
        .send_keys(file.to_str().unwrap())
        .await
        .unwrap();
    browser.submit("#photo-send").await;
    browser.wait_for("img.message-photo").await;
    browser.sign_out().await;

    // The provider finds it at the top of the inbox and answers.
    assert_eq!(browser.sign_in(&server, &provider).await, "Provider home");
    browser.open(&server, "/messages").await;
    browser.wait_for("#threads").await;
    let first = browser.find("#threads li").await.text().await.unwrap();
    assert!(
        first.starts_with("Urgent · Swelling after filler"),
        "{first}"
    );
    // An aftercare template, written once, sent with the patient's first name filled in.
    browser.click("#templates-link").await;
    browser.wait_for("#new-template").await;
    browser.fill("template-name", "Aftercare: filler").await;
    browser.set("template-kind", "filler").await;
    browser
        .fill(
            "template-body",
            "Hi {first_name}, no lipstick for a day after {date}.",
        )
        .await;
    browser.submit("#template-save").await;
    browser.open(&server, "/messages").await;
    browser.wait_for("#threads").await;
    browser
        .click(&format!("#threads a[href='{thread_path}']"))
        .await;
    browser.wait_for("#send-template").await;
    browser.submit("#template-send").await;
    let messages = browser.find("#messages").await.text().await.unwrap();
    assert!(
        messages.contains("Hi Messa, no lipstick for a day after"),
        "{messages}"
    );
    browser.wait_for("#reply").await;
    browser
        .fill(
            "reply-body",
            "Cold compress tonight; send a photo tomorrow.",
        )
        .await;
    browser.submit("#reply-send").await;
    let messages = browser.find("#messages").await.text().await.unwrap();
    assert!(messages.contains("Cold compress tonight"), "{messages}");
    browser.sign_out().await;

    // The front desk cannot open a clinical conversation.
    assert_eq!(browser.sign_in(&server, &staff).await, "Front desk");
    browser.open(&server, &thread_path).await;
    assert_eq!(browser.heading().await, "Not permitted");
    browser.open(&server, "/home").await;
    browser.sign_out().await;

    // The patient reads the answer.
    assert_eq!(browser.sign_in(&server, &patient).await, "My record");
    browser.open(&server, &thread_path).await;
    browser.wait_for("#messages").await;
    let messages = browser.find("#messages").await.text().await.unwrap();
    assert!(messages.contains("Cold compress tonight"), "{messages}");
    assert!(messages.contains("You"), "{messages}");
    // The patient turns the email notices off.
    browser.open(&server, "/messages").await;
    browser.submit("#notices-toggle").await;
    let state = browser.find("#notices-state").await.text().await.unwrap();
    assert!(state.starts_with("No emails"), "{state}");
    browser.close().await;
}

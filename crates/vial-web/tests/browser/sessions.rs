//! The web UI in a real headless Chromium, driven over WebDriver (fantoccini + chromedriver):
//! sign in with TOTP, land on the right home per role, be refused another role's page, and be
//! signed out after the idle timeout with the patient's details gone from the screen.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use fantoccini::Locator;
use serde_json::json;
use vial_app::Role;
use vial_testkit::browser::{WAIT, browser};
use vial_testkit::server::{MINUTE, PASSWORD, Server, TestUser, spawn_app};

/// A patient record registered through the API by `staff`, with a portal account.
async fn patient_with_account(server: &Server, staff: &TestUser, given: &str) -> TestUser {
    let token = server.token(staff).await;
    let (status, body) = server
        .post(
            "/api/v1/patients",
            Some(&token),
            json!({"given": given, "family": "Browsertest", "dob": "1988-04-05"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_str().unwrap().to_owned();
    server
        .add_user(
            &format!("{}@example.com", given.to_lowercase()),
            Role::Patient,
            Some(&id),
        )
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_role_signs_in_with_totp_and_lands_on_its_home() {
    let Some(browser) = browser().await else {
        return;
    };
    let server = spawn_app(false).await;
    let provider = server
        .add_user("ui.injector@example.com", Role::Provider, None)
        .await;
    let staff = server
        .add_user("ui.desk@example.com", Role::Staff, None)
        .await;
    let admin = server
        .add_user("ui.owner@example.com", Role::Admin, None)
        .await;
    let patient = patient_with_account(&server, &staff, "Portalmarker").await;

    for (user, home) in [
        (&provider, "Provider home"),
        (&staff, "Front desk"),
        (&admin, "Administration"),
        (&patient, "My record"),
    ] {
        assert_eq!(
            browser.sign_in(&server, user).await,
            home,
            "{:?}",
            user.role
        );
        if user.role == Role::Patient {
            let source = browser.client.source().await.unwrap();
            assert!(
                source.contains("Portalmarker"),
                "the patient sees their own record"
            );
        }
        browser.sign_out().await;
    }

    // A wrong code keeps the person on the login page with a message.
    browser.open(&server, "/login").await;
    browser.fill("email", &provider.email).await;
    browser.fill("password", PASSWORD).await;
    browser.fill("totp", "000000").await;
    browser
        .client
        .find(Locator::Id("sign-in"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let error = browser
        .client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Id("login-error"))
        .await
        .unwrap();
    assert!(error.text().await.unwrap().contains("not accepted"));
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_of_another_role_is_refused() {
    let Some(browser) = browser().await else {
        return;
    };
    let server = spawn_app(false).await;
    let staff = server
        .add_user("ui.frontdesk@example.com", Role::Staff, None)
        .await;
    let patient = patient_with_account(&server, &staff, "Otherrole").await;

    assert_eq!(browser.sign_in(&server, &staff).await, "Front desk");
    for path in [
        "/admin/users",
        "/admin/audit?patient_id=pat_none",
        "/account/access-log",
    ] {
        browser.open(&server, path).await;
        assert_eq!(browser.heading().await, "Not permitted", "{path}");
    }
    browser.open(&server, "/home").await;
    browser.sign_out().await;

    assert_eq!(browser.sign_in(&server, &patient).await, "My record");
    browser.open(&server, "/admin/users").await;
    assert_eq!(browser.heading().await, "Not permitted");
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_timeout_signs_out_and_takes_the_record_off_the_screen() {
    let Some(browser) = browser().await else {
        return;
    };
    let server = spawn_app(false).await;
    let provider = server
        .add_user("ui.np@example.com", Role::Provider, None)
        .await;
    assert_eq!(browser.sign_in(&server, &provider).await, "Provider home");

    // Register a patient through the form and look at the record.
    browser.open(&server, "/patients/new").await;
    browser.fill("given", "Idlemarker").await;
    browser.fill("family", "Screenclear").await;
    browser
        .client
        .execute(
            "document.getElementById('dob').value = '1979-12-24';",
            vec![],
        )
        .await
        .unwrap();
    browser
        .client
        .find(Locator::Id("register"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let name = browser
        .client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Id("patient-name"))
        .await
        .unwrap();
    assert_eq!(name.text().await.unwrap(), "Idlemarker Screenclear");

    // The person walks away: the server's idle timeout passes. When the page next checks (on
    // focus, or every 30 s), it empties itself and goes to the login page.
    server.clock.advance_ms(16 * MINUTE);
    browser
        .client
        .execute("window.dispatchEvent(new Event('focus'));", vec![])
        .await
        .unwrap();
    browser
        .client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Id("login-notice"))
        .await
        .unwrap();
    let source = browser.settled_source().await;
    assert!(!source.contains("Idlemarker"));
    assert!(source.contains("You were signed out"));

    // Going back does not bring the record back: the session is gone.
    browser.client.back().await.unwrap();
    browser
        .client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Id("sign-in"))
        .await
        .unwrap();
    assert!(
        !browser
            .client
            .source()
            .await
            .unwrap()
            .contains("Idlemarker")
    );
    browser.close().await;
}

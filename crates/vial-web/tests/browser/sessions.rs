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

/// Onboarding by invitation in the browser: the admin invites and never sees the new provider's
/// password, secret or codes; the provider opens the operator's link, chooses a password, scans
/// the authenticator and keeps the recovery codes; signing in waits for a second admin's
/// approval, then works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invited_provider_sets_up_the_account_and_signs_in_once_approved() {
    let Some(browser) = browser().await else {
        return;
    };
    let server = spawn_app(false).await;
    let admin = server
        .add_user("ui.owner@example.com", Role::Admin, None)
        .await;
    let second = server
        .add_user("ui.manager@example.com", Role::Admin, None)
        .await;

    assert_eq!(browser.sign_in(&server, &admin).await, "Administration");
    browser.open(&server, "/admin/users").await;
    browser.fill("invite-name", "Nia Newhire").await;
    browser
        .fill("invite-email", "nia.newhire@example.com")
        .await;
    browser.set("invite-role", "provider").await;
    browser.fill("your-password", PASSWORD).await;
    server.next_step();
    browser.fill("your-code", &server.code(&admin)).await;
    browser.submit("#invite").await;
    assert_eq!(browser.heading().await, "Invitation created");
    let user_id = browser.find("#new-user-id").await.text().await.unwrap();
    let admin_saw = browser.settled_source().await;
    browser.open(&server, "/admin/users").await;
    let admin_saw = admin_saw + &browser.settled_source().await;
    browser.sign_out().await;

    // The operator prints the link on the server; the provider opens it on their phone.
    let link = server.invitation_path("nia.newhire@example.com").await;
    browser.open(&server, &link).await;
    assert_eq!(browser.heading().await, "Set up your account");
    browser.wait_for("img.qr").await;
    let secret = browser.find("#totp-secret").await.text().await.unwrap();
    browser.fill("password", PASSWORD).await;
    browser.fill("password-again", PASSWORD).await;
    server.next_step();
    browser.fill("code", &server.code_for(&secret)).await;
    browser.submit("#set-up").await;
    assert_eq!(browser.heading().await, "Your account is set up");
    browser.wait_for("#awaiting-approval").await;
    let codes = browser
        .client
        .find_all(Locator::Css("#recovery-codes li"))
        .await
        .unwrap();
    assert_eq!(codes.len(), 10);
    let first_code = codes[0].text().await.unwrap();
    for private in [
        secret.as_str(),
        first_code.as_str(),
        PASSWORD,
        "/invitation/",
    ] {
        assert!(
            !admin_saw.contains(private),
            "the admin's pages showed {private}"
        );
    }

    // Not approved yet: the sign-in is refused like any other.
    let nia = TestUser::with_secret("nia.newhire@example.com", Role::Provider, &secret);
    browser.open(&server, "/login").await;
    server.next_step();
    browser.fill("email", &nia.email).await;
    browser.fill("password", PASSWORD).await;
    browser.fill("totp", &server.code(&nia)).await;
    browser.click("#sign-in").await;
    browser.wait_for("#login-error").await;

    // A second admin approves, confirming it is them.
    assert_eq!(browser.sign_in(&server, &second).await, "Administration");
    browser.open(&server, "/approvals").await;
    browser.fill(&format!("password-{user_id}"), PASSWORD).await;
    server.next_step();
    browser
        .fill(&format!("totp-{user_id}"), &server.code(&second))
        .await;
    browser.submit(&format!("#approve-button-{user_id}")).await;
    browser.wait_for("#no-approvals").await;
    browser.sign_out().await;

    assert_eq!(browser.sign_in(&server, &nia).await, "Provider home");
    browser.close().await;
}

//! The admin's vendor page in a real headless Chromium: the data-flow map (an SVG drawn from
//! the live configuration) shows Vial, its database and its photo storage; registering a vendor
//! through the form (re-authenticated) adds it to the table and to the map.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use vial_app::Role;
use vial_testkit::browser::browser;
use vial_testkit::server::{PASSWORD, spawn_app};

/// `(kind, status)` of every node of the data-flow map, in order.
async fn map_nodes(browser: &vial_testkit::browser::Browser) -> Vec<(String, String)> {
    let nodes = browser
        .client
        .execute(
            "return Array.from(document.querySelectorAll('svg#data-flow g.node'))\
             .map(g => [g.dataset.kind, g.dataset.status]);",
            vec![],
        )
        .await
        .unwrap();
    serde_json::from_value(nodes).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_vendor_page_maps_where_phi_goes_and_registers_a_vendor() {
    let Some(browser) = browser().await else {
        return;
    };
    let server = spawn_app(false).await;
    let admin = server
        .add_user("ui.vendors@example.com", Role::Admin, None)
        .await;
    assert_eq!(browser.sign_in(&server, &admin).await, "Administration");
    // No allowed regions yet: a warning on the admin home.
    let home = browser.settled_source().await;
    assert!(home.contains("No allowed regions are set"), "{home}");
    browser.click("a[href='/admin/vendors']").await;
    browser.wait_for("svg#data-flow").await;
    assert_eq!(browser.heading().await, "Vendors and BAAs");
    assert_eq!(
        map_nodes(&browser).await,
        [
            ("vial".to_owned(), "own".to_owned()),
            ("database".to_owned(), "own".to_owned()),
            ("object_storage".to_owned(), "own".to_owned()),
        ]
    );

    browser.fill("allowed-regions", "us").await;
    browser.submit("#regions-save").await;
    browser.fill("vendor-name", "Mailer Inc").await;
    browser
        .fill("vendor-hosts", "smtp.mailer.example.com")
        .await;
    browser.fill("vendor-region", "us-east-2").await;
    browser.set("vendor-service", "email").await;
    browser.set("vendor-signed", "2026-06-01").await;
    // The test clock is 2027-01-15: 20 days left, a warning.
    browser.set("vendor-expires", "2027-02-04").await;
    browser.fill("your-password", PASSWORD).await;
    server.next_step();
    browser.fill("your-code", &server.code(&admin)).await;
    browser.submit("#vendor-add").await;
    browser.wait_for("svg#data-flow").await;

    let nodes = map_nodes(&browser).await;
    assert_eq!(nodes.len(), 4, "{nodes:?}");
    assert_eq!(nodes[3], ("vendor".to_owned(), "expiring_soon".to_owned()));
    let vendor_node = browser
        .find("svg#data-flow g.node[data-kind='vendor']")
        .await
        .text()
        .await
        .unwrap();
    assert!(vendor_node.contains("Mailer Inc"), "{vendor_node}");
    assert!(
        vendor_node.contains("smtp.mailer.example.com"),
        "{vendor_node}"
    );
    let row = browser
        .find("#vendors tbody tr")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        row.contains("Mailer Inc") && row.contains("expiring soon"),
        "{row}"
    );
    let page = browser.settled_source().await;
    assert!(
        page.contains("The BAA with Mailer Inc expires in 20 days"),
        "{page}"
    );
    assert!(!page.contains("No allowed regions are set"), "{page}");
    browser.close().await;
}

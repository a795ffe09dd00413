//! The page helpers of the browser tests: a phone-sized headless Chromium session (see
//! [`crate::chromium`]) that opens the test server's pages, waits (bounded) for elements, fills
//! and submits forms, taps like a finger, and signs in through the login form.

use std::time::Duration;

use fantoccini::actions::{InputSource, MOUSE_BUTTON_LEFT, MouseActions, PointerAction};
use fantoccini::elements::Element;
use fantoccini::{Client, Locator};
use serde_json::json;

use crate::server::{PASSWORD, Server, TestUser};

/// How long a page gets to show what a test waits for.
pub const WAIT: Duration = Duration::from_secs(20);

/// One chromedriver process (killed on drop) and a browser session on it.
#[derive(Debug)]
pub struct Browser {
    pub client: Client,
    _session: crate::chromium::Chromium,
}

/// A browser session, or `None` when the developer opted out with `VIAL_SKIP_BROWSER=1`; a
/// missing Chromium fails the test otherwise.
pub async fn browser() -> Option<Browser> {
    let session = crate::chromium::start().await?;
    Some(Browser {
        client: session.client.clone(),
        _session: session,
    })
}

impl Browser {
    pub async fn open(&self, server: &Server, path: &str) {
        self.client
            .goto(&format!("{}{path}", server.base))
            .await
            .unwrap();
    }

    /// The page's source once the page stopped navigating: chromedriver aborts a command that
    /// a navigation (a script's `location.replace`, say) overtakes, so ask again until one
    /// answers from a settled page.
    pub async fn settled_source(&self) -> String {
        for _ in 0..100 {
            match self.client.source().await {
                Ok(source) => return source,
                Err(e) if format!("{e:?}").contains("aborted by navigation") => continue,
                Err(e) => panic!("page source: {e:?}"),
            }
        }
        panic!("the page kept navigating")
    }

    pub async fn heading(&self) -> String {
        self.wait_for("main h1").await.text().await.unwrap()
    }

    /// The element once the page shows it (bounded); the page source in the panic otherwise.
    pub async fn wait_for(&self, css: &str) -> Element {
        match self
            .client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
        {
            Ok(element) => element,
            Err(e) => {
                let url = self.client.current_url().await.unwrap();
                let source = self.client.source().await.unwrap();
                panic!("{css} did not appear at {url} ({e}): {source}");
            }
        }
    }

    pub async fn find(&self, css: &str) -> Element {
        self.client.find(Locator::Css(css)).await.unwrap()
    }

    pub async fn click(&self, css: &str) {
        self.find(css).await.click().await.unwrap();
    }

    /// Clicks a button that submits a form and waits (bounded) until the next page has loaded,
    /// so that waits after it cannot find an element of the page that was left.
    pub async fn submit(&self, css: &str) {
        self.client
            .execute("window.__vialLeaving = true;", vec![])
            .await
            .unwrap();
        self.click(css).await;
        let deadline = std::time::Instant::now() + WAIT;
        loop {
            let left = self
                .client
                .execute(
                    "return window.__vialLeaving === undefined && document.readyState === 'complete';",
                    vec![],
                )
                .await
                .map(|v| v.as_bool() == Some(true))
                .unwrap_or(false);
            if left {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{css} did not lead to a new page"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn fill(&self, id: &str, value: &str) {
        let field = self.client.find(Locator::Id(id)).await.unwrap();
        field.clear().await.unwrap();
        field.send_keys(value).await.unwrap();
    }

    /// Sets an input's value directly (date and time inputs type differently per locale).
    pub async fn set(&self, id: &str, value: &str) {
        self.client
            .execute(
                "document.getElementById(arguments[0]).value = arguments[1];",
                vec![json!(id), json!(value)],
            )
            .await
            .unwrap();
    }

    /// Signs in through the login form with a fresh TOTP code; returns the landing heading.
    pub async fn sign_in(&self, server: &Server, user: &TestUser) -> String {
        self.open(server, "/login").await;
        server.next_step();
        self.fill("email", &user.email).await;
        self.fill("password", PASSWORD).await;
        if server.totp_secret(user).is_some() {
            self.fill("totp", &server.code(user)).await;
        }
        self.click("#sign-in").await;
        self.wait_for("header nav").await;
        self.heading().await
    }

    pub async fn sign_out(&self) {
        self.click("header nav button").await;
        self.wait_for("#sign-in").await;
    }

    /// Taps (a real pointer click) the element at an element-relative position, `0..1` across
    /// and down, as a provider's finger would.
    pub async fn tap(&self, element: &Element, x: f64, y: f64) {
        self.client
            .execute(
                "arguments[0].scrollIntoView({block: 'center'});",
                vec![serde_json::to_value(element).unwrap()],
            )
            .await
            .unwrap();
        let (_, _, width, height) = element.rectangle().await.unwrap();
        let tap = MouseActions::new("finger".into())
            .then(PointerAction::MoveToElement {
                element: element.clone(),
                duration: None,
                x: ((x - 0.5) * width).round(),
                y: ((y - 0.5) * height).round(),
            })
            .then(PointerAction::Down {
                button: MOUSE_BUTTON_LEFT,
            })
            .then(PointerAction::Up {
                button: MOUSE_BUTTON_LEFT,
            });
        self.client.perform_actions(tap).await.unwrap();
        self.client.release_actions().await.unwrap();
    }

    pub async fn close(self) {
        self.client.close().await.unwrap();
    }
}

//! Headless Chromium for the web UI's tests: one chromedriver process on a free port (killed on
//! drop), a temporary profile and a WebDriver session at phone size that accepts the test
//! server's self-signed certificate.
//!
//! Without Debian's `chromium` and `chromium-driver` the browser tests fail, unless the developer
//! opts out with `VIAL_SKIP_BROWSER=1` (then they print a notice and pass).

use std::process::Stdio;
use std::time::Duration;

use fantoccini::{Client, ClientBuilder};
use serde_json::json;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// A browser session and what keeps it alive.
#[derive(Debug)]
pub struct Chromium {
    pub client: Client,
    _driver: tokio::process::Child,
    _profile: tempfile::TempDir,
}

/// Starts chromedriver and opens a session, or `None` when `VIAL_SKIP_BROWSER=1`; panics when
/// Chromium is not installed.
pub async fn start() -> Option<Chromium> {
    if crate::skipped("VIAL_SKIP_BROWSER", "a browser") {
        return None;
    }
    let present =
        std::path::Path::new(CHROMEDRIVER).exists() && std::path::Path::new(CHROMIUM).exists();
    assert!(
        present,
        "{CHROMEDRIVER} or {CHROMIUM} is missing: apt-get install chromium chromium-driver, \
         or set VIAL_SKIP_BROWSER=1 to skip the browser tests"
    );
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let driver = tokio::process::Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        // Its own process group, so that dropping the session also ends the Chromium processes
        // chromedriver started (they outlive chromedriver otherwise, e.g. after a failed test).
        .process_group(0)
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}");
    // Wait (bounded) until the driver accepts connections.
    let mut ready = false;
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(ready, "chromedriver did not start");
    let profile = tempfile::tempdir().unwrap();
    let capabilities = json!({
        "browserName": "chrome",
        // The test server's certificate is self-signed.
        "acceptInsecureCerts": true,
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--disable-extensions",
                format!("--user-data-dir={}", profile.path().display()),
                // A phone's screen: the front desk and the provider work on one.
                "--window-size=390,844",
            ]
        }
    });
    let serde_json::Value::Object(capabilities) = capabilities else {
        unreachable!()
    };
    // The port may accept connections a moment before the driver answers; retry briefly.
    let mut attempt = 0;
    let client = loop {
        let connected =
            ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                .capabilities(capabilities.clone())
                .connect(&url)
                .await;
        match connected {
            Ok(client) => break client,
            Err(e) if attempt < 20 => {
                attempt += 1;
                eprintln!("chromedriver not ready yet: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("chromedriver session: {e}"),
        }
    };
    Some(Chromium {
        client,
        _driver: driver,
        _profile: profile,
    })
}

impl Drop for Chromium {
    fn drop(&mut self) {
        if let Some(pid) = self._driver.id() {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", "--", &format!("-{pid}")])
                .stderr(Stdio::null())
                .status();
        }
    }
}

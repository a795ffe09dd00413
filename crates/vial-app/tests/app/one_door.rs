//! The one-door rules that the compiler cannot see, checked on the source: only the gateway
//! asks the permission policy, and every public use case on [`vial_app::App`] (the web crate's
//! handle) takes the acting user, except the doors named in `DOORS_WITHOUT_AN_ACTOR`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::path::{Path, PathBuf};

/// The `App` methods that cannot have an authenticated actor: signing in, authenticating a
/// token, setting up an invited account (the one-time link is the credential), health, and
/// configuration that carries no data. Everything else needs an `Actor`.
const DOORS_WITHOUT_AN_ACTOR: &[&str] = &[
    "login",
    "invitation",
    "accept_invitation",
    "authenticate",
    "session_remaining_ms",
    "health",
    "photo_limits",
    "session_policy",
    "practice_calendar",
    "now_ms",
];

/// The policy's questions; only `gateway.rs` may ask them.
const POLICY_CALLS: &[&str] = &[
    "vial_core::decide",
    "may_change_role",
    "may_cosign",
    "may_assign_care_team",
    "may_remove_from_care_team",
    "may_decide_booking_request",
    "may_write_draft",
    "may_read_catalogue",
    "may_maintain_catalogue",
    "may_use_portal",
    "may_approve_account",
];

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn crate_sources(name: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(name)
        .join("src");
    let mut out = Vec::new();
    sources(&root, &mut out);
    assert!(!out.is_empty(), "no sources under {}", root.display());
    out
}

#[test]
fn only_the_gateway_asks_the_policy() {
    let mut offenders = Vec::new();
    for krate in ["vial-app", "vial-web", "vial"] {
        for path in crate_sources(krate) {
            if krate == "vial-app" && path.ends_with("gateway.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for call in POLICY_CALLS {
                if text.contains(call) {
                    offenders.push(format!("{} calls {call}", path.display()));
                }
            }
        }
    }
    assert!(offenders.is_empty(), "{offenders:#?}");
}

/// `(name, signature)` of every `pub fn` directly in an `impl App` block, except those only
/// compiled for tests.
fn app_methods() -> Vec<(String, String)> {
    let mut methods = Vec::new();
    for path in crate_sources("vial-app") {
        let text = std::fs::read_to_string(&path).unwrap();
        let mut in_app = false;
        let mut test_only = false;
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if line.starts_with("impl ") {
                in_app = *line == "impl App {";
            } else if *line == "}" {
                in_app = false;
            }
            let trimmed = line.trim_start();
            if trimmed.starts_with("#[cfg(feature = \"test-support\")]") {
                test_only = true;
                continue;
            }
            let Some(rest) = line
                .strip_prefix("    pub async fn ")
                .or_else(|| line.strip_prefix("    pub fn "))
            else {
                if !trimmed.starts_with("///") && !trimmed.starts_with("#[") {
                    test_only = false;
                }
                continue;
            };
            if !in_app || std::mem::take(&mut test_only) {
                continue;
            }
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let signature: String = lines[i..]
                .iter()
                .take_while(|l| !l.trim_end().ends_with('{'))
                .chain(lines[i..].iter().find(|l| l.trim_end().ends_with('{')))
                .copied()
                .collect::<Vec<_>>()
                .join(" ");
            methods.push((name, signature));
        }
    }
    methods
}

#[test]
fn every_use_case_on_the_web_handle_takes_the_actor() {
    let methods = app_methods();
    assert!(
        methods.len() > 50,
        "the scan found only {} methods on App: is it still reading the right blocks?",
        methods.len()
    );
    let without: Vec<&str> = methods
        .iter()
        .filter(|(_, signature)| {
            let parameters = signature.split("->").next().unwrap_or_default();
            !parameters.contains("Actor")
        })
        .map(|(name, _)| name.as_str())
        .collect();
    let unexpected: Vec<&&str> = without
        .iter()
        .filter(|name| !DOORS_WITHOUT_AN_ACTOR.contains(name))
        .collect();
    assert!(
        unexpected.is_empty(),
        "App methods without an actor that are not listed doors: {unexpected:?}"
    );
    for door in DOORS_WITHOUT_AN_ACTOR {
        assert!(
            without.contains(door),
            "listed door `{door}` is not an actorless App method"
        );
    }
}

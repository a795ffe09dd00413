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

/// Helpers that write through a unit's transaction without its closure saying `.tx()`.
const WRITING_HELPERS: &[&str] = &["join("];

/// The body of the unit closure in `text` (which starts at its `transact(`): up to the brace
/// that closes its `Box::pin(async move {`.
fn unit_body(text: &str) -> &str {
    let Some(open) = text.find('{') else {
        return text;
    };
    let mut depth = 0usize;
    for (i, c) in text[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return &text[open..open + i];
                }
            }
            _ => {}
        }
    }
    &text[open..]
}

/// Issue 19: one kind of audited read. A unit that only reads runs as a read unit
/// (`transact_read`: on a reader, its entries alone handed to the committer), never in the
/// committer's batch transaction, where its statements would queue behind every other unit's.
#[test]
fn units_that_only_read_are_read_units() {
    let mut offenders = Vec::new();
    let mut units = 0;
    for path in crate_sources("vial-app") {
        if path.ends_with("unit_of_work.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for (at, call) in text.match_indices(".transact(") {
            // A closure written here, not a handle passing one on (`System::transact(f)`).
            if !text[at + call.len()..].starts_with("move |") {
                continue;
            }
            units += 1;
            let body = unit_body(&text[at..]);
            let writes = body.contains(".tx()") || WRITING_HELPERS.iter().any(|h| body.contains(h));
            if !writes {
                let line = text[..at].lines().count();
                offenders.push(format!("{}:{line}", path.display()));
            }
        }
    }
    assert!(
        units > 30,
        "the scan found only {units} units: is it still reading them?"
    );
    assert!(
        offenders.is_empty(),
        "units that never write should be `transact_read`: {offenders:#?}"
    );
}

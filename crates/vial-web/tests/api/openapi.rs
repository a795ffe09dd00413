//! The OpenAPI document against the router that serves it: every documented operation is
//! served (its path matches and its method is allowed) and every other method on a documented
//! path is refused with 405; every `/api/v1` path the tests and pages use is documented; every
//! JSON request and response body is a schema (a `$ref` or an object), not prose.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use serde_json::Value;
use vial_testkit::server::{Server, spawn_app};

const METHODS: [&str; 5] = ["get", "post", "put", "delete", "patch"];

async fn document(s: &Server) -> Value {
    let (status, doc) = s.get("/api/v1/openapi.json", None).await;
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    doc
}

/// `(path template, method)` of every documented operation.
fn operations(doc: &Value) -> BTreeSet<(String, String)> {
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in METHODS {
            if item.get(method).is_some() {
                ops.insert((path.clone(), method.to_owned()));
            }
        }
    }
    ops
}

/// The path with each `{param}` replaced by a value no record has.
fn concrete(template: &str) -> String {
    template
        .split('/')
        .map(|seg| {
            if seg.starts_with('{') {
                "no-such-id"
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn every_documented_operation_is_served_and_no_other_method_is() {
    let s = spawn_app(false).await;
    let doc = document(&s).await;
    let ops = operations(&doc);
    // Sessions, users, patients, scheduling, charting, notes and plans, consents, photos,
    // audit, keys, health and this document.
    assert!(ops.len() >= 63, "only {} operations documented", ops.len());
    let paths: BTreeSet<&String> = ops.iter().map(|(p, _)| p).collect();
    for path in paths {
        assert!(path.starts_with("/api/v1/"), "{path}");
        let url = format!("{}{}", s.base, concrete(path));
        for method in METHODS {
            let request = s
                .client
                .request(method.to_uppercase().parse().unwrap(), &url)
                .header("content-type", "application/json")
                .body("{}");
            let r = request.send().await.unwrap();
            let status = r.status().as_u16();
            let body: Value = r.json().await.unwrap_or(Value::Null);
            let documented = ops.contains(&(path.clone(), method.to_owned()));
            if documented {
                assert_ne!(status, 405, "{method} {path} is documented but not served");
                let fallback =
                    status == 404 && body["error"]["message"] == "no such page or endpoint";
                assert!(!fallback, "{method} {path} is documented but not routed");
            } else {
                assert_eq!(status, 405, "{method} {path} is served but not documented");
            }
        }
    }
}

/// Every `/api/v1/…` path written in this crate's tests and pages, query strings dropped.
fn paths_used() -> BTreeSet<String> {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut files = Vec::new();
    let mut dirs = vec![
        std::path::PathBuf::from(root).join("tests"),
        std::path::PathBuf::from(root).join("src/pages"),
        std::path::PathBuf::from(root).join("templates"),
        std::path::PathBuf::from(root).join("assets"),
    ];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                files.push(path);
            }
        }
    }
    let mut used = BTreeSet::new();
    for file in files {
        if file.file_name().and_then(|n| n.to_str()) == Some("openapi.rs") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        for (at, _) in text.match_indices("/api/v1/") {
            let rest = &text[at..];
            let end = rest
                .find(['"', '?', '\'', '`', ')', ',', ' ', '\n'])
                .unwrap_or(rest.len());
            let path = rest[..end].trim_end_matches('/');
            if path.len() > "/api/v1".len() {
                used.insert(path.to_owned());
            }
        }
    }
    used
}

/// Whether `path` (whose `{…}` segments are placeholders) is an instance of `template`.
fn matches(template: &str, path: &str) -> bool {
    let (t, p): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(t, p)| t.starts_with('{') || p.contains('{') || t == p)
}

#[tokio::test]
async fn every_api_path_the_code_uses_is_documented() {
    let s = spawn_app(false).await;
    let doc = document(&s).await;
    let templates: Vec<String> = doc["paths"].as_object().unwrap().keys().cloned().collect();
    let used = paths_used();
    assert!(used.len() > 20, "found only {used:?}");
    // https.rs asks for this one to see the JSON 404.
    for path in used.into_iter().filter(|p| p != "/api/v1/nothing-here") {
        assert!(
            templates.iter().any(|t| matches(t, &path)),
            "{path} is used but not documented"
        );
    }
}

/// Whether `schema` is a schema proper: a reference, an object or array type, or a combination
/// of schemas — not a bare description.
fn is_schema(schema: &Value) -> bool {
    schema.get("$ref").is_some()
        || schema.get("type").is_some()
        || schema.get("oneOf").is_some()
        || schema.get("allOf").is_some()
}

#[tokio::test]
async fn every_body_has_a_schema_generated_from_its_type() {
    let s = spawn_app(false).await;
    let doc = document(&s).await;
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for name in [
        "LoginBody",
        "ErrorBody",
        "TreatmentInput",
        "ConsentInput",
        "UploadForm",
    ] {
        assert!(schemas.contains_key(name), "no schema {name}");
    }
    for (path, method) in operations(&doc) {
        let op = &doc["paths"][&path][&method];
        if let Some(body) = op.get("requestBody") {
            let content = body["content"].as_object().unwrap();
            assert!(
                !content.is_empty(),
                "{method} {path}: request body without content"
            );
            for (media, c) in content {
                let schema = &c["schema"];
                assert!(
                    is_schema(schema),
                    "{method} {path}: {media} request body is prose"
                );
                if media == "application/json" {
                    // A JSON body is a named type or an object with properties.
                    assert!(
                        schema.get("$ref").is_some() || schema.get("properties").is_some(),
                        "{method} {path}: JSON request body is not a type"
                    );
                }
            }
        }
        let responses = op["responses"].as_object().unwrap();
        assert!(!responses.is_empty(), "{method} {path}: no responses");
        for (status, response) in responses {
            let content = response.get("content").and_then(Value::as_object);
            let code: u16 = status.parse().unwrap();
            if code >= 400 {
                let schema = &content.expect("an error has a body")["application/json"]["schema"];
                assert_eq!(
                    schema["$ref"], "#/components/schemas/ErrorBody",
                    "{method} {path} {status}"
                );
                continue;
            }
            for (media, c) in content.into_iter().flatten() {
                assert!(
                    is_schema(&c["schema"]),
                    "{method} {path} {status}: {media} response is prose"
                );
            }
            if code == 200 || code == 201 {
                let has_body = content.is_some_and(|c| !c.is_empty());
                let no_body = (code == 201) && matches!(method.as_str(), "post");
                assert!(
                    has_body || no_body,
                    "{method} {path} {status}: success without a body schema"
                );
            }
        }
        if op.get("security").is_some() {
            assert!(
                responses.contains_key("401"),
                "{method} {path}: 401 undocumented"
            );
        }
    }
}

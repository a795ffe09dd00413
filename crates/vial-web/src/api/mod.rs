//! The JSON API of SPEC §5 under `/api/v1/`, one module per slice. Every route is registered
//! once, through utoipa-axum, together with its OpenAPI description; the document served at
//! `/api/v1/openapi.json` is taken from that same router, so the two cannot drift. Request and
//! response bodies are the Rust types the handlers parse and return, with their schemas derived.

pub(crate) mod audit;
pub(crate) mod charting;
pub(crate) mod consents;
pub(crate) mod identity;
pub(crate) mod keys;
pub(crate) mod messaging;
pub(crate) mod patients;
pub(crate) mod photos;
pub(crate) mod scheduling;
pub(crate) mod vendors;

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, State};
use axum::{Extension, Json, Router};
use serde::Serialize;
use serde_json::Value;
use utoipa::OpenApi;
use utoipa::ToSchema;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, Ref, RefOr, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vial_app::App;

use crate::ApiError;
use crate::auth::LoginLimiter;

/// Clinical bodies (a SOAP note may hold 4 × 20,000 characters) get more room than the API's
/// default; larger is refused with 413 before parsing.
const CLINICAL_BODY_LIMIT: usize = 512 * 1024;

/// A JSON body as an extractor result, so a malformed body becomes an [`ApiError`].
pub(crate) type Body<T> = Result<Json<T>, axum::extract::rejection::JsonRejection>;

#[derive(OpenApi)]
#[openapi(
    info(title = "Vial API", description = "HIPAA-first clinical platform for aesthetic practices"),
    components(schemas(ErrorBody)),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

/// The API's routes and the OpenAPI document describing exactly them.
pub(crate) fn routes(limiter: &LoginLimiter, max_photo_bytes: usize) -> Router<App> {
    let (router, doc) = parts(limiter, max_photo_bytes);
    router.layer(Extension(Arc::new(doc)))
}

fn parts(limiter: &LoginLimiter, max_photo_bytes: usize) -> (Router<App>, Value) {
    let (router, mut doc) = api(limiter, max_photo_bytes).split_for_parts();
    describe_errors(&mut doc);
    let mut doc = serde_json::to_value(doc).unwrap_or_default();
    merge_tagged_variants(&mut doc);
    (router, doc)
}

/// The routes with their descriptions, before they are split into router and document.
fn api(limiter: &LoginLimiter, max_photo_bytes: usize) -> OpenApiRouter<App> {
    let clinical = OpenApiRouter::new()
        .merge(scheduling::routes())
        .merge(charting::routes())
        .merge(consents::routes())
        .merge(messaging::routes())
        .layer(DefaultBodyLimit::max(CLINICAL_BODY_LIMIT));
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health))
        .routes(routes!(openapi_json))
        .merge(identity::routes(limiter))
        .merge(patients::routes())
        .merge(audit::routes())
        .merge(keys::routes())
        .merge(vendors::routes())
        .merge(photos::routes(max_photo_bytes))
        .merge(messaging::attachment_routes(max_photo_bytes))
        .merge(clinical)
}

/// `{"error": {"code", "message"}}`, the body of every error response.
#[derive(Serialize, ToSchema)]
pub(crate) struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ErrorDetail {
    /// Stable machine-readable code, e.g. `not_found`, `forbidden`, `invalid`.
    pub code: &'static str,
    /// A human-readable explanation; never carries PHI.
    pub message: String,
}

/// `{"id"}` of what a request created.
#[derive(Serialize, ToSchema)]
pub(crate) struct Created {
    id: String,
}

impl Created {
    /// The created row's id, whichever kind it is.
    pub(crate) fn of(id: impl Into<String>) -> Self {
        Self { id: id.into() }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Health {
    /// Always `ok`.
    status: &'static str,
}

/// Liveness plus a database round trip, so a load balancer drops an instance that lost its store.
#[utoipa::path(get, path = "/api/v1/health", tag = "meta",
    responses((status = 200, description = "the server and its store answer", body = Health)))]
async fn health(State(app): State<App>) -> Result<Json<Health>, ApiError> {
    app.health().await?;
    Ok(Json(Health { status: "ok" }))
}

/// This document: the API as OpenAPI 3.1.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "meta",
    responses((status = 200, description = "the OpenAPI document", body = Object)))]
async fn openapi_json(Extension(doc): Extension<Arc<Value>>) -> Json<Value> {
    Json(doc.as_ref().clone())
}

/// utoipa describes a variant of an internally tagged enum (`{"type": "filler", ...}`) as
/// `allOf: [{$ref: FillerInput}, {properties: {type}}]`; with `FillerInput` closed to unknown
/// fields (`deny_unknown_fields`), no value satisfies both. Each such variant becomes the one
/// object serde actually reads: the referenced type's properties plus the tag.
fn merge_tagged_variants(doc: &mut Value) {
    let Some(schemas) = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .cloned()
    else {
        return;
    };
    let Some(targets) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    for schema in targets.values_mut() {
        let Some(branches) = schema.get_mut("oneOf").and_then(Value::as_array_mut) else {
            continue;
        };
        for branch in branches {
            let Some([reference, tag]) = branch
                .get("allOf")
                .and_then(Value::as_array)
                .and_then(|parts| <&[Value; 2]>::try_from(parts.as_slice()).ok())
            else {
                continue;
            };
            let Some(name) = reference
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
            else {
                continue;
            };
            let (Some(mut merged), Some(tag_properties)) = (
                schemas.get(name).cloned(),
                tag.get("properties").and_then(Value::as_object),
            ) else {
                continue;
            };
            if let Some(properties) = merged.get_mut("properties").and_then(Value::as_object_mut) {
                properties.extend(tag_properties.clone());
            }
            if let Some(required) = merged.get_mut("required").and_then(Value::as_array_mut) {
                required.extend(tag["required"].as_array().cloned().unwrap_or_default());
            }
            if let Some(description) = reference.get("description") {
                merged["description"] = description.clone();
            }
            *branch = merged;
        }
    }
}

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// Gives every operation the error statuses its extractors and the use cases can answer, each
/// with the [`ErrorBody`] schema: 401 where a bearer token is required, 403 and 404 for the
/// use cases' refusals, 400/413/415/422 for a request body, 400/422 for query parameters.
fn describe_errors(doc: &mut utoipa::openapi::OpenApi) {
    for item in doc.paths.paths.values_mut() {
        for op in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        {
            describe_operation_errors(op);
        }
    }
}

fn describe_operation_errors(op: &mut Operation) {
    // Any operation may meet a full password-hash queue or an unavailable store.
    let mut statuses: Vec<(&str, &str)> = vec![(
        "503",
        "busy or unavailable; retry after Retry-After seconds",
    )];
    if op.security.as_ref().is_some_and(|s| !s.is_empty()) {
        statuses.extend([
            ("401", "no live session"),
            ("403", "not permitted (audited)"),
            ("404", "no such record, or not visible to the caller"),
        ]);
    }
    if op.request_body.is_some() {
        statuses.extend([
            ("400", "malformed body"),
            ("413", "body too large"),
            ("415", "wrong content type"),
            ("422", "invalid field, with the reason"),
        ]);
    }
    let has_query = op
        .parameters
        .iter()
        .flatten()
        .any(|p| p.parameter_in == ParameterIn::Query);
    if has_query {
        statuses.extend([("400", "malformed query"), ("422", "invalid query value")]);
    }
    for (status, description) in statuses {
        op.responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| RefOr::T(Response::new(description)));
    }
    for (status, response) in op.responses.responses.iter_mut() {
        let is_error = status.starts_with('4') || status.starts_with('5');
        if let (true, RefOr::T(response)) = (is_error, response)
            && response.content.is_empty()
        {
            response.content.insert(
                "application/json".to_owned(),
                Content::new(Some(Ref::from_schema_name("ErrorBody"))),
            );
        }
    }
}

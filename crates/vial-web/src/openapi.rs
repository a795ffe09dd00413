//! `GET /api/v1/openapi.json`: the API described as OpenAPI 3, generated from the handlers'
//! annotations and the request types, so the document cannot drift from the code.

use axum::Json;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

#[derive(OpenApi)]
#[openapi(
    info(title = "Vial API", description = "HIPAA-first clinical platform for aesthetic practices"),
    paths(
        crate::auth::login, crate::auth::logout, crate::auth::me,
        crate::users::my_sessions, crate::users::end_my_session, crate::users::create_user,
        crate::users::end_user_sessions, crate::users::list_users,
        crate::users::user_sessions, crate::users::end_user_session, crate::users::disable_user, crate::users::change_role,
        crate::patients::create, crate::patients::read, crate::patients::search_by_query,
        crate::patients::search_by_body, crate::patients::assign, crate::patients::break_glass,
        crate::patients::break_glass_grants,
        crate::access_review::patient_log, crate::access_review::my_log,
        crate::admin_ops::export, crate::admin_ops::rotate, crate::admin_ops::status,
        crate::clinical_api::book, crate::clinical_api::schedule, crate::clinical_api::appointment_status,
        crate::clinical_api::my_appointments, crate::clinical_api::patient_appointments,
        crate::clinical_api::add_location, crate::clinical_api::locations, crate::clinical_api::chart,
        crate::clinical_api::treatments, crate::clinical_api::treatment, crate::clinical_api::recall,
        crate::clinical_api::create_note, crate::clinical_api::create_plan, crate::clinical_api::notes,
        crate::clinical_api::plans, crate::clinical_api::read_document, crate::clinical_api::update_document,
        crate::clinical_api::sign_document, crate::clinical_api::amend_document,
        crate::clinical_api::cosign_document, crate::clinical_api::cosign_queue,
        crate::clinical_api::publish_form, crate::clinical_api::consent_forms,
        crate::clinical_api::sign_consent, crate::clinical_api::consents, crate::clinical_api::revoke_consent,
        crate::clinical_api::put_history, crate::clinical_api::history, crate::clinical_api::add_product,
        crate::clinical_api::products, crate::clinical_api::receive_lot, crate::clinical_api::inventory,
        crate::clinical_api::settings,
        crate::photos_api::upload, crate::photos_api::list, crate::photos_api::content,
        crate::photos_api::thumbnail, crate::photos_api::remove, crate::photos_api::export,
    ),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

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

pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

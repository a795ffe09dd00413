//! Secure messaging over HTTP: threads about a patient (the workforce starts them for a patient,
//! a patient for themselves), the practice's inbox, messages with internal notes, retraction
//! with correction, assignment, closing and read receipts. Decisions are `vial-app`'s.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vial_app::{
    App, AttachmentMeta, InboxBox, MessageView, NewThread, ThreadChange, ThreadSummary, ThreadView,
};
use vial_clinical::FreeText;
use vial_core::{PatientId, UserId};

use super::Body;
use crate::{ApiError, Authenticated};

/// The attachment routes; an upload may be up to `max_bytes` (the app's photo limit).
pub(crate) fn attachment_routes(max_bytes: usize) -> OpenApiRouter<App> {
    let upload =
        OpenApiRouter::new()
            .routes(routes!(attach))
            .layer(axum::extract::DefaultBodyLimit::max(
                max_bytes.saturating_add(super::photos::FORM_OVERHEAD),
            ));
    OpenApiRouter::new()
        .routes(routes!(attachment))
        .routes(routes!(file_to_chart))
        .merge(upload)
}

pub(crate) fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(start_for_patient))
        .routes(routes!(start_own, my_threads))
        .routes(routes!(inbox))
        .routes(routes!(thread))
        .routes(routes!(post_message))
        .routes(routes!(assign))
        .routes(routes!(close))
        .routes(routes!(reopen))
        .routes(routes!(mark_read))
        .routes(routes!(retract))
        .routes(routes!(notice_preference))
        .routes(routes!(templates, create_template))
        .routes(routes!(post_template))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct StartBody {
    /// `post_treatment_concern` (to the care team's providers), `scheduling`, `billing` or
    /// `other` (to the front desk).
    reason: String,
    #[serde(default)]
    subject: Option<FreeText>,
    body: FreeText,
    /// Shown first in the inbox, with the emergency disclaimer.
    #[serde(default)]
    urgent: bool,
    /// `patient` (default: the patient takes part) or `team` (the workforce only).
    #[serde(default)]
    audience: Option<String>,
    /// Colleagues (providers' user ids) invited into a `team` thread: it opens that thread to
    /// them, and nothing else of the patient's.
    #[serde(default)]
    invite: Vec<UserId>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct OwnStartBody {
    reason: String,
    #[serde(default)]
    subject: Option<FreeText>,
    body: FreeText,
    #[serde(default)]
    urgent: bool,
}

/// A thread as its reader may see it.
#[derive(Serialize, ToSchema)]
pub(crate) struct Thread {
    id: String,
    patient_id: PatientId,
    audience: &'static str,
    reason: &'static str,
    urgent: bool,
    subject: Option<FreeText>,
    /// `open` or `closed`.
    status: &'static str,
    assigned_to: Option<UserId>,
    created_by: UserId,
    created_at_ms: i64,
    last_message_at_ms: i64,
}

impl From<ThreadSummary> for Thread {
    fn from(t: ThreadSummary) -> Self {
        Self {
            id: t.id,
            patient_id: t.patient_id,
            audience: t.audience.as_str(),
            reason: t.reason.as_str(),
            urgent: t.urgent,
            subject: t.subject,
            status: t.status.as_str(),
            assigned_to: t.assigned_to,
            created_by: t.created_by,
            created_at_ms: t.created_at_ms,
            last_message_at_ms: t.last_message_at_ms,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Threads {
    threads: Vec<Thread>,
}

/// A message; a retracted one stays, marked, with its reason.
#[derive(Serialize, ToSchema)]
pub(crate) struct Message {
    id: String,
    /// `null`: the practice's automatic reply (after hours).
    author_id: Option<UserId>,
    body: FreeText,
    /// A workforce note: never shown to the patient.
    internal: bool,
    created_at_ms: i64,
    retracted_at_ms: Option<i64>,
    retract_reason: Option<FreeText>,
    /// The message this one corrects.
    corrects: Option<String>,
}

impl From<MessageView> for Message {
    fn from(m: MessageView) -> Self {
        Self {
            id: m.id,
            author_id: m.author_id,
            body: m.body,
            internal: m.internal,
            created_at_ms: m.created_at_ms,
            retracted_at_ms: m.retracted_at_ms,
            retract_reason: m.retract_reason,
            corrects: m.corrects,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Receipt {
    user_id: UserId,
    read_at_ms: i64,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ThreadDetail {
    thread: Thread,
    messages: Vec<Message>,
    reads: Vec<Receipt>,
    attachments: Vec<Attachment>,
    /// Colleagues invited into it (never shown to the patient).
    invited: Vec<UserId>,
}

impl From<ThreadView> for ThreadDetail {
    fn from(v: ThreadView) -> Self {
        Self {
            thread: v.thread.into(),
            messages: v.messages.into_iter().map(Message::from).collect(),
            reads: v
                .reads
                .into_iter()
                .map(|(user_id, read_at_ms)| Receipt {
                    user_id,
                    read_at_ms,
                })
                .collect(),
            invited: v.invited,
            attachments: v.attachments.into_iter().map(Attachment::from).collect(),
        }
    }
}

/// A photo sent in a thread (its picture at `GET /api/v1/attachments/{id}`).
#[derive(Serialize, ToSchema)]
pub(crate) struct Attachment {
    id: String,
    message_id: String,
    /// `jpeg` or `png`.
    format: String,
    width: i64,
    height: i64,
    /// The chart photo it was filed as.
    filed_photo_id: Option<String>,
}

impl From<AttachmentMeta> for Attachment {
    fn from(a: AttachmentMeta) -> Self {
        Self {
            id: a.id,
            message_id: a.message_id,
            format: a.format,
            width: a.width,
            height: a.height,
            filed_photo_id: a.filed_photo_id,
        }
    }
}

/// A photo upload in a thread, as `multipart/form-data`.
#[derive(ToSchema)]
#[allow(dead_code)] // describes the form `PhotoForm` reads part by part
pub(crate) struct AttachForm {
    /// A JPEG or PNG image (or HEIC, when the server is built with HEIC support).
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Attached {
    message: Message,
    attachment: Attachment,
}

/// Send a photo in a thread: metadata stripped, sealed, kept with a message of its own.
#[utoipa::path(post, path = "/api/v1/threads/{id}/attachments", tag = "messaging", security(("bearer" = [])),
    params(("id" = String, Path)),
    request_body(content = AttachForm, content_type = "multipart/form-data"),
    responses((status = 201, description = "sent", body = Attached), (status = 403, description = "not permitted"),
              (status = 413, description = "larger than the photo limit"),
              (status = 415, description = "not a JPEG or PNG image"),
              (status = 422, description = "no file, a bomb or an undecodable image")))]
pub(crate) async fn attach(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<(StatusCode, Json<Attached>), ApiError> {
    app.refuse_attach_early(&actor, &id).await?;
    let multipart = multipart.map_err(|e| ApiError::Rejected(e.status(), e.body_text()))?;
    let form = crate::photo_form::PhotoForm::read(multipart, app.photo_limits().max_bytes).await?;
    let bytes = form
        .file
        .ok_or_else(|| ApiError::Unprocessable("file: required".into()))?;
    let (message, attachment) = app.attach_photo(&actor, &id, bytes).await?;
    Ok((
        StatusCode::CREATED,
        Json(Attached {
            message: message.into(),
            attachment: attachment.into(),
        }),
    ))
}

/// A photo sent in a thread, for whoever may read the thread.
#[utoipa::path(get, path = "/api/v1/attachments/{id}", tag = "messaging", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "the picture", content((String = "image/jpeg"), (String = "image/png"))),
              (status = 403, description = "not permitted")))]
pub(crate) async fn attachment(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse as _;
    let picture = app.attachment_content(&actor, &id).await?;
    Ok((
        [(axum::http::header::CONTENT_TYPE, picture.content_type)],
        picture.bytes,
    )
        .into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileBody {
    /// `front`, `left_45`, `right_45`, `left_90`, `right_90` or `other`.
    view: String,
    /// `face`, `lips`, … (as for photos).
    body_area: String,
    /// `before` or `after` a treatment.
    #[serde(default)]
    phase: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Filed {
    photo_id: vial_core::PhotoId,
}

/// File a thread's photo into the chart (a provider on the care team; the patient's
/// photography consent must be on file).
#[utoipa::path(post, path = "/api/v1/attachments/{id}/file-to-chart", tag = "messaging", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = FileBody,
    responses((status = 201, description = "filed", body = Filed),
              (status = 403, description = "not permitted, or `no_photography_consent`"),
              (status = 409, description = "filed already"), (status = 422, description = "bad view or body area")))]
pub(crate) async fn file_to_chart(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    body: Body<FileBody>,
) -> Result<(StatusCode, Json<Filed>), ApiError> {
    let Json(b) = body?;
    let photo_id = app
        .file_attachment_to_chart(&actor, &id, b.view, b.body_area, b.phase)
        .await?;
    Ok((StatusCode::CREATED, Json(Filed { photo_id })))
}

/// Start a thread about a patient (a provider on the care team; staff for logistics reasons).
#[utoipa::path(post, path = "/api/v1/patients/{id}/threads", tag = "messaging", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = StartBody,
    responses((status = 201, description = "started", body = Thread), (status = 403, description = "not permitted"),
              (status = 422, description = "a field is invalid")))]
pub(crate) async fn start_for_patient(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<PatientId>,
    body: Body<StartBody>,
) -> Result<(StatusCode, Json<Thread>), ApiError> {
    let Json(b) = body?;
    let start = NewThread {
        audience: b.audience,
        reason: b.reason,
        subject: b.subject,
        body: b.body,
        urgent: b.urgent,
        invite: b.invite,
    };
    let thread = app.start_thread(&actor, &id, start).await?;
    Ok((StatusCode::CREATED, Json(thread.into())))
}

/// Start a thread with the practice (patients, about their own record).
#[utoipa::path(post, path = "/api/v1/me/threads", tag = "messaging", security(("bearer" = [])),
    request_body = OwnStartBody,
    responses((status = 201, description = "started", body = Thread), (status = 403, description = "patients only"),
              (status = 422, description = "a field is invalid")))]
pub(crate) async fn start_own(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    body: Body<OwnStartBody>,
) -> Result<(StatusCode, Json<Thread>), ApiError> {
    let Json(b) = body?;
    let start = NewThread {
        audience: None,
        reason: b.reason,
        subject: b.subject,
        body: b.body,
        urgent: b.urgent,
        invite: Vec::new(),
    };
    let thread = app.start_own_thread(&actor, start).await?;
    Ok((StatusCode::CREATED, Json(thread.into())))
}

/// The signed-in patient's threads with the practice.
#[utoipa::path(get, path = "/api/v1/me/threads", tag = "messaging", security(("bearer" = [])),
    responses((status = 200, description = "my threads", body = Threads), (status = 403, description = "patients only")))]
pub(crate) async fn my_threads(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
) -> Result<Json<Threads>, ApiError> {
    let threads = app.my_threads(&actor).await?;
    Ok(Json(Threads {
        threads: threads.into_iter().map(Thread::from).collect(),
    }))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct InboxQuery {
    /// `mine`, `unassigned` (the default) or `closed`.
    #[serde(default, rename = "box")]
    which: Option<String>,
}

/// A page (50) of the practice's inbox: the threads the actor may see, urgent first.
#[utoipa::path(get, path = "/api/v1/threads", tag = "messaging", security(("bearer" = [])),
    params(InboxQuery),
    responses((status = 200, description = "the inbox", body = Threads), (status = 403, description = "the workforce only"),
              (status = 422, description = "unknown box")))]
pub(crate) async fn inbox(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    query: Result<Query<InboxQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Threads>, ApiError> {
    let Query(q) = query
        .map_err(|e| ApiError::Unprocessable(vial_clinical::without_values(&e.body_text())))?;
    let which = InboxBox::parse(q.which.as_deref().unwrap_or("unassigned"))?;
    let threads = app.inbox(&actor, which).await?;
    Ok(Json(Threads {
        threads: threads.into_iter().map(Thread::from).collect(),
    }))
}

/// A thread with its messages and read receipts (a patient never sees internal notes).
#[utoipa::path(get, path = "/api/v1/threads/{id}", tag = "messaging", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "the thread", body = ThreadDetail), (status = 403, description = "not permitted")))]
pub(crate) async fn thread(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<ThreadDetail>, ApiError> {
    Ok(Json(app.read_thread(&actor, &id).await?.into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MessageBody {
    body: FreeText,
    /// A workforce note the patient never sees.
    #[serde(default)]
    internal: bool,
}

/// Add a message to a thread.
#[utoipa::path(post, path = "/api/v1/threads/{id}/messages", tag = "messaging", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = MessageBody,
    responses((status = 201, description = "posted", body = Message), (status = 403, description = "not permitted"),
              (status = 422, description = "empty or too long")))]
pub(crate) async fn post_message(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    body: Body<MessageBody>,
) -> Result<(StatusCode, Json<Message>), ApiError> {
    let Json(b) = body?;
    let message = app.post_message(&actor, &id, &b.body, b.internal).await?;
    Ok((StatusCode::CREATED, Json(message.into())))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AssignBody {
    /// The provider or staff member to assign; omitted: yourself.
    #[serde(default)]
    user_id: Option<UserId>,
}

/// Assign a thread (the workforce).
#[utoipa::path(post, path = "/api/v1/threads/{id}/assign", tag = "messaging", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = AssignBody,
    responses((status = 200, description = "assigned", body = Thread), (status = 403, description = "not permitted"),
              (status = 422, description = "not a provider or staff member")))]
pub(crate) async fn assign(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    body: Body<AssignBody>,
) -> Result<Json<Thread>, ApiError> {
    let Json(b) = body?;
    let change = ThreadChange::Assign(b.user_id);
    Ok(Json(app.change_thread(&actor, &id, change).await?.into()))
}

/// Close a thread (the workforce); a new message reopens it.
#[utoipa::path(post, path = "/api/v1/threads/{id}/close", tag = "messaging", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "closed", body = Thread), (status = 403, description = "not permitted")))]
pub(crate) async fn close(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<Thread>, ApiError> {
    Ok(Json(
        app.change_thread(&actor, &id, ThreadChange::Close)
            .await?
            .into(),
    ))
}

/// Reopen a thread (the workforce).
#[utoipa::path(post, path = "/api/v1/threads/{id}/reopen", tag = "messaging", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, description = "reopened", body = Thread), (status = 403, description = "not permitted")))]
pub(crate) async fn reopen(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<Thread>, ApiError> {
    Ok(Json(
        app.change_thread(&actor, &id, ThreadChange::Reopen)
            .await?
            .into(),
    ))
}

/// Record that you have read the thread (a read receipt).
#[utoipa::path(post, path = "/api/v1/threads/{id}/read", tag = "messaging", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 204, description = "recorded"), (status = 403, description = "not permitted")))]
pub(crate) async fn mark_read(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    app.change_thread(&actor, &id, ThreadChange::Read).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RetractBody {
    /// Why (one line).
    reason: FreeText,
    /// The corrected text, posted as a new message pointing at the retracted one.
    #[serde(default)]
    correction: Option<FreeText>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Retracted {
    correction: Option<Message>,
}

/// Retract your own message (it stays in the history, marked) and optionally correct it.
#[utoipa::path(post, path = "/api/v1/messages/{id}/retract", tag = "messaging", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = RetractBody,
    responses((status = 200, description = "retracted", body = Retracted), (status = 403, description = "not permitted"),
              (status = 409, description = "not your message, or retracted already")))]
pub(crate) async fn retract(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    body: Body<RetractBody>,
) -> Result<Json<Retracted>, ApiError> {
    let Json(b) = body?;
    let correction = app
        .retract_message(&actor, &id, &b.reason, b.correction.as_ref())
        .await?;
    Ok(Json(Retracted {
        correction: correction.map(Message::from),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NoticePreference {
    /// Whether to get an email ("you have a new secure message", never its content).
    email: bool,
}

/// Turn email notices of new messages on or off (for yourself).
#[utoipa::path(put, path = "/api/v1/me/notices", tag = "messaging", security(("bearer" = [])),
    request_body = NoticePreference,
    responses((status = 204, description = "saved")))]
pub(crate) async fn notice_preference(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    body: Body<NoticePreference>,
) -> Result<StatusCode, ApiError> {
    let Json(b) = body?;
    app.set_notice_preference(&actor, b.email).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TemplateBody {
    name: FreeText,
    /// `neurotoxin`, `filler`, `procedure` (aftercare) or `general`.
    kind: String,
    /// The text; the only placeholders are `{first_name}` and `{date}`.
    body: FreeText,
}

/// A message template.
#[derive(Serialize, ToSchema)]
pub(crate) struct Template {
    id: String,
    name: String,
    kind: String,
    body: String,
}

impl From<vial_app::TemplateView> for Template {
    fn from(t: vial_app::TemplateView) -> Self {
        Self {
            id: t.id,
            name: t.name,
            kind: t.kind,
            body: t.body,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Templates {
    templates: Vec<Template>,
}

/// Save a message template (providers and the front desk).
#[utoipa::path(post, path = "/api/v1/message-templates", tag = "messaging", security(("bearer" = [])),
    request_body = TemplateBody,
    responses((status = 201, description = "saved", body = Template), (status = 403, description = "not permitted"),
              (status = 422, description = "a field is invalid, or an unknown placeholder")))]
pub(crate) async fn create_template(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    body: Body<TemplateBody>,
) -> Result<(StatusCode, Json<Template>), ApiError> {
    let Json(b) = body?;
    let template = app
        .create_template(
            &actor,
            vial_app::NewTemplate {
                name: b.name,
                kind: b.kind,
                body: b.body,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(template.into())))
}

/// The practice's message templates (providers and the front desk).
#[utoipa::path(get, path = "/api/v1/message-templates", tag = "messaging", security(("bearer" = [])),
    responses((status = 200, description = "the templates", body = Templates), (status = 403, description = "not permitted")))]
pub(crate) async fn templates(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
) -> Result<Json<Templates>, ApiError> {
    let templates = app.templates(&actor).await?;
    Ok(Json(Templates {
        templates: templates.into_iter().map(Template::from).collect(),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UseTemplate {
    template_id: String,
}

/// Send a template in a thread, filled in with the patient's first name and today's date.
#[utoipa::path(post, path = "/api/v1/threads/{id}/template-messages", tag = "messaging", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = UseTemplate,
    responses((status = 201, description = "sent", body = Message), (status = 403, description = "not permitted"),
              (status = 404, description = "no such template")))]
pub(crate) async fn post_template(
    State(app): State<App>,
    Authenticated(actor): Authenticated,
    Path(id): Path<String>,
    body: Body<UseTemplate>,
) -> Result<(StatusCode, Json<Message>), ApiError> {
    let Json(b) = body?;
    let message = app.post_template(&actor, &id, &b.template_id).await?;
    Ok((StatusCode::CREATED, Json(message.into())))
}

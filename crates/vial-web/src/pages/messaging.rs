//! Secure messages, phone-first: the patient's conversations with the practice (and starting
//! one, with the emergency disclaimer), the practice's inbox (unassigned, mine, closed), and a
//! thread with its replies, internal notes for the workforce, assignment and closing. Every
//! decision and record is `vial-app`'s; the idle timeout clears an open thread like any page.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{Html, Redirect};
use axum::routing::{get, post};
use serde::Deserialize;
use vial_app::{App, InboxBox, NewThread, Role, ThreadChange, ThreadSummary};
use vial_clinical::{FreeText, ThreadReason};

use crate::browser::{BrowserSession, CsrfForm};
use crate::pages::display::{Names, stamp};
use crate::pages::{Layout, NoFields, PageError, render};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/messages", get(list).post(start))
        .route("/messages/{id}", get(thread))
        .route("/messages/{id}/reply", post(reply))
        .route("/messages/{id}/assign", post(assign))
        .route("/messages/{id}/close", post(close))
        .route("/messages/{id}/reopen", post(reopen))
        .route(
            "/messages/{id}/photo",
            post(send_photo).layer(axum::extract::DefaultBodyLimit::max(
                // The app's photo limit is checked as the file arrives; this is the ceiling.
                256 * 1024 * 1024,
            )),
        )
        .route("/messages/templates", get(templates).post(create_template))
        .route("/messages/notices", post(notices))
        .route("/messages/{id}/template", post(send_template))
        .route("/messages/attachments/{id}", get(picture))
        .route("/messages/attachments/{id}/file", post(file_to_chart))
}

pub struct ThreadRow {
    id: String,
    subject: String,
    reason: String,
    urgent: bool,
    status: &'static str,
    when: String,
}

impl ThreadRow {
    fn of(t: ThreadSummary) -> Self {
        Self {
            subject: t
                .subject
                .as_ref()
                .map(|s| s.as_str().to_owned())
                .unwrap_or_else(|| reason_label(t.reason).to_owned()),
            reason: reason_label(t.reason).to_owned(),
            urgent: t.urgent,
            status: t.status.as_str(),
            when: stamp(t.last_message_at_ms),
            id: t.id,
        }
    }
}

fn reason_label(reason: ThreadReason) -> &'static str {
    match reason {
        ThreadReason::PostTreatmentConcern => "After my treatment",
        ThreadReason::Scheduling => "Appointments",
        ThreadReason::Billing => "Billing",
        ThreadReason::Other => "Something else",
    }
}

#[derive(Template)]
#[template(path = "messaging/list.html")]
struct ListPage {
    layout: Layout,
    patient: bool,
    which: &'static str,
    threads: Vec<ThreadRow>,
    reasons: Vec<(&'static str, &'static str)>,
    /// Whether the person gets an email ("you have a new secure message") for new messages.
    emails: bool,
}

#[derive(Deserialize)]
struct BoxQuery {
    #[serde(default, rename = "box")]
    which: Option<String>,
}

async fn list(
    State(app): State<App>,
    session: BrowserSession,
    Query(q): Query<BoxQuery>,
) -> Result<Html<String>, PageError> {
    let patient = session.actor.role == Role::Patient;
    let (which, threads) = if patient {
        ("mine", app.my_threads(&session.actor).await?)
    } else {
        let code = match q.which.as_deref() {
            Some("mine") => "mine",
            Some("closed") => "closed",
            _ => "unassigned",
        };
        (
            code,
            app.inbox(&session.actor, InboxBox::parse(code)?).await?,
        )
    };
    render(&ListPage {
        layout: Layout::signed_in("Messages", &session, &app),
        patient,
        which,
        threads: threads.into_iter().map(ThreadRow::of).collect(),
        reasons: ThreadReason::ALL
            .iter()
            .map(|r| (r.as_str(), reason_label(*r)))
            .collect(),
        emails: app.notice_preference(&session.actor).await?,
    })
}

#[derive(Deserialize)]
struct StartFields {
    reason: String,
    #[serde(default)]
    subject: String,
    body: String,
    #[serde(default)]
    urgent: Option<String>,
}

async fn start(State(app): State<App>, form: CsrfForm<StartFields>) -> Result<Redirect, PageError> {
    let CsrfForm { session, form } = form;
    let subject = form.subject.trim();
    let thread = app
        .start_own_thread(
            &session.actor,
            NewThread {
                reason: form.reason,
                subject: (!subject.is_empty()).then(|| FreeText::from(subject)),
                body: FreeText::from(form.body),
                urgent: form.urgent.is_some(),
                ..NewThread::default()
            },
        )
        .await?;
    Ok(Redirect::to(&format!("/messages/{}", thread.id)))
}

pub struct MessageLine {
    id: String,
    author: String,
    when: String,
    body: String,
    internal: bool,
    retracted: Option<String>,
    /// A photo sent with it: its id and whether it is in the chart already.
    photo: Option<(String, bool)>,
}

#[derive(Template)]
#[template(path = "messaging/thread.html")]
struct ThreadPage {
    layout: Layout,
    id: String,
    subject: String,
    reason: String,
    urgent: bool,
    closed: bool,
    workforce: bool,
    /// Providers file photos into the chart.
    provider: bool,
    assigned: Option<String>,
    messages: Vec<MessageLine>,
    views: Vec<&'static str>,
    areas: Vec<&'static str>,
    /// The practice's templates, for the workforce: (id, name).
    templates: Vec<(String, String)>,
}

async fn thread(
    State(app): State<App>,
    session: BrowserSession,
    Path(id): Path<String>,
) -> Result<Html<String>, PageError> {
    let actor = &session.actor;
    let view = app.read_thread(actor, &id).await?;
    // Opening the thread is reading it: a receipt.
    app.change_thread(actor, &id, ThreadChange::Read).await?;
    let mut names = Names::new(actor);
    let mut messages = Vec::with_capacity(view.messages.len());
    let photos: std::collections::HashMap<String, (String, bool)> = view
        .attachments
        .iter()
        .map(|a| {
            (
                a.message_id.clone(),
                (a.id.clone(), a.filed_photo_id.is_some()),
            )
        })
        .collect();
    for m in view.messages {
        let author = match &m.author_id {
            None => "Automatic reply".to_owned(),
            Some(author) if *author == actor.user_id => "You".to_owned(),
            Some(author) => match names.of(&app, author).await.as_str() {
                "unknown user" => "Patient".to_owned(),
                name => name.to_owned(),
            },
        };
        messages.push(MessageLine {
            author,
            when: stamp(m.created_at_ms),
            body: m.body.as_str().to_owned(),
            internal: m.internal,
            retracted: m.retracted_at_ms.map(|at| match &m.retract_reason {
                Some(reason) => format!("retracted {}: {}", stamp(at), reason.as_str()),
                None => format!("retracted {}", stamp(at)),
            }),
            photo: photos.get(&m.id).cloned(),
            id: m.id,
        });
    }
    let assigned = match &view.thread.assigned_to {
        Some(user) => Some(names.of(&app, user).await),
        None => None,
    };
    let workforce = matches!(actor.role, Role::Provider | Role::Staff);
    let templates = if workforce {
        app.templates(actor)
            .await?
            .into_iter()
            .map(|t| (t.id, t.name))
            .collect()
    } else {
        Vec::new()
    };
    let row = ThreadRow::of(view.thread.clone());
    render(&ThreadPage {
        layout: Layout::signed_in("Conversation", &session, &app),
        id: row.id,
        subject: row.subject,
        reason: row.reason,
        urgent: row.urgent,
        closed: row.status == "closed",
        workforce,
        provider: actor.role == Role::Provider,
        assigned,
        messages,
        views: vial_clinical::PhotoView::ALL
            .iter()
            .map(|v| v.as_str())
            .collect(),
        areas: vial_clinical::BodyArea::ALL
            .iter()
            .map(|a| a.as_str())
            .collect(),
        templates,
    })
}

#[derive(Deserialize)]
struct ReplyFields {
    body: String,
    #[serde(default)]
    internal: Option<String>,
}

async fn reply(
    State(app): State<App>,
    Path(id): Path<String>,
    form: CsrfForm<ReplyFields>,
) -> Result<Redirect, PageError> {
    let CsrfForm { session, form } = form;
    app.post_message(
        &session.actor,
        &id,
        &FreeText::from(form.body),
        form.internal.is_some(),
    )
    .await?;
    Ok(Redirect::to(&format!("/messages/{id}")))
}

async fn change(
    app: &App,
    session: &BrowserSession,
    id: &str,
    change: ThreadChange,
) -> Result<Redirect, PageError> {
    app.change_thread(&session.actor, id, change).await?;
    Ok(Redirect::to(&format!("/messages/{id}")))
}

async fn assign(
    State(app): State<App>,
    Path(id): Path<String>,
    form: CsrfForm<NoFields>,
) -> Result<Redirect, PageError> {
    change(&app, &form.session, &id, ThreadChange::Assign(None)).await
}

async fn close(
    State(app): State<App>,
    Path(id): Path<String>,
    form: CsrfForm<NoFields>,
) -> Result<Redirect, PageError> {
    change(&app, &form.session, &id, ThreadChange::Close).await
}

async fn reopen(
    State(app): State<App>,
    Path(id): Path<String>,
    form: CsrfForm<NoFields>,
) -> Result<Redirect, PageError> {
    change(&app, &form.session, &id, ThreadChange::Reopen).await
}

/// A photo from the phone, as `multipart/form-data` (`_csrf` first, then `file`).
async fn send_photo(
    State(app): State<App>,
    Path(id): Path<String>,
    form: crate::browser::CsrfMultipart,
) -> Result<Redirect, PageError> {
    app.refuse_attach_early(&form.session.actor, &id).await?;
    let fields =
        crate::photo_form::PhotoForm::read(form.multipart, app.photo_limits().max_bytes).await?;
    let bytes = fields
        .file
        .ok_or_else(|| PageError::Invalid("choose a photo to send".into()))?;
    app.attach_photo(&form.session.actor, &id, bytes).await?;
    Ok(Redirect::to(&format!("/messages/{id}")))
}

async fn picture(
    State(app): State<App>,
    session: BrowserSession,
    Path(id): Path<String>,
) -> Result<axum::response::Response, PageError> {
    use axum::response::IntoResponse as _;
    let picture = app.attachment_content(&session.actor, &id).await?;
    Ok((
        [(axum::http::header::CONTENT_TYPE, picture.content_type)],
        picture.bytes,
    )
        .into_response())
}

#[derive(Deserialize)]
struct FileFields {
    thread: String,
    view: String,
    body_area: String,
    #[serde(default)]
    phase: String,
}

async fn file_to_chart(
    State(app): State<App>,
    Path(id): Path<String>,
    form: CsrfForm<FileFields>,
) -> Result<Redirect, PageError> {
    let CsrfForm { session, form } = form;
    let phase = (!form.phase.is_empty()).then_some(form.phase);
    app.file_attachment_to_chart(&session.actor, &id, form.view, form.body_area, phase)
        .await?;
    let thread: String = form
        .thread
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    Ok(Redirect::to(&format!("/messages/{thread}")))
}

#[derive(Template)]
#[template(path = "messaging/templates.html")]
struct TemplatesPage {
    layout: Layout,
    templates: Vec<vial_app::TemplateView>,
    kinds: Vec<&'static str>,
}

/// The practice's templates, and a form for a new one (providers and the front desk).
async fn templates(
    State(app): State<App>,
    session: BrowserSession,
) -> Result<Html<String>, PageError> {
    let templates = app.templates(&session.actor).await?;
    render(&TemplatesPage {
        layout: Layout::signed_in("Message templates", &session, &app),
        templates,
        kinds: vial_clinical::TemplateKind::ALL
            .iter()
            .map(|k| k.as_str())
            .collect(),
    })
}

#[derive(Deserialize)]
struct TemplateFields {
    name: String,
    kind: String,
    body: String,
}

async fn create_template(
    State(app): State<App>,
    form: CsrfForm<TemplateFields>,
) -> Result<Redirect, PageError> {
    let CsrfForm { session, form } = form;
    app.create_template(
        &session.actor,
        vial_app::NewTemplate {
            name: FreeText::from(form.name),
            kind: form.kind,
            body: FreeText::from(form.body),
        },
    )
    .await?;
    Ok(Redirect::to("/messages/templates"))
}

#[derive(Deserialize)]
struct UseTemplateFields {
    template_id: String,
}

async fn send_template(
    State(app): State<App>,
    Path(id): Path<String>,
    form: CsrfForm<UseTemplateFields>,
) -> Result<Redirect, PageError> {
    let CsrfForm { session, form } = form;
    app.post_template(&session.actor, &id, &form.template_id)
        .await?;
    Ok(Redirect::to(&format!("/messages/{id}")))
}

#[derive(Deserialize)]
struct NoticeFields {
    /// `on` or `off`.
    email: String,
}

/// Email notices of new messages on or off, for oneself.
async fn notices(
    State(app): State<App>,
    form: CsrfForm<NoticeFields>,
) -> Result<Redirect, PageError> {
    let CsrfForm { session, form } = form;
    app.set_notice_preference(&session.actor, form.email == "on")
        .await?;
    Ok(Redirect::to("/messages"))
}

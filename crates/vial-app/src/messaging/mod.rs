//! Secure messaging (SPEC §2 messages row, §3 message thread): threads about one patient, each
//! decided through the gateway as `Ask::Thread` — providers the threads of their patients, staff
//! the logistics threads, patients their own (never the workforce's own `team` threads), admins
//! none — every read and denial recorded under the patient. Subjects, bodies and retraction
//! reasons are sealed under the patient's data key. Nothing is deleted: a retraction marks the
//! message (its text stays in the history) and a correction is a new message pointing at it.
//! Internal notes are the workforce's: a patient never receives them.

pub(crate) mod attachments;
pub(crate) mod notices;
pub(crate) mod templates;

use vial_clinical::{
    Audience, FreeText, ThreadReason, ThreadStatus, validate_message_body, validate_retract_reason,
    validate_subject,
};
use vial_core::{Action, PatientId, Relation, Resource, ThreadKind, UserId};
use vial_crypto::{Aad, DataKey};
use vial_store::{MessageRow, ThreadRow};

use crate::gateway::{Ask, authorize, permits, purpose_of};
use crate::records::new_id;
use crate::{Actor, App, AppError, AuditEvent, Audited, Role};

/// The practice's automatic answer to a patient who writes while it is closed: fixed, no PHI.
pub const AFTER_HOURS_REPLY: &str = "Thank you for your message. The practice is closed now; we \
     will answer during opening hours. If this is an emergency, call 911.";

/// Threads shown in one inbox page at most.
pub const INBOX_PAGE: u32 = 50;

/// A thread to start, as typed.
#[derive(Debug, Clone, Default)]
pub struct NewThread {
    /// `patient` (default) or `team`.
    pub audience: Option<String>,
    pub reason: String,
    pub subject: Option<FreeText>,
    pub body: FreeText,
    pub urgent: bool,
    /// Colleagues (providers) invited into a `team` thread: it opens that thread to them, and
    /// nothing else of the patient's.
    pub invite: Vec<UserId>,
}

/// Colleagues one consult may invite at most.
pub const MAX_INVITES: usize = 10;

/// Which of the practice's inboxes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboxBox {
    /// Open threads assigned to the actor.
    Mine,
    /// Open threads nobody has taken.
    Unassigned,
    Closed,
}

impl InboxBox {
    pub fn parse(code: &str) -> Result<Self, AppError> {
        match code {
            "mine" => Ok(Self::Mine),
            "unassigned" => Ok(Self::Unassigned),
            "closed" => Ok(Self::Closed),
            _ => Err(AppError::Invalid(
                "box: must be mine, unassigned or closed".into(),
            )),
        }
    }
}

/// A thread as its reader may see it (the subject opened).
#[derive(Debug, Clone)]
pub struct ThreadSummary {
    pub id: String,
    pub patient_id: PatientId,
    pub audience: Audience,
    pub reason: ThreadReason,
    pub urgent: bool,
    pub subject: Option<FreeText>,
    pub status: ThreadStatus,
    pub assigned_to: Option<UserId>,
    pub created_by: UserId,
    pub created_at_ms: i64,
    pub last_message_at_ms: i64,
}

/// A message as its reader may see it.
#[derive(Debug, Clone)]
pub struct MessageView {
    pub id: String,
    /// `None`: the practice's automatic reply.
    pub author_id: Option<UserId>,
    pub body: FreeText,
    pub internal: bool,
    pub created_at_ms: i64,
    pub retracted_at_ms: Option<i64>,
    pub retract_reason: Option<FreeText>,
    /// The message this one corrects.
    pub corrects: Option<String>,
}

/// A thread with its messages and read receipts.
#[derive(Debug, Clone)]
pub struct ThreadView {
    pub thread: ThreadSummary,
    pub messages: Vec<MessageView>,
    pub reads: Vec<(UserId, i64)>,
    /// Colleagues invited into it (a consult).
    pub invited: Vec<UserId>,
    /// Photos sent in it.
    pub attachments: Vec<attachments::AttachmentMeta>,
}

const AUDIENCE_DEFAULT: Audience = Audience::Patient;

fn kind_of(reason: ThreadReason, audience: Audience) -> ThreadKind {
    ThreadKind {
        logistics: reason.is_logistics(),
        team: audience == Audience::Team,
    }
}

fn thread_event(actor: &Actor, action: &str, thread: &ThreadRow) -> AuditEvent {
    AuditEvent::by(action, actor)
        .patient(&thread.patient_id)
        .resource("thread", &thread.id)
        .purpose(purpose_of(actor.role))
}

fn seal(key: &DataKey, column: &str, id: &str, text: &str) -> Result<Vec<u8>, AppError> {
    Ok(key.seal(Aad::new("messages", column, id), text.as_bytes())?)
}

fn open(key: &DataKey, column: &str, id: &str, sealed: &[u8]) -> Result<FreeText, AppError> {
    let clear = key.open(Aad::new("messages", column, id), sealed)?;
    String::from_utf8(clear.to_vec())
        .map(FreeText::from)
        .map_err(|_| AppError::Unavailable("a sealed message is not text".into()))
}

fn summary(key: &DataKey, t: &ThreadRow) -> Result<ThreadSummary, AppError> {
    Ok(ThreadSummary {
        id: t.id.clone(),
        patient_id: t.patient_id.clone(),
        audience: t.audience,
        reason: t.reason,
        urgent: t.urgent,
        subject: t
            .subject_enc
            .as_deref()
            .map(|s| open(key, "subject", &t.id, s))
            .transpose()?,
        status: t.status,
        assigned_to: t.assigned_to.clone(),
        created_by: t.created_by.clone(),
        created_at_ms: t.created_at_ms,
        last_message_at_ms: t.last_message_at_ms,
    })
}

/// Answers a patient's message written while the practice is closed (its time zone and opening
/// hours) with [`AFTER_HOURS_REPLY`], once in a row.
async fn after_hours_reply(
    tx: &mut dyn vial_store::Tx,
    key: &DataKey,
    thread_id: &str,
    written_at: i64,
) -> Result<(), AppError> {
    let (zone, hours) = crate::scheduling::practice_calendar_in(tx).await?;
    let moment = vial_clinical::TimeRange::new(written_at, written_at + 1)?;
    if hours.contains(&zone, moment) {
        return Ok(());
    }
    let messages = tx.messages_of(thread_id).await?;
    let previous_automatic = messages
        .iter()
        .rev()
        .nth(1)
        .is_some_and(|m| m.author_id.is_none());
    if previous_automatic {
        return Ok(());
    }
    let id: String = new_id("msg");
    tx.insert_message(&MessageRow {
        body_enc: seal(key, "body", &id, AFTER_HOURS_REPLY)?,
        id,
        thread_id: thread_id.to_owned(),
        author_id: None,
        internal: false,
        created_at_ms: written_at + 1,
        retracted_at_ms: None,
        retract_reason_enc: None,
        corrects: None,
    })
    .await?;
    Ok(())
}

impl App {
    /// Starts a thread about a patient (the workforce: a provider on the care team, staff for
    /// logistics reasons), with its first message.
    pub async fn start_thread(
        &self,
        actor: &Actor,
        patient_id: &PatientId,
        start: NewThread,
    ) -> Result<ThreadSummary, AppError> {
        let audience = match start.audience.as_deref() {
            None => AUDIENCE_DEFAULT,
            Some(code) => Audience::parse_at("audience", code)?,
        };
        let reason = ThreadReason::parse_at("reason", &start.reason)?;
        let subject = validate_subject(start.subject.as_ref())?;
        let body = validate_message_body(&start.body)?;
        if !start.invite.is_empty() && audience != Audience::Team {
            return Err(AppError::Invalid(
                "invite: only a team thread (audience team) invites colleagues".into(),
            ));
        }
        if start.invite.len() > MAX_INVITES {
            return Err(AppError::Invalid(format!(
                "invite: at most {MAX_INVITES} colleagues"
            )));
        }
        let invite = start.invite;
        let (app, actor, patient_id) = (self.clone(), actor.clone(), patient_id.clone());
        let now = self.now_ms();
        self.transact(move |work| {
            Box::pin(async move {
                let relation = app
                    .relation_in(work.read(), &actor, &patient_id, None)
                    .await?;
                let id: String = new_id("th");
                let mut row = ThreadRow {
                    id: id.clone(),
                    patient_id: patient_id.clone(),
                    audience,
                    reason,
                    urgent: start.urgent,
                    subject_enc: None,
                    status: ThreadStatus::Open,
                    assigned_to: None,
                    created_by: actor.user_id.clone(),
                    created_at_ms: now,
                    last_message_at_ms: now,
                };
                let ask = Ask::Thread {
                    relation,
                    action: Action::Write,
                    kind: kind_of(reason, audience),
                };
                authorize(
                    work,
                    &actor,
                    ask,
                    thread_event(&actor, "thread.start", &row),
                )?;
                if work.read().patient_by_id(&patient_id).await?.is_none() {
                    return Err(AppError::NotFound("patient"));
                }
                for colleague in &invite {
                    let user = work.read().user_by_id(colleague).await?;
                    if !user.is_some_and(|u| u.role == Role::Provider && u.is_active()) {
                        return Err(AppError::Invalid(
                            "invite: must be active providers' user ids".into(),
                        ));
                    }
                }
                for colleague in &invite {
                    let event =
                        thread_event(&actor, "thread.invite", &row).reason(colleague.as_str());
                    work.audit(event);
                }
                let tx = work.tx().await?;
                let key = app.data_key_for(tx, &patient_id).await?;
                row.subject_enc = subject
                    .as_ref()
                    .map(|s| seal(&key, "subject", &id, s.as_str()))
                    .transpose()?;
                tx.insert_thread(&row).await?;
                for colleague in &invite {
                    tx.invite_to_thread(&id, colleague).await?;
                }
                let message_id: String = new_id("msg");
                tx.insert_message(&MessageRow {
                    body_enc: seal(&key, "body", &message_id, body.as_str())?,
                    id: message_id,
                    thread_id: id.clone(),
                    author_id: Some(actor.user_id.clone()),
                    internal: false,
                    created_at_ms: now,
                    retracted_at_ms: None,
                    retract_reason_enc: None,
                    corrects: None,
                })
                .await?;
                if audience == Audience::Patient && actor.role != Role::Patient {
                    app.queue_notice_for(tx, &patient_id, now).await?;
                }
                if actor.role == Role::Patient {
                    after_hours_reply(tx, &key, &row.id, now).await?;
                }
                summary(&key, &row)
            })
        })
        .await
    }

    /// Starts a thread with the practice about the signed-in patient's own record.
    pub async fn start_own_thread(
        &self,
        actor: &Actor,
        start: NewThread,
    ) -> Result<ThreadSummary, AppError> {
        let patient_id = self.own_patient(actor).await?;
        self.start_thread(actor, &patient_id, start).await
    }

    /// The signed-in patient's record, or the portal's refusal (recorded) for anyone else.
    async fn own_patient(&self, actor: &Actor) -> Result<PatientId, AppError> {
        let event = AuditEvent::by("thread.list", actor).purpose(purpose_of(actor.role));
        self.refuse_unless(actor, Ask::Portal, event).await?;
        self.linked_patient(actor)
            .await?
            .ok_or(AppError::Forbidden("not_permitted_for_role"))
    }

    /// The signed-in patient's threads with the practice (never the workforce's own), urgent
    /// first, then the latest; each is recorded.
    pub async fn my_threads(&self, actor: &Actor) -> Result<Vec<ThreadSummary>, AppError> {
        let patient_id = self.own_patient(actor).await?;
        let (app, actor) = (self.clone(), actor.clone());
        self.transact_read(move |work| {
            Box::pin(async move {
                // Every thread here is about the same patient: one relation for all.
                let relation = app
                    .relation_in(work.read(), &actor, &patient_id, None)
                    .await?;
                let rows = work.read().threads_of_patient(&patient_id).await?;
                let rows = rows.into_iter().map(|t| (t, relation)).collect();
                app.visible(work, &actor, rows).await
            })
        })
        .await
    }

    /// A page of the practice's inbox: the threads the actor may see in `which`, urgent first,
    /// then the latest activity; each shown thread is recorded under its patient.
    pub async fn inbox(
        &self,
        actor: &Actor,
        which: InboxBox,
    ) -> Result<Vec<ThreadSummary>, AppError> {
        if !matches!(actor.role, Role::Provider | Role::Staff) {
            // Admins and patients have no inbox: the matrix refuses them, and it is recorded.
            let event = AuditEvent::by("thread.list", actor).purpose(purpose_of(actor.role));
            let ask = Ask::practice(Resource::Messages, Action::Read);
            self.refuse_unless(actor, ask, event).await?;
            return Err(AppError::Forbidden("not_permitted_for_role"));
        }
        let (app, actor) = (self.clone(), actor.clone());
        self.transact_read(move |work| {
            Box::pin(async move {
                let status = match which {
                    InboxBox::Closed => ThreadStatus::Closed,
                    InboxBox::Mine | InboxBox::Unassigned => ThreadStatus::Open,
                };
                // Read ahead of the page, since some threads are not the actor's to see; a
                // provider's consults come too.
                let mut rows = work.read().threads_in_box(status, INBOX_PAGE * 20).await?;
                let invited = match actor.role {
                    Role::Provider => work.read().invited_threads(&actor.user_id).await?,
                    _ => Vec::new(),
                };
                let invited_ids: std::collections::HashSet<String> =
                    invited.iter().map(|t| t.id.clone()).collect();
                let listed: std::collections::HashSet<String> =
                    rows.iter().map(|t| t.id.clone()).collect();
                rows.extend(
                    invited
                        .into_iter()
                        .filter(|t| t.status == status && !listed.contains(&t.id)),
                );
                rows.sort_by(|a, b| {
                    (b.urgent, b.last_message_at_ms).cmp(&(a.urgent, a.last_message_at_ms))
                });
                // Each thread's relation is derived once, from the provider's patients and
                // consults read above, and the same relation decides the listing.
                let relations = app.provider_relations(work, &actor).await?;
                let mine: Vec<(ThreadRow, Relation)> = rows
                    .into_iter()
                    .filter(|t| match which {
                        InboxBox::Mine => t.assigned_to.as_ref() == Some(&actor.user_id),
                        InboxBox::Unassigned => t.assigned_to.is_none(),
                        InboxBox::Closed => true,
                    })
                    .map(|t| {
                        let relation = match relations.relation(&t.patient_id) {
                            Relation::None if invited_ids.contains(&t.id) => {
                                Relation::ThreadInvitee
                            }
                            other => other,
                        };
                        (t, relation)
                    })
                    .filter(|(t, relation)| {
                        let ask = Ask::Thread {
                            relation: *relation,
                            action: Action::Read,
                            kind: kind_of(t.reason, t.audience),
                        };
                        permits(&actor, ask)
                    })
                    .take(INBOX_PAGE as usize)
                    .collect();
                app.visible(work, &actor, mine).await
            })
        })
        .await
    }

    /// The actor's relation to a thread: to its patient, or, for a provider with none, an
    /// invitation into this very thread.
    async fn thread_relation(
        &self,
        tx: &mut dyn vial_store::TxRead,
        actor: &Actor,
        thread: &ThreadRow,
    ) -> Result<Relation, AppError> {
        let relation = self
            .relation_in(tx, actor, &thread.patient_id, None)
            .await?;
        if relation == Relation::None
            && actor.role == Role::Provider
            && tx.is_invited(&thread.id, &actor.user_id).await?
        {
            return Ok(Relation::ThreadInvitee);
        }
        Ok(relation)
    }

    /// Decides and records each of `rows` for `actor` under the relation already derived for
    /// it, opening the subjects of those allowed.
    async fn visible(
        &self,
        work: &mut impl Audited,
        actor: &Actor,
        rows: Vec<(ThreadRow, Relation)>,
    ) -> Result<Vec<ThreadSummary>, AppError> {
        let mut shown = Vec::with_capacity(rows.len());
        for (row, relation) in rows {
            let ask = Ask::Thread {
                relation,
                action: Action::Read,
                kind: kind_of(row.reason, row.audience),
            };
            if !permits(actor, ask) {
                continue;
            }
            authorize(work, actor, ask, thread_event(actor, "thread.list", &row))?;
            let key = self.existing_data_key(work.read(), &row.patient_id).await?;
            shown.push(summary(&key, &row)?);
        }
        Ok(shown)
    }

    /// A thread with its messages (a patient never receives internal notes) and receipts.
    pub async fn read_thread(&self, actor: &Actor, id: &str) -> Result<ThreadView, AppError> {
        let (app, actor, id) = (self.clone(), actor.clone(), id.to_owned());
        self.transact_read(move |work| {
            Box::pin(async move {
                let (row, _) = app
                    .decided(work, &actor, &id, Action::Read, "thread.read")
                    .await?;
                let tx = work.read();
                let key = app.existing_data_key(tx, &row.patient_id).await?;
                let internal_too = permits(&actor, Ask::InternalNote);
                let messages = tx
                    .messages_of(&id)
                    .await?
                    .into_iter()
                    .filter(|m| internal_too || !m.internal)
                    .map(|m| message_view(&key, m))
                    .collect::<Result<Vec<_>, _>>()?;
                let reads = tx.thread_reads(&id).await?;
                let invited = if actor.role == Role::Patient {
                    Vec::new()
                } else {
                    tx.thread_invitees(&id).await?
                };
                let attachments = tx
                    .attachments_of(&id)
                    .await?
                    .into_iter()
                    .map(attachments::meta)
                    .collect();
                Ok(ThreadView {
                    thread: summary(&key, &row)?,
                    messages,
                    reads,
                    invited,
                    attachments,
                })
            })
        })
        .await
    }

    /// The thread `id` once the actor may do `action` on it (recorded as `audit_action`), and
    /// the relation decided under. An unknown id is answered like a thread of a patient the
    /// actor has no relation to.
    async fn decided(
        &self,
        work: &mut impl Audited,
        actor: &Actor,
        id: &str,
        action: Action,
        audit_action: &'static str,
    ) -> Result<(ThreadRow, Relation), AppError> {
        let Some(row) = work.read().thread(id).await? else {
            return Err(crate::gateway::unknown(
                work,
                actor,
                (Resource::Messages, action),
                audit_action,
                ("thread", id),
                "thread",
            ));
        };
        let relation = self.thread_relation(work.read(), actor, &row).await?;
        let ask = Ask::Thread {
            relation,
            action,
            kind: kind_of(row.reason, row.audience),
        };
        authorize(work, actor, ask, thread_event(actor, audit_action, &row))?;
        Ok((row, relation))
    }

    /// Adds a message to a thread; `internal` notes are the workforce's alone.
    pub async fn post_message(
        &self,
        actor: &Actor,
        thread_id: &str,
        body: &FreeText,
        internal: bool,
    ) -> Result<MessageView, AppError> {
        let body = validate_message_body(body)?;
        self.add_message(actor, thread_id, body.as_str().to_owned(), internal, None)
            .await
    }

    async fn add_message(
        &self,
        actor: &Actor,
        thread_id: &str,
        body: String,
        internal: bool,
        corrects: Option<String>,
    ) -> Result<MessageView, AppError> {
        let (app, actor, thread_id) = (self.clone(), actor.clone(), thread_id.to_owned());
        let now = self.now_ms();
        self.transact(move |work| {
            Box::pin(async move {
                let (row, _) = app
                    .decided(work, &actor, &thread_id, Action::Write, "message.post")
                    .await?;
                if internal {
                    let event = thread_event(&actor, "message.internal", &row);
                    authorize(work, &actor, Ask::InternalNote, event)?;
                }
                let tx = work.tx().await?;
                let key = app.data_key_for(tx, &row.patient_id).await?;
                let id: String = new_id("msg");
                let message = MessageRow {
                    body_enc: seal(&key, "body", &id, &body)?,
                    id,
                    thread_id,
                    author_id: Some(actor.user_id.clone()),
                    internal,
                    // A thread's messages keep their order even within one millisecond.
                    created_at_ms: now.max(row.last_message_at_ms + 1),
                    retracted_at_ms: None,
                    retract_reason_enc: None,
                    corrects,
                };
                tx.insert_message(&message).await?;
                if !internal && row.audience == Audience::Patient && actor.role != Role::Patient {
                    app.queue_notice_for(tx, &row.patient_id, now).await?;
                }
                if actor.role == Role::Patient {
                    after_hours_reply(tx, &key, &row.id, message.created_at_ms).await?;
                }
                if row.status == ThreadStatus::Closed && !internal {
                    // A new message reopens the conversation for the practice.
                    tx.set_thread_status(&row.id, ThreadStatus::Open).await?;
                }
                message_view(&key, message)
            })
        })
        .await
    }

    /// Retracts the actor's own message, keeping it in the history with the reason; a
    /// `correction` is posted as a new message pointing at it.
    pub async fn retract_message(
        &self,
        actor: &Actor,
        message_id: &str,
        reason: &FreeText,
        correction: Option<&FreeText>,
    ) -> Result<Option<MessageView>, AppError> {
        let reason = validate_retract_reason(reason)?;
        let correction = correction
            .filter(|c| !c.as_str().trim().is_empty())
            .map(validate_message_body)
            .transpose()?;
        let (app, who, message_id2) = (self.clone(), actor.clone(), message_id.to_owned());
        let now = self.now_ms();
        let (thread_id, internal) = self
            .transact(move |work| {
                Box::pin(async move {
                    let Some(message) = work.read().message(&message_id2).await? else {
                        return Err(crate::gateway::unknown(
                            work,
                            &who,
                            (Resource::Messages, Action::Write),
                            "message.retract",
                            ("message", &message_id2),
                            "message",
                        ));
                    };
                    let (row, _) = app
                        .decided(
                            work,
                            &who,
                            &message.thread_id,
                            Action::Write,
                            "message.retract",
                        )
                        .await?;
                    if message.author_id.as_ref() != Some(&who.user_id) {
                        return Err(AppError::State(
                            "only its author retracts a message; answer it instead".into(),
                        ));
                    }
                    let tx = work.tx().await?;
                    let key = app.data_key_for(tx, &row.patient_id).await?;
                    let sealed = seal(&key, "retract_reason", &message.id, reason.as_str())?;
                    if !tx.retract_message(&message.id, now, &sealed).await? {
                        return Err(AppError::State("this message is retracted already".into()));
                    }
                    Ok((message.thread_id, message.internal))
                })
            })
            .await?;
        match correction {
            Some(text) => self
                .add_message(
                    actor,
                    &thread_id,
                    text.as_str().to_owned(),
                    internal,
                    Some(message_id.to_owned()),
                )
                .await
                .map(Some),
            None => Ok(None),
        }
    }

    /// Assigns a thread to the actor (taking it) or to `to`; closes or reopens it.
    pub async fn change_thread(
        &self,
        actor: &Actor,
        thread_id: &str,
        change: ThreadChange,
    ) -> Result<ThreadSummary, AppError> {
        let (app, actor, thread_id) = (self.clone(), actor.clone(), thread_id.to_owned());
        let now = self.now_ms();
        self.transact(move |work| {
            Box::pin(async move {
                let action = match change {
                    ThreadChange::Assign(_) => "thread.assign",
                    ThreadChange::Close => "thread.close",
                    ThreadChange::Reopen => "thread.reopen",
                    ThreadChange::Read => "thread.receipt",
                };
                let needs = if change == ThreadChange::Read {
                    Action::Read
                } else {
                    Action::Write
                };
                let (mut row, _) = app.decided(work, &actor, &thread_id, needs, action).await?;
                if change != ThreadChange::Read && actor.role == Role::Patient {
                    return Err(AppError::Forbidden("not_permitted_for_role"));
                }
                let tx = work.tx().await?;
                match &change {
                    ThreadChange::Assign(to) => {
                        let to = to.clone().unwrap_or_else(|| actor.user_id.clone());
                        let assignee = tx.user_by_id(&to).await?;
                        if !assignee.is_some_and(|u| matches!(u.role, Role::Provider | Role::Staff))
                        {
                            return Err(AppError::Invalid(
                                "assignee: must be a provider's or staff member's user id".into(),
                            ));
                        }
                        tx.assign_thread(&row.id, &to).await?;
                        row.assigned_to = Some(to);
                    }
                    ThreadChange::Close => {
                        tx.set_thread_status(&row.id, ThreadStatus::Closed).await?;
                        row.status = ThreadStatus::Closed;
                    }
                    ThreadChange::Reopen => {
                        tx.set_thread_status(&row.id, ThreadStatus::Open).await?;
                        row.status = ThreadStatus::Open;
                    }
                    ThreadChange::Read => {
                        tx.mark_thread_read(&row.id, &actor.user_id, now).await?;
                    }
                }
                let key = app.data_key_for(tx, &row.patient_id).await?;
                summary(&key, &row)
            })
        })
        .await
    }
}

/// A change to a thread's handling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ThreadChange {
    /// To this user, or `None`: to the actor.
    Assign(Option<UserId>),
    Close,
    Reopen,
    /// A read receipt.
    Read,
}

fn message_view(key: &DataKey, m: MessageRow) -> Result<MessageView, AppError> {
    Ok(MessageView {
        body: open(key, "body", &m.id, &m.body_enc)?,
        retract_reason: m
            .retract_reason_enc
            .as_deref()
            .map(|r| open(key, "retract_reason", &m.id, r))
            .transpose()?,
        id: m.id,
        author_id: m.author_id,
        internal: m.internal,
        created_at_ms: m.created_at_ms,
        retracted_at_ms: m.retracted_at_ms,
        corrects: m.corrects,
    })
}

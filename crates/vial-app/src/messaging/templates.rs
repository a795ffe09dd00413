//! The practice's message templates: aftercare instructions per kind of treatment and other
//! stock answers, written by providers and the front desk. The only placeholders are the
//! patient's first name and today's date (in the practice's zone); sending one reads the first
//! name under the demographics rules, so a colleague invited into a consult cannot use it to learn
//! the patient's name.

use vial_clinical::{
    FreeText, TemplateKind, render_template, validate_template_body, validate_template_name,
};
use vial_core::{Action, Relation, Resource};
use vial_crypto::Aad;
use vial_store::TemplateRow;

use crate::gateway::{Ask, authorize, purpose_of};
use crate::records::new_id;
use crate::{Actor, App, AppError, AuditEvent, Audited};

/// A template to save, as typed.
#[derive(Debug, Clone)]
pub struct NewTemplate {
    pub name: FreeText,
    /// `neurotoxin`, `filler`, `procedure` or `general`.
    pub kind: String,
    pub body: FreeText,
}

/// A saved template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateView {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub body: String,
}

fn view(row: TemplateRow) -> TemplateView {
    TemplateView {
        id: row.id,
        name: row.name,
        kind: row.kind,
        body: row.body,
    }
}

fn event(actor: &Actor, action: &str) -> AuditEvent {
    AuditEvent::by(action, actor).purpose(purpose_of(actor.role))
}

impl App {
    /// Saves a template (providers and the front desk).
    pub async fn create_template(
        &self,
        actor: &Actor,
        template: NewTemplate,
    ) -> Result<TemplateView, AppError> {
        let name = validate_template_name(&template.name)?;
        let kind = TemplateKind::parse_at("kind", &template.kind)?;
        let body = validate_template_body(&template.body)?;
        let (actor, now) = (actor.clone(), self.now_ms());
        self.transact(move |work| {
            Box::pin(async move {
                let row = TemplateRow {
                    id: new_id("tpl"),
                    name: name.as_str().to_owned(),
                    kind: kind.as_str().to_owned(),
                    body: body.as_str().to_owned(),
                    created_by: actor.user_id.clone(),
                    created_at_ms: now,
                };
                let event = event(&actor, "template.add").resource("template", &row.id);
                authorize(work, &actor, Ask::MessageTemplates, event)?;
                work.tx().await?.insert_message_template(&row).await?;
                Ok(view(row))
            })
        })
        .await
    }

    /// The practice's templates (providers and the front desk).
    pub async fn templates(&self, actor: &Actor) -> Result<Vec<TemplateView>, AppError> {
        self.refuse_unless(actor, Ask::MessageTemplates, event(actor, "template.list"))
            .await?;
        let mut tx = self.store().reader().await?;
        Ok(tx
            .message_templates()
            .await?
            .into_iter()
            .map(view)
            .collect())
    }

    /// Sends a template in a thread, filled in for its patient.
    pub async fn post_template(
        &self,
        actor: &Actor,
        thread_id: &str,
        template_id: &str,
    ) -> Result<super::MessageView, AppError> {
        let (app, who, thread, template_id) = (
            self.clone(),
            actor.clone(),
            thread_id.to_owned(),
            template_id.to_owned(),
        );
        let today = self.today_in_practice().await?;
        let text = self
            .transact_read(move |work| {
                Box::pin(async move {
                    let (row, relation) = app
                        .decided(work, &who, &thread, Action::Write, "message.template")
                        .await?;
                    authorize(
                        work,
                        &who,
                        Ask::MessageTemplates,
                        event(&who, "template.use"),
                    )?;
                    let Some(template) = work.read().message_template(&template_id).await? else {
                        return Err(AppError::NotFound("template"));
                    };
                    if !template.body.contains("{first_name}") {
                        return Ok(render_template(&template.body, "", &today));
                    }
                    // The first name is demographics: read under their rules, and recorded.
                    let relation = match relation {
                        Relation::ThreadInvitee => Relation::None,
                        other => other,
                    };
                    let ask = Ask::Matrix {
                        relation,
                        resource: Resource::Demographics,
                        action: Action::Read,
                    };
                    let read = AuditEvent::by("patient.read", &who)
                        .patient(&row.patient_id)
                        .resource("patient", &row.patient_id)
                        .purpose(purpose_of(who.role));
                    authorize(work, &who, ask, read)?;
                    let patient = work
                        .read()
                        .patient_by_id(&row.patient_id)
                        .await?
                        .ok_or(AppError::NotFound("patient"))?;
                    let key = app.existing_data_key(work.read(), &row.patient_id).await?;
                    let given = key.open(
                        Aad::new("patients", "given", &row.patient_id),
                        &patient.given_enc,
                    )?;
                    let given = String::from_utf8(given.to_vec())
                        .map_err(|_| AppError::Unavailable("a sealed name is not text".into()))?;
                    Ok(render_template(&template.body, &given, &today))
                })
            })
            .await?;
        self.post_message(actor, thread_id, &FreeText::from(text), false)
            .await
    }

    /// Today's date in the practice's zone, as a template writes it ("January 15, 2027").
    async fn today_in_practice(&self) -> Result<String, AppError> {
        let (zone, _) = self.practice_calendar().await?;
        let date = zone
            .local_date(self.now_ms())
            .ok_or_else(|| AppError::Unavailable("the clock is out of range".into()))?;
        Ok(format!("{} {}, {}", date.month(), date.day(), date.year()))
    }
}

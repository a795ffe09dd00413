//! Notices that carry no PHI: "You have a new secure message. / Sign in to read it: <login page>"
//! — no name, no subject, no reason, no body, a link with no token. Queued when the practice
//! writes to a patient (at most one per recipient per 15 minutes, never to someone who opted
//! out), sent by the server's maintenance task through an SMTP relay with TLS required (plain
//! only to a relay on this machine), past the egress gate like every other outbound PHI flow.
//! Each notice is recorded by recipient id and outcome, never its address.

use std::sync::Arc;

use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use vial_core::UserId;
use vial_core::egress::is_own_machine;
use vial_crypto::Aad;
use zeroize::Zeroizing;

use crate::records::new_id;
use crate::vendors::{Endpoint, EndpointKind};
use crate::{Actor, App, AppError, AuditEvent, Audited};

/// At most one notice per recipient in this window.
pub const NOTICE_THROTTLE_MS: i64 = 15 * 60 * 1000;

/// The fixed subject of every notice.
pub const NOTICE_SUBJECT: &str = "New secure message";

/// The SMTP relay as configured.
#[derive(Clone)]
pub struct SmtpRelay {
    /// `smtps://host[:465]` (TLS from the start) or `smtp://host[:587]` (STARTTLS required;
    /// plain only to this machine). A user name may come in the URL (`smtps://user@host`).
    pub url: String,
    /// The sender address.
    pub from: String,
    /// An optional neutral sender name (a med spa's name alone reveals the relationship).
    pub sender_name: Option<String>,
    pub password: Option<Zeroizing<String>>,
    /// A private CA (PEM), trusted besides the public roots.
    pub ca_pem: Option<Vec<u8>>,
    /// The server's address as patients reach it; notices link to its login page.
    pub public_url: String,
}

impl std::fmt::Debug for SmtpRelay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpRelay")
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

/// A configured relay, ready to send.
pub(crate) struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    login_url: String,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Mailer")
    }
}

fn config(message: impl Into<String>) -> AppError {
    AppError::Invalid(message.into())
}

impl SmtpRelay {
    /// The transport and the endpoint the egress gate judges; refused (one line naming the
    /// setting) before any connection when the hop would not be verified TLS off this machine.
    pub(crate) fn connect(&self) -> Result<(Mailer, Endpoint), AppError> {
        let url = url::Url::parse(&self.url)
            .map_err(|_| config("--smtp-url: not a URL (smtps://host:465 or smtp://host:587)"))?;
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| config("--smtp-url: names no host"))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let own = is_own_machine(&host);
        let tls = || -> Result<TlsParameters, AppError> {
            let mut params = TlsParameters::builder(host.clone());
            if let Some(pem) = &self.ca_pem {
                let ca = Certificate::from_pem(pem)
                    .map_err(|_| config("--smtp-ca: holds no PEM certificate"))?;
                params = params.add_root_certificate(ca);
            }
            params
                .build_rustls()
                .map_err(|_| config("--smtp-url: cannot set up TLS for this relay"))
        };
        let (security, default_port) = match url.scheme() {
            "smtps" => (Tls::Wrapper(tls()?), 465),
            "smtp" if own => (Tls::None, 25),
            "smtp" => (Tls::Required(tls()?), 587),
            _ => {
                return Err(config(
                    "--smtp-url: the scheme must be smtps:// (TLS) or smtp:// (STARTTLS required \
                     off this machine)",
                ));
            }
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host.clone())
            .port(url.port().unwrap_or(default_port))
            .tls(security)
            .timeout(Some(std::time::Duration::from_secs(20)));
        if !url.username().is_empty() {
            let password = self
                .password
                .as_ref()
                .ok_or_else(|| config("--smtp-url names a user: set VIAL_SMTP_PASSWORD"))?;
            builder = builder.credentials(Credentials::new(
                url.username().to_owned(),
                password.as_str().to_owned(),
            ));
        }
        let address = self
            .from
            .parse()
            .map_err(|_| config("--smtp-from: not an email address"))?;
        let from = Mailbox::new(self.sender_name.clone(), address);
        let login_url = format!("{}/login", self.public_url.trim_end_matches('/'));
        let endpoint = Endpoint {
            kind: EndpointKind::Email,
            tls: !matches!(url.scheme(), "smtp") || !own,
            host,
            region: None,
            detail: "SMTP relay (notices only, no PHI)".into(),
        };
        Ok((
            Mailer {
                transport: builder.build(),
                from,
                login_url,
            },
            endpoint,
        ))
    }
}

/// The one text every notice carries.
pub fn notice_text(login_url: &str) -> String {
    format!("You have a new secure message.\nSign in to read it: {login_url}\n")
}

/// What one pass over the queue did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoticeReport {
    pub sent: u32,
    pub failed: u32,
    pub skipped: u32,
}

impl App {
    /// Queues a notice to the patient's portal account when the practice writes to them: not
    /// for internal notes or team threads (the caller's job), nor within 15 minutes of the last,
    /// nor to someone who opted out, nor without a relay.
    pub(crate) async fn queue_notice_for(
        &self,
        tx: &mut dyn vial_store::Tx,
        patient_id: &vial_core::PatientId,
        now: i64,
    ) -> Result<(), AppError> {
        if self.mailer.is_none() {
            return Ok(());
        }
        let Some(user) = tx.portal_user_of(patient_id).await? else {
            return Ok(());
        };
        if tx.email_opted_out(&user).await? {
            return Ok(());
        }
        if tx
            .last_notice_at(&user)
            .await?
            .is_some_and(|last| now - last < NOTICE_THROTTLE_MS)
        {
            return Ok(());
        }
        let id: String = new_id("ntc");
        tx.queue_notice(&id, &user, now).await?;
        Ok(())
    }

    /// Whether the signed-in person gets email notices (on unless they opted out).
    pub async fn notice_preference(&self, actor: &Actor) -> Result<bool, AppError> {
        let mut tx = self.store().reader().await?;
        Ok(!tx.email_opted_out(&actor.user_id).await?)
    }

    /// Whether the signed-in person wants email notices (any role, for themselves).
    pub async fn set_notice_preference(&self, actor: &Actor, email: bool) -> Result<(), AppError> {
        let actor = actor.clone();
        self.transact(move |work| {
            Box::pin(async move {
                work.tx()
                    .await?
                    .set_email_opt_out(&actor.user_id, !email)
                    .await?;
                let event = AuditEvent::by("notice.preference", &actor)
                    .resource("user", actor.user_id.as_str())
                    .reason(if email { "email_on" } else { "email_off" });
                work.audit(event);
                Ok(())
            })
        })
        .await
    }

    /// Sends the queued notices (the server's maintenance task, as `by`).
    pub(crate) async fn send_notices(&self, by: &str) -> Result<NoticeReport, AppError> {
        let mut report = NoticeReport::default();
        let Some(mailer) = self.mailer.clone() else {
            return Ok(report);
        };
        let pending = {
            let mut tx = self.store().reader().await?;
            tx.pending_notices(100).await?
        };
        for (id, user) in pending {
            let outcome = self.send_one(&mailer, &user, by).await;
            let (code, reason) = match &outcome {
                Ok(true) => ("sent", None),
                Ok(false) => ("skipped", Some("opted_out")),
                Err(AppError::EgressRefused(_)) => ("failed", Some("egress_refused")),
                Err(_) => ("failed", Some("send_failed")),
            };
            match code {
                "sent" => report.sent += 1,
                "skipped" => report.skipped += 1,
                _ => report.failed += 1,
            }
            let now = self.now_ms();
            let mut event = AuditEvent::new("notice.send")
                .by_system(by)
                .resource("user", user.as_str())
                .purpose("operations");
            if let Some(reason) = reason {
                event = event.denied(reason);
            }
            self.transact(move |work| {
                Box::pin(async move {
                    work.tx().await?.finish_notice(&id, now, code).await?;
                    work.audit(event);
                    Ok(())
                })
            })
            .await?;
            if let Err(e) = outcome {
                tracing::warn!(error = %e, "a notice was not sent");
            }
        }
        Ok(report)
    }

    /// One notice: `Ok(false)` when the recipient opted out (or cannot receive any).
    async fn send_one(
        &self,
        mailer: &Arc<Mailer>,
        user: &UserId,
        by: &str,
    ) -> Result<bool, AppError> {
        let email = {
            let mut tx = self.store().reader().await?;
            if tx.email_opted_out(user).await? {
                return Ok(false);
            }
            let Some(record) = tx.user_by_id(user).await? else {
                return Ok(false);
            };
            if record.disabled_at_ms.is_some() {
                return Ok(false);
            }
            let key = self.existing_data_key(&mut *tx, user).await?;
            let clear = key.open(Aad::new("users", "email", user), &record.email_enc)?;
            Zeroizing::new(
                String::from_utf8(clear.to_vec())
                    .map_err(|_| AppError::Unavailable("a sealed email is not text".into()))?,
            )
        };
        let egress = AuditEvent::new("egress.check")
            .by_system(by)
            .purpose("operations");
        self.egress_gate(EndpointKind::Email, egress).await?;
        let to: Mailbox = email
            .parse()
            .map_err(|_| AppError::Invalid("the account's email is not an address".into()))?;
        let message = lettre::Message::builder()
            .from(mailer.from.clone())
            .to(to)
            .subject(NOTICE_SUBJECT)
            .header(ContentType::TEXT_PLAIN)
            .body(notice_text(&mailer.login_url))
            .map_err(|_| AppError::Unavailable("cannot build the notice".into()))?;
        mailer
            .transport
            .send(message)
            .await
            // Never the relay's own words: a refusal may quote the recipient's address.
            .map_err(|e| {
                AppError::Unavailable(
                    if e.is_tls() {
                        "TLS with the SMTP relay failed"
                    } else if e.is_permanent() {
                        "the SMTP relay refused the notice"
                    } else {
                        "the SMTP relay could not be reached"
                    }
                    .into(),
                )
            })?;
        Ok(true)
    }
}

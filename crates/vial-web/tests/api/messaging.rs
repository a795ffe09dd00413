//! Secure messaging through the real HTTPS stack, on SQLite and PostgreSQL: every cell of the
//! messages row (providers the threads of their patients, staff logistics threads only, admins
//! none, patients their own and never the workforce's), each denial recorded; routing by reason;
//! urgent first; internal notes hidden from the patient; retract-and-correct keeps the history;
//! nothing of a message in clear on disk.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use serde_json::{Value, json};
use vial_testkit::both_backends;

use crate::clinical::{Clinic, clinic, denied_since};

/// Words that must never be found in clear on disk.
const BODY_MARKER: &str = "Swelling-marker-7f3e on my upper lip";
const SUBJECT_MARKER: &str = "Lip-subject-marker-b81d";

/// Opens the practice around the clock, so that no automatic after-hours reply joins the
/// conversations of tests about something else (the test clock says 08:00 on a Friday).
async fn always_open(c: &Clinic, admin: &str) {
    let day = "00:00-24:00";
    let hours = json!({"mon": day, "tue": day, "wed": day, "thu": day, "fri": day,
                       "sat": day, "sun": day});
    let (status, reply) =
        c.s.post(
            "/api/v1/settings",
            Some(admin),
            json!({"opening_hours": hours}),
        )
        .await;
    assert_eq!(status, 204, "{reply}");
}

async fn start_own(c: &Clinic, token: &str, body: Value) -> String {
    let (status, reply) = c.s.post("/api/v1/me/threads", Some(token), body).await;
    assert_eq!(status, 201, "{reply}");
    reply["id"].as_str().unwrap().to_owned()
}

async fn inbox(c: &Clinic, token: &str, which: &str) -> Vec<String> {
    let (status, reply) =
        c.s.get(&format!("/api/v1/threads?box={which}"), Some(token))
            .await;
    assert_eq!(status, 200, "{reply}");
    reply["threads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn bodies(c: &Clinic, token: &str, thread: &str) -> Vec<String> {
    let (status, reply) =
        c.s.get(&format!("/api/v1/threads/{thread}"), Some(token))
            .await;
    assert_eq!(status, 200, "{reply}");
    reply["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap().to_owned())
        .collect()
}

async fn the_messages_row_of_the_matrix(pg: bool) {
    let c = clinic(pg).await;
    let t = c.tokens().await;
    always_open(&c, &t.admin).await;
    let scheduling = start_own(
        &c,
        &t.patient,
        json!({"reason": "scheduling", "body": "Can I move Friday's visit?"}),
    )
    .await;
    let clinical = start_own(
        &c,
        &t.patient,
        json!({"reason": "post_treatment_concern", "subject": SUBJECT_MARKER,
               "body": BODY_MARKER, "urgent": true}),
    )
    .await;

    // Routing and order: the care team's provider sees both, the urgent one first; the front
    // desk only the logistics thread; a provider off the team nothing.
    assert_eq!(
        inbox(&c, &t.provider, "unassigned").await,
        [clinical.as_str(), scheduling.as_str()]
    );
    assert_eq!(
        inbox(&c, &t.staff, "unassigned").await,
        [scheduling.as_str()]
    );
    assert!(inbox(&c, &t.off_team, "unassigned").await.is_empty());
    let (status, mine) = c.s.get("/api/v1/me/threads", Some(&t.patient)).await;
    assert_eq!(status, 200);
    assert_eq!(mine["threads"][0]["subject"], SUBJECT_MARKER);
    assert_eq!(mine["threads"].as_array().unwrap().len(), 2);

    // Refusals, each recorded.
    let before = c.s.audit().await.len();
    let clinical_path = format!("/api/v1/threads/{clinical}");
    for (token, code) in [
        (&t.staff, "clinical_thread"),
        (&t.off_team, "not_on_care_team"),
        (&t.admin, "not_permitted_for_role"),
        (&t.other_patient, "not_own_record"),
    ] {
        let (status, reply) = c.s.get(&clinical_path, Some(token)).await;
        assert_eq!(status, 403, "{reply}");
        assert!(
            reply["error"]["message"].as_str().unwrap().contains(code),
            "{reply}"
        );
        let (status, _) =
            c.s.post(
                &format!("{clinical_path}/messages"),
                Some(token),
                json!({"body": "hi"}),
            )
            .await;
        assert_eq!(status, 403);
    }
    let (status, _) =
        c.s.get("/api/v1/threads?box=unassigned", Some(&t.admin))
            .await;
    assert_eq!(status, 403);
    let (status, _) = c.s.get("/api/v1/me/threads", Some(&t.staff)).await;
    assert_eq!(status, 403);
    // An unknown thread is answered like one the actor may not open.
    let (status, _) = c.s.get("/api/v1/threads/th_none", Some(&t.off_team)).await;
    assert_eq!(status, 403);
    assert_eq!(
        denied_since(&c.s, before).await.len(),
        11,
        "{:?}",
        denied_since(&c.s, before).await
    );

    // Internal notes are the workforce's; the patient reads the rest.
    let post = |token: &str, body: Value| {
        let path = format!("{clinical_path}/messages");
        let token = token.to_owned();
        let s = &c.s;
        async move { s.post(&path, Some(&token), body).await }
    };
    let (status, _) = post(
        &t.provider,
        json!({"body": "Check for occlusion", "internal": true}),
    )
    .await;
    assert_eq!(status, 201);
    let (status, reply) = post(&t.provider, json!({"body": "Cold compress; send a photo."})).await;
    assert_eq!(status, 201, "{reply}");
    let (status, reply) = post(&t.patient, json!({"body": "sneaky", "internal": true})).await;
    assert_eq!(status, 403, "{reply}");
    assert_eq!(
        bodies(&c, &t.patient, &clinical).await,
        [BODY_MARKER, "Cold compress; send a photo."]
    );
    assert_eq!(bodies(&c, &t.provider, &clinical).await.len(), 3);

    // The front desk starts logistics threads only; a team thread never reaches the patient.
    let start = format!("/api/v1/patients/{}/threads", c.patient);
    let (status, _) =
        c.s.post(
            &start,
            Some(&t.staff),
            json!({"reason": "post_treatment_concern", "body": "x"}),
        )
        .await;
    assert_eq!(status, 403);
    let (status, _) =
        c.s.post(
            &start,
            Some(&t.staff),
            json!({"reason": "billing", "body": "Your invoice is ready."}),
        )
        .await;
    assert_eq!(status, 201);
    let (status, team) =
        c.s.post(
            &start,
            Some(&t.provider),
            json!({"reason": "other", "audience": "team", "body": "Second opinion?"}),
        )
        .await;
    assert_eq!(status, 201, "{team}");
    let team = team["id"].as_str().unwrap();
    let (status, reply) =
        c.s.get(&format!("/api/v1/threads/{team}"), Some(&t.patient))
            .await;
    assert_eq!(status, 403);
    assert!(
        reply["error"]["message"]
            .as_str()
            .unwrap()
            .contains("team_thread")
    );
    let (status, mine) = c.s.get("/api/v1/me/threads", Some(&t.patient)).await;
    assert_eq!(status, 200);
    assert_eq!(mine["threads"].as_array().unwrap().len(), 3, "{mine}");
    let (status, _) =
        c.s.post(
            &start,
            Some(&t.off_team),
            json!({"reason": "other", "body": "x"}),
        )
        .await;
    assert_eq!(status, 403);
    // Bad input is refused by field and stores nothing.
    for (body, field) in [
        (json!({"reason": "gossip", "body": "x"}), "reason"),
        (json!({"reason": "other", "body": "  "}), "body"),
        (
            json!({"reason": "other", "body": "x", "subject": "a\nb"}),
            "subject",
        ),
        (
            json!({"reason": "other", "body": "x".repeat(10_001)}),
            "body",
        ),
        (
            json!({"reason": "other", "body": "x", "audience": "world"}),
            "audience",
        ),
    ] {
        let (status, reply) = c.s.post(&start, Some(&t.staff), body).await;
        assert_eq!(status, 422, "{reply}");
        assert!(
            reply["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with(field),
            "{reply}"
        );
    }
    let (_, mine) = c.s.get("/api/v1/me/threads", Some(&t.patient)).await;
    assert_eq!(mine["threads"].as_array().unwrap().len(), 3);

    // Nothing of a subject or a body is in clear on disk.
    if !pg {
        for file in files_under(&c.s.data_root) {
            let bytes = std::fs::read(&file).unwrap();
            for marker in [BODY_MARKER, SUBJECT_MARKER, "Cold compress"] {
                assert!(
                    !bytes.windows(marker.len()).any(|w| w == marker.as_bytes()),
                    "{} holds {marker} in clear",
                    file.display()
                );
            }
        }
    }
}

fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// A retraction keeps the message with its reason; the correction points at it; only the author
/// retracts, once. Assigning, closing and a new message reopening; read receipts.
async fn retract_correct_assign_close_and_receipts(pg: bool) {
    let c = clinic(pg).await;
    let t = c.tokens().await;
    always_open(&c, &t.admin).await;
    let thread = start_own(
        &c,
        &t.patient,
        json!({"reason": "scheduling", "body": "Friday at 3pm please"}),
    )
    .await;
    let path = format!("/api/v1/threads/{thread}");
    let (_, detail) = c.s.get(&path, Some(&t.patient)).await;
    let first = detail["messages"][0]["id"].as_str().unwrap().to_owned();
    let retract = format!("/api/v1/messages/{first}/retract");
    let (status, _) =
        c.s.post(&retract, Some(&t.staff), json!({"reason": "not mine"}))
            .await;
    assert_eq!(status, 409, "only the author retracts");
    let (status, reply) =
        c.s.post(
            &retract,
            Some(&t.patient),
            json!({"reason": "wrong day", "correction": "Thursday at 3pm please"}),
        )
        .await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["correction"]["corrects"], first.as_str());
    let (status, _) =
        c.s.post(&retract, Some(&t.patient), json!({"reason": "again"}))
            .await;
    assert_eq!(status, 409);
    let (_, detail) = c.s.get(&path, Some(&t.staff)).await;
    let messages = detail["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2);
    assert_eq!(
        messages[0]["body"], "Friday at 3pm please",
        "kept in the history"
    );
    assert_eq!(messages[0]["retract_reason"], "wrong day");
    assert!(messages[0]["retracted_at_ms"].is_i64());
    assert_eq!(messages[1]["body"], "Thursday at 3pm please");

    // The front desk takes it, closes it; the patient's next message reopens it.
    let (status, taken) =
        c.s.post(&format!("{path}/assign"), Some(&t.staff), json!({}))
            .await;
    assert_eq!(status, 200, "{taken}");
    assert_eq!(taken["assigned_to"], c.staff.id.as_str());
    assert_eq!(inbox(&c, &t.staff, "mine").await, [thread.as_str()]);
    assert!(inbox(&c, &t.staff, "unassigned").await.is_empty());
    let (status, _) =
        c.s.post(
            &format!("{path}/assign"),
            Some(&t.staff),
            json!({"user_id": c.patient_user.id}),
        )
        .await;
    assert_eq!(status, 422, "a patient is no assignee");
    let (status, _) =
        c.s.post(&format!("{path}/close"), Some(&t.patient), json!({}))
            .await;
    assert_eq!(status, 403, "patients do not close the practice's threads");
    let (status, closed) =
        c.s.post(&format!("{path}/close"), Some(&t.staff), json!({}))
            .await;
    assert_eq!(status, 200);
    assert_eq!(closed["status"], "closed");
    assert_eq!(inbox(&c, &t.staff, "closed").await, [thread.as_str()]);
    let (status, _) =
        c.s.post(
            &format!("{path}/messages"),
            Some(&t.patient),
            json!({"body": "Still there?"}),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(
        inbox(&c, &t.staff, "mine").await,
        [thread.as_str()],
        "reopened"
    );

    let (status, _) =
        c.s.post(&format!("{path}/read"), Some(&t.patient), json!({}))
            .await;
    assert_eq!(status, 204);
    let (_, detail) = c.s.get(&path, Some(&t.staff)).await;
    assert_eq!(detail["reads"][0]["user_id"], c.patient_user.id.as_str());
    let (status, _) =
        c.s.post(&format!("{path}/read"), Some(&t.admin), json!({}))
            .await;
    assert_eq!(status, 403);
}

/// A consult: a provider on the care team invites a colleague off it into a team thread, which
/// opens that thread to them and nothing else of the patient's.
async fn a_consult_opens_one_thread_and_nothing_else(pg: bool) {
    let c = clinic(pg).await;
    let t = c.tokens().await;
    always_open(&c, &t.admin).await;
    let own = start_own(
        &c,
        &t.patient,
        json!({"reason": "post_treatment_concern", "body": "A hard lump after filler."}),
    )
    .await;
    let start = format!("/api/v1/patients/{}/threads", c.patient);
    for (body, field) in [
        (
            json!({"reason": "other", "body": "x", "invite": [c.off_team.id]}),
            "invite",
        ),
        (
            json!({"reason": "other", "body": "x", "audience": "team", "invite": [c.staff.id]}),
            "invite",
        ),
        (
            json!({"reason": "other", "body": "x", "audience": "team", "invite": ["u_none"]}),
            "invite",
        ),
    ] {
        let (status, reply) = c.s.post(&start, Some(&t.provider), body).await;
        assert_eq!(status, 422, "{reply}");
        assert!(
            reply["error"]["message"]
                .as_str()
                .unwrap()
                .starts_with(field),
            "{reply}"
        );
    }
    let (status, consult) =
        c.s.post(
            &start,
            Some(&t.provider),
            json!({"reason": "post_treatment_concern", "audience": "team",
                     "body": "Nodule at 2 weeks: hyaluronidase?", "invite": [c.off_team.id]}),
        )
        .await;
    assert_eq!(status, 201, "{consult}");
    let consult = consult["id"].as_str().unwrap().to_owned();

    // The colleague reads and answers the consult, finds it in the inbox, and nothing more.
    let (status, detail) =
        c.s.get(&format!("/api/v1/threads/{consult}"), Some(&t.off_team))
            .await;
    assert_eq!(status, 200, "{detail}");
    assert_eq!(detail["invited"], json!([c.off_team.id]));
    let (status, _) =
        c.s.post(
            &format!("/api/v1/threads/{consult}/messages"),
            Some(&t.off_team),
            json!({"body": "Yes, 30 units; photos please."}),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(
        inbox(&c, &t.off_team, "unassigned").await,
        [consult.as_str()]
    );
    for path in [
        format!("/api/v1/threads/{own}"),
        format!("/api/v1/patients/{}", c.patient),
        format!("/api/v1/patients/{}/treatments", c.patient),
    ] {
        let (status, _) = c.s.get(&path, Some(&t.off_team)).await;
        assert_eq!(status, 403, "{path}");
    }
    // The patient never sees the consult.
    let (status, _) =
        c.s.get(&format!("/api/v1/threads/{consult}"), Some(&t.patient))
            .await;
    assert_eq!(status, 403);
    let (_, mine) = c.s.get("/api/v1/me/threads", Some(&t.patient)).await;
    assert_eq!(mine["threads"].as_array().unwrap().len(), 1);
}

/// POSTs `file` as the `file` part of a multipart form.
async fn send_file(c: &Clinic, token: &str, path: &str, file: &[u8]) -> (u16, Value) {
    let boundary = "vialMessagingBoundary3c";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; \
         filename=\"IMG_0001.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let r =
        c.s.client
            .post(format!("{}{path}", c.s.base))
            .bearer_auth(token)
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body)
            .send()
            .await
            .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// A patient's photo in a thread goes through the photo pipeline (metadata stripped, sealed),
/// is seen by whoever may read the thread, and is filed into the chart by a provider once the
/// photography consent is on file, once.
async fn photos_sent_in_a_thread_are_stripped_and_filed_to_the_chart(pg: bool) {
    use vial_testkit::images::{assert_no_metadata, exif_jpeg, textured};
    let c = clinic(pg).await;
    let t = c.tokens().await;
    always_open(&c, &t.admin).await;
    let thread = start_own(
        &c,
        &t.patient,
        json!({"reason": "post_treatment_concern", "body": "Day 3, see the photo."}),
    )
    .await;
    let upload = format!("/api/v1/threads/{thread}/attachments");
    let photo = exif_jpeg(&textured(64, 48), 1);
    let (status, _) = send_file(&c, &t.staff, &upload, &photo).await;
    assert_eq!(
        status, 403,
        "the front desk may not write to a clinical thread"
    );
    let (status, reply) = send_file(&c, &t.patient, &upload, b"not an image at all").await;
    assert_eq!(status, 415, "{reply}");
    let (status, sent) = send_file(&c, &t.patient, &upload, &photo).await;
    assert_eq!(status, 201, "{sent}");
    let attachment = sent["attachment"]["id"].as_str().unwrap().to_owned();
    assert_eq!(sent["message"]["body"], "Sent a photo.");

    let picture = format!("{}/api/v1/attachments/{attachment}", c.s.base);
    for (token, want) in [
        (&t.provider, 200),
        (&t.patient, 200),
        (&t.staff, 403),
        (&t.off_team, 403),
        (&t.other_patient, 403),
        (&t.admin, 403),
    ] {
        let r =
            c.s.client
                .get(&picture)
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
        assert_eq!(r.status().as_u16(), want);
        if want == 200 {
            assert_eq!(r.headers()["content-type"], "image/jpeg");
            let picture = r.bytes().await.unwrap();
            assert_no_metadata(&picture);
            // Nothing of the picture is in clear on disk.
            if !pg {
                let middle = &picture[picture.len() / 2..picture.len() / 2 + 48];
                for file in files_under(&c.s.data_root) {
                    let bytes = std::fs::read(&file).unwrap();
                    assert!(
                        !bytes.windows(middle.len()).any(|w| w == middle),
                        "{} holds the photo in clear",
                        file.display()
                    );
                }
            }
        }
    }
    let (_, detail) =
        c.s.get(&format!("/api/v1/threads/{thread}"), Some(&t.provider))
            .await;
    assert_eq!(detail["attachments"][0]["id"], attachment.as_str());

    // Filing needs the photography consent; then it is in the chart, once.
    let file = format!("/api/v1/attachments/{attachment}/file-to-chart");
    let where_ = json!({"view": "front", "body_area": "lips", "phase": "after"});
    let (status, reply) = c.s.post(&file, Some(&t.provider), where_.clone()).await;
    assert_eq!(status, 403, "{reply}");
    assert!(
        reply["error"]["message"]
            .as_str()
            .unwrap()
            .contains("photography"),
        "{reply}"
    );
    let (status, _) =
        c.s.post(
            "/api/v1/consent-forms",
            Some(&t.admin),
            json!({"kind": "photography", "version": "v1", "text": "Photos for my record."}),
        )
        .await;
    assert_eq!(status, 201);
    let (status, _) =
        c.s.post(
            &format!("/api/v1/patients/{}/consents", c.patient),
            Some(&t.patient),
            json!({"kind": "photography", "form_version": "v1",
                     "signature": {"type": "typed", "name": "Charta Clinicaltest"}}),
        )
        .await;
    assert_eq!(status, 201);
    let (status, _) = c.s.post(&file, Some(&t.patient), where_.clone()).await;
    assert_eq!(status, 403, "only a provider files into the chart");
    let (status, filed) = c.s.post(&file, Some(&t.provider), where_.clone()).await;
    assert_eq!(status, 201, "{filed}");
    let (status, _) = c.s.post(&file, Some(&t.provider), where_).await;
    assert_eq!(status, 409);
    let (status, photos) =
        c.s.get(
            &format!("/api/v1/patients/{}/photos", c.patient),
            Some(&t.provider),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(photos["photos"].as_array().unwrap().len(), 1, "{photos}");
    assert_eq!(photos["photos"][0]["id"], filed["photo_id"]);
}

/// A patient who writes while the practice is closed (its zone and hours) gets the automatic
/// reply, once in a row, authored by nobody; during opening hours, none.
async fn patients_writing_after_hours_get_the_automatic_reply_once(pg: bool) {
    let c = clinic(pg).await;
    let t = c.tokens().await;
    // Friday 08:00 UTC: before the default hours (09:00-17:00).
    let thread = start_own(
        &c,
        &t.patient,
        json!({"reason": "scheduling", "body": "Early bird"}),
    )
    .await;
    let path = format!("/api/v1/threads/{thread}/messages");
    let (status, _) =
        c.s.post(&path, Some(&t.patient), json!({"body": "Anyone?"}))
            .await;
    assert_eq!(status, 201);
    let (_, detail) =
        c.s.get(&format!("/api/v1/threads/{thread}"), Some(&t.patient))
            .await;
    let messages = detail["messages"].as_array().unwrap();
    let authors: Vec<&Value> = messages.iter().map(|m| &m["author_id"]).collect();
    assert_eq!(messages.len(), 3, "{detail}");
    assert_eq!(messages[1]["body"], vial_app::AFTER_HOURS_REPLY);
    assert!(authors[1].is_null() && authors[0].is_string() && authors[2].is_string());

    // At 10:00 the practice is open: no automatic reply. At 18:00 closed again: one more.
    c.s.clock.advance_ms(2 * 60 * 60_000);
    let t = c.tokens().await;
    let (status, _) =
        c.s.post(&path, Some(&t.patient), json!({"body": "Now?"}))
            .await;
    assert_eq!(status, 201);
    c.s.clock.advance_ms(8 * 60 * 60_000);
    let t = c.tokens().await;
    let (status, _) =
        c.s.post(&path, Some(&t.patient), json!({"body": "Evening"}))
            .await;
    assert_eq!(status, 201);
    let (_, detail) =
        c.s.get(&format!("/api/v1/threads/{thread}"), Some(&t.staff))
            .await;
    let automatic = detail["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["author_id"].is_null())
        .count();
    assert_eq!(automatic, 2, "{detail}");
    let last = detail["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["body"], vial_app::AFTER_HOURS_REPLY);
}

/// Aftercare templates: written by the workforce with the two safe placeholders only, filled in
/// with the patient's first name and the date; a colleague in a consult cannot use one to learn
/// the name.
async fn aftercare_templates_fill_in_the_first_name_and_the_date(pg: bool) {
    let c = clinic(pg).await;
    let t = c.tokens().await;
    always_open(&c, &t.admin).await;
    let body = json!({"name": "Aftercare: neurotoxin", "kind": "neurotoxin",
                      "body": "Hi {first_name}, after your treatment on {date}: stay upright for 4 hours."});
    for (token, want) in [(&t.admin, 403), (&t.patient, 403)] {
        let (status, _) =
            c.s.post("/api/v1/message-templates", Some(token), body.clone())
                .await;
        assert_eq!(status, want);
    }
    let (status, reply) =
        c.s.post(
            "/api/v1/message-templates",
            Some(&t.staff),
            json!({"name": "Bad", "kind": "general", "body": "Your DOB is {dob}"}),
        )
        .await;
    assert_eq!(status, 422, "{reply}");
    let (status, template) =
        c.s.post("/api/v1/message-templates", Some(&t.provider), body)
            .await;
    assert_eq!(status, 201, "{template}");
    let template = template["id"].as_str().unwrap().to_owned();
    let (status, list) = c.s.get("/api/v1/message-templates", Some(&t.staff)).await;
    assert_eq!(status, 200);
    assert_eq!(list["templates"].as_array().unwrap().len(), 1);

    let start = format!("/api/v1/patients/{}/threads", c.patient);
    let (status, thread) =
        c.s.post(
            &start,
            Some(&t.provider),
            json!({"reason": "post_treatment_concern", "body": "Hello"}),
        )
        .await;
    assert_eq!(status, 201);
    let thread = thread["id"].as_str().unwrap().to_owned();
    let send = format!("/api/v1/threads/{thread}/template-messages");
    let (status, sent) =
        c.s.post(&send, Some(&t.provider), json!({"template_id": template}))
            .await;
    assert_eq!(status, 201, "{sent}");
    assert_eq!(
        sent["body"],
        "Hi Charta, after your treatment on January 15, 2027: stay upright for 4 hours."
    );
    let (status, _) =
        c.s.post(&send, Some(&t.provider), json!({"template_id": "tpl_none"}))
            .await;
    assert_eq!(status, 404);

    // An invited colleague may write in the consult but not read the name through a template.
    let (status, consult) =
        c.s.post(
            &start,
            Some(&t.provider),
            json!({"reason": "other", "audience": "team", "body": "?", "invite": [c.off_team.id]}),
        )
        .await;
    assert_eq!(status, 201);
    let consult = consult["id"].as_str().unwrap();
    let (status, _) =
        c.s.post(
            &format!("/api/v1/threads/{consult}/template-messages"),
            Some(&t.off_team),
            json!({"template_id": template}),
        )
        .await;
    assert_eq!(status, 403);
}

both_backends!(
    aftercare_templates_fill_in_the_first_name_and_the_date,
    patients_writing_after_hours_get_the_automatic_reply_once,
    photos_sent_in_a_thread_are_stripped_and_filed_to_the_chart,
    the_messages_row_of_the_matrix,
    retract_correct_assign_close_and_receipts,
    a_consult_opens_one_thread_and_nothing_else
);

/// aiosmtpd on loopback, addressed as `smtp.vial.test` (a hosts-file line): SMTPS with the test
/// CA's certificate, or plain SMTP (`tls: false`); each message lands in a Maildir.
struct SmtpServer {
    child: std::process::Child,
    port: u16,
    maildir: tempfile::TempDir,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The test CA and the relay's certificate and key, from `.ci/tls-fixtures.sh`.
fn smtp_fixtures() -> Option<(String, String, String)> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    match (
        var("VIAL_TEST_TLS_CA"),
        var("VIAL_TEST_SMTP_TLS_CERT"),
        var("VIAL_TEST_SMTP_TLS_KEY"),
    ) {
        (Some(ca), Some(cert), Some(key)) => Some((ca, cert, key)),
        _ if var("VIAL_SKIP_TLS").as_deref() == Some("1") => None,
        _ => panic!(
            "the SMTP fixtures are not set up: run `eval \"$(.ci/tls-fixtures.sh)\"` (as .ci/run \
             does), or set VIAL_SKIP_TLS=1"
        ),
    }
}

impl SmtpServer {
    fn start(tls: Option<(&str, &str)>) -> SmtpServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let maildir = tempfile::tempdir().unwrap();
        let mut command = std::process::Command::new("/usr/bin/python3");
        command.args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")]);
        if let Some((cert, key)) = tls {
            command.args(["--smtpscert", cert, "--smtpskey", key]);
        }
        command
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(maildir.path().join("box"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        let child = command
            .spawn()
            .expect("aiosmtpd (Debian's python3-aiosmtpd)");
        // Bounded wait until it accepts connections.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "aiosmtpd did not start"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        SmtpServer {
            child,
            port,
            maildir,
        }
    }

    /// Every message received so far, raw.
    fn received(&self) -> Vec<String> {
        let new = self.maildir.path().join("box").join("new");
        let Ok(entries) = std::fs::read_dir(new) else {
            return Vec::new();
        };
        entries
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .collect()
    }
}

async fn notices_carry_no_phi_and_arrive_over_tls(pg: bool) {
    let Some((ca, cert, key)) = smtp_fixtures() else {
        return;
    };
    let smtp = SmtpServer::start(Some((&cert, &key)));
    let relay = vial_app::SmtpRelay {
        url: format!("smtps://smtp.vial.test:{}", smtp.port),
        from: "notices@vial.test".into(),
        sender_name: Some("Secure messages".into()),
        password: None,
        ca_pem: Some(std::fs::read(&ca).unwrap()),
        public_url: "https://portal.vial.test".into(),
    };
    let server =
        vial_testkit::server::spawn_tuned(pg, vial_web::TransportLimits::default(), |system| {
            system.with_mailer(&relay).unwrap()
        })
        .await;
    let c = crate::clinical::clinic_on(server).await;
    let t = c.tokens().await;
    // smtp.vial.test is not this machine: a vendor under a BAA must cover it.
    let vendor = vial_app::NewVendor {
        name: "Mail Relay Co".into(),
        service: "email".into(),
        hosts: vec!["smtp.vial.test".into()],
        region: "us".into(),
        baa_signed: "2026-01-01".into(),
        baa_expires: "2028-01-01".into(),
        baa_document: None,
    };
    c.s.system.add_vendor(vendor, "system:test").await.unwrap();

    let start = format!("/api/v1/patients/{}/threads", c.patient);
    let (status, thread) =
        c.s.post(
            &start,
            Some(&t.provider),
            json!({"reason": "post_treatment_concern", "subject": "Botox follow-up lips filler",
                     "body": "Charta, your Juvederm lot 4411 looks fine; ice the lips."}),
        )
        .await;
    assert_eq!(status, 201, "{thread}");
    let thread = thread["id"].as_str().unwrap().to_owned();
    let report = c.s.system.send_notices("system:test").await.unwrap();
    assert_eq!((report.sent, report.failed), (1, 0), "{report:?}");
    let received = smtp.received();
    assert_eq!(received.len(), 1);
    let mail = &received[0];
    assert!(mail.contains("To: charta@example.com"), "{mail}");
    assert!(
        mail.contains(
            "You have a new secure message.\nSign in to read it: https://portal.vial.test/login\n"
        ),
        "{mail}"
    );
    for word in [
        "Charta",
        "Clinicaltest",
        "Juvederm",
        "4411",
        "Botox",
        "filler",
        "lips",
        "ice the",
        "post_treatment",
        "treatment",
        "follow-up",
        c.patient.as_str(),
    ] {
        let without_address = mail.replace("charta@example.com", "");
        assert!(
            !without_address
                .to_lowercase()
                .contains(&word.to_lowercase()),
            "{word} in {mail}"
        );
    }

    // Within 15 minutes: no second notice; the patient's own message notifies nobody.
    let path = format!("/api/v1/threads/{thread}/messages");
    let (status, _) =
        c.s.post(
            &path,
            Some(&t.provider),
            json!({"body": "Also: no gym today."}),
        )
        .await;
    assert_eq!(status, 201);
    let (status, _) =
        c.s.post(&path, Some(&t.patient), json!({"body": "Thanks!"}))
            .await;
    assert_eq!(status, 201);
    assert_eq!(
        c.s.system.send_notices("system:test").await.unwrap().sent,
        0
    );
    // Later, another one; after opting out, none.
    c.s.clock.advance_ms(16 * 60_000);
    let t = c.tokens().await;
    let (status, _) =
        c.s.post(
            &path,
            Some(&t.provider),
            json!({"body": "How is it today?"}),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(
        c.s.system.send_notices("system:test").await.unwrap().sent,
        1
    );
    let (status, _) =
        c.s.put(
            "/api/v1/me/notices",
            Some(&t.patient),
            json!({"email": false}),
        )
        .await;
    assert_eq!(status, 204);
    c.s.clock.advance_ms(16 * 60_000);
    let t = c.tokens().await;
    let (status, _) =
        c.s.post(&path, Some(&t.provider), json!({"body": "And now?"}))
            .await;
    assert_eq!(status, 201);
    assert_eq!(
        c.s.system.send_notices("system:test").await.unwrap().sent,
        0
    );
    assert_eq!(smtp.received().len(), 2);

    // Recorded by recipient and outcome, never the address.
    let mut tx = c.s.app.store().begin_read().await.unwrap();
    let rows = tx.audit_rows(None, 100_000).await.unwrap();
    let sends: Vec<_> = rows.iter().filter(|r| r.action == "notice.send").collect();
    assert_eq!(sends.len(), 2);
    let holds =
        |bytes: &[u8], needle: &str| bytes.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(sends.iter().all(|r| holds(&r.entry, &c.patient_user.id)));
    assert!(!rows.iter().any(|r| holds(&r.entry, "charta@example.com")));
}

/// A relay off this machine that offers no TLS gets nothing: STARTTLS is required, never
/// opportunistic; and without a vendor for its host the gate refuses first.
async fn a_relay_without_tls_or_without_a_vendor_gets_nothing(pg: bool) {
    let Some((ca, _, _)) = smtp_fixtures() else {
        return;
    };
    let plain = SmtpServer::start(None);
    let relay = vial_app::SmtpRelay {
        url: format!("smtp://smtp.vial.test:{}", plain.port),
        from: "notices@vial.test".into(),
        sender_name: None,
        password: None,
        ca_pem: Some(std::fs::read(&ca).unwrap()),
        public_url: "https://portal.vial.test".into(),
    };
    let server =
        vial_testkit::server::spawn_tuned(pg, vial_web::TransportLimits::default(), |system| {
            system.with_mailer(&relay).unwrap()
        })
        .await;
    let c = crate::clinical::clinic_on(server).await;
    let t = c.tokens().await;
    let start = format!("/api/v1/patients/{}/threads", c.patient);
    let body = json!({"reason": "scheduling", "body": "See you Friday."});
    let (status, _) = c.s.post(&start, Some(&t.provider), body.clone()).await;
    assert_eq!(status, 201);
    let refused = c.s.system.check_egress("system:test").await.unwrap_err();
    assert!(
        refused.to_string().starts_with("smtp.vial.test: no vendor"),
        "{refused}"
    );
    let report = c.s.system.send_notices("system:test").await.unwrap();
    assert_eq!((report.sent, report.failed), (0, 1));
    let vendor = vial_app::NewVendor {
        name: "Mail Relay Co".into(),
        service: "email".into(),
        hosts: vec!["smtp.vial.test".into()],
        region: "us".into(),
        baa_signed: "2026-01-01".into(),
        baa_expires: "2028-01-01".into(),
        baa_document: None,
    };
    c.s.system.add_vendor(vendor, "system:test").await.unwrap();
    c.s.clock.advance_ms(16 * 60_000);
    let t = c.tokens().await;
    let (status, _) = c.s.post(&start, Some(&t.provider), body).await;
    assert_eq!(status, 201);
    let report = c.s.system.send_notices("system:test").await.unwrap();
    assert_eq!(
        (report.sent, report.failed),
        (0, 1),
        "no STARTTLS offered: nothing sent"
    );
    assert!(plain.received().is_empty());
    let audit = c.s.audit().await;
    let denied: Vec<_> = audit
        .iter()
        .filter(|(a, o, _)| a == "notice.send" && o == "denied")
        .collect();
    assert_eq!(denied.len(), 2);

    // A plain relay URL is refused at configuration when it would not be TLS.
    let bad = vial_app::SmtpRelay {
        url: "ftp://smtp.vial.test".into(),
        ..relay.clone()
    };
    let err = vial_app::System::with_mailer(c.s.system.clone(), &bad).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("--smtp-url: the scheme must be"),
        "{err}"
    );
}

both_backends!(
    notices_carry_no_phi_and_arrive_over_tls,
    a_relay_without_tls_or_without_a_vendor_gets_nothing
);

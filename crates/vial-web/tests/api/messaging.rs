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

both_backends!(
    the_messages_row_of_the_matrix,
    retract_correct_assign_close_and_receipts
);

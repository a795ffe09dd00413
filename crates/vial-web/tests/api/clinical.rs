//! Clinical charting through the real HTTPS stack, on SQLite and PostgreSQL: every route allowed
//! and denied per the SPEC §2 matrix (each denial audited), bad input refused precisely with
//! nothing stored, the draft → signed → amended life cycle, double-booking, stock draw-down and
//! lot recall, consents, and nothing clinical in clear under the data dir.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use serde_json::{Value, json};
use vial_app::Role;
use vial_testkit::both_backends;
use vial_testkit::server::{Server, TestUser, spawn_app};

pub(crate) const HOUR: i64 = 3_600_000;
/// The test clock's "now" (2027-01-15 08:00 UTC) and its date.
const TODAY: &str = "2027-01-15";
const NOTE_MARKER: &str = "Qwertynotemarker";
const LOT: &str = "C4567X";

pub(crate) struct Clinic {
    pub(crate) s: Server,
    pub(crate) patient: String,
    pub(crate) other_patient: String,
    pub(crate) provider: TestUser,
    pub(crate) off_team: TestUser,
    pub(crate) staff: TestUser,
    pub(crate) admin: TestUser,
    pub(crate) patient_user: TestUser,
    pub(crate) other_patient_user: TestUser,
    pub(crate) clinic_id: String,
}

pub(crate) struct Tokens {
    pub(crate) provider: String,
    pub(crate) off_team: String,
    pub(crate) staff: String,
    pub(crate) admin: String,
    pub(crate) patient: String,
    pub(crate) other_patient: String,
}

pub(crate) async fn clinic(pg: bool) -> Clinic {
    clinic_on(spawn_app(pg).await).await
}

/// The clinic on a server the caller configured.
pub(crate) async fn clinic_on(s: Server) -> Clinic {
    let staff = s.add_user("cl.desk@example.com", Role::Staff, None).await;
    let admin = s.add_user("cl.owner@example.com", Role::Admin, None).await;
    let provider = s.add_user("cl.np@example.com", Role::Provider, None).await;
    let off_team = s.add_user("cl.md@example.com", Role::Provider, None).await;
    let staff_token = s.token(&staff).await;
    let mut ids = Vec::new();
    for given in ["Charta", "Othera"] {
        let (status, body) = s
            .post(
                "/api/v1/patients",
                Some(&staff_token),
                json!({"given": given, "family": "Clinicaltest", "dob": "1985-06-07",
                       "phone": "555 0100 333", "email": format!("{given}@example.com")}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        ids.push(body["id"].as_str().unwrap().to_owned());
    }
    let (patient, other_patient) = (ids[0].clone(), ids[1].clone());
    let (status, _) = s
        .post(
            &format!("/api/v1/patients/{patient}/care-team"),
            Some(&staff_token),
            s.reauthenticated(&staff, json!({"provider_id": provider.id})),
        )
        .await;
    assert_eq!(status, 204);
    let patient_user = s
        .add_user("charta@example.com", Role::Patient, Some(&patient))
        .await;
    let other_patient_user = s
        .add_user("othera@example.com", Role::Patient, Some(&other_patient))
        .await;
    let admin_token = s.token(&admin).await;
    let (status, body) = s
        .post(
            "/api/v1/locations",
            Some(&admin_token),
            json!({"name": "Main Street"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let clinic_id = body["id"].as_str().unwrap().to_owned();
    let (status, body) = s
        .post(
            "/api/v1/consent-forms",
            Some(&admin_token),
            json!({"kind": "treatment", "version": "v1", "text": "I consent to treatment."}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    Clinic {
        s,
        patient,
        other_patient,
        provider,
        off_team,
        staff,
        admin,
        patient_user,
        other_patient_user,
        clinic_id,
    }
}

impl Clinic {
    pub(crate) async fn tokens(&self) -> Tokens {
        Tokens {
            provider: self.s.token(&self.provider).await,
            off_team: self.s.token(&self.off_team).await,
            staff: self.s.token(&self.staff).await,
            admin: self.s.token(&self.admin).await,
            patient: self.s.token(&self.patient_user).await,
            other_patient: self.s.token(&self.other_patient_user).await,
        }
    }

    async fn receive_lot(&self, token: &str, quantity: u32) {
        let (status, body) = self
            .s
            .post(
                "/api/v1/inventory",
                Some(token),
                json!({"product": "botox_100", "lot": LOT, "expiry": "2027-06-30", "quantity": quantity}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }

    fn path(&self, suffix: &str) -> String {
        format!("/api/v1/patients/{}/{suffix}", self.patient)
    }
}

fn neurotoxin(units: f64, site: &str, lot: &str, expiry: &str) -> Value {
    json!({
        "date": TODAY,
        "body": {"type": "neurotoxin", "product": "botox_100", "dilution_ml": 2.5, "lot": lot,
                 "expiry": expiry,
                 "points": [{"site": "glabella_procerus", "units": 4.0, "x": 0.5, "y": 0.3},
                            {"site": site, "units": units, "x": 0.4, "y": 0.31}]},
        "notes": format!("{NOTE_MARKER} tolerated well")
    })
}

fn soap(text: &str) -> Value {
    json!({"subjective": text, "objective": "Dynamic glabellar lines", "assessment": "Good candidate", "plan": "20 U"})
}

/// Entries recorded since `before` with outcome `denied`, as action names.
pub(crate) async fn denied_since(s: &Server, before: usize) -> Vec<String> {
    s.audit().await[before..]
        .iter()
        .filter(|(_, outcome, _)| outcome == "denied")
        .map(|(action, _, _)| action.clone())
        .collect()
}

/// Treatments: only providers on the care team chart and read; the patient reads their own;
/// staff, admins, another patient and a provider off the care team are refused and audited.
async fn treatment_cells(pg: bool) {
    let c = clinic(pg).await;
    let t = c.tokens().await;
    c.receive_lot(&t.provider, 200).await;
    let chart = c.path("treatments");
    let body = neurotoxin(6.0, "corrugator_l", LOT, "2027-06-30");
    let before = c.s.audit().await.len();
    for (who, token) in [
        ("staff", &t.staff),
        ("admin", &t.admin),
        ("off team", &t.off_team),
        ("patient", &t.patient),
    ] {
        let (status, reply) = c.s.post(&chart, Some(token), body.clone()).await;
        assert_eq!(status, 403, "{who}: {reply}");
    }
    assert_eq!(
        denied_since(&c.s, before).await.len(),
        4,
        "every denial audited"
    );
    let (status, reply) = c.s.post(&chart, Some(&t.provider), body.clone()).await;
    assert_eq!(status, 201, "{reply}");
    let id = reply["id"].as_str().unwrap().to_owned();

    let (status, reply) =
        c.s.get(&format!("/api/v1/treatments/{id}"), Some(&t.provider))
            .await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["total_units"], 10.0, "derived, never accepted");
    assert_eq!(reply["treatment"]["body"]["lot"], LOT);
    let (status, reply) = c.s.get(&chart, Some(&t.patient)).await;
    assert_eq!(status, 200);
    assert_eq!(
        reply["treatments"].as_array().unwrap().len(),
        1,
        "the patient reads signed records"
    );
    let before = c.s.audit().await.len();
    for (who, token) in [
        ("staff", &t.staff),
        ("admin", &t.admin),
        ("off team", &t.off_team),
        ("other patient", &t.other_patient),
    ] {
        let (status, _) = c.s.get(&chart, Some(token)).await;
        assert_eq!(status, 403, "{who}");
        let (status, _) =
            c.s.get(&format!("/api/v1/treatments/{id}"), Some(token))
                .await;
        assert_eq!(status, 403, "{who}");
    }
    assert_eq!(denied_since(&c.s, before).await.len(), 8);
    // An absent treatment is refused like another patient's: the status tells nothing.
    let (status, _) =
        c.s.get("/api/v1/treatments/trt_absent", Some(&t.provider))
            .await;
    assert_eq!(status, 403);

    // Stock was drawn down by the 10 units.
    let (_, stock) = c.s.get("/api/v1/inventory", Some(&t.provider)).await;
    assert_eq!(stock["lots"][0]["remaining"], 190.0);
    assert_eq!(c.s.get("/api/v1/inventory", Some(&t.patient)).await.0, 403);
}

/// Bad treatment input: a precise 422 naming the field, and nothing stored or drawn down.
async fn bad_treatments_are_refused_and_store_nothing(pg: bool) {
    let c = clinic(pg).await;
    let t = c.tokens().await;
    c.receive_lot(&t.provider, 20).await;
    let chart = c.path("treatments");
    let mut missing = neurotoxin(6.0, "corrugator_l", LOT, "2027-06-30");
    missing["body"].as_object_mut().unwrap().remove("lot");
    let mut bad_date = neurotoxin(6.0, "corrugator_l", LOT, "2027-06-30");
    bad_date["date"] = json!("15/01/2027");
    let mut huge = neurotoxin(6.0, "corrugator_l", LOT, "2027-06-30");
    huge["notes"] = json!("x".repeat(10_001));
    let cases = [
        (
            neurotoxin(-2.0, "corrugator_l", LOT, "2027-06-30"),
            422,
            "body.points[1].units",
        ),
        (
            neurotoxin(6.0, "forehead_middle", LOT, "2027-06-30"),
            422,
            "body.points[1].site",
        ),
        (
            neurotoxin(6.0, "corrugator_l", LOT, "2026-12-31"),
            422,
            "expired on 2026-12-31",
        ),
        (
            neurotoxin(6.0, "corrugator_l", "NOTRECEIVED", "2027-06-30"),
            422,
            "has not been received",
        ),
        (
            neurotoxin(30.0, "corrugator_l", LOT, "2027-06-30"),
            422,
            "only 20 left",
        ),
        (bad_date, 422, "date"),
        (huge, 422, "notes"),
        (missing, 422, "lot"),
        (json!({"date": TODAY}), 422, "body"),
    ];
    for (body, status, needle) in cases {
        let (got, reply) = c.s.post(&chart, Some(&t.provider), body).await;
        assert_eq!(got, status, "{needle}: {reply}");
        let message = reply["error"]["message"].as_str().unwrap();
        assert!(message.contains(needle), "{needle}: {message}");
        assert!(!message.contains(NOTE_MARKER), "no echo of clinical text");
    }
    let big = "y".repeat(600 * 1024);
    let (status, _) =
        c.s.post(
            &chart,
            Some(&t.provider),
            json!({"date": TODAY, "notes": big}),
        )
        .await;
    assert_eq!(status, 413);
    let (_, list) = c.s.get(&chart, Some(&t.provider)).await;
    assert_eq!(
        list["treatments"].as_array().unwrap().len(),
        0,
        "nothing stored"
    );
    let (_, stock) = c.s.get("/api/v1/inventory", Some(&t.provider)).await;
    assert_eq!(stock["lots"][0]["remaining"], 20.0, "nothing drawn down");
}

/// SOAP notes: draft edited at its version, signed once, then only amended (409 on edit); the
/// patient sees signed notes only; staff and admins never see notes.
async fn notes_are_signed_then_only_amended(pg: bool) {
    let c = clinic(pg).await;
    let t = c.tokens().await;
    let (status, reply) =
        c.s.post(&c.path("notes"), Some(&t.provider), soap(NOTE_MARKER))
            .await;
    assert_eq!(status, 201, "{reply}");
    let id = reply["id"].as_str().unwrap().to_owned();
    let note = format!("/api/v1/notes/{id}");
    let (_, list) = c.s.get(&c.path("notes"), Some(&t.patient)).await;
    assert_eq!(
        list["notes"].as_array().unwrap().len(),
        0,
        "drafts are not shown to the patient"
    );
    assert_eq!(c.s.get(&note, Some(&t.patient)).await.0, 404);

    let (status, _) =
        c.s.put(
            &note,
            Some(&t.provider),
            json!({"version": 1, "body": soap("Edited once")}),
        )
        .await;
    assert_eq!(status, 204);
    let (status, reply) =
        c.s.put(
            &note,
            Some(&t.provider),
            json!({"version": 1, "body": soap("Stale edit")}),
        )
        .await;
    assert_eq!(status, 409, "{reply}");
    let (status, reply) =
        c.s.put(&note, Some(&t.provider), json!({"version": 2, "body": {}}))
            .await;
    assert_eq!(status, 422, "an empty note: {reply}");
    for token in [&t.staff, &t.admin, &t.off_team, &t.other_patient] {
        assert_eq!(
            c.s.post(&format!("{note}/sign"), Some(token), json!({}))
                .await
                .0,
            403
        );
        assert_eq!(c.s.get(&note, Some(token)).await.0, 403);
    }
    let (status, reply) =
        c.s.post(
            &format!("{note}/amendments"),
            Some(&t.provider),
            json!({"text": "too early"}),
        )
        .await;
    assert_eq!(status, 409, "a draft is edited, not amended: {reply}");
    assert_eq!(
        c.s.post(&format!("{note}/sign"), Some(&t.provider), json!({}))
            .await
            .0,
        204
    );
    assert_eq!(
        c.s.post(&format!("{note}/sign"), Some(&t.provider), json!({}))
            .await
            .0,
        409
    );
    let (status, reply) =
        c.s.put(
            &note,
            Some(&t.provider),
            json!({"version": 3, "body": soap("After signing")}),
        )
        .await;
    assert_eq!(status, 409);
    assert!(
        reply["error"]["message"]
            .as_str()
            .unwrap()
            .contains("amendment"),
        "{reply}"
    );
    let (status, _) =
        c.s.post(
            &format!("{note}/amendments"),
            Some(&t.provider),
            json!({"text": "Corrected dose: 18 U"}),
        )
        .await;
    assert_eq!(status, 201);
    let (_, shown) = c.s.get(&note, Some(&t.patient)).await;
    assert_eq!(shown["state"], "signed");
    assert_eq!(
        shown["body"]["subjective"], "Edited once",
        "the original is kept"
    );
    assert_eq!(shown["amendments"][0]["text"], "Corrected dose: 18 U");
}

/// Co-signature: with the requirement on, a provider's signed note waits for the medical
/// director, who co-signs it (never their own); nobody else may.
async fn charts_await_the_medical_directors_cosignature(pg: bool) {
    let c = clinic(pg).await;
    let t = c.tokens().await;
    let settings =
        json!({"medical_director": c.off_team.id, "cosign_requirement": "medical_director"});
    assert_eq!(
        c.s.post("/api/v1/settings", Some(&t.staff), settings.clone())
            .await
            .0,
        403
    );
    assert_eq!(
        c.s.post("/api/v1/settings", Some(&t.admin), settings)
            .await
            .0,
        204
    );
    let (_, reply) =
        c.s.post(&c.path("notes"), Some(&t.provider), soap("Needs co-sign"))
            .await;
    let note = format!("/api/v1/notes/{}", reply["id"].as_str().unwrap());
    c.s.post(&format!("{note}/sign"), Some(&t.provider), json!({}))
        .await;
    let before = c.s.audit().await.len();
    assert_eq!(
        c.s.get("/api/v1/cosign-queue", Some(&t.provider)).await.0,
        403
    );
    let (status, queue) = c.s.get("/api/v1/cosign-queue", Some(&t.off_team)).await;
    assert_eq!(status, 200);
    assert_eq!(queue["charts"].as_array().unwrap().len(), 1);
    assert_eq!(
        c.s.post(&format!("{note}/cosign"), Some(&t.provider), json!({}))
            .await
            .0,
        403
    );
    // The refusals and the queue view are recorded, allowed and denied alike, and the view
    // once more under each patient it shows.
    let decided: Vec<(String, String)> = c.s.audit().await[before..]
        .iter()
        .map(|(action, outcome, _)| (action.clone(), outcome.clone()))
        .collect();
    let pair = |a: &str, o: &str| (a.to_owned(), o.to_owned());
    assert_eq!(
        decided,
        [
            pair("document.cosign_queue", "denied"),
            pair("document.cosign_queue", "allowed"),
            pair("document.cosign_queue", "allowed"),
            pair("document.cosign", "denied"),
        ]
    );
    assert_eq!(
        c.s.post(&format!("{note}/cosign"), Some(&t.off_team), json!({}))
            .await
            .0,
        204
    );
    assert_eq!(
        c.s.post(&format!("{note}/cosign"), Some(&t.off_team), json!({}))
            .await
            .0,
        409
    );
    let (_, shown) = c.s.get(&note, Some(&t.off_team)).await;
    assert_eq!(shown["cosign"], "cosigned");
    assert_eq!(shown["cosigned_by"], c.off_team.id.as_str());
}

/// Scheduling: staff book anyone, a provider only their own schedule, no double booking,
/// booking joins the care team, the status flow is enforced, patients see and cancel their own.
async fn appointments_follow_the_matrix(pg: bool) {
    let c = clinic(pg).await;
    let t = c.tokens().await;
    let start = 1_800_000_000_000_i64 + 2 * HOUR;
    let booking = |patient: &str, provider: &str, start: i64| {
        json!({"patient_id": patient, "provider_id": provider, "start_ms": start,
               "end_ms": start + HOUR / 2, "service": "neurotoxin_treatment",
               "location": {"type": "clinic", "clinic_id": c.clinic_id}})
    };
    let (status, reply) =
        c.s.post(
            "/api/v1/appointments",
            Some(&t.staff),
            booking(&c.other_patient, &c.off_team.id, start),
        )
        .await;
    assert_eq!(status, 201, "{reply}");
    let first = reply["id"].as_str().unwrap().to_owned();
    // Booked: the provider is on the other patient's care team now.
    assert_eq!(
        c.s.get(
            &format!("/api/v1/patients/{}", c.other_patient),
            Some(&t.off_team)
        )
        .await
        .0,
        200
    );
    let (status, reply) =
        c.s.post(
            "/api/v1/appointments",
            Some(&t.staff),
            booking(&c.patient, &c.off_team.id, start + HOUR / 4),
        )
        .await;
    assert_eq!(status, 409, "double booking: {reply}");
    let (status, _) =
        c.s.post(
            "/api/v1/appointments",
            Some(&t.staff),
            booking(&c.patient, &c.off_team.id, start + HOUR / 2),
        )
        .await;
    assert_eq!(status, 201, "back to back is fine");
    let before = c.s.audit().await.len();
    let (status, _) =
        c.s.post(
            "/api/v1/appointments",
            Some(&t.provider),
            booking(&c.patient, &c.off_team.id, start + 3 * HOUR),
        )
        .await;
    assert_eq!(status, 403, "a provider books only their own schedule");
    assert_eq!(
        c.s.post(
            "/api/v1/appointments",
            Some(&t.admin),
            booking(&c.patient, &c.provider.id, start)
        )
        .await
        .0,
        403
    );
    let (status, _) =
        c.s.post(
            "/api/v1/appointments",
            Some(&t.patient),
            booking(&c.other_patient, &c.provider.id, start),
        )
        .await;
    assert_eq!(status, 403, "a patient books only for themselves");
    assert_eq!(denied_since(&c.s, before).await.len(), 3);
    let mut bad = booking(&c.patient, &c.provider.id, start);
    bad["service"] = json!("tattoo");
    let (status, reply) = c.s.post("/api/v1/appointments", Some(&t.staff), bad).await;
    assert_eq!(status, 422);
    assert!(
        reply["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("service"),
        "{reply}"
    );
    let mut backwards = booking(&c.patient, &c.provider.id, start);
    backwards["end_ms"] = json!(start - 1);
    assert_eq!(
        c.s.post("/api/v1/appointments", Some(&t.staff), backwards)
            .await
            .0,
        422
    );

    let day = "2027-01-15";
    let (status, list) =
        c.s.get(&format!("/api/v1/appointments?date={day}"), Some(&t.staff))
            .await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["appointments"].as_array().unwrap().len(), 2);
    assert_eq!(
        list["appointments"][0]["patient_name"],
        "Othera Clinicaltest"
    );
    let (_, mine) =
        c.s.get(
            &format!("/api/v1/appointments?date={day}"),
            Some(&t.provider),
        )
        .await;
    assert_eq!(
        mine["appointments"].as_array().unwrap().len(),
        0,
        "a provider's own day"
    );
    let (_, theirs) =
        c.s.get(
            &format!("/api/v1/appointments?date={day}"),
            Some(&t.off_team),
        )
        .await;
    assert_eq!(theirs["appointments"].as_array().unwrap().len(), 2);
    assert_eq!(
        c.s.get("/api/v1/appointments?date=15-01-2027", Some(&t.staff))
            .await
            .0,
        422
    );
    assert_eq!(
        c.s.get(
            &format!("/api/v1/appointments?date={day}"),
            Some(&t.patient)
        )
        .await
        .0,
        403
    );

    let status_path = format!("/api/v1/appointments/{first}/status");
    assert_eq!(
        c.s.post(&status_path, Some(&t.staff), json!({"status": "completed"}))
            .await
            .0,
        409
    );
    assert_eq!(
        c.s.post(
            &status_path,
            Some(&t.provider),
            json!({"status": "checked_in"})
        )
        .await
        .0,
        403
    );
    assert_eq!(
        c.s.post(
            &status_path,
            Some(&t.staff),
            json!({"status": "checked_in"})
        )
        .await
        .0,
        204
    );
    assert_eq!(
        c.s.post(
            &status_path,
            Some(&t.off_team),
            json!({"status": "completed"})
        )
        .await
        .0,
        204
    );
    let (_, own) =
        c.s.get("/api/v1/me/appointments", Some(&t.other_patient))
            .await;
    assert_eq!(own["appointments"].as_array().unwrap().len(), 1);
    assert_eq!(
        c.s.get("/api/v1/me/appointments", Some(&t.staff)).await.0,
        403
    );
}

/// Lot recall: providers see their patients with the treatment, admins names and contact only,
/// staff and patients nothing.
async fn lot_recall_by_role(pg: bool) {
    let c = clinic(pg).await;
    let t = c.tokens().await;
    c.receive_lot(&t.provider, 200).await;
    let (status, _) =
        c.s.post(
            &c.path("treatments"),
            Some(&t.provider),
            neurotoxin(6.0, "corrugator_r", LOT, "2027-06-30"),
        )
        .await;
    assert_eq!(status, 201);
    let recall = format!("/api/v1/lots/{}/treatments", LOT.to_lowercase());
    let (status, reply) = c.s.get(&recall, Some(&t.provider)).await;
    assert_eq!(status, 200, "{reply}");
    let entry = &reply["treatments"][0];
    assert_eq!(entry["family"], "Clinicaltest");
    assert_eq!(entry["date"], TODAY);
    assert_eq!(entry["product"], "botox_100");
    let (_, reply) = c.s.get(&recall, Some(&t.admin)).await;
    let entry = &reply["treatments"][0];
    assert_eq!(entry["email"], "Charta@example.com");
    assert!(
        entry["date"].is_null() && entry["product"].is_null(),
        "no treatment detail: {entry}"
    );
    let (_, reply) = c.s.get(&recall, Some(&t.off_team)).await;
    assert_eq!(
        reply["treatments"].as_array().unwrap().len(),
        0,
        "not their patient"
    );
    assert_eq!(c.s.get(&recall, Some(&t.staff)).await.0, 403);
    assert_eq!(c.s.get(&recall, Some(&t.patient)).await.0, 403);
    assert_eq!(
        c.s.get("/api/v1/lots/%20/treatments", Some(&t.provider))
            .await
            .0,
        422
    );
}

/// Consents: provider, staff and the patient record them; admins see status only; revocation
/// happens once; an unknown form version is refused.
async fn consents_by_role(pg: bool) {
    let c = clinic(pg).await;
    let t = c.tokens().await;
    let consent = json!({"kind": "treatment", "form_version": "v1",
                         "signature": {"type": "typed", "name": "Charta Clinicaltest"}});
    let path = c.path("consents");
    let (status, reply) = c.s.post(&path, Some(&t.staff), consent.clone()).await;
    assert_eq!(status, 201, "staff collect: {reply}");
    assert_eq!(
        c.s.post(&path, Some(&t.patient), consent.clone()).await.0,
        201
    );
    assert_eq!(
        c.s.post(&path, Some(&t.other_patient), consent.clone())
            .await
            .0,
        403
    );
    assert_eq!(
        c.s.post(&path, Some(&t.admin), consent.clone()).await.0,
        403
    );
    assert_eq!(
        c.s.post(&path, Some(&t.off_team), consent.clone()).await.0,
        403
    );
    let mut unknown = consent.clone();
    unknown["form_version"] = json!("v9");
    let (status, reply) = c.s.post(&path, Some(&t.provider), unknown).await;
    assert_eq!(status, 422, "{reply}");
    let (_, list) = c.s.get(&path, Some(&t.admin)).await;
    let first = &list["consents"][0];
    assert_eq!(first["kind"], "treatment");
    assert!(first["signature"].is_null(), "admins: status only");
    let (_, list) = c.s.get(&path, Some(&t.provider)).await;
    assert_eq!(
        list["consents"][0]["signature"]["name"],
        "Charta Clinicaltest"
    );
    let id = list["consents"][0]["id"].as_str().unwrap().to_owned();
    let revoke = format!("/api/v1/consents/{id}/revoke");
    assert_eq!(
        c.s.post(&revoke, Some(&t.other_patient), json!({})).await.0,
        403
    );
    assert_eq!(c.s.post(&revoke, Some(&t.patient), json!({})).await.0, 204);
    assert_eq!(c.s.post(&revoke, Some(&t.patient), json!({})).await.0, 409);
}

/// Medical history: providers write and read, the patient reads, staff and admin never; a
/// pregnancy flag warns when a neurotoxin is charted.
async fn history_warns_when_charting(pg: bool) {
    let c = clinic(pg).await;
    let t = c.tokens().await;
    c.receive_lot(&t.provider, 200).await;
    let history = json!({"allergies": ["penicillin"], "medications": [], "pregnant_or_breastfeeding": true,
        "autoimmune_disease": false, "keloid_history": false, "prior_filler_complication": false,
        "prior_neurotoxin_complication": false, "anticoagulants": false, "active_infection_at_site": false});
    let path = c.path("history");
    for token in [&t.staff, &t.admin, &t.patient, &t.off_team] {
        assert_eq!(c.s.put(&path, Some(token), history.clone()).await.0, 403);
    }
    let (status, reply) = c.s.put(&path, Some(&t.provider), history.clone()).await;
    assert_eq!(status, 204, "{reply}");
    let (status, shown) = c.s.get(&path, Some(&t.patient)).await;
    assert_eq!(status, 200);
    assert_eq!(shown["history"]["history"]["allergies"][0], "penicillin");
    assert_eq!(c.s.get(&path, Some(&t.staff)).await.0, 403);
    let mut incomplete = history.clone();
    incomplete.as_object_mut().unwrap().remove("anticoagulants");
    assert_eq!(c.s.put(&path, Some(&t.provider), incomplete).await.0, 422);
    let (status, charted) =
        c.s.post(
            &c.path("treatments"),
            Some(&t.provider),
            neurotoxin(6.0, "corrugator_l", LOT, "2027-06-30"),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(charted["warnings"][0]["code"], "pregnancy_or_breastfeeding");
    assert_eq!(charted["warnings"][0]["severity"], "contraindication");
}

/// A draft is its author's: another provider on the care team can neither edit nor sign it
/// (each refusal recorded), and amends it under their own name once it is signed.
async fn only_the_author_edits_and_signs_a_draft(pg: bool) {
    let c = clinic(pg).await;
    let t = c.tokens().await;
    let staff = c.s.token(&c.staff).await;
    let (status, _) =
        c.s.post(
            &format!("/api/v1/patients/{}/care-team", c.patient),
            Some(&staff),
            c.s.reauthenticated(&c.staff, json!({"provider_id": c.off_team.id})),
        )
        .await;
    assert_eq!(status, 204);
    let (status, reply) =
        c.s.post(&c.path("notes"), Some(&t.provider), soap(NOTE_MARKER))
            .await;
    assert_eq!(status, 201, "{reply}");
    let note = format!("/api/v1/notes/{}", reply["id"].as_str().unwrap());
    let before = c.s.audit().await.len();
    let edit = json!({"version": 1, "body": soap("Words under someone else's name")});
    assert_eq!(c.s.put(&note, Some(&t.off_team), edit).await.0, 403);
    let sign =
        c.s.post(&format!("{note}/sign"), Some(&t.off_team), json!({}))
            .await;
    assert_eq!(sign.0, 403, "{}", sign.1);
    assert_eq!(
        denied_since(&c.s, before).await,
        ["document.edit", "document.sign"],
        "both refusals recorded"
    );
    let (_, shown) = c.s.get(&note, Some(&t.provider)).await;
    assert_eq!(shown["version"], 1, "the draft is unchanged");
    assert_eq!(
        c.s.post(&format!("{note}/sign"), Some(&t.provider), json!({}))
            .await
            .0,
        204
    );
    let amend = json!({"text": "Seen for follow-up; no concerns."});
    let (status, reply) =
        c.s.post(&format!("{note}/amendments"), Some(&t.off_team), amend)
            .await;
    assert_eq!(status, 201, "{reply}");
    let (_, shown) = c.s.get(&note, Some(&t.provider)).await;
    assert_eq!(shown["amendments"][0]["author_id"], c.off_team.id.as_str());
}

/// Walks every documented GET operation with every role over a seeded practice: a 2xx response
/// that shows the seeded patient (their id or given name) must have added an audit entry naming
/// that patient, and a 403 a denied entry. (The audit export itself is the log: it is recorded
/// as `audit.export`.)
async fn every_response_showing_a_patient_is_recorded_for_that_patient(pg: bool) {
    let c = clinic(pg).await;
    let t = c.tokens().await;
    let settings =
        json!({"medical_director": c.off_team.id, "cosign_requirement": "medical_director"});
    assert_eq!(
        c.s.post("/api/v1/settings", Some(&t.admin), settings)
            .await
            .0,
        204
    );
    c.receive_lot(&t.provider, 200).await;
    let body = neurotoxin(6.0, "corrugator_l", LOT, "2027-06-30");
    let (status, reply) =
        c.s.post(&c.path("treatments"), Some(&t.provider), body)
            .await;
    assert_eq!(status, 201, "{reply}");
    let treatment = reply["id"].as_str().unwrap().to_owned();
    let (_, reply) =
        c.s.post(&c.path("notes"), Some(&t.provider), soap("Walk"))
            .await;
    let note = reply["id"].as_str().unwrap().to_owned();
    let signed =
        c.s.post(
            &format!("/api/v1/notes/{note}/sign"),
            Some(&t.provider),
            json!({}),
        )
        .await;
    assert_eq!(signed.0, 204, "{}", signed.1);
    let plan_body = json!({"goals": ["Soften glabellar lines"], "sessions": []});
    let (_, reply) =
        c.s.post(&c.path("plans"), Some(&t.provider), plan_body)
            .await;
    let plan = reply["id"].as_str().unwrap().to_owned();
    let consent = json!({"kind": "treatment", "form_version": "v1",
                         "signature": {"type": "typed", "name": "Charta Clinicaltest"}});
    assert_eq!(
        c.s.post(&c.path("consents"), Some(&t.patient), consent)
            .await
            .0,
        201
    );
    let start = 1_800_000_000_000_i64 + 2 * HOUR;
    let booking = json!({"patient_id": c.patient, "provider_id": c.provider.id,
        "start_ms": start, "end_ms": start + HOUR / 2, "service": "neurotoxin_treatment",
        "location": {"type": "clinic", "clinic_id": c.clinic_id}});
    assert_eq!(
        c.s.post("/api/v1/appointments", Some(&t.staff), booking)
            .await
            .0,
        201
    );
    let (status, reply) =
        c.s.post(
            "/api/v1/me/threads",
            Some(&t.patient),
            json!({"reason": "post_treatment_concern", "body": "Is this bruise normal?"}),
        )
        .await;
    assert_eq!(status, 201, "{reply}");
    let thread = reply["id"].as_str().unwrap().to_owned();

    let (_, doc) = c.s.get("/api/v1/openapi.json", None).await;
    let mut walked = 0;
    for (template, item) in doc["paths"].as_object().unwrap() {
        if item.get("get").is_none() || template == "/api/v1/audit" {
            continue;
        }
        let path = template
            .replace("/patients/{id}", &format!("/patients/{}", c.patient))
            .replace("/notes/{id}", &format!("/notes/{note}"))
            .replace("/plans/{id}", &format!("/plans/{plan}"))
            .replace("/treatments/{id}", &format!("/treatments/{treatment}"))
            .replace("/users/{id}", &format!("/users/{}", c.provider.id))
            .replace("/threads/{id}", &format!("/threads/{thread}"))
            .replace("{lot}", LOT)
            .replace("{id}", "no-such-id");
        let query = match template.as_str() {
            "/api/v1/patients" => "?family=Clinicaltest&dob=1985-06-07",
            "/api/v1/appointments" => "?date=2027-01-15",
            _ => "",
        };
        for (role, token) in [
            ("provider", &t.provider),
            ("director", &t.off_team),
            ("staff", &t.staff),
            ("admin", &t.admin),
            ("patient", &t.patient),
            ("other patient", &t.other_patient),
        ] {
            let before = c.s.audit().await.len();
            let url = format!("{path}{query}");
            let (status, reply) = c.s.get(&url, Some(token)).await;
            walked += 1;
            if status == 403 {
                let denied = c.s.audit().await[before..]
                    .iter()
                    .any(|(_, outcome, _)| outcome == "denied");
                assert!(denied, "{role} GET {url} was refused without an entry");
            }
            let shown = reply.to_string();
            if !(200..300).contains(&status)
                || !(shown.contains(c.patient.as_str()) || shown.contains("Charta"))
            {
                continue;
            }
            let recorded = c.s.audit().await[before..]
                .iter()
                .any(|(_, _, pid)| pid.as_deref() == Some(c.patient.as_str()));
            assert!(
                recorded,
                "{role} GET {url} showed the patient without an entry naming them"
            );
        }
    }
    assert!(walked > 150, "{walked} requests");
}

/// An id that does not exist is answered like one the actor may not open: whoever would get 403
/// for a real patient, note, plan or treatment gets 403 for a made-up id of the same shape, so
/// the status never tells whether a record exists.
async fn unknown_ids_are_answered_like_forbidden_ones(pg: bool) {
    let c = clinic(pg).await;
    let t = c.tokens().await;
    c.receive_lot(&t.provider, 200).await;
    let body = neurotoxin(6.0, "corrugator_l", LOT, "2027-06-30");
    let (_, reply) =
        c.s.post(&c.path("treatments"), Some(&t.provider), body)
            .await;
    let treatment = reply["id"].as_str().unwrap().to_owned();
    let (_, reply) =
        c.s.post(&c.path("notes"), Some(&t.provider), soap("Exists"))
            .await;
    let note = reply["id"].as_str().unwrap().to_owned();
    let plan_body = json!({"goals": ["Soften glabellar lines"], "sessions": []});
    let (_, reply) =
        c.s.post(&c.path("plans"), Some(&t.provider), plan_body)
            .await;
    let plan = reply["id"].as_str().unwrap().to_owned();
    // Same prefix and length, last character changed: well-formed, but nobody's.
    let made_up = |id: &str| {
        let last = if id.ends_with('0') { '1' } else { '0' };
        format!("{}{last}", &id[..id.len() - 1])
    };

    let (_, doc) = c.s.get("/api/v1/openapi.json", None).await;
    let mut compared = 0;
    for (template, item) in doc["paths"].as_object().unwrap() {
        let real = if template.starts_with("/api/v1/patients/{id}") {
            c.patient.to_string()
        } else if template.starts_with("/api/v1/notes/{id}") {
            note.clone()
        } else if template.starts_with("/api/v1/plans/{id}") {
            plan.clone()
        } else if template.starts_with("/api/v1/treatments/{id}") {
            treatment.clone()
        } else {
            continue;
        };
        for method in ["get", "post"] {
            if item.get(method).is_none() {
                continue;
            }
            for (role, token) in [
                ("provider off the team", &t.off_team),
                ("staff", &t.staff),
                ("admin", &t.admin),
                ("other patient", &t.other_patient),
            ] {
                let send = |id: String| {
                    let path = template.replace("{id}", &id);
                    let token = token.clone();
                    let s = &c.s;
                    async move {
                        if method == "get" {
                            s.get(&path, Some(&token)).await.0
                        } else {
                            s.post(&path, Some(&token), json!({})).await.0
                        }
                    }
                };
                let existing = send(real.clone()).await;
                if existing != 403 {
                    continue;
                }
                let unknown = send(made_up(&real)).await;
                compared += 1;
                assert_eq!(
                    unknown, 403,
                    "{role} {method} {template}: 403 for a real id, {unknown} for an unknown one"
                );
            }
        }
    }
    assert!(compared > 30, "{compared} comparisons");
}

/// A refused body's message names the field and what it expects, never the value sent: a name
/// typed into the wrong field is PHI all the same.
async fn refusals_never_echo_what_was_sent(pg: bool) {
    let c = clinic(pg).await;
    let t = c.tokens().await;
    let secret = "Quillon Secretname";
    let start = 1_800_000_000_000_i64 + 2 * HOUR;
    let booking = |field: &str| {
        let mut body = json!({"patient_id": c.patient, "provider_id": c.provider.id,
            "start_ms": start, "end_ms": start + HOUR / 2, "service": "neurotoxin_treatment",
            "location": {"type": "clinic", "clinic_id": c.clinic_id}});
        body[field] = json!(secret);
        body
    };
    let mut patient = json!({"given": "Ann", "family": "Lee", "dob": "1990-01-01"});
    patient[secret] = json!(1);
    let cases = [
        (
            "/api/v1/appointments".to_owned(),
            &t.staff,
            booking("start_ms"),
            "start_ms",
        ),
        (
            "/api/v1/appointments".to_owned(),
            &t.staff,
            booking("service"),
            "service",
        ),
        (
            "/api/v1/patients".to_owned(),
            &t.staff,
            patient,
            "unknown field",
        ),
        (
            c.path("plans"),
            &t.provider,
            json!({"goals": secret}),
            "goals",
        ),
        (
            c.path("notes"),
            &t.provider,
            json!({"subjective": [secret]}),
            "subjective",
        ),
    ];
    for (path, token, body, field) in cases {
        let (status, reply) = c.s.post(&path, Some(token), body).await;
        assert!((400..500).contains(&status), "{path} {field}: {status}");
        let message = reply["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(field), "{path}: {message}");
        assert!(!reply.to_string().contains("Secretname"), "{path}: {reply}");
    }
}

both_backends!(
    refusals_never_echo_what_was_sent,
    unknown_ids_are_answered_like_forbidden_ones,
    every_response_showing_a_patient_is_recorded_for_that_patient,
    only_the_author_edits_and_signs_a_draft,
    treatment_cells,
    bad_treatments_are_refused_and_store_nothing,
    notes_are_signed_then_only_amended,
    charts_await_the_medical_directors_cosignature,
    appointments_follow_the_matrix,
    lot_recall_by_role,
    consents_by_role,
    history_warns_when_charting,
    the_chart_is_one_read_with_one_entry_per_kind_shown,
);

/// The chart page's use case reads all it shows in one read unit: for the provider on the care
/// team, what each kind's own use case shows, with one allowed entry per kind, in one batch; for
/// anyone else, the refusal at the first kind they may not see, and no allowed entry at all.
async fn the_chart_is_one_read_with_one_entry_per_kind_shown(pg: bool) {
    let c = clinic(pg).await;
    let t = c.tokens().await;
    c.receive_lot(&t.provider, 200).await;
    let (status, reply) =
        c.s.post(
            &c.path("treatments"),
            Some(&t.provider),
            neurotoxin(6.0, "corrugator_l", LOT, "2027-06-30"),
        )
        .await;
    assert_eq!(status, 201, "{reply}");
    let mut notes = Vec::new();
    for text in ["Signed and amended", "Still a draft"] {
        let (status, reply) =
            c.s.post(&c.path("notes"), Some(&t.provider), soap(text))
                .await;
        assert_eq!(status, 201, "{reply}");
        notes.push(format!("/api/v1/notes/{}", reply["id"].as_str().unwrap()));
    }
    let (sign, amend) = (
        format!("{}/sign", notes[0]),
        format!("{}/amendments", notes[0]),
    );
    assert_eq!(c.s.post(&sign, Some(&t.provider), json!({})).await.0, 204);
    let amendment = json!({"text": "Corrected dose: 18 U"});
    assert_eq!(c.s.post(&amend, Some(&t.provider), amendment).await.0, 201);
    let consent = json!({"kind": "treatment", "form_version": "v1",
                         "signature": {"type": "typed", "name": "Charta Clinicaltest"}});
    assert_eq!(
        c.s.post(&c.path("consents"), Some(&t.staff), consent)
            .await
            .0,
        201
    );
    let history = json!({"allergies": ["penicillin"], "medications": [], "pregnant_or_breastfeeding": false,
        "autoimmune_disease": false, "keloid_history": false, "prior_filler_complication": false,
        "prior_neurotoxin_complication": false, "anticoagulants": false, "active_infection_at_site": false});
    assert_eq!(
        c.s.put(&c.path("history"), Some(&t.provider), history)
            .await
            .0,
        204
    );
    let start = 1_800_000_000_000_i64;
    let booking = json!({"patient_id": c.patient, "provider_id": c.provider.id, "start_ms": start,
        "end_ms": start + HOUR / 2, "service": "follow_up",
        "location": {"type": "clinic", "clinic_id": c.clinic_id}});
    assert_eq!(
        c.s.post("/api/v1/appointments", Some(&t.staff), booking)
            .await
            .0,
        201
    );

    let provider = c.s.app.authenticate(&t.provider, None).await.unwrap();
    let patient: vial_app::PatientId = c.patient.as_str().into();
    let before = c.s.audit().await.len();
    let chart = c.s.app.chart(&provider, &patient).await.unwrap();
    let entries = c.s.audit().await[before..].to_vec();
    let expected = [
        "patient.read",
        "history.read",
        "treatment.read",
        "document.read",
        "consent.read",
        "appointment.list",
        "photo.list",
    ];
    assert_eq!(
        entries,
        expected
            .iter()
            .map(|a| (a.to_string(), "allowed".to_owned(), Some(c.patient.clone())))
            .collect::<Vec<_>>()
    );
    // What each kind's own use case shows, nothing less.
    assert_eq!(chart.demographics.given(), "Charta");
    assert!(chart.history.unwrap().history.allergies.len() == 1);
    let alone = c.s.app.treatments_of(&provider, &patient).await.unwrap();
    assert_eq!(chart.treatments.len(), 1);
    assert_eq!(chart.treatments[0].id, alone[0].id);
    assert_eq!(chart.notes.len(), 2, "the draft too, for its author");
    // The test clock stands still, so both notes share a creation time: find each by id.
    for note in &chart.notes {
        let amended = notes[0].ends_with(note.id.as_str());
        let texts: Vec<&str> = note.amendments.iter().map(|a| a.text.as_str()).collect();
        let expected: &[&str] = if amended {
            &["Corrected dose: 18 U"]
        } else {
            &[]
        };
        assert_eq!(texts, expected, "{}", note.id);
    }
    assert!(
        chart
            .notes
            .iter()
            .any(|n| notes[0].ends_with(n.id.as_str()))
    );
    assert_eq!(chart.consents.len(), 1);
    assert!(chart.consents[0].signature.is_some());
    assert_eq!(chart.appointments.len(), 1);
    assert!(chart.photos.is_empty());
    assert!(!chart.products.is_empty() && chart.inventory.len() == 1);
    assert_eq!(chart.consent_forms.len(), 1);
    assert_eq!(
        chart.names.get(&c.provider.user_id()).map(|n| n.as_str()),
        Some("Test Person")
    );
    assert!(
        chart.names.contains_key(&c.staff.user_id()),
        "who collected the consent"
    );
    assert_eq!(chart.names.len(), 2);

    // The front desk sees demographics but no history: refused there, nothing allowed kept.
    let staff = c.s.app.authenticate(&t.staff, None).await.unwrap();
    let before = c.s.audit().await.len();
    let refused = c.s.app.chart(&staff, &patient).await.unwrap_err();
    assert!(
        matches!(refused, vial_app::AppError::Forbidden(_)),
        "{refused:?}"
    );
    assert_eq!(
        c.s.audit().await[before..],
        [(
            "history.read".to_owned(),
            "denied".to_owned(),
            Some(c.patient.clone())
        )]
    );
    // A provider off the care team and another patient: refused at the demographics.
    for token in [&t.off_team, &t.other_patient] {
        let actor = c.s.app.authenticate(token, None).await.unwrap();
        let before = c.s.audit().await.len();
        assert!(c.s.app.chart(&actor, &patient).await.is_err());
        assert_eq!(denied_since(&c.s, before).await, ["patient.read"]);
        assert_eq!(c.s.audit().await.len(), before + 1);
    }
    // An id that names no patient is answered like one the actor may not see.
    let before = c.s.audit().await.len();
    let nobody: vial_app::PatientId = "pat_nobody".into();
    assert!(c.s.app.chart(&provider, &nobody).await.is_err());
    let alone = c.s.app.read_patient(&provider, &nobody).await.unwrap_err();
    let entries = c.s.audit().await[before..].to_vec();
    assert_eq!(
        entries.len() % 2,
        0,
        "the chart records what a read of the patient does"
    );
    assert_eq!(
        entries[..entries.len() / 2],
        entries[entries.len() / 2..],
        "{alone:?}"
    );
}

/// Nothing under the data dir holds note text, lots tied to patients, or demographics in clear.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_dir_holds_no_clinical_text_in_clear() {
    let c = clinic(false).await;
    let t = c.tokens().await;
    c.receive_lot(&t.provider, 200).await;
    let (status, _) =
        c.s.post(
            &c.path("treatments"),
            Some(&t.provider),
            neurotoxin(6.0, "corrugator_l", LOT, "2027-06-30"),
        )
        .await;
    assert_eq!(status, 201);
    let (status, _) =
        c.s.post(&c.path("notes"), Some(&t.provider), soap(NOTE_MARKER))
            .await;
    assert_eq!(status, 201);
    c.s.app.store().close().await;
    let mut bytes = Vec::new();
    for entry in walk(&c.s.data_root) {
        bytes.extend(std::fs::read(entry).unwrap());
    }
    for marker in [
        NOTE_MARKER,
        "Charta",
        "Clinicaltest",
        "1985-06-07",
        "glabella_procerus",
        "neurotoxin_treatment",
    ] {
        assert!(
            !bytes.windows(marker.len()).any(|w| w == marker.as_bytes()),
            "{marker} found in clear under the data dir"
        );
    }
    // The lot number itself is stock data (the inventory table); tied to a patient it exists only
    // inside the sealed record and as a blind index in `record_lots`.
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

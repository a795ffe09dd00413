//! A patient's own booking is a request, on SQLite and PostgreSQL: within the practice's opening
//! hours in its IANA zone (DST included), at most 12 months ahead and 4 hours long, a few open at
//! a time; it holds no time and opens the chart to nobody until the front desk confirms it.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use serde_json::{Value, json};
use vial_testkit::both_backends;

use crate::clinical::{Clinic, HOUR, clinic, denied_since};

/// Monday 2027-01-18 14:00 UTC (the test clock is Friday 2027-01-15 08:00 UTC, the practice's
/// default hours Monday to Friday 09:00-17:00 UTC).
const MONDAY_1400: i64 = 1_800_280_800_000;
/// Saturday 2027-01-16 10:00 UTC.
const SATURDAY_1000: i64 = 1_800_093_600_000;
/// Monday 2027-03-15 13:00 UTC: 09:00 in New York, which sprang forward the day before.
const NY_MONDAY_0900_EDT: i64 = 1_805_115_600_000;
/// Friday 2027-03-12 14:00 UTC: 09:00 in New York, still on standard time.
const NY_FRIDAY_0900_EST: i64 = 1_804_860_000_000;
const MINUTE: i64 = 60_000;

fn request(c: &Clinic, patient: &str, start: i64, minutes: i64) -> Value {
    json!({"patient_id": patient, "provider_id": c.off_team.id, "start_ms": start,
           "end_ms": start + minutes * MINUTE, "service": "consultation",
           "location": {"type": "clinic", "clinic_id": c.clinic_id}})
}

/// Asks as `token`; the reply's status code, its id and its status (or the error message).
async fn ask(c: &Clinic, token: &str, body: Value) -> (u16, String) {
    let (status, reply) = c.s.post("/api/v1/appointments", Some(token), body).await;
    let said = if status == 201 {
        assert_eq!(reply["status"], "requested", "{reply}");
        reply["id"].as_str().unwrap().to_owned()
    } else {
        reply["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    (status, said)
}

async fn my_statuses(c: &Clinic, token: &str) -> Vec<String> {
    let (status, mine) = c.s.get("/api/v1/me/appointments", Some(token)).await;
    assert_eq!(status, 200, "{mine}");
    mine["appointments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status"].as_str().unwrap().to_owned())
        .collect()
}

/// The attack of the probe: unlimited appointments, at once booked, 12 h long or in 2001, each
/// adding the provider to the care team. Now each is a request within limits that holds no time
/// and opens the chart to nobody; the front desk's confirmation books it and joins the team.
async fn patients_request_within_limits_and_add_nobody_to_the_care_team(pg: bool) {
    let c = clinic(pg).await;
    let t = c.tokens().await;
    let now = vial_app::Clock::now_ms(&*c.s.clock);
    let patient = c.patient.clone();
    let refused = [
        (
            request(&c, &patient, 978_339_600_000, 60),
            "must be in the future",
        ),
        (
            request(&c, &patient, MONDAY_1400 + 400 * 24 * HOUR, 60),
            "within a year",
        ),
        (
            request(&c, &patient, now + HOUR, 12 * 60),
            "at most 4 hours",
        ),
        (request(&c, &patient, now + HOUR, 5 * 60), "at most 4 hours"),
        (request(&c, &patient, SATURDAY_1000, 60), "opening hours"),
        (
            request(&c, &patient, now + 8 * HOUR + 30 * MINUTE, 60),
            "opening hours",
        ),
        (
            request(&c, &patient, now + 30 * MINUTE, 60),
            "opening hours",
        ),
    ];
    for (body, message) in refused {
        let (status, said) = ask(&c, &t.patient, body).await;
        assert_eq!(status, 422, "{message}: {said}");
        assert!(said.contains(message), "{said}");
    }
    let mut ids = Vec::new();
    for start in [now + HOUR, MONDAY_1400, MONDAY_1400 + 24 * HOUR] {
        let (status, id) = ask(&c, &t.patient, request(&c, &patient, start, 60)).await;
        assert_eq!(status, 201, "{id}");
        ids.push(id);
    }
    let (status, said) = ask(
        &c,
        &t.patient,
        request(&c, &patient, MONDAY_1400 + 2 * HOUR, 60),
    )
    .await;
    assert_eq!(status, 422);
    assert!(said.contains("3 open requests"), "{said}");
    assert_eq!(my_statuses(&c, &t.patient).await, ["requested"; 3]);

    // No care team: the provider asked for cannot open the chart, and nothing was added.
    let chart = format!("/api/v1/patients/{}", c.patient);
    assert_eq!(c.s.get(&chart, Some(&t.off_team)).await.0, 403);
    let added = |audit: &[(String, String, Option<String>)]| {
        audit
            .iter()
            .filter(|(action, _, p)| action == "care_team.add" && p.as_deref() == Some(&c.patient))
            .count()
    };
    assert_eq!(added(&c.s.audit().await), 0);

    // No time held: the front desk books another patient with that provider then.
    let other = request(&c, &c.other_patient, now + HOUR, 60);
    let (status, reply) =
        c.s.post("/api/v1/appointments", Some(&t.staff), other)
            .await;
    assert_eq!(
        (status, reply["status"].as_str()),
        (201, Some("booked")),
        "{reply}"
    );

    // Confirming the clashing request is refused; it stays a request.
    let confirm = |id: &str| format!("/api/v1/appointments/{id}/confirm");
    let (status, reply) = c.s.post(&confirm(&ids[0]), Some(&t.staff), json!({})).await;
    assert_eq!(status, 409, "{reply}");
    assert!(reply.to_string().contains("already booked"), "{reply}");

    // Confirming a free one books it and puts the provider on the care team, on the record.
    assert_eq!(
        c.s.post(&confirm(&ids[1]), Some(&t.staff), json!({}))
            .await
            .0,
        204
    );
    assert_eq!(
        my_statuses(&c, &t.patient).await,
        ["requested", "booked", "requested"]
    );
    assert_eq!(c.s.get(&chart, Some(&t.off_team)).await.0, 200);
    let audit = c.s.audit().await;
    assert_eq!(added(&audit), 1);
    assert!(audit.iter().any(|(a, o, p)| a == "appointment.confirm"
        && o == "allowed"
        && p.as_deref() == Some(&c.patient)));
    // Now it holds the time: the front desk cannot double-book it.
    let clash = request(&c, &c.other_patient, MONDAY_1400, 30);
    assert_eq!(
        c.s.post("/api/v1/appointments", Some(&t.staff), clash)
            .await
            .0,
        409
    );
    assert_eq!(
        c.s.post(&confirm(&ids[1]), Some(&t.staff), json!({}))
            .await
            .0,
        409
    );

    // The patient withdraws their own request; another patient cannot touch it.
    let decline = |id: &str| format!("/api/v1/appointments/{id}/decline");
    let before = c.s.audit().await.len();
    assert_eq!(
        c.s.post(&decline(&ids[2]), Some(&t.other_patient), json!({}))
            .await
            .0,
        403
    );
    let status_path = format!("/api/v1/appointments/{}/status", ids[2]);
    let cancel = json!({"status": "cancelled"});
    assert_eq!(
        c.s.post(&status_path, Some(&t.other_patient), cancel)
            .await
            .0,
        403
    );
    assert_eq!(denied_since(&c.s, before).await.len(), 2);
    assert_eq!(
        c.s.post(&decline(&ids[2]), Some(&t.patient), json!({}))
            .await
            .0,
        204
    );
    assert_eq!(
        my_statuses(&c, &t.patient).await,
        ["requested", "booked", "cancelled"]
    );
    // One request and one booking open: room for one more.
    let (status, said) = ask(
        &c,
        &t.patient,
        request(&c, &patient, MONDAY_1400 + 2 * HOUR, 60),
    )
    .await;
    assert_eq!(status, 201, "{said}");
}

/// Confirming and declining are the front desk's (staff): an admin (who reads the schedule,
/// SPEC §2), a provider — even the one asked for — and a patient are refused, and every refusal
/// is recorded.
async fn only_the_front_desk_decides_requests(pg: bool) {
    let c = clinic(pg).await;
    let t = c.tokens().await;
    let (status, id) = ask(&c, &t.patient, request(&c, &c.patient, MONDAY_1400, 60)).await;
    assert_eq!(status, 201, "{id}");
    let path = |what: &str| format!("/api/v1/appointments/{id}/{what}");
    let booked = json!({"status": "booked"});
    let before = c.s.audit().await.len();
    for token in [&t.off_team, &t.provider, &t.patient, &t.other_patient] {
        assert_eq!(
            c.s.post(&path("confirm"), Some(token), json!({})).await.0,
            403
        );
        assert_eq!(
            c.s.post(&path("status"), Some(token), booked.clone())
                .await
                .0,
            403
        );
    }
    for token in [&t.off_team, &t.provider] {
        assert_eq!(
            c.s.post(&path("decline"), Some(token), json!({})).await.0,
            403
        );
    }
    let denied = denied_since(&c.s, before).await;
    assert_eq!(denied.len(), 10, "{denied:?}");
    assert!(
        denied.iter().any(|a| a == "appointment.confirm"),
        "{denied:?}"
    );
    assert_eq!(
        c.s.get(
            &format!("/api/v1/patients/{}", c.patient),
            Some(&t.off_team)
        )
        .await
        .0,
        403
    );

    // The open requests: the front desk and admins see them; a provider only those of patients
    // already on their care team (the gateway decides each), so neither provider here; patients
    // none.
    for token in [&t.staff, &t.admin] {
        let (status, list) = c.s.get("/api/v1/appointment-requests", Some(token)).await;
        assert_eq!(status, 200, "{list}");
        assert_eq!(list["appointments"].as_array().unwrap().len(), 1, "{list}");
        assert_eq!(list["appointments"][0]["status"], "requested");
    }
    for token in [&t.off_team, &t.provider] {
        let (_, none) = c.s.get("/api/v1/appointment-requests", Some(token)).await;
        assert_eq!(none["appointments"].as_array().unwrap().len(), 0, "{none}");
    }
    let before = c.s.audit().await.len();
    assert_eq!(
        c.s.get("/api/v1/appointment-requests", Some(&t.patient))
            .await
            .0,
        403
    );
    assert_eq!(denied_since(&c.s, before).await, ["appointment.list"]);

    // Declined: cancelled, no longer open, and nobody joined the care team.
    assert_eq!(
        c.s.post(&path("decline"), Some(&t.staff), json!({}))
            .await
            .0,
        204
    );
    assert_eq!(
        c.s.post(&path("confirm"), Some(&t.staff), json!({}))
            .await
            .0,
        409
    );
    assert_eq!(
        c.s.post(&path("decline"), Some(&t.staff), json!({}))
            .await
            .0,
        409
    );
    let (_, list) =
        c.s.get("/api/v1/appointment-requests", Some(&t.staff))
            .await;
    assert_eq!(list["appointments"].as_array().unwrap().len(), 0);
    assert_eq!(
        c.s.get(
            &format!("/api/v1/patients/{}", c.patient),
            Some(&t.off_team)
        )
        .await
        .0,
        403
    );

    // An admin reads the schedule but does not book it; confirm and decline touch requests
    // only.
    let (status, id) = ask(&c, &t.patient, request(&c, &c.patient, MONDAY_1400, 60)).await;
    assert_eq!(status, 201, "{id}");
    let confirm = format!("/api/v1/appointments/{id}/confirm");
    assert_eq!(c.s.post(&confirm, Some(&t.admin), json!({})).await.0, 403);
    assert_eq!(c.s.post(&confirm, Some(&t.staff), json!({})).await.0, 204);
    let decline = format!("/api/v1/appointments/{id}/decline");
    assert_eq!(
        c.s.post(&decline, Some(&t.staff), json!({})).await.0,
        409,
        "booked, not a request"
    );
}

/// Opening hours are local time in the practice's IANA zone, DST included, and the day view
/// follows the zone.
async fn opening_hours_follow_the_practices_zone_through_dst(pg: bool) {
    let c = clinic(pg).await;
    let t = c.tokens().await;
    let hours = json!({"mon": "09:00-17:00", "tue": "09:00-17:00", "wed": "09:00-17:00",
                       "thu": "09:00-17:00", "fri": "09:00-17:00", "sat": "closed",
                       "sun": "closed"});
    let settings = json!({"time_zone": "America/New_York", "opening_hours": hours});
    let (status, reply) = c.s.post("/api/v1/settings", Some(&t.admin), settings).await;
    assert_eq!(status, 204, "{reply}");
    let cases = [
        // 09:00 EDT; with the winter offset it would be 08:00 and refused.
        (NY_MONDAY_0900_EDT, 60, 201),
        // 17:00 EDT, closed; with the winter offset it would be 16:00 and allowed.
        (NY_MONDAY_0900_EDT + 8 * HOUR, 30, 422),
        // The last half hour of the day, 16:30-17:00 EDT.
        (NY_MONDAY_0900_EDT + 7 * HOUR + 30 * MINUTE, 30, 201),
        // Before the change: 08:30 EST is before opening, 09:00 EST is open.
        (NY_FRIDAY_0900_EST - 30 * MINUTE, 60, 422),
        (NY_FRIDAY_0900_EST, 60, 201),
    ];
    for (start, minutes, expected) in cases {
        let (status, said) = ask(&c, &t.patient, request(&c, &c.patient, start, minutes)).await;
        assert_eq!(status, expected, "{start}: {said}");
    }
    // The front desk books anything: 22:00 EDT on Sunday the 14th, 02:00 UTC on the 15th.
    let late = NY_MONDAY_0900_EDT - 11 * HOUR;
    let body = request(&c, &c.other_patient, late, 30);
    assert_eq!(
        c.s.post("/api/v1/appointments", Some(&t.staff), body)
            .await
            .0,
        201
    );
    let day = |date: &str| format!("/api/v1/appointments?date={date}");
    let (_, sunday) = c.s.get(&day("2027-03-14"), Some(&t.staff)).await;
    let starts: Vec<i64> = sunday["appointments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["start_ms"].as_i64().unwrap())
        .collect();
    assert_eq!(starts, [late], "New York's Sunday, 23 hours long");
    let (_, monday) = c.s.get(&day("2027-03-15"), Some(&t.staff)).await;
    assert_eq!(
        monday["appointments"].as_array().unwrap().len(),
        2,
        "{monday}"
    );
}

/// The calendar settings are admins', validated precisely without echoing what was sent, and
/// one invalid value stores none.
async fn calendar_settings_are_refused_precisely(pg: bool) {
    let c = clinic(pg).await;
    let t = c.tokens().await;
    let week = |tue: Value| {
        json!({"mon": "09:00-17:00", "tue": tue, "wed": "closed", "thu": "closed",
               "fri": "closed", "sat": "closed", "sun": "closed"})
    };
    let refused = [
        (
            json!({"time_zone": "Mars/Olympus_Mons"}),
            "time_zone",
            "Olympus",
        ),
        (
            json!({"time_zone": "../../etc/Secretzone"}),
            "time_zone",
            "Secretzone",
        ),
        (
            json!({"time_zone": "Europe/Paris", "opening_hours": week(json!("25:99-Secret"))}),
            "opening_hours.tue",
            "Secret",
        ),
        (
            json!({"opening_hours": week(json!("17:00-09:00"))}),
            "opening_hours.tue",
            "17:00",
        ),
        (json!({"opening_hours": week(json!(900))}), "tue", "900"),
        (
            json!({"opening_hours": {"mon": "Secretday"}}),
            "opening_hours",
            "Secretday",
        ),
        (json!({"utc_offset_minutes": -300}), "unknown field", "-300"),
    ];
    for (body, field, secret) in refused {
        let (status, reply) = c.s.post("/api/v1/settings", Some(&t.admin), body).await;
        assert_eq!(status, 422, "{field}: {reply}");
        let message = reply["error"]["message"].as_str().unwrap();
        assert!(message.contains(field), "{message}");
        assert!(!message.contains(secret), "echoed: {message}");
    }
    let stored = || async {
        let (zone, hours) = c.s.app.practice_calendar().await.unwrap();
        (zone.name().to_owned(), hours.to_setting())
    };
    let default_hours = "mon=09:00-17:00;tue=09:00-17:00;wed=09:00-17:00;thu=09:00-17:00;\
                         fri=09:00-17:00;sat=closed;sun=closed";
    assert_eq!(
        stored().await,
        ("UTC".to_owned(), default_hours.to_owned()),
        "the valid zone beside bad hours was not stored"
    );
    let before = c.s.audit().await.len();
    let zone = json!({"time_zone": "America/New_York"});
    assert_eq!(
        c.s.post("/api/v1/settings", Some(&t.staff), zone.clone())
            .await
            .0,
        403
    );
    assert_eq!(
        c.s.post("/api/v1/settings", Some(&t.staff), json!({}))
            .await
            .0,
        403
    );
    assert_eq!(denied_since(&c.s, before).await, ["settings.change"; 2]);
    let lower = json!({"time_zone": "america/new_york", "opening_hours": week(json!("08:00\u{2013}12:30"))});
    assert_eq!(
        c.s.post("/api/v1/settings", Some(&t.admin), lower).await.0,
        204
    );
    let hours = "mon=09:00-17:00;tue=08:00-12:30;wed=closed;thu=closed;fri=closed;sat=closed;\
                 sun=closed";
    assert_eq!(
        stored().await,
        ("America/New_York".to_owned(), hours.to_owned())
    );
}

both_backends!(
    patients_request_within_limits_and_add_nobody_to_the_care_team,
    only_the_front_desk_decides_requests,
    opening_hours_follow_the_practices_zone_through_dst,
    calendar_settings_are_refused_precisely,
);

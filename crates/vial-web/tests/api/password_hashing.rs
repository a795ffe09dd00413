//! The global bound on password hashes: 100 concurrent logins never run more Argon2 hashes
//! (32 MiB each) than the memory budget allows; those that find the turns and the queue full
//! get a fast 503 with `Retry-After`, and nothing about them is counted or recorded.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use serde_json::json;
use vial_app::{HASH_MEMORY_BYTES, HashLimits};
use vial_testkit::server::{Server, spawn_tuned};

const LOGINS: usize = 100;
const TURNS: usize = 2;
const QUEUE: usize = 8;

/// One login with an unknown email (the dummy hash still runs): `(status, Retry-After)`.
async fn login(s: &Server, n: usize) -> (u16, Option<String>) {
    let response = s
        .client
        .post(format!("{}/api/v1/login", s.base))
        .json(&json!({"email": format!("nobody{n}@example.com"), "password": "not the password"}))
        .timeout(Duration::from_secs(120))
        .send()
        .await
        .unwrap();
    let retry = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    (response.status().as_u16(), retry)
}

async fn bounded_server() -> Server {
    spawn_tuned(false, vial_web::TransportLimits::default(), |system| {
        system.with_hash_limits(HashLimits {
            memory_bytes: TURNS as u64 * HASH_MEMORY_BYTES,
            queue: QUEUE,
            // Long, so that only a full queue refuses: the counts below are exact.
            max_wait: Duration::from_secs(60),
        })
    })
    .await
}

/// While every turn is taken, 100 concurrent logins split exactly: `TURNS + QUEUE` wait, the
/// rest are refused at once with 503 and `Retry-After`; freed, the waiting ones finish.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_hash_queue_refuses_at_once_with_retry_after() {
    let s = bounded_server().await;
    let held = s.app.occupy_password_hashing().await;
    let mut logins: FuturesUnordered<_> = (0..LOGINS).map(|n| login(&s, n)).collect();
    for _ in 0..LOGINS - TURNS - QUEUE {
        // These come back while no hash can run at all: refused without waiting for one.
        let (status, retry) = logins.next().await.unwrap();
        assert_eq!(status, 503);
        assert_eq!(retry.as_deref(), Some("1"));
    }
    assert!(
        tokio::time::timeout(Duration::from_millis(500), logins.next())
            .await
            .is_err(),
        "a login finished while every hashing turn was taken"
    );
    drop(held);
    let mut waited = 0;
    while let Some((status, retry)) = logins.next().await {
        assert_eq!(status, 401, "an unknown account is refused as ever");
        assert_eq!(retry, None);
        waited += 1;
    }
    assert_eq!(waited, TURNS + QUEUE);
    assert!(s.app.password_hash_peak() <= TURNS);
    // Refusals for load are not login attempts: only the hashed ones are recorded.
    let recorded = s
        .audit()
        .await
        .iter()
        .filter(|(action, _, _)| action == "auth.login")
        .count();
    assert_eq!(recorded, TURNS + QUEUE);
}

/// Without any hold, 100 concurrent logins never run more than `TURNS` hashes at once, and
/// every answer is either the refusal of the credentials or a 503 with `Retry-After`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_logins_never_run_more_hashes_than_the_bound() {
    let s = bounded_server().await;
    let answers = futures_util::future::join_all((0..LOGINS).map(|n| login(&s, n))).await;
    let mut busy = 0;
    for (status, retry) in &answers {
        match status {
            401 => assert_eq!(retry, &None),
            503 => {
                assert_eq!(retry.as_deref(), Some("1"));
                busy += 1;
            }
            other => panic!("unexpected status {other}"),
        }
    }
    let peak = s.app.password_hash_peak();
    assert!((1..=TURNS).contains(&peak), "{peak} hashes ran at once");
    assert!(busy < LOGINS, "at least one login was hashed");
}

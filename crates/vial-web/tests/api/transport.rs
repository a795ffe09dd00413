//! Slow and silent clients against a small connection cap and short timeouts: half-open
//! connections are closed after their timeout and a real client still gets its answer, idle
//! connections end, connections beyond the cap wait to be accepted instead of costing
//! descriptors, and a kept-alive connection carries a bounded number of requests.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use vial_testkit::server::{Server, spawn_tuned};
use vial_web::TransportLimits;

const SECOND: Duration = Duration::from_secs(1);
/// Far beyond any timeout in these tests: only a connection the server never closes reaches it.
const NEVER: Duration = Duration::from_secs(30);

fn tight() -> TransportLimits {
    TransportLimits {
        max_connections: 4,
        handshake_timeout: SECOND,
        stall_timeout: SECOND,
        idle_timeout: 2 * SECOND,
        max_requests_per_connection: 1000,
        max_h2_streams: 8,
    }
}

/// Long timeouts, so that only the limit a test is about can close a connection.
fn patient(max_connections: usize, max_requests_per_connection: u64) -> TransportLimits {
    TransportLimits {
        max_connections,
        handshake_timeout: NEVER,
        stall_timeout: NEVER,
        idle_timeout: NEVER,
        max_requests_per_connection,
        max_h2_streams: 8,
    }
}

/// How long after `since` the server closed the stream, or `None` if it was still open `within`
/// after `since`. Whatever the server sends first (an h2 SETTINGS frame) is read and dropped.
async fn closed_after(
    stream: &mut (impl AsyncRead + Unpin),
    since: Instant,
    within: Duration,
) -> Option<Duration> {
    let mut buf = [0u8; 4096];
    loop {
        let read = tokio::time::timeout_at((since + within).into(), stream.read(&mut buf)).await;
        match read {
            Err(_) => return None,
            Ok(Ok(0) | Err(_)) => return Some(since.elapsed()),
            Ok(Ok(_)) => {}
        }
    }
}

/// A request head cut short: no blank line ever ends it.
const PARTIAL_HEAD: &[u8] = b"GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\nX-Slow: ";
const HEALTH: &[u8] = b"GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\n\r\n";

/// Sends `GET /api/v1/health` on a kept-alive HTTP/1.1 connection and reads the whole response.
async fn health_over(stream: &mut (impl AsyncRead + AsyncWrite + Unpin)) -> String {
    stream.write_all(HEALTH).await.unwrap();
    stream.flush().await.unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = tokio::time::timeout(NEVER, stream.read(&mut buf))
            .await
            .expect("a response")
            .unwrap();
        assert!(n > 0, "closed before the response was complete");
        got.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&got).to_string();
        let Some(end) = text.find("\r\n\r\n") else {
            continue;
        };
        let length: usize = text[..end]
            .lines()
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("content-length: ")
                    .map(str::to_owned)
            })
            .expect("a content length")
            .trim()
            .parse()
            .unwrap();
        if got.len() >= end + 4 + length {
            return text;
        }
    }
}

async fn health(s: &Server) -> u16 {
    let response = s
        .client
        .get(format!("{}/api/v1/health", s.base))
        .timeout(Duration::from_secs(60))
        .send()
        .await
        .expect("the real client got an answer");
    response.status().as_u16()
}

/// Three times as many half-open connections as the cap — TCP only, and TLS done with a request
/// head never finished — then a real client: it is answered once their timeouts free the
/// slots, and the server closes every half-open connection after its timeout.
#[tokio::test]
async fn slowloris_cannot_starve_a_real_client() {
    let limits = tight();
    let s = spawn_tuned(false, limits, |system| system).await;
    // All of them connect before the real client, so it queues behind them.
    let mut silent = Vec::new();
    for _ in 0..limits.max_connections {
        silent.push((TcpStream::connect(s.addr).await.unwrap(), Instant::now()));
    }
    let mut slow = Vec::new();
    for _ in 0..2 * limits.max_connections {
        slow.push(TcpStream::connect(s.addr).await.unwrap());
    }
    let silent_closed = futures_util::future::join_all(
        silent
            .iter_mut()
            .map(|(tcp, since)| closed_after(tcp, *since, NEVER)),
    );
    let slow_closed = futures_util::future::join_all(slow.into_iter().map(|tcp| {
        let s = &s;
        async move {
            // The handshake waits until the server has a slot for this connection.
            let mut tls = s.tls_over(tcp, b"http/1.1").await.unwrap();
            tls.write_all(PARTIAL_HEAD).await.unwrap();
            tls.flush().await.unwrap();
            closed_after(&mut tls, Instant::now(), NEVER).await
        }
    }));
    let (silent_closed, slow_closed, status) = tokio::join!(silent_closed, slow_closed, health(&s));
    assert_eq!(status, 200, "the real client is answered");
    for closed in silent_closed {
        let after = closed.expect("a connection that never started TLS was left open");
        assert!(after >= limits.handshake_timeout, "closed after {after:?}");
    }
    for closed in slow_closed {
        let after = closed.expect("a connection that never finished its head was left open");
        assert!(after <= limits.stall_timeout + 5 * SECOND, "{after:?}");
    }
}

/// A kept-alive HTTP/1.1 connection is closed `stall_timeout` after its last response; an
/// HTTP/2 connection that opens no stream is closed after `idle_timeout`.
#[tokio::test]
async fn idle_connections_are_closed_after_the_timeout() {
    let limits = tight();
    let s = spawn_tuned(false, limits, |system| system).await;

    let mut h1 = s.tls_connect(b"http/1.1").await.unwrap();
    assert!(health_over(&mut h1).await.starts_with("HTTP/1.1 200"));
    let after = closed_after(&mut h1, Instant::now(), NEVER)
        .await
        .expect("an idle HTTP/1.1 connection was left open");
    assert!(after <= limits.stall_timeout + 2 * SECOND, "{after:?}");

    let opened = Instant::now();
    let mut h2 = s.tls_connect(b"h2").await.unwrap();
    assert_eq!(h2.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    // The client preface and an empty SETTINGS frame, then nothing.
    h2.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00")
        .await
        .unwrap();
    h2.flush().await.unwrap();
    let after = closed_after(&mut h2, opened, NEVER)
        .await
        .expect("an idle HTTP/2 connection was left open");
    assert!(
        after >= limits.idle_timeout && after <= limits.idle_timeout + 3 * SECOND,
        "{after:?}"
    );
}

/// With a cap of two, a third connection is not even accepted (its TLS handshake does not
/// start) until one of the first two ends.
#[tokio::test]
async fn connections_beyond_the_cap_wait_to_be_accepted() {
    let s = spawn_tuned(false, patient(2, 1000), |system| system).await;
    let first = s.tls_connect(b"http/1.1").await.unwrap();
    let _second = s.tls_connect(b"http/1.1").await.unwrap();
    let third = s.tls_connect(b"http/1.1");
    tokio::pin!(third);
    assert!(
        tokio::time::timeout(SECOND, &mut third).await.is_err(),
        "a third connection was served past the cap of two"
    );
    drop(first);
    let mut third = tokio::time::timeout(NEVER, third)
        .await
        .expect("served once a slot was free")
        .unwrap();
    assert!(health_over(&mut third).await.starts_with("HTTP/1.1 200"));
}

/// A kept-alive connection carries `max_requests_per_connection` requests, then the server
/// closes it (long before any timeout could).
#[tokio::test]
async fn a_connection_carries_a_bounded_number_of_requests() {
    let s = spawn_tuned(false, patient(4, 3), |system| system).await;
    let mut h1 = s.tls_connect(b"http/1.1").await.unwrap();
    for _ in 0..3 {
        assert!(health_over(&mut h1).await.starts_with("HTTP/1.1 200"));
    }
    let after = closed_after(&mut h1, Instant::now(), 5 * SECOND).await;
    assert!(after.is_some(), "open after its third request");
}

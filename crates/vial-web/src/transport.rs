//! The connection loop: TCP, the TLS handshake and HTTP/1.1 or HTTP/2 (by ALPN), each bounded so
//! that slow or silent clients cannot hold the server's descriptors.
//!
//! - At most `max_connections` connections are open: the loop takes a slot *before* accepting,
//!   so extra clients wait in the kernel's accept queue instead of costing descriptors.
//! - A TLS handshake must finish within `handshake_timeout`.
//! - HTTP/1.1: the request head must arrive within `stall_timeout` of the server starting to
//!   wait for it (after the handshake, and after each response on a kept-alive connection).
//! - A request body may pause at most `stall_timeout` between chunks, and a client that stops
//!   taking response bytes fails the connection after as long.
//! - A connection with no request in flight for `idle_timeout` is closed (HTTP/2 above all:
//!   HTTP/1.1 is already bounded by the head timer).
//! - After `max_requests_per_connection` requests the connection is closed gracefully.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulConnection;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, watch};
use tower::Service;

/// Limits on connections and on how long the server waits for a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransportLimits {
    /// Connections open at once (TLS handshakes included); more wait to be accepted.
    pub max_connections: usize,
    /// A TLS handshake must finish within this.
    pub handshake_timeout: Duration,
    /// The longest the server waits on a slow client: for an HTTP/1.1 request head (which
    /// also bounds an idle HTTP/1.1 connection), between chunks of a request body, and for the
    /// client to take response bytes.
    pub stall_timeout: Duration,
    /// A connection with no request in flight for this long is closed.
    pub idle_timeout: Duration,
    /// Requests one connection may carry before the server closes it gracefully.
    pub max_requests_per_connection: u64,
    /// Streams one HTTP/2 connection may have open at once.
    pub max_h2_streams: u32,
}

/// Descriptors kept for everything but connections: the database pools (SQLite opens three
/// files a connection), blob files, logs, the runtime's own.
const RESERVED_DESCRIPTORS: u64 = 64;
/// Upper bound on the default cap, whatever the descriptor limit: each TLS connection costs
/// tens of KiB of buffers.
const MAX_DEFAULT_CONNECTIONS: u64 = 4096;
/// Tokio's semaphores allow fewer permits than `usize::MAX`.
const MAX_CONNECTIONS: usize = 1 << 20;

impl TransportLimits {
    /// The defaults for a process allowed `descriptors` open files (its `RLIMIT_NOFILE`): a
    /// quarter of them (at least 64) stay in reserve, and every connection is counted twice,
    /// for its socket and a blob file it may be streaming.
    pub fn for_descriptor_limit(descriptors: u64) -> Self {
        let reserve = RESERVED_DESCRIPTORS.max(descriptors / 4);
        let cap = (descriptors.saturating_sub(reserve) / 2).clamp(1, MAX_DEFAULT_CONNECTIONS);
        Self {
            max_connections: usize::try_from(cap).unwrap_or(1),
            ..Self::default()
        }
    }
}

impl Default for TransportLimits {
    /// For a process with 1024 descriptors (the usual soft limit): 384 connections.
    fn default() -> Self {
        Self {
            max_connections: 384,
            handshake_timeout: Duration::from_secs(10),
            stall_timeout: Duration::from_secs(15),
            idle_timeout: Duration::from_secs(60),
            max_requests_per_connection: 1000,
            max_h2_streams: 100,
        }
    }
}

/// Where the server is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    Serving,
    /// Accept nothing new; in-flight requests finish.
    Draining,
    /// The grace period is over: drop what is left.
    Stopped,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bound {
    Pending,
    At(SocketAddr),
    Failed,
}

/// What the handle and the server share.
#[derive(Debug)]
pub(crate) struct Control {
    pub(crate) bound: watch::Sender<Bound>,
    pub(crate) phase: watch::Sender<Phase>,
    pub(crate) grace: Duration,
}

/// What every connection needs.
struct Shared {
    tls: tokio_rustls::TlsAcceptor,
    router: axum::Router,
    limits: TransportLimits,
    h1: hyper::server::conn::http1::Builder,
    h2: hyper::server::conn::http2::Builder<TokioExecutor>,
}

/// How long connections may take to end once the grace period is over.
const STOP_WAIT: Duration = Duration::from_secs(1);
/// Pause after a failed accept (out of descriptors despite the cap, say) before trying again.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

pub(crate) async fn run(
    listen: SocketAddr,
    tls: Arc<rustls::ServerConfig>,
    router: axum::Router,
    limits: TransportLimits,
    control: Arc<Control>,
) -> io::Result<()> {
    let listener = match TcpListener::bind(listen).await {
        Ok(listener) => listener,
        Err(e) => {
            control.bound.send_replace(Bound::Failed);
            return Err(e);
        }
    };
    match listener.local_addr() {
        Ok(addr) => control.bound.send_replace(Bound::At(addr)),
        Err(e) => {
            control.bound.send_replace(Bound::Failed);
            return Err(e);
        }
    };
    let mut h1 = hyper::server::conn::http1::Builder::new();
    h1.timer(TokioTimer::new())
        .header_read_timeout(limits.stall_timeout)
        .keep_alive(true);
    let mut h2 = hyper::server::conn::http2::Builder::new(TokioExecutor::new());
    h2.timer(TokioTimer::new())
        .keep_alive_interval(limits.idle_timeout)
        .keep_alive_timeout(limits.stall_timeout)
        .max_concurrent_streams(limits.max_h2_streams);
    let capacity = limits.max_connections.clamp(1, MAX_CONNECTIONS);
    let shared = Arc::new(Shared {
        tls: tokio_rustls::TlsAcceptor::from(tls),
        router,
        limits,
        h1,
        h2,
    });
    let slots = Arc::new(Semaphore::new(capacity));
    let mut phase = control.phase.subscribe();
    loop {
        let slot = tokio::select! {
            biased;
            () = leaving(&mut phase) => break,
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
        };
        let (tcp, peer) = tokio::select! {
            biased;
            () = leaving(&mut phase) => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    tracing::warn!(error = %e, "accepting a connection failed; retrying");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
        };
        tokio::spawn(connection(
            shared.clone(),
            tcp,
            peer,
            slot,
            control.phase.subscribe(),
        ));
    }
    // Refuse new connections at once rather than leave them queued.
    drop(listener);
    let all = u32::try_from(capacity).unwrap_or(u32::MAX);
    if tokio::time::timeout(control.grace, slots.acquire_many(all))
        .await
        .is_err()
    {
        control.phase.send_replace(Phase::Stopped);
        let _ = tokio::time::timeout(STOP_WAIT, slots.acquire_many(all)).await;
    }
    Ok(())
}

async fn connection(
    shared: Arc<Shared>,
    tcp: TcpStream,
    peer: SocketAddr,
    _slot: OwnedSemaphorePermit,
    mut phase: watch::Receiver<Phase>,
) {
    let _ = tcp.set_nodelay(true);
    let limits = shared.limits;
    let handshake = tokio::time::timeout(limits.handshake_timeout, shared.tls.accept(tcp));
    let tls = tokio::select! {
        biased;
        () = leaving(&mut phase) => return,
        done = handshake => match done {
            Ok(Ok(tls)) => tls,
            // Refused (old protocol, no shared suite) or too slow: nothing to answer.
            _ => return,
        },
    };
    let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
    let io = TokioIo::new(WriteStall::new(tls, limits.stall_timeout));
    let (in_flight, idle) = watch::channel(0usize);
    let requests = Requests {
        router: shared.router.clone(),
        peer,
        stall: limits.stall_timeout,
        in_flight: Arc::new(in_flight),
        served: Arc::new(AtomicU64::new(0)),
        max: limits.max_requests_per_connection.max(1),
        retire: Arc::new(Notify::new()),
    };
    let retire = requests.retire.clone();
    let service = hyper::service::service_fn(move |request| requests.call(request));
    if h2 {
        let conn = shared.h2.serve_connection(io, service);
        drive(conn, phase, idle, retire, limits).await;
    } else {
        let conn = shared.h1.serve_connection(io, service);
        drive(conn, phase, idle, retire, limits).await;
    }
}

/// Runs a connection until it ends, closing it gracefully when the server drains, when it has
/// been idle too long or has carried its share of requests, and at once when the server stops.
async fn drive<C: GracefulConnection>(
    conn: C,
    mut phase: watch::Receiver<Phase>,
    in_flight: watch::Receiver<usize>,
    retire: Arc<Notify>,
    limits: TransportLimits,
) {
    tokio::pin!(conn);
    let idle = until_idle(in_flight, limits.idle_timeout);
    tokio::pin!(idle);
    // Once closing, a connection gets `stall_timeout` to finish what it has started (only the
    // server's own drain waits longer, up to its grace period).
    let mut closing: Option<Pin<Box<tokio::time::Sleep>>> = None;
    let mut draining = false;
    if *phase.borrow_and_update() != Phase::Serving {
        conn.as_mut().graceful_shutdown();
        draining = true;
    }
    loop {
        tokio::select! {
            biased;
            _ = &mut conn => return,
            changed = phase.changed() => {
                let now = *phase.borrow_and_update();
                if changed.is_err() || now == Phase::Stopped {
                    return;
                }
                if now == Phase::Draining && !draining {
                    draining = true;
                    closing = None;
                    conn.as_mut().graceful_shutdown();
                }
            }
            () = &mut idle, if closing.is_none() && !draining => {
                closing = Some(Box::pin(tokio::time::sleep(limits.stall_timeout)));
                conn.as_mut().graceful_shutdown();
            }
            () = retire.notified(), if closing.is_none() && !draining => {
                closing = Some(Box::pin(tokio::time::sleep(limits.stall_timeout)));
                conn.as_mut().graceful_shutdown();
            }
            () = async { if let Some(deadline) = closing.as_mut() { deadline.await } }, if closing.is_some() => return,
        }
    }
}

/// Completes once the server stops serving (the guard `wait_for` returns is not `Send`, so it
/// is dropped here).
async fn leaving(phase: &mut watch::Receiver<Phase>) {
    let _ = phase.wait_for(|p| *p != Phase::Serving).await.map(|_| ());
}

/// Completes once no request has been in flight for `idle`.
async fn until_idle(mut in_flight: watch::Receiver<usize>, idle: Duration) {
    loop {
        if *in_flight.borrow_and_update() == 0 {
            tokio::select! {
                () = tokio::time::sleep(idle) => return,
                changed = in_flight.changed() => if changed.is_err() { return },
            }
        } else if in_flight.changed().await.is_err() {
            return;
        }
    }
}

/// The per-connection service: the router, with the peer's address, a stall timeout on the
/// request body and the connection's request accounting.
#[derive(Clone)]
struct Requests {
    router: axum::Router,
    peer: SocketAddr,
    stall: Duration,
    in_flight: Arc<watch::Sender<usize>>,
    served: Arc<AtomicU64>,
    max: u64,
    retire: Arc<Notify>,
}

impl Requests {
    fn call(
        &self,
        request: hyper::Request<Incoming>,
    ) -> impl Future<Output = Result<axum::response::Response, Infallible>> + Send + use<> {
        let guard = InFlight::start(self.in_flight.clone());
        if self.served.fetch_add(1, Ordering::Relaxed) + 1 >= self.max {
            // `notify_one` keeps the wake-up if the driver is not waiting yet.
            self.retire.notify_one();
        }
        let stall = self.stall;
        let mut request = request
            .map(|body| axum::body::Body::new(tower_http::timeout::TimeoutBody::new(stall, body)));
        request.extensions_mut().insert(ConnectInfo(self.peer));
        let mut router = self.router.clone();
        let call = router.call(request);
        async move {
            let response = call.await?;
            // In flight until the response body is written out (or dropped).
            Ok(response.map(|body| {
                axum::body::Body::new(Tracked {
                    body,
                    _guard: guard,
                })
            }))
        }
    }
}

/// One request in flight on its connection, until dropped.
struct InFlight(Arc<watch::Sender<usize>>);

impl InFlight {
    fn start(counter: Arc<watch::Sender<usize>>) -> Self {
        counter.send_modify(|n| *n += 1);
        Self(counter)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.send_modify(|n| *n = n.saturating_sub(1));
    }
}

/// A response body that keeps its request counted as in flight.
struct Tracked {
    body: axum::body::Body,
    _guard: InFlight,
}

impl hyper::body::Body for Tracked {
    type Data = hyper::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.body.size_hint()
    }
}

/// A stream whose writes fail when the peer has taken no bytes for `limit` (a client that
/// stops reading must not hold its connection forever).
struct WriteStall<S> {
    inner: S,
    limit: Duration,
    stalled: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl<S> WriteStall<S> {
    fn new(inner: S, limit: Duration) -> Self {
        Self {
            inner,
            limit,
            stalled: None,
        }
    }

    /// Passes `progress` through, starting the stall clock while it is pending.
    fn watch<T>(
        &mut self,
        cx: &mut Context<'_>,
        progress: Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        if progress.is_ready() {
            self.stalled = None;
            return progress;
        }
        let limit = self.limit;
        let stalled = self
            .stalled
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        match stalled.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client took no response bytes in time",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for WriteStall<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for WriteStall<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let progress = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.watch(cx, progress)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let progress = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.watch(cx, progress)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let progress = Pin::new(&mut self.inner).poll_flush(cx);
        self.watch(cx, progress)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let progress = Pin::new(&mut self.inner).poll_shutdown(cx);
        self.watch(cx, progress)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_stays_below_the_descriptor_limit() {
        for (descriptors, cap) in [(256, 96), (1024, 384), (64, 1), (0, 1), (1 << 20, 4096)] {
            let limits = TransportLimits::for_descriptor_limit(descriptors);
            assert_eq!(limits.max_connections, cap, "{descriptors} descriptors");
        }
        assert_eq!(
            TransportLimits::for_descriptor_limit(1024),
            TransportLimits::default()
        );
    }
}

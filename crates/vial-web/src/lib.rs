//! Vial's HTTPS edge: the only crate that knows HTTP.
//!
//! Owns TLS (rustls, TLS 1.2/1.3, AEAD suites only, no plaintext listener), the connection loop
//! and its limits against slow clients (`transport.rs`), the security headers every response
//! carries, routing and the mapping of use-case errors to HTTP. It holds no keys and
//! decrypts nothing itself: PHI reaches it only as values returned by `vial-app`. It must never
//! put PHI in logs, URLs or error messages.

mod api;
mod auth;
mod browser;
mod error;
mod headers;
mod pages;
mod photo_form;
mod routes;
mod tls;
mod transport;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

pub use auth::{Authenticated, LoginRateLimit};
pub use error::ApiError;
pub use tls::{TlsError, TlsMaterial, ensure_self_signed, ensure_self_signed_at, server_config};
pub use transport::TransportLimits;

/// What the server needs to start.
#[derive(Debug)]
pub struct ServeOptions {
    pub listen: SocketAddr,
    pub tls: Arc<rustls::ServerConfig>,
    /// How long in-flight requests may run after shutdown begins.
    pub shutdown_grace: Duration,
    pub login_rate: LoginRateLimit,
    /// Connection cap and timeouts against slow or silent clients.
    pub transport: TransportLimits,
}

/// A running server: its bound address and a way to stop it.
#[derive(Debug, Clone)]
pub struct ServerHandle {
    control: Arc<transport::Control>,
}

impl ServerHandle {
    /// Waits until the socket is bound and returns its address (`None` if binding failed).
    pub async fn listening(&self) -> Option<SocketAddr> {
        let mut bound = self.control.bound.subscribe();
        let state = bound
            .wait_for(|b| *b != transport::Bound::Pending)
            .await
            .ok()
            .map(|b| *b);
        match state {
            Some(transport::Bound::At(addr)) => Some(addr),
            _ => None,
        }
    }

    /// Stops accepting connections and lets in-flight requests finish within the grace period;
    /// what is left after it is dropped.
    pub fn shutdown(&self) {
        self.control.phase.send_if_modified(|phase| {
            let serving = *phase == transport::Phase::Serving;
            if serving {
                *phase = transport::Phase::Draining;
            }
            serving
        });
    }
}

/// The HTTP application (routes plus security headers), without TLS; used by `serve` and tests.
pub fn router(app: vial_app::App, login_rate: LoginRateLimit) -> axum::Router {
    headers::secure(routes::routes(app, login_rate))
}

/// Binds and serves HTTPS until [`ServerHandle::shutdown`]; returns the handle at once and a
/// future that completes when the server has stopped.
pub fn serve(
    app: vial_app::App,
    options: ServeOptions,
) -> (
    ServerHandle,
    impl std::future::Future<Output = std::io::Result<()>>,
) {
    let control = Arc::new(transport::Control {
        bound: tokio::sync::watch::Sender::new(transport::Bound::Pending),
        phase: tokio::sync::watch::Sender::new(transport::Phase::Serving),
        grace: options.shutdown_grace,
    });
    let handle = ServerHandle {
        control: control.clone(),
    };
    let server = transport::run(
        options.listen,
        options.tls,
        router(app, options.login_rate),
        options.transport,
        control,
    );
    (handle, server)
}

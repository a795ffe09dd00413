//! Vial's HTTPS edge: the only crate that knows HTTP.
//!
//! Owns TLS (rustls, TLS 1.2/1.3, AEAD suites only, no plaintext listener), the security headers
//! every response carries, routing and the mapping of use-case errors to HTTP. It holds no keys and
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

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

pub use auth::{Authenticated, LoginRateLimit};
pub use error::ApiError;
pub use tls::{TlsError, TlsMaterial, ensure_self_signed, ensure_self_signed_at, server_config};

/// What the server needs to start.
#[derive(Debug)]
pub struct ServeOptions {
    pub listen: SocketAddr,
    pub tls: Arc<rustls::ServerConfig>,
    /// How long in-flight requests may run after shutdown begins.
    pub shutdown_grace: Duration,
    pub login_rate: LoginRateLimit,
}

/// A running server: its bound address and a way to stop it.
#[derive(Debug, Clone)]
pub struct ServerHandle {
    inner: axum_server::Handle,
    grace: Duration,
}

impl ServerHandle {
    /// Waits until the socket is bound and returns its address.
    pub async fn listening(&self) -> Option<SocketAddr> {
        self.inner.listening().await
    }

    /// Stops accepting connections and lets in-flight requests finish within the grace period.
    pub fn shutdown(&self) {
        self.inner.graceful_shutdown(Some(self.grace));
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
    let handle = ServerHandle {
        inner: axum_server::Handle::new(),
        grace: options.shutdown_grace,
    };
    let config = axum_server::tls_rustls::RustlsConfig::from_config(options.tls);
    let service =
        router(app, options.login_rate).into_make_service_with_connect_info::<SocketAddr>();
    let server = axum_server::bind_rustls(options.listen, config)
        .handle(handle.inner.clone())
        .serve(service);
    (handle, server)
}

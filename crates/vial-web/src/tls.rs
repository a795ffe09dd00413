//! TLS: rustls with TLS 1.2 and 1.3 only and AEAD suites only, and a self-signed certificate
//! generated on first start when none is configured.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::crypto::aws_lc_rs::{self as provider, cipher_suite, kx_group};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// Why TLS could not be set up. Messages name files, never key bytes.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: no certificate found in PEM file")]
    NoCertificate { path: String },
    #[error("{path}: no private key found in PEM file")]
    NoKey { path: String },
    #[error("certificate generation failed: {0}")]
    Generate(String),
    #[error("TLS configuration rejected: {0}")]
    Config(#[from] rustls::Error),
}

/// Where the certificate chain and key are.
#[derive(Debug, Clone)]
pub struct TlsMaterial {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl TlsMaterial {
    /// The self-signed pair inside a data directory's `tls/` folder.
    pub fn in_dir(dir: &Path) -> Self {
        Self {
            cert: dir.join("cert.pem"),
            key: dir.join("key.pem"),
        }
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> TlsError + '_ {
    move |source| TlsError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Creates a self-signed certificate for localhost in `dir` unless one is there.
pub fn ensure_self_signed(dir: &Path) -> Result<TlsMaterial, TlsError> {
    let material = TlsMaterial::in_dir(dir);
    if material.cert.exists() && material.key.exists() {
        return Ok(material);
    }
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(io_err(dir))?;
    let names = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ];
    let certified =
        rcgen::generate_simple_self_signed(names).map_err(|e| TlsError::Generate(e.to_string()))?;
    let mut key = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&material.key)
        .map_err(io_err(&material.key))?;
    key.write_all(certified.signing_key.serialize_pem().as_bytes())
        .and_then(|()| key.sync_all())
        .map_err(io_err(&material.key))?;
    fs::write(&material.cert, certified.cert.pem()).map_err(io_err(&material.cert))?;
    Ok(material)
}

/// Loads the chain and key, returning the server configuration and the leaf certificate's
/// SHA-256 fingerprint (colon-separated hex), which `vial serve` prints so a user can pin it.
pub fn server_config(
    material: &TlsMaterial,
) -> Result<(Arc<rustls::ServerConfig>, String), TlsError> {
    let cert_pem = fs::read(&material.cert).map_err(io_err(&material.cert))?;
    let certs: Vec<CertificateDer<'static>> = rustls_pemfile::certs(&mut cert_pem.as_slice())
        .collect::<Result<_, _>>()
        .map_err(io_err(&material.cert))?;
    let leaf = certs.first().ok_or_else(|| TlsError::NoCertificate {
        path: material.cert.display().to_string(),
    })?;
    let fingerprint = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, leaf.as_ref())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":");
    let key_pem = zeroize::Zeroizing::new(fs::read(&material.key).map_err(io_err(&material.key))?);
    let key: PrivateKeyDer<'static> = rustls_pemfile::private_key(&mut key_pem.as_slice())
        .map_err(io_err(&material.key))?
        .ok_or_else(|| TlsError::NoKey {
            path: material.key.display().to_string(),
        })?;

    // Only AEAD suites with forward secrecy; rustls has no CBC, RC4 or static-RSA suites at all,
    // and listing them explicitly keeps the choice visible and reviewable.
    let provider = rustls::crypto::CryptoProvider {
        cipher_suites: vec![
            cipher_suite::TLS13_AES_256_GCM_SHA384,
            cipher_suite::TLS13_AES_128_GCM_SHA256,
            cipher_suite::TLS13_CHACHA20_POLY1305_SHA256,
            cipher_suite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
            cipher_suite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            cipher_suite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
            cipher_suite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
            cipher_suite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            cipher_suite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        ],
        kx_groups: vec![kx_group::X25519, kx_group::SECP256R1, kx_group::SECP384R1],
        ..provider::default_provider()
    };
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok((Arc::new(config), fingerprint))
}

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

/// How long a generated certificate is valid, and how long before its end start-up renews it.
const SELF_SIGNED_VALIDITY: time::Duration = time::Duration::days(365);
const RENEW_BEFORE: time::Duration = time::Duration::days(30);

/// Creates a self-signed certificate for localhost in `dir` unless one is there that stays
/// valid for more than [`RENEW_BEFORE`]; a new one is valid for a year.
pub fn ensure_self_signed(dir: &Path) -> Result<TlsMaterial, TlsError> {
    ensure_self_signed_at(dir, time::OffsetDateTime::now_utc())
}

/// [`ensure_self_signed`] as of `now`.
pub fn ensure_self_signed_at(
    dir: &Path,
    now: time::OffsetDateTime,
) -> Result<TlsMaterial, TlsError> {
    let material = TlsMaterial::in_dir(dir);
    if material.cert.exists() && material.key.exists() {
        if not_after(&material.cert)? - now > RENEW_BEFORE {
            return Ok(material);
        }
        tracing::info!("the self-signed TLS certificate is near its end; renewing it");
    }
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(io_err(dir))?;
    let generate = |e: rcgen::Error| TlsError::Generate(e.to_string());
    let names = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ];
    let mut params = rcgen::CertificateParams::new(names).map_err(generate)?;
    // A day back for clocks that run behind ours.
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + SELF_SIGNED_VALIDITY;
    let signing_key = rcgen::KeyPair::generate().map_err(generate)?;
    let cert = params.self_signed(&signing_key).map_err(generate)?;
    // Written beside and renamed over, so a crash leaves the old pair or the new, never a mix
    // of one's key and the other's certificate for long.
    let key_tmp = material.key.with_extension("pem.new");
    let _ = fs::remove_file(&key_tmp);
    let mut key = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&key_tmp)
        .map_err(io_err(&key_tmp))?;
    key.write_all(signing_key.serialize_pem().as_bytes())
        .and_then(|()| key.sync_all())
        .map_err(io_err(&key_tmp))?;
    let cert_tmp = material.cert.with_extension("pem.new");
    fs::write(&cert_tmp, cert.pem()).map_err(io_err(&cert_tmp))?;
    fs::rename(&key_tmp, &material.key).map_err(io_err(&material.key))?;
    fs::rename(&cert_tmp, &material.cert).map_err(io_err(&material.cert))?;
    Ok(material)
}

/// When the first certificate in a PEM file stops being valid.
fn not_after(path: &Path) -> Result<time::OffsetDateTime, TlsError> {
    let pem = fs::read(path).map_err(io_err(path))?;
    let unreadable = || TlsError::NoCertificate {
        path: path.display().to_string(),
    };
    let (_, pem) = x509_parser::pem::parse_x509_pem(&pem).map_err(|_| unreadable())?;
    let cert = pem.parse_x509().map_err(|_| unreadable())?;
    Ok(cert.validity().not_after.to_datetime())
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

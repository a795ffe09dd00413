//! The process's view of its keys: a key ring loaded from the provider, reloaded when another
//! process (the CLI beside the server, another instance) rotates or retires a version.

use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use vial_audit::{CheckpointSigner, CheckpointVerifier};
use vial_crypto::{CryptoError, DataKey, DekId, KeyProvider, KeyRing, WrappedKey};

mod datakeys;
mod keyfile;
mod operations;
mod rotation;

pub use keyfile::{KeyFileError, LocalKeyFile};
pub use rotation::{KeyStatus, KeyVersionStatus, RewrapReport, RotationPolicy};

use crate::AppError;

/// The key ring plus where it came from.
#[derive(Debug)]
pub struct Keys {
    provider: LocalKeyFile,
    audit_signer: Arc<CheckpointSigner>,
    state: RwLock<(Arc<KeyRing>, Option<SystemTime>)>,
}

impl Keys {
    /// Loads the ring; fails closed on any problem with the key file.
    pub fn load(provider: LocalKeyFile) -> Result<Self, AppError> {
        let modified = provider.modified();
        let material = provider.load()?;
        let ring = KeyRing::new(&material)?;
        let audit_signer =
            CheckpointSigner::from_seed(crate::AUDIT_ORIGIN, material.audit_signing_seed.expose())
                .map_err(|e| AppError::Invalid(format!("audit signing key: {e}")))?;
        Ok(Self {
            provider,
            audit_signer: Arc::new(audit_signer),
            state: RwLock::new((Arc::new(ring), modified)),
        })
    }

    /// Signs audit checkpoints.
    pub fn audit_signer(&self) -> Arc<CheckpointSigner> {
        self.audit_signer.clone()
    }

    /// Verifies audit checkpoints (the public half of the signer).
    pub fn audit_verifier(&self) -> CheckpointVerifier {
        self.audit_signer.verifier()
    }

    pub fn provider(&self) -> &LocalKeyFile {
        &self.provider
    }

    /// The current ring.
    pub fn ring(&self) -> Arc<KeyRing> {
        match self.state.read() {
            Ok(s) => s.0.clone(),
            Err(poisoned) => poisoned.into_inner().0.clone(),
        }
    }

    /// Reloads from the provider if the file changed since the last load.
    pub fn refresh(&self) -> Result<Arc<KeyRing>, AppError> {
        let modified = self.provider.modified();
        let stale = match self.state.read() {
            Ok(s) => s.1 != modified,
            Err(_) => true,
        };
        if !stale {
            return Ok(self.ring());
        }
        let ring = Arc::new(KeyRing::new(&self.provider.load()?)?);
        if let Ok(mut s) = self.state.write() {
            *s = (ring.clone(), modified);
        }
        tracing::info!(
            current_version = ring.current_version(),
            "key ring reloaded"
        );
        Ok(ring)
    }

    /// Unwraps a DEK, reloading once if it is wrapped by a version this process has not seen.
    pub fn unwrap(&self, id: DekId, wrapped: &WrappedKey) -> Result<DataKey, AppError> {
        match self.ring().unwrap(id, wrapped) {
            Err(CryptoError::MissingKek(v)) if v > self.ring().current_version() => {
                Ok(self.refresh()?.unwrap(id, wrapped)?)
            }
            other => Ok(other?),
        }
    }
}

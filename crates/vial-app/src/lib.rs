//! Vial's use cases, over a store and a key ring.
//!
//! Owns: opening a data directory, key management (rotation, re-wrapping, retirement), users,
//! and per-owner data keys. This is the only crate that turns ciphertexts into plaintext; the
//! web crate calls its functions and never sees keys. Later issues add the PHI gateway here.
//! It must never log plaintext field values — only ids and counts.

mod clock;
mod datadir;
mod datakeys;
mod error;
mod keyfile;
mod keys;
mod rotation;
mod users;

use std::sync::Arc;

pub use clock::{Clock, FixedClock, SystemClock};
pub use datadir::{DataDir, DatabaseChoice};
pub use error::AppError;
pub use keyfile::{KeyFileError, LocalKeyFile};
pub use keys::Keys;
pub use rotation::{KeyStatus, KeyVersionStatus, RewrapReport, RotationPolicy};
pub use users::{AddedUser, NewUserInput, Role, UserProfile};
pub use vial_store::{Backend, Store};

/// Everything a use case needs: the store, the keys and the clock.
#[derive(Debug, Clone)]
pub struct App {
    store: Arc<dyn Store>,
    keys: Arc<Keys>,
    clock: Arc<dyn Clock>,
}

impl App {
    pub fn new(store: Arc<dyn Store>, keys: Arc<Keys>, clock: Arc<dyn Clock>) -> Self {
        Self { store, keys, clock }
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn keys(&self) -> &Arc<Keys> {
        &self.keys
    }

    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }
}

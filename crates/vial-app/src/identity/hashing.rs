//! A global bound on password hashes in flight. Each Argon2 hash holds its memory cost
//! ([`HASH_MEMORY_BYTES`]) until it ends, so unbounded concurrent logins turn into unbounded
//! memory: at most `memory_bytes / HASH_MEMORY_BYTES` hashes run at once, a few more wait a short
//! while for a turn (a waiting login holds no hash memory), and the rest are refused at once as
//! [`AppError::Busy`] — the web answers 503 with `Retry-After`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::Semaphore;

use crate::AppError;

/// Argon2id's memory cost in `users::hash_password` (32 MiB); verification uses the cost stored
/// in the hash, which is this one for every hash Vial made.
pub const HASH_MEMORY_BYTES: u64 = 32 * 1024 * 1024;

/// How many password hashes may run and wait at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashLimits {
    /// Memory the hashes in flight may use together; `memory_bytes / HASH_MEMORY_BYTES` of them
    /// run at once (at least one).
    pub memory_bytes: u64,
    /// Hashes that may wait for a turn beyond those running; more are refused at once.
    pub queue: usize,
    /// How long a waiting hash waits for its turn before it is refused.
    pub max_wait: Duration,
}

impl Default for HashLimits {
    /// 128 MiB: four hashes at once (more would not finish sooner on a small server, they would
    /// only share its cores), 32 waiting at most 2 s.
    fn default() -> Self {
        Self {
            memory_bytes: 4 * HASH_MEMORY_BYTES,
            queue: 32,
            max_wait: Duration::from_secs(2),
        }
    }
}

impl HashLimits {
    /// Hashes that run at once.
    pub fn concurrent(&self) -> usize {
        usize::try_from(self.memory_bytes / HASH_MEMORY_BYTES)
            .unwrap_or(usize::MAX)
            .clamp(1, MAX_PERMITS)
    }
}

/// Far above any sensible setting, below tokio's semaphore limit.
const MAX_PERMITS: usize = 1 << 16;

/// The bound itself, shared by every clone of the [`App`](crate::App).
#[derive(Debug, Clone)]
pub(crate) struct PasswordHashing {
    limits: HashLimits,
    /// Permits to run a hash.
    running: Arc<Semaphore>,
    /// Permits to run or wait: `concurrent + queue`.
    admitted: Arc<Semaphore>,
    /// Hashes executing now and the most seen at once (the tests' witness of the bound).
    executing: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
}

impl PasswordHashing {
    pub(crate) fn new(limits: HashLimits) -> Self {
        let concurrent = limits.concurrent();
        Self {
            limits,
            running: Arc::new(Semaphore::new(concurrent)),
            admitted: Arc::new(Semaphore::new(
                concurrent.saturating_add(limits.queue).min(MAX_PERMITS),
            )),
            executing: Arc::new(AtomicUsize::new(0)),
            peak: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Runs `hash` on the blocking pool when a turn is free; `Busy` when too many are running
    /// and waiting, or no turn came within `max_wait`.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        hash: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let admitted = self
            .admitted
            .clone()
            .try_acquire_owned()
            .map_err(|_| AppError::Busy)?;
        let running =
            tokio::time::timeout(self.limits.max_wait, self.running.clone().acquire_owned())
                .await
                .map_err(|_| AppError::Busy)?
                .map_err(|_| AppError::Busy)?;
        let (executing, peak) = (self.executing.clone(), self.peak.clone());
        // The permits move into the blocking task: a caller that gives up (a client that hangs
        // up) does not free the memory early, the hash's end does.
        tokio::task::spawn_blocking(move || {
            let _permits = (admitted, running);
            let now = executing.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now, Ordering::SeqCst);
            let out = hash();
            executing.fetch_sub(1, Ordering::SeqCst);
            out
        })
        .await
        .map_err(|_| AppError::Unavailable("password hashing failed".into()))
    }

    /// The most hashes that ran at once since start.
    #[cfg(feature = "test-support")]
    pub(crate) fn peak(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }

    /// Takes every turn to run, as if that many hashes were running, until the guard drops.
    #[cfg(feature = "test-support")]
    pub(crate) async fn occupy(&self) -> tokio::sync::OwnedSemaphorePermit {
        let all = u32::try_from(self.limits.concurrent()).unwrap_or(u32::MAX);
        let running = self.running.clone();
        // Never closed, so acquiring cannot fail; a test that got here holds every turn.
        #[allow(clippy::expect_used)]
        running
            .acquire_many_owned(all)
            .await
            .expect("the hash semaphore is never closed")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail loudly by design
mod tests {
    use super::*;

    #[test]
    fn concurrency_follows_the_memory_budget() {
        let limits = |memory_bytes| HashLimits {
            memory_bytes,
            ..HashLimits::default()
        };
        assert_eq!(HashLimits::default().concurrent(), 4);
        assert_eq!(limits(0).concurrent(), 1, "never zero");
        assert_eq!(limits(HASH_MEMORY_BYTES * 3 - 1).concurrent(), 2);
        assert_eq!(limits(256 * 1024 * 1024).concurrent(), 8);
    }

    #[test]
    fn the_budget_uses_the_memory_cost_that_hashing_uses() {
        let hash = crate::identity::hash_password("a long enough test passphrase").unwrap();
        let parsed = argon2::PasswordHash::new(&hash).unwrap();
        let m_kib = parsed.params.get_decimal("m").unwrap();
        assert_eq!(u64::from(m_kib) * 1024, HASH_MEMORY_BYTES);
    }
}

//! Password hashing the app state owns: argon2id with the crate's defaults (19 MiB, 2 passes), hashed off
//! the async threads, a few at a time: each check holds 19 MiB, so an unbounded burst of sign-ins would
//! exhaust the task. Each slot keeps its own 19 MiB work area and reuses it: fresh 19 MiB allocations on
//! whichever blocking thread runs the check leave the memory parked in per-thread allocator arenas (glibc
//! kept 400+ MiB after 500 sign-ins with only two checks at a time), so the peak is slots × 19 MiB whatever
//! the allocator. What a new password must look like is the staff area's rule (`admin/passwords.rs`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use argon2::password_hash::ParamsString;
use argon2::password_hash::{Output, PasswordHash, SaltString, rand_core::OsRng};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use tokio::sync::Semaphore;

use crate::error::AppError;

/// Whether a work area no check waits for is freed (see `return_work_area`).
const FREE_IDLE_WORK_AREAS: bool = cfg!(target_env = "musl");
/// How long a sign-in waits for a free password check before it is told to come back.
const MAX_WAIT: Duration = Duration::from_secs(2);
/// Sign-ins allowed to wait per check slot; past that they are refused at once.
const WAITERS_PER_SLOT: usize = 16;

/// The bounded pool of password checks a task runs at once (`admin.max_concurrent_password_checks`).
pub struct PasswordChecks {
    slots: Arc<Semaphore>,
    size: usize,
    waiting: AtomicUsize,
    /// Work areas of the slots not in use (at most `size`, allocated on first use).
    work_areas: Mutex<Vec<Vec<Block>>>,
}

impl PasswordChecks {
    pub fn new(at_once: usize) -> Self {
        let size = at_once.max(1);
        Self {
            slots: Arc::new(Semaphore::new(size)),
            size,
            waiting: AtomicUsize::new(0),
            work_areas: Mutex::new(Vec::new()),
        }
    }

    /// Verifies like [`verify`], or refuses with 503 + `Retry-After` when every slot stays busy.
    pub async fn verify(&self, password: String, stored: Option<String>) -> Result<bool, AppError> {
        let _slot = self.slot().await?;
        let memory = self.take_work_area();
        let (ok, memory) = tokio::task::spawn_blocking(move || {
            let mut memory = memory;
            let stored = stored.as_deref().unwrap_or(DUMMY_HASH);
            (verify_with(&mut memory, &password, stored), memory)
        })
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
        self.return_work_area(memory);
        Ok(ok)
    }

    /// Hashes like [`hash`], within the same bound as sign-ins.
    pub async fn hash(&self, password: String) -> Result<String, AppError> {
        let _slot = self.slot().await?;
        let memory = self.take_work_area();
        let (hashed, memory) = tokio::task::spawn_blocking(move || {
            let mut memory = memory;
            (hash_with(&mut memory, &password), memory)
        })
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
        self.return_work_area(memory);
        Ok(hashed?)
    }

    fn take_work_area(&self) -> Vec<Block> {
        self.work_areas
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .pop()
            .unwrap_or_default()
    }

    /// Keeps the work area for the next check. In the static build, only while another check waits: its
    /// allocator (mimalloc, `main.rs`) gives a freed 19 MiB block back to the system, so a task that had
    /// one sign-in does not carry it for the rest of its life. glibc (tests, `cargo run`) would park it
    /// in a per-thread arena instead, so there the areas are always kept.
    fn return_work_area(&self, memory: Vec<Block>) {
        if FREE_IDLE_WORK_AREAS && self.waiting.load(Ordering::SeqCst) == 0 {
            return;
        }
        let mut spare = self
            .work_areas
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if spare.len() < self.size {
            spare.push(memory);
        }
    }

    async fn slot(&self) -> Result<tokio::sync::OwnedSemaphorePermit, AppError> {
        let busy = AppError::Busy {
            what: "password checks",
            retry_after_secs: MAX_WAIT.as_secs().max(1),
        };
        if let Ok(slot) = self.slots.clone().try_acquire_owned() {
            return Ok(slot);
        }
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.size * WAITERS_PER_SLOT {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(busy);
        }
        let slot = tokio::time::timeout(MAX_WAIT, self.slots.clone().acquire_owned()).await;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        match slot {
            Ok(Ok(slot)) => Ok(slot),
            _ => Err(busy),
        }
    }
}

/// Hashes with a work area of its own (the CLI, tests); requests go through [`PasswordChecks`].
pub async fn hash(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || hash_with(&mut Vec::new(), &password)).await?
}

/// Verifies against `stored`; with `None` (unknown account) it still does the work, so response time does
/// not reveal which emails have accounts.
pub async fn verify(password: String, stored: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || {
        verify_with(
            &mut Vec::new(),
            &password,
            stored.as_deref().unwrap_or(DUMMY_HASH),
        )
    })
    .await
    .unwrap_or(false)
}

/// argon2id with the default parameters, in `memory` (grown to the size the parameters need).
fn hash_with(memory: &mut Vec<Block>, password: &str) -> anyhow::Result<String> {
    let failed = |e: &dyn std::fmt::Display| anyhow::anyhow!("could not hash the password: {e}");
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt
        .as_salt()
        .decode_b64(&mut salt_bytes)
        .map_err(|e| failed(&e))?;
    let params = Params::default();
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    run(memory, &Argon2::default(), password, salt_bytes, &mut out).map_err(|e| failed(&e))?;
    let hash = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|e| failed(&e))?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(|e| failed(&e))?),
    };
    Ok(hash.to_string())
}

/// Recomputes `stored`'s hash for `password` with `stored`'s own parameters, in `memory`.
fn verify_with(memory: &mut Vec<Block>, password: &str, stored: &str) -> bool {
    let mut check = || -> Option<bool> {
        let parsed = PasswordHash::new(stored).ok()?;
        let expected = parsed.hash?;
        let argon2 = Argon2::new(
            Algorithm::try_from(parsed.algorithm).ok()?,
            parsed
                .version
                .map_or(Some(Version::default()), |v| Version::try_from(v).ok())?,
            Params::try_from(&parsed).ok()?,
        );
        let mut salt_bytes = [0u8; 64];
        let salt_bytes = parsed.salt?.decode_b64(&mut salt_bytes).ok()?;
        let mut out = vec![0u8; expected.len()];
        run(memory, &argon2, password, salt_bytes, &mut out).ok()?;
        // `Output`'s equality is constant-time.
        Some(Output::new(&out).ok()? == expected)
    };
    check().unwrap_or(false)
}

fn run(
    memory: &mut Vec<Block>,
    argon2: &Argon2<'_>,
    password: &str,
    salt: &[u8],
    out: &mut [u8],
) -> argon2::Result<()> {
    let blocks = argon2.params().block_count();
    if memory.len() < blocks {
        memory.resize(blocks, Block::default());
    }
    argon2.hash_password_into_with_memory(password.as_bytes(), salt, out, &mut memory[..blocks])
}

/// An argon2id hash of a random string nobody knows, with the default parameters.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0uPnyBKg7jA0hPvqwqVnU1kIr0WOGc/o2HQKjQyB0Xc";

#[cfg(test)]
mod tests {
    use argon2::password_hash::{PasswordHasher, PasswordVerifier};

    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_and_nothing_else() {
        let stored = hash("correct horse battery".into()).await.unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify("correct horse battery".into(), Some(stored.clone())).await);
        assert!(!verify("correct horse battery!".into(), Some(stored)).await);
        assert!(!verify("anything".into(), None).await);
    }

    #[test]
    fn hashes_from_the_reused_work_area_match_the_crates_own_format_both_ways() {
        let ours = hash_with(&mut Vec::new(), "kettle umbrella sonnet").unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"kettle umbrella sonnet", &parsed)
                .is_ok()
        );
        let theirs = Argon2::default()
            .hash_password(b"kettle umbrella sonnet", &SaltString::generate(&mut OsRng))
            .unwrap()
            .to_string();
        let mut memory = Vec::new();
        assert!(verify_with(&mut memory, "kettle umbrella sonnet", &theirs));
        assert!(!verify_with(
            &mut memory,
            "kettle umbrella sonnet?",
            &theirs
        ));
        assert!(!verify_with(&mut memory, "anything", "not a hash"));
    }

    #[tokio::test]
    async fn past_the_slots_and_their_waiting_line_a_check_is_refused_not_queued() {
        let checks = PasswordChecks::new(1);
        let _held = checks.slot().await.unwrap();
        let started = std::time::Instant::now();
        let refused = checks.slot().await.unwrap_err();
        assert!(matches!(refused, AppError::Busy { .. }));
        assert!(started.elapsed() <= MAX_WAIT + Duration::from_millis(500));
        assert!(refused.retry_after_secs().is_some());
    }
}

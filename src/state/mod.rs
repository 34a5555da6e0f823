//! What every handler can reach: the pool, the settings and the few in-memory things a task owns (the lead
//! form's rate limiter and intake queue, the bounded password checks, the cookie key). Built once by `startup`; both wings
//! import it from here, never from `startup`.

pub mod lead_intake;
pub mod password_checks;
pub mod rate_limit;

use std::sync::Arc;

pub use lead_intake::LeadIntake;
pub use password_checks::PasswordChecks;
pub use rate_limit::RateLimiter;

use crate::config::Settings;
use crate::db::DbPool;

pub struct AppState {
    pub db: DbPool,
    pub settings: Arc<Settings>,
    pub lead_limiter: RateLimiter,
    /// Where valid public submissions wait to be stored, several to a commit.
    pub lead_intake: LeadIntake,
    /// Encrypts and signs the staff cookies; the same on every task.
    pub session_key: actix_web::cookie::Key,
    /// Bounds the argon2 runs (19 MiB each) in flight.
    pub password_checks: PasswordChecks,
}

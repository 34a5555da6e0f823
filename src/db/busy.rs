//! Connection starvation, remembered: when the database last refused this task a connection for want of
//! one (error 1040/1203), and how often. The health page asks, so the load balancer stops sending traffic
//! to a task that cannot get a connection; an outage (refused, timed out) is not counted here.

use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

static START: LazyLock<Instant> = LazyLock::new(Instant::now);
/// Milliseconds since `START` of the last refusal, plus one (0 = never).
static LAST: AtomicU64 = AtomicU64::new(0);
static REFUSALS: AtomicU64 = AtomicU64::new(0);

pub(super) fn note() {
    LAST.store(START.elapsed().as_millis() as u64 + 1, Ordering::Relaxed);
    let total = REFUSALS.fetch_add(1, Ordering::Relaxed) + 1;
    tracing::warn!(
        total_refusals = total,
        "database busy: no connection to spare (1040/1203)"
    );
}

/// Whether the database refused a connection for want of one within `window`.
pub fn refused_within(window: Duration) -> bool {
    let last = LAST.load(Ordering::Relaxed);
    last != 0 && START.elapsed().as_millis() as u64 + 1 - last <= window.as_millis() as u64
}

/// Connection refusals for want of connections since the process started.
pub fn refusals() -> u64 {
    REFUSALS.load(Ordering::Relaxed)
}

//! When something last happened, readable from any thread without a lock: a lost connection (so pooled
//! connections used before it are pinged), a refusal for want of connections (so the health page can tell).

use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

static CLOCK_START: LazyLock<Instant> = LazyLock::new(Instant::now);

/// Milliseconds since the clock's start of the last event, plus one (0 = never).
pub(crate) struct EventClock(AtomicU64);

impl EventClock {
    pub(crate) const fn new() -> Self {
        EventClock(AtomicU64::new(0))
    }

    pub(crate) fn note(&self) {
        self.0.store(
            CLOCK_START.elapsed().as_millis() as u64 + 1,
            Ordering::Relaxed,
        );
    }

    /// Whether the event last happened within `window` of now (say, since a connection idle for `window`
    /// was last used).
    pub(crate) fn within(&self, window: Duration) -> bool {
        let last = self.0.load(Ordering::Relaxed);
        let window_start = CLOCK_START.elapsed().saturating_sub(window).as_millis() as u64;
        last != 0 && window_start < last
    }
}

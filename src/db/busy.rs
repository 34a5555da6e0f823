//! Connection starvation, remembered: when the database last refused this task a connection for want of
//! one (error 1040/1203). The health page asks, so the load balancer stops sending traffic to a task that
//! cannot get a connection; an outage (refused, timed out) is not counted here. How often it happened is
//! the `DbBusy` metric.

use std::time::Duration;

use super::event_clock::EventClock;
use crate::metrics::{self, Event};

static LAST_REFUSAL: EventClock = EventClock::new();

pub(super) fn note() {
    LAST_REFUSAL.note();
    metrics::count(Event::DbBusy);
    tracing::warn!(
        total_refusals = metrics::total(Event::DbBusy),
        "database busy: no connection to spare (1040/1203)"
    );
}

/// Whether the database refused a connection for want of one within `window`.
pub fn refused_within(window: Duration) -> bool {
    LAST_REFUSAL.within(window)
}

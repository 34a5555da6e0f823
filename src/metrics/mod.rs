//! The app's own metrics, without an agent: counted in process (atomics, no allocation per request), then
//! written every `metrics.flush_interval_secs` as CloudWatch Embedded Metric Format records in the JSON
//! log stream ([`emf`]; the awslogs driver turns them into CloudWatch metrics), and, when
//! `metrics.prometheus_addr` is set, served as Prometheus text on that address ([`prometheus`]).
//! Every metric and its dimensions are documented in docs/operations.md.

pub mod emf;
pub mod prometheus;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// What kind of request, for per-route-class counts and latency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteClass {
    PublicPage,
    LeadPost,
    Admin,
    Health,
    Assets,
}

impl RouteClass {
    pub const ALL: [RouteClass; 5] = [
        RouteClass::PublicPage,
        RouteClass::LeadPost,
        RouteClass::Admin,
        RouteClass::Health,
        RouteClass::Assets,
    ];

    pub fn name(self) -> &'static str {
        match self {
            RouteClass::PublicPage => "public_page",
            RouteClass::LeadPost => "lead_post",
            RouteClass::Admin => "admin",
            RouteClass::Health => "health",
            RouteClass::Assets => "assets",
        }
    }

    /// The class of a request, from its method and path.
    pub fn of(method: &str, path: &str) -> RouteClass {
        if path.starts_with("/admin") {
            RouteClass::Admin
        } else if path == "/health.html" || path == "/readyz" {
            RouteClass::Health
        } else if path.starts_with("/assets/")
            || path == "/favicon.ico"
            || path == "/apple-touch-icon.png"
        {
            RouteClass::Assets
        } else if method == "POST" && (path == "/leads" || path == "/news") {
            RouteClass::LeadPost
        } else {
            RouteClass::PublicPage
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Things counted app-wide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    LeadsAccepted,
    LeadsRejected,
    LeadsRateLimited,
    LeadsNotStored,
    SignInFailures,
    SignInThrottled,
    DbUnavailable,
    DbConnectionLost,
    DbBusy,
    DbQueryErrors,
    CredentialRefreshes,
    LogLinesDropped,
    NotificationsSent,
    NotificationRetries,
    NotificationsFailed,
    JobRuns,
    JobFailures,
}

impl Event {
    pub const ALL: [Event; 17] = [
        Event::LeadsAccepted,
        Event::LeadsRejected,
        Event::LeadsRateLimited,
        Event::LeadsNotStored,
        Event::SignInFailures,
        Event::SignInThrottled,
        Event::DbUnavailable,
        Event::DbConnectionLost,
        Event::DbBusy,
        Event::DbQueryErrors,
        Event::CredentialRefreshes,
        Event::LogLinesDropped,
        Event::NotificationsSent,
        Event::NotificationRetries,
        Event::NotificationsFailed,
        Event::JobRuns,
        Event::JobFailures,
    ];

    /// The metric's name (CloudWatch; Prometheus adds a prefix and `_total`).
    pub fn name(self) -> &'static str {
        match self {
            Event::LeadsAccepted => "LeadsAccepted",
            Event::LeadsRejected => "LeadsRejected",
            Event::LeadsRateLimited => "LeadsRateLimited",
            Event::LeadsNotStored => "LeadsNotStored",
            Event::SignInFailures => "SignInFailures",
            Event::SignInThrottled => "SignInThrottled",
            Event::DbUnavailable => "DbUnavailable",
            Event::DbConnectionLost => "DbConnectionLost",
            Event::DbBusy => "DbBusy",
            Event::DbQueryErrors => "DbQueryErrors",
            Event::CredentialRefreshes => "CredentialRefreshes",
            Event::LogLinesDropped => "LogLinesDropped",
            Event::NotificationsSent => "NotificationsSent",
            Event::NotificationRetries => "NotificationRetries",
            Event::NotificationsFailed => "NotificationsFailed",
            Event::JobRuns => "JobRuns",
            Event::JobFailures => "JobFailures",
        }
    }
}

/// Upper bounds of the latency buckets in milliseconds; the last bucket takes everything above.
pub const LATENCY_BOUNDS_MS: [u64; 12] = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000];
const BUCKETS: usize = LATENCY_BOUNDS_MS.len() + 1;

/// A histogram as counted so far: the count per bucket, and the sum of the observations in µs.
pub type HistogramTotals = ([u64; BUCKETS], u64);
const CLASSES: usize = RouteClass::ALL.len();

/// A latency histogram: counts per bucket, plus the sum (µs) for means.
pub struct Histogram {
    buckets: [AtomicU64; BUCKETS],
    sum_micros: AtomicU64,
}

impl Histogram {
    const fn new() -> Self {
        Histogram {
            buckets: [const { AtomicU64::new(0) }; BUCKETS],
            sum_micros: AtomicU64::new(0),
        }
    }

    fn observe(&self, elapsed: Duration) {
        let ms = elapsed.as_millis() as u64;
        let at = LATENCY_BOUNDS_MS
            .iter()
            .position(|bound| ms < *bound)
            .unwrap_or(LATENCY_BOUNDS_MS.len());
        self.buckets[at].fetch_add(1, Ordering::Relaxed);
        self.sum_micros
            .fetch_add(elapsed.as_micros() as u64, Ordering::Relaxed);
    }

    /// Bucket counts and the sum, as counted since the process started.
    pub fn totals(&self) -> HistogramTotals {
        (
            std::array::from_fn(|i| self.buckets[i].load(Ordering::Relaxed)),
            self.sum_micros.load(Ordering::Relaxed),
        )
    }
}

/// Status classes counted per route class: 2xx, 3xx, 4xx, 5xx.
pub const STATUS_CLASSES: [&str; 4] = ["2xx", "3xx", "4xx", "5xx"];

struct Registry {
    requests: [[AtomicU64; 4]; CLASSES],
    latency: [Histogram; CLASSES],
    events: [AtomicU64; Event::ALL.len()],
    pool_wait: Histogram,
}

static REGISTRY: Registry = Registry {
    requests: [const { [const { AtomicU64::new(0) }; 4] }; CLASSES],
    latency: [const { Histogram::new() }; CLASSES],
    events: [const { AtomicU64::new(0) }; Event::ALL.len()],
    pool_wait: Histogram::new(),
};

/// One answered request.
pub fn record_request(class: RouteClass, status: u16, elapsed: Duration) {
    let status_class = match status {
        0..=299 => 0,
        300..=399 => 1,
        400..=499 => 2,
        _ => 3,
    };
    REGISTRY.requests[class.index()][status_class].fetch_add(1, Ordering::Relaxed);
    REGISTRY.latency[class.index()].observe(elapsed);
}

pub fn count(event: Event) {
    REGISTRY.events[event as usize].fetch_add(1, Ordering::Relaxed);
}

/// How often `event` happened since the process started.
pub fn total(event: Event) -> u64 {
    REGISTRY.events[event as usize].load(Ordering::Relaxed)
}

/// How long a request waited for a database connection.
pub fn observe_pool_wait(waited: Duration) {
    REGISTRY.pool_wait.observe(waited);
}

/// Everything counted since the process started, plus the gauges read now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Totals {
    pub requests: [[u64; 4]; CLASSES],
    pub latency: [HistogramTotals; CLASSES],
    pub events: [u64; Event::ALL.len()],
    pub pool_wait: HistogramTotals,
    pub pool: PoolGauges,
}

/// The database pool as it is at the moment of reading.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolGauges {
    pub in_use: u64,
    pub size: u64,
    pub max: u64,
}

pub fn totals(pool: PoolGauges) -> Totals {
    Totals {
        requests: std::array::from_fn(|c| {
            std::array::from_fn(|s| REGISTRY.requests[c][s].load(Ordering::Relaxed))
        }),
        latency: std::array::from_fn(|c| REGISTRY.latency[c].totals()),
        events: std::array::from_fn(|e| REGISTRY.events[e].load(Ordering::Relaxed)),
        pool_wait: REGISTRY.pool_wait.totals(),
        pool,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_classed_by_path_and_method() {
        assert_eq!(RouteClass::of("GET", "/"), RouteClass::PublicPage);
        assert_eq!(RouteClass::of("POST", "/leads"), RouteClass::LeadPost);
        assert_eq!(RouteClass::of("GET", "/leads"), RouteClass::PublicPage);
        assert_eq!(RouteClass::of("GET", "/admin/leads"), RouteClass::Admin);
        assert_eq!(RouteClass::of("GET", "/health.html"), RouteClass::Health);
        assert_eq!(
            RouteClass::of("GET", "/assets/css/site.1a.css"),
            RouteClass::Assets
        );
    }

    #[test]
    fn latency_lands_in_the_first_bucket_above_it() {
        let h = Histogram::new();
        h.observe(Duration::from_micros(500));
        h.observe(Duration::from_millis(7));
        h.observe(Duration::from_secs(9));
        let (buckets, sum) = h.totals();
        assert_eq!(buckets[0], 1, "< 1 ms");
        assert_eq!(buckets[3], 1, "5–10 ms");
        assert_eq!(buckets[BUCKETS - 1], 1, "over 5 s");
        assert_eq!(sum, 500 + 7_000 + 9_000_000);
    }
}

//! A per-client token bucket, in memory of each task: cheap, and enough to stop one client hammering the
//! form. Limits come from config so benchmarks can raise them.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

/// Buckets kept before full (idle) ones are dropped; bounds memory under an address-spraying flood.
const MAX_TRACKED_CLIENTS: usize = 50_000;

pub struct RateLimiter {
    per_minute: f64,
    burst: f64,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

#[derive(Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl RateLimiter {
    pub fn new(per_minute: u32, burst: u32) -> Self {
        Self {
            per_minute: f64::from(per_minute.max(1)),
            burst: f64::from(burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `client`; `Err(seconds)` says how long until the next one.
    pub fn check(&self, client: IpAddr) -> Result<(), u64> {
        self.check_at(client, Instant::now())
    }

    fn check_at(&self, client: IpAddr, now: Instant) -> Result<(), u64> {
        let refill_per_sec = self.per_minute / 60.0;
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if buckets.len() >= MAX_TRACKED_CLIENTS {
            let burst = self.burst;
            buckets.retain(|_, b| {
                b.tokens + now.duration_since(b.updated).as_secs_f64() * refill_per_sec < burst
            });
        }
        let bucket = buckets.entry(client).or_insert(Bucket {
            tokens: self.burst,
            updated: now,
        });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * refill_per_sec).min(self.burst);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - bucket.tokens) / refill_per_sec).ceil() as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_client_gets_its_burst_then_waits_for_the_refill() {
        let limiter = RateLimiter::new(6, 2);
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let t0 = Instant::now();
        assert!(limiter.check_at(ip, t0).is_ok());
        assert!(limiter.check_at(ip, t0).is_ok());
        assert_eq!(limiter.check_at(ip, t0), Err(10));
        assert!(limiter.check_at(ip, t0 + Duration::from_secs(10)).is_ok());
    }

    #[test]
    fn clients_do_not_share_a_bucket() {
        let limiter = RateLimiter::new(1, 1);
        let t0 = Instant::now();
        assert!(limiter.check_at("192.0.2.1".parse().unwrap(), t0).is_ok());
        assert!(limiter.check_at("192.0.2.2".parse().unwrap(), t0).is_ok());
    }
}

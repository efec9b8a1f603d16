//! Rate limits of the REST API, per node and in memory (a token bucket per key): per token,
//! per client address, and a much lower one per address for requests without a valid token,
//! so that guessing tokens or flooding the portal from one machine is cut off early while a
//! mail gateway's legitimate tens of thousands of decisions per second pass. Limits are per
//! node: behind a load balancer the cluster admits the node count times as much.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Requests per second and the burst a bucket can hold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub per_second: f64,
    pub burst: f64,
}

impl Rate {
    pub fn per_second(n: u32) -> Rate {
        Rate {
            per_second: n as f64,
            burst: (2 * n).max(1) as f64,
        }
    }
}

/// The API's limits (environment: `API_RATE_PER_TOKEN`, `API_RATE_PER_IP`,
/// `API_RATE_UNAUTHENTICATED_PER_IP`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ApiRates {
    pub per_token: Rate,
    pub per_ip: Rate,
    pub unauthenticated_per_ip: Rate,
}

impl Default for ApiRates {
    fn default() -> Self {
        ApiRates {
            per_token: Rate::per_second(50_000),
            per_ip: Rate::per_second(100_000),
            unauthenticated_per_ip: Rate::per_second(10),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Pure bucket arithmetic: refills since `at`, then takes one if it can.
fn take(bucket: &mut Bucket, rate: Rate, now: Instant) -> bool {
    let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
    bucket.tokens = (bucket.tokens + elapsed * rate.per_second).min(rate.burst);
    bucket.at = now;
    if bucket.tokens >= 1.0 {
        bucket.tokens -= 1.0;
        true
    } else {
        false
    }
}

/// Most keys a limiter keeps; when full it starts afresh (a flood of new keys cannot grow
/// memory, and a reset only ever lets requests through).
const MAX_KEYS: usize = 100_000;

#[derive(Clone, Default)]
pub struct RateLimiter {
    buckets: Arc<Mutex<HashMap<String, Bucket>>>,
}

impl RateLimiter {
    /// Whether one more request under `key` is allowed now.
    pub fn allow(&self, key: &str, rate: Rate) -> bool {
        self.allow_at(key, rate, Instant::now())
    }

    fn allow_at(&self, key: &str, rate: Rate, now: Instant) -> bool {
        let mut buckets = self.buckets.lock().expect("rate limiter lock");
        if buckets.len() >= MAX_KEYS && !buckets.contains_key(key) {
            buckets.clear();
        }
        let bucket = buckets.entry(key.to_owned()).or_insert(Bucket {
            tokens: rate.burst,
            at: now,
        });
        take(bucket, rate, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_bucket_lets_its_burst_through_then_refills_at_its_rate() {
        let limiter = RateLimiter::default();
        let rate = Rate {
            per_second: 2.0,
            burst: 3.0,
        };
        let t0 = Instant::now();
        let allowed = (0..5)
            .filter(|_| limiter.allow_at("ip:1", rate, t0))
            .count();
        assert_eq!(allowed, 3);
        // Half a second later one more token has been refilled.
        assert!(limiter.allow_at("ip:1", rate, t0 + Duration::from_millis(500)));
        assert!(!limiter.allow_at("ip:1", rate, t0 + Duration::from_millis(500)));
        // Other keys are independent.
        assert!(limiter.allow_at("ip:2", rate, t0));
    }
}

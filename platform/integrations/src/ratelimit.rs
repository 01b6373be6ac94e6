//! Rate limits: a token bucket per API key and per user, sized by the tenant's plan
//! (`rate_limit_per_minute` requests, refilled continuously). Answers carry
//! `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`; an empty bucket is a
//! 429 with `Retry-After`. Buckets live in each server instance.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// The state of one bucket after a request, for the response headers.
#[derive(Clone, Copy, Debug)]
pub struct RateLimitInfo {
    pub limit: u32,
    pub remaining: u32,
    /// Seconds until the bucket is full again.
    pub reset_seconds: u64,
    /// Seconds until one more request is allowed (when refused).
    pub retry_after_seconds: u64,
}

struct Bucket {
    tokens: f64,
    updated: Instant,
}

#[derive(Default)]
pub struct Limiter {
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl Limiter {
    /// Takes one token from `key`'s bucket of `per_minute`; `Err` when it is empty.
    pub fn take(&self, key: &str, per_minute: u32) -> Result<RateLimitInfo, RateLimitInfo> {
        let capacity = f64::from(per_minute.max(1));
        let per_second = capacity / 60.0;
        let now = Instant::now();
        let Ok(mut buckets) = self.buckets.lock() else {
            return Ok(RateLimitInfo {
                limit: per_minute,
                remaining: per_minute,
                reset_seconds: 0,
                retry_after_seconds: 0,
            });
        };
        if buckets.len() > 100_000 {
            // Full buckets carry no state worth keeping.
            buckets.retain(|_, b| b.tokens + now.duration_since(b.updated).as_secs_f64() * per_second < capacity);
        }
        let bucket = buckets.entry(key.to_owned()).or_insert(Bucket { tokens: capacity, updated: now });
        bucket.tokens = (bucket.tokens + now.duration_since(bucket.updated).as_secs_f64() * per_second).min(capacity);
        bucket.updated = now;
        let allowed = bucket.tokens >= 1.0;
        if allowed {
            bucket.tokens -= 1.0;
        }
        let info = RateLimitInfo {
            limit: per_minute,
            remaining: bucket.tokens.floor() as u32,
            reset_seconds: ((capacity - bucket.tokens) / per_second).ceil() as u64,
            retry_after_seconds: if allowed { 0 } else { ((1.0 - bucket.tokens) / per_second).ceil().max(1.0) as u64 },
        };
        if allowed { Ok(info) } else { Err(info) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_empties_and_others_are_independent() {
        let limiter = Limiter::default();
        for i in 0..3 {
            let info = limiter.take("a", 3).unwrap();
            assert_eq!(info.remaining, 2 - i);
        }
        let refused = limiter.take("a", 3).unwrap_err();
        assert!(refused.retry_after_seconds >= 1 && refused.retry_after_seconds <= 20);
        assert!(limiter.take("b", 3).is_ok());
    }
}

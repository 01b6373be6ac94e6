//! Sign-in throttling: failed attempts are counted per account and per client address
//! in a fixed window; past the limit, attempts are refused (429) until the window ends,
//! whether or not the password would have been right. Per server instance. Every password
//! check goes through it, by [`crate::credentials::verify_password_throttled`].

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The two throttles of sign-in.
pub struct SignInThrottle {
    pub accounts: Throttle,
    pub addresses: Throttle,
    /// Password-reset requests per e-mail (every request counts, found or not).
    pub resets: Throttle,
    /// Password-reset requests per client address.
    pub resets_by_address: Throttle,
}

impl Default for SignInThrottle {
    /// 10 failed sign-ins per account, or 50 per client address, in 15 minutes; 5 password
    /// resets asked per e-mail, 50 per address.
    fn default() -> Self {
        let window = Duration::from_secs(15 * 60);
        Self {
            accounts: Throttle::new(window, 10),
            addresses: Throttle::new(window, 50),
            resets: Throttle::new(window, 5),
            resets_by_address: Throttle::new(window, 50),
        }
    }
}

pub struct Throttle {
    window: Duration,
    max_failures: u32,
    entries: Mutex<HashMap<String, (Instant, u32)>>,
}

impl Throttle {
    pub fn new(window: Duration, max_failures: u32) -> Self {
        Self { window, max_failures, entries: Mutex::new(HashMap::new()) }
    }

    /// `Err(seconds to wait)` when `key` has failed too often in the current window.
    pub fn check(&self, key: &str) -> Result<(), u64> {
        let Ok(entries) = self.entries.lock() else { return Ok(()) };
        match entries.get(key) {
            Some((start, count)) if *count >= self.max_failures && start.elapsed() < self.window => {
                Err((self.window - start.elapsed()).as_secs().max(1))
            }
            _ => Ok(()),
        }
    }

    /// Counts an attempt for `key` as failed *before* it is checked, so concurrent attempts
    /// cannot all slip under the limit; [`Self::forgive`] takes it back when it succeeds.
    /// `Err(seconds to wait)` when `key` has failed too often in the current window.
    pub fn take(&self, key: &str) -> Result<(), u64> {
        let Ok(mut entries) = self.entries.lock() else { return Ok(()) };
        if entries.len() > 100_000 {
            entries.retain(|_, (start, _)| start.elapsed() < self.window);
        }
        let entry = entries.entry(key.to_owned()).or_insert((Instant::now(), 0));
        if entry.0.elapsed() >= self.window {
            *entry = (Instant::now(), 0);
        }
        if entry.1 >= self.max_failures {
            return Err((self.window.saturating_sub(entry.0.elapsed())).as_secs().max(1));
        }
        entry.1 += 1;
        Ok(())
    }

    /// Takes back one attempt counted by [`Self::take`].
    pub fn forgive(&self, key: &str) {
        if let Ok(mut entries) = self.entries.lock()
            && let Some(entry) = entries.get_mut(key)
        {
            entry.1 = entry.1.saturating_sub(1);
        }
    }

    pub fn fail(&self, key: &str) {
        let Ok(mut entries) = self.entries.lock() else { return };
        if entries.len() > 100_000 {
            entries.retain(|_, (start, _)| start.elapsed() < self.window);
        }
        let entry = entries.entry(key.to_owned()).or_insert((Instant::now(), 0));
        if entry.0.elapsed() >= self.window {
            *entry = (Instant::now(), 0);
        }
        entry.1 += 1;
    }

    pub fn reset(&self, key: &str) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_after_max_failures_until_the_window_ends() {
        let t = Throttle::new(Duration::from_millis(200), 2);
        assert!(t.check("a").is_ok());
        t.fail("a");
        t.fail("a");
        assert!(t.check("a").is_err());
        assert!(t.check("b").is_ok(), "keys are independent");
        std::thread::sleep(Duration::from_millis(250));
        assert!(t.check("a").is_ok());
        t.fail("a");
        t.reset("a");
        assert!(t.check("a").is_ok());
    }

    #[test]
    fn take_counts_before_the_check_and_forgive_takes_it_back() {
        let t = Throttle::new(Duration::from_secs(60), 2);
        assert!(t.take("a").is_ok());
        assert!(t.take("a").is_ok());
        assert!(t.take("a").is_err(), "a third concurrent attempt is refused");
        t.forgive("a");
        assert!(t.take("a").is_ok());
        assert!(t.take("b").is_ok(), "keys are independent");
    }
}

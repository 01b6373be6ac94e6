//! Sign-in throttling: failed attempts are counted per account and per client address
//! in a fixed window; past the limit, attempts are refused (429) until the window ends,
//! whether or not the password would have been right. Per server instance.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The two throttles of sign-in.
pub struct SignInThrottle {
    pub accounts: Throttle,
    pub addresses: Throttle,
}

impl Default for SignInThrottle {
    /// 10 failed sign-ins per account, or 50 per client address, in 15 minutes.
    fn default() -> Self {
        let window = Duration::from_secs(15 * 60);
        Self { accounts: Throttle::new(window, 10), addresses: Throttle::new(window, 50) }
    }
}

/// The throttle's keys for one attempt: the account (by e-mail, whatever tenant the
/// attempt names) and the client address.
pub struct AttemptKeys {
    account: String,
    address: String,
}

impl SignInThrottle {
    pub fn keys(&self, email: &str, client_ip: Option<&str>) -> AttemptKeys {
        AttemptKeys {
            account: format!("acct:{}", email.trim().to_lowercase()),
            address: format!("ip:{}", client_ip.unwrap_or_default()),
        }
    }

    /// `Err(seconds to wait)` when the account or the address failed too often.
    pub fn check(&self, keys: &AttemptKeys) -> Result<(), u64> {
        self.accounts.check(&keys.account)?;
        self.addresses.check(&keys.address)
    }

    /// A wrong password: counts against both.
    pub fn fail(&self, keys: &AttemptKeys) {
        self.accounts.fail(&keys.account);
        self.addresses.fail(&keys.address);
    }

    /// The right password: the account's count starts over.
    pub fn succeed(&self, keys: &AttemptKeys) {
        self.accounts.reset(&keys.account);
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
}

//! Passwords: every check of a password against an account — sign-in, signup with an
//! e-mail that has an account, accepting an invitation, a customer's registration — goes
//! through [`verify_password_throttled`], so each one is throttled by the sign-in throttle
//! and answers exactly like a failed sign-in. argon2 runs on the blocking pool, never on
//! the request workers (one hash takes tens of milliseconds of CPU).

use atrium_core::auth;
use atrium_core::secret::Secret;

use crate::error::{Result, TenantsError};
use crate::throttle::SignInThrottle;

/// Who is proving a password: the e-mail it is for (the throttle's account key — never the
/// tenant the attempt names, which the client chooses) and where the attempt comes from.
#[derive(Clone, Copy, Debug)]
pub struct PasswordAttempt<'a> {
    /// As the client sent it; trimmed and lower-cased here.
    pub email: &'a str,
    /// The resolved client address (`atrium_core::client::client_ip`).
    pub client_ip: Option<&'a str>,
}

impl PasswordAttempt<'_> {
    fn account_key(&self) -> String {
        format!("acct:{}", self.email.trim().to_lowercase())
    }

    fn address_key(&self) -> String {
        format!("ip:{}", self.client_ip.unwrap_or_default())
    }
}

/// Checks `password` against `stored_hash` (the account's; `None` when the e-mail has no
/// account, which is checked against a dummy hash at the same cost and always fails).
///
/// - `Err(Throttled(seconds))` (429 with `Retry-After`) when the e-mail has failed 10 times
///   or the address 50 times in 15 minutes; the password is then not checked at all;
/// - `Err(InvalidCredentials)` (401, the failed sign-in's answer) when it is wrong; the
///   failure counts for the e-mail and for the address;
/// - `Ok(())` when it is right: the e-mail's failures are forgotten.
pub async fn verify_password_throttled(
    throttle: &SignInThrottle,
    attempt: PasswordAttempt<'_>,
    password: &Secret,
    stored_hash: Option<&str>,
) -> Result<()> {
    let (account, address) = (attempt.account_key(), attempt.address_key());
    // Counted before the check, so concurrent guesses cannot all pass under the limit.
    throttle.accounts.take(&account).map_err(TenantsError::Throttled)?;
    if let Err(wait) = throttle.addresses.take(&address) {
        throttle.accounts.forgive(&account);
        return Err(TenantsError::Throttled(wait));
    }
    let hash = stored_hash.unwrap_or(auth::dummy_password_hash()).to_owned();
    let password = password.clone();
    // Always verified, also against the dummy hash: an unknown e-mail costs the same.
    let matches = off_worker(move || auth::verify_password(&password, &hash)).await?;
    if matches && stored_hash.is_some() {
        throttle.accounts.reset(&account);
        throttle.addresses.forgive(&address);
        Ok(())
    } else {
        Err(TenantsError::InvalidCredentials)
    }
}

/// Hashes a new password (argon2id) on the blocking pool.
pub async fn hash_password(password: &Secret) -> Result<String> {
    let password = password.clone();
    off_worker(move || auth::hash_password(&password)).await?.map_err(|e| TenantsError::Hashing(e.to_string()))
}

/// Runs `work` on the blocking pool: a request worker is a single thread serving many
/// connections, and argon2 would stall them all.
async fn off_worker<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    actix_web::web::block(work).await.map_err(|e| TenantsError::Hashing(e.to_string()))
}

//! Authentication primitives: access tokens (JWT), password hashing (argon2id), and
//! opaque secrets (refresh tokens, invitation tokens) stored only as SHA-256 hashes.

use std::collections::HashMap;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ids::{TenantId, UserId};
use crate::secret::Secret;

/// The claims of an access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub aud: String,
    /// The user.
    pub sub: UserId,
    /// The tenant the token is good for.
    pub tid: TenantId,
    pub exp: u64,
    pub iat: u64,
    pub jti: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("token is malformed")]
    Malformed,
    #[error("token header has no kid, or an unknown one")]
    UnknownKey,
    #[error("token is not valid: {0}")]
    Invalid(String),
}

/// HS256 keys by `kid`; one of them signs, all of them verify (rotation).
#[derive(Clone)]
pub struct TokenKeys {
    active_kid: String,
    keys: HashMap<String, Secret>,
    issuer: String,
    audience: String,
    ttl_seconds: u64,
    refresh_ttl_seconds: u64,
}

impl TokenKeys {
    pub fn new(
        active_kid: impl Into<String>,
        keys: HashMap<String, Secret>,
        issuer: impl Into<String>,
        audience: impl Into<String>,
        ttl_seconds: u64,
        refresh_ttl_seconds: u64,
    ) -> Self {
        Self {
            active_kid: active_kid.into(),
            keys,
            issuer: issuer.into(),
            audience: audience.into(),
            ttl_seconds,
            refresh_ttl_seconds,
        }
    }

    /// Lifetime of access tokens.
    pub fn ttl_seconds(&self) -> u64 {
        self.ttl_seconds
    }

    /// Lifetime of refresh tokens.
    pub fn refresh_ttl_seconds(&self) -> u64 {
        self.refresh_ttl_seconds
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn audience(&self) -> &str {
        &self.audience
    }

    /// Signs an access token for `user` in `tenant`.
    pub fn issue(&self, user: UserId, tenant: TenantId) -> Result<String, TokenError> {
        let key = self.keys.get(&self.active_kid).ok_or(TokenError::UnknownKey)?;
        let now = jsonwebtoken::get_current_timestamp();
        let claims = AccessClaims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: user,
            tid: tenant,
            exp: now + self.ttl_seconds,
            iat: now,
            jti: uuid::Uuid::now_v7().to_string(),
        };
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.active_kid.clone());
        jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(key.expose().as_bytes()))
            .map_err(|e| TokenError::Invalid(e.to_string()))
    }

    /// Verifies signature (HS256 only: `alg` is pinned, `none` never passes), `kid`,
    /// and the required `exp`, `iss` and `aud` claims.
    pub fn verify(&self, token: &str) -> Result<AccessClaims, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Malformed)?;
        let kid = header.kid.ok_or(TokenError::UnknownKey)?;
        let key = self.keys.get(&kid).ok_or(TokenError::UnknownKey)?;
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 5;
        jsonwebtoken::decode::<AccessClaims>(token, &DecodingKey::from_secret(key.expose().as_bytes()), &validation)
            .map(|data| data.claims)
            .map_err(|e| TokenError::Invalid(e.to_string()))
    }
}

/// Hashes a password with argon2id and a random salt (PHC string).
pub fn hash_password(password: &Secret) -> Result<String, argon2::password_hash::Error> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt)?;
    Ok(argon2::Argon2::default().hash_password(password.expose().as_bytes(), &salt)?.to_string())
}

pub fn verify_password(password: &Secret, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| argon2::Argon2::default().verify_password(password.expose().as_bytes(), &parsed).is_ok())
        .unwrap_or(false)
}

/// A hash to compare against when the account does not exist, so a login for an unknown
/// email costs as much as one for a known email (no timing oracle).
pub fn dummy_password_hash() -> &'static str {
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Mz2E6jJQf7J9w4m0Jx1mQ5q3d9yQ2Y8w7C4l5s2b1vA"
}

/// `bytes` of randomness, base64url without padding.
pub fn random_secret(bytes: usize) -> Secret {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    Secret::new(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf))
}

/// SHA-256, hex: how opaque tokens are stored and looked up.
/// Whether `a` and `b` are equal, in time that depends only on their lengths (for secrets
/// and digests a caller presents: no early exit at the first differing byte).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub fn sha256_hex(value: &str) -> String {
    format!("{:x}", Sha256::digest(value.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> TokenKeys {
        let map = HashMap::from([("k1".to_owned(), Secret::new("0123456789abcdef0123456789abcdef"))]);
        TokenKeys::new("k1", map, "atrium", "atrium-api", 900, 3600)
    }

    #[test]
    fn issued_tokens_verify() {
        let k = keys();
        let (user, tenant) = (UserId::new(), TenantId::new());
        let claims = k.verify(&k.issue(user, tenant).unwrap()).unwrap();
        assert_eq!((claims.sub, claims.tid), (user, tenant));
        assert_eq!(claims.exp - claims.iat, 900);
    }

    #[test]
    fn tampered_or_foreign_tokens_fail() {
        let k = keys();
        let token = k.issue(UserId::new(), TenantId::new()).unwrap();
        let mut parts: Vec<&str> = token.split('.').collect();
        let sig = "AAAA".repeat(10);
        parts[2] = &sig;
        assert!(k.verify(&parts.join(".")).is_err());

        let other = TokenKeys::new(
            "k1",
            HashMap::from([("k1".into(), Secret::new("x".repeat(32)))]),
            "atrium",
            "atrium-api",
            900,
            3600,
        );
        assert!(k.verify(&other.issue(UserId::new(), TenantId::new()).unwrap()).is_err());

        let wrong_aud = TokenKeys::new("k1", k.keys.clone(), "atrium", "someone-else", 900, 3600);
        assert!(k.verify(&wrong_aud.issue(UserId::new(), TenantId::new()).unwrap()).is_err());
    }

    #[test]
    fn passwords_hash_and_verify() {
        let hash = hash_password(&Secret::new("correct horse")).unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password(&Secret::new("correct horse"), &hash));
        assert!(!verify_password(&Secret::new("wrong"), &hash));
        assert!(!verify_password(&Secret::new("x"), dummy_password_hash()));
    }
}

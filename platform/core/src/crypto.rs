//! Encryption at rest for values the server must read back (stored idempotent responses,
//! webhook signing secrets): ChaCha20-Poly1305, random nonces, base64 text.
//!
//! [`Keyring`] seals with the deployment's own encryption keys (`ATRIUM_ENCRYPTION_KEYS`,
//! current first), each value tagged with the id of the key that sealed it: `v2.<kid>.<b64>`.
//! It opens with any key of the ring, and tells when a value was not sealed with the
//! current key, so the caller can re-seal it (rotation). [`Sealer`] is the format before
//! keyrings (a key derived from a JWT signing secret, untagged base64): a keyring opens
//! such values with the legacy sealers it is given, and never seals so.

use crate::secret::Secret;
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use rand::RngCore;
use sha2::{Digest, Sha256};

pub struct Sealer {
    cipher: ChaCha20Poly1305,
}

impl Sealer {
    pub fn new(secret: &Secret, purpose: &str) -> Self {
        let key = Sha256::digest(format!("atrium {purpose} v1:{}", secret.expose()).as_bytes());
        Self { cipher: ChaCha20Poly1305::new(&key) }
    }

    pub fn seal(&self, plain: &[u8]) -> Option<String> {
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        let mut out = nonce.to_vec();
        out.extend(self.cipher.encrypt(&Nonce::from(nonce), plain).ok()?);
        Some(base64::engine::general_purpose::STANDARD.encode(out))
    }

    pub fn open(&self, sealed: &str) -> Option<Vec<u8>> {
        let bytes = base64::engine::general_purpose::STANDARD.decode(sealed).ok()?;
        let (nonce, cipher) = bytes.split_at_checked(12)?;
        let nonce: [u8; 12] = nonce.try_into().ok()?;
        self.cipher.decrypt(&Nonce::from(nonce), cipher).ok()
    }
}

/// The prefix of values sealed by a [`Keyring`].
const V2: &str = "v2.";

/// The deployment's encryption keys for one purpose, the current one first.
pub struct Keyring {
    keys: Vec<(String, ChaCha20Poly1305)>,
    legacy: Vec<Sealer>,
}

/// A value a [`Keyring`] opened.
pub struct Opened {
    pub plain: Vec<u8>,
    /// Sealed with the current key: `false` means it should be sealed again.
    pub current: bool,
}

impl Keyring {
    /// `keys` current first; each key's cipher is derived from it and `purpose`, so one
    /// keyring's values do not open as another purpose's.
    pub fn new(keys: &[Secret], purpose: &str) -> Self {
        let keys = keys
            .iter()
            .map(|k| {
                let derived = Sha256::digest(format!("atrium {purpose} v2:{}", k.expose()).as_bytes());
                (Self::kid(k), ChaCha20Poly1305::new(&derived))
            })
            .collect();
        Self { keys, legacy: Vec::new() }
    }

    /// Also opens values of the format before keyrings, sealed by these.
    pub fn with_legacy(mut self, legacy: Vec<Sealer>) -> Self {
        self.legacy = legacy;
        self
    }

    /// A key's public id: a hash of it, short, not enough to guess it by.
    pub fn kid(key: &Secret) -> String {
        crate::auth::sha256_hex(&format!("atrium encryption key id:{}", key.expose()))[..12].to_owned()
    }

    /// Seals with the current key; `None` without a key.
    pub fn seal(&self, plain: &[u8]) -> Option<String> {
        let (kid, cipher) = self.keys.first()?;
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        let mut out = nonce.to_vec();
        out.extend(cipher.encrypt(&Nonce::from(nonce), plain).ok()?);
        Some(format!("{V2}{kid}.{}", base64::engine::general_purpose::STANDARD.encode(out)))
    }

    /// Opens `sealed` with the key that sealed it (or a legacy sealer); `None` when no
    /// key of the ring opens it.
    pub fn open(&self, sealed: &str) -> Option<Opened> {
        let Some(rest) = sealed.strip_prefix(V2) else {
            let plain = self.legacy.iter().find_map(|l| l.open(sealed))?;
            return Some(Opened { plain, current: false });
        };
        let (kid, body) = rest.split_once('.')?;
        let bytes = base64::engine::general_purpose::STANDARD.decode(body).ok()?;
        let (nonce, cipher) = bytes.split_at_checked(12)?;
        let nonce = Nonce::from(<[u8; 12]>::try_from(nonce).ok()?);
        let (index, (_, key)) = self.keys.iter().enumerate().find(|(_, (k, _))| k == kid)?;
        let plain = key.decrypt(&nonce, cipher).ok()?;
        Some(Opened { plain, current: index == 0 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_the_same_key_and_purpose() {
        let a = Sealer::new(&Secret::new("k".repeat(32)), "x");
        let sealed = a.seal(b"hello").unwrap();
        assert_eq!(a.open(&sealed).unwrap(), b"hello");
        assert!(Sealer::new(&Secret::new("k".repeat(32)), "y").open(&sealed).is_none());
        assert!(a.open("garbage").is_none());
    }

    fn key(s: &str) -> Secret {
        Secret::new(s.repeat(32))
    }

    #[test]
    fn a_keyring_opens_with_any_of_its_keys_and_tells_when_to_reseal() {
        let old = Keyring::new(&[key("a")], "x");
        let sealed = old.seal(b"hello").unwrap();
        assert!(sealed.starts_with("v2."));
        let opened = old.open(&sealed).unwrap();
        assert_eq!((opened.plain.as_slice(), opened.current), (&b"hello"[..], true));
        // Rotated: the new key first, the old one still opens (and asks for a re-seal).
        let rotated = Keyring::new(&[key("b"), key("a")], "x");
        let opened = rotated.open(&sealed).unwrap();
        assert_eq!((opened.plain.as_slice(), opened.current), (&b"hello"[..], false));
        let resealed = rotated.seal(&opened.plain).unwrap();
        assert!(Keyring::new(&[key("b")], "x").open(&resealed).unwrap().current);
        // Without its key, or for another purpose, it does not open.
        assert!(Keyring::new(&[key("b")], "x").open(&sealed).is_none());
        assert!(Keyring::new(&[key("a")], "y").open(&sealed).is_none());
        assert!(Keyring::new(&[], "x").seal(b"x").is_none());
        // Values of the format before keyrings open through the legacy sealers.
        let legacy = Sealer::new(&key("j"), "x").seal(b"legacy").unwrap();
        let ring = Keyring::new(&[key("b")], "x").with_legacy(vec![Sealer::new(&key("j"), "x")]);
        let opened = ring.open(&legacy).unwrap();
        assert_eq!((opened.plain.as_slice(), opened.current), (&b"legacy"[..], false));
        assert!(Keyring::new(&[key("b")], "x").open(&legacy).is_none());
    }
}

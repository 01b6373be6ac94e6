//! Encryption at rest for values the server must read back (stored idempotent responses,
//! webhook signing secrets): ChaCha20-Poly1305 with a key derived from the server's
//! active signing secret and a purpose, random nonces, base64 text.

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
}

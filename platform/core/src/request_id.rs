//! The request id: taken from a well-formed `X-Request-Id` header or minted as a UUIDv7,
//! echoed on every response and quoted in every problem body.
//!
//! The server's outermost middleware runs the whole request inside [`scope`], so code
//! anywhere below it (error rendering included) can read it with [`current`] without
//! threading it through every signature.

use std::fmt;
use std::future::Future;

pub const HEADER: &str = "x-request-id";

/// Longest id accepted from a client; longer or odd ones are replaced, not echoed.
const MAX_LEN: usize = 128;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestId(String);

impl RequestId {
    pub fn new() -> Self {
        Self(uuid::Uuid::now_v7().to_string())
    }

    /// Accepts a client-supplied id only if it is short and made of safe characters,
    /// so it can be logged and echoed without escaping.
    pub fn from_client(value: &str) -> Option<Self> {
        let ok = !value.is_empty()
            && value.len() <= MAX_LEN
            && value.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
        ok.then(|| Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for RequestId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

tokio::task_local! {
    static CURRENT: RequestId;
}

/// Runs `fut` with `id` as the current request id.
pub async fn scope<F: Future>(id: RequestId, fut: F) -> F::Output {
    CURRENT.scope(id, fut).await
}

/// The id of the request being served, if called inside [`scope`].
pub fn current() -> Option<RequestId> {
    CURRENT.try_with(Clone::clone).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ids_are_accepted_only_when_safe() {
        assert!(RequestId::from_client("abc-123_x.y:z").is_some());
        assert!(RequestId::from_client("").is_none());
        assert!(RequestId::from_client("has space").is_none());
        assert!(RequestId::from_client("new\nline").is_none());
        assert!(RequestId::from_client(&"a".repeat(129)).is_none());
    }

    #[tokio::test]
    async fn current_is_set_only_inside_scope() {
        assert!(current().is_none());
        let id = RequestId::new();
        let seen = scope(id.clone(), async { current() }).await;
        assert_eq!(seen, Some(id));
    }
}

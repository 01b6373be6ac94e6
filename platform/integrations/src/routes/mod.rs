//! HTTP handlers: extract, authorize, call the domain module, map to a response.

pub mod api_keys;
pub mod webhooks;

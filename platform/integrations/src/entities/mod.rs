//! sea-orm models of the integrations module's tables, one per table. Handlers never
//! return these: responses are DTOs (see `views`).

pub mod api_keys;
pub mod idempotency_keys;
pub mod webhook_attempts;
pub mod webhook_deliveries;
pub mod webhook_endpoints;

//! Every query of the integrations module. Tenant-owned rows are always read and written
//! in a [`TenantTx`](atrium_core::db::TenantTx) and filtered by its tenant; the only
//! exceptions are the worker's claims (see [`outbox`]), which lease rows of every tenant.

pub mod api_keys;
pub mod idempotency_keys;
pub mod outbox;
pub mod retention;
pub mod webhooks;

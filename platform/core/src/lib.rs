//! atrium-core: what every Atrium plugin may use.
//!
//! It knows no domain. It owns the one public error type ([`error::ApiError`]), the
//! request id every response carries ([`request_id`]), the contract a plugin implements
//! to be compiled into the server ([`plugin::DomainPlugin`]), the request context and
//! tenant-scoped data access every handler goes through ([`context`], [`db`]), the audit
//! log ([`audit`]), and the authentication primitives ([`auth`]).

pub mod audit;
pub mod auth;
pub mod booking_ext;
pub mod client;
pub mod context;
pub mod crypto;
pub mod db;
pub mod error;
pub mod events;
pub mod extract;
pub mod http;
pub mod ics;
pub mod ids;
pub mod jobs;
pub mod json;
pub mod mail;
pub mod plugin;
pub mod request_id;
pub mod schedule;
pub mod secret;
pub mod validate;

//! atrium-core: what every Atrium plugin may use.
//!
//! It knows no domain. It owns the one public error type ([`error::ApiError`]), the
//! request id every response carries ([`request_id`]), and the contract a plugin
//! implements to be compiled into the server ([`plugin::DomainPlugin`]).

pub mod error;
pub mod extract;
pub mod plugin;
pub mod request_id;
pub mod secret;

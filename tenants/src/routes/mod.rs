//! HTTP handlers: extract, authorize, call the service, map to a response.

pub mod audit;
pub mod auth;
pub mod customers;
pub mod locations;
pub mod me;
pub mod members;
pub mod roles;
pub mod tenant;

/// The security requirement of every authenticated route: a JWT or an API key.
pub const AUTHENTICATED: &str = "bearer_jwt";

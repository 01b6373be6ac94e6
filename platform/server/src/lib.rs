//! atrium-server: the `atrium` binary as a library, so tests start the real server
//! in-process ([`app::Application`]) exactly as `atrium serve` does.

pub mod app;
pub mod authn;
pub mod authz;
pub mod cli;
pub mod commands;
pub mod config;
pub mod db;
pub mod encryption_keys;
pub mod jobs;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod plugins;
pub mod routes;
pub mod signing_keys;
pub mod state;
pub mod telemetry;

pub use app::Application;
pub use config::Config;
pub use plugins::PluginRegistry;

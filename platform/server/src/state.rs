//! What the kernel's own handlers share (the operational routes, the spec, the fallback).

use std::sync::Arc;

use atrium_migrations::Migrator;
use sea_orm::DatabaseConnection;

use crate::config::Config;
use crate::openapi::RouteTable;
use crate::plugins::PluginRegistry;
use crate::signing_keys::SigningKeys;

/// Shared by every handler.
pub struct AppState {
    pub config: Arc<Config>,
    pub db: DatabaseConnection,
    pub registry: PluginRegistry,
    pub migrator: Migrator,
    pub signing_keys: SigningKeys,
    pub spec_json: String,
    pub routes: RouteTable,
}

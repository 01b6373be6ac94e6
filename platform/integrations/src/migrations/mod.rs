//! Tables of the always-on integrations module: API keys (and, with webhooks, their
//! endpoints, outbox and deliveries), idempotency keys.

use sea_orm_migration::MigrationTrait;

mod m20261122_000200_integrations_api_keys;
mod m20261122_000300_integrations_idempotency_keys;
mod m20261122_000400_integrations_webhooks;
mod m20261123_000100_integrations_event_leases;
mod m20261202_000400_integrations_webhook_subscribers;
pub mod m20261202_000500_integrations_retention;
mod m20261202_000910_integrations_webhook_subscribers_backfill;

pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![
        Box::new(m20261122_000200_integrations_api_keys::Migration),
        Box::new(m20261122_000300_integrations_idempotency_keys::Migration),
        Box::new(m20261122_000400_integrations_webhooks::Migration),
        Box::new(m20261123_000100_integrations_event_leases::Migration),
        Box::new(m20261202_000400_integrations_webhook_subscribers::Migration),
        Box::new(m20261202_000500_integrations_retention::Migration),
        Box::new(m20261202_000910_integrations_webhook_subscribers_backfill::Migration),
    ]
}

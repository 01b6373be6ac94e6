#![allow(clippy::unwrap_used, clippy::expect_used)] // test code fails loudly

//! One test binary for the whole black-box suite (faster to link, runs in parallel).

mod api_keys;
mod auth;
mod bookables;
mod booking_page;
mod bookings;
mod customers;
mod hair_health;
mod households;
mod idempotency;
mod isolation;
mod jobs;
mod kernel;
mod liquidity_mirror;
mod migrations_forward;
mod notifications;
mod openapi;
mod packages;
mod packages_redemption;
mod plugins;
mod products;
mod products_acceptance;
mod products_bookings;
mod ratelimit;
mod rbac;
mod recurring;
mod role_matrix;
mod scopes_domains;
mod security;
mod service_templates;
mod statements;
mod support;
mod sweep;
mod waitlist;
mod webhook_instances;
mod webhooks;

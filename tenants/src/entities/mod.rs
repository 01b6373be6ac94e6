//! sea-orm models of the tenants module's tables. Handlers never return these: responses
//! are DTOs (see `routes`).

pub mod account_tokens;
pub mod custom_domains;
pub mod invitations;
pub mod locations;
pub mod memberships;
pub mod refresh_tokens;
pub mod roles;
pub mod tenants;
pub mod users;

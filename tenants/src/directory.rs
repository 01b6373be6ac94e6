//! What the kernel and other plugins may ask of the tenants module, through the traits of
//! `atrium-core` ([`Directory`], [`PolicySource`]): nothing outside this crate reads its
//! tables.

use atrium_core::context::{CustomerPolicy, Directory, MailIdentity, MemberFacts, PolicySource, TenantFacts};
use atrium_core::db::TenantTx;
use atrium_core::ids::{TenantId, UserId};
use atrium_core::json::strings;
use sea_orm::DbErr;

use crate::error::TenantsError;
use crate::model::{Branding, Plan};
use crate::repo;

pub struct TenantsDirectory;

fn db(err: TenantsError) -> DbErr {
    match err {
        TenantsError::Db(e) => e,
        other => DbErr::Custom(other.to_string()),
    }
}

#[async_trait::async_trait]
impl Directory for TenantsDirectory {
    async fn is_member(&self, tx: &TenantTx, user: UserId) -> Result<bool, DbErr> {
        Ok(repo::membership_of(tx, user).await.map_err(db)?.is_some_and(|m| m.status == "active"))
    }

    async fn public_tenant(
        &self,
        conn: &sea_orm::DatabaseConnection,
        slug: &str,
    ) -> Result<Option<(TenantId, Vec<String>)>, DbErr> {
        let tenant = repo::tenant_by_slug(conn, slug).await.map_err(db)?;
        Ok(tenant.map(|t| (TenantId(t.id), strings(&t.enabled_plugins))))
    }

    async fn customer_policy(&self, tx: &TenantTx) -> Result<CustomerPolicy, DbErr> {
        let tenant = repo::tenant_by_id(tx.conn(), tx.tenant_id()).await.map_err(db)?;
        Ok(CustomerPolicy {
            registration_open: tenant.as_ref().is_some_and(|t| t.customer_registration == "open"),
            guests_allowed: tenant.is_some_and(|t| t.customer_guests_allowed),
        })
    }

    async fn currency(&self, tx: &TenantTx) -> Result<Option<String>, DbErr> {
        Ok(repo::tenant_by_id(tx.conn(), tx.tenant_id()).await.map_err(db)?.map(|t| t.currency))
    }

    async fn has_location(&self, tx: &TenantTx, location: uuid::Uuid) -> Result<bool, DbErr> {
        Ok(repo::location(tx, location).await.map_err(db)?.is_some())
    }

    async fn mail_identity(&self, tx: &TenantTx) -> Result<Option<MailIdentity>, DbErr> {
        let Some(t) = repo::tenant_by_id(tx.conn(), tx.tenant_id()).await.map_err(db)? else {
            return Ok(None);
        };
        let b: Branding = serde_json::from_value(t.branding).unwrap_or_default();
        Ok(Some(MailIdentity {
            slug: t.slug,
            display_name: b.display_name.unwrap_or(t.name),
            primary_color: b.primary_color,
            secondary_color: b.secondary_color,
            support_email: b.support_email,
            timezone: t.timezone,
        }))
    }

    async fn contact(&self, tx: &TenantTx, user: UserId) -> Result<Option<(String, String)>, DbErr> {
        Ok(repo::user_by_id(tx.conn(), user).await.map_err(db)?.map(|u| (u.email, u.name)))
    }
}

#[async_trait::async_trait]
impl PolicySource for TenantsDirectory {
    async fn tenant_facts(&self, tx: &TenantTx) -> Result<Option<TenantFacts>, DbErr> {
        let Some(tenant) = repo::tenant_by_id(tx.conn(), tx.tenant_id()).await.map_err(db)? else {
            return Ok(None);
        };
        let custom_roles =
            repo::roles(tx).await.map_err(db)?.into_iter().map(|r| (r.name, strings(&r.permissions))).collect();
        let members = repo::all_memberships(tx)
            .await
            .map_err(db)?
            .into_iter()
            .filter(|m| m.status == "active")
            .map(|m| {
                (UserId(m.user_id), MemberFacts { roles: strings(&m.roles), locations: m.location_id.map(|l| vec![l]) })
            })
            .collect();
        Ok(Some(TenantFacts {
            status: tenant.status,
            rate_limit_per_minute: serde_json::from_value::<Plan>(tenant.plan)
                .unwrap_or_default()
                .rate_limit_per_minute,
            enabled_plugins: strings(&tenant.enabled_plugins).into_iter().collect(),
            custom_roles,
            members,
        }))
    }
}

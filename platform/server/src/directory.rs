//! The tenant directory domain plugins ask about people, over the tenants module.

use atrium_core::context::Directory;
use atrium_core::db::TenantTx;
use atrium_core::ids::UserId;
use sea_orm::DbErr;

pub struct TenantsDirectory;

#[async_trait::async_trait]
impl Directory for TenantsDirectory {
    async fn is_member(&self, tx: &TenantTx, user: UserId) -> Result<bool, DbErr> {
        match atrium_tenants::repo::membership_of(tx, user).await {
            Ok(m) => Ok(m.is_some_and(|m| m.status == "active")),
            Err(atrium_tenants::error::TenantsError::Db(e)) => Err(e),
            Err(other) => Err(DbErr::Custom(other.to_string())),
        }
    }

    async fn public_tenant(
        &self,
        db: &sea_orm::DatabaseConnection,
        slug: &str,
    ) -> Result<Option<(atrium_core::ids::TenantId, Vec<String>)>, DbErr> {
        match atrium_tenants::repo::tenant_by_slug(db, slug).await {
            Ok(t) => Ok(t.map(|t| {
                let plugins = atrium_tenants::routes::tenant::plugins_of(&t);
                (atrium_core::ids::TenantId(t.id), plugins)
            })),
            Err(atrium_tenants::error::TenantsError::Db(e)) => Err(e),
            Err(other) => Err(DbErr::Custom(other.to_string())),
        }
    }

    async fn has_location(&self, tx: &TenantTx, location: uuid::Uuid) -> Result<bool, DbErr> {
        match atrium_tenants::repo::location(tx, location).await {
            Ok(l) => Ok(l.is_some()),
            Err(atrium_tenants::error::TenantsError::Db(e)) => Err(e),
            Err(other) => Err(DbErr::Custom(other.to_string())),
        }
    }
}

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

use atrium_migrations::tenancy::{create_tenant_table, tenant_fk, tenant_table};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
    Slug,
    Name,
    Type,
    Status,
    Timezone,
    Currency,
    EnabledPlugins,
    DefaultConfig,
    Branding,
    CustomDomains,
    Plan,
    Version,
    CreatedAt,
    UpdatedAt,
    DeletedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Email,
    PasswordHash,
    Name,
    CreatedAt,
    UpdatedAt,
}

fn ts(name: &'static str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).timestamp_with_time_zone().not_null().to_owned()
}

fn ts_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).timestamp_with_time_zone().null().to_owned()
}

fn text(name: &'static str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).text().not_null().to_owned()
}

fn json(name: &'static str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).json_binary().not_null().to_owned()
}

fn json_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).json_binary().null().to_owned()
}

fn uuid(name: &'static str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).uuid().not_null().to_owned()
}

fn uuid_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).uuid().null().to_owned()
}

fn version() -> ColumnDef {
    ColumnDef::new(Alias::new("version")).integer().not_null().default(1).to_owned()
}

fn unique(name: &str, table: &str, cols: &[&str]) -> IndexCreateStatement {
    let mut index = Index::create().name(name).table(Alias::new(table)).unique().to_owned();
    for col in cols {
        index.col(Alias::new(*col));
    }
    index
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Tenants::Table)
                    .col(ColumnDef::new(Tenants::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Tenants::Slug).string_len(63).not_null().unique_key())
                    .col(ColumnDef::new(Tenants::Name).text().not_null())
                    .col(ColumnDef::new(Tenants::Type).string_len(32).not_null())
                    .col(ColumnDef::new(Tenants::Status).string_len(32).not_null())
                    .col(ColumnDef::new(Tenants::Timezone).string_len(64).not_null())
                    .col(ColumnDef::new(Tenants::Currency).string_len(3).not_null())
                    .col(ColumnDef::new(Tenants::EnabledPlugins).json_binary().not_null())
                    .col(ColumnDef::new(Tenants::DefaultConfig).json_binary().not_null())
                    .col(ColumnDef::new(Tenants::Branding).json_binary().not_null())
                    .col(ColumnDef::new(Tenants::CustomDomains).json_binary().not_null())
                    .col(ColumnDef::new(Tenants::Plan).json_binary().not_null())
                    .col(ColumnDef::new(Tenants::Version).integer().not_null().default(1))
                    .col(ColumnDef::new(Tenants::CreatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(Tenants::UpdatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(Tenants::DeletedAt).timestamp_with_time_zone().null())
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == DbBackend::Postgres {
            // The tenant directory: anyone may resolve a slug or domain (public branding,
            // sign-in); only the tenant itself may change its row.
            let db = manager.get_connection();
            for sql in [
                "ALTER TABLE tenants ENABLE ROW LEVEL SECURITY",
                "ALTER TABLE tenants FORCE ROW LEVEL SECURITY",
                "CREATE POLICY tenants_directory ON tenants FOR SELECT USING (true)",
                "CREATE POLICY tenant_self_insert ON tenants FOR INSERT \
                   WITH CHECK (id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)",
                "CREATE POLICY tenant_self_update ON tenants FOR UPDATE \
                   USING (id = NULLIF(current_setting('app.tenant_id', true), '')::uuid) \
                   WITH CHECK (id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)",
                "CREATE POLICY tenant_self_delete ON tenants FOR DELETE \
                   USING (id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)",
            ] {
                db.execute_unprepared(sql).await?;
            }
        }

        // Global identities: one email, one password, many tenants.
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(ColumnDef::new(Users::Id).uuid().not_null().primary_key())
                    .col(ColumnDef::new(Users::Email).string_len(254).not_null().unique_key())
                    .col(ColumnDef::new(Users::PasswordHash).text().not_null())
                    .col(ColumnDef::new(Users::Name).text().not_null())
                    .col(ColumnDef::new(Users::CreatedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(Users::UpdatedAt).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;

        create_tenant_table(
            manager,
            "locations",
            tenant_table("locations")
                .col(text("name"))
                .col(text("type"))
                .col(json_null("address"))
                .col(text("timezone"))
                .col(json("operating_hours"))
                .col(json_null("config_override"))
                .col(json_null("service_area"))
                .col(text("status"))
                .col(version())
                .col(ts("created_at"))
                .col(ts("updated_at"))
                .col(ts_null("deleted_at"))
                .to_owned(),
        )
        .await?;

        create_tenant_table(
            manager,
            "roles",
            tenant_table("roles")
                .col(text("name"))
                .col(ColumnDef::new(Alias::new("description")).text().not_null().default(""))
                .col(json("permissions"))
                .col(version())
                .col(ts("created_at"))
                .col(ts("updated_at"))
                .to_owned(),
        )
        .await?;
        manager.create_index(unique("ux_roles_name", "roles", &["tenant_id", "name"])).await?;

        create_tenant_table(
            manager,
            "memberships",
            tenant_table("memberships")
                .col(uuid("user_id"))
                .col(json("roles"))
                .col(uuid_null("location_id"))
                .col(text("status"))
                .col(version())
                .col(ts("created_at"))
                .col(ts("updated_at"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_memberships_user")
                        .from_col(Alias::new("user_id"))
                        .to(Users::Table, Users::Id),
                )
                .foreign_key(&mut tenant_fk("memberships", "location_id", "locations"))
                .to_owned(),
        )
        .await?;
        manager.create_index(unique("ux_memberships_user", "memberships", &["tenant_id", "user_id"])).await?;

        create_tenant_table(
            manager,
            "invitations",
            tenant_table("invitations")
                .col(text("email"))
                .col(json("roles"))
                .col(uuid_null("location_id"))
                .col(text("token_hash"))
                .col(uuid("invited_by"))
                .col(ts("expires_at"))
                .col(ts_null("accepted_at"))
                .col(ts_null("revoked_at"))
                .col(ts("created_at"))
                .foreign_key(&mut tenant_fk("invitations", "location_id", "locations"))
                .to_owned(),
        )
        .await?;
        manager.create_index(unique("ux_invitations_token", "invitations", &["tenant_id", "token_hash"])).await?;

        create_tenant_table(
            manager,
            "refresh_tokens",
            tenant_table("refresh_tokens")
                .col(uuid("user_id"))
                .col(uuid("family_id"))
                .col(text("token_hash"))
                .col(ts("expires_at"))
                .col(ts("created_at"))
                .col(ts_null("rotated_at"))
                .col(ts_null("revoked_at"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_refresh_tokens_user")
                        .from_col(Alias::new("user_id"))
                        .to(Users::Table, Users::Id),
                )
                .to_owned(),
        )
        .await?;
        manager.create_index(unique("ux_refresh_tokens_hash", "refresh_tokens", &["tenant_id", "token_hash"])).await?;

        create_tenant_table(
            manager,
            "audit_log",
            tenant_table("audit_log")
                .col(ts("occurred_at"))
                .col(text("actor_type"))
                .col(uuid_null("actor_id"))
                .col(text("action"))
                .col(text("entity_type"))
                .col(text("entity_id"))
                .col(json_null("before"))
                .col(json_null("after"))
                .col(ColumnDef::new(Alias::new("request_id")).text().null())
                .col(ColumnDef::new(Alias::new("client_ip")).text().null())
                .to_owned(),
        )
        .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_audit_log_time")
                    .table(Alias::new("audit_log"))
                    .col(Alias::new("tenant_id"))
                    .col(Alias::new("occurred_at"))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in
            ["audit_log", "refresh_tokens", "invitations", "memberships", "roles", "locations", "users", "tenants"]
        {
            manager.drop_table(Table::drop().table(Alias::new(table)).to_owned()).await?;
        }
        Ok(())
    }
}

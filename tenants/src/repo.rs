//! Every query of the tenants module. Tenant-owned tables are always filtered by the
//! transaction's tenant; `tenants` and `users` are the platform's directory and identity
//! tables, read by slug, domain or email before a tenant is known.

use atrium_core::db::TenantTx;
use atrium_core::ids::{TenantId, UserId};
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use atrium_core::audit::entity as audit_entries;

use crate::entities::{custom_domains, invitations, locations, memberships, refresh_tokens, roles, tenants, users};
use crate::error::Result;
use crate::model::AuditFilter;
use crate::views::strings;

// ---- tenants (directory) ----

pub async fn tenant_by_id(conn: &impl ConnectionTrait, id: TenantId) -> Result<Option<tenants::Model>> {
    Ok(tenants::Entity::find_by_id(id.0).filter(tenants::Column::DeletedAt.is_null()).one(conn).await?)
}

/// The caller's tenant, its row locked until the transaction ends (PostgreSQL; SQLite
/// writes are serialized anyway): for read-modify-write of its settings.
pub async fn tenant_locked(tx: &TenantTx) -> Result<Option<tenants::Model>> {
    let mut q = tenants::Entity::find_by_id(tx.tenant_id().0).filter(tenants::Column::DeletedAt.is_null());
    if tx.conn().get_database_backend() == sea_orm::DbBackend::Postgres {
        q = q.lock_exclusive();
    }
    Ok(q.one(tx.conn()).await?)
}

pub async fn tenant_by_slug(conn: &impl ConnectionTrait, slug: &str) -> Result<Option<tenants::Model>> {
    Ok(tenants::Entity::find()
        .filter(tenants::Column::Slug.eq(slug))
        .filter(tenants::Column::DeletedAt.is_null())
        .one(conn)
        .await?)
}

/// The tenant that claimed `domain` and proved it (see `custom_domains`): read across tenants, before
/// any is known — on PostgreSQL through a `SECURITY DEFINER` function, past row-level
/// security.
pub async fn tenant_by_domain(conn: &impl ConnectionTrait, domain: &str) -> Result<Option<tenants::Model>> {
    use sea_orm::{DbBackend, Statement};
    let backend = conn.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => "SELECT atrium_tenant_of_custom_domain($1) AS tenant_id",
        _ => "SELECT tenant_id FROM custom_domains WHERE domain = $1 AND verified_at IS NOT NULL",
    };
    let row = conn.query_one_raw(Statement::from_sql_and_values(backend, sql, [domain.into()])).await?;
    match row.map(|r| r.try_get::<Option<Uuid>>("", "tenant_id")).transpose()?.flatten() {
        Some(id) => tenant_by_id(conn, TenantId(id)).await,
        None => Ok(None),
    }
}

/// Makes the tenant's claimed domains exactly `domains`. A domain another tenant holds
/// fails on the unique index (a unique-key violation, also when two tenants claim it at
/// once). New claims wait for their TXT record to be verified, unless `vouched` (the
/// operator's own manifest), which marks every listed claim verified.
pub async fn replace_custom_domains(tx: &TenantTx, domains: &[String], vouched: bool) -> Result<()> {
    let held = custom_domains(tx).await?;
    let gone: Vec<Uuid> = held.iter().filter(|c| !domains.contains(&c.domain)).map(|c| c.id).collect();
    if !gone.is_empty() {
        custom_domains::Entity::delete_many()
            .filter(custom_domains::Column::TenantId.eq(tx.tenant_id().0))
            .filter(custom_domains::Column::Id.is_in(gone))
            .exec(tx.conn())
            .await?;
    }
    let now = Utc::now();
    for domain in domains.iter().filter(|d| !held.iter().any(|c| &c.domain == *d)) {
        custom_domains::ActiveModel {
            tenant_id: Set(tx.tenant_id().0),
            id: Set(Uuid::now_v7()),
            domain: Set(domain.clone()),
            verification_token: Set(Uuid::new_v4().simple().to_string()),
            verified_at: Set(vouched.then_some(now)),
            created_at: Set(now),
        }
        .insert(tx.conn())
        .await?;
    }
    if vouched {
        for claim in held.into_iter().filter(|c| c.verified_at.is_none() && domains.contains(&c.domain)) {
            mark_domain_verified(tx, claim.id, now).await?;
        }
    }
    Ok(())
}

/// The tenant's domain claims, by name.
pub async fn custom_domains(tx: &TenantTx) -> Result<Vec<custom_domains::Model>> {
    Ok(custom_domains::Entity::find()
        .filter(custom_domains::Column::TenantId.eq(tx.tenant_id().0))
        .order_by_asc(custom_domains::Column::Domain)
        .all(tx.conn())
        .await?)
}

/// Records that the claim's TXT record was seen; a claim already verified keeps its time.
pub async fn mark_domain_verified(tx: &TenantTx, id: Uuid, at: chrono::DateTime<Utc>) -> Result<()> {
    custom_domains::Entity::update_many()
        .col_expr(custom_domains::Column::VerifiedAt, sea_orm::sea_query::Expr::value(at))
        .filter(custom_domains::Column::TenantId.eq(tx.tenant_id().0))
        .filter(custom_domains::Column::Id.eq(id))
        .filter(custom_domains::Column::VerifiedAt.is_null())
        .exec(tx.conn())
        .await?;
    Ok(())
}

pub async fn all_tenants(conn: &impl ConnectionTrait) -> Result<Vec<tenants::Model>> {
    Ok(tenants::Entity::find()
        .filter(tenants::Column::DeletedAt.is_null())
        .order_by_asc(tenants::Column::Slug)
        .all(conn)
        .await?)
}

pub async fn insert_tenant(tx: &TenantTx, model: tenants::ActiveModel) -> Result<tenants::Model> {
    Ok(model.insert(tx.conn()).await?)
}

pub async fn update_tenant(tx: &TenantTx, model: tenants::ActiveModel) -> Result<tenants::Model> {
    Ok(model.update(tx.conn()).await?)
}

// ---- users (global identity) ----

pub async fn user_by_email(conn: &impl ConnectionTrait, email: &str) -> Result<Option<users::Model>> {
    Ok(users::Entity::find().filter(users::Column::Email.eq(email)).one(conn).await?)
}

pub async fn user_by_id(conn: &impl ConnectionTrait, id: UserId) -> Result<Option<users::Model>> {
    Ok(users::Entity::find_by_id(id.0).one(conn).await?)
}

pub async fn users_by_ids(conn: &impl ConnectionTrait, ids: Vec<Uuid>) -> Result<Vec<users::Model>> {
    Ok(users::Entity::find().filter(users::Column::Id.is_in(ids)).all(conn).await?)
}

pub async fn insert_user(
    conn: &impl ConnectionTrait,
    email: &str,
    password_hash: String,
    name: &str,
) -> Result<users::Model> {
    let now = Utc::now();
    Ok(users::ActiveModel {
        id: Set(UserId::new().0),
        email: Set(email.to_owned()),
        password_hash: Set(password_hash),
        name: Set(name.to_owned()),
        phone: Set(None),
        password_changed_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(conn)
    .await?)
}

// ---- memberships ----

pub async fn membership_of(tx: &TenantTx, user: UserId) -> Result<Option<memberships::Model>> {
    Ok(memberships::Entity::find()
        .filter(memberships::Column::TenantId.eq(tx.tenant_id().0))
        .filter(memberships::Column::UserId.eq(user.0))
        .one(tx.conn())
        .await?)
}

pub async fn membership(tx: &TenantTx, id: Uuid) -> Result<Option<memberships::Model>> {
    Ok(memberships::Entity::find_by_id((tx.tenant_id().0, id)).one(tx.conn()).await?)
}

pub async fn memberships_page(tx: &TenantTx, after: Option<Uuid>, limit: u64) -> Result<Vec<memberships::Model>> {
    let mut q = memberships::Entity::find().filter(memberships::Column::TenantId.eq(tx.tenant_id().0));
    if let Some(after) = after {
        q = q.filter(memberships::Column::Id.gt(after));
    }
    Ok(q.order_by_asc(memberships::Column::Id).limit(limit + 1).all(tx.conn()).await?)
}

pub async fn all_memberships(tx: &TenantTx) -> Result<Vec<memberships::Model>> {
    Ok(memberships::Entity::find().filter(memberships::Column::TenantId.eq(tx.tenant_id().0)).all(tx.conn()).await?)
}

pub async fn all_memberships_locked(tx: &TenantTx) -> Result<Vec<memberships::Model>> {
    let mut q = memberships::Entity::find().filter(memberships::Column::TenantId.eq(tx.tenant_id().0));
    if tx.conn().get_database_backend() == sea_orm::DbBackend::Postgres {
        q = q.lock_exclusive();
    }
    Ok(q.all(tx.conn()).await?)
}

pub async fn insert_membership(
    tx: &TenantTx,
    user: UserId,
    roles: &[String],
    location: Option<Uuid>,
) -> Result<memberships::Model> {
    let now = Utc::now();
    Ok(memberships::ActiveModel {
        tenant_id: Set(tx.tenant_id().0),
        id: Set(Uuid::now_v7()),
        user_id: Set(user.0),
        roles: Set(serde_json::json!(roles)),
        location_id: Set(location),
        status: Set("active".into()),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(tx.conn())
    .await?)
}

pub async fn update_membership(
    tx: &TenantTx,
    m: memberships::Model,
    roles: Vec<String>,
    location: Option<Uuid>,
) -> Result<memberships::Model> {
    let version = m.version + 1;
    let mut am = m.into_active_model();
    am.roles = Set(serde_json::json!(roles));
    am.location_id = Set(location);
    am.version = Set(version);
    am.updated_at = Set(Utc::now());
    Ok(am.update(tx.conn()).await?)
}

pub async fn delete_membership(tx: &TenantTx, id: Uuid) -> Result<()> {
    memberships::Entity::delete_by_id((tx.tenant_id().0, id)).exec(tx.conn()).await?;
    Ok(())
}

/// The plan's seats, when `more` people would join (members and pending invitations
/// count, customers do not): `Err` when the plan has no room for them.
pub async fn check_seats(tx: &TenantTx, more: u64, count_invitations: bool) -> Result<()> {
    let tenant = tenant_by_id(tx.conn(), tx.tenant_id()).await?.ok_or(crate::error::TenantsError::NotFound)?;
    let seats = serde_json::from_value::<crate::model::Plan>(tenant.plan).unwrap_or_default().seats;
    let mut taken = member_count(tx).await?;
    if count_invitations {
        let invited = pending_invitations(tx).await?;
        taken += invited.iter().filter(|i| !crate::model::is_customer_only(&strings(&i.roles))).count() as u64;
    }
    if taken + more > u64::from(seats) {
        return Err(crate::error::TenantsError::Conflict(format!(
            "the tenant's plan has {seats} seats, all taken (members and pending invitations)"
        )));
    }
    Ok(())
}

/// Members who take a seat: all but those who are only customers.
pub async fn member_count(tx: &TenantTx) -> Result<u64> {
    let only_customer = match tx.conn().get_database_backend() {
        sea_orm::DbBackend::Postgres => r#"roles <> '["customer"]'::jsonb"#,
        _ => r#"roles <> '["customer"]'"#,
    };
    Ok(memberships::Entity::find()
        .filter(memberships::Column::TenantId.eq(tx.tenant_id().0))
        .filter(sea_orm::sea_query::Expr::cust(only_customer))
        .count(tx.conn())
        .await?)
}

// ---- custom roles ----

pub async fn roles(tx: &TenantTx) -> Result<Vec<roles::Model>> {
    Ok(roles::Entity::find()
        .filter(roles::Column::TenantId.eq(tx.tenant_id().0))
        .order_by_asc(roles::Column::Name)
        .all(tx.conn())
        .await?)
}

pub async fn role(tx: &TenantTx, id: Uuid) -> Result<Option<roles::Model>> {
    Ok(roles::Entity::find_by_id((tx.tenant_id().0, id)).one(tx.conn()).await?)
}

pub async fn insert_role(tx: &TenantTx, name: &str, description: &str, permissions: &[String]) -> Result<roles::Model> {
    let now = Utc::now();
    roles::ActiveModel {
        tenant_id: Set(tx.tenant_id().0),
        id: Set(Uuid::now_v7()),
        name: Set(name.to_owned()),
        description: Set(description.to_owned()),
        permissions: Set(serde_json::json!(permissions)),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(tx.conn())
    .await
    .map_err(crate::error::taken("role name"))
}

pub async fn update_role(
    tx: &TenantTx,
    role: roles::Model,
    description: String,
    permissions: Vec<String>,
) -> Result<roles::Model> {
    let version = role.version + 1;
    let mut am = role.into_active_model();
    am.description = Set(description);
    am.permissions = Set(serde_json::json!(permissions));
    am.version = Set(version);
    am.updated_at = Set(Utc::now());
    Ok(am.update(tx.conn()).await?)
}

pub async fn delete_role(tx: &TenantTx, id: Uuid) -> Result<()> {
    roles::Entity::delete_by_id((tx.tenant_id().0, id)).exec(tx.conn()).await?;
    Ok(())
}

// ---- invitations ----

pub async fn insert_invitation(tx: &TenantTx, model: invitations::ActiveModel) -> Result<invitations::Model> {
    Ok(model.insert(tx.conn()).await?)
}

pub async fn pending_invitations(tx: &TenantTx) -> Result<Vec<invitations::Model>> {
    Ok(invitations::Entity::find()
        .filter(invitations::Column::TenantId.eq(tx.tenant_id().0))
        .filter(invitations::Column::AcceptedAt.is_null())
        .filter(invitations::Column::RevokedAt.is_null())
        .filter(invitations::Column::ExpiresAt.gt(Utc::now()))
        .all(tx.conn())
        .await?)
}

/// The pending invitation of `email`, if any.
pub async fn pending_invitation_for(tx: &TenantTx, email: &str) -> Result<Option<invitations::Model>> {
    Ok(invitations::Entity::find()
        .filter(invitations::Column::TenantId.eq(tx.tenant_id().0))
        .filter(invitations::Column::Email.eq(email))
        .filter(invitations::Column::AcceptedAt.is_null())
        .filter(invitations::Column::RevokedAt.is_null())
        .filter(invitations::Column::ExpiresAt.gt(Utc::now()))
        .one(tx.conn())
        .await?)
}

pub async fn invitation_by_token_hash(tx: &TenantTx, hash: &str) -> Result<Option<invitations::Model>> {
    Ok(invitations::Entity::find()
        .filter(invitations::Column::TenantId.eq(tx.tenant_id().0))
        .filter(invitations::Column::TokenHash.eq(hash))
        .one(tx.conn())
        .await?)
}

pub async fn mark_invitation_accepted(tx: &TenantTx, inv: invitations::Model) -> Result<()> {
    let mut am = inv.into_active_model();
    am.accepted_at = Set(Some(Utc::now()));
    am.update(tx.conn()).await?;
    Ok(())
}

// ---- refresh tokens ----

pub async fn insert_refresh_token(
    tx: &TenantTx,
    user: UserId,
    family: Uuid,
    hash: String,
    ttl_seconds: u64,
) -> Result<()> {
    let now = Utc::now();
    refresh_tokens::ActiveModel {
        tenant_id: Set(tx.tenant_id().0),
        id: Set(Uuid::now_v7()),
        user_id: Set(user.0),
        family_id: Set(family),
        token_hash: Set(hash),
        expires_at: Set(now + chrono::Duration::seconds(ttl_seconds as i64)),
        created_at: Set(now),
        rotated_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(tx.conn())
    .await?;
    Ok(())
}

pub async fn refresh_token_by_hash(tx: &TenantTx, hash: &str) -> Result<Option<refresh_tokens::Model>> {
    Ok(refresh_tokens::Entity::find()
        .filter(refresh_tokens::Column::TenantId.eq(tx.tenant_id().0))
        .filter(refresh_tokens::Column::TokenHash.eq(hash))
        .one(tx.conn())
        .await?)
}

/// Marks the token spent; `false` when a concurrent refresh spent it first.
pub async fn mark_refresh_rotated(tx: &TenantTx, token: &refresh_tokens::Model) -> Result<bool> {
    let res = refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::RotatedAt, sea_orm::sea_query::Expr::value(Utc::now()))
        .filter(refresh_tokens::Column::TenantId.eq(tx.tenant_id().0))
        .filter(refresh_tokens::Column::Id.eq(token.id))
        .filter(refresh_tokens::Column::RotatedAt.is_null())
        .exec(tx.conn())
        .await?;
    Ok(res.rows_affected == 1)
}

pub async fn revoke_refresh_family(tx: &TenantTx, family: Uuid) -> Result<()> {
    refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::RevokedAt, sea_orm::sea_query::Expr::value(Utc::now()))
        .filter(refresh_tokens::Column::TenantId.eq(tx.tenant_id().0))
        .filter(refresh_tokens::Column::FamilyId.eq(family))
        .filter(refresh_tokens::Column::RevokedAt.is_null())
        .exec(tx.conn())
        .await?;
    Ok(())
}

pub async fn revoke_user_refresh_tokens(tx: &TenantTx, user: UserId) -> Result<()> {
    refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::RevokedAt, sea_orm::sea_query::Expr::value(Utc::now()))
        .filter(refresh_tokens::Column::TenantId.eq(tx.tenant_id().0))
        .filter(refresh_tokens::Column::UserId.eq(user.0))
        .filter(refresh_tokens::Column::RevokedAt.is_null())
        .exec(tx.conn())
        .await?;
    Ok(())
}

/// Up to `max` tenants holding refresh tokens that expired or were revoked before
/// `cutoff`, across row-level security (a `SECURITY DEFINER` function on PostgreSQL).
pub async fn tenants_with_spent_refresh_tokens(
    db: &sea_orm::DatabaseConnection,
    cutoff: chrono::DateTime<Utc>,
    max: u32,
) -> Result<Vec<TenantId>> {
    use sea_orm::{DbBackend, Statement};
    let backend = db.get_database_backend();
    let statement = match backend {
        DbBackend::Postgres => Statement::from_sql_and_values(
            backend,
            "SELECT tenant_id FROM atrium_tenants_with_spent_refresh_tokens($1, $2)",
            [cutoff.into(), (max as i32).into()],
        ),
        _ => Statement::from_sql_and_values(
            backend,
            "SELECT DISTINCT tenant_id FROM refresh_tokens WHERE expires_at < $1 OR revoked_at < $1 LIMIT $2",
            [cutoff.into(), max.into()],
        ),
    };
    let rows = db.query_all_raw(statement).await?;
    Ok(rows.iter().map(|r| r.try_get::<Uuid>("", "tenant_id").map(TenantId)).collect::<Result<_, _>>()?)
}

/// Deletes the tenant's refresh tokens that expired or were revoked before `cutoff`;
/// returns how many.
pub async fn delete_spent_refresh_tokens(tx: &TenantTx, cutoff: chrono::DateTime<Utc>) -> Result<u64> {
    use sea_orm::Condition;
    let res = refresh_tokens::Entity::delete_many()
        .filter(refresh_tokens::Column::TenantId.eq(tx.tenant_id().0))
        .filter(
            Condition::any()
                .add(refresh_tokens::Column::ExpiresAt.lt(cutoff))
                .add(refresh_tokens::Column::RevokedAt.lt(cutoff)),
        )
        .exec(tx.conn())
        .await?;
    Ok(res.rows_affected)
}

// ---- locations ----

pub async fn location(tx: &TenantTx, id: Uuid) -> Result<Option<locations::Model>> {
    Ok(locations::Entity::find_by_id((tx.tenant_id().0, id))
        .filter(locations::Column::DeletedAt.is_null())
        .one(tx.conn())
        .await?)
}

pub async fn all_locations(tx: &TenantTx) -> Result<Vec<locations::Model>> {
    Ok(locations::Entity::find()
        .filter(locations::Column::TenantId.eq(tx.tenant_id().0))
        .filter(locations::Column::DeletedAt.is_null())
        .all(tx.conn())
        .await?)
}

pub async fn locations_page(
    tx: &TenantTx,
    after: Option<Uuid>,
    limit: u64,
    status: Option<&str>,
) -> Result<Vec<locations::Model>> {
    let mut q = locations::Entity::find()
        .filter(locations::Column::TenantId.eq(tx.tenant_id().0))
        .filter(locations::Column::DeletedAt.is_null());
    if let Some(after) = after {
        q = q.filter(locations::Column::Id.gt(after));
    }
    if let Some(status) = status {
        q = q.filter(locations::Column::Status.eq(status));
    }
    Ok(q.order_by_asc(locations::Column::Id).limit(limit + 1).all(tx.conn()).await?)
}

pub async fn save_location(tx: &TenantTx, model: locations::ActiveModel, insert: bool) -> Result<locations::Model> {
    Ok(if insert { model.insert(tx.conn()).await? } else { model.update(tx.conn()).await? })
}

// ---- audit log ----

/// Entries before the cursor `before`, newest first, `limit + 1` of them.
pub async fn audit_page(
    tx: &TenantTx,
    before: Option<Uuid>,
    limit: u64,
    filter: &AuditFilter,
) -> Result<Vec<audit_entries::Model>> {
    let mut q = audit_entries::Entity::find().filter(audit_entries::Column::TenantId.eq(tx.tenant_id().0));
    if let Some(cursor) = before {
        q = q.filter(audit_entries::Column::Id.lt(cursor));
    }
    if let Some(v) = &filter.action {
        q = q.filter(audit_entries::Column::Action.eq(v.as_str()));
    }
    if let Some(v) = &filter.entity_type {
        q = q.filter(audit_entries::Column::EntityType.eq(v.as_str()));
    }
    if let Some(v) = &filter.entity_id {
        q = q.filter(audit_entries::Column::EntityId.eq(v.as_str()));
    }
    if let Some(v) = filter.actor_id {
        q = q.filter(audit_entries::Column::ActorId.eq(v));
    }
    if let Some(v) = filter.from {
        q = q.filter(audit_entries::Column::OccurredAt.gte(v));
    }
    if let Some(v) = filter.to {
        q = q.filter(audit_entries::Column::OccurredAt.lt(v));
    }
    Ok(q.order_by_desc(audit_entries::Column::Id).limit(limit + 1).all(tx.conn()).await?)
}

//! Queries on providers' certifications.

use atrium_core::db::TenantTx;
use chrono::Utc;
use sea_orm::entity::prelude::*;
use sea_orm::{IntoActiveModel, QueryOrder, Set};

use crate::entities::certifications;
use crate::error::{BookablesError, Result};
use crate::views::certifications::CertificationInput;

fn set(am: &mut certifications::ActiveModel, input: &CertificationInput) {
    am.certification_type = Set(input.certification_type.trim().to_owned());
    am.issued_by = Set(input.issued_by.trim().to_owned());
    am.issued_at = Set(input.issued_at);
    am.expires_at = Set(input.expires_at);
    am.document_url = Set(input.document_url.clone());
    am.is_verified = Set(input.is_verified);
}

pub async fn insert(tx: &TenantTx, bookable: Uuid, input: &CertificationInput) -> Result<certifications::Model> {
    let mut am = certifications::ActiveModel {
        tenant_id: Set(tx.tenant_id().0),
        id: Set(Uuid::now_v7()),
        bookable_id: Set(bookable),
        version: Set(1),
        created_at: Set(Utc::now()),
        ..Default::default()
    };
    set(&mut am, input);
    Ok(am.insert(tx.conn()).await?)
}

/// `bookable`'s certifications, oldest first.
pub async fn of_bookable(tx: &TenantTx, bookable: Uuid) -> Result<Vec<certifications::Model>> {
    Ok(certifications::Entity::find()
        .filter(certifications::Column::TenantId.eq(tx.tenant_id().0))
        .filter(certifications::Column::BookableId.eq(bookable))
        .order_by_asc(certifications::Column::Id)
        .all(tx.conn())
        .await?)
}

pub async fn find(tx: &TenantTx, bookable: Uuid, id: Uuid) -> Result<certifications::Model> {
    certifications::Entity::find_by_id((tx.tenant_id().0, id))
        .filter(certifications::Column::BookableId.eq(bookable))
        .one(tx.conn())
        .await?
        .ok_or(BookablesError::NotFound)
}

/// Writes a changed certification, bumping its version.
pub async fn update(
    tx: &TenantTx,
    current: certifications::Model,
    input: &CertificationInput,
) -> Result<certifications::Model> {
    let version = current.version + 1;
    let mut am = current.into_active_model();
    set(&mut am, input);
    am.version = Set(version);
    Ok(am.update(tx.conn()).await?)
}

pub async fn delete(tx: &TenantTx, id: Uuid) -> Result<()> {
    certifications::Entity::delete_by_id((tx.tenant_id().0, id)).exec(tx.conn()).await?;
    Ok(())
}

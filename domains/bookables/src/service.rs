//! What other plugins may ask of bookables (their public service API; never their tables).

use std::collections::HashMap;

use atrium_core::db::TenantTx;
use atrium_core::error::ApiError;
use sea_orm::entity::prelude::*;

use crate::entities::bookables;
use crate::model::{BookableStatus, BookableType, parse_name};

/// A bookable as other plugins see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BookableRef {
    pub id: Uuid,
    pub bookable_type: BookableType,
    pub status: BookableStatus,
    pub tags: Vec<String>,
    pub category_id: Option<Uuid>,
    pub location_id: Option<Uuid>,
}

pub(crate) fn tags_of(column: &str) -> Vec<String> {
    column.split(',').filter(|t| !t.is_empty()).map(str::to_owned).collect()
}

pub(crate) fn tags_column(tags: &[String]) -> String {
    if tags.is_empty() { String::new() } else { format!(",{},", tags.join(",")) }
}

fn to_ref(m: &bookables::Model) -> Result<BookableRef, ApiError> {
    let bad = || ApiError::internal(format!("bookable {} has an unknown type or status", m.id));
    Ok(BookableRef {
        id: m.id,
        bookable_type: parse_name(&m.bookable_type).ok_or_else(bad)?,
        status: parse_name(&m.status).ok_or_else(bad)?,
        tags: tags_of(&m.tags),
        category_id: m.category_id,
        location_id: m.location_id,
    })
}

/// The transaction's tenant's bookables among `ids` that exist and are not deleted; ids of
/// other tenants are simply absent.
pub async fn find_refs(tx: &TenantTx, ids: &[Uuid]) -> Result<HashMap<Uuid, BookableRef>, ApiError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = bookables::Entity::find()
        .filter(bookables::Column::TenantId.eq(tx.tenant_id().0))
        .filter(bookables::Column::Id.is_in(ids.iter().copied()))
        .filter(bookables::Column::DeletedAt.is_null())
        .all(tx.conn())
        .await?;
    rows.iter().map(|m| to_ref(m).map(|r| (r.id, r))).collect()
}

//! Recurring rules and their occurrences: the queries, and a rule's view.

use atrium_core::db::TenantTx;
use sea_orm::entity::prelude::*;
use sea_orm::{QueryOrder, QuerySelect};

use crate::entities::{recurring_occurrences as occurrences, recurring_rules as rules};
use crate::error::BookingsError;
use crate::model::recurring::{OccurrenceStatus, OccurrenceView, RecurringRuleStatus, RecurringRuleView};

pub async fn find(tx: &TenantTx, id: Uuid) -> Result<rules::Model, BookingsError> {
    rules::Entity::find_by_id((tx.tenant_id().0, id)).one(tx.conn()).await?.ok_or(BookingsError::NotFound)
}

/// Record `id` when `owner` (an own-scoped caller) is its creator, or any when `None`;
/// 404 otherwise, as for another tenant's.
pub async fn find_owned(tx: &TenantTx, id: Uuid, owner: Option<Uuid>) -> Result<rules::Model, BookingsError> {
    let mut q = rules::Entity::find_by_id((tx.tenant_id().0, id));
    if let Some(owner) = owner {
        q = q.filter(rules::Column::UserId.eq(owner));
    }
    q.one(tx.conn()).await?.ok_or(BookingsError::NotFound)
}

/// One page in id order after `after`, with one row more than `limit` when there is a next page.
pub async fn page(
    tx: &TenantTx,
    after: Option<Uuid>,
    limit: u64,
    owner: Option<Uuid>,
) -> Result<Vec<rules::Model>, BookingsError> {
    let mut q = rules::Entity::find().filter(rules::Column::TenantId.eq(tx.tenant_id().0));
    if let Some(owner) = owner {
        q = q.filter(rules::Column::UserId.eq(owner));
    }
    if let Some(after) = after {
        q = q.filter(rules::Column::Id.gt(after));
    }
    Ok(q.order_by_asc(rules::Column::Id).limit(limit + 1).all(tx.conn()).await?)
}

/// Rule `rule`'s materialized occurrences, in the pattern's order.
pub async fn occurrences_of(tx: &TenantTx, rule: Uuid) -> Result<Vec<occurrences::Model>, BookingsError> {
    Ok(occurrences::Entity::find()
        .filter(occurrences::Column::TenantId.eq(tx.tenant_id().0))
        .filter(occurrences::Column::RuleId.eq(rule))
        .order_by_asc(occurrences::Column::Id)
        .all(tx.conn())
        .await?)
}

/// Rule `r` with what became of each materialized occurrence.
pub async fn view(tx: &TenantTx, r: &rules::Model) -> Result<RecurringRuleView, BookingsError> {
    assemble(r, occurrences_of(tx, r.id).await?)
}

/// Rules `rules` with their occurrences, read in one statement.
pub async fn views(tx: &TenantTx, rules: &[rules::Model]) -> Result<Vec<RecurringRuleView>, BookingsError> {
    let mut by_rule: std::collections::HashMap<Uuid, Vec<occurrences::Model>> = std::collections::HashMap::new();
    if !rules.is_empty() {
        for o in occurrences::Entity::find()
            .filter(occurrences::Column::TenantId.eq(tx.tenant_id().0))
            .filter(occurrences::Column::RuleId.is_in(rules.iter().map(|r| r.id).collect::<Vec<_>>()))
            .order_by_asc(occurrences::Column::Id)
            .all(tx.conn())
            .await?
        {
            by_rule.entry(o.rule_id).or_default().push(o);
        }
    }
    rules.iter().map(|r| assemble(r, by_rule.remove(&r.id).unwrap_or_default())).collect()
}

fn assemble(r: &rules::Model, rows: Vec<occurrences::Model>) -> Result<RecurringRuleView, BookingsError> {
    Ok(RecurringRuleView {
        id: r.id,
        user_id: r.user_id,
        service_template_id: r.service_template_id,
        household_id: r.household_id,
        start_time: r.start_time.clone(),
        timezone: r.timezone.clone(),
        pattern: serde_json::from_value(r.pattern.clone())?,
        start_date: r.start_date,
        end_date: r.end_date,
        max_occurrences: r.max_occurrences.and_then(|n| u32::try_from(n).ok()),
        exceptions: serde_json::from_value(r.exceptions.clone())?,
        duration_minutes: r.duration_minutes.and_then(|n| u32::try_from(n).ok()),
        participant_count: u32::try_from(r.participant_count).unwrap_or(0),
        bookable_ids: r.bookable_ids.clone().map(serde_json::from_value).transpose()?,
        technician_user_id: r.technician_user_id,
        status: if r.status == "cancelled" { RecurringRuleStatus::Cancelled } else { RecurringRuleStatus::Active },
        total_occurrences: u32::try_from(r.total_occurrences).unwrap_or(0),
        materialized_until: r.materialized_until,
        occurrences: rows
            .into_iter()
            .map(|o| OccurrenceView {
                date: o.date,
                original_date: o.original_date,
                start: o.start_at,
                status: OccurrenceStatus::parse(&o.status),
                booking_id: o.booking_id,
                reason: o.reason,
            })
            .collect(),
        cancelled_at: r.cancelled_at,
        version: r.version,
        created_at: r.created_at,
    })
}

pub async fn insert(tx: &TenantTx, row: rules::ActiveModel) -> Result<rules::Model, BookingsError> {
    Ok(row.insert(tx.conn()).await?)
}

pub async fn update(tx: &TenantTx, row: rules::ActiveModel) -> Result<rules::Model, BookingsError> {
    Ok(row.update(tx.conn()).await?)
}

pub async fn insert_occurrence(tx: &TenantTx, row: occurrences::ActiveModel) -> Result<(), BookingsError> {
    row.insert(tx.conn()).await?;
    Ok(())
}

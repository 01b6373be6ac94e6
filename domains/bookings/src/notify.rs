//! The e-mail a booking sends, enqueued in the mail outbox inside the transaction of the
//! change (`atrium_core::mail`): the confirmation when it is made, the cancellation with
//! its refund, and — by the reminder job — one reminder when it starts within 24 hours
//! (keyed per booking, so several instances enqueue it once). The notifications module
//! sends them after commit; a failed send never touches the booking.

use std::time::Duration;

use atrium_core::db::TenantTx;
use atrium_core::error::ApiError;
use atrium_core::ids::{TenantId, UserId};
use atrium_core::jobs::{JobContext, JobDef, for_each_tenant};
use atrium_core::mail::{self, BookingMail, MailKind, Recipient};
use chrono::Utc;
use sea_orm::DatabaseConnection;

use crate::entities::bookings;
use crate::error::BookingsError;
use crate::repo;

const JOB: &str = "bookings.reminders";
const EVERY: Duration = Duration::from_secs(60);
/// A reminder goes when the start is this near (the PostgreSQL finder's window says the same).
const REMIND_AHEAD: chrono::Duration = chrono::Duration::hours(24);

/// Enqueues the `kind` message of booking `b` (of the service `service_name`) to the
/// customer who booked it. Once per (booking, kind, version): a cancellation is not sent twice.
pub async fn enqueue(
    tx: &TenantTx,
    kind: MailKind,
    b: &bookings::Model,
    service_name: &str,
) -> Result<bool, BookingsError> {
    let data = BookingMail {
        booking_id: b.id,
        service_name: service_name.to_owned(),
        start: b.start_at,
        end: b.end_at,
        timezone: b.timezone.clone(),
        location: None,
        total: b.total.clone(),
        currency: b.currency.clone(),
        refund_amount: b.refund_amount.clone(),
        refund_percent: b.refund_percent.clone(),
        sequence: u32::try_from(b.version.max(1) - 1).unwrap_or(0),
    };
    let key = format!("{}:{}", kind.as_str(), b.id);
    Ok(mail::enqueue(tx, kind, &key, Recipient::User(UserId(b.booked_by)), &data).await?)
}

pub fn job() -> JobDef {
    JobDef::new(JOB, "E-mails a reminder to the customer 24 hours before a booking starts", EVERY, |ctx| async move {
        remind(&ctx).await
    })
}

async fn remind(ctx: &JobContext) -> Result<(), ApiError> {
    let tenants = repo::bookings::tenants_to_remind(&ctx.db, REMIND_AHEAD).await?.into_iter().map(TenantId).collect();
    for_each_tenant(ctx, JOB, tenants, |tenant| async move { Ok(remind_tenant(&ctx.db, tenant).await?) }).await;
    Ok(())
}

async fn remind_tenant(db: &DatabaseConnection, tenant: TenantId) -> Result<(), BookingsError> {
    let now = Utc::now();
    let tx = TenantTx::begin(db, tenant, true).await?;
    let due = repo::bookings::to_remind(&tx, now, now + REMIND_AHEAD).await?;
    for b in &due {
        let name = service_name(&tx, b.service_template_id).await;
        enqueue(&tx, MailKind::BookingReminder, b, &name).await?;
    }
    repo::bookings::set_reminded(&tx, due.iter().map(|b| b.id).collect(), now).await?;
    tx.commit().await?;
    Ok(())
}

/// The template's name, for the message ("your booking" when it cannot be read).
pub async fn service_name(tx: &TenantTx, template: uuid::Uuid) -> String {
    match atrium_service_templates::repo::find(tx, template).await {
        Ok(t) => t.name,
        Err(_) => "your booking".to_owned(),
    }
}

//! The mail outbox: a message to send is a row of `mail_outbox`, written in the same
//! transaction as the change it tells about (a booking made, a password reset asked), so
//! it exists exactly when that change committed. The notifications module sends it after
//! commit, with retries; a failed send never touches the change.
//!
//! A row names its kind, its recipient (a user, resolved to an address when sent, or an
//! address) and the data its template needs; it never holds a rendered message. Its
//! `dedupe_key` is unique per tenant: a message that must go once per (booking, kind) —
//! a reminder found by a job running on several instances — is enqueued with that key and
//! a second enqueue is a no-op.

use chrono::DateTime;
use chrono::Utc;
use sea_orm::entity::prelude::*;
use sea_orm::{ActiveValue::Set, DbErr, TryInsertResult};
use serde::{Deserialize, Serialize};

use crate::db::TenantTx;
use crate::ids::UserId;

pub mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "mail_outbox")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub tenant_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub kind: String,
        /// Unique per tenant: `booking_reminder:<booking id>`.
        pub dedupe_key: String,
        pub to_user_id: Option<Uuid>,
        pub to_email: Option<String>,
        pub data: Json,
        pub created_at: DateTimeUtc,
        pub next_attempt_at: DateTimeUtc,
        pub attempts: i32,
        /// Claimed by a sender until then; a dead sender's claim lapses.
        pub leased_until: Option<DateTimeUtc>,
        pub sent_at: Option<DateTimeUtc>,
        /// Set when the message was given up (too many failures, or no recipient).
        pub failed_at: Option<DateTimeUtc>,
        pub last_error: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// What a message is; each has its template in the notifications module.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MailKind {
    /// To the customer who booked, with the `.ics` (`METHOD:REQUEST`).
    BookingConfirmation,
    /// With the refund the cancellation policy gave, and the `.ics` (`METHOD:CANCEL`).
    BookingCancellation,
    /// 24 hours before the start.
    BookingReminder,
    /// A link with a single-use token confirming a customer's e-mail address.
    EmailVerification,
    /// A single-use token that sets a new password (30 minutes).
    PasswordReset,
}

impl MailKind {
    pub const ALL: [Self; 5] = [
        Self::BookingConfirmation,
        Self::BookingCancellation,
        Self::BookingReminder,
        Self::EmailVerification,
        Self::PasswordReset,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::BookingConfirmation => "booking_confirmation",
            Self::BookingCancellation => "booking_cancellation",
            Self::BookingReminder => "booking_reminder",
            Self::EmailVerification => "email_verification",
            Self::PasswordReset => "password_reset",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Who receives a message.
#[derive(Clone, Debug)]
pub enum Recipient {
    /// A user: their address (and name) are looked up when the message is sent.
    User(UserId),
    Email(String),
}

/// Enqueues a message in the transaction's tenant. `dedupe_key` makes it once-only: when
/// a message with that key exists already, nothing is written and `false` is returned.
pub async fn enqueue(
    tx: &TenantTx,
    kind: MailKind,
    dedupe_key: &str,
    to: Recipient,
    data: &impl Serialize,
) -> Result<bool, DbErr> {
    let now = Utc::now();
    let (to_user_id, to_email) = match to {
        Recipient::User(u) => (Some(u.0), None),
        Recipient::Email(e) => (None, Some(e)),
    };
    let row = entity::ActiveModel {
        tenant_id: Set(tx.tenant_id().0),
        id: Set(Uuid::now_v7()),
        kind: Set(kind.as_str().to_owned()),
        dedupe_key: Set(dedupe_key.to_owned()),
        to_user_id: Set(to_user_id),
        to_email: Set(to_email),
        data: Set(serde_json::to_value(data).map_err(|e| DbErr::Custom(e.to_string()))?),
        created_at: Set(now),
        next_attempt_at: Set(now),
        attempts: Set(0),
        leased_until: Set(None),
        sent_at: Set(None),
        failed_at: Set(None),
        last_error: Set(None),
    };
    let res = entity::Entity::insert(row)
        .on_conflict_do_nothing_on([entity::Column::TenantId, entity::Column::DedupeKey])
        .exec(tx.conn())
        .await?;
    Ok(matches!(res, TryInsertResult::Inserted(_)))
}

/// The data contract of the booking messages: what the bookings domain writes in a booking message's data.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BookingMail {
    pub booking_id: Uuid,
    pub service_name: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// The zone the times are shown in (the booking's).
    pub timezone: String,
    #[serde(default)]
    pub location: Option<String>,
    pub total: String,
    pub currency: String,
    /// Cancellations: what the policy gives back.
    #[serde(default)]
    pub refund_amount: Option<String>,
    #[serde(default)]
    pub refund_percent: Option<String>,
    /// The booking's version: the `.ics` SEQUENCE.
    #[serde(default)]
    pub sequence: u32,
}

/// What the tenants module writes for a verification or a password reset.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TokenMail {
    pub token: String,
    /// Minutes the token works.
    pub valid_minutes: u32,
}

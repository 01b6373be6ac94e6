//! The one place that builds queries: per table group, every query filtered by the
//! transaction's tenant (`tx.tenant_id()`), and the views assembled from the rows.

pub mod allocations;
pub mod bookings;
pub mod recurring;
pub mod reservations;
pub mod waitlist;

use std::future::Future;

use atrium_core::db::TenantTx;
use sea_orm::ConnectionTrait;

use crate::error::BookingsError;

/// Runs `attempt` inside savepoint `name`: when it fails, what it wrote is rolled back and
/// `tx` stays usable (on PostgreSQL even after a violated constraint). The attempt's own
/// result comes back inside `Ok`, for the caller to judge.
pub async fn savepoint<T>(
    tx: &TenantTx,
    name: &'static str,
    attempt: impl Future<Output = Result<T, BookingsError>>,
) -> Result<Result<T, BookingsError>, BookingsError> {
    let conn = tx.conn();
    conn.execute_unprepared(&format!("SAVEPOINT {name}")).await?;
    match attempt.await {
        Ok(done) => {
            conn.execute_unprepared(&format!("RELEASE SAVEPOINT {name}")).await?;
            Ok(Ok(done))
        }
        Err(refused) => {
            conn.execute_unprepared(&format!("ROLLBACK TO SAVEPOINT {name}")).await?;
            conn.execute_unprepared(&format!("RELEASE SAVEPOINT {name}")).await?;
            Ok(Err(refused))
        }
    }
}

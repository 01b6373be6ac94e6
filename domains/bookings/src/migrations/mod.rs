//! Tables of the bookings plugin.

use sea_orm_migration::MigrationTrait;

mod m20261122_004000_bookings_core;
mod m20261122_004100_bookings_waitlist;
mod m20261202_001020_bookings_reminders;

pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![
        Box::new(m20261122_004000_bookings_core::Migration),
        Box::new(m20261122_004100_bookings_waitlist::Migration),
        Box::new(m20261202_001020_bookings_reminders::Migration),
    ]
}

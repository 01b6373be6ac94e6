//! What the API takes and shows, per resource: request bodies, filters and views (the
//! OpenAPI schemas). Rows are in [`crate::entities`]; views are assembled in [`crate::repo`].

pub mod availability;
pub mod bookings;
pub mod recurring;
pub mod reservations;
pub mod waitlist;

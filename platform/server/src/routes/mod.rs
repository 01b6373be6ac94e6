//! HTTP handlers of the kernel itself (operational routes outside `/v1`).

pub mod docs;
pub mod ops;

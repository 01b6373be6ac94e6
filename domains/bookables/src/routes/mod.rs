//! `/v1/bookables` and what hangs under it.

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(_cfg: &mut ServiceConfig<'_>) {}

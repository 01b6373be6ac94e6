//! `/v1/hair-profiles`, `/v1/hair-consents`, `/v1/hair-rituals`, `/v1/hair-calendar` and
//! `/v1/hair-insights`: extract, authorize, call, map.

pub mod calendar;
pub mod consents;
pub mod insights;
pub mod profiles;
pub mod rituals;

use atrium_core::context::{Permission, RequestContext};
use atrium_core::error::ApiError;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::profiles::Reader;

/// The caller and the reach of their `permission` (403 when not held).
pub(crate) fn reader(ctx: &RequestContext, permission: Permission) -> Result<Reader, ApiError> {
    let scope = ctx.require_scoped(permission)?;
    Ok(Reader { user: ctx.principal().user_id().0, scope })
}

pub fn configure(cfg: &mut ServiceConfig<'_>) {
    cfg.service(profiles::export)
        .service(profiles::erase)
        .service(profiles::access_log)
        .service(profiles::create)
        .service(profiles::list)
        .service(profiles::get)
        .service(profiles::update)
        .service(profiles::versions)
        .service(consents::grant)
        .service(consents::list)
        .service(consents::revoke)
        .service(consents::notes)
        .service(consents::history)
        .service(rituals::create)
        .service(rituals::list)
        .service(rituals::get)
        .service(rituals::update)
        .service(rituals::delete)
        .service(calendar::create)
        .service(calendar::list)
        .service(calendar::get)
        .service(calendar::update)
        .service(calendar::delete)
        .service(calendar::transition)
        .service(calendar::occurrences)
        .service(insights::generate)
        .service(insights::explain)
        .service(insights::list)
        .service(insights::get)
        .service(insights::dismiss);
}

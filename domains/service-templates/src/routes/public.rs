//! `GET /v1/public/{tenant_slug}/service-templates`: a tenant's active services for its
//! customer-facing booking page, without a credential (customers learn the services here
//! rather than holding `service-templates:read`).

use actix_web::{get, web};
use atrium_core::context::Directory;
use atrium_core::db::TenantTx;
use atrium_core::error::{ApiError, ErrorCode};
use atrium_core::http::{ListQuery, Page};
use sea_orm::DatabaseConnection;

use crate::service;
use crate::views::{PublicServiceTemplateFilter, PublicServiceTemplateView};

/// Lists a tenant's active service templates, oldest first, as a customer-facing page
/// shows them (no internal fields). 404 for an unknown tenant, or one that has the
/// service-templates plugin off.
#[utoipa::path(tag = "public", params(("tenant_slug" = String, Path, example = "acme-salon"), ListQuery,
    PublicServiceTemplateFilter), responses((status = 200, body = Page<PublicServiceTemplateView>)))]
#[get("/public/{tenant_slug}/service-templates")]
pub async fn public_service_templates_list(
    slug: web::Path<String>,
    query: web::Query<ListQuery>,
    filter: web::Query<PublicServiceTemplateFilter>,
    db: web::Data<DatabaseConnection>,
    dir: web::Data<dyn Directory>,
) -> Result<web::Json<Page<PublicServiceTemplateView>>, ApiError> {
    let limit = query.limit()?;
    let filter = filter.into_inner().checked()?;
    let (tenant, plugins) = dir.public_tenant(db.get_ref(), &slug).await?.ok_or_else(ApiError::not_found)?;
    if !plugins.iter().any(|p| p == crate::NAME) {
        return Err(
            ApiError::new(ErrorCode::PluginDisabled).with_detail("the service-templates plugin is off for this tenant")
        );
    }
    let tx = TenantTx::begin(db.get_ref(), tenant, false).await?;
    let views = service::public_list(&tx, query.cursor()?, limit, filter).await?;
    Ok(web::Json(Page::from_overfetch(views, limit, |t| t.id)))
}

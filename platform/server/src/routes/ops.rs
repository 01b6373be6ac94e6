//! `/health`, `/ready`, `/metrics`: for load balancers, orchestrators and Prometheus.

use actix_web::{HttpRequest, HttpResponse, get, web};
use atrium_core::error::{ApiError, ErrorCode};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db;
use crate::middleware::Kernel;
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: &'static str,
    #[schema(example = "0.1.0")]
    pub version: &'static str,
}

/// The process is up and serving. Touches nothing else.
#[utoipa::path(
    tag = "operations",
    operation_id = "health_get",
    responses((status = 200, description = "Up", body = Health))
)]
#[get("/health")]
pub async fn health_get() -> web::Json<Health> {
    web::Json(Health { status: "ok", version: env!("CARGO_PKG_VERSION") })
}

#[derive(Serialize, ToSchema)]
pub struct Readiness {
    #[schema(example = "ready")]
    pub status: &'static str,
    #[schema(example = "sqlite")]
    pub database: &'static str,
    #[schema(example = 0)]
    pub pending_migrations: usize,
}

/// Ready to serve traffic: the database answers and every migration compiled into this
/// binary has been applied.
#[utoipa::path(
    tag = "operations",
    operation_id = "ready_get",
    responses(
        (status = 200, description = "Ready", body = Readiness),
        (status = 503, description = "Not ready (`unavailable`)", body = atrium_core::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/ready")]
pub async fn ready_get(state: web::Data<AppState>) -> Result<web::Json<Readiness>, ApiError> {
    // The cause goes to the log only: database errors name tables, hosts and roles.
    let unavailable = |detail: &'static str, cause: &dyn std::fmt::Display| {
        tracing::warn!(error = %cause, "{detail}");
        ApiError::new(ErrorCode::Unavailable).with_detail(detail)
    };
    state.db.ping().await.map_err(|e| unavailable("the database is unreachable", &e))?;
    let pending = db::pending_migrations(&state.migrator, &state.db)
        .await
        .map_err(|e| unavailable("the migration state cannot be read", &e))?;
    if pending > 0 {
        return Err(ApiError::new(ErrorCode::Unavailable).with_detail(format!("{pending} migration(s) pending")));
    }
    let database = match state.db.get_database_backend() {
        sea_orm::DbBackend::Postgres => "postgres",
        _ => "sqlite",
    };
    Ok(web::Json(Readiness { status: "ready", database, pending_migrations: 0 }))
}

/// Request counts and latency histograms per route and status, in the Prometheus text
/// format. With `ATRIUM_METRICS_TOKEN` set it needs `Authorization: Bearer <token>`; with
/// `ATRIUM_METRICS_BIND` it is served only on that separate address.
#[utoipa::path(
    tag = "operations",
    operation_id = "metrics_get",
    responses(
        (status = 200, description = "Prometheus text format", content_type = "text/plain", body = String),
        (status = 401, description = "`ATRIUM_METRICS_TOKEN` is set and was not given (`unauthenticated`)", body = atrium_core::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/metrics")]
pub async fn metrics_get(
    req: HttpRequest,
    kernel: web::Data<Kernel>,
    access: web::Data<MetricsAccess>,
) -> Result<HttpResponse, ApiError> {
    if access.elsewhere {
        return Err(ApiError::new(ErrorCode::RouteNotFound).with_detail("no route for /metrics"));
    }
    metrics_answer(&req, &kernel, &access)
}

/// Who may read `/metrics`, and where.
pub struct MetricsAccess {
    pub token: Option<atrium_core::secret::Secret>,
    /// Served on a separate address (`ATRIUM_METRICS_BIND`), not on the API's.
    pub elsewhere: bool,
}

/// The metrics text, after the token check.
pub fn metrics_answer(req: &HttpRequest, kernel: &Kernel, access: &MetricsAccess) -> Result<HttpResponse, ApiError> {
    if let Some(token) = &access.token {
        let given = crate::authn::bearer(req)?;
        if !atrium_core::auth::constant_time_eq(given.as_bytes(), token.expose().as_bytes()) {
            return Err(ApiError::new(ErrorCode::Unauthenticated).with_detail("the metrics token is not valid"));
        }
    }
    let mut text = kernel.metrics.render();
    text.push_str(&format!(
        "# HELP atrium_policy_cache_tenants Tenants whose policy this instance holds in memory.\n\
         # TYPE atrium_policy_cache_tenants gauge\natrium_policy_cache_tenants {}\n",
        kernel.authz.cached_tenants()
    ));
    Ok(HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(text))
}

//! `/health`, `/ready`, `/metrics`: for load balancers, orchestrators and Prometheus.

use actix_web::{HttpResponse, get, web};
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
    let unavailable = |detail: String| ApiError::new(ErrorCode::Unavailable).with_detail(detail);
    state.db.ping().await.map_err(|e| unavailable(format!("database unreachable: {e}")))?;
    let pending = db::pending_migrations(&state.migrator, &state.db)
        .await
        .map_err(|e| unavailable(format!("cannot read migrations: {e}")))?;
    if pending > 0 {
        return Err(unavailable(format!("{pending} migration(s) pending")));
    }
    let database = match state.db.get_database_backend() {
        sea_orm::DbBackend::Postgres => "postgres",
        _ => "sqlite",
    };
    Ok(web::Json(Readiness { status: "ready", database, pending_migrations: 0 }))
}

/// Request counts and latency histograms per route and status, in the Prometheus text
/// format.
#[utoipa::path(
    tag = "operations",
    operation_id = "metrics_get",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain", body = String))
)]
#[get("/metrics")]
pub async fn metrics_get(kernel: web::Data<Kernel>) -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(kernel.metrics.render())
}

//! A plugin that exists only in tests, to drive the kernel through a real plugin: typed
//! JSON bodies, path and query parameters, a slow handler for the request timeout.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex};

use actix_web::{HttpResponse, get, post, web};
use atrium_core::error::ApiError;
use atrium_core::events::EventTypeDef;
use atrium_core::extract::Json;
use atrium_core::jobs::{JobContext, JobDef, JobResult};
use atrium_core::plugin::{BuiltinRole, DomainPlugin, PermissionDef};
use serde::{Deserialize, Serialize};
use utoipa::{PartialSchema, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

pub struct EchoPlugin;

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EchoBody {
    pub name: String,
    pub count: u8,
    pub nested: Nested,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Nested {
    pub flag: bool,
}

#[utoipa::path(request_body = EchoBody, responses((status = 200, body = EchoBody)))]
#[post("/echo")]
async fn echo_create(body: Json<EchoBody>) -> web::Json<EchoBody> {
    web::Json(body.into_inner())
}

#[derive(Deserialize, utoipa::IntoParams)]
struct SleepQuery {
    ms: u64,
}

#[utoipa::path(params(("id" = uuid::Uuid, Path), SleepQuery), responses((status = 200)))]
#[get("/echo/{id}")]
async fn echo_get(id: web::Path<uuid::Uuid>, query: web::Query<SleepQuery>) -> Result<HttpResponse, ApiError> {
    tokio::time::sleep(std::time::Duration::from_millis(query.ms)).await;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "id": id.into_inner() })))
}

/// What the `echo.tick` job saw, per run key (the `run_key` setting a test gives its
/// instances): passes in flight now, the most ever in flight at once, passes completed.
#[derive(Default)]
pub struct TickCounters {
    pub in_flight: AtomicUsize,
    pub max_in_flight: AtomicUsize,
    pub passes: AtomicUsize,
}

static TICKS: LazyLock<Mutex<HashMap<String, Arc<TickCounters>>>> = LazyLock::new(Default::default);

/// The counters of the instances started with `run_key`.
pub fn ticks(run_key: &str) -> Arc<TickCounters> {
    TICKS.lock().unwrap().entry(run_key.to_owned()).or_default().clone()
}

/// One pass of `echo.tick`: 30 ms of "work", counted; a no-op for instances without a
/// `run_key` (the other tests' servers).
async fn tick(ctx: JobContext) -> JobResult {
    let Some(key) = ctx.settings.get("run_key") else { return Ok(()) };
    let counters = ticks(key);
    let now = counters.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    counters.max_in_flight.fetch_max(now, Ordering::SeqCst);
    tokio::time::sleep(std::time::Duration::from_millis(30)).await;
    counters.in_flight.fetch_sub(1, Ordering::SeqCst);
    counters.passes.fetch_add(1, Ordering::SeqCst);
    Ok(())
}

impl DomainPlugin for EchoPlugin {
    fn name(&self) -> &'static str {
        "echo"
    }

    fn routes(&self, cfg: &mut ServiceConfig<'_>) {
        cfg.service(echo_create).service(echo_get);
    }

    fn permissions(&self) -> Vec<PermissionDef> {
        vec![PermissionDef::tenant("echo:write", "Echo things", &[BuiltinRole::Owner])]
    }

    fn jobs(&self) -> Vec<JobDef> {
        vec![JobDef::new("echo.tick", "Counts its passes (tests)", std::time::Duration::from_millis(20), tick)]
    }

    fn events(&self) -> Vec<EventTypeDef> {
        vec![EventTypeDef {
            name: "echo.sent",
            description: "An echo was sent",
            data_schema: EchoBody::schema(),
            read_permission: "echo:write",
        }]
    }
}

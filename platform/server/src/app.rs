//! The application: state, the route tree (one function, used both to serve and to
//! generate the spec, so the two cannot differ), and [`Application`], which binds a
//! listener (port 0 works) and runs until stopped.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::{Server, ServiceFactory, ServiceRequest};
use actix_web::http::header;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpRequest, HttpServer, ResponseError, web};
use atrium_core::auth::TokenKeys;
use atrium_core::context::{Authenticator, Directory, PolicyInvalidation};
use atrium_core::error::{ApiError, ErrorCode};
use atrium_core::plugin::{Catalog, Deployment};
use sea_orm::DatabaseConnection;
use serde_json::Value;
use utoipa_actix_web::{AppExt, UtoipaApp};

use atrium_core::crypto::{Keyring, Sealer};
use atrium_integrations::delivery::{WebhookSettings, Worker};
use atrium_integrations::idempotency::{self, Idempotency};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::authn::Authn;
use crate::authz::Authz;
use crate::config::Config;
use crate::db;
use crate::encryption_keys;
use crate::jobs;
use crate::metrics::Metrics;
use crate::middleware::{AnonymousBudget, Kernel, kernel};
use crate::openapi::{self, RouteTable};
use crate::plugins::PluginRegistry;
use crate::routes::ops::MetricsAccess;
use crate::routes::{docs, ops};
use crate::signing_keys;
use crate::state::AppState;

/// What handlers extract with `web::Data<…>`.
#[derive(Clone)]
struct SharedData {
    db: web::Data<DatabaseConnection>,
    keys: web::Data<TokenKeys>,
    catalog: web::Data<Catalog>,
    deployment: web::Data<Deployment>,
    authn: web::Data<dyn Authenticator>,
    policies: web::Data<dyn PolicyInvalidation>,
    authz: web::Data<Authz>,
}

/// Mounts every documented handler: the kernel's operational routes and each plugin's
/// routes under `/v1`.
pub fn mount<T>(app: UtoipaApp<T>, registry: &PluginRegistry) -> UtoipaApp<T>
where
    T: ServiceFactory<ServiceRequest, Config = (), Error = actix_web::Error, InitError = ()>,
{
    let registry = registry.clone();
    app.service(ops::health_get)
        .service(ops::ready_get)
        .service(ops::metrics_get)
        .service(utoipa_actix_web::scope("/v1").configure(move |cfg| registry.routes(cfg)))
}

/// The OpenAPI document of a server built with `registry`, titled `title`.
pub fn spec(registry: &PluginRegistry, title: &str) -> Value {
    let (_, collected) = mount(App::new().into_utoipa_app(), registry).split_for_parts();
    openapi::document(collected, registry, title)
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Db(#[from] db::DbSetupError),
    #[error("cannot load signing keys: {0}")]
    Keys(sea_orm::DbErr),
    #[error(transparent)]
    Registry(#[from] crate::plugins::RegistryError),
    #[error("cannot start the webhook worker: {0}")]
    Worker(String),
    #[error("configuration: {0}")]
    Config(String),
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: std::net::SocketAddr, source: std::io::Error },
}

pub struct Application {
    port: u16,
    metrics_port: Option<u16>,
    server: Server,
    base_url: String,
    /// Cancelled on SIGTERM/SIGINT or when the server stops: background work winds down.
    shutdown: CancellationToken,
    /// The job runner's and the webhook worker's tasks.
    background: Vec<JoinHandle<()>>,
    grace: std::time::Duration,
}

impl Application {
    /// Opens (and migrates) the database, checks the role, binds the listener.
    pub async fn build(config: Config, registry: PluginRegistry) -> Result<Self, StartError> {
        let mut db = db::connect(config.database_url.expose(), config.database_max_connections).await?;
        db.set_metric_callback(|_| crate::metrics::count_statement());
        let migrator = registry.migrator();
        // Before migrating (a superuser must not get to create anything) and after (a
        // runtime role that migrated by itself now owns the tables).
        db::check_runtime_role(&config, &db).await?;
        if config.auto_migrate {
            db::migrate_up(&config, &migrator, &db).await?;
        } else {
            let pending = db::pending_migrations(&migrator, &db).await.map_err(db::DbSetupError::Check)?;
            if pending > 0 {
                return Err(db::DbSetupError::Pending(pending).into());
            }
        }
        db::check_runtime_role(&config, &db).await?;
        let signing_keys = signing_keys::load(&db, config.jwt_secret.as_ref(), &config.jwt_previous_secrets)
            .await
            .map_err(StartError::Keys)?;
        let token_keys = signing_keys.token_keys(&config);
        let catalog = Arc::new(registry.catalog());
        let authz =
            Arc::new(Authz::new(db.clone(), catalog.clone(), registry.policy_source(), config.policy_cache_tenants));
        if config.is_postgres() {
            authz.spawn_listener(config.database_url.expose().to_owned());
        }
        let authn: Arc<dyn Authenticator> = Arc::new(Authn {
            db: db.clone(),
            limiter: Default::default(),
            keys: token_keys.clone(),
            authz: authz.clone(),
            route_plugins: registry.route_plugins(),
        });
        let policies: Arc<dyn PolicyInvalidation> = authz.clone();
        let encryption_keys = encryption_keys::load(&db, &config.encryption_keys).await.map_err(StartError::Keys)?;
        // Values sealed before keyrings were sealed with a JWT signing key: they still open
        // while that key is configured (current or previous), and are re-sealed when used.
        let keyring = |purpose: &str| {
            Keyring::new(&encryption_keys, purpose)
                .with_legacy(signing_keys.keys.values().map(|k| Sealer::new(k, purpose)).collect())
        };
        let webhooks = Arc::new(WebhookSettings {
            allow_private: config.webhooks_allow_private,
            keyring: keyring("webhook secrets"),
            schedule: config.webhook_retry_schedule_ms.iter().map(|ms| std::time::Duration::from_millis(*ms)).collect(),
            timeout: std::time::Duration::from_secs(config.webhook_timeout_seconds),
            disable_after: chrono::Duration::hours(config.webhook_disable_after_hours as i64),
            poll_interval: std::time::Duration::from_millis(config.webhook_poll_interval_ms),
            lease: chrono::Duration::seconds(config.webhook_lease_seconds.max(1) as i64),
            endpoints_per_tenant: config.webhook_endpoints_per_tenant,
            max_in_flight_per_host: config.webhook_max_in_flight_per_host.max(1),
        });
        let shutdown = CancellationToken::new();
        let mut background = Vec::new();
        if config.webhook_worker {
            let worker = Worker::new(db.clone(), webhooks.clone(), catalog.clone(), authz.clone())
                .map_err(|e| StartError::Worker(e.to_string()))?;
            background.extend(worker.spawn(shutdown.clone()));
        }
        if config.jobs {
            let scheduled = jobs::scheduled(registry.jobs(), &config.plugins, &config.job_intervals_ms);
            background.extend(jobs::spawn(db.clone(), scheduled, shutdown.clone()));
        }
        let webhooks = web::Data::from(webhooks);
        let directory: web::Data<dyn Directory> = web::Data::from(registry.directory());
        let idempotency = web::Data::new(Idempotency::new(
            db.clone(),
            authn.clone(),
            keyring("idempotency"),
            config.request_timeout(),
        ));
        let shared = SharedData {
            db: web::Data::new(db.clone()),
            keys: web::Data::new(token_keys),
            catalog: web::Data::from(catalog),
            deployment: web::Data::new(Deployment {
                title: config.title.clone(),
                base_domain: config.base_domain.clone(),
                signup_rate_limit_per_minute: config.signup_rate_limit_per_minute,
                signup_seats: config.signup_seats,
                dns_resolver: config.dns_resolver,
            }),
            authn: web::Data::from(authn),
            policies: web::Data::from(policies),
            authz: web::Data::from(authz),
        };

        let spec = spec(&registry, &config.title);
        let mut routes = RouteTable::from_spec(&spec);
        routes.add("/openapi.json", vec!["GET".into()]);
        routes.add("/docs", vec!["GET".into()]);
        let listener =
            TcpListener::bind(config.bind).map_err(|source| StartError::Bind { addr: config.bind, source })?;
        let addr = listener.local_addr().map_err(|source| StartError::Bind { addr: config.bind, source })?;
        let base_url = config.public_base_url.clone().unwrap_or_else(|| format!("http://{addr}"));
        if config.mail_worker {
            let mail = Arc::new(atrium_notifications::MailSettings {
                smtp_url: config.smtp_url.as_ref().map(|u| u.expose().to_owned()),
                from: config.mail_from.clone(),
                base_url: base_url.clone(),
                retry_schedule: config
                    .mail_retry_schedule_ms
                    .iter()
                    .map(|ms| std::time::Duration::from_millis(*ms))
                    .collect(),
                poll_interval: std::time::Duration::from_millis(config.mail_poll_interval_ms),
                lease: std::time::Duration::from_secs(60),
            });
            let sender = atrium_notifications::sender::Sender::new(db.clone(), mail, registry.directory())
                .map_err(StartError::Config)?;
            background.push(sender.spawn(shutdown.clone()));
        }

        let config = Arc::new(config);
        let state = web::Data::new(AppState {
            config: config.clone(),
            db,
            registry: registry.clone(),
            migrator,
            signing_keys,
            spec_json: serde_json::to_string_pretty(&spec).unwrap_or_default(),
            routes,
        });
        let kernel_state = web::Data::new(Kernel {
            metrics: Metrics::default(),
            request_timeout: config.request_timeout(),
            trusted_proxies: config.trusted_proxy_blocks().map_err(StartError::Config)?,
            anonymous: AnonymousBudget {
                per_minute: config.anonymous_rate_limit_per_minute,
                public_routes: public_routes(&spec),
                limiter: Default::default(),
            },
            authz: shared.authz.clone().into_inner(),
        });
        let metrics_access = web::Data::new(MetricsAccess {
            token: config.metrics_token.clone(),
            elsewhere: config.metrics_bind.is_some(),
        });
        let mut metrics_port = None;
        if let Some(bind) = config.metrics_bind {
            let (port, task) = serve_metrics(bind, kernel_state.clone(), metrics_access.clone(), shutdown.clone())?;
            metrics_port = Some(port);
            background.push(task);
        }
        let swagger = web::Data::new(Arc::new(docs::swagger_config()));
        let body_limit = config.body_limit_bytes;

        let mut server = HttpServer::new(move || {
            mount(App::new().into_utoipa_app(), &registry)
                .into_app()
                .app_data(state.clone())
                .app_data(kernel_state.clone())
                .app_data(metrics_access.clone())
                .app_data(swagger.clone())
                .app_data(shared.db.clone())
                .app_data(shared.keys.clone())
                .app_data(shared.catalog.clone())
                .app_data(shared.deployment.clone())
                .app_data(shared.authn.clone())
                .app_data(shared.policies.clone())
                .app_data(shared.authz.clone())
                .app_data(idempotency.clone())
                .app_data(webhooks.clone())
                .app_data(directory.clone())
                .app_data(web::PayloadConfig::new(body_limit))
                .app_data(web::PathConfig::default().error_handler(|err, _| invalid_parameter(err)))
                .app_data(web::QueryConfig::default().error_handler(|err, _| invalid_parameter(err)))
                .route("/openapi.json", web::get().to(docs::openapi_json))
                .route("/docs", web::get().to(docs::docs_redirect))
                .route("/docs/{tail:.*}", web::get().to(docs::docs_file))
                .configure(booking_page)
                .default_service(web::to(fallback))
                .wrap(from_fn(idempotency::idempotency))
                .wrap(from_fn(kernel))
        })
        .shutdown_timeout(config.shutdown_timeout_seconds)
        // Signals are handled in `run_until_stopped`, which stops background work too.
        .disable_signals()
        .listen(listener)
        .map_err(|source| StartError::Bind { addr, source })?;
        if let Some(workers) = config.workers {
            server = server.workers(workers);
        }
        let grace = std::time::Duration::from_secs(config.shutdown_timeout_seconds);
        Ok(Self { port: addr.port(), metrics_port, server: server.run(), base_url, shutdown, background, grace })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port of the separate metrics listener (`ATRIUM_METRICS_BIND`), if any.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics_port
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Serves until SIGINT/SIGTERM (or [`Self::handle`]'s `stop`), then drains in-flight
    /// requests and ends background work, both within the shutdown grace period.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let Self { server, shutdown, background, grace, .. } = self;
        let handle = server.handle();
        let on_signal = shutdown.clone();
        let signals = tokio::spawn(async move {
            stop_signal().await;
            tracing::info!("stopping: draining requests and background work");
            on_signal.cancel();
            handle.stop(true).await;
        });
        let served = server.await;
        signals.abort();
        shutdown.cancel();
        let ended = tokio::time::timeout(grace, futures_util::future::join_all(background)).await;
        if ended.is_err() {
            tracing::warn!(grace_s = grace.as_secs(), "background work did not end within the grace period");
        }
        served
    }

    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }
}

/// The customer-facing booking page (`/book/…`), when compiled in: HTML, outside the spec.
fn booking_page(cfg: &mut web::ServiceConfig) {
    #[cfg(feature = "booking-page")]
    atrium_booking_page::configure(cfg);
    #[cfg(not(feature = "booking-page"))]
    let _ = cfg;
}

/// Route patterns whose operations take no credential, as the spec says (plus the docs).
fn public_routes(spec: &Value) -> std::collections::HashSet<String> {
    let mut public: std::collections::HashSet<String> =
        ["/openapi.json", "/docs", "/docs/{tail:.*}"].into_iter().map(str::to_owned).collect();
    for (path, item) in spec["paths"].as_object().into_iter().flatten() {
        let operations =
            item.as_object().into_iter().flatten().filter(|(key, _)| openapi::HTTP_METHODS.contains(&key.as_str()));
        let anonymous = operations.into_iter().any(|(_, op)| {
            op.get("security")
                .and_then(Value::as_array)
                .is_none_or(|s| s.is_empty() || s.iter().any(|r| r.as_object().is_some_and(|o| o.is_empty())))
        });
        if anonymous {
            public.insert(path.clone());
        }
    }
    public
}

/// `/metrics` alone on its own address, stopped with the rest.
fn serve_metrics(
    bind: std::net::SocketAddr,
    kernel: web::Data<Kernel>,
    access: web::Data<MetricsAccess>,
    shutdown: CancellationToken,
) -> Result<(u16, JoinHandle<()>), StartError> {
    let listener = TcpListener::bind(bind).map_err(|source| StartError::Bind { addr: bind, source })?;
    let port = listener.local_addr().map_err(|source| StartError::Bind { addr: bind, source })?.port();
    let server = HttpServer::new(move || {
        App::new().app_data(kernel.clone()).app_data(access.clone()).route(
            "/metrics",
            web::get().to(|req: HttpRequest, kernel: web::Data<Kernel>, access: web::Data<MetricsAccess>| async move {
                crate::routes::ops::metrics_answer(
                    &req,
                    &kernel,
                    &MetricsAccess { token: access.token.clone(), elsewhere: false },
                )
            }),
        )
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .map_err(|source| StartError::Bind { addr: bind, source })?
    .run();
    let handle = server.handle();
    let task = tokio::spawn(async move {
        let stopped = shutdown.clone();
        tokio::spawn(async move {
            stopped.cancelled().await;
            handle.stop(true).await;
        });
        if let Err(err) = server.await {
            tracing::warn!(error = %err, "the metrics listener stopped");
        }
    });
    Ok((port, task))
}

/// SIGTERM or SIGINT (Ctrl-C).
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) {
            (Ok(mut term), Ok(mut int)) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = int.recv() => {}
                }
            }
            _ => std::future::pending().await,
        }
    }
    #[cfg(not(unix))]
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}

fn invalid_parameter(err: impl std::fmt::Display) -> actix_web::Error {
    ApiError::new(ErrorCode::InvalidParameter).with_detail(err.to_string()).into()
}

/// No route matched: 405 with `Allow` if the path exists with other methods, else 404.
async fn fallback(req: HttpRequest, state: web::Data<AppState>) -> actix_web::HttpResponse {
    let path = req.path();
    let err = match state.routes.allowed(path).or_else(|| path.starts_with("/docs/").then(|| vec!["GET".into()])) {
        Some(methods) => ApiError::new(ErrorCode::MethodNotAllowed)
            .with_detail(format!("{} {} is not a route; allowed: {}", req.method(), path, methods.join(", ")))
            .with_header(header::ALLOW, methods.join(", ")),
        None => ApiError::new(ErrorCode::RouteNotFound).with_detail(format!("no route for {path}")),
    };
    err.error_response()
}

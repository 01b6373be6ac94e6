//! The test harness: [`spawn_app`] starts the real server in-process on port 0 with its
//! own fresh database — a temporary SQLite file, or, when `ATRIUM_TEST_POSTGRES_URL` is
//! set, a UUID-named PostgreSQL database (dropped afterwards) that the server reaches as
//! a non-owner runtime role while migrations run as the owner role. Tests run in
//! parallel; logs only with `TEST_LOG=1`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a harness fails loudly

pub mod dns;
pub mod echo;
mod postgres;
pub mod receiver;
pub mod smtp;

use std::sync::Once;

use atrium_core::plugin::DomainPlugin;
use atrium_server::{Application, Config, PluginRegistry};
use reqwest::{Method, RequestBuilder, Response};
use serde_json::Value;

pub use postgres::PgDatabase;

pub const TEST_JWT_SECRET: &str = "test-secret-test-secret-test-secret-0123";

pub struct TestApp {
    pub address: String,
    pub port: u16,
    /// The separate metrics listener's port (`metrics_bind`), if any.
    pub metrics_port: Option<u16>,
    pub client: reqwest::Client,
    /// The runtime connection string the server uses.
    pub database_url: String,
    /// The owner's connection string (PostgreSQL), or the same SQLite file.
    pub owner_database_url: String,
    handle: actix_web::dev::ServerHandle,
    _sqlite_dir: Option<tempfile::TempDir>,
    pg: Option<PgDatabase>,
}

/// Port 0, the test JWT secret, two workers.
fn test_config() -> Config {
    Config {
        bind: "127.0.0.1:0".parse().unwrap(),
        jwt_secret: Some(atrium_core::secret::Secret::new(TEST_JWT_SECRET)),
        workers: Some(2),
        database_max_connections: 8,
        ..Config::default()
    }
}

/// Starts the server as `cargo run` builds it.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}, PluginRegistry::compiled().unwrap()).await
}

/// Starts the server with a tweaked configuration and plugin set.
pub async fn spawn_app_with(tweak: impl FnOnce(&mut Config), registry: PluginRegistry) -> TestApp {
    spawn_app_seeded(None, tweak, registry).await
}

/// SQL that makes a database as an earlier release left it (a dump of each kind), loaded
/// into the fresh database before the server starts and migrates it forward.
pub struct Seed<'a> {
    pub sqlite: &'a str,
    /// A `pg_dump` (without psql meta-commands); the roles `atrium_owner` and `atrium_app`
    /// in it are renamed to this run's owner and runtime roles.
    pub postgres: &'a str,
}

/// [`spawn_app_with`] on a database first loaded with `seed`.
pub async fn spawn_app_seeded(
    seed: Option<Seed<'_>>,
    tweak: impl FnOnce(&mut Config),
    registry: PluginRegistry,
) -> TestApp {
    init_logs();
    let mut config = test_config();
    let (sqlite_dir, pg, database_url, owner_database_url) = match PgDatabase::from_env().await {
        Some(pg) => {
            let (runtime, owner) = (pg.runtime_url(), pg.owner_url());
            config.migration_database_url = Some(atrium_core::secret::Secret::new(owner.clone()));
            (None, Some(pg), runtime, owner)
        }
        None => {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite://{}?mode=rwc", dir.path().join("atrium.db").display());
            (Some(dir), None, url.clone(), url)
        }
    };
    config.database_url = atrium_core::secret::Secret::new(database_url.clone());
    if let Some(seed) = seed {
        use sea_orm::ConnectionTrait;
        let (url, sql) = match &pg {
            Some(pg) => (pg.admin_url_for_db(), pg.with_roles(seed.postgres)),
            None => (database_url.clone(), seed.sqlite.to_owned()),
        };
        let db = sea_orm::Database::connect(url.as_str()).await.unwrap();
        db.execute_unprepared(&sql).await.expect("the seed loads");
        db.close().await.unwrap();
    }
    tweak(&mut config);
    let app = Application::build(config, registry).await.expect("server starts");
    let port = app.port();
    let metrics_port = app.metrics_port();
    let handle = app.handle();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        metrics_port,
        client: reqwest::Client::builder().no_proxy().build().unwrap(),
        database_url,
        owner_database_url,
        handle,
        _sqlite_dir: sqlite_dir,
        pg,
    }
}

impl TestApp {
    /// A second server instance on the same database, as behind a load balancer.
    pub async fn spawn_sibling(&self) -> TestApp {
        self.spawn_sibling_with(|_| {}, PluginRegistry::compiled().unwrap()).await
    }

    /// [`Self::spawn_sibling`] with a tweaked configuration and plugin set.
    pub async fn spawn_sibling_with(&self, tweak: impl FnOnce(&mut Config), registry: PluginRegistry) -> TestApp {
        let mut config =
            Config { database_url: atrium_core::secret::Secret::new(self.database_url.clone()), ..test_config() };
        if self.pg.is_some() {
            config.migration_database_url = Some(atrium_core::secret::Secret::new(self.owner_database_url.clone()));
        }
        tweak(&mut config);
        let app = Application::build(config, registry).await.expect("sibling starts");
        let port = app.port();
        let metrics_port = app.metrics_port();
        let handle = app.handle();
        tokio::spawn(app.run_until_stopped());
        TestApp {
            address: format!("http://127.0.0.1:{port}"),
            port,
            metrics_port,
            client: reqwest::Client::builder().no_proxy().build().unwrap(),
            database_url: self.database_url.clone(),
            owner_database_url: self.owner_database_url.clone(),
            handle,
            _sqlite_dir: None,
            pg: None,
        }
    }
}

/// Plugins for kernel tests: the compiled ones plus [`echo::EchoPlugin`].
pub fn registry_with_echo() -> PluginRegistry {
    let mut plugins: Vec<Box<dyn DomainPlugin>> = vec![Box::new(echo::EchoPlugin)];
    plugins.extend(atrium_server::plugins::compiled_plugins());
    PluginRegistry::new(plugins).unwrap()
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, self.url(path))
    }

    pub async fn get(&self, path: &str) -> Response {
        self.request(Method::GET, path).send().await.unwrap()
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.request(Method::POST, path).json(body).send().await.unwrap()
    }

    pub fn is_postgres(&self) -> bool {
        self.pg.is_some()
    }

    /// A connection string that sees every row (PostgreSQL: the administrative role,
    /// which row-level security does not bind), for tests that inspect the whole database.
    pub fn superuser_database_url(&self) -> String {
        match &self.pg {
            Some(pg) => pg.admin_url_for_db(),
            None => self.database_url.clone(),
        }
    }

    /// Tables and text-like columns whose value contains `needle`, anywhere in the database.
    pub async fn find_text_in_database(&self, needle: &str) -> Vec<String> {
        use sea_orm::{ConnectionTrait, DbBackend, Statement};
        let db = sea_orm::Database::connect(self.superuser_database_url().as_str()).await.unwrap();
        let backend = db.get_database_backend();
        let columns_sql = match backend {
            DbBackend::Postgres => {
                "SELECT table_name::text AS t, column_name::text AS c FROM information_schema.columns
                WHERE table_schema = 'public' AND data_type IN ('text', 'character varying', 'json', 'jsonb')"
                    .to_owned()
            }
            _ => "SELECT m.name AS t, p.name AS c FROM sqlite_master m JOIN pragma_table_info(m.name) p
                WHERE m.type = 'table'"
                .to_owned(),
        };
        let mut hits = Vec::new();
        for row in db.query_all_raw(Statement::from_string(backend, columns_sql)).await.unwrap() {
            let (t, c): (String, String) = (row.try_get("", "t").unwrap(), row.try_get("", "c").unwrap());
            let cast = if backend == DbBackend::Postgres {
                format!("\"{c}\"::text")
            } else {
                format!("CAST(\"{c}\" AS TEXT)")
            };
            let sql = format!("SELECT count(*) AS n FROM \"{t}\" WHERE {cast} LIKE $1");
            let n: i64 = db
                .query_one_raw(Statement::from_sql_and_values(backend, sql, [format!("%{needle}%").into()]))
                .await
                .unwrap()
                .unwrap()
                .try_get("", "n")
                .unwrap();
            if n > 0 {
                hits.push(format!("{t}.{c}"));
            }
        }
        db.close().await.ok();
        hits
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Stop accepting and close the pool's connections before the database goes.
        drop(self.handle.stop(false));
    }
}

/// A tenant made through `POST /v1/signup`, with its owner signed in.
#[derive(Clone, Debug)]
pub struct Tenant {
    pub id: String,
    pub slug: String,
    pub owner_email: String,
    pub password: String,
    pub token: String,
    pub refresh_token: String,
}

pub const PASSWORD: &str = "correct horse battery staple";

impl TestApp {
    /// Signs up a tenant `slug` whose owner is `owner@<slug>.example`.
    pub async fn signup(&self, slug: &str) -> Tenant {
        let owner_email = format!("owner@{slug}.example");
        let res = self
            .post_json(
                "/v1/signup",
                &serde_json::json!({
                    "tenant": {"slug": slug, "name": format!("Tenant {slug}"), "type": "small_business",
                               "timezone": "Europe/Paris", "currency": "EUR"},
                    "owner": {"email": owner_email, "password": PASSWORD, "name": "Owner"}
                }),
            )
            .await;
        assert_eq!(res.status(), 201, "signup {slug}");
        let body: Value = res.json().await.unwrap();
        Tenant {
            id: body["tenant"]["id"].as_str().unwrap().to_owned(),
            slug: slug.to_owned(),
            owner_email,
            password: PASSWORD.to_owned(),
            token: body["access_token"].as_str().unwrap().to_owned(),
            refresh_token: body["refresh_token"].as_str().unwrap().to_owned(),
        }
    }

    /// Switches on every optional plugin of this server for `tenant`.
    pub async fn enable_all_plugins(&self, tenant: &Tenant) {
        let plugins: Value = self.get_as(&tenant.token, "/v1/plugins").await.json().await.unwrap();
        let optional: Vec<&str> = plugins
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["optional"] == true)
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        let res = self
            .send_as(&tenant.token, Method::PATCH, "/v1/tenant", &serde_json::json!({"enabled_plugins": optional}))
            .await;
        assert_eq!(res.status(), 200);
    }

    /// A request carrying `token`.
    pub fn as_token(&self, method: Method, path: &str, token: &str) -> RequestBuilder {
        self.request(method, path).bearer_auth(token)
    }

    pub async fn get_as(&self, token: &str, path: &str) -> Response {
        self.as_token(Method::GET, path, token).send().await.unwrap()
    }

    pub async fn send_as(&self, token: &str, method: Method, path: &str, body: &Value) -> Response {
        self.as_token(method, path, token).json(body).send().await.unwrap()
    }

    /// Invites `email` into `tenant` with `roles` and accepts; returns the new member's
    /// access token and membership id.
    pub async fn add_member(&self, tenant: &Tenant, email: &str, roles: &[&str]) -> (String, String) {
        let res = self
            .send_as(&tenant.token, Method::POST, "/v1/members", &serde_json::json!({"email": email, "roles": roles}))
            .await;
        assert_eq!(res.status(), 201, "invite {email}");
        let invitation: Value = res.json().await.unwrap();
        let token = invitation["token"].as_str().unwrap();
        let res = self
            .post_json(
                &format!("/v1/invitations/{token}/accept"),
                &serde_json::json!({"password": PASSWORD, "name": "Member"}),
            )
            .await;
        assert_eq!(res.status(), 200, "accept {email}");
        let tokens: Value = res.json().await.unwrap();
        let access = tokens["access_token"].as_str().unwrap().to_owned();
        let me: Value = self.get_as(&access, "/v1/me").await.json().await.unwrap();
        let user_id = me["user"]["id"].as_str().unwrap().to_owned();
        let members: Value = self.get_as(&tenant.token, "/v1/members?limit=200").await.json().await.unwrap();
        let membership =
            members["data"].as_array().unwrap().iter().find(|m| m["user"]["id"] == user_id.as_str()).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned();
        (access, membership)
    }

    /// Registers `email` as a customer of `tenant_slug` (`POST /v1/public/{slug}/customers`)
    /// with the tests' password; returns the answer (user and tokens).
    pub async fn register_customer(&self, tenant_slug: &str, email: &str) -> Value {
        let res = self
            .post_json(
                &format!("/v1/public/{tenant_slug}/customers"),
                &serde_json::json!({"email": email, "password": PASSWORD, "name": "Customer"}),
            )
            .await;
        assert_eq!(res.status(), 201, "register {email} at {tenant_slug}");
        res.json().await.unwrap()
    }

    /// [`Self::add_member`] confined to one location (`location_id` of the invitation):
    /// a location-scoped membership.
    pub async fn add_member_at(&self, tenant: &Tenant, email: &str, roles: &[&str], location: &str) -> String {
        let body = serde_json::json!({"email": email, "roles": roles, "location_id": location});
        let res = self.send_as(&tenant.token, Method::POST, "/v1/members", &body).await;
        assert_eq!(res.status(), 201, "invite {email} at {location}");
        let invitation: Value = res.json().await.unwrap();
        assert_eq!(invitation["location_id"], location);
        let token = invitation["token"].as_str().unwrap();
        let res = self
            .post_json(
                &format!("/v1/invitations/{token}/accept"),
                &serde_json::json!({"password": PASSWORD, "name": "Member"}),
            )
            .await;
        assert_eq!(res.status(), 200, "accept {email}");
        let tokens: Value = res.json().await.unwrap();
        tokens["access_token"].as_str().unwrap().to_owned()
    }

    /// The id of the user a token belongs to (`GET /v1/me`).
    pub async fn user_id_of(&self, token: &str) -> String {
        let me: Value = self.get_as(token, "/v1/me").await.json().await.unwrap();
        me["user"]["id"].as_str().unwrap().to_owned()
    }

    /// Signs `email` in to `tenant_slug`.
    pub async fn sign_in(&self, email: &str, tenant_slug: &str) -> Value {
        let res = self
            .post_json(
                "/v1/auth/token",
                &serde_json::json!({"email": email, "password": PASSWORD, "tenant": tenant_slug}),
            )
            .await;
        assert_eq!(res.status(), 200, "sign in {email} to {tenant_slug}");
        res.json().await.unwrap()
    }
}

/// Asserts `res` is a problem response with `status` and `code`; returns its body.
pub async fn assert_problem(res: Response, status: u16, code: &str) -> Value {
    assert_eq!(res.status().as_u16(), status, "status of {}", res.url());
    let content_type = res.headers().get("content-type").unwrap().to_str().unwrap().to_owned();
    assert_eq!(content_type, "application/problem+json");
    let header_id = res.headers().get("x-request-id").unwrap().to_str().unwrap().to_owned();
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status);
    assert_eq!(body["request_id"], header_id.as_str(), "body and header carry one request id");
    assert!(!header_id.is_empty());
    body
}

fn init_logs() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            atrium_server::telemetry::init("debug", atrium_server::config::LogFormat::Text);
        }
    });
}

//! Configuration, layered: defaults → optional `atrium.toml` → `ATRIUM_*` environment
//! variables (each field `x_y` is `ATRIUM_X_Y`). Secrets are [`Secret`]s: never logged.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use atrium_core::secret::Secret;
use serde::Deserialize;

pub const DEFAULT_CONFIG_FILE: &str = "atrium.toml";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    Text,
    Json,
}

impl FromStr for LogFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "text" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            other => Err(format!("expected `text` or `json`, got `{other}`")),
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address the HTTP server listens on; port 0 picks a free one.
    pub bind: SocketAddr,
    /// Runtime database. SQLite (`sqlite://atrium.db?mode=rwc`, the default) or PostgreSQL.
    pub database_url: Secret,
    /// PostgreSQL: the tables' owner, used only to migrate. The runtime role must not own them.
    pub migration_database_url: Option<Secret>,
    /// HS256 secret for access tokens; generated and kept in the database when absent.
    pub jwt_secret: Option<Secret>,
    /// Secrets that signed earlier: their tokens still verify (key rotation).
    pub jwt_previous_secrets: Vec<Secret>,
    /// Keys that seal secrets at rest (webhook signing secrets, stored idempotent
    /// responses), the current one first, then earlier ones that still open what they
    /// sealed (re-sealed with the current one when next used). Generated and kept in the
    /// database when absent.
    pub encryption_keys: Vec<Secret>,
    pub jwt_issuer: String,
    pub jwt_audience: String,
    pub jwt_access_ttl_seconds: u64,
    pub jwt_refresh_ttl_seconds: u64,
    /// The URL clients reach this deployment at; used in links and the startup banner.
    pub public_base_url: Option<String>,
    /// Tenants are also reachable at `{slug}.{base_domain}` (white-label public pages).
    pub base_domain: Option<String>,
    /// Requests per minute per API key or user in the plan a self-serve signup gets.
    pub signup_rate_limit_per_minute: u32,
    /// Members (with pending invitations) a self-serve signup's plan allows.
    pub signup_seats: u32,
    /// Deployment title (white-label): shown in the spec and in Swagger UI.
    pub title: String,
    pub log_level: String,
    pub log_format: LogFormat,
    /// Lets the server start on PostgreSQL although its role can bypass row-level security.
    /// For experiments only: tenant isolation in the database is then not enforced.
    pub allow_rls_bypass: bool,
    /// Apply pending migrations when `serve` starts.
    pub auto_migrate: bool,
    pub body_limit_bytes: usize,
    pub request_timeout_seconds: u64,
    pub shutdown_timeout_seconds: u64,
    /// HTTP worker threads; defaults to the number of cores.
    pub workers: Option<usize>,
    pub database_max_connections: u32,
    /// Lets webhooks reach loopback and private addresses (development only).
    pub webhooks_allow_private: bool,
    /// Delay before each delivery attempt, in milliseconds (the first is immediate).
    pub webhook_retry_schedule_ms: Vec<u64>,
    pub webhook_timeout_seconds: u64,
    /// An endpoint failing for this long is disabled.
    pub webhook_disable_after_hours: u64,
    /// How often the delivery worker looks for due deliveries.
    pub webhook_poll_interval_ms: u64,
    /// How long a worker's claim on a delivery lasts; a dead worker's claims lapse then.
    pub webhook_lease_seconds: u64,
    /// Whether this instance runs the delivery worker (instances that only serve the API
    /// turn it off; at least one instance must run it).
    pub webhook_worker: bool,
    /// Webhook endpoints one tenant may register.
    pub webhook_endpoints_per_tenant: u32,
    /// Requests the delivery worker has in flight to one host at most (per instance);
    /// deliveries beyond it wait for a later poll.
    pub webhook_max_in_flight_per_host: usize,
    /// Proxies (CIDR blocks or addresses) whose `X-Forwarded-For` is believed: throttles,
    /// rate limits and the audit log then use the client's address they forwarded for.
    pub trusted_proxies: Vec<String>,
    /// Requests per minute per client address to routes that take no credential (sign-up,
    /// sign-in, public pages, docs) and to unknown routes; 0 turns the limit off.
    pub anonymous_rate_limit_per_minute: u32,
    /// When set, `GET /metrics` requires `Authorization: Bearer <token>`.
    pub metrics_token: Option<Secret>,
    /// The DNS resolver (`address:port`) asked for custom domains' TXT records; the
    /// host's first `nameserver` when unset.
    pub dns_resolver: Option<SocketAddr>,
    /// When set, `/metrics` is served only on this separate address (for a scraper on a
    /// private network), and the main address answers 404 for it.
    pub metrics_bind: Option<SocketAddr>,
    /// Tenants whose policy (roles, members, decisions) each instance keeps in memory;
    /// the least recently used one is dropped beyond it.
    pub policy_cache_tenants: usize,
    /// Whether this instance runs the plugins' background jobs (sweepers). With several
    /// instances each job runs on one at a time whatever this says; at least one must.
    pub jobs: bool,
    /// A job's interval in milliseconds, by job name (`bookings.hold_sweeper`), instead of
    /// its default: `ATRIUM_JOB_INTERVALS_MS="bookings.hold_sweeper=200,…"`.
    pub job_intervals_ms: HashMap<String, u64>,
    /// The SMTP server e-mail goes through: `smtp://host:port`, `smtps://user:pass@host`,
    /// `smtp://host:587?tls=required`. Unset: messages are written to the log.
    pub smtp_url: Option<Secret>,
    /// The `From:` address of e-mail (the tenant's display name is its name part).
    pub mail_from: String,
    /// Delay before each retry of an e-mail that could not be sent, in milliseconds; when
    /// exhausted the message is given up.
    pub mail_retry_schedule_ms: Vec<u64>,
    /// How often the mail sender looks for due messages.
    pub mail_poll_interval_ms: u64,
    /// Whether this instance runs the mail sender (at least one must).
    pub mail_worker: bool,
    /// Each plugin's settings: `[plugins.<name>]` tables of the file, and
    /// `ATRIUM_PLUGIN_<NAME>_<KEY>` variables (name upper-cased, `-` as `_`).
    #[serde(deserialize_with = "plugin_tables")]
    pub plugins: HashMap<String, HashMap<String, String>>,
}

/// `[plugins.x] key = 5` reads as the text `5`: a plugin parses its own settings.
fn plugin_tables<'de, D: serde::Deserializer<'de>>(d: D) -> Result<HashMap<String, HashMap<String, String>>, D::Error> {
    let tables: HashMap<String, toml::Table> = Deserialize::deserialize(d)?;
    Ok(tables
        .into_iter()
        .map(|(plugin, table)| {
            let values = table
                .into_iter()
                .map(|(k, v)| {
                    let text = match v {
                        toml::Value::String(s) => s,
                        toml::Value::Integer(i) => i.to_string(),
                        toml::Value::Float(f) => f.to_string(),
                        toml::Value::Boolean(b) => b.to_string(),
                        other => format!("{other:?}"),
                    };
                    (k, text)
                })
                .collect();
            (plugin, values)
        })
        .collect())
}

impl Default for Config {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: Secret::new("sqlite://atrium.db?mode=rwc"),
            migration_database_url: None,
            jwt_secret: None,
            jwt_previous_secrets: Vec::new(),
            encryption_keys: Vec::new(),
            jwt_issuer: "atrium".into(),
            jwt_audience: "atrium-api".into(),
            jwt_access_ttl_seconds: 15 * 60,
            jwt_refresh_ttl_seconds: 30 * 24 * 3600,
            public_base_url: None,
            base_domain: None,
            signup_rate_limit_per_minute: 600,
            signup_seats: 25,
            title: "Atrium".into(),
            log_level: "info".into(),
            log_format: LogFormat::Text,
            allow_rls_bypass: false,
            auto_migrate: true,
            body_limit_bytes: 1024 * 1024,
            request_timeout_seconds: 30,
            shutdown_timeout_seconds: 30,
            workers: None,
            database_max_connections: 16,
            webhooks_allow_private: false,
            // immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h
            webhook_retry_schedule_ms: [0, 5, 300, 1_800, 7_200, 18_000, 36_000, 36_000].map(|s| s * 1000).to_vec(),
            webhook_timeout_seconds: 15,
            webhook_disable_after_hours: 5 * 24,
            webhook_poll_interval_ms: 100,
            webhook_lease_seconds: 60,
            webhook_worker: true,
            webhook_endpoints_per_tenant: 20,
            webhook_max_in_flight_per_host: 4,
            trusted_proxies: Vec::new(),
            anonymous_rate_limit_per_minute: 300,
            metrics_token: None,
            dns_resolver: None,
            metrics_bind: None,
            policy_cache_tenants: 4096,
            jobs: true,
            job_intervals_ms: HashMap::new(),
            smtp_url: None,
            mail_from: "no-reply@atrium.invalid".into(),
            // 10 s, 1 min, 5 min, 30 min, 2 h, 6 h, 12 h
            mail_retry_schedule_ms: [10, 60, 300, 1_800, 7_200, 21_600, 43_200].map(|s| s * 1000).to_vec(),
            mail_poll_interval_ms: 1000,
            mail_worker: true,
            plugins: HashMap::new(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path} is not valid: {source}")]
    Parse { path: PathBuf, source: Box<toml::de::Error> },
    #[error("environment variable {name} is not valid: {message}")]
    Env { name: String, message: String },
    #[error("{0}")]
    Invalid(String),
}

impl Config {
    /// Defaults, then `file` (or `./atrium.toml` when it exists), then the environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let default_file = Path::new(DEFAULT_CONFIG_FILE);
        let path = match file {
            Some(path) => Some(path),
            None => default_file.exists().then_some(default_file),
        };
        let mut config = match path {
            Some(path) => Self::from_toml_file(path)?,
            None => Self::default(),
        };
        config.apply_env(|name| std::env::var(name).ok())?;
        config.apply_plugin_env(std::env::vars());
        config.check()?;
        Ok(config)
    }

    fn from_toml_file(path: &Path) -> Result<Self, ConfigError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_owned(), source })?;
        toml::from_str(&text).map_err(|source| ConfigError::Parse { path: path.to_owned(), source: Box::new(source) })
    }

    /// Overrides fields from `ATRIUM_*` variables, read through `var` (the process
    /// environment in production, a map in tests).
    pub fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        fn set<T: FromStr>(var: &impl Fn(&str) -> Option<String>, name: &str, field: &mut T) -> Result<(), ConfigError>
        where
            T::Err: std::fmt::Display,
        {
            if let Some(value) = var(name) {
                *field = value
                    .parse()
                    .map_err(|e: T::Err| ConfigError::Env { name: name.into(), message: e.to_string() })?;
            }
            Ok(())
        }
        fn set_opt<T: FromStr>(
            var: &impl Fn(&str) -> Option<String>,
            name: &str,
            field: &mut Option<T>,
        ) -> Result<(), ConfigError>
        where
            T::Err: std::fmt::Display,
        {
            match var(name) {
                Some(value) if value.is_empty() => *field = None,
                Some(value) => {
                    *field = Some(
                        value
                            .parse()
                            .map_err(|e: T::Err| ConfigError::Env { name: name.into(), message: e.to_string() })?,
                    )
                }
                None => {}
            }
            Ok(())
        }
        fn set_secret(var: &impl Fn(&str) -> Option<String>, name: &str, field: &mut Option<Secret>) {
            match var(name) {
                Some(value) if value.is_empty() => *field = None,
                Some(value) => *field = Some(Secret::new(value)),
                None => {}
            }
        }

        set(&var, "ATRIUM_BIND", &mut self.bind)?;
        if let Some(url) = var("ATRIUM_DATABASE_URL") {
            self.database_url = Secret::new(url);
        }
        set_secret(&var, "ATRIUM_MIGRATION_DATABASE_URL", &mut self.migration_database_url);
        set_secret(&var, "ATRIUM_JWT_SECRET", &mut self.jwt_secret);
        if let Some(list) = var("ATRIUM_JWT_PREVIOUS_SECRETS") {
            self.jwt_previous_secrets =
                list.split(',').map(str::trim).filter(|s| !s.is_empty()).map(Secret::new).collect();
        }
        if let Some(list) = var("ATRIUM_ENCRYPTION_KEYS") {
            self.encryption_keys = list.split(',').map(str::trim).filter(|s| !s.is_empty()).map(Secret::new).collect();
        }
        set(&var, "ATRIUM_JWT_ISSUER", &mut self.jwt_issuer)?;
        set(&var, "ATRIUM_JWT_AUDIENCE", &mut self.jwt_audience)?;
        set(&var, "ATRIUM_JWT_ACCESS_TTL_SECONDS", &mut self.jwt_access_ttl_seconds)?;
        set(&var, "ATRIUM_JWT_REFRESH_TTL_SECONDS", &mut self.jwt_refresh_ttl_seconds)?;
        set_opt(&var, "ATRIUM_PUBLIC_BASE_URL", &mut self.public_base_url)?;
        set_opt(&var, "ATRIUM_BASE_DOMAIN", &mut self.base_domain)?;
        set(&var, "ATRIUM_TITLE", &mut self.title)?;
        set(&var, "ATRIUM_SIGNUP_RATE_LIMIT_PER_MINUTE", &mut self.signup_rate_limit_per_minute)?;
        set(&var, "ATRIUM_SIGNUP_SEATS", &mut self.signup_seats)?;
        set(&var, "ATRIUM_LOG_LEVEL", &mut self.log_level)?;
        set(&var, "ATRIUM_LOG_FORMAT", &mut self.log_format)?;
        set(&var, "ATRIUM_ALLOW_RLS_BYPASS", &mut self.allow_rls_bypass)?;
        set(&var, "ATRIUM_AUTO_MIGRATE", &mut self.auto_migrate)?;
        set(&var, "ATRIUM_BODY_LIMIT_BYTES", &mut self.body_limit_bytes)?;
        set(&var, "ATRIUM_REQUEST_TIMEOUT_SECONDS", &mut self.request_timeout_seconds)?;
        set(&var, "ATRIUM_SHUTDOWN_TIMEOUT_SECONDS", &mut self.shutdown_timeout_seconds)?;
        set_opt(&var, "ATRIUM_WORKERS", &mut self.workers)?;
        set(&var, "ATRIUM_DATABASE_MAX_CONNECTIONS", &mut self.database_max_connections)?;
        set(&var, "ATRIUM_WEBHOOKS_ALLOW_PRIVATE", &mut self.webhooks_allow_private)?;
        if let Some(list) = var("ATRIUM_WEBHOOK_RETRY_SCHEDULE_MS") {
            self.webhook_retry_schedule_ms =
                list.split(',').map(|v| v.trim().parse()).collect::<Result<_, _>>().map_err(
                    |e: std::num::ParseIntError| ConfigError::Env {
                        name: "ATRIUM_WEBHOOK_RETRY_SCHEDULE_MS".into(),
                        message: e.to_string(),
                    },
                )?;
        }
        set(&var, "ATRIUM_WEBHOOK_TIMEOUT_SECONDS", &mut self.webhook_timeout_seconds)?;
        set(&var, "ATRIUM_WEBHOOK_DISABLE_AFTER_HOURS", &mut self.webhook_disable_after_hours)?;
        set(&var, "ATRIUM_WEBHOOK_POLL_INTERVAL_MS", &mut self.webhook_poll_interval_ms)?;
        set(&var, "ATRIUM_WEBHOOK_LEASE_SECONDS", &mut self.webhook_lease_seconds)?;
        set(&var, "ATRIUM_WEBHOOK_WORKER", &mut self.webhook_worker)?;
        set(&var, "ATRIUM_WEBHOOK_ENDPOINTS_PER_TENANT", &mut self.webhook_endpoints_per_tenant)?;
        set(&var, "ATRIUM_WEBHOOK_MAX_IN_FLIGHT_PER_HOST", &mut self.webhook_max_in_flight_per_host)?;
        set(&var, "ATRIUM_JOBS", &mut self.jobs)?;
        set_secret(&var, "ATRIUM_SMTP_URL", &mut self.smtp_url);
        set(&var, "ATRIUM_MAIL_FROM", &mut self.mail_from)?;
        if let Some(list) = var("ATRIUM_MAIL_RETRY_SCHEDULE_MS") {
            self.mail_retry_schedule_ms = list
                .split(',')
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::parse)
                .collect::<Result<_, _>>()
                .map_err(|e: std::num::ParseIntError| ConfigError::Env {
                    name: "ATRIUM_MAIL_RETRY_SCHEDULE_MS".into(),
                    message: e.to_string(),
                })?;
        }
        set(&var, "ATRIUM_MAIL_POLL_INTERVAL_MS", &mut self.mail_poll_interval_ms)?;
        set(&var, "ATRIUM_MAIL_WORKER", &mut self.mail_worker)?;
        if let Some(list) = var("ATRIUM_TRUSTED_PROXIES") {
            self.trusted_proxies =
                list.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect();
        }
        set(&var, "ATRIUM_ANONYMOUS_RATE_LIMIT_PER_MINUTE", &mut self.anonymous_rate_limit_per_minute)?;
        set_secret(&var, "ATRIUM_METRICS_TOKEN", &mut self.metrics_token);
        set_opt(&var, "ATRIUM_METRICS_BIND", &mut self.metrics_bind)?;
        set_opt(&var, "ATRIUM_DNS_RESOLVER", &mut self.dns_resolver)?;
        set(&var, "ATRIUM_POLICY_CACHE_TENANTS", &mut self.policy_cache_tenants)?;
        if let Some(list) = var("ATRIUM_JOB_INTERVALS_MS") {
            let bad = |message: String| ConfigError::Env { name: "ATRIUM_JOB_INTERVALS_MS".into(), message };
            for item in list.split(',').map(str::trim).filter(|i| !i.is_empty()) {
                let (job, ms) =
                    item.split_once('=').ok_or_else(|| bad(format!("`{item}` is not `job=milliseconds`")))?;
                let ms: u64 = ms.trim().parse().map_err(|e: std::num::ParseIntError| bad(e.to_string()))?;
                self.job_intervals_ms.insert(job.trim().to_owned(), ms.max(1));
            }
        }
        Ok(())
    }

    /// `ATRIUM_PLUGIN_<NAME>_<KEY>=value` → `plugins[name][key]`, for the plugins of
    /// `names`' spelling: the name is matched case-insensitively with `-` read as `_`, so
    /// `ATRIUM_PLUGIN_SERVICE_TEMPLATES_X` is `service-templates`'s `x` when that plugin
    /// is known; an unknown one is kept under its lower-cased spelling.
    pub fn apply_plugin_env(&mut self, vars: impl IntoIterator<Item = (String, String)>) {
        let known: Vec<&str> = crate::plugins::compiled_plugins().iter().map(|p| p.name()).collect();
        for (name, value) in vars {
            let Some(rest) = name.strip_prefix("ATRIUM_PLUGIN_") else { continue };
            let rest = rest.to_ascii_lowercase();
            let found = known.iter().find(|p| rest.starts_with(&format!("{}_", p.replace('-', "_"))));
            let (plugin, key) = match found {
                Some(p) => (p.to_string(), rest[p.len() + 1..].to_owned()),
                None => match rest.split_once('_') {
                    Some((p, k)) => (p.to_owned(), k.to_owned()),
                    None => continue,
                },
            };
            self.plugins.entry(plugin).or_default().insert(key, value);
        }
    }

    fn check(&self) -> Result<(), ConfigError> {
        let url = self.database_url.expose();
        if !(url.starts_with("sqlite:") || url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(ConfigError::Invalid("ATRIUM_DATABASE_URL must start with sqlite: or postgres://".into()));
        }
        if let Some(secret) = &self.jwt_secret
            && secret.expose().len() < 32
        {
            return Err(ConfigError::Invalid("ATRIUM_JWT_SECRET must be at least 32 bytes".into()));
        }
        if self.encryption_keys.iter().any(|k| k.expose().len() < 32) {
            return Err(ConfigError::Invalid("each of ATRIUM_ENCRYPTION_KEYS must be at least 32 bytes".into()));
        }
        if self.body_limit_bytes == 0 || self.request_timeout_seconds == 0 {
            return Err(ConfigError::Invalid("body_limit_bytes and request_timeout_seconds must be positive".into()));
        }
        if self.webhook_retry_schedule_ms.is_empty() || self.webhook_poll_interval_ms == 0 {
            return Err(ConfigError::Invalid(
                "webhook_retry_schedule_ms needs at least one attempt and the poll interval must be positive".into(),
            ));
        }
        if self.webhook_max_in_flight_per_host == 0 {
            return Err(ConfigError::Invalid("ATRIUM_WEBHOOK_MAX_IN_FLIGHT_PER_HOST must be positive".into()));
        }
        if let Err(message) = self.trusted_proxy_blocks() {
            return Err(ConfigError::Invalid(format!("ATRIUM_TRUSTED_PROXIES: {message}")));
        }
        if self.mail_poll_interval_ms == 0 || !self.mail_from.contains('@') {
            return Err(ConfigError::Invalid(
                "ATRIUM_MAIL_POLL_INTERVAL_MS must be positive and ATRIUM_MAIL_FROM an e-mail address".into(),
            ));
        }
        if self.policy_cache_tenants == 0 {
            return Err(ConfigError::Invalid("policy_cache_tenants must be positive".into()));
        }
        if self.database_max_connections == 0 {
            return Err(ConfigError::Invalid("database_max_connections must be positive".into()));
        }
        Ok(())
    }

    /// The trusted proxies, parsed.
    pub fn trusted_proxy_blocks(&self) -> Result<Vec<atrium_core::client::Cidr>, String> {
        self.trusted_proxies.iter().map(|c| atrium_core::client::Cidr::parse(c)).collect()
    }

    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_seconds)
    }

    pub fn is_postgres(&self) -> bool {
        !self.database_url.expose().starts_with("sqlite:")
    }
}

/// A database URL with its password replaced by `***`, for logs and messages.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    // The last `@` ends the user info: a password may itself contain `@` (better to hide
    // too much of a URL whose query has one than to show a password's tail).
    match rest.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:***@{host}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn environment_overrides_file_which_overrides_defaults() {
        let mut config: Config = toml::from_str("title = \"From file\"\nbind = \"127.0.0.1:9000\"").unwrap();
        assert_eq!(config.request_timeout_seconds, 30, "defaults fill what the file leaves out");
        config.apply_env(env(&[("ATRIUM_TITLE", "From env"), ("ATRIUM_WORKERS", "3")])).unwrap();
        assert_eq!(config.title, "From env");
        assert_eq!(config.bind.port(), 9000);
        assert_eq!(config.workers, Some(3));
    }

    #[test]
    fn bad_values_name_their_variable() {
        let mut config = Config::default();
        let err = config.apply_env(env(&[("ATRIUM_BIND", "not an address")])).unwrap_err();
        assert!(err.to_string().contains("ATRIUM_BIND"), "{err}");
    }

    #[test]
    fn unknown_file_keys_are_rejected() {
        assert!(toml::from_str::<Config>("bnid = \"x\"").is_err());
    }

    #[test]
    fn secrets_do_not_appear_in_debug_output() {
        let mut config = Config::default();
        config.apply_env(env(&[("ATRIUM_JWT_SECRET", "a-very-secret-value-of-32-bytes!!")])).unwrap();
        assert!(!format!("{config:?}").contains("a-very-secret"));
    }

    #[test]
    fn security_15_a_password_containing_at_signs_is_redacted_whole() {
        assert_eq!(redact_url("postgres://u:p@ss@w0rd@h:5432/db"), "postgres://u:***@h:5432/db");
        assert!(!redact_url("postgres://app:s3cr@t@db/atrium").contains("t@db/"));
    }

    #[test]
    fn urls_are_redacted() {
        assert_eq!(redact_url("postgres://u:pw@h:5432/db"), "postgres://u:***@h:5432/db");
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact_url("sqlite://atrium.db"), "sqlite://atrium.db");
    }
}

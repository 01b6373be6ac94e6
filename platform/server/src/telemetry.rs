//! Logging: `ATRIUM_LOG_LEVEL` (or `RUST_LOG`, which wins) and `ATRIUM_LOG_FORMAT`
//! (`text` for people, `json` for log pipelines).

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

pub fn init(level: &str, format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| {
            EnvFilter::try_new(format!("{level},sqlx=warn,sea_orm=warn,sea_orm_migration=warn,actix_server=warn"))
        })
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    // `try_init`: a second call (tests) keeps the first subscriber.
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.compact().try_init(),
    };
}

//! What `atrium` does for each command. The binary is this function; the test suite
//! builds a copy of it to run real server processes.

use std::process::ExitCode;

use crate::cli::{Cli, Command, MigrateAction, TenantAction};
use crate::{Application, Config, PluginRegistry, app, db, telemetry};
use atrium_migrations::{Migrator, MigratorTrait};
use clap::Parser;

/// The `atrium` command: parses the command line, loads the configuration, runs.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(cli.config.as_deref()) {
        Ok(config) => config,
        Err(err) => {
            eprintln!("atrium: configuration error: {err}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(&config.log_level, config.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("atrium: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command, config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!("{err:#}");
            eprintln!("atrium: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    let registry = PluginRegistry::compiled()?;
    match command {
        Command::Serve => serve(config, registry).await,
        Command::Openapi { output } => {
            let spec = app::spec(&registry, &config.title);
            let text = serde_json::to_string_pretty(&spec)? + "\n";
            match output {
                Some(path) => std::fs::write(path, text)?,
                None => print!("{text}"),
            }
            Ok(())
        }
        Command::Migrate { action } => migrate(config, action).await,
        Command::Tenant { action } => tenant(config, registry, action).await,
    }
}

async fn serve(config: Config, registry: PluginRegistry) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let app = Application::build(config, registry).await?;
    let base = app.base_url().to_owned();
    tracing::info!(elapsed_ms = started.elapsed().as_millis() as u64, "ready");
    // Not println!: a closed stdout must not take the server down.
    let banner =
        format!("Atrium is listening on {base}\n  Swagger UI: {base}/docs/\n  OpenAPI:    {base}/openapi.json\n");
    let mut stdout = std::io::stdout();
    let _ = std::io::Write::write_all(&mut stdout, banner.as_bytes()).and_then(|()| std::io::Write::flush(&mut stdout));
    app.run_until_stopped().await?;
    tracing::info!("stopped");
    Ok(())
}

async fn migrate(config: Config, action: MigrateAction) -> anyhow::Result<()> {
    let url = config.migration_database_url.as_ref().unwrap_or(&config.database_url);
    let owner = db::connect(url.expose(), 2).await?;
    match action {
        MigrateAction::Up => {
            let runtime = db::connect(config.database_url.expose(), 2).await?;
            db::migrate_up(&config, &runtime).await?;
            println!("migrations applied");
        }
        MigrateAction::Down { steps } => {
            Migrator::down(&owner, Some(steps)).await?;
            println!("reverted {steps} migration(s)");
        }
        MigrateAction::Status => {
            let applied: Vec<String> =
                Migrator::get_applied_migrations(&owner).await?.iter().map(|m| m.name().to_owned()).collect();
            for migration in Migrator::migrations() {
                let name = migration.name();
                let state = if applied.iter().any(|a| a == name) { "applied" } else { "pending" };
                println!("{state:8} {name}");
            }
        }
    }
    Ok(())
}

/// A running server on PostgreSQL hears of policy changes through NOTIFY; this process
/// keeps no cache of its own.
struct NoCache;

impl atrium_core::context::PolicyInvalidation for NoCache {
    fn invalidate(&self, _tenant: atrium_core::ids::TenantId) {}
}

async fn tenant(config: Config, registry: PluginRegistry, action: TenantAction) -> anyhow::Result<()> {
    let runtime = db::connect(config.database_url.expose(), 2).await?;
    if config.auto_migrate {
        db::migrate_up(&config, &runtime).await?;
    }
    match action {
        TenantAction::Apply { file } => {
            let text =
                std::fs::read_to_string(&file).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
            let manifest = atrium_tenants::manifest::parse(&text)
                .map_err(|e| anyhow::anyhow!("{} is not a valid manifest: {e}", file.display()))?;
            let report = match atrium_tenants::manifest::apply(&runtime, &registry.catalog(), &manifest, &NoCache).await
            {
                Ok(report) => report,
                Err(atrium_tenants::error::TenantsError::Invalid(errors)) => {
                    let list: Vec<String> = errors.iter().map(|e| format!("  {}: {}", e.field, e.message)).collect();
                    anyhow::bail!("{} is not valid:\n{}", file.display(), list.join("\n"));
                }
                Err(err) => return Err(err.into()),
            };
            if report.changes.is_empty() {
                println!("tenant {}: no changes", manifest.tenant.slug);
            }
            for change in &report.changes {
                println!("tenant {}: {change}", manifest.tenant.slug);
            }
            for (email, token) in &report.invitations {
                println!("invitation for {email}: POST /v1/invitations/{token}/accept");
            }
        }
        TenantAction::List => {
            for t in atrium_tenants::repo::all_tenants(&runtime).await? {
                let plugins = atrium_tenants::views::strings(&t.enabled_plugins).join(",");
                println!(
                    "{:<32} {:<10} {:<24} {}",
                    t.slug,
                    t.status,
                    t.created_at.format("%Y-%m-%d %H:%M"),
                    if plugins.is_empty() { "-" } else { &plugins }
                );
            }
        }
    }
    Ok(())
}

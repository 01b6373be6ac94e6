//! What `atrium` does for each command. The binary is this function; the test suite
//! builds a copy of it to run real server processes.

use std::process::ExitCode;

use std::sync::Arc;

use atrium_core::jobs::PluginSettings;
use atrium_core::plugin::CommandContext;
use clap::{CommandFactory, FromArgMatches};
use sea_orm_migration::MigratorTraitSelf;

use crate::cli::{Cli, Command, MigrateAction};
use crate::{Application, Config, PluginRegistry, app, db, telemetry};

/// The `atrium` command: parses the command line (the kernel's commands and those of the
/// compiled plugins), loads the configuration, runs.
pub fn main() -> ExitCode {
    let registry = match PluginRegistry::compiled() {
        Ok(registry) => registry,
        Err(err) => {
            eprintln!("atrium: {err}");
            return ExitCode::FAILURE;
        }
    };
    let commands = registry.commands();
    let matches = commands.iter().fold(Cli::command(), |cli, (_, c)| cli.subcommand(c.command.clone())).get_matches();
    let config_file = matches.get_one::<std::path::PathBuf>("config").cloned();
    let config = match Config::load(config_file.as_deref()) {
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
    let plugin_command = matches.subcommand().and_then(|(name, args)| {
        commands
            .iter()
            .find(|(_, c)| c.command.get_name() == name)
            .map(|(plugin, c)| (*plugin, c.clone(), args.clone()))
    });
    let outcome = match plugin_command {
        Some((plugin, command, args)) => runtime.block_on(plugin_run(config, registry, plugin, command, args)),
        None => match Cli::from_arg_matches(&matches) {
            Ok(cli) => runtime.block_on(run(cli.command, config, registry)),
            Err(err) => err.exit(),
        },
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!("{err:#}");
            eprintln!("atrium: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, config: Config, registry: PluginRegistry) -> anyhow::Result<()> {
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
        Command::Migrate { action } => migrate(config, registry, action).await,
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

async fn migrate(config: Config, registry: PluginRegistry, action: MigrateAction) -> anyhow::Result<()> {
    let migrator = registry.migrator();
    let url = config.migration_database_url.as_ref().unwrap_or(&config.database_url);
    let owner = db::connect(url.expose(), 2).await?;
    match action {
        MigrateAction::Up => {
            let runtime = db::connect(config.database_url.expose(), 2).await?;
            db::migrate_up(&config, &migrator, &runtime).await?;
            println!("migrations applied");
        }
        MigrateAction::Down { steps } => {
            migrator.down(&owner, Some(steps)).await?;
            println!("reverted {steps} migration(s)");
        }
        MigrateAction::Status => {
            let applied: Vec<String> =
                migrator.get_applied_migrations(&owner).await?.iter().map(|m| m.name().to_owned()).collect();
            for name in migrator.names() {
                let state = if applied.contains(name) { "applied" } else { "pending" };
                println!("{state:8} {name}");
            }
        }
    }
    Ok(())
}

/// A plugin's command, on the runtime database (migrated first unless
/// `ATRIUM_AUTO_MIGRATE=false`).
async fn plugin_run(
    config: Config,
    registry: PluginRegistry,
    plugin: &str,
    command: atrium_core::plugin::CommandDef,
    args: clap::ArgMatches,
) -> anyhow::Result<()> {
    let runtime = db::connect(config.database_url.expose(), 2).await?;
    if config.auto_migrate {
        db::migrate_up(&config, &registry.migrator(), &runtime).await?;
    }
    let settings = PluginSettings::new(config.plugins.get(plugin).cloned().unwrap_or_default());
    let ctx = CommandContext { db: runtime, catalog: Arc::new(registry.catalog()), settings };
    command.run(ctx, args).await
}

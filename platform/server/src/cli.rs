//! The command line: `atrium serve | migrate up|down|status | openapi`, and the commands
//! the compiled plugins add (`atrium tenant apply FILE`, …).

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "atrium", version, about = "Atrium: multi-tenant bookings and marketplace platform")]
pub struct Cli {
    /// Configuration file (default: ./atrium.toml when present). ATRIUM_* variables override it.
    #[arg(long, global = true, env = "ATRIUM_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the HTTP server (applies pending migrations first, unless ATRIUM_AUTO_MIGRATE=false).
    Serve,
    /// Manage the database schema.
    Migrate {
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Print the OpenAPI document of this build.
    Openapi {
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum MigrateAction {
    /// Apply every pending migration.
    Up,
    /// Revert the last applied migrations.
    Down {
        #[arg(long, default_value_t = 1)]
        steps: u32,
    },
    /// List migrations and whether each is applied.
    Status,
}

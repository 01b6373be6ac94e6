//! `atrium tenant apply FILE | list`: provisioning tenants from manifests.

use atrium_core::plugin::{CommandContext, CommandDef};
use clap::{Arg, ArgMatches, Command};

use crate::error::TenantsError;
use crate::{manifest, repo};

pub fn tenant() -> CommandDef {
    let command = Command::new("tenant")
        .about("Provision and list tenants")
        .subcommand_required(true)
        .subcommand(
            Command::new("apply").about("Create or update a tenant from a TOML manifest (idempotent)").arg(
                Arg::new("file")
                    .required(true)
                    .value_parser(clap::value_parser!(std::path::PathBuf))
                    .help("The manifest, e.g. tenants/manifests/acme-salon.toml"),
            ),
        )
        .subcommand(Command::new("list").about("List the tenants of this deployment"));
    CommandDef::new(command, run)
}

/// A running server on PostgreSQL hears of policy changes through NOTIFY; this process
/// keeps no cache of its own.
struct NoCache;

impl atrium_core::context::PolicyInvalidation for NoCache {
    fn invalidate(&self, _tenant: atrium_core::ids::TenantId) {}
}

async fn run(ctx: CommandContext, args: ArgMatches) -> anyhow::Result<()> {
    match args.subcommand() {
        Some(("apply", args)) => {
            let file = args.get_one::<std::path::PathBuf>("file").ok_or_else(|| anyhow::anyhow!("FILE is required"))?;
            let text =
                std::fs::read_to_string(file).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
            let manifest = manifest::parse(&text)
                .map_err(|e| anyhow::anyhow!("{} is not a valid manifest: {e}", file.display()))?;
            let report = match manifest::apply(&ctx.db, &ctx.catalog, &manifest, &NoCache).await {
                Ok(report) => report,
                Err(TenantsError::Invalid(errors)) => {
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
        Some(("list", _)) => {
            for t in repo::all_tenants(&ctx.db).await? {
                let plugins = atrium_core::json::strings(&t.enabled_plugins).join(",");
                println!(
                    "{:<32} {:<10} {:<24} {}",
                    t.slug,
                    t.status,
                    t.created_at.format("%Y-%m-%d %H:%M"),
                    if plugins.is_empty() { "-" } else { &plugins }
                );
            }
        }
        _ => anyhow::bail!("expected `tenant apply FILE` or `tenant list`"),
    }
    Ok(())
}

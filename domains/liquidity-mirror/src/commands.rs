//! `atrium mirror rebuild [--tenant ID] [--chain ID]`: replays every chain's canonical event
//! log into its projection (the same fold ingestion applies incrementally).

use atrium_core::db::TenantTx;
use atrium_core::ids::TenantId;
use atrium_core::plugin::{CommandContext, CommandDef};
use clap::{Arg, ArgMatches, Command};
use sea_orm::{ConnectionTrait, Statement};
use uuid::Uuid;

use crate::{mirror, repo};

pub fn mirror() -> CommandDef {
    let command = Command::new("mirror").about("The liquidity mirror").subcommand_required(true).subcommand(
        Command::new("rebuild")
            .about("Recompute positions, balances, stakes, pools and snapshots from the event log")
            .arg(Arg::new("tenant").long("tenant").value_parser(clap::value_parser!(Uuid)).help("Only this tenant"))
            .arg(
                Arg::new("chain")
                    .long("chain")
                    .value_parser(clap::value_parser!(Uuid))
                    .help("Only this chain (its id)"),
            ),
    );
    CommandDef::new(command, run)
}

async fn run(ctx: CommandContext, args: ArgMatches) -> anyhow::Result<()> {
    let Some(("rebuild", args)) = args.subcommand() else { anyhow::bail!("expected `mirror rebuild`") };
    let tenants: Vec<Uuid> = match args.get_one::<Uuid>("tenant") {
        Some(t) => vec![*t],
        None => {
            let backend = ctx.db.get_database_backend();
            let rows =
                ctx.db.query_all_raw(Statement::from_string(backend, "SELECT id FROM tenants ORDER BY id")).await?;
            rows.iter().map(|r| r.try_get::<Uuid>("", "id")).collect::<Result<_, _>>()?
        }
    };
    let only_chain = args.get_one::<Uuid>("chain").copied();
    for tenant in tenants {
        let tx = TenantTx::begin(&ctx.db, TenantId(tenant), true).await?;
        for chain in repo::chains(&tx).await.map_err(|e| anyhow::anyhow!("{e}"))? {
            if only_chain.is_some_and(|c| c != chain.id) {
                continue;
            }
            let (removed, written) = mirror::replay(&tx, chain.id).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "tenant {tenant} chain {} ({}): {removed} rows removed, {written} written",
                chain.id, chain.chain_id
            );
        }
        tx.commit().await?;
    }
    Ok(())
}

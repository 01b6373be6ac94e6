//! `atrium packages verify`: recomputes every balance from its ledger and reports drift
//! (a nightly check; exits non-zero when any balance differs).

use atrium_core::db::TenantTx;
use atrium_core::ids::TenantId;
use atrium_core::plugin::{CommandContext, CommandDef};
use clap::{ArgMatches, Command};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::{purchases, repo};

pub fn packages() -> CommandDef {
    let command = Command::new("packages")
        .about("Package credit ledgers")
        .subcommand_required(true)
        .subcommand(Command::new("verify").about("Recompute every package balance from its ledger; fail on drift"));
    CommandDef::new(command, run)
}

async fn run(ctx: CommandContext, args: ArgMatches) -> anyhow::Result<()> {
    match args.subcommand() {
        Some(("verify", _)) => {
            let (checked, drift) = verify_all(&ctx.db).await?;
            for (tenant, purchase, item, balance, ledger) in &drift {
                println!("tenant {tenant} purchase {purchase} item {item}: balance {balance}, ledger {ledger}");
            }
            println!("packages verify: {checked} balances checked, {} drifted", drift.len());
            if !drift.is_empty() {
                anyhow::bail!("{} package balances differ from their ledger", drift.len());
            }
        }
        _ => anyhow::bail!("expected `packages verify`"),
    }
    Ok(())
}

/// A drifted balance: `(tenant, purchase, item, balance, sum of its ledger)`.
pub type Drift = (Uuid, Uuid, i32, i64, i64);

/// Every tenant's balances recomputed from their ledgers: how many were checked, and the
/// ones that differ.
pub async fn verify_all(db: &DatabaseConnection) -> anyhow::Result<(usize, Vec<Drift>)> {
    let mut checked = 0;
    let mut out = Vec::new();
    for tenant in repo::tenants_with_balances(db).await? {
        let tx = TenantTx::begin(db, TenantId(tenant), false).await?;
        let (n, drift) = purchases::verify(&tx).await.map_err(|e| anyhow::anyhow!("tenant {tenant}: {e}"))?;
        tx.commit().await?;
        checked += n;
        out.extend(drift.into_iter().map(|(p, i, b, l)| (tenant, p, i, b, l)));
    }
    Ok((checked, out))
}

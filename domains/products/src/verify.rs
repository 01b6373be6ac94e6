//! `atrium inventory verify [--tenant T] [--repair]`: recomputes every balance from the
//! ledger (`on_hand = Σ on_hand_delta`, `reserved = Σ reserved_delta` per product and
//! location), checks `reserved` against the open reservations too, and reports each
//! balance that differs (drift; expected: none). `--repair` rebuilds the drifted balances
//! from the ledger, in the same transaction per tenant.

use std::collections::BTreeMap;

use atrium_core::db::TenantTx;
use atrium_core::ids::TenantId;
use atrium_core::plugin::{CommandContext, CommandDef};
use clap::{Arg, ArgAction, ArgMatches, Command};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use uuid::Uuid;

use crate::error::Result;
use crate::model::stock_location;
use crate::repo;

/// One balance's figures: stored, from the ledger, from the open reservations.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Figures {
    pub stored_on_hand: i64,
    pub stored_reserved: i64,
    pub ledger_on_hand: i64,
    pub ledger_reserved: i64,
    pub open_reserved: i64,
}

/// A balance that differs from its ledger.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Drift {
    pub product_id: Uuid,
    pub location_id: Uuid,
    pub figures: Figures,
}

impl std::fmt::Display for Drift {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Figures { stored_on_hand, stored_reserved, ledger_on_hand, ledger_reserved, open_reserved } = self.figures;
        let location = stock_location(self.location_id).map_or("-".to_owned(), |l| l.to_string());
        write!(
            f,
            "product {} location {location}: on_hand {stored_on_hand} (ledger {ledger_on_hand}), reserved \
             {stored_reserved} (ledger {ledger_reserved}, open reservations {open_reserved})",
            self.product_id
        )
    }
}

/// Every balance of the transaction's tenant checked against its ledger; with `repair`,
/// the drifted ones rebuilt from it. Answers the drift found (before any repair) and how
/// many balances were checked.
pub async fn verify_tenant(tx: &TenantTx, repair: bool) -> Result<(Vec<Drift>, usize)> {
    let mut all: BTreeMap<(Uuid, Uuid), Figures> = BTreeMap::new();
    for b in repo::all_balances(tx).await? {
        let f = all.entry((b.product_id, b.location_id)).or_default();
        (f.stored_on_hand, f.stored_reserved) = (b.on_hand, b.reserved);
    }
    for (product, location, on_hand, reserved) in repo::ledger_sums(tx).await? {
        let f = all.entry((product, location)).or_default();
        (f.ledger_on_hand, f.ledger_reserved) = (on_hand, reserved);
    }
    for (product, location, reserved) in repo::open_reservation_sums(tx).await? {
        all.entry((product, location)).or_default().open_reserved = reserved;
    }
    let checked = all.len();
    let drift: Vec<Drift> = all
        .into_iter()
        .filter(|(_, f)| {
            f.stored_on_hand != f.ledger_on_hand
                || f.stored_reserved != f.ledger_reserved
                || f.ledger_reserved != f.open_reserved
        })
        .map(|((product_id, location_id), figures)| Drift { product_id, location_id, figures })
        .collect();
    if repair {
        for d in &drift {
            repo::ensure_balance(tx, d.product_id, d.location_id, false).await?;
            repo::rebuild_balance(tx, d.product_id, d.location_id, d.figures.ledger_on_hand, d.figures.ledger_reserved)
                .await?;
        }
    }
    Ok((drift, checked))
}

/// The tenants of the deployment: `(id, slug)`.
async fn tenants(db: &DatabaseConnection) -> anyhow::Result<Vec<(Uuid, String)>> {
    let backend = db.get_database_backend();
    let rows = db.query_all_raw(Statement::from_string(backend, "SELECT id, slug FROM tenants ORDER BY slug")).await?;
    rows.iter().map(|r| Ok((r.try_get::<Uuid>("", "id")?, r.try_get::<String>("", "slug")?))).collect()
}

pub fn command() -> CommandDef {
    let verify = Command::new("verify")
        .about("Recompute every stock balance from the ledger and report drift (expected: none)")
        .arg(Arg::new("tenant").long("tenant").value_name("SLUG_OR_ID").help("Only this tenant"))
        .arg(
            Arg::new("repair")
                .long("repair")
                .action(ArgAction::SetTrue)
                .help("Rebuild drifted balances from the ledger"),
        );
    let command = Command::new("inventory")
        .about("Check the products plugin's stock")
        .subcommand_required(true)
        .subcommand(verify);
    CommandDef::new(command, run)
}

async fn run(ctx: CommandContext, args: ArgMatches) -> anyhow::Result<()> {
    let Some(("verify", args)) = args.subcommand() else { anyhow::bail!("expected `inventory verify`") };
    let repair = args.get_flag("repair");
    let mut list = tenants(&ctx.db).await?;
    if let Some(wanted) = args.get_one::<String>("tenant") {
        list.retain(|(id, slug)| slug == wanted || id.to_string() == *wanted);
        if list.is_empty() {
            anyhow::bail!("no tenant `{wanted}`");
        }
    }
    let (mut drifted, mut checked) = (0, 0);
    for (id, slug) in list {
        let tx = TenantTx::begin(&ctx.db, TenantId(id), repair).await?;
        let (drift, n) = verify_tenant(&tx, repair).await.map_err(|e| anyhow::anyhow!("tenant {slug}: {e}"))?;
        tx.commit().await?;
        checked += n;
        drifted += drift.len();
        for d in &drift {
            println!("tenant {slug}: drift: {d}{}", if repair { " — rebuilt from the ledger" } else { "" });
        }
    }
    println!(
        "{checked} balances checked, {drifted} with drift{}",
        if repair && drifted > 0 { " (repaired)" } else { "" }
    );
    if drifted > 0 && !repair {
        anyhow::bail!("{drifted} balances drift from the ledger; `atrium inventory verify --repair` rebuilds them");
    }
    Ok(())
}

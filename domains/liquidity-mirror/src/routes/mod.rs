//! `/v1/chains/…` and `/v1/wallets`: extract, authorize, call [`crate::mirror`], map.

pub mod chains;
pub mod ingest;
pub mod reads;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig<'_>) {
    cfg.service(chains::chains_list)
        .service(chains::chains_create)
        .service(chains::chains_get)
        .service(chains::tokens_list)
        .service(chains::tokens_create)
        .service(chains::chain_wallets_create)
        .service(chains::wallets_list)
        .service(ingest::blocks_ingest)
        .service(ingest::reorgs_create)
        .service(ingest::reorgs_list)
        .service(ingest::events_list)
        .service(reads::pools_list)
        .service(reads::snapshots_list)
        .service(reads::positions_list)
        .service(reads::balances_list)
        .service(reads::stakes_list)
        .service(reads::reconciliations_create)
        .service(reads::reconciliations_list);
}

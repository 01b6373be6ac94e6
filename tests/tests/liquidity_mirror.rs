//! The liquidity-mirror plugin from the outside: a reorg simulator over two chains checked
//! against an independent fold after every step, exact amounts at 2^256-1 and 1 wei,
//! concurrent resends applied once, wrong parents and negative balances refused whole,
//! `atrium mirror rebuild` reproducing the projection row by row, reconciliation, and
//! ingest keys confined to their tenant.

use std::collections::{BTreeMap, HashMap};
use std::process::Command;

use atrium_tests::{TEST_JWT_SECRET, Tenant, TestApp, assert_problem, spawn_app};
use futures_util::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::post;

const MAX: &str = "115792089237316195423570985008687907853269984665640564039457584007913129639935";
const ZERO: &str = "0x0000000000000000000000000000000000000000";
const TOKEN: &str = "0x833589fcd6edb6e08f4c7c32d4f71b54bda02913";
const POOL: &str = "0x9999999999999999999999999999999999999999";

fn wallet(i: usize) -> String {
    format!("0x{:040x}", 0x1000 + i)
}

fn h(salt: u64, n: u64) -> String {
    format!("0x{salt:032x}{n:032x}")
}

async fn mirror_tenant(app: &TestApp, slug: &str) -> Tenant {
    let t = app.signup(slug).await;
    app.enable_all_plugins(&t).await;
    t
}

async fn new_chain(app: &TestApp, t: &Tenant, chain_id: i64, finality: i64) -> String {
    let body = json!({"chain_id": chain_id, "name": format!("chain {chain_id}"), "finality_depth": finality});
    post(app, &t.token, "/v1/chains", &body).await["id"].as_str().unwrap().to_owned()
}

async fn ingest(app: &TestApp, token: &str, chain: &str, blocks: &[Value]) -> reqwest::Response {
    app.send_as(token, Method::POST, &format!("/v1/chains/{chain}/blocks"), &json!({"blocks": blocks})).await
}

async fn ingest_ok(app: &TestApp, token: &str, chain: &str, blocks: &[Value]) -> Value {
    let res = ingest(app, token, chain, blocks).await;
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    body
}

/// Every item of a paged list.
async fn all_pages(app: &TestApp, token: &str, path: &str) -> Vec<Value> {
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("{path}{sep}limit=200&cursor={c}"),
            None => format!("{path}{sep}limit=200"),
        };
        let res = app.get_as(token, &url).await;
        assert_eq!(res.status(), 200, "GET {url}");
        let page: Value = res.json().await.unwrap();
        out.extend(page["data"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return out,
        }
    }
}

fn transfer(tx: String, log: i64, from: &str, to: &str, amount: &str) -> Value {
    json!({"tx_hash": tx, "log_index": log, "kind": "transfer", "token": TOKEN, "wallet": from, "to": to, "amount": amount})
}

fn block(salt: u64, number: u64, hash_n: u64, parent_n: u64, events: Vec<Value>) -> Value {
    json!({"number": number, "hash": h(salt, hash_n), "parent_hash": h(salt, parent_n), "events": events})
}

// ---- an independent fold, in the test, over the canonical chain ----

#[derive(Default, Debug, PartialEq, Eq, Clone)]
struct Model {
    balances: BTreeMap<String, u128>,
    positions: BTreeMap<String, (u128, u128, u128)>,
    stakes: BTreeMap<String, (u128, u128)>,
    tvl: u128,
    staked: u128,
    rewards: u128,
}

fn amt(v: &Value, k: &str) -> u128 {
    v[k].as_str().map(|s| s.parse().unwrap()).unwrap_or(0)
}

fn fold(blocks: &[Value]) -> Model {
    let mut m = Model::default();
    for b in blocks {
        for e in b["events"].as_array().unwrap() {
            let w = e["wallet"].as_str().unwrap_or_default().to_owned();
            let a = amt(e, "amount");
            match e["kind"].as_str().unwrap() {
                "transfer" => {
                    if w != ZERO {
                        *m.balances.get_mut(&w).unwrap() -= a;
                    }
                    *m.balances.entry(e["to"].as_str().unwrap().to_owned()).or_default() += a;
                }
                "deposit" => {
                    *m.balances.get_mut(&w).unwrap() -= a;
                    let p = m.positions.entry(w).or_default();
                    p.0 += amt(e, "shares");
                    p.1 += a;
                    m.tvl += a;
                }
                "withdraw" => {
                    *m.balances.get_mut(&w).unwrap() += a;
                    let p = m.positions.get_mut(&w).unwrap();
                    p.0 -= amt(e, "shares");
                    p.2 += a;
                    m.tvl -= a;
                }
                "stake" => {
                    *m.balances.get_mut(&w).unwrap() -= a;
                    m.stakes.entry(w).or_default().0 += a;
                    m.staked += a;
                }
                "unstake" => {
                    *m.balances.get_mut(&w).unwrap() += a;
                    m.stakes.get_mut(&w).unwrap().0 -= a;
                    m.staked -= a;
                }
                "reward" => {
                    m.stakes.entry(w).or_default().1 += a;
                    m.rewards += a;
                }
                _ => {}
            }
        }
    }
    m
}

/// What the mirror's API shows for a chain, in the model's shape.
async fn observed(app: &TestApp, token: &str, chain: &str) -> Model {
    let mut m = Model::default();
    for b in all_pages(app, token, &format!("/v1/chains/{chain}/balances")).await {
        assert_eq!(b["token"], TOKEN);
        m.balances.insert(b["wallet"].as_str().unwrap().to_owned(), amt(&b, "amount"));
    }
    for p in all_pages(app, token, &format!("/v1/chains/{chain}/positions")).await {
        m.positions.insert(
            p["wallet"].as_str().unwrap().to_owned(),
            (amt(&p, "shares"), amt(&p, "deposited"), amt(&p, "withdrawn")),
        );
    }
    for s in all_pages(app, token, &format!("/v1/chains/{chain}/stakes")).await {
        m.stakes.insert(s["wallet"].as_str().unwrap().to_owned(), (amt(&s, "staked"), amt(&s, "rewards")));
    }
    for p in all_pages(app, token, &format!("/v1/chains/{chain}/pools")).await {
        m.tvl = amt(&p, "tvl");
        m.staked = amt(&p, "staked");
        m.rewards = amt(&p, "rewards");
    }
    m
}

/// A fake chain: the canonical blocks as sent, and a counter for fresh hashes.
struct FakeChain {
    id: String,
    salt: u64,
    finality: u64,
    canonical: Vec<Value>,
    next: u64,
    orphaned_events: usize,
    total_events: usize,
}

impl FakeChain {
    fn head(&self) -> u64 {
        self.canonical.len() as u64 - 1
    }

    fn fresh(&mut self) -> u64 {
        self.next += 1;
        self.next
    }

    fn hash_n(b: &Value) -> u64 {
        u64::from_str_radix(&b["hash"].as_str().unwrap()[34..], 16).unwrap()
    }

    /// `len` new blocks on top of block `parent`, with random valid events for the
    /// state of the canonical chain up to it.
    fn grow(&mut self, rng: &mut Lcg, parent: u64, len: u64) -> Vec<Value> {
        let mut base: Vec<Value> = self.canonical[..=parent as usize].to_vec();
        let mut out = Vec::new();
        let mut parent_n = Self::hash_n(&base[parent as usize]);
        for i in 0..len {
            let m = fold(&base);
            let n = self.fresh();
            let mut events = Vec::new();
            let mut sim = m.clone();
            for log in 0..rng.below(5) {
                let tx = h(self.salt + 1, self.fresh());
                let w = wallet(rng.below(4) as usize);
                let bal = sim.balances.get(&w).copied().unwrap_or(0);
                let e = match rng.below(7) {
                    0 => transfer(tx, log as i64, ZERO, &w, &(1 + rng.below(1000) as u128).to_string()),
                    1 if bal > 0 => {
                        let to = wallet(rng.below(4) as usize);
                        transfer(tx, log as i64, &w, &to, &(1 + rng.below(bal as u64) as u128).to_string())
                    }
                    2 if bal > 0 => {
                        let a = 1 + rng.below(bal as u64) as u128;
                        json!({"tx_hash": tx, "log_index": log, "kind": "deposit", "pool": POOL, "wallet": w,
                            "amount": a.to_string(), "shares": a.to_string()})
                    }
                    3 if sim.positions.get(&w).is_some_and(|p| p.0 > 0) => {
                        let a = 1 + rng.below(sim.positions[&w].0 as u64) as u128;
                        json!({"tx_hash": tx, "log_index": log, "kind": "withdraw", "pool": POOL, "wallet": w,
                            "amount": a.to_string(), "shares": a.to_string()})
                    }
                    4 if bal > 0 => {
                        let a = 1 + rng.below(bal as u64) as u128;
                        json!({"tx_hash": tx, "log_index": log, "kind": "stake", "pool": POOL, "wallet": w,
                            "amount": a.to_string(), "unlock_time": 1_900_000_000})
                    }
                    5 if sim.stakes.get(&w).is_some_and(|s| s.0 > 0) => {
                        let a = 1 + rng.below(sim.stakes[&w].0 as u64) as u128;
                        json!({"tx_hash": tx, "log_index": log, "kind": "unstake", "pool": POOL, "wallet": w,
                            "amount": a.to_string()})
                    }
                    _ => json!({"tx_hash": tx, "log_index": log, "kind": "reward", "pool": POOL, "wallet": w,
                            "amount": (rng.below(100) as u128).to_string()}),
                };
                events.push(e);
                sim = fold(&[base.clone(), vec![json!({"events": events.clone()})]].concat());
            }
            let b = block(self.salt, parent + 1 + i, n, parent_n, events);
            parent_n = n;
            base.push(b.clone());
            out.push(b);
        }
        out
    }
}

/// A small deterministic generator, so a failing run can be replayed from its seed.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        if n == 0 { 0 } else { (self.0 >> 33) % n }
    }
}

async fn start_chain(app: &TestApp, t: &Tenant, chain_id: i64, finality: u64, salt: u64) -> FakeChain {
    let id = new_chain(app, t, chain_id, finality as i64).await;
    let genesis = block(
        salt,
        0,
        1,
        0,
        vec![json!({"tx_hash": h(salt + 1, 1), "log_index": 0, "kind": "pool_created", "pool": POOL, "token": TOKEN,
            "pool_type": "genesis", "creator": wallet(0)})],
    );
    ingest_ok(app, &t.token, &id, std::slice::from_ref(&genesis)).await;
    FakeChain { id, salt, finality, canonical: vec![genesis], next: 10, orphaned_events: 0, total_events: 1 }
}

#[tokio::test]
async fn liquidity_mirror_reorg_simulator_keeps_the_projection_equal_to_the_canonical_fold() {
    let app = spawn_app().await;
    let t = mirror_tenant(&app, "lm-sim").await;
    let seed = std::env::var("LM_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x5eed_u64);
    let mut rng = Lcg(seed);
    let mut chains = vec![start_chain(&app, &t, 1, 4, 0xa000).await, start_chain(&app, &t, 2, 6, 0xb000).await];
    let (mut reorgs, mut refused) = (0, 0);
    for step in 0..40 {
        let which = rng.below(2) as usize;
        let other_before = {
            let o = &chains[1 - which];
            all_pages(&app, &t.token, &format!("/v1/chains/{}/events?include_orphaned=true", o.id)).await
        };
        let c = &mut chains[which];
        let head = c.head();
        let fork = rng.below(3) == 0 && head > 0;
        if !fork {
            let len = 1 + rng.below(3);
            let blocks = c.grow(&mut rng, head, len);
            let body = ingest_ok(&app, &t.token, &c.id, &blocks).await;
            assert_eq!(body["accepted"], blocks.len(), "step {step}");
            c.total_events += blocks.iter().map(|b| b["events"].as_array().unwrap().len()).sum::<usize>();
            c.canonical.extend(blocks);
        } else {
            let depth = 1 + rng.below((c.finality + 3).min(head));
            let ancestor = head - depth;
            let blocks = c.grow(&mut rng, ancestor, depth + 1);
            let explicit = rng.below(2) == 0;
            if depth > c.finality {
                let res = if explicit {
                    let a = &c.canonical[ancestor as usize];
                    let body = json!({"ancestor": {"number": ancestor, "hash": a["hash"]}});
                    app.send_as(&t.token, Method::POST, &format!("/v1/chains/{}/reorgs", c.id), &body).await
                } else {
                    ingest(&app, &t.token, &c.id, &blocks).await
                };
                let problem = assert_problem(res, 409, "beyond_finality").await;
                assert_eq!(problem["head"]["number"], head, "step {step}: {problem}");
                refused += 1;
            } else {
                if explicit {
                    let a = &c.canonical[ancestor as usize];
                    let body = json!({"ancestor": {"number": ancestor, "hash": a["hash"]}});
                    let r = post(&app, &t.token, &format!("/v1/chains/{}/reorgs", c.id), &body).await;
                    assert_eq!(r["depth"], depth, "step {step}");
                    let chain: Value =
                        app.get_as(&t.token, &format!("/v1/chains/{}", c.id)).await.json().await.unwrap();
                    assert_eq!(chain["head"]["number"], ancestor);
                    let body = ingest_ok(&app, &t.token, &c.id, &blocks).await;
                    assert!(body["reorg"].is_null());
                } else {
                    let body = ingest_ok(&app, &t.token, &c.id, &blocks).await;
                    assert_eq!(body["reorg"]["depth"], depth, "step {step}: {body}");
                }
                let orphaned: usize =
                    c.canonical[ancestor as usize + 1..].iter().map(|b| b["events"].as_array().unwrap().len()).sum();
                c.orphaned_events += orphaned;
                c.total_events += blocks.iter().map(|b| b["events"].as_array().unwrap().len()).sum::<usize>();
                c.canonical.truncate(ancestor as usize + 1);
                c.canonical.extend(blocks);
                reorgs += 1;
            }
        }
        // After every step: each chain's projection is the fold of its canonical chain…
        for c in &chains {
            assert_eq!(observed(&app, &t.token, &c.id).await, fold(&c.canonical), "step {step}, chain {}", c.id);
            let chain: Value = app.get_as(&t.token, &format!("/v1/chains/{}", c.id)).await.json().await.unwrap();
            assert_eq!(chain["head"]["number"], c.head());
            assert_eq!(chain["head"]["hash"], c.canonical.last().unwrap()["hash"]);
        }
        // …orphaned events are kept and marked…
        let c = &chains[which];
        let events = all_pages(&app, &t.token, &format!("/v1/chains/{}/events?include_orphaned=true", c.id)).await;
        assert_eq!(events.len(), c.total_events, "step {step}");
        assert_eq!(events.iter().filter(|e| !e["orphaned_by"].is_null()).count(), c.orphaned_events, "step {step}");
        // …and the other chain is untouched.
        let o = &chains[1 - which];
        let other_after = all_pages(&app, &t.token, &format!("/v1/chains/{}/events?include_orphaned=true", o.id)).await;
        assert_eq!(other_before, other_after, "step {step}");
    }
    assert!(reorgs >= 3 && refused >= 1, "seed {seed}: only {reorgs} reorgs and {refused} refusals");
    let listed = all_pages(&app, &t.token, &format!("/v1/chains/{}/reorgs", chains[0].id)).await;
    assert!(listed.iter().all(|r| r["status"] == "applied" || r["status"] == "refused"));
}

#[tokio::test]
async fn liquidity_mirror_amounts_are_exact_from_one_wei_to_two_to_the_256_minus_one() {
    let app = spawn_app().await;
    let t = mirror_tenant(&app, "lm-exact").await;
    let chain = new_chain(&app, &t, 10, 12).await;
    post(
        &app,
        &t.token,
        &format!("/v1/chains/{chain}/tokens"),
        &json!({"address": TOKEN, "symbol": "BIG", "decimals": 18}),
    )
    .await;
    let (a, b) = (wallet(1), wallet(2));
    let events = vec![
        json!({"tx_hash": h(1, 1), "log_index": 0, "kind": "pool_created", "pool": POOL, "token": TOKEN, "pool_type": "community"}),
        transfer(h(1, 2), 1, ZERO, &a, MAX),
        transfer(h(1, 3), 2, &a, &b, "1"),
    ];
    ingest_ok(&app, &t.token, &chain, &[block(9, 0, 1, 0, events)]).await;
    let balances = all_pages(&app, &t.token, &format!("/v1/chains/{chain}/balances")).await;
    let of = |w: &str| balances.iter().find(|x| x["wallet"] == w).unwrap().clone();
    let max_minus_one = "115792089237316195423570985008687907853269984665640564039457584007913129639934";
    assert_eq!(of(&a)["amount"], max_minus_one);
    assert_eq!(of(&b)["amount"], "1");
    assert_eq!(of(&b)["display"], "0.000000000000000001");
    // The whole balance into the pool: TVL is 2^256-2, exactly.
    let deposit = json!({"tx_hash": h(1, 4), "log_index": 0, "kind": "deposit", "pool": POOL, "wallet": a,
        "amount": max_minus_one, "shares": MAX});
    ingest_ok(&app, &t.token, &chain, &[block(9, 1, 2, 1, vec![deposit])]).await;
    let pools = all_pages(&app, &t.token, &format!("/v1/chains/{chain}/pools")).await;
    assert_eq!(pools[0]["tvl"], max_minus_one);
    assert_eq!(pools[0]["total_shares"], MAX);
    let positions = all_pages(&app, &t.token, &format!("/v1/chains/{chain}/positions?wallet={a}")).await;
    assert_eq!((positions[0]["shares"].as_str(), positions[0]["deposited"].as_str()), (Some(MAX), Some(max_minus_one)));
    let events = all_pages(&app, &t.token, &format!("/v1/chains/{chain}/events")).await;
    assert_eq!(events[1]["amount"], MAX);
    // Past 2^256-1 is refused, never wrapped or rounded; so is a number that is not one.
    let over = transfer(h(1, 5), 0, ZERO, &b, MAX);
    assert_problem(ingest(&app, &t.token, &chain, &[block(9, 2, 3, 2, vec![over])]).await, 422, "validation_failed")
        .await;
    let too_big = transfer(h(1, 6), 0, ZERO, &b, &format!("{MAX}0"));
    assert_problem(ingest(&app, &t.token, &chain, &[block(9, 2, 3, 2, vec![too_big])]).await, 422, "validation_failed")
        .await;
    let float = json!({"tx_hash": h(1, 7), "log_index": 0, "kind": "transfer", "token": TOKEN, "wallet": ZERO, "to": b, "amount": 1.5});
    let res = ingest(&app, &t.token, &chain, &[block(9, 2, 3, 2, vec![float])]).await;
    assert!(res.status().is_client_error());
    // And in the database itself, digit for digit.
    let db = sea_orm::Database::connect(app.superuser_database_url().as_str()).await.unwrap();
    use sea_orm::{ConnectionTrait, Statement};
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_string(backend, "SELECT CAST(total_shares AS TEXT) AS v FROM mirror_pools"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get::<String>("", "v").unwrap(), MAX);
    if app.is_postgres() {
        let sql = "SELECT CAST(numeric_precision AS TEXT) AS p, CAST(numeric_scale AS TEXT) AS s, data_type AS t \
            FROM information_schema.columns WHERE table_name = 'mirror_balances' AND column_name = 'amount'";
        let row = db.query_one_raw(Statement::from_string(backend, sql)).await.unwrap().unwrap();
        let typed: (String, String, String) =
            (row.try_get("", "t").unwrap(), row.try_get("", "p").unwrap(), row.try_get("", "s").unwrap());
        assert_eq!(typed, ("numeric".to_owned(), "78".to_owned(), "0".to_owned()));
    }
}

#[tokio::test]
async fn liquidity_mirror_batches_apply_once_all_or_nothing() {
    let app = spawn_app().await;
    let t = mirror_tenant(&app, "lm-batch").await;
    let chain = new_chain(&app, &t, 20, 10).await;
    let a = wallet(1);
    let mut events = vec![
        json!({"tx_hash": h(2, 1), "log_index": 0, "kind": "pool_created", "pool": POOL, "token": TOKEN, "pool_type": "genesis"}),
    ];
    events.extend((1..=50).map(|i| transfer(h(2, 100 + i), i as i64, ZERO, &a, "7")));
    let blocks = vec![block(5, 0, 1, 0, events), block(5, 1, 2, 1, vec![transfer(h(2, 2), 0, &a, &wallet(2), "1")])];

    // Three identical batches at once: one application.
    let results = join_all((0..3).map(|_| ingest(&app, &t.token, &chain, &blocks))).await;
    let mut bodies = Vec::new();
    for res in results {
        assert_eq!(res.status(), 200);
        bodies.push(res.json::<Value>().await.unwrap());
    }
    assert_eq!(bodies.iter().filter(|b| b["accepted"] == 2).count(), 1, "{bodies:?}");
    assert_eq!(bodies.iter().filter(|b| b["duplicates"] == 2).count(), 2, "{bodies:?}");
    let balances = all_pages(&app, &t.token, &format!("/v1/chains/{chain}/balances?wallet={a}")).await;
    assert_eq!(balances[0]["amount"], "349");
    assert_eq!(all_pages(&app, &t.token, &format!("/v1/chains/{chain}/events")).await.len(), 52);

    // A wrong parent: 409 with the mirror's head.
    let stray = block(5, 2, 3, 99, vec![]);
    let problem = assert_problem(ingest(&app, &t.token, &chain, &[stray]).await, 409, "parent_mismatch").await;
    assert_eq!(problem["head"], json!({"number": 1, "hash": h(5, 2)}));
    let gap = block(5, 5, 6, 5, vec![]);
    assert_problem(ingest(&app, &t.token, &chain, &[gap]).await, 409, "parent_mismatch").await;

    // A batch whose second block drives a balance negative: 422 naming the event, nothing applied.
    let ok = block(5, 2, 3, 2, vec![transfer(h(2, 3), 0, ZERO, &wallet(3), "5")]);
    let bad = block(5, 3, 4, 3, vec![transfer(h(2, 4), 0, &wallet(3), &a, "6")]);
    let problem = assert_problem(ingest(&app, &t.token, &chain, &[ok, bad]).await, 422, "negative_balance").await;
    assert!(problem["detail"].as_str().unwrap().contains(&h(2, 4)), "{problem}");
    let head: Value = app.get_as(&t.token, &format!("/v1/chains/{chain}")).await.json().await.unwrap();
    assert_eq!(head["head"]["number"], 1);
    assert_eq!(all_pages(&app, &t.token, &format!("/v1/chains/{chain}/events")).await.len(), 52);
    assert!(all_pages(&app, &t.token, &format!("/v1/chains/{chain}/balances?wallet={}", wallet(3))).await.is_empty());

    // The same (tx, log index) in another block is a reorg signal, not a duplicate.
    let replayed = block(5, 2, 7, 2, vec![transfer(h(2, 2), 0, &a, &wallet(2), "1")]);
    assert_problem(ingest(&app, &t.token, &chain, &[replayed]).await, 409, "conflict").await;

    // Bad input is a 4xx, never a partial write.
    let broken = json!({"number": 2, "hash": "nope", "parent_hash": h(5, 2), "events": []});
    assert_problem(ingest(&app, &t.token, &chain, &[broken]).await, 422, "validation_failed").await;
    let missing = block(5, 2, 3, 2, vec![json!({"tx_hash": h(2, 9), "log_index": 0, "kind": "deposit", "pool": POOL})]);
    assert_problem(ingest(&app, &t.token, &chain, &[missing]).await, 422, "validation_failed").await;
}

/// The projection's rows, as text, in key order (the superuser sees every tenant's).
async fn dump(app: &TestApp) -> Vec<String> {
    use sea_orm::{ConnectionTrait, Statement};
    let db = sea_orm::Database::connect(app.superuser_database_url().as_str()).await.unwrap();
    let backend = db.get_database_backend();
    let mut out = Vec::new();
    for (table, cols) in [
        (
            "mirror_pools",
            "address, token, type, creator, status, tvl, total_shares, staked, rewards, created_block, updated_block",
        ),
        ("mirror_positions", "pool, wallet, shares, deposited, withdrawn, updated_block"),
        ("mirror_balances", "wallet, token, amount, updated_block"),
        ("mirror_stakes", "pool, wallet, staked, rewards, unlock_time, status, updated_block"),
        ("mirror_yield_snapshots", "pool, block_number, block_hash, tvl, staked, rewards"),
    ] {
        let cast: Vec<String> = std::iter::once("tenant_id".to_owned())
            .chain(std::iter::once("id".to_owned()))
            .chain(std::iter::once("chain_ref".to_owned()))
            .chain(cols.split(", ").map(str::to_owned))
            .map(|c| match backend {
                sea_orm::DbBackend::Postgres => format!("COALESCE(CAST({c} AS TEXT), 'null')"),
                _ => format!("quote({c})"),
            })
            .collect();
        let sql = format!("SELECT {} AS r FROM {table} ORDER BY tenant_id, id", cast.join(" || '|' || "));
        for row in db.query_all_raw(Statement::from_string(backend, sql)).await.unwrap() {
            out.push(format!("{table}: {}", row.try_get::<String>("", "r").unwrap()));
        }
    }
    db.close().await.ok();
    out
}

/// Runs `atrium ARGS` against the test's database as a separate process. On SQLite it
/// writes the same file as the running server: a write lock the server holds past the busy
/// timeout on a loaded machine is retried, twice.
fn atrium_command(app: &TestApp, args: &[&str]) -> String {
    let mut attempts = 0;
    loop {
        let out = Command::new(env!("CARGO_BIN_EXE_atrium-proc"))
            .args(args)
            .env("ATRIUM_DATABASE_URL", &app.database_url)
            .env("ATRIUM_MIGRATION_DATABASE_URL", &app.owner_database_url)
            .env("ATRIUM_JWT_SECRET", TEST_JWT_SECRET)
            .env("ATRIUM_LOG_LEVEL", "error")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        attempts += 1;
        if !out.status.success() && stderr.contains("database is locked") && attempts < 3 {
            continue;
        }
        assert!(out.status.success(), "{stderr}");
        return String::from_utf8_lossy(&out.stdout).into_owned();
    }
}

#[tokio::test]
async fn liquidity_mirror_rebuild_reproduces_the_tables_row_by_row_and_reconciles() {
    let app = spawn_app().await;
    let t = mirror_tenant(&app, "lm-rebuild").await;
    let mut rng = Lcg(0xbeef);
    let mut c = start_chain(&app, &t, 30, 3, 0xc000).await;
    for _ in 0..25 {
        let head = c.head();
        if rng.below(4) == 0 && head > 2 {
            let depth = 1 + rng.below(3);
            let blocks = c.grow(&mut rng, head - depth, depth + 1);
            ingest_ok(&app, &t.token, &c.id, &blocks).await;
            c.canonical.truncate((head - depth) as usize + 1);
            c.canonical.extend(blocks);
        } else {
            let len = 1 + rng.below(3);
            let blocks = c.grow(&mut rng, head, len);
            ingest_ok(&app, &t.token, &c.id, &blocks).await;
            c.canonical.extend(blocks);
        }
    }
    {
        let before = dump(&app).await;
        assert!(before.len() > 10, "{before:?}");
        // Damage the projection, then rebuild it from the log.
        {
            use sea_orm::{ConnectionTrait, Statement};
            let db = sea_orm::Database::connect(app.superuser_database_url().as_str()).await.unwrap();
            let backend = db.get_database_backend();
            db.execute_raw(Statement::from_string(backend, "DELETE FROM mirror_balances")).await.unwrap();
            db.execute_raw(Statement::from_string(backend, "UPDATE mirror_pools SET status = 'frozen'")).await.unwrap();
            db.close().await.ok();
        }
        assert_ne!(dump(&app).await, before);
        let printed = atrium_command(&app, &["mirror", "rebuild", "--tenant", &t.id]);
        assert!(printed.contains("written"), "{printed}");
        assert_eq!(dump(&app).await, before);
        let printed = atrium_command(&app, &["mirror", "rebuild", "--chain", &c.id]);
        assert!(printed.contains(&c.id), "{printed}");
        assert_eq!(dump(&app).await, before);
    }

    // Reconciliation at a block B below the head: totals from the test's own fold at B.
    let b = c.head() - 2;
    let at_b = fold(&c.canonical[..=b as usize]);
    let balances: Vec<Value> =
        at_b.balances.iter().map(|(w, a)| json!({"wallet": w, "token": TOKEN, "amount": a.to_string()})).collect();
    let body = json!({"block_number": b, "pools": [{"pool": POOL, "tvl": at_b.tvl.to_string()}], "balances": balances});
    let r = post(&app, &t.token, &format!("/v1/chains/{}/reconciliations", c.id), &body).await;
    assert_eq!(r["drift"], false, "{r}");
    assert!(r["lines"].as_array().unwrap().iter().all(|l| l["difference"] == "0"), "{r}");
    // An injected difference is reported exactly, and raises mirror.drift_detected.
    let body = json!({"block_number": b, "pools": [{"pool": POOL, "tvl": (at_b.tvl + 5).to_string()}]});
    let r = post(&app, &t.token, &format!("/v1/chains/{}/reconciliations", c.id), &body).await;
    assert_eq!(r["drift"], true);
    assert_eq!(r["lines"][0]["difference"], "5");
    let listed = all_pages(&app, &t.token, &format!("/v1/chains/{}/reconciliations", c.id)).await;
    assert_eq!(listed.len(), 2);
    let audit = app.get_as(&t.token, "/v1/audit-log?limit=200").await.text().await.unwrap();
    assert!(audit.contains("mirror.drift_detected"), "{audit}");
    // A block the mirror has not accepted cannot be reconciled.
    let body = json!({"block_number": c.head() + 1});
    let res = app.send_as(&t.token, Method::POST, &format!("/v1/chains/{}/reconciliations", c.id), &body).await;
    assert_problem(res, 422, "validation_failed").await;
}

#[tokio::test]
async fn liquidity_mirror_ingest_keys_write_only_their_tenants_chains() {
    let app = spawn_app().await;
    let a = mirror_tenant(&app, "lm-alpha").await;
    let b = mirror_tenant(&app, "lm-beta").await;
    let chain_a = new_chain(&app, &a, 8453, 5).await;
    let chain_b = new_chain(&app, &b, 8453, 5).await;
    let key: Value =
        post(&app, &a.token, "/v1/api-keys", &json!({"name": "indexer", "scopes": ["liquidity-mirror:ingest"]})).await;
    let secret = key["secret"].as_str().unwrap();
    let genesis = block(7, 0, 1, 0, vec![transfer(h(3, 1), 0, ZERO, &wallet(1), "1")]);
    ingest_ok(&app, secret, &chain_a, std::slice::from_ref(&genesis)).await;
    assert_problem(ingest(&app, secret, &chain_b, std::slice::from_ref(&genesis)).await, 404, "not_found").await;
    let reorg = json!({"ancestor": {"number": 0, "hash": h(7, 1)}});
    let res = app.send_as(secret, Method::POST, &format!("/v1/chains/{chain_b}/reorgs"), &reorg).await;
    assert_problem(res, 404, "not_found").await;
    // B's chain is untouched; a read-only key cannot ingest.
    let chain: Value = app.get_as(&b.token, &format!("/v1/chains/{chain_b}")).await.json().await.unwrap();
    assert!(chain["head"].is_null());
    let reader: Value =
        post(&app, &a.token, "/v1/api-keys", &json!({"name": "reader", "scopes": ["liquidity-mirror:read"]})).await;
    let res = ingest(&app, reader["secret"].as_str().unwrap(), &chain_a, &[block(7, 1, 2, 1, vec![])]).await;
    assert_problem(res, 403, "forbidden").await;
    let mut seen = HashMap::new();
    seen.insert("a", all_pages(&app, &a.token, &format!("/v1/chains/{chain_a}/events")).await.len());
    assert_eq!(seen["a"], 1);
}

//! Authorization cost against policy size: a tenant with ~50 casbin policies against one
//! with ~5,000 (custom roles and role assignments). `decision` is what a request pays
//! (the cached permission set); `enforce` is one uncached casbin evaluation, for scale.
//!
//!   cargo bench -p atrium-server --bench authz

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use atrium_core::context::{MemberFacts, TenantFacts};
use atrium_core::ids::{TenantId, UserId};
use atrium_core::plugin::BuiltinRole;
use atrium_server::PluginRegistry;
use atrium_server::authz::{TenantPolicy, TenantTablesAdapter};
use criterion::{Criterion, criterion_group, criterion_main};

/// A policy with `roles` custom roles of 9 permissions each and `members` members.
fn policy(roles: usize, members: usize) -> (TenantPolicy, UserId, usize) {
    let catalog = Arc::new(PluginRegistry::compiled().unwrap().catalog());
    let tenant = TenantId::new();
    let domain = tenant.to_string();
    let permissions: Vec<&str> = catalog.permissions.iter().map(|(_, p)| p.name).collect();
    let mut rules = Vec::new();
    for role in BuiltinRole::ALL {
        for p in catalog.builtin_grants(role) {
            let (obj, act) = p.split_once(':').unwrap();
            rules.push(("p", vec![role.as_str().into(), "*".into(), obj.into(), act.into()]));
        }
    }
    for r in 0..roles {
        for p in permissions.iter().cycle().skip(r).take(9) {
            let (obj, act) = p.split_once(':').unwrap();
            rules.push(("p", vec![format!("role_{r}"), domain.clone(), obj.into(), act.into()]));
        }
    }
    let mut member_roles = HashMap::new();
    let mut probe = UserId::new();
    for m in 0..members {
        let user = UserId::new();
        let role = if roles > 0 { format!("role_{}", m % roles) } else { "staff".into() };
        rules.push(("g", vec![format!("user:{}", user.0), role.clone(), domain.clone()]));
        member_roles.insert(user, MemberFacts { roles: vec![role], locations: None });
        probe = user;
    }
    let count = rules.len();
    let facts = TenantFacts {
        status: "active".into(),
        rate_limit_per_minute: 600,
        enabled_plugins: HashSet::new(),
        custom_roles: Vec::new(),
        members: member_roles,
    };
    let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let policy =
        rt.block_on(TenantPolicy::new(tenant, facts, TenantTablesAdapter::from_rules(rules), catalog)).unwrap();
    (policy, probe, count)
}

fn bench(c: &mut Criterion) {
    for (roles, members) in [(0, 20), (100, 4100)] {
        let (policy, user, count) = policy(roles, members);
        let mut group = c.benchmark_group(format!("authz/{count}_policies"));
        policy.permissions_of(user).unwrap();
        group.bench_function("decision", |b| {
            b.iter(|| policy.permissions_of(std::hint::black_box(user)).unwrap().contains("tenants:read"))
        });
        group.bench_function("enforce", |b| {
            b.iter(|| policy.enforce(std::hint::black_box(user), "tenants:members_read").unwrap())
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);

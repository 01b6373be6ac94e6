//! Authorization with casbin: RBAC with domains (`authz_model.conf`), one enforcer per
//! tenant, loaded from our own tables through [`TenantTablesAdapter`] inside the tenant's
//! row-level security, plus the built-in grants the plugins declare.
//!
//! Decisions are cached per (tenant, user) as a [`PermissionSet`]. Any change to a
//! tenant's roles, memberships or status invalidates its entry: in this process right
//! after the commit, and in every other instance through PostgreSQL `LISTEN/NOTIFY`
//! (`atrium_policy`, sent in the changing transaction).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use atrium_core::context::{
    GrantScope, MemberFacts, MemberPermissions, OWN_SUFFIX, PermissionSet, PolicyInvalidation, PolicySource,
    TenantFacts, grant_text,
};
use atrium_core::db::TenantTx;
use atrium_core::ids::{TenantId, UserId};
use atrium_core::plugin::{BuiltinRole, Catalog};
use casbin::{Adapter, CoreApi, DefaultModel, Enforcer, Filter, Model};
use sea_orm::{DatabaseConnection, DbErr};

pub const MODEL: &str = include_str!("authz_model.conf");

/// What the enforcer knows of one tenant, and the decisions made from it.
pub struct TenantPolicy {
    pub status: String,
    /// The plan's request budget per API key or user.
    pub rate_limit_per_minute: u32,
    pub enabled_plugins: HashSet<String>,
    /// Active members and their role names.
    pub members: HashMap<UserId, MemberFacts>,
    tenant: TenantId,
    enforcer: Enforcer,
    catalog: Arc<Catalog>,
    decisions: Mutex<HashMap<UserId, Arc<PermissionSet>>>,
}

impl TenantPolicy {
    pub async fn new(
        tenant: TenantId,
        facts: TenantFacts,
        adapter: TenantTablesAdapter,
        catalog: Arc<Catalog>,
    ) -> casbin::Result<Self> {
        Ok(Self {
            status: facts.status,
            rate_limit_per_minute: facts.rate_limit_per_minute,
            enabled_plugins: facts.enabled_plugins,
            members: facts.members,
            tenant,
            enforcer: enforcer(adapter).await?,
            catalog,
            decisions: Mutex::new(HashMap::new()),
        })
    }

    /// Every catalog permission casbin allows `user` in this tenant; computed once per
    /// policy version.
    pub fn permissions_of(&self, user: UserId) -> Result<Arc<PermissionSet>, casbin::Error> {
        if let Some(set) = self.decisions.lock().ok().and_then(|d| d.get(&user).cloned()) {
            return Ok(set);
        }
        let subject = format!("user:{}", user.0);
        let domain = self.tenant.to_string();
        let mut allowed = Vec::new();
        for (_, permission) in &self.catalog.permissions {
            let Some((obj, act)) = permission.name.split_once(':') else { continue };
            if self.enforcer.enforce((subject.as_str(), domain.as_str(), obj, act))? {
                allowed.push(permission.name.to_owned());
            } else if permission.own.is_some() {
                // Own records only: the grant's action carries the `@own` suffix.
                let own = format!("{act}{OWN_SUFFIX}");
                if self.enforcer.enforce((subject.as_str(), domain.as_str(), obj, own.as_str()))? {
                    allowed.push(grant_text(permission.name, GrantScope::Own));
                }
            }
        }
        let set = Arc::new(PermissionSet::new(allowed));
        if let Ok(mut decisions) = self.decisions.lock() {
            decisions.insert(user, set.clone());
        }
        Ok(set)
    }

    /// One uncached casbin decision (benchmarks and tests).
    pub fn enforce(&self, user: UserId, permission: &str) -> Result<bool, casbin::Error> {
        let (obj, act) = permission.split_once(':').unwrap_or((permission, ""));
        self.enforcer.enforce((format!("user:{}", user.0), self.tenant.to_string(), obj.to_owned(), act.to_owned()))
    }
}

/// casbin's `Adapter` over Atrium's tables: built-in grants from the plugin catalog,
/// custom roles from `roles`, role assignments from `memberships`. Policy is changed
/// through the API (which writes those tables), never through casbin, so the write
/// half of the trait changes nothing and says so.
pub struct TenantTablesAdapter {
    rules: Vec<(&'static str, Vec<String>)>,
}

impl TenantTablesAdapter {
    /// The tenant's rules (built-in grants from the catalog, its custom roles and role
    /// assignments) and facts, read through `source` inside the tenant's transaction; `None`
    /// when the tenant does not exist.
    pub async fn load(
        tx: &TenantTx,
        catalog: &Catalog,
        source: &dyn PolicySource,
    ) -> Result<Option<(Self, TenantFacts)>, DbErr> {
        let Some(facts) = source.tenant_facts(tx).await? else { return Ok(None) };
        let domain = tx.tenant_id().to_string();
        let mut rules = Vec::new();
        // A grant for own records is the action with the `@own` suffix (`bookings`,
        // `read@own`): the permission text split at its first `:`.
        for role in BuiltinRole::ALL {
            for (permission, scope) in catalog.builtin_scoped_grants(role) {
                if let Some((obj, act)) = grant_text(permission, scope).split_once(':') {
                    rules.push(("p", vec![role.as_str().into(), "*".into(), obj.into(), act.into()]));
                }
            }
        }
        for (role, grants) in &facts.custom_roles {
            for grant in grants {
                if let Some((obj, act)) = grant.split_once(':') {
                    rules.push(("p", vec![role.clone(), domain.clone(), obj.into(), act.into()]));
                }
            }
        }
        for (user, member) in &facts.members {
            for role in &member.roles {
                rules.push(("g", vec![format!("user:{}", user.0), role.clone(), domain.clone()]));
            }
        }
        Ok(Some((Self { rules }, facts)))
    }

    pub fn rule_count(&self) -> usize {
        self.rules.len()
    }

    /// For benchmarks: an adapter over the given rules.
    pub fn from_rules(rules: Vec<(&'static str, Vec<String>)>) -> Self {
        Self { rules }
    }
}

#[async_trait::async_trait]
impl Adapter for TenantTablesAdapter {
    async fn load_policy(&mut self, m: &mut dyn Model) -> casbin::Result<()> {
        for (ptype, rule) in &self.rules {
            m.add_policy(ptype, ptype, rule.clone());
        }
        Ok(())
    }

    async fn load_filtered_policy<'a>(&mut self, m: &mut dyn Model, _f: Filter<'a>) -> casbin::Result<()> {
        self.load_policy(m).await
    }

    async fn save_policy(&mut self, _m: &mut dyn Model) -> casbin::Result<()> {
        Ok(())
    }

    async fn clear_policy(&mut self) -> casbin::Result<()> {
        Ok(())
    }

    fn is_filtered(&self) -> bool {
        false
    }

    async fn add_policy(&mut self, _sec: &str, _ptype: &str, _rule: Vec<String>) -> casbin::Result<bool> {
        Ok(false)
    }

    async fn add_policies(&mut self, _sec: &str, _ptype: &str, _rules: Vec<Vec<String>>) -> casbin::Result<bool> {
        Ok(false)
    }

    async fn remove_policy(&mut self, _sec: &str, _ptype: &str, _rule: Vec<String>) -> casbin::Result<bool> {
        Ok(false)
    }

    async fn remove_policies(&mut self, _sec: &str, _ptype: &str, _rules: Vec<Vec<String>>) -> casbin::Result<bool> {
        Ok(false)
    }

    async fn remove_filtered_policy(
        &mut self,
        _sec: &str,
        _ptype: &str,
        _field_index: usize,
        _field_values: Vec<String>,
    ) -> casbin::Result<bool> {
        Ok(false)
    }
}

/// Builds an enforcer over `adapter` with Atrium's model.
pub async fn enforcer(adapter: TenantTablesAdapter) -> casbin::Result<Enforcer> {
    let model = DefaultModel::from_str(MODEL).await?;
    Enforcer::new(model, adapter).await
}

/// The per-tenant policy cache, bounded: beyond `capacity` tenants the least recently used
/// is dropped (it is loaded again on its next request).
pub struct Authz {
    db: DatabaseConnection,
    catalog: Arc<Catalog>,
    source: Arc<dyn PolicySource>,
    cache: RwLock<HashMap<TenantId, Cached>>,
    capacity: usize,
    /// A clock of uses, for least-recently-used eviction.
    uses: AtomicU64,
    /// Bumped by every invalidation; a load that raced with one is used but not cached.
    epoch: AtomicU64,
}

struct Cached {
    policy: Arc<TenantPolicy>,
    last_used: AtomicU64,
}

#[derive(Debug, thiserror::Error)]
pub enum AuthzError {
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error("casbin: {0}")]
    Casbin(#[from] casbin::Error),
}

impl Authz {
    pub fn new(db: DatabaseConnection, catalog: Arc<Catalog>, source: Arc<dyn PolicySource>, capacity: usize) -> Self {
        Self {
            db,
            catalog,
            source,
            cache: RwLock::new(HashMap::new()),
            capacity: capacity.max(1),
            uses: AtomicU64::new(0),
            epoch: AtomicU64::new(0),
        }
    }

    /// Tenants whose policy is cached now.
    pub fn cached_tenants(&self) -> usize {
        self.cache.read().map(|c| c.len()).unwrap_or(0)
    }

    /// The tenant's policy, or `None` when the tenant does not exist.
    pub async fn policy(&self, tenant: TenantId) -> Result<Option<Arc<TenantPolicy>>, AuthzError> {
        if let Some(policy) = self.cache.read().ok().and_then(|c| {
            c.get(&tenant).map(|hit| {
                hit.last_used.store(self.uses.fetch_add(1, Ordering::Relaxed), Ordering::Relaxed);
                hit.policy.clone()
            })
        }) {
            return Ok(Some(policy));
        }
        let epoch = self.epoch.load(Ordering::Acquire);
        let tx = TenantTx::begin(&self.db, tenant, false).await?;
        let loaded = TenantTablesAdapter::load(&tx, &self.catalog, self.source.as_ref()).await?;
        tx.commit().await?;
        let Some((adapter, facts)) = loaded else { return Ok(None) };
        let policy = Arc::new(TenantPolicy::new(tenant, facts, adapter, self.catalog.clone()).await?);
        if let Ok(mut cache) = self.cache.write()
            && self.epoch.load(Ordering::Acquire) == epoch
        {
            if cache.len() >= self.capacity && !cache.contains_key(&tenant) {
                let oldest = cache.iter().min_by_key(|(_, c)| c.last_used.load(Ordering::Relaxed)).map(|(t, _)| *t);
                if let Some(oldest) = oldest {
                    cache.remove(&oldest);
                }
            }
            let last_used = AtomicU64::new(self.uses.fetch_add(1, Ordering::Relaxed));
            cache.insert(tenant, Cached { policy: policy.clone(), last_used });
        }
        Ok(Some(policy))
    }

    pub fn invalidate_all(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        if let Ok(mut cache) = self.cache.write() {
            cache.clear();
        }
    }

    /// Listens for `atrium_policy` notifications (PostgreSQL) and invalidates what they
    /// name; after a lost connection everything is invalidated, since notifications may
    /// have been missed.
    pub fn spawn_listener(self: &Arc<Self>, url: String) {
        let authz = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                let listener = async {
                    let mut l = sea_orm::sqlx::postgres::PgListener::connect(&url).await?;
                    l.listen("atrium_policy").await?;
                    Ok::<_, sea_orm::sqlx::Error>(l)
                };
                let listening = listener.await;
                if listening.is_ok()
                    && let Some(authz) = authz.upgrade()
                {
                    // Decisions cached before the listener was up (it connects in the
                    // background after startup) may have missed their notification.
                    authz.invalidate_all();
                }
                match listening {
                    Ok(mut l) => loop {
                        let next = l.try_recv().await;
                        let Some(authz) = authz.upgrade() else { return };
                        match next {
                            Ok(Some(n)) => match uuid::Uuid::parse_str(n.payload()) {
                                Ok(id) => authz.invalidate(TenantId(id)),
                                Err(_) => authz.invalidate_all(),
                            },
                            // The connection dropped and is being re-established:
                            // notifications may have been missed meanwhile.
                            Ok(None) => authz.invalidate_all(),
                            Err(err) => {
                                tracing::warn!(error = %err, "policy listener lost its connection");
                                break;
                            }
                        }
                    },
                    Err(err) => tracing::warn!(error = %err, "policy listener cannot connect"),
                }
                let Some(authz) = authz.upgrade() else { return };
                authz.invalidate_all();
                drop(authz);
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
        });
    }
}

impl PolicyInvalidation for Authz {
    fn invalidate(&self, tenant: TenantId) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        if let Ok(mut cache) = self.cache.write() {
            cache.remove(&tenant);
        }
    }
}

#[async_trait::async_trait]
impl MemberPermissions for Authz {
    async fn member_permissions(&self, tenant: TenantId, user: UserId) -> Result<Option<Arc<PermissionSet>>, String> {
        let Some(policy) = self.policy(tenant).await.map_err(|e| e.to_string())? else { return Ok(None) };
        if policy.status != "active" || !policy.members.contains_key(&user) {
            return Ok(None);
        }
        policy.permissions_of(user).map(Some).map_err(|e| e.to_string())
    }
}

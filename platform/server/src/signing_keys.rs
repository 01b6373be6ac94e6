//! The keys access tokens are signed with, by `kid`. A configured `ATRIUM_JWT_SECRET` is
//! used as is; without one, a random key is generated on first start and kept in the
//! database (`platform_signing_keys`), so it survives restarts and every instance on the
//! same database shares it.

use std::collections::HashMap;

use atrium_core::secret::Secret;
use base64::Engine;
use rand::RngCore;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Statement};

/// The `kid` of a configured secret: derived from it, so moving the current secret to
/// `ATRIUM_JWT_PREVIOUS_SECRETS` keeps its tokens verifiable while a new one signs.
pub fn kid_of(secret: &Secret) -> String {
    format!("k{}", &atrium_core::auth::sha256_hex(secret.expose())[..12])
}
/// `kid` of the key generated on first start.
const GENERATED_KID: &str = "generated-1";

#[derive(Clone, Debug)]
pub struct SigningKeys {
    pub active_kid: String,
    pub keys: HashMap<String, Secret>,
}

impl SigningKeys {
    pub fn active(&self) -> Option<&Secret> {
        self.keys.get(&self.active_kid)
    }

    pub fn token_keys(&self, config: &crate::config::Config) -> atrium_core::auth::TokenKeys {
        atrium_core::auth::TokenKeys::new(
            self.active_kid.clone(),
            self.keys.clone(),
            config.jwt_issuer.clone(),
            config.jwt_audience.clone(),
            config.jwt_access_ttl_seconds,
            config.jwt_refresh_ttl_seconds,
        )
    }
}

pub async fn load(
    db: &DatabaseConnection,
    configured: Option<&Secret>,
    previous: &[Secret],
) -> Result<SigningKeys, DbErr> {
    if let Some(secret) = configured {
        let mut keys: HashMap<String, Secret> = previous.iter().map(|s| (kid_of(s), s.clone())).collect();
        keys.insert(kid_of(secret), secret.clone());
        return Ok(SigningKeys { active_kid: kid_of(secret), keys });
    }
    let backend = db.get_database_backend();
    let mut keys = read_all(db).await?;
    if keys.is_empty() {
        let mut bytes = [0u8; 48];
        rand::rng().fill_bytes(&mut bytes);
        let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        // Two instances starting at once both try; the primary key keeps one.
        db.execute_raw(Statement::from_sql_and_values(
            backend,
            "INSERT INTO platform_signing_keys (kid, algorithm, secret, active, created_at)
             VALUES ($1, 'HS256', $2, TRUE, CURRENT_TIMESTAMP) ON CONFLICT (kid) DO NOTHING",
            [GENERATED_KID.into(), secret.into()],
        ))
        .await?;
        tracing::warn!(
            "no ATRIUM_JWT_SECRET configured: generated a signing key and stored it in the \
             database; set ATRIUM_JWT_SECRET (32+ bytes) in production"
        );
        keys = read_all(db).await?;
    }
    let active_kid = keys
        .iter()
        .find(|(_, _, active)| *active)
        .or(keys.first())
        .map(|(kid, _, _)| kid.clone())
        .ok_or_else(|| DbErr::RecordNotFound("platform_signing_keys".into()))?;
    let keys = keys.into_iter().map(|(kid, secret, _)| (kid, secret)).collect();
    Ok(SigningKeys { active_kid, keys })
}

async fn read_all(db: &DatabaseConnection) -> Result<Vec<(String, Secret, bool)>, DbErr> {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT kid, secret, active FROM platform_signing_keys ORDER BY created_at",
        ))
        .await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get::<String>("", "kid")?,
                Secret::new(row.try_get::<String>("", "secret")?),
                row.try_get::<bool>("", "active")?,
            ))
        })
        .collect()
}

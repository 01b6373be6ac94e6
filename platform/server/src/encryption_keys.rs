//! The keys that seal values at rest (webhook signing secrets, stored idempotent
//! responses), current first. Configured `ATRIUM_ENCRYPTION_KEYS` are used as they are
//! (rotation: a new key first, the old ones after it until every value was re-sealed);
//! without them a random key is generated on first start and kept in the database
//! (`platform_encryption_keys`, its own table), so it survives restarts and every instance
//! on the same database shares it — as with the JWT secret.

use atrium_core::secret::Secret;
use base64::Engine;
use rand::RngCore;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Statement};

/// `kid` of the key generated on first start.
const GENERATED_KID: &str = "generated-1";

pub async fn load(db: &DatabaseConnection, configured: &[Secret]) -> Result<Vec<Secret>, DbErr> {
    if !configured.is_empty() {
        return Ok(configured.to_vec());
    }
    let mut keys = read_all(db).await?;
    if keys.is_empty() {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        // Two instances starting at once both try; the primary key keeps one.
        db.execute_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "INSERT INTO platform_encryption_keys (kid, secret, created_at)
             VALUES ($1, $2, CURRENT_TIMESTAMP) ON CONFLICT (kid) DO NOTHING",
            [GENERATED_KID.into(), secret.into()],
        ))
        .await?;
        tracing::warn!(
            "no ATRIUM_ENCRYPTION_KEYS configured: generated an encryption key for secrets at rest and \
             stored it in the database; configure ATRIUM_ENCRYPTION_KEYS (32+ bytes each) in production"
        );
        keys = read_all(db).await?;
    }
    if keys.is_empty() {
        return Err(DbErr::RecordNotFound("platform_encryption_keys".into()));
    }
    Ok(keys)
}

/// The stored keys, newest first.
async fn read_all(db: &DatabaseConnection) -> Result<Vec<Secret>, DbErr> {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT secret FROM platform_encryption_keys ORDER BY created_at DESC, kid",
        ))
        .await?;
    rows.iter().map(|row| Ok(Secret::new(row.try_get::<String>("", "secret")?))).collect()
}

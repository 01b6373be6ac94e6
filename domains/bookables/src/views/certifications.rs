//! A provider's certification as the API states it, with the rules on its own fields.

use atrium_core::error::FieldError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::entities::certifications;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"type": "cosmetology", "issued_by": "State Board of Cosmetology",
    "issued_at": "2024-03-01T00:00:00Z", "expires_at": "2034-03-01T00:00:00Z"}))]
pub struct CertificationInput {
    /// What it certifies (`cosmetology`, `cpr`).
    #[serde(rename = "type")]
    #[schema(example = "cosmetology")]
    pub certification_type: String,
    #[schema(example = "State Board of Cosmetology")]
    pub issued_by: String,
    pub issued_at: DateTime<Utc>,
    /// After `issued_at`; none when it does not expire.
    pub expires_at: Option<DateTime<Utc>>,
    pub document_url: Option<String>,
    #[serde(default)]
    pub is_verified: bool,
}

impl CertificationInput {
    pub fn check(&self, path: &str, errors: &mut Vec<FieldError>) {
        for (field, value, max) in [("type", &self.certification_type, 100), ("issued_by", &self.issued_by, 200)] {
            if value.trim().is_empty() || value.chars().count() > max {
                errors.push(FieldError::new(format!("{path}{field}"), format!("must be 1–{max} characters")));
            }
        }
        if self.expires_at.is_some_and(|e| e <= self.issued_at) {
            errors.push(FieldError::new(format!("{path}expires_at"), "must be after issued_at"));
        }
        if self.issued_at > Utc::now() {
            errors.push(FieldError::new(format!("{path}issued_at"), "must not be in the future"));
        }
        if let Some(url) = &self.document_url
            && (url.chars().count() > 2000 || !(url.starts_with("https://") || url.starts_with("http://")))
        {
            errors.push(FieldError::new(format!("{path}document_url"), "must be an http(s) URL"));
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CertificationView {
    pub id: Uuid,
    pub bookable_id: Uuid,
    #[serde(flatten)]
    pub input: CertificationInput,
    /// Whether `expires_at` has passed.
    pub expired: bool,
    pub version: i32,
    pub created_at: DateTime<Utc>,
}

impl CertificationView {
    pub fn of(m: &certifications::Model) -> Self {
        Self {
            id: m.id,
            bookable_id: m.bookable_id,
            input: CertificationInput {
                certification_type: m.certification_type.clone(),
                issued_by: m.issued_by.clone(),
                issued_at: m.issued_at,
                expires_at: m.expires_at,
                document_url: m.document_url.clone(),
                is_verified: m.is_verified,
            },
            expired: m.expires_at.is_some_and(|e| e <= Utc::now()),
            version: m.version,
            created_at: m.created_at,
        }
    }
}

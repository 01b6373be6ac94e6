//! A service template as the API shows it (its state with its identity and version), and
//! the query parameters of the list.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use atrium_bookables::model::is_tag;

use crate::entities::service_templates::Model;
use crate::error::ServiceTemplatesError;
use crate::model::{ServiceTemplateState, ServiceTemplateStatus, ServiceTemplateType};
use crate::repo::{self, ListFilter};

/// A service template: its state, as given and checked, with its identity and version.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceTemplateView {
    pub id: Uuid,
    #[serde(flatten)]
    pub state: ServiceTemplateState,
    /// Goes up by one with every change; send it as `If-Match` to update safely.
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ServiceTemplateView {
    pub fn of(m: &Model) -> Result<Self, ServiceTemplatesError> {
        Ok(Self {
            id: m.id,
            state: repo::state_of(m)?,
            version: m.version,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ServiceTemplateFilter {
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub template_type: Option<ServiceTemplateType>,
    pub status: Option<ServiceTemplateStatus>,
    pub location_id: Option<Uuid>,
    /// Templates carrying this tag.
    pub tag: Option<String>,
}

impl ServiceTemplateFilter {
    /// The filter as the repository takes it, once its tag is known to be one.
    pub fn checked(self) -> Result<ListFilter, ServiceTemplatesError> {
        if self.tag.as_deref().is_some_and(|t| !is_tag(t)) {
            return Err(ServiceTemplatesError::BadTag);
        }
        Ok(ListFilter {
            template_type: self.template_type,
            status: self.status,
            location_id: self.location_id,
            tag: self.tag,
        })
    }
}

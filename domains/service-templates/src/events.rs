//! The events this plugin emits, declared once: the webhook catalog is derived from this
//! enum, and every audited change names one of its variants.

use atrium_core::context::Permission;
use atrium_core::events::EventKind;
use sea_orm::EnumIter;

use crate::READ;

#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter)]
pub enum ServiceTemplatesEvent {
    /// `service_template.created`: A service template was created.
    ServiceTemplateCreated,
    /// `service_template.updated`: A service template changed.
    ServiceTemplateUpdated,
    /// `service_template.deleted`: A service template was deleted.
    ServiceTemplateDeleted,
}

impl EventKind for ServiceTemplatesEvent {
    fn name(self) -> &'static str {
        match self {
            Self::ServiceTemplateCreated => "service_template.created",
            Self::ServiceTemplateUpdated => "service_template.updated",
            Self::ServiceTemplateDeleted => "service_template.deleted",
        }
    }

    fn description(self) -> &'static str {
        match self {
            Self::ServiceTemplateCreated => "A service template was created",
            Self::ServiceTemplateUpdated => "A service template changed",
            Self::ServiceTemplateDeleted => "A service template was deleted",
        }
    }

    fn read_permission(self) -> Permission {
        match self {
            Self::ServiceTemplateCreated | Self::ServiceTemplateUpdated | Self::ServiceTemplateDeleted => READ,
        }
    }
}

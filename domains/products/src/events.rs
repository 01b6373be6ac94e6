//! The events this plugin emits, declared once: the webhook catalog is derived from this
//! enum, and every audited change names one of its variants.

use atrium_core::context::Permission;
use atrium_core::events::EventKind;
use sea_orm::EnumIter;

use crate::READ;

#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter)]
pub enum ProductsEvent {
    /// `product.created`
    ProductCreated,
    /// `product.updated`
    ProductUpdated,
    /// `product.deleted`
    ProductDeleted,
    /// `inventory.received`
    InventoryReceived,
    /// `inventory.adjusted`
    InventoryAdjusted,
    /// `inventory.reserved`
    InventoryReserved,
    /// `inventory.released`
    InventoryReleased,
    /// `product.low_stock`
    ProductLowStock,
    /// `product.out_of_stock`
    ProductOutOfStock,
}

impl EventKind for ProductsEvent {
    fn name(self) -> &'static str {
        match self {
            Self::ProductCreated => "product.created",
            Self::ProductUpdated => "product.updated",
            Self::ProductDeleted => "product.deleted",
            Self::InventoryReceived => "inventory.received",
            Self::InventoryAdjusted => "inventory.adjusted",
            Self::InventoryReserved => "inventory.reserved",
            Self::InventoryReleased => "inventory.released",
            Self::ProductLowStock => "product.low_stock",
            Self::ProductOutOfStock => "product.out_of_stock",
        }
    }

    fn description(self) -> &'static str {
        match self {
            Self::ProductCreated => "A product was added to the catalog",
            Self::ProductUpdated => "A product changed",
            Self::ProductDeleted => "A product was deleted",
            Self::InventoryReceived => "Stock of a product was received at a location",
            Self::InventoryAdjusted => "Stock on hand of a product was corrected (a delta or a compare-and-set)",
            Self::InventoryReserved => "Stock of a product was reserved",
            Self::InventoryReleased => "A reservation of stock was released (by request or on expiry)",
            Self::ProductLowStock => {
                "Available stock of a product at a location fell to its reorder point or below (once per crossing)"
            }
            Self::ProductOutOfStock => "Available stock of a product at a location fell to zero (once per crossing)",
        }
    }

    fn read_permission(self) -> Permission {
        match self {
            Self::ProductCreated
            | Self::ProductUpdated
            | Self::ProductDeleted
            | Self::InventoryReceived
            | Self::InventoryAdjusted
            | Self::InventoryReserved
            | Self::InventoryReleased
            | Self::ProductLowStock
            | Self::ProductOutOfStock => READ,
        }
    }
}

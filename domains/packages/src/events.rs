//! The events this plugin emits, declared once: the webhook catalog is derived from this
//! enum, and every audited change names one of its variants.

use atrium_core::context::Permission;
use atrium_core::events::EventKind;
use sea_orm::EnumIter;

use crate::{PURCHASES_READ, READ};

#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter)]
pub enum PackagesEvent {
    /// `package.created`
    PackageCreated,
    /// `package.updated`
    PackageUpdated,
    /// `package_purchase.created`
    PurchaseCreated,
    /// `package_purchase.paid`
    PurchasePaid,
    /// `package_purchase.expired`
    PurchaseExpired,
    /// `package_purchase.extended`
    PurchaseExtended,
    /// `package_purchase.transferred`
    PurchaseTransferred,
    /// `package_purchase.refunded`
    PurchaseRefunded,
    /// `package_credit.redeemed`
    CreditRedeemed,
    /// `package_credit.returned`
    CreditReturned,
    /// `package_credit.forfeited`
    CreditForfeited,
}

impl EventKind for PackagesEvent {
    fn name(self) -> &'static str {
        match self {
            Self::PackageCreated => "package.created",
            Self::PackageUpdated => "package.updated",
            Self::PurchaseCreated => "package_purchase.created",
            Self::PurchasePaid => "package_purchase.paid",
            Self::PurchaseExpired => "package_purchase.expired",
            Self::PurchaseExtended => "package_purchase.extended",
            Self::PurchaseTransferred => "package_purchase.transferred",
            Self::PurchaseRefunded => "package_purchase.refunded",
            Self::CreditRedeemed => "package_credit.redeemed",
            Self::CreditReturned => "package_credit.returned",
            Self::CreditForfeited => "package_credit.forfeited",
        }
    }

    fn description(self) -> &'static str {
        match self {
            Self::PackageCreated => "A package was added to the catalog",
            Self::PackageUpdated => "A package changed (its sales keep the terms they were sold under)",
            Self::PurchaseCreated => "A package was sold to a customer; its credits were granted",
            Self::PurchasePaid => "A package purchase was paid: its credits can be redeemed",
            Self::PurchaseExpired => "A package purchase expired; its unused credits were written off as `expired`",
            Self::PurchaseExtended => {
                "A package purchase's validity was extended (an expired/granted entry pair per item)"
            }
            Self::PurchaseTransferred => "A package purchase's unused credits were transferred to another customer",
            Self::PurchaseRefunded => "A package purchase was refunded: its unused credits were voided",
            Self::CreditRedeemed => "A booking was paid with a package credit (in the booking's own transaction)",
            Self::CreditReturned => {
                "A booking paid with a package credit was cancelled within its terms: the credit came back \
                 (or, late under a fee rule, came back with the fee recorded)"
            }
            Self::CreditForfeited => {
                "A booking paid with a package credit was cancelled late or missed (no-show): the credit stays used"
            }
        }
    }

    fn read_permission(self) -> Permission {
        match self {
            Self::PackageCreated | Self::PackageUpdated => READ,
            Self::PurchaseCreated
            | Self::PurchasePaid
            | Self::PurchaseExpired
            | Self::PurchaseExtended
            | Self::PurchaseTransferred
            | Self::PurchaseRefunded
            | Self::CreditRedeemed
            | Self::CreditReturned
            | Self::CreditForfeited => PURCHASES_READ,
        }
    }
}

//! Households and members as the API states them (inputs, patches, views), the rules on
//! their own fields, and the mapping from a stored row to a view.

use atrium_core::error::FieldError;
use atrium_core::http::double_option;
use atrium_core::validate::Name;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::entities::{households, members};
use crate::error::{HouseholdsError, Result};
use crate::rules::{ApprovalRequiredFor, MemberRole};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HouseholdType {
    Family,
    Company,
    Group,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Relationship {
    Spouse,
    Child,
    Parent,
    Sibling,
    Guardian,
    Dependent,
    Employee,
}

/// A value's snake_case name, as serde writes it (for text columns).
pub(crate) fn name_of<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// The inverse of [`name_of`], for a column of row `what`.
fn parse_name<T: serde::de::DeserializeOwned>(what: &str, value: &str) -> Result<T> {
    serde_json::from_value(serde_json::Value::String(value.to_owned()))
        .map_err(|e| HouseholdsError::Corrupt(what.to_owned(), e.to_string()))
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompanyInfo {
    #[schema(example = "US-12-3456789")]
    pub tax_id: Option<String>,
    #[schema(example = "plumbing")]
    pub industry: Option<String>,
    #[schema(example = "https://abc-plumbing.example")]
    pub website: Option<String>,
}

impl CompanyInfo {
    fn check(&self, errors: &mut Vec<FieldError>) {
        for (field, value) in [("tax_id", &self.tax_id), ("industry", &self.industry), ("website", &self.website)] {
            if value.as_ref().is_some_and(|v| v.trim().is_empty() || v.chars().count() > 200) {
                errors.push(FieldError::new(format!("company_info.{field}"), "must be 1–200 characters"));
            }
        }
        if self.website.as_ref().is_some_and(|w| !(w.starts_with("https://") || w.starts_with("http://"))) {
            errors.push(FieldError::new("company_info.website", "must be an http(s) URL"));
        }
    }
}

/// The rules on a household's own fields: a name, and company details only for companies.
pub fn check_household(name: &str, kind: HouseholdType, info: Option<&CompanyInfo>) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if let Err(m) = Name::parse(name) {
        errors.push(FieldError::new("name", m));
    }
    match (kind, info) {
        (HouseholdType::Company, Some(info)) => info.check(&mut errors),
        (HouseholdType::Company, None) => {}
        (_, Some(_)) => errors.push(FieldError::new("company_info", "is only for company households")),
        (_, None) => {}
    }
    errors
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HouseholdView {
    pub id: Uuid,
    #[schema(example = "Smith Family")]
    pub name: String,
    #[serde(rename = "type")]
    pub household_type: HouseholdType,
    /// The member who is the household's primary contact.
    pub primary_contact_id: Uuid,
    pub company_info: Option<CompanyInfo>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl HouseholdView {
    pub fn of(h: &households::Model) -> Result<Self> {
        let what = || format!("household {}", h.id);
        Ok(Self {
            id: h.id,
            name: h.name.clone(),
            household_type: parse_name(&what(), &h.household_type)?,
            primary_contact_id: h.primary_contact_id,
            company_info: h
                .company_info
                .clone()
                .map(serde_json::from_value)
                .transpose()
                .map_err(|e| HouseholdsError::Corrupt(what(), e.to_string()))?,
            version: h.version,
            created_at: h.created_at,
            updated_at: h.updated_at,
        })
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Smith Family", "type": "family"}))]
pub struct HouseholdCreate {
    pub name: String,
    #[serde(rename = "type")]
    pub household_type: HouseholdType,
    /// Only for `company` households.
    pub company_info: Option<CompanyInfo>,
    /// The user who becomes the primary member and contact; the caller when absent. A
    /// caller who holds `households:write` only for their own households (a customer)
    /// always becomes it: absent or their own id, any other is a 422.
    pub primary_contact_user_id: Option<Uuid>,
}

/// A [`HouseholdCreate`] whose own fields passed [`check_household`]; only what needs the
/// database (the contact's membership of the tenant) is left to check.
#[derive(Debug)]
pub struct NewHousehold(HouseholdCreate);

impl HouseholdCreate {
    pub fn checked(self) -> Result<NewHousehold> {
        let errors = check_household(&self.name, self.household_type, self.company_info.as_ref());
        if errors.is_empty() { Ok(NewHousehold(self)) } else { Err(HouseholdsError::Invalid(errors)) }
    }
}

impl NewHousehold {
    pub fn input(&self) -> &HouseholdCreate {
        &self.0
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HouseholdPatch {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<CompanyInfo>)]
    pub company_info: Option<Option<CompanyInfo>>,
    /// A primary member of this household.
    pub primary_contact_id: Option<Uuid>,
}

/// A member's full state, as created or after a patch; checked as a whole.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"user_id": "01936f0e-8a4c-7b3e-9a51-2f4f1e2b7c10", "role": "adult", "can_book_for_others": true}))]
pub struct MemberState {
    pub user_id: Uuid,
    pub role: MemberRole,
    #[serde(default)]
    pub can_book_for_others: bool,
    #[serde(default)]
    pub can_view_others_bookings: bool,
    #[serde(default)]
    pub can_modify_others_bookings: bool,
    #[serde(default = "no_approval")]
    pub approval_required_for: ApprovalRequiredFor,
    /// Members of this household who manage this one (required for minors and dependents).
    #[serde(default)]
    pub managed_by: Vec<Uuid>,
    pub relationship: Option<Relationship>,
    pub date_of_birth: Option<NaiveDate>,
}

fn no_approval() -> ApprovalRequiredFor {
    ApprovalRequiredFor::None
}

impl MemberState {
    /// The household's first member, who creates it.
    pub fn primary(user_id: Uuid) -> Self {
        Self {
            user_id,
            role: MemberRole::Primary,
            can_book_for_others: true,
            can_view_others_bookings: true,
            can_modify_others_bookings: true,
            approval_required_for: ApprovalRequiredFor::None,
            managed_by: Vec::new(),
            relationship: None,
            date_of_birth: None,
        }
    }

    pub fn of(m: &members::Model) -> Result<Self> {
        let what = format!("household member {}", m.id);
        Ok(Self {
            user_id: m.user_id,
            role: parse_name(&what, &m.role)?,
            can_book_for_others: m.can_book_for_others,
            can_view_others_bookings: m.can_view_others_bookings,
            can_modify_others_bookings: m.can_modify_others_bookings,
            approval_required_for: parse_name(&what, &m.approval_required_for)?,
            managed_by: serde_json::from_value(m.managed_by.clone())
                .map_err(|e| HouseholdsError::Corrupt(what.clone(), e.to_string()))?,
            relationship: m.relationship.as_deref().map(|r| parse_name(&what, r)).transpose()?,
            date_of_birth: m.date_of_birth,
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberView {
    pub id: Uuid,
    pub household_id: Uuid,
    #[serde(flatten)]
    pub state: MemberState,
    pub version: i32,
    pub joined_at: DateTime<Utc>,
}

impl MemberView {
    pub fn of(m: &members::Model) -> Result<Self> {
        Ok(Self {
            id: m.id,
            household_id: m.household_id,
            state: MemberState::of(m)?,
            version: m.version,
            joined_at: m.joined_at,
        })
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberPatch {
    pub role: Option<MemberRole>,
    pub can_book_for_others: Option<bool>,
    pub can_view_others_bookings: Option<bool>,
    pub can_modify_others_bookings: Option<bool>,
    pub approval_required_for: Option<ApprovalRequiredFor>,
    pub managed_by: Option<Vec<Uuid>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Relationship>)]
    pub relationship: Option<Option<Relationship>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<NaiveDate>)]
    pub date_of_birth: Option<Option<NaiveDate>>,
}

impl MemberPatch {
    /// `state` with the fields this patch names replaced.
    pub fn apply(self, mut state: MemberState) -> MemberState {
        let Self {
            role,
            can_book_for_others,
            can_view_others_bookings,
            can_modify_others_bookings,
            approval_required_for,
            managed_by,
            relationship,
            date_of_birth,
        } = self;
        state.role = role.unwrap_or(state.role);
        state.can_book_for_others = can_book_for_others.unwrap_or(state.can_book_for_others);
        state.can_view_others_bookings = can_view_others_bookings.unwrap_or(state.can_view_others_bookings);
        state.can_modify_others_bookings = can_modify_others_bookings.unwrap_or(state.can_modify_others_bookings);
        state.approval_required_for = approval_required_for.unwrap_or(state.approval_required_for);
        state.managed_by = managed_by.unwrap_or(state.managed_by);
        state.relationship = relationship.unwrap_or(state.relationship);
        state.date_of_birth = date_of_birth.unwrap_or(state.date_of_birth);
        state
    }
}

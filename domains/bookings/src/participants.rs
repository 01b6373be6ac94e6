//! Who a booking is for: participants checked against the tenant's members and the
//! household's rules (who may book whom, and when a primary member must approve first),
//! and the participants a waitlist entry or a recurring rule keeps for later bookings.

use atrium_core::context::{Directory, RequestContext};
use atrium_core::db::TenantTx;
use atrium_core::error::FieldError;
use atrium_core::ids::UserId;
use atrium_core::validate::Email;
use atrium_households::rules::{Decision, MemberFacts, may_book_for};
use atrium_households::service::{HouseholdOf, MemberRecord};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::error::{BookingsError, invalid};
use crate::model::bookings::{BookingCreate, ParticipantInput, ParticipantRole};

/// A booking at or above this total (in the currency's major units) counts as expensive
/// for a household member's `approval_required_for: expensive_only`.
const EXPENSIVE_FROM: Decimal = Decimal::ONE_HUNDRED;

/// A participant row to insert, checked.
pub struct Person {
    pub user_id: Option<Uuid>,
    pub household_member_id: Option<Uuid>,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub role: ParticipantRole,
}

/// A booking's participants, checked.
pub struct Party {
    pub people: Vec<Person>,
    /// A primary member of the household must approve the booking first.
    pub needs_approval: bool,
    /// The household whose rules applied: the one given, or one of the caller's that a
    /// participant belongs to.
    pub household_id: Option<Uuid>,
}

/// The booking's household: its members, and the caller among them.
struct Household {
    id: Uuid,
    members: Vec<MemberRecord>,
    actor: MemberRecord,
}

/// The participants of `input` (the caller when none), checked against the tenant's
/// members and the household's rules; a booking of `total`. A customer (`own`) books for
/// themself and members of their households only, and names guests only when the tenant
/// allows it. When no `household_id` is given, the household of the caller's that a
/// participant belongs to is decided here: its rules apply all the same.
pub async fn party(
    ctx: &RequestContext,
    tx: &TenantTx,
    dir: &dyn Directory,
    input: &BookingCreate,
    total: Decimal,
    own: bool,
) -> Result<Party, BookingsError> {
    let caller = ctx.principal().user_id().0;
    let given = if input.participants.is_empty() {
        vec![ParticipantInput {
            user_id: Some(caller),
            household_member_id: None,
            name: None,
            email: None,
            phone: None,
            role: ParticipantRole::Primary,
        }]
    } else {
        input.participants.clone()
    };
    if given.len() > 100 {
        return Err(invalid("participants", "at most 100"));
    }
    let mine = atrium_households::service::households_of(tx, caller).await?;
    let household = match input.household_id {
        Some(h) => Some(household(tx, h, caller).await?),
        None => implied_household(&mine, caller, &given),
    };
    let guests_allowed = !own || dir.customer_policy(tx).await?.guests_allowed;
    let mut check = Check {
        household: household.as_ref(),
        expensive: total >= EXPENSIVE_FROM,
        approval: false,
        errors: Vec::new(),
    };
    let mut people = Vec::new();
    for (i, p) in given.iter().enumerate() {
        let person = match (p.user_id, p.household_member_id, &p.name) {
            (Some(user), None, None) => {
                let theirs = user == caller || mine.iter().any(|h| h.member(user).is_some());
                if own && !theirs {
                    check
                        .errors
                        .push(FieldError::new(at(i, "user_id"), "is neither you nor a member of your household"));
                }
                Some(check.user(tx, dir, i, user, p.role).await?)
            }
            (None, Some(member), None) => check.member(i, member, p.role)?,
            (None, None, Some(_)) if !guests_allowed => {
                check.errors.push(FieldError::new(at(i, "name"), "this tenant does not let customers add guests"));
                None
            }
            (None, None, Some(name)) => Some(check.guest(i, name, p)),
            _ => {
                check.errors.push(FieldError::new(
                    format!("participants[{i}]"),
                    "give exactly one of user_id, household_member_id or name (a guest)",
                ));
                None
            }
        };
        people.extend(person);
    }
    if !check.errors.is_empty() {
        return Err(BookingsError::Invalid(check.errors));
    }
    Ok(Party { people, needs_approval: check.approval, household_id: household.map(|h| h.id) })
}

/// The first of the caller's households (in id order) that one of the user participants
/// belongs to: its rules decide, as if the request had named it.
fn implied_household(mine: &[HouseholdOf], caller: Uuid, given: &[ParticipantInput]) -> Option<Household> {
    let users: Vec<Uuid> = given.iter().filter_map(|p| p.user_id).collect();
    let h = mine.iter().find(|h| users.iter().any(|u| h.member(*u).is_some()))?;
    let actor = h.member(caller)?.clone();
    Some(Household { id: h.id, members: h.members.clone(), actor })
}

/// Household `id` with the caller among its members.
async fn household(tx: &TenantTx, id: Uuid, caller: Uuid) -> Result<Household, BookingsError> {
    let members = atrium_households::service::members(tx, id).await?;
    if members.is_empty() {
        return Err(invalid("household_id", "is not a household of this tenant"));
    }
    let actor = members
        .iter()
        .find(|m| m.user_id == caller)
        .cloned()
        .ok_or_else(|| invalid("household_id", "you are not a member of this household"))?;
    Ok(Household { id, members, actor })
}

/// The participants being checked: what is wrong so far, and whether approval is needed.
struct Check<'a> {
    household: Option<&'a Household>,
    expensive: bool,
    approval: bool,
    errors: Vec<FieldError>,
}

fn at(i: usize, field: &str) -> String {
    format!("participants[{i}].{field}")
}

impl Check<'_> {
    /// The household's rule for the caller booking `participant`; a denial ends the booking.
    fn decide(&mut self, actor: &MemberFacts, participant: &MemberFacts) -> Result<(), BookingsError> {
        match may_book_for(actor, participant, self.expensive) {
            Decision::Allowed => Ok(()),
            Decision::RequiresApproval => {
                self.approval = true;
                Ok(())
            }
            Decision::Denied(why) => Err(BookingsError::Forbidden(why)),
        }
    }

    async fn user(
        &mut self,
        tx: &TenantTx,
        dir: &dyn Directory,
        i: usize,
        user: Uuid,
        role: ParticipantRole,
    ) -> Result<Person, BookingsError> {
        if !dir.is_member(tx, UserId(user)).await? {
            self.errors.push(FieldError::new(at(i, "user_id"), "is not a member of this tenant"));
        }
        // Naming a household member by user id does not step around the household's rules.
        let household = self.household;
        let member = household.and_then(|h| h.members.iter().find(|m| m.user_id == user).map(|m| (h, m)));
        if let Some((h, m)) = member {
            self.decide(&h.actor.facts, &m.facts)?;
        }
        Ok(Person {
            user_id: Some(user),
            household_member_id: member.map(|(_, m)| m.facts.id),
            name: String::new(),
            email: None,
            phone: None,
            role,
        })
    }

    fn member(&mut self, i: usize, member: Uuid, role: ParticipantRole) -> Result<Option<Person>, BookingsError> {
        let Some(h) = self.household else {
            self.errors.push(FieldError::new(at(i, "household_member_id"), "needs the booking's household_id"));
            return Ok(None);
        };
        let Some(m) = h.members.iter().find(|m| m.facts.id == member) else {
            self.errors.push(FieldError::new(at(i, "household_member_id"), "is not a member of the household"));
            return Ok(None);
        };
        self.decide(&h.actor.facts, &m.facts)?;
        Ok(Some(Person {
            user_id: Some(m.user_id),
            household_member_id: Some(member),
            name: String::new(),
            email: None,
            phone: None,
            role,
        }))
    }

    fn guest(&mut self, i: usize, name: &str, p: &ParticipantInput) -> Person {
        if name.trim().is_empty() || name.chars().count() > 200 {
            self.errors.push(FieldError::new(at(i, "name"), "must be 1–200 characters"));
        }
        let email = match &p.email {
            Some(e) => match Email::parse(e) {
                Ok(e) => Some(e.into_string()),
                Err(m) => {
                    self.errors.push(FieldError::new(at(i, "email"), m));
                    None
                }
            },
            None => None,
        };
        if p.phone.as_ref().is_some_and(|ph| ph.trim().is_empty() || ph.chars().count() > 50) {
            self.errors.push(FieldError::new(at(i, "phone"), "must be 1–50 characters"));
        }
        Person {
            user_id: None,
            household_member_id: None,
            name: name.trim().to_owned(),
            email,
            phone: p.phone.clone(),
            role: ParticipantRole::Guest,
        }
    }
}

/// The participants' shape, for a booking made later (the membership and household rules
/// are checked when booking).
pub fn check_shape(given: &[ParticipantInput], errors: &mut Vec<FieldError>) {
    if given.len() > 100 {
        errors.push(FieldError::new("participants", "at most 100"));
    }
    for (i, p) in given.iter().enumerate() {
        let set = usize::from(p.user_id.is_some()) + usize::from(p.household_member_id.is_some());
        let named = p.name.as_ref().is_some_and(|n| !n.trim().is_empty() && n.chars().count() <= 200);
        let ok = match &p.name {
            None => set == 1,
            Some(_) => set == 0 && named,
        };
        if !ok {
            errors.push(FieldError::new(
                format!("participants[{i}]"),
                "give exactly one of user_id, household_member_id or name (a guest, 1–200 characters)",
            ));
        }
    }
}

/// A household the caller belongs to, as a booking needs (checked ahead of it).
pub async fn check_household(
    ctx: &RequestContext,
    tx: &TenantTx,
    household: Option<Uuid>,
    errors: &mut Vec<FieldError>,
) -> Result<(), BookingsError> {
    let Some(h) = household else { return Ok(()) };
    let members = atrium_households::service::members(tx, h).await?;
    if members.is_empty() {
        errors.push(FieldError::new("household_id", "is not a household of this tenant"));
    } else if !members.iter().any(|m| m.user_id == ctx.principal().user_id().0) {
        errors.push(FieldError::new("household_id", "you are not a member of this household"));
    }
    Ok(())
}

/// Participants kept for later bookings, as given.
pub fn stored(given: &[ParticipantInput]) -> serde_json::Value {
    serde_json::Value::Array(
        given
            .iter()
            .map(|p| {
                serde_json::json!({"user_id": p.user_id, "household_member_id": p.household_member_id,
                    "name": p.name, "email": p.email, "phone": p.phone, "role": p.role})
            })
            .collect(),
    )
}

/// Participants kept by [`stored`], read back.
pub fn from_stored(value: &serde_json::Value) -> Result<Vec<ParticipantInput>, BookingsError> {
    Ok(serde_json::from_value(value.clone())?)
}

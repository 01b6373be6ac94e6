//! Who may book for whom inside a household (domains.md, households): one checked
//! function the bookings plugin calls.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MemberRole {
    Primary,
    Adult,
    Minor,
    Dependent,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalRequiredFor {
    All,
    ExpensiveOnly,
    None,
}

/// The facts about a member that the rules read.
#[derive(Clone, Debug)]
pub struct MemberFacts {
    pub id: Uuid,
    pub role: MemberRole,
    pub can_book_for_others: bool,
    pub approval_required_for: ApprovalRequiredFor,
    pub managed_by: Vec<Uuid>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    Allowed,
    /// Allowed once a primary member approves (`pending_approval`).
    RequiresApproval,
    Denied(&'static str),
}

/// May `actor` book `participant` (both members of the same household)? `expensive`
/// says whether the booking counts as expensive for `approval_required_for`.
pub fn may_book_for(actor: &MemberFacts, participant: &MemberFacts, expensive: bool) -> Decision {
    let for_self = actor.id == participant.id;
    if !for_self {
        if matches!(participant.role, MemberRole::Minor | MemberRole::Dependent) {
            if !participant.managed_by.contains(&actor.id) {
                return Decision::Denied("a minor or dependent is booked only by a member who manages them");
            }
        } else if !actor.can_book_for_others {
            return Decision::Denied("this member may not book for others");
        }
    }
    if actor.role == MemberRole::Primary {
        return Decision::Allowed;
    }
    match actor.approval_required_for {
        ApprovalRequiredFor::All => Decision::RequiresApproval,
        ApprovalRequiredFor::ExpensiveOnly if expensive => Decision::RequiresApproval,
        _ => Decision::Allowed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(role: MemberRole, can_book: bool, approval: ApprovalRequiredFor, managed_by: Vec<Uuid>) -> MemberFacts {
        MemberFacts {
            id: Uuid::now_v7(),
            role,
            can_book_for_others: can_book,
            approval_required_for: approval,
            managed_by,
        }
    }

    #[test]
    fn the_rules_of_domains_md() {
        use ApprovalRequiredFor as A;
        use MemberRole as R;
        let parent = member(R::Primary, true, A::None, vec![]);
        let teen = member(R::Adult, false, A::All, vec![]);
        let child = member(R::Minor, false, A::None, vec![parent.id]);
        let spouse = member(R::Adult, true, A::ExpensiveOnly, vec![]);

        assert_eq!(may_book_for(&parent, &child, true), Decision::Allowed, "a manager books a minor");
        assert!(matches!(may_book_for(&spouse, &child, false), Decision::Denied(_)), "not their manager");
        assert!(matches!(may_book_for(&teen, &parent, false), Decision::Denied(_)), "no can_book_for_others");
        assert_eq!(may_book_for(&teen, &teen, false), Decision::RequiresApproval, "approval for all");
        assert_eq!(may_book_for(&spouse, &parent, false), Decision::Allowed);
        assert_eq!(may_book_for(&spouse, &parent, true), Decision::RequiresApproval, "expensive only");
        assert_eq!(may_book_for(&parent, &spouse, true), Decision::Allowed, "primaries need no approval");
    }
}

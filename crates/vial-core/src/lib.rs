//! Vial's domain vocabulary and its permission policy: who may do what to which record.
//!
//! Owns the roles ([`role`]) and the permission matrix of SPEC §2 ([`policy`]), written once, as
//! data, in [`policy::decide`]. Everything that touches patient data must ask [`policy::decide`]
//! first and act only on [`Decision::Allow`], honouring its [`Scope`]; the policy must never be
//! bypassed, re-implemented or "optimised" elsewhere. Anything the matrix does not grant is denied.
//!
//! The crate is pure: no I/O, no async, no clocks, no dependencies on storage or HTTP. Facts that
//! come from data (care-team membership, an active break-glass grant, whose record this is) are
//! decided by the caller and passed in as a [`Relation`]. Every code this crate produces
//! (`as_str`) is a fixed snake_case word meant for audit entries; none ever carries data.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

/// Declares a closed vocabulary enum together with its `ALL` array and stable `as_str` codes,
/// from one list, so `ALL` can never miss a variant and every code is written exactly once.
macro_rules! vocabulary {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $code:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every variant, in declaration order (generated from the enum's own list).
            pub const ALL: [Self; [$(stringify!($variant)),+].len()] = [$(Self::$variant),+];

            /// Stable snake_case code for audit entries and storage; never carries data.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $( Self::$variant => $code, )+
                }
            }
        }

        impl ::core::fmt::Display for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub mod egress;
pub mod ids;
pub mod policy;
pub mod role;
pub mod vendor;

pub use ids::{AppointmentId, PatientId, PhotoId, RecordId, SessionId, UserId};

pub use policy::{
    Action, Decision, DenyReason, Relation, Resource, Scope, ThreadKind, decide, may_access_thread,
    may_approve_account, may_assign_care_team, may_change_role, may_cosign,
    may_decide_booking_request, may_maintain_catalogue, may_read_catalogue,
    may_remove_from_care_team, may_see_internal_notes, may_use_message_templates, may_use_portal,
    may_write_draft,
};
pub use role::{AccountState, Role, UnknownRole};

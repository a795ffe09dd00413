//! The four roles of SPEC §1 and their exact textual names.
//!
//! Parsing is strict: only the exact lowercase names are roles. Anything else (other case,
//! whitespace, aliases) is an [`UnknownRole`], and an unknown role gets no access at all.

use std::str::FromStr;

vocabulary! {
    /// A person's role in the practice. Every account has exactly one.
    pub enum Role {
        /// Injector, NP, PA, MD, aesthetician: clinical access to patients on their care team.
        Provider = "provider",
        /// Front desk, coordinator: scheduling, demographics, consents collection, logistics.
        Staff = "staff",
        /// Owner, practice manager, security officer: users, devices, vendors, keys, audit review.
        Admin = "admin",
        /// A patient of the practice: their own record only.
        Patient = "patient",
    }
}

/// A role name that is not one of the exact names in SPEC §1.
///
/// Deliberately carries no copy of the input: it may be attacker-supplied junk, and this error
/// ends up in logs and audit entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("unknown role")]
pub struct UnknownRole;

impl Role {
    /// Parses an exact lowercase role name (`"provider"`, `"staff"`, `"admin"`, `"patient"`).
    pub fn parse(name: &str) -> Result<Role, UnknownRole> {
        // Exact comparison on purpose: no trimming, no case folding, no aliases.
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == name)
            .ok_or(UnknownRole)
    }

    /// Workforce accounts (provider, staff, admin) are the ones that require MFA (SPEC §1).
    pub const fn is_workforce(self) -> bool {
        !matches!(self, Role::Patient)
    }

    /// Roles an admin cannot hand out alone: a provider reaches clinical data, an admin
    /// approves others. Such an account, invited or given the role in the app, is active only
    /// once a second person approves it ([`crate::may_approve_account`]).
    pub const fn needs_approval(self) -> bool {
        matches!(self, Role::Provider | Role::Admin)
    }
}

vocabulary! {
    /// Where an account is in its life: invited (no password or authenticator yet), set up by
    /// its person and awaiting a second person's approval, or active. Only an active account
    /// signs in.
    pub enum AccountState {
        /// Created by an admin; the person has not yet set a password and an authenticator.
        Invited = "invited",
        /// Set up by its person, or given a role that needs approval; not yet approved.
        AwaitingApproval = "awaiting_approval",
        /// Signs in.
        Active = "active",
    }
}

impl AccountState {
    /// Parses a stored code; anything else is `None` (the store treats it as corrupt).
    pub fn parse(code: &str) -> Option<AccountState> {
        AccountState::ALL.into_iter().find(|s| s.as_str() == code)
    }
}

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Role::parse(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_names_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Ok(role));
            assert_eq!(role.to_string().parse::<Role>(), Ok(role));
        }
        assert_eq!(
            Role::ALL.map(Role::as_str),
            ["provider", "staff", "admin", "patient"]
        );
    }

    #[test]
    fn unknown_role_strings_are_rejected() {
        for name in [
            "",
            "Admin",
            "ADMIN",
            " admin",
            "admin ",
            "admin\0",
            "administrator",
            "root",
            "superuser",
            "doctor",
            "providers",
            "staff,admin",
            "pätient",
        ] {
            assert_eq!(Role::parse(name), Err(UnknownRole), "{name:?}");
        }
        assert_eq!(UnknownRole.to_string(), "unknown role");
    }

    #[test]
    fn only_patients_are_not_workforce() {
        assert!(Role::Provider.is_workforce());
        assert!(Role::Staff.is_workforce());
        assert!(Role::Admin.is_workforce());
        assert!(!Role::Patient.is_workforce());
    }
}

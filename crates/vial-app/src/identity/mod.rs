//! Identity: user accounts (one person, one login, one role), login with MFA, server-side
//! sessions and their revocation, devices, TOTP enrolment and role changes.

mod accounts;
pub(crate) mod hashing;
mod invitations;
pub(crate) mod login;
pub(crate) mod sessions;
mod users;

pub use accounts::UserSummary;
pub use hashing::{HASH_MEMORY_BYTES, HashLimits};
pub use invitations::{Enrolled, Enrolment, INVITATION_VALID_MS, InvitationLink, InvitationView};
pub use login::{LoginRequest, LoginSuccess};
pub use sessions::{Actor, SessionKind, SessionPolicy};
pub use users::{AddedUser, Invitee, NewUserInput, UserProfile};
pub(crate) use users::{hash_password, new_totp_secret, validate_email};

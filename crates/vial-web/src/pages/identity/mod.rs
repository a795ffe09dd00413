//! Identity pages: signing in and out ([`login`]), the signed-in person's own account
//! ([`account`]) and the admin's user administration ([`users`]).

pub mod account;
pub mod invitation;
pub mod login;
pub mod users;

use axum::Router;
use vial_app::App;

use crate::auth::LoginLimiter;

pub fn routes(limiter: &LoginLimiter) -> Router<App> {
    Router::new()
        .merge(login::routes(limiter))
        .merge(account::routes())
        .merge(users::routes())
        .merge(invitation::routes())
}

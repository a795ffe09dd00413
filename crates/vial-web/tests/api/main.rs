//! The server through its HTTPS edge, one test binary (one link instead of one per file): the
//! JSON API, the HTML pages, TLS and the photo routes, each module on SQLite and PostgreSQL
//! where it touches data (see `vial_testkit::server`).

mod clinical;
mod https;
mod invitations;
mod login;
mod messaging;
mod openapi;
mod pages;
mod pages_clinical;
mod password_hashing;
mod patients;
mod photos;
mod scheduling;
mod transport;
mod vendors;

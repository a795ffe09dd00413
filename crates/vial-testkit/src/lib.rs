//! Test helpers shared by several crates' tests; a dev-dependency only, never linked into the
//! server. Helpers fail loudly (panics) because a test that cannot set up must not pass.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test setup fails loudly by design

pub mod chromium;
pub mod garage;

//! The web UI in a real headless Chromium, one test binary: sessions (sign-in per role, refusals,
//! idle sign-out) and the clinical pages (booking, charting, notes, photos).
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them); without them these
//! tests fail, unless the developer opts out with `VIAL_SKIP_BROWSER=1`.

mod clinical;
mod messaging;
mod sessions;
mod vendors;

//! Compile-fail tests of the boundaries the type system enforces, built as the shipped binary
//! sees the crates (no `test-support`): run with `cargo test -p vial-boundaries`.
//!
//! Each rule has a snippet that compiles (the allowed door, so a typo cannot make a
//! `compile_fail` pass) and snippets that must not.
//!
//! # One door: the web's handle takes an actor
//!
//! The web crate holds an [`App`](vial_app::App); the calls without an actor are on
//! [`System`](vial_app::System), which only the binary holds.
//!
//! ```
//! async fn web(app: &vial_app::App, actor: &vial_app::Actor) {
//!     let _ = app.health().await;
//!     let _ = app.list_users(actor).await;
//!     let _ = app.key_status_as(actor).await;
//!     let _ = app.workforce_name(actor, &vial_app::UserId::from("usr_x")).await;
//! }
//! async fn binary(system: &vial_app::System, input: vial_app::NewUserInput) {
//!     let _ = system.add_user(input, "system:cli").await;
//!     let _ = system.export_audit(0, 1).await;
//!     let _ = system.rotate_keys("system:cli").await;
//!     let _ = system.key_status().await;
//!     let _ = system.checkpoint_now().await;
//!     let _ = system.record(vial_app::AuditEvent::new("server.start")).await;
//!     let _: &vial_app::App = system.app();
//! }
//! ```
//!
//! ```compile_fail
//! async fn web(app: &vial_app::App, input: vial_app::NewUserInput) {
//!     let _ = app.add_user(input, "system:cli").await;
//! }
//! ```
//! ```compile_fail
//! async fn web(app: &vial_app::App) {
//!     let _ = app.export_audit(0, 1).await;
//! }
//! ```
//! ```compile_fail
//! async fn web(app: &vial_app::App) {
//!     let _ = app.rotate_keys("system:cli").await;
//! }
//! ```
//! ```compile_fail
//! async fn web(app: &vial_app::App) {
//!     let _ = app.key_status().await;
//! }
//! ```
//! ```compile_fail
//! async fn web(app: &vial_app::App) {
//!     let _ = app.record(vial_app::AuditEvent::new("x")).await;
//! }
//! ```
//! ```compile_fail
//! async fn web(app: &vial_app::App) {
//!     let _ = app.checkpoint_now().await;
//! }
//! ```
//! ```compile_fail
//! async fn web(app: &vial_app::App) {
//!     let _ = app.user_profile(&vial_app::UserId::from("usr_x")).await;
//! }
//! ```
//! ```compile_fail
//! async fn web(app: &vial_app::App) {
//!     let _ = app.transact(|_work| Box::pin(async { Ok(()) })).await;
//! }
//! ```
//! ```compile_fail
//! async fn web(app: &vial_app::App) {
//!     let _ = app.transact_read(|_work| Box::pin(async { Ok(()) })).await;
//! }
//! ```
//!
//! Neither the store nor the keys are reachable, from either handle:
//!
//! ```compile_fail
//! fn web(app: &vial_app::App) {
//!     let _ = app.store();
//! }
//! ```
//! ```compile_fail
//! fn web(app: &vial_app::App) {
//!     let _ = app.keys();
//! }
//! ```
//! ```compile_fail
//! fn binary(system: &vial_app::System) {
//!     let _ = system.store();
//! }
//! ```
//!
//! Nor can the web build a handle of its own around the gateway:
//!
//! ```compile_fail
//! fn web(store: std::sync::Arc<dyn vial_app::Store>) {
//!     let _ = vial_app::App::new;
//! }
//! ```
//!
//! # Ids and states are typed
//!
//! A user's id is not a patient's id, and a note's state is an enum, not a string.
//!
//! ```
//! async fn chart(app: &vial_app::App, actor: &vial_app::Actor, v: &vial_app::DocumentView) {
//!     let _ = app.read_patient(actor, &vial_app::PatientId::from("pat_x")).await;
//!     let _ = v.state == vial_clinical::SignState::Signed;
//! }
//! ```
//! ```compile_fail
//! async fn chart(app: &vial_app::App, actor: &vial_app::Actor) {
//!     let _ = app.read_patient(actor, &actor.user_id).await;
//! }
//! ```
//! ```compile_fail
//! async fn chart(app: &vial_app::App, actor: &vial_app::Actor) {
//!     let _ = app.read_patient(actor, "pat_x").await;
//! }
//! ```
//! ```compile_fail
//! fn signed(v: &vial_app::DocumentView) -> bool {
//!     v.state == "signed"
//! }
//! ```
//!
//! # PHI types cannot be serialized
//!
//! Decrypted patient data leaves `vial-app` only as types without `Serialize`; the web crate
//! maps them to DTOs of its own.
//!
//! ```
//! let _ = serde_json::to_string(&"an id");
//! // Every type below exists and is public, so each `compile_fail` fails for want of `Serialize`.
//! fn named(
//!     _: &vial_app::Demographics, _: &vial_app::UserProfile, _: &vial_app::UserSummary,
//!     _: &vial_app::TreatmentView, _: &vial_app::Charted, _: &vial_app::RecallEntry,
//!     _: &vial_app::HistoryView, _: &vial_app::DocumentView, _: &vial_app::AmendmentView,
//!     _: &vial_app::ConsentView, _: &vial_app::AppointmentView, _: &vial_app::PhotoSummary,
//!     _: &vial_app::AccessRecord,
//! ) {}
//! ```
//! ```compile_fail
//! fn leak(d: &vial_app::Demographics) {
//!     let _ = serde_json::to_string(d);
//! }
//! ```
//! ```compile_fail
//! fn leak(p: &vial_app::UserProfile) {
//!     let _ = serde_json::to_string(p);
//! }
//! ```
//! ```compile_fail
//! fn leak(u: &vial_app::UserSummary) {
//!     let _ = serde_json::to_string(u);
//! }
//! ```
//! ```compile_fail
//! fn leak(v: &vial_app::TreatmentView) {
//!     let _ = serde_json::to_string(v);
//! }
//! ```
//! ```compile_fail
//! fn leak(v: &vial_app::Charted) {
//!     let _ = serde_json::to_string(v);
//! }
//! ```
//! ```compile_fail
//! fn leak(v: &vial_app::RecallEntry) {
//!     let _ = serde_json::to_string(v);
//! }
//! ```
//! ```compile_fail
//! fn leak(v: &vial_app::HistoryView) {
//!     let _ = serde_json::to_string(v);
//! }
//! ```
//! ```compile_fail
//! fn leak(v: &vial_app::DocumentView) {
//!     let _ = serde_json::to_string(v);
//! }
//! ```
//! ```compile_fail
//! fn leak(v: &vial_app::AmendmentView) {
//!     let _ = serde_json::to_string(v);
//! }
//! ```
//! ```compile_fail
//! fn leak(v: &vial_app::ConsentView) {
//!     let _ = serde_json::to_string(v);
//! }
//! ```
//! ```compile_fail
//! fn leak(v: &vial_app::AppointmentView) {
//!     let _ = serde_json::to_string(v);
//! }
//! ```
//! ```compile_fail
//! fn leak(v: &vial_app::PhotoSummary) {
//!     let _ = serde_json::to_string(v);
//! }
//! ```
//! ```compile_fail
//! fn leak(v: &vial_app::AccessRecord) {
//!     let _ = serde_json::to_string(v);
//! }
//! ```

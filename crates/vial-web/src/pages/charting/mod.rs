//! The provider's chart ([`chart`]): medical history, face-map neurotoxin and filler
//! ([`treatments`]), SOAP notes with signing and amendments ([`notes`]), and the rows the chart
//! and the portal show of them ([`records`]).

pub mod chart;
pub mod notes;
pub mod records;
pub mod treatments;

use axum::Router;
use axum::routing::{get, post};
use vial_app::App;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/patients/{id}/chart", get(chart::page))
        .route("/patients/{id}/chart/history", post(treatments::history))
        .route(
            "/patients/{id}/chart/neurotoxin",
            post(treatments::neurotoxin),
        )
        .route("/patients/{id}/chart/filler", post(treatments::filler))
        .route("/patients/{id}/chart/notes", post(notes::create))
        .route("/notes/{id}/edit", post(notes::edit))
        .route("/notes/{id}/sign", post(notes::sign))
        .route("/notes/{id}/amend", post(notes::amend))
}

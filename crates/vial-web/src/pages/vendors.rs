//! The admin's vendor page: where PHI goes (a data-flow map drawn from the live configuration),
//! the vendor registry with each BAA's standing, and the forms to register, renew and end a
//! vendor and to set the practice's allowed regions. Decisions and records are `vial-app`'s.

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use vial_app::{
    App, BaaStatus, DataFlow, FlowStatus, MAX_BAA_DOCUMENT_BYTES, NewVendor, PracticeSetting,
    VendorView,
};
use zeroize::Zeroizing;

use crate::ApiError;
use crate::browser::{BrowserSession, CsrfForm, CsrfMultipart};
use crate::pages::{Layout, PageError, render};

pub fn routes() -> Router<App> {
    Router::new()
        .route(
            "/admin/vendors",
            get(page)
                .post(add)
                .layer(DefaultBodyLimit::max(MAX_BAA_DOCUMENT_BYTES + 64 * 1024)),
        )
        .route("/admin/vendors/regions", post(regions))
        .route("/admin/vendors/{id}/baa", get(document))
        .route("/admin/vendors/{id}/renew", post(renew))
        .route("/admin/vendors/{id}/end", post(end))
}

/// One box of the map, placed.
pub(crate) struct Node {
    /// `vial`, `database`, `object_storage` or `vendor`.
    kind: &'static str,
    /// `own`, `covered`, `refused` or, for a vendor, its BAA status code.
    status: &'static str,
    x: u32,
    y: u32,
    title: String,
    lines: Vec<String>,
    /// `lines` with their baselines, once the node is placed.
    placed: Vec<(u32, String)>,
    /// The connection from Vial: its label and whether PHI may flow along it.
    edge_label: String,
    edge_ok: bool,
}

const NODE_W: u32 = 300;
const NODE_H: u32 = 74;
const ROW: u32 = 92;
const LEFT_X: u32 = 16;
const RIGHT_X: u32 = 400;

/// Vial in the middle of the left edge, each endpoint and each vendor no endpoint names to its
/// right, one row each.
pub(crate) fn map(flow: &DataFlow) -> (Vec<Node>, u32) {
    let name_of = |id: &str| {
        flow.vendors
            .iter()
            .find(|v| v.id == id)
            .map(|v| (v.name.clone(), v.baa_expires.clone()))
    };
    let mut nodes = Vec::new();
    let mut shown_vendors = Vec::new();
    for (endpoint, status) in &flow.endpoints {
        let (status_code, baa, ok) = match status {
            FlowStatus::OwnMachine => ("own", "this machine: no vendor".to_owned(), true),
            FlowStatus::Covered { vendor } => {
                shown_vendors.push(vendor.clone());
                let (name, expires) = name_of(vendor).unwrap_or_default();
                ("covered", format!("BAA: {name}, to {expires}"), true)
            }
            FlowStatus::Refused { reason, .. } => (
                "refused",
                format!("blocked: {}", reason.replace('_', " ")),
                false,
            ),
        };
        let transport = if endpoint.tls {
            "TLS, verified"
        } else {
            "this machine"
        };
        nodes.push(Node {
            kind: endpoint.kind.as_str(),
            status: status_code,
            x: RIGHT_X,
            y: 0,
            title: format!("{} — {}", endpoint.kind.label(), endpoint.detail),
            lines: vec![
                match &endpoint.region {
                    Some(region) => format!("{} ({region})", endpoint.host),
                    None => endpoint.host.clone(),
                },
                baa,
            ],
            edge_label: transport.to_owned(),
            edge_ok: ok,
            placed: Vec::new(),
        });
    }
    for v in flow
        .vendors
        .iter()
        .filter(|v| v.status != BaaStatus::Ended && !shown_vendors.contains(&v.id))
    {
        nodes.push(Node {
            kind: "vendor",
            status: v.status.as_str(),
            x: RIGHT_X,
            y: 0,
            title: format!("{} — {}", v.name, v.service),
            lines: vec![
                v.hosts.join(", "),
                format!(
                    "BAA {} to {}",
                    v.status.as_str().replace('_', " "),
                    v.baa_expires
                ),
            ],
            edge_label: "TLS, verified".into(),
            edge_ok: v.status.receives_phi() && v.region_allowed,
            placed: Vec::new(),
        });
    }
    for (i, node) in nodes.iter_mut().enumerate() {
        node.y = 16 + ROW * u32::try_from(i).unwrap_or(0);
    }
    let height = (16 + ROW * u32::try_from(nodes.len().max(1)).unwrap_or(1)).max(NODE_H + 32);
    let vial = Node {
        kind: "vial",
        status: "own",
        x: LEFT_X,
        y: (height - NODE_H) / 2,
        title: "Vial".into(),
        lines: vec!["this server".into(), "decrypts only here".into()],
        edge_label: String::new(),
        edge_ok: true,
        placed: Vec::new(),
    };
    nodes.insert(0, vial);
    for node in &mut nodes {
        let top = node.y;
        node.placed = (0u32..)
            .zip(node.lines.drain(..))
            .map(|(i, line)| (top + 42 + i * 18, line))
            .collect();
    }
    (nodes, height)
}

#[derive(Template)]
#[template(path = "vendors/vendors.html")]
struct VendorsPage {
    layout: Layout,
    nodes: Vec<Node>,
    map_height: u32,
    node_w: u32,
    node_h: u32,
    vendors: Vec<VendorView>,
    problems: Vec<String>,
    warnings: Vec<String>,
    allowed_regions: String,
    services: Vec<&'static str>,
}

async fn page(State(app): State<App>, session: BrowserSession) -> Result<Html<String>, PageError> {
    let flow = app.data_flow_as(&session.actor).await?;
    let (nodes, map_height) = map(&flow);
    render(&VendorsPage {
        layout: Layout::signed_in("Vendors and BAAs", &session, &app),
        nodes,
        map_height,
        node_w: NODE_W,
        node_h: NODE_H,
        allowed_regions: flow.allowed_regions.unwrap_or_default().join(","),
        vendors: flow.vendors,
        problems: flow.problems,
        warnings: flow.warnings,
        services: vial_core::vendor::VendorService::ALL
            .iter()
            .map(|s| s.as_str())
            .collect(),
    })
}

/// Longest text field of the vendor form, in bytes (the hosts list is the longest).
const MAX_FIELD_LEN: usize = 4096;

/// The registration form (`multipart/form-data`, for the signed BAA): text fields and an
/// optional `baa_document` PDF, its size checked while it arrives.
async fn add(State(app): State<App>, form: CsrfMultipart) -> Result<Redirect, PageError> {
    let CsrfMultipart {
        session,
        mut multipart,
    } = form;
    let mut vendor = NewVendor::default();
    let mut hosts = String::new();
    let mut password = Zeroizing::new(String::new());
    let mut code = String::new();
    let bad = |e: axum::extract::multipart::MultipartError| {
        PageError::Invalid(vial_clinical::without_values(&e.body_text()))
    };
    while let Some(mut field) = multipart.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_owned();
        let limit = if name == "baa_document" {
            MAX_BAA_DOCUMENT_BYTES
        } else {
            MAX_FIELD_LEN
        };
        let mut bytes = Zeroizing::new(Vec::new());
        while let Some(chunk) = field.chunk().await.map_err(bad)? {
            if bytes.len() + chunk.len() > limit {
                return Err(PageError::Invalid(format!("{name}: too large")));
            }
            bytes.extend_from_slice(&chunk);
        }
        if name == "baa_document" {
            // A file input left empty still sends an empty part.
            if !bytes.is_empty() {
                vendor.baa_document = Some(bytes.to_vec());
            }
            continue;
        }
        let text = String::from_utf8(bytes.to_vec())
            .map_err(|_| PageError::Invalid(format!("{name}: not UTF-8 text")))?;
        match name.as_str() {
            "name" => vendor.name = text,
            "service" => vendor.service = text,
            "hosts" => hosts = text,
            "region" => vendor.region = text,
            "baa_signed" => vendor.baa_signed = text,
            "baa_expires" => vendor.baa_expires = text,
            "your_password" => password = Zeroizing::new(text),
            "your_code" => code = text,
            _ => return Err(PageError::Invalid("unknown form field".into())),
        }
    }
    vendor.hosts = hosts
        .split(['\n', ','])
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .map(str::to_owned)
        .collect();
    let code = code.trim();
    app.add_vendor_as(
        &session.actor,
        vendor,
        &password,
        (!code.is_empty()).then_some(code),
    )
    .await?;
    Ok(Redirect::to("/admin/vendors"))
}

/// The signed BAA as attached, for an admin (the read is recorded).
async fn document(
    State(app): State<App>,
    Path(id): Path<String>,
    session: BrowserSession,
) -> Result<Response, PageError> {
    let pdf = app
        .vendor_document_as(&session.actor, &id)
        .await?
        .ok_or(ApiError::NotFound("BAA document not found".into()))?;
    Ok((
        [
            (CONTENT_TYPE, "application/pdf".to_owned()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"baa-{}.pdf\"", safe_id(&id)),
            ),
        ],
        pdf,
    )
        .into_response())
}

/// The id as a file name: letters, digits, `_` and `-` only.
fn safe_id(id: &str) -> String {
    id.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .take(64)
        .collect()
}

#[derive(Deserialize)]
struct RenewFields {
    baa_expires: String,
}

async fn renew(
    State(app): State<App>,
    Path(id): Path<String>,
    form: CsrfForm<RenewFields>,
) -> Result<Redirect, PageError> {
    app.renew_vendor_as(&form.session.actor, &id, &form.form.baa_expires)
        .await?;
    Ok(Redirect::to("/admin/vendors"))
}

#[derive(Deserialize)]
struct EndFields {
    your_password: Zeroizing<String>,
    #[serde(default)]
    your_code: String,
}

async fn end(
    State(app): State<App>,
    Path(id): Path<String>,
    form: CsrfForm<EndFields>,
) -> Result<Redirect, PageError> {
    let CsrfForm { session, form } = form;
    let code = form.your_code.trim();
    app.end_vendor_as(
        &session.actor,
        &id,
        &form.your_password,
        (!code.is_empty()).then_some(code),
    )
    .await?;
    Ok(Redirect::to("/admin/vendors"))
}

#[derive(Deserialize)]
struct RegionFields {
    allowed_regions: String,
}

async fn regions(
    State(app): State<App>,
    form: CsrfForm<RegionFields>,
) -> Result<Redirect, PageError> {
    let setting = PracticeSetting::AllowedRegions(form.form.allowed_regions);
    app.set_practice_setting(&form.session.actor, setting)
        .await?;
    Ok(Redirect::to("/admin/vendors"))
}

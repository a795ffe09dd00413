//! Reading a photo upload (`multipart/form-data`): the `file` part with its size checked while
//! it arrives, and the short text parts (`view`, `body_area`, `treatment_id`, `phase`, and
//! `_csrf` for browser forms). Used by the JSON API and the chart page alike.
//!
//! It never trusts the part's file name or content type (the image's magic bytes decide, in
//! `vial-media`) and never echoes a value in an error.

use axum::extract::Multipart;
use axum::extract::multipart::MultipartError;
use axum::http::StatusCode;

use crate::ApiError;

/// Longest text part accepted, in bytes.
const MAX_TEXT_LEN: usize = 256;

/// A parsed upload form.
#[derive(Default)]
pub(crate) struct PhotoForm {
    pub file: Option<Vec<u8>>,
    pub view: Option<String>,
    pub body_area: Option<String>,
    pub treatment_id: Option<String>,
    pub phase: Option<String>,
    pub csrf: Option<String>,
}

impl std::fmt::Debug for PhotoForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PhotoForm")
            .field("file", &self.file.as_ref().map(Vec::len))
            .finish_non_exhaustive()
    }
}

impl PhotoForm {
    /// Reads every part; a file over `max_bytes` is refused with 413 as soon as it passes the
    /// limit, an unknown or repeated part or an over-long text part with 422.
    pub(crate) async fn read(mut multipart: Multipart, max_bytes: usize) -> Result<Self, ApiError> {
        let mut form = PhotoForm::default();
        while let Some(mut field) = multipart.next_field().await.map_err(rejected)? {
            let name = field.name().unwrap_or_default().to_owned();
            if name == "file" {
                if form.file.is_some() {
                    return Err(ApiError::Unprocessable(
                        "file: only one file per upload".into(),
                    ));
                }
                let mut bytes = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(rejected)? {
                    if bytes.len() + chunk.len() > max_bytes {
                        return Err(too_large(max_bytes));
                    }
                    bytes.extend_from_slice(&chunk);
                }
                form.file = Some(bytes);
                continue;
            }
            let slot = match name.as_str() {
                "view" => &mut form.view,
                "body_area" => &mut form.body_area,
                "treatment_id" => &mut form.treatment_id,
                "phase" => &mut form.phase,
                "_csrf" => &mut form.csrf,
                _ => {
                    return Err(ApiError::Unprocessable(
                        "unknown form field; expected file, view, body_area, treatment_id, phase"
                            .into(),
                    ));
                }
            };
            let mut text = Vec::new();
            while let Some(chunk) = field.chunk().await.map_err(rejected)? {
                if text.len() + chunk.len() > MAX_TEXT_LEN {
                    return Err(ApiError::Unprocessable(format!("{name}: too long")));
                }
                text.extend_from_slice(&chunk);
            }
            let text = String::from_utf8(text)
                .map_err(|_| ApiError::Unprocessable(format!("{name}: not UTF-8 text")))?;
            if slot.replace(text).is_some() {
                return Err(ApiError::Unprocessable(format!("{name}: given twice")));
            }
        }
        Ok(form)
    }

    /// The text part, or a 422 naming it.
    pub(crate) fn required(value: Option<String>, name: &str) -> Result<String, ApiError> {
        value.ok_or_else(|| ApiError::Unprocessable(format!("{name}: required")))
    }
}

pub(crate) fn too_large(max_bytes: usize) -> ApiError {
    ApiError::Rejected(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("the photo is larger than the limit of {max_bytes} bytes"),
    )
}

fn rejected(e: MultipartError) -> ApiError {
    let status = e.status();
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        return ApiError::Rejected(status, "the upload is larger than the limit".into());
    }
    ApiError::Rejected(status, e.body_text())
}

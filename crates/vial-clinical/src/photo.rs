//! Clinical photo vocabularies (SPEC §3): the standard views a practice photographs, the body
//! area, and whether a photo documents the state before or after a treatment.
//!
//! Only codes live here; the picture itself is `vial-media`'s business. The codes are
//! PHI-adjacent (together with a date they say what was treated), so `vial-app` seals them
//! rather than storing them in clear.

use crate::ClinicalError;

vocabulary! {
    /// The camera position relative to the patient, in the usual clinical series.
    pub enum PhotoView ("photo view") {
        Front = "front",
        Left45 = "left_45",
        Right45 = "right_45",
        Left90 = "left_90",
        Right90 = "right_90",
        Other = "other",
    }
}

vocabulary! {
    /// The part of the body a photo shows.
    pub enum BodyArea ("body area") {
        Face = "face",
        Forehead = "forehead",
        Glabella = "glabella",
        Eyes = "eyes",
        Cheeks = "cheeks",
        Nose = "nose",
        Lips = "lips",
        Chin = "chin",
        Jawline = "jawline",
        Neck = "neck",
        Decolletage = "decolletage",
        Hands = "hands",
        Body = "body",
        Other = "other",
    }
}

vocabulary! {
    /// Whether a photo linked to a treatment shows the state before or after it.
    pub enum PhotoPhase ("photo phase") {
        Before = "before",
        After = "after",
    }
}

/// A photo's validated description, as uploaded alongside the picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhotoDescription {
    pub view: PhotoView,
    pub body_area: BodyArea,
    pub phase: Option<PhotoPhase>,
}

/// Checks an upload's `view`, `body_area` and optional `phase` codes; errors name the field.
pub fn validate_photo_description(
    view: &str,
    body_area: &str,
    phase: Option<&str>,
) -> Result<PhotoDescription, ClinicalError> {
    Ok(PhotoDescription {
        view: PhotoView::parse_at("view", view)?,
        body_area: BodyArea::parse_at("body_area", body_area)?,
        phase: phase
            .map(|p| PhotoPhase::parse_at("phase", p))
            .transpose()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_unknown_codes_name_the_field() {
        for view in PhotoView::ALL {
            assert_eq!(PhotoView::parse(view.as_str()), Some(view));
        }
        let ok = validate_photo_description("left_45", "lips", Some("before")).unwrap();
        assert_eq!(ok.view, PhotoView::Left45);
        assert_eq!(ok.body_area, BodyArea::Lips);
        assert_eq!(ok.phase, Some(PhotoPhase::Before));
        let err = validate_photo_description("Front", "lips", None).unwrap_err();
        assert!(err.to_string().starts_with("view:"), "{err}");
        let err = validate_photo_description("front", "elbow", None).unwrap_err();
        assert!(err.to_string().starts_with("body_area:"), "{err}");
        let err = validate_photo_description("front", "face", Some("during")).unwrap_err();
        assert!(err.to_string().starts_with("phase:"), "{err}");
    }
}

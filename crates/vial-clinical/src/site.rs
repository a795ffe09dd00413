//! Where injections go: the neurotoxin injection-site and dermal-filler area vocabularies, each
//! code with a human label and a default position on the front-facing face diagram.
//!
//! A [`Position`] is image-relative: `x` from the image's left edge (0) to its right edge (1),
//! `y` from top (0) to bottom (1). The diagram faces the viewer, so the patient's left (`_l`)
//! is drawn on the image's right (`x > 0.5`). Codes are stable storage values: add new ones,
//! never rename or reuse one. The `ALL` arrays are for the UI to render the palette and the map.

use crate::ClinicalError;

/// An image-relative point on the face diagram; both coordinates within `0..=1`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Position {
    x: f64,
    y: f64,
}

impl Position {
    /// Checks both coordinates; an error names the field `x` or `y`.
    pub fn new(x: f64, y: f64) -> Result<Position, ClinicalError> {
        let check = |field: &str, value: f64| {
            if (0.0..=1.0).contains(&value) {
                Ok(value)
            } else {
                Err(ClinicalError::invalid(field, "must be between 0 and 1"))
            }
        };
        Ok(Position {
            x: check("x", x)?,
            y: check("y", y)?,
        })
    }

    /// For the vocabulary tables below (checked by a test).
    const fn at(x: f64, y: f64) -> Position {
        Position { x, y }
    }

    /// Distance from the image's left edge, `0..=1`.
    pub const fn x(self) -> f64 {
        self.x
    }

    /// Distance from the image's top edge, `0..=1`.
    pub const fn y(self) -> f64 {
        self.y
    }
}

/// A vocabulary whose entries also carry a label and a default diagram position.
macro_rules! face_vocabulary {
    (
        $(#[$meta:meta])*
        pub enum $name:ident ($what:literal) {
            $( $variant:ident = $code:literal, $label:literal, ($x:literal, $y:literal), )+
        }
    ) => {
        vocabulary! {
            $(#[$meta])*
            pub enum $name ($what) {
                $( $variant = $code, )+
            }
        }

        impl $name {
            /// Human label for the UI.
            pub const fn label(self) -> &'static str {
                match self {
                    $( Self::$variant => $label, )+
                }
            }

            /// Where the diagram draws this entry when the provider did not place it.
            pub const fn default_position(self) -> Position {
                match self {
                    $( Self::$variant => Position::at($x, $y), )+
                }
            }
        }
    };
}

face_vocabulary! {
    /// A neurotoxin injection site (muscle or region), patient's left/right.
    pub enum InjectionSite ("site code") {
        GlabellaProcerus = "glabella_procerus", "Glabella / procerus", (0.50, 0.33),
        CorrugatorL = "corrugator_l", "Corrugator (L)", (0.57, 0.31),
        CorrugatorR = "corrugator_r", "Corrugator (R)", (0.43, 0.31),
        FrontalisL = "frontalis_l", "Frontalis (L)", (0.63, 0.20),
        FrontalisC = "frontalis_c", "Frontalis (centre)", (0.50, 0.18),
        FrontalisR = "frontalis_r", "Frontalis (R)", (0.37, 0.20),
        BrowTailL = "brow_tail_l", "Lateral brow / brow lift (L)", (0.70, 0.30),
        BrowTailR = "brow_tail_r", "Lateral brow / brow lift (R)", (0.30, 0.30),
        LateralCanthusL = "lateral_canthus_l", "Lateral canthus / crow's feet (L)", (0.75, 0.40),
        LateralCanthusR = "lateral_canthus_r", "Lateral canthus / crow's feet (R)", (0.25, 0.40),
        LowerEyelidL = "lower_eyelid_l", "Lower eyelid, pretarsal (L)", (0.64, 0.44),
        LowerEyelidR = "lower_eyelid_r", "Lower eyelid, pretarsal (R)", (0.36, 0.44),
        NasalisL = "nasalis_l", "Nasalis / bunny lines (L)", (0.54, 0.47),
        NasalisR = "nasalis_r", "Nasalis / bunny lines (R)", (0.46, 0.47),
        DepressorSepti = "depressor_septi", "Depressor septi nasi", (0.50, 0.60),
        LevatorLabiiL = "levator_labii_l", "Levator labii / gummy smile (L)", (0.55, 0.56),
        LevatorLabiiR = "levator_labii_r", "Levator labii / gummy smile (R)", (0.45, 0.56),
        OrbicularisOrisUpper = "orbicularis_oris_upper", "Orbicularis oris, upper lip", (0.50, 0.66),
        OrbicularisOrisLower = "orbicularis_oris_lower", "Orbicularis oris, lower lip", (0.50, 0.74),
        Mentalis = "mentalis", "Mentalis", (0.50, 0.85),
        DaoL = "dao_l", "Depressor anguli oris (L)", (0.59, 0.79),
        DaoR = "dao_r", "Depressor anguli oris (R)", (0.41, 0.79),
        MasseterL = "masseter_l", "Masseter (L)", (0.76, 0.70),
        MasseterR = "masseter_r", "Masseter (R)", (0.24, 0.70),
        PlatysmaL = "platysma_l", "Platysma (L)", (0.62, 0.96),
        PlatysmaR = "platysma_r", "Platysma (R)", (0.38, 0.96),
    }
}

face_vocabulary! {
    /// A dermal-filler treatment area, patient's left/right.
    pub enum FillerArea ("filler area") {
        LipsUpper = "lips_upper", "Upper lip", (0.50, 0.68),
        LipsLower = "lips_lower", "Lower lip", (0.50, 0.73),
        LipBorder = "lip_border", "Lip border (vermilion)", (0.50, 0.665),
        Perioral = "perioral", "Perioral lines", (0.50, 0.63),
        OralCommissureL = "oral_commissure_l", "Oral commissure (L)", (0.56, 0.71),
        OralCommissureR = "oral_commissure_r", "Oral commissure (R)", (0.44, 0.71),
        CheekL = "cheek_l", "Cheek / midface (L)", (0.70, 0.50),
        CheekR = "cheek_r", "Cheek / midface (R)", (0.30, 0.50),
        NasolabialL = "nasolabial_l", "Nasolabial fold (L)", (0.59, 0.60),
        NasolabialR = "nasolabial_r", "Nasolabial fold (R)", (0.41, 0.60),
        MarionetteL = "marionette_l", "Marionette line (L)", (0.60, 0.77),
        MarionetteR = "marionette_r", "Marionette line (R)", (0.40, 0.77),
        JawlineL = "jawline_l", "Jawline (L)", (0.72, 0.80),
        JawlineR = "jawline_r", "Jawline (R)", (0.28, 0.80),
        Chin = "chin", "Chin", (0.50, 0.87),
        TearTroughL = "tear_trough_l", "Tear trough (L)", (0.62, 0.45),
        TearTroughR = "tear_trough_r", "Tear trough (R)", (0.38, 0.45),
        TempleL = "temple_l", "Temple (L)", (0.84, 0.30),
        TempleR = "temple_r", "Temple (R)", (0.16, 0.30),
        Nose = "nose", "Nose", (0.50, 0.50),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn codes_are_unique_snake_case_and_parse_back() {
        let mut seen = HashSet::new();
        let codes = InjectionSite::ALL
            .iter()
            .map(|s| s.as_str())
            .chain(FillerArea::ALL.iter().map(|a| a.as_str()));
        for code in codes {
            assert!(seen.insert(code), "duplicate code {code}");
            assert!(
                code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{code}"
            );
        }
        for site in InjectionSite::ALL {
            assert_eq!(InjectionSite::parse(site.as_str()), Some(site));
        }
        for area in FillerArea::ALL {
            assert_eq!(FillerArea::parse(area.as_str()), Some(area));
        }
        assert_eq!(InjectionSite::ALL.len(), 26);
        assert_eq!(FillerArea::ALL.len(), 20);
    }

    #[test]
    fn required_codes_exist() {
        for code in [
            "glabella_procerus",
            "corrugator_l",
            "corrugator_r",
            "frontalis_l",
            "frontalis_c",
            "frontalis_r",
            "lateral_canthus_l",
            "lateral_canthus_r",
            "nasalis_l",
            "nasalis_r",
            "depressor_septi",
            "levator_labii_l",
            "levator_labii_r",
            "orbicularis_oris_upper",
            "orbicularis_oris_lower",
            "mentalis",
            "dao_l",
            "dao_r",
            "masseter_l",
            "masseter_r",
            "platysma_l",
            "platysma_r",
        ] {
            assert!(InjectionSite::parse(code).is_some(), "{code}");
        }
        for code in [
            "lips_upper",
            "lips_lower",
            "lip_border",
            "cheek_l",
            "cheek_r",
            "nasolabial_l",
            "nasolabial_r",
            "marionette_l",
            "marionette_r",
            "jawline_l",
            "jawline_r",
            "chin",
            "tear_trough_l",
            "tear_trough_r",
            "temple_l",
            "temple_r",
            "nose",
        ] {
            assert!(FillerArea::parse(code).is_some(), "{code}");
        }
    }

    #[test]
    fn unknown_codes_are_precise_errors() {
        assert_eq!(
            InjectionSite::parse_at("points[0].site", "foo")
                .unwrap_err()
                .to_string(),
            "points[0].site: unknown site code \"foo\""
        );
        assert_eq!(InjectionSite::parse("Glabella_Procerus"), None);
        assert_eq!(InjectionSite::parse(" mentalis"), None);
        assert_eq!(
            FillerArea::parse_at("areas[1].area", "lips").unwrap_err(),
            ClinicalError::invalid("areas[1].area", "unknown filler area \"lips\"")
        );
    }

    #[test]
    fn default_positions_are_on_the_image_and_mirrored() {
        for site in InjectionSite::ALL {
            let p = site.default_position();
            assert_eq!(Position::new(p.x(), p.y()), Ok(p), "{site}");
            assert!(!site.label().is_empty());
        }
        for area in FillerArea::ALL {
            let p = area.default_position();
            assert_eq!(Position::new(p.x(), p.y()), Ok(p), "{area}");
            assert!(!area.label().is_empty());
        }
        // The patient's left is on the image's right, mirrored about the midline.
        let sites = InjectionSite::ALL.map(|s| (s.as_str(), s.default_position()));
        let areas = FillerArea::ALL.map(|a| (a.as_str(), a.default_position()));
        let all: Vec<_> = sites.iter().chain(areas.iter()).collect();
        let mut pairs = 0;
        for (code, left) in &all {
            let Some(stem) = code.strip_suffix("_l") else {
                continue;
            };
            let right_code = format!("{stem}_r");
            let (_, right) = all.iter().find(|(c, _)| *c == right_code).unwrap();
            assert!(left.x() > 0.5 && right.x() < 0.5, "{code}");
            assert!((left.x() + right.x() - 1.0).abs() < 1e-9, "{code}");
            assert_eq!(left.y(), right.y(), "{code}");
            pairs += 1;
        }
        assert_eq!(pairs, 17);
    }

    #[test]
    fn positions_are_bounded() {
        assert!(Position::new(0.0, 1.0).is_ok());
        assert_eq!(
            Position::new(1.01, 0.5).unwrap_err().to_string(),
            "x: must be between 0 and 1"
        );
        assert_eq!(
            Position::new(0.5, -0.01).unwrap_err().to_string(),
            "y: must be between 0 and 1"
        );
        assert_eq!(Position::new(f64::NAN, 0.5).unwrap_err().field(), Some("x"));
    }
}

//! A dermal-filler treatment: product, syringe volume, lot, expiry and the areas treated, each
//! with its volume, depth, device and optionally a position on the face map. The total volume
//! and the number of syringes opened are derived, never accepted.
//!
//! Limits: 1 to 30 areas, each more than 0 and at most 5 mL, at most 20 mL in total; syringe
//! volume more than 0 and at most 5 mL; the product must be a filler in the practice catalogue and
//! the lot not expired on the treatment date.

use serde::{Deserialize, Serialize};
use time::Date;

use crate::ClinicalError;
use crate::calendar::format_date;
use crate::catalogue::{Catalogue, ProductCode, ProductKind};
use crate::error::check_count;
use crate::lot::{Expiry, LotNumber, check_not_expired};
use crate::quantity::Millilitres;
use crate::site::{FillerArea, Position};

/// The most areas in one treatment.
pub const MAX_AREAS: usize = 30;
/// The most volume in one area.
pub const MAX_AREA_VOLUME: Millilitres = Millilitres::whole(5);
/// The most volume in one treatment.
pub const MAX_TOTAL_VOLUME: Millilitres = Millilitres::whole(20);
/// The largest syringe.
pub const MAX_SYRINGE_VOLUME: Millilitres = Millilitres::whole(5);

vocabulary! {
    /// The tissue plane injected.
    pub enum Depth ("depth") {
        /// Within the dermis.
        Intradermal = "intradermal",
        /// Just below the dermis.
        Subdermal = "subdermal",
        /// In the subcutaneous fat.
        Subcutaneous = "subcutaneous",
        /// On the bone, under the periosteum's covering tissues.
        Supraperiosteal = "supraperiosteal",
        /// Below the muscle.
        Submuscular = "submuscular",
    }
}

vocabulary! {
    /// What the product was delivered with.
    pub enum Device ("device") {
        /// A sharp needle.
        Needle = "needle",
        /// A blunt-tip cannula.
        Cannula = "cannula",
    }
}

/// A filler treatment as charted.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FillerInput {
    /// Product code from the practice catalogue (a filler).
    pub product: String,
    /// Volume of one syringe, mL.
    pub syringe_volume_ml: f64,
    /// Lot number as printed.
    pub lot: String,
    /// Lot expiry, `YYYY-MM-DD`.
    pub expiry: String,
    /// The areas treated.
    pub areas: Vec<FillerAreaInput>,
}

/// One treated area as charted.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FillerAreaInput {
    /// Area code, e.g. `lips_upper`.
    pub area: String,
    /// Volume injected in this area, mL (at most two decimals).
    pub volume_ml: f64,
    /// Depth code, e.g. `supraperiosteal`.
    pub depth: String,
    /// `needle` or `cannula`.
    pub device: String,
    /// Image-relative x, `0..=1`; give both or neither.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<f64>,
    /// Image-relative y, `0..=1`; give both or neither.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<f64>,
}

/// A checked filler treatment.
#[derive(Debug, Clone, PartialEq)]
pub struct Filler {
    product: ProductCode,
    syringe_volume: Millilitres,
    lot: LotNumber,
    expiry: Expiry,
    areas: Vec<FillerInjection>,
    total_volume: Millilitres,
}

/// A checked treated area.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FillerInjection {
    area: FillerArea,
    volume: Millilitres,
    depth: Depth,
    device: Device,
    position: Option<Position>,
}

/// Checks a syringe volume: more than 0, at most 5 mL.
pub(crate) fn parse_syringe_volume(field: &str, value: f64) -> Result<Millilitres, ClinicalError> {
    let volume = Millilitres::new(value).map_err(|e| e.at(field))?;
    if volume > MAX_SYRINGE_VOLUME {
        return Err(ClinicalError::invalid(
            field,
            format!("must be at most {MAX_SYRINGE_VOLUME}"),
        ));
    }
    Ok(volume)
}

/// Checks a filler treatment given on `treatment_date` against the practice catalogue.
/// Errors name paths relative to the input (`areas[1].volume_ml`).
pub fn validate_filler(
    input: &FillerInput,
    catalogue: &Catalogue,
    treatment_date: Date,
) -> Result<Filler, ClinicalError> {
    let product = catalogue.find_kind_at("product", &input.product, ProductKind::Filler)?;
    let syringe_volume = parse_syringe_volume("syringe_volume_ml", input.syringe_volume_ml)?;
    let lot = LotNumber::parse(&input.lot)?;
    let expiry = Expiry::parse(&input.expiry)?;
    check_not_expired(expiry, treatment_date)?;
    check_count("areas", input.areas.len(), 1, MAX_AREAS, "area")?;
    let areas = input
        .areas
        .iter()
        .enumerate()
        .map(|(i, area)| validate_area(area).map_err(|e| e.within(&format!("areas[{i}]"))))
        .collect::<Result<Vec<_>, _>>()?;
    let total_volume = Millilitres::sum(areas.iter().map(|a| a.volume))
        .filter(|total| *total <= MAX_TOTAL_VOLUME)
        .ok_or_else(|| {
            ClinicalError::invalid(
                "areas",
                format!("total volume must be at most {MAX_TOTAL_VOLUME} mL"),
            )
        })?;
    Ok(Filler {
        product: product.code().clone(),
        syringe_volume,
        lot,
        expiry,
        areas,
        total_volume,
    })
}

fn validate_area(input: &FillerAreaInput) -> Result<FillerInjection, ClinicalError> {
    let area = FillerArea::parse_at("area", &input.area)?;
    let volume = Millilitres::new(input.volume_ml).map_err(|e| e.at("volume_ml"))?;
    if volume > MAX_AREA_VOLUME {
        return Err(ClinicalError::invalid(
            "volume_ml",
            format!("must be at most {MAX_AREA_VOLUME}"),
        ));
    }
    let depth = Depth::parse_at("depth", &input.depth)?;
    let device = Device::parse_at("device", &input.device)?;
    let position = match (input.x, input.y) {
        (Some(x), Some(y)) => Some(Position::new(x, y)?),
        (None, None) => None,
        (Some(_), None) => return Err(ClinicalError::invalid("y", "is required when x is given")),
        (None, Some(_)) => return Err(ClinicalError::invalid("x", "is required when y is given")),
    };
    Ok(FillerInjection {
        area,
        volume,
        depth,
        device,
        position,
    })
}

impl Filler {
    /// The product used.
    pub fn product(&self) -> &ProductCode {
        &self.product
    }

    /// Volume of one syringe.
    pub fn syringe_volume(&self) -> Millilitres {
        self.syringe_volume
    }

    /// The lot used.
    pub fn lot(&self) -> &LotNumber {
        &self.lot
    }

    /// The lot's expiry.
    pub fn expiry(&self) -> Expiry {
        self.expiry
    }

    /// The treated areas.
    pub fn areas(&self) -> &[FillerInjection] {
        &self.areas
    }

    /// The sum of the areas' volumes (derived).
    pub fn total_volume(&self) -> Millilitres {
        self.total_volume
    }

    /// Syringes opened: the total volume in whole syringes, rounded up (the lot draw-down).
    pub fn syringes_opened(&self) -> u32 {
        self.total_volume
            .hundredths()
            .div_ceil(self.syringe_volume.hundredths().max(1))
    }

    /// Back to the input form (for storage and display).
    pub fn to_input(&self) -> FillerInput {
        FillerInput {
            product: self.product.as_str().to_owned(),
            syringe_volume_ml: self.syringe_volume.as_f64(),
            lot: self.lot.as_str().to_owned(),
            expiry: format_date(self.expiry.date()),
            areas: self.areas.iter().map(|p| p.to_input()).collect(),
        }
    }
}

impl FillerInjection {
    /// The area treated.
    pub fn area(&self) -> FillerArea {
        self.area
    }

    /// Volume injected here.
    pub fn volume(&self) -> Millilitres {
        self.volume
    }

    /// The tissue plane.
    pub fn depth(&self) -> Depth {
        self.depth
    }

    /// Needle or cannula.
    pub fn device(&self) -> Device {
        self.device
    }

    /// Where the provider placed it, if they did.
    pub fn position(&self) -> Option<Position> {
        self.position
    }

    /// Where to draw it: the placed position, else the area's default.
    pub fn position_or_default(&self) -> Position {
        self.position
            .unwrap_or_else(|| self.area.default_position())
    }

    /// Back to the input form.
    pub fn to_input(self) -> FillerAreaInput {
        FillerAreaInput {
            area: self.area.as_str().to_owned(),
            volume_ml: self.volume.as_f64(),
            depth: self.depth.as_str().to_owned(),
            device: self.device.as_str().to_owned(),
            x: self.position.map(Position::x),
            y: self.position.map(Position::y),
        }
    }
}

#[cfg(test)]
mod tests;

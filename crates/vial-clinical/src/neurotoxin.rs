//! A neurotoxin treatment: product, dilution, lot, expiry and the injection points placed on the
//! face map, each with its site, units and position. The total is derived, never accepted.
//!
//! Limits: 1 to 60 points, each more than 0 and at most 100 units, at most 400 units in total;
//! dilution 0.5 to 10 mL of saline per vial; the product must be a neurotoxin in the practice
//! catalogue and the lot not expired on the treatment date.

use serde::{Deserialize, Serialize};
use time::Date;

use crate::ClinicalError;
use crate::calendar::format_date;
use crate::catalogue::{Catalogue, ProductCode, ProductKind};
use crate::error::check_count;
use crate::lot::{Expiry, LotNumber, check_not_expired};
use crate::quantity::{Millilitres, Units};
use crate::site::{InjectionSite, Position};

/// The most injection points in one treatment.
pub const MAX_POINTS: usize = 60;
/// The most units at one point.
pub const MAX_POINT_UNITS: Units = Units::whole(100);
/// The most units in one treatment.
pub const MAX_TOTAL_UNITS: Units = Units::whole(400);
/// The least saline per vial, in hundredths of a mL.
const MIN_DILUTION: u32 = 50;
/// The most saline per vial, in hundredths of a mL.
const MAX_DILUTION: u32 = 1_000;

/// A neurotoxin treatment as charted.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NeurotoxinInput {
    /// Product code from the practice catalogue (a neurotoxin).
    pub product: String,
    /// mL of saline used to reconstitute one vial.
    pub dilution_ml: f64,
    /// Lot number as printed.
    pub lot: String,
    /// Lot expiry, `YYYY-MM-DD`.
    pub expiry: String,
    /// The injection points, in the order placed.
    pub points: Vec<InjectionPointInput>,
}

/// One injection point as placed on the face map.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InjectionPointInput {
    /// Site code, e.g. `glabella_procerus`.
    pub site: String,
    /// Units injected here (at most two decimals).
    pub units: f64,
    /// Image-relative x, `0..=1`.
    pub x: f64,
    /// Image-relative y, `0..=1`.
    pub y: f64,
}

/// A checked neurotoxin treatment.
#[derive(Debug, Clone, PartialEq)]
pub struct Neurotoxin {
    product: ProductCode,
    dilution: Millilitres,
    lot: LotNumber,
    expiry: Expiry,
    points: Vec<InjectionPoint>,
    total_units: Units,
}

/// A checked injection point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InjectionPoint {
    site: InjectionSite,
    units: Units,
    position: Position,
}

/// Checks a dilution: 0.5 to 10 mL of saline per vial.
pub(crate) fn parse_dilution(field: &str, value: f64) -> Result<Millilitres, ClinicalError> {
    let out_of_range = || ClinicalError::invalid(field, "must be between 0.5 and 10");
    let dilution = Millilitres::new(value).map_err(|e| {
        if value.is_finite() && value <= 0.0 {
            out_of_range()
        } else {
            e.at(field)
        }
    })?;
    if !(MIN_DILUTION..=MAX_DILUTION).contains(&dilution.hundredths()) {
        return Err(out_of_range());
    }
    Ok(dilution)
}

/// Checks a neurotoxin treatment given on `treatment_date` against the practice catalogue.
/// Errors name paths relative to the input (`points[2].units`).
pub fn validate_neurotoxin(
    input: &NeurotoxinInput,
    catalogue: &Catalogue,
    treatment_date: Date,
) -> Result<Neurotoxin, ClinicalError> {
    let product = catalogue.find_kind_at("product", &input.product, ProductKind::Neurotoxin)?;
    let dilution = parse_dilution("dilution_ml", input.dilution_ml)?;
    let lot = LotNumber::parse(&input.lot)?;
    let expiry = Expiry::parse(&input.expiry)?;
    check_not_expired(expiry, treatment_date)?;
    check_count("points", input.points.len(), 1, MAX_POINTS, "point")?;
    let points = input
        .points
        .iter()
        .enumerate()
        .map(|(i, point)| validate_point(point).map_err(|e| e.within(&format!("points[{i}]"))))
        .collect::<Result<Vec<_>, _>>()?;
    let total_units = Units::sum(points.iter().map(|p| p.units))
        .filter(|total| *total <= MAX_TOTAL_UNITS)
        .ok_or_else(|| {
            ClinicalError::invalid(
                "points",
                format!("total units must be at most {MAX_TOTAL_UNITS}"),
            )
        })?;
    Ok(Neurotoxin {
        product: product.code().clone(),
        dilution,
        lot,
        expiry,
        points,
        total_units,
    })
}

fn validate_point(input: &InjectionPointInput) -> Result<InjectionPoint, ClinicalError> {
    let site = InjectionSite::parse_at("site", &input.site)?;
    let units = Units::new(input.units)?;
    if units > MAX_POINT_UNITS {
        return Err(ClinicalError::invalid(
            "units",
            format!("must be at most {MAX_POINT_UNITS}"),
        ));
    }
    let position = Position::new(input.x, input.y)?;
    Ok(InjectionPoint {
        site,
        units,
        position,
    })
}

impl Neurotoxin {
    /// The product used.
    pub fn product(&self) -> &ProductCode {
        &self.product
    }

    /// mL of saline per vial.
    pub fn dilution(&self) -> Millilitres {
        self.dilution
    }

    /// The lot used.
    pub fn lot(&self) -> &LotNumber {
        &self.lot
    }

    /// The lot's expiry.
    pub fn expiry(&self) -> Expiry {
        self.expiry
    }

    /// The injection points, in the order placed.
    pub fn points(&self) -> &[InjectionPoint] {
        &self.points
    }

    /// The sum of the points' units (derived; also the lot draw-down).
    pub fn total_units(&self) -> Units {
        self.total_units
    }

    /// Back to the input form (for storage and display).
    pub fn to_input(&self) -> NeurotoxinInput {
        NeurotoxinInput {
            product: self.product.as_str().to_owned(),
            dilution_ml: self.dilution.as_f64(),
            lot: self.lot.as_str().to_owned(),
            expiry: format_date(self.expiry.date()),
            points: self.points.iter().map(|p| p.to_input()).collect(),
        }
    }
}

impl InjectionPoint {
    /// The site injected.
    pub fn site(&self) -> InjectionSite {
        self.site
    }

    /// Units injected here.
    pub fn units(&self) -> Units {
        self.units
    }

    /// Where the point sits on the face map.
    pub fn position(&self) -> Position {
        self.position
    }

    /// Back to the input form.
    pub fn to_input(self) -> InjectionPointInput {
        InjectionPointInput {
            site: self.site.as_str().to_owned(),
            units: self.units.as_f64(),
            x: self.position.x(),
            y: self.position.y(),
        }
    }
}

#[cfg(test)]
mod tests;

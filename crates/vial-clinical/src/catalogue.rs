//! The practice's product catalogue: which neurotoxins, fillers and other products may be charted,
//! with their unit, vial size, typical dilutions and syringe volumes, and whether they contain
//! lidocaine (for the allergy check in [`crate::history`]).
//!
//! [`default_catalogue`] seeds a new practice with common US products; the practice then edits
//! its own list, each entry checked by [`validate_product`]. The catalogue is reference data, not
//! dosing advice: "typical" dilutions and volumes are shown to the provider, not enforced.

use serde::{Deserialize, Serialize};

use crate::ClinicalError;
use crate::error::check_count;
use crate::filler::parse_syringe_volume;
use crate::neurotoxin::parse_dilution;
use crate::quantity::Millilitres;

vocabulary! {
    /// What kind of product this is; decides how it is charted.
    pub enum ProductKind ("product kind") {
        /// Botulinum toxin, dosed in units.
        Neurotoxin = "neurotoxin",
        /// Dermal filler, dosed in mL.
        Filler = "filler",
        /// Anything else (hyaluronidase, peel solutions…).
        Other = "other",
    }
}

vocabulary! {
    /// The unit a product is dosed in.
    pub enum DoseUnit ("unit") {
        /// Units (neurotoxins, hyaluronidase).
        Units = "units",
        /// Millilitres (fillers).
        Millilitres = "mL",
    }
}

/// A product's stable code, e.g. `botox_100`: 1 to 40 characters, lowercase ASCII letters, digits
/// and `_`, starting with a letter.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProductCode(String);

impl ProductCode {
    /// The longest product code.
    pub const MAX_LEN: usize = 40;

    /// Checks a product code; an error names the field `code`.
    pub fn parse(raw: &str) -> Result<ProductCode, ClinicalError> {
        let well_formed = !raw.is_empty()
            && raw.len() <= Self::MAX_LEN
            && raw.starts_with(|c: char| c.is_ascii_lowercase())
            && raw
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if well_formed {
            Ok(ProductCode(raw.to_owned()))
        } else {
            Err(ClinicalError::invalid(
                "code",
                "must be 1 to 40 lowercase letters, digits or '_', starting with a letter",
            ))
        }
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A catalogue entry as entered by the practice.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductInput {
    /// Stable code, e.g. `botox_100`.
    pub code: String,
    /// Display name, 1 to 100 characters.
    pub name: String,
    /// `neurotoxin`, `filler` or `other`.
    pub kind: String,
    /// `units` (neurotoxins) or `mL` (fillers); either for other products.
    pub unit: String,
    /// Units per vial; required for neurotoxins, absent otherwise.
    #[serde(default)]
    pub vial_units: Option<u32>,
    /// Typical mL of saline per vial (neurotoxins only).
    #[serde(default)]
    pub dilutions_ml: Vec<f64>,
    /// Syringe volumes in mL (fillers only; at least one).
    #[serde(default)]
    pub syringe_volumes_ml: Vec<f64>,
    /// Whether the product contains lidocaine.
    #[serde(default)]
    pub contains_lidocaine: bool,
}

/// A checked catalogue entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Product {
    code: ProductCode,
    name: String,
    kind: ProductKind,
    unit: DoseUnit,
    vial_units: Option<u32>,
    dilutions: Vec<Millilitres>,
    syringe_volumes: Vec<Millilitres>,
    contains_lidocaine: bool,
}

/// The longest product name.
pub const MAX_NAME_LEN: usize = 100;
/// The largest neurotoxin vial, in units.
pub const MAX_VIAL_UNITS: u32 = 1_000;
/// The most typical dilutions or syringe volumes listed per product.
pub const MAX_TYPICAL_VALUES: usize = 8;

/// Checks one catalogue entry.
pub fn validate_product(input: &ProductInput) -> Result<Product, ClinicalError> {
    let code = ProductCode::parse(&input.code)?;
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_LEN || !crate::is_plain_line(name) {
        return Err(ClinicalError::invalid(
            "name",
            format!("must be 1 to {MAX_NAME_LEN} characters on one line"),
        ));
    }
    let kind = ProductKind::parse_at("kind", &input.kind)?;
    let unit = DoseUnit::parse_at("unit", &input.unit)?;
    let expected_unit = match kind {
        ProductKind::Neurotoxin => Some(DoseUnit::Units),
        ProductKind::Filler => Some(DoseUnit::Millilitres),
        ProductKind::Other => None,
    };
    if let Some(expected) = expected_unit.filter(|expected| *expected != unit) {
        return Err(ClinicalError::invalid(
            "unit",
            format!("must be \"{expected}\" for a {kind}"),
        ));
    }
    let vial_units = match (kind, input.vial_units) {
        (ProductKind::Neurotoxin, None) => {
            return Err(ClinicalError::invalid(
                "vial_units",
                "is required for a neurotoxin",
            ));
        }
        (ProductKind::Neurotoxin, Some(units)) if units == 0 || units > MAX_VIAL_UNITS => {
            return Err(ClinicalError::invalid(
                "vial_units",
                format!("must be between 1 and {MAX_VIAL_UNITS}"),
            ));
        }
        (ProductKind::Neurotoxin, units) => units,
        (_, Some(_)) => {
            return Err(ClinicalError::invalid(
                "vial_units",
                "is only for neurotoxins",
            ));
        }
        (_, None) => None,
    };
    let dilutions = typical_values(
        "dilutions_ml",
        &input.dilutions_ml,
        kind == ProductKind::Neurotoxin,
        "neurotoxins",
        0,
        parse_dilution,
    )?;
    let syringe_volumes = typical_values(
        "syringe_volumes_ml",
        &input.syringe_volumes_ml,
        kind == ProductKind::Filler,
        "fillers",
        1,
        parse_syringe_volume,
    )?;
    Ok(Product {
        code,
        name: name.to_owned(),
        kind,
        unit,
        vial_units,
        dilutions,
        syringe_volumes,
        contains_lidocaine: input.contains_lidocaine,
    })
}

/// A list of typical volumes, allowed only for one kind (`min` entries required for it).
fn typical_values(
    field: &str,
    values: &[f64],
    allowed: bool,
    only_for: &str,
    min: usize,
    parse: fn(&str, f64) -> Result<Millilitres, ClinicalError>,
) -> Result<Vec<Millilitres>, ClinicalError> {
    if !allowed {
        if values.is_empty() {
            return Ok(Vec::new());
        }
        return Err(ClinicalError::invalid(
            field,
            format!("is only for {only_for}"),
        ));
    }
    check_count(field, values.len(), min, MAX_TYPICAL_VALUES, "value")?;
    values
        .iter()
        .enumerate()
        .map(|(i, value)| parse(&format!("{field}[{i}]"), *value))
        .collect()
}

impl Product {
    /// The product's code.
    pub fn code(&self) -> &ProductCode {
        &self.code
    }

    /// Display name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Neurotoxin, filler or other.
    pub fn kind(&self) -> ProductKind {
        self.kind
    }

    /// The dosing unit.
    pub fn unit(&self) -> DoseUnit {
        self.unit
    }

    /// Units per vial (neurotoxins only).
    pub fn vial_units(&self) -> Option<u32> {
        self.vial_units
    }

    /// Typical mL of saline per vial (neurotoxins only).
    pub fn dilutions(&self) -> &[Millilitres] {
        &self.dilutions
    }

    /// Syringe volumes (fillers only).
    pub fn syringe_volumes(&self) -> &[Millilitres] {
        &self.syringe_volumes
    }

    /// Whether the product contains lidocaine.
    pub fn contains_lidocaine(&self) -> bool {
        self.contains_lidocaine
    }

    /// Back to the input form (for storage and display).
    pub fn to_input(&self) -> ProductInput {
        ProductInput {
            code: self.code.0.clone(),
            name: self.name.clone(),
            kind: self.kind.as_str().to_owned(),
            unit: self.unit.as_str().to_owned(),
            vial_units: self.vial_units,
            dilutions_ml: self.dilutions.iter().map(|v| v.as_f64()).collect(),
            syringe_volumes_ml: self.syringe_volumes.iter().map(|v| v.as_f64()).collect(),
            contains_lidocaine: self.contains_lidocaine,
        }
    }
}

/// A practice's products, codes unique.
#[derive(Debug, Clone, PartialEq)]
pub struct Catalogue {
    products: Vec<Product>,
}

/// The most products one catalogue holds.
pub const MAX_PRODUCTS: usize = 500;

/// Checks a whole catalogue: every entry, and codes unique (`products[3].code: duplicate …`).
pub fn validate_catalogue(inputs: &[ProductInput]) -> Result<Catalogue, ClinicalError> {
    check_count("products", inputs.len(), 0, MAX_PRODUCTS, "product")?;
    let mut products: Vec<Product> = Vec::with_capacity(inputs.len());
    for (i, input) in inputs.iter().enumerate() {
        let product = validate_product(input).map_err(|e| e.within(&format!("products[{i}]")))?;
        if products.iter().any(|p| p.code == product.code) {
            return Err(ClinicalError::invalid(
                format!("products[{i}].code"),
                format!("duplicate product code \"{}\"", product.code.as_str()),
            ));
        }
        products.push(product);
    }
    Ok(Catalogue { products })
}

impl Catalogue {
    /// Every product, in the practice's order.
    pub fn products(&self) -> &[Product] {
        &self.products
    }

    /// The product with this exact code.
    pub fn find(&self, code: &str) -> Option<&Product> {
        self.products.iter().find(|p| p.code.as_str() == code)
    }

    /// The product with this code; an unknown code is an error naming `field`.
    pub fn find_at(&self, field: &str, code: &str) -> Result<&Product, ClinicalError> {
        self.find(code)
            .ok_or_else(|| crate::error::unknown_code(field, "product code", code))
    }

    /// The product with this code, which must be of `kind`
    /// (`product: must be a neurotoxin (this product is a filler)`).
    pub fn find_kind_at(
        &self,
        field: &str,
        code: &str,
        kind: ProductKind,
    ) -> Result<&Product, ClinicalError> {
        let product = self.find_at(field, code)?;
        if product.kind != kind {
            return Err(ClinicalError::invalid(
                field,
                format!("must be a {kind} (this product is a {})", product.kind),
            ));
        }
        Ok(product)
    }

    /// Back to the input form (for storage and display).
    pub fn to_inputs(&self) -> Vec<ProductInput> {
        self.products.iter().map(Product::to_input).collect()
    }
}

mod seed;

pub use seed::default_catalogue;

#[cfg(test)]
mod tests;

//! The seed catalogue a new practice starts from: common US products, as data. The practice
//! edits its own copy; nothing here is dosing advice.

use super::{Catalogue, DoseUnit, Product, ProductCode, ProductKind};
use crate::quantity::Millilitres;
use ProductKind::{Filler, Neurotoxin, Other};

/// One row of the seed table: code, name, kind, vial units, dilutions or volumes (hundredths of
/// a mL), lidocaine.
type Seed = (
    &'static str,
    &'static str,
    ProductKind,
    Option<u32>,
    &'static [u32],
    bool,
);

/// Common US products; the practice edits its own copy. Checked by a test through
/// [`validate_catalogue`].
#[rustfmt::skip]
pub(super) const SEED: &[Seed] = &[
    ("botox_100",   "Botox (onabotulinumtoxinA) 100 U",           Neurotoxin, Some(100), &[100, 200, 250, 400], false),
    ("dysport_300", "Dysport (abobotulinumtoxinA) 300 U",         Neurotoxin, Some(300), &[150, 250, 300], false),
    ("xeomin_100",  "Xeomin (incobotulinumtoxinA) 100 U",         Neurotoxin, Some(100), &[100, 200, 250, 400], false),
    ("daxxify_100", "Daxxify (daxibotulinumtoxinA-lanm) 100 U",   Neurotoxin, Some(100), &[80], false),
    ("jeuveau_100", "Jeuveau (prabotulinumtoxinA-xvfs) 100 U",    Neurotoxin, Some(100), &[100, 200, 250], false),
    ("juvederm_ultra_xc",      "Juvederm Ultra XC",               Filler, None, &[100], true),
    ("juvederm_ultra_plus_xc", "Juvederm Ultra Plus XC",          Filler, None, &[100], true),
    ("juvederm_voluma_xc",     "Juvederm Voluma XC",              Filler, None, &[100], true),
    ("juvederm_volbella_xc",   "Juvederm Volbella XC",            Filler, None, &[55, 100], true),
    ("juvederm_vollure_xc",    "Juvederm Vollure XC",             Filler, None, &[100], true),
    ("restylane_l",            "Restylane-L",                     Filler, None, &[50, 100], true),
    ("restylane_lyft",         "Restylane Lyft",                  Filler, None, &[100], true),
    ("restylane_kysse",        "Restylane Kysse",                 Filler, None, &[100], true),
    ("restylane_defyne",       "Restylane Defyne",                Filler, None, &[100], true),
    ("rha_2",                  "RHA 2",                           Filler, None, &[100, 150], true),
    ("rha_3",                  "RHA 3",                           Filler, None, &[100, 150], true),
    ("rha_4",                  "RHA 4",                           Filler, None, &[100, 150], true),
    ("radiesse",               "Radiesse",                        Filler, None, &[80, 150], false),
    ("radiesse_plus",          "Radiesse (+)",                    Filler, None, &[150], true),
    ("hyaluronidase",          "Hyaluronidase (e.g. Hylenex 150 U/mL)", Other, None, &[], false),
];

/// The seed catalogue for a new practice (the `SEED` table above).
pub fn default_catalogue() -> Catalogue {
    let products = SEED
        .iter()
        .map(
            |&(code, name, kind, vial_units, volumes, contains_lidocaine)| {
                let volumes = volumes
                    .iter()
                    .filter_map(|h| Millilitres::from_hundredths(*h));
                let (dilutions, syringe_volumes) = match kind {
                    Neurotoxin => (volumes.collect(), Vec::new()),
                    Filler => (Vec::new(), volumes.collect()),
                    Other => (Vec::new(), Vec::new()),
                };
                Product {
                    code: ProductCode(code.to_owned()),
                    name: name.to_owned(),
                    kind,
                    unit: if kind == Filler {
                        DoseUnit::Millilitres
                    } else {
                        DoseUnit::Units
                    },
                    vial_units,
                    dilutions,
                    syringe_volumes,
                    contains_lidocaine,
                }
            },
        )
        .collect();
    Catalogue { products }
}

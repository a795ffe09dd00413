//! Dose quantities: neurotoxin [`Units`] and volumes in [`Millilitres`].
//!
//! Both are fixed-point, held as whole hundredths, so a total over 60 injection points adds up
//! exactly and reads back exactly (no floating-point drift). Input is a JSON number with at most
//! two decimals (`2.5` units, `0.05` mL); anything finer is refused rather than rounded.
//! Constructors check only what every quantity shares (a positive, finite number with at most two
//! decimals); the limits of a particular field (≤ 100 units per point…) are the validators'.

use std::fmt;

use crate::ClinicalError;

/// Tolerance when deciding whether `value * 100` is a whole number (binary floating point
/// cannot hold 0.29 exactly).
const EPSILON: f64 = 1e-6;

/// Parses a positive decimal with at most two decimals into hundredths, at most `max`.
fn parse_hundredths(field: &str, value: f64, max: u32) -> Result<u32, ClinicalError> {
    if !value.is_finite() {
        return Err(ClinicalError::invalid(field, "must be a finite number"));
    }
    if value <= 0.0 {
        return Err(ClinicalError::invalid(field, "must be greater than 0"));
    }
    let scaled = value * 100.0;
    let rounded = scaled.round();
    if (scaled - rounded).abs() > EPSILON {
        return Err(ClinicalError::invalid(
            field,
            "must have at most 2 decimal places",
        ));
    }
    if rounded < 1.0 {
        return Err(ClinicalError::invalid(field, "must be greater than 0"));
    }
    if rounded > f64::from(max) {
        return Err(ClinicalError::invalid(
            field,
            format!("must be at most {}", Hundredths(max)),
        ));
    }
    // In range 1..=max (checked above), so the conversion is exact.
    Ok(rounded as u32)
}

/// Formats hundredths as a short decimal: `1250` → `12.5`, `100` → `1`, `5` → `0.05`.
struct Hundredths(u32);

impl fmt::Display for Hundredths {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (whole, frac) = (self.0 / 100, self.0 % 100);
        match frac {
            0 => write!(f, "{whole}"),
            f10 if f10 % 10 == 0 => write!(f, "{whole}.{}", f10 / 10),
            _ => write!(f, "{whole}.{frac:02}"),
        }
    }
}

macro_rules! fixed_point {
    ($(#[$meta:meta])* $name:ident, field = $field:literal, max_whole = $max:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(u32);

        impl $name {
            /// The largest amount any single value may hold.
            pub const MAX: $name = $name($max * 100);

            /// A positive amount with at most two decimals, at most [`Self::MAX`]. An error
            #[doc = concat!("names the field `", $field, "`.")]
            pub fn new(value: f64) -> Result<$name, ClinicalError> {
                parse_hundredths($field, value, Self::MAX.0).map($name)
            }

            /// A whole amount (for limits and tests); saturates at [`Self::MAX`].
            pub const fn whole(amount: u32) -> $name {
                if amount > $max {
                    Self::MAX
                } else {
                    $name(amount * 100)
                }
            }

            /// From a stored count of hundredths: `None` unless within `1..=MAX`.
            pub const fn from_hundredths(hundredths: u32) -> Option<$name> {
                if hundredths == 0 || hundredths > Self::MAX.0 {
                    None
                } else {
                    Some($name(hundredths))
                }
            }

            /// The amount in hundredths (`12.5` → `1250`).
            pub const fn hundredths(self) -> u32 {
                self.0
            }

            /// The amount as a JSON-friendly number.
            pub fn as_f64(self) -> f64 {
                f64::from(self.0) / 100.0
            }

            /// The sum of the amounts, or `None` on overflow.
            pub fn sum(amounts: impl IntoIterator<Item = $name>) -> Option<$name> {
                amounts
                    .into_iter()
                    .try_fold(0u32, |total, amount| total.checked_add(amount.0))
                    .map($name)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                Hundredths(self.0).fmt(f)
            }
        }
    };
}

fixed_point!(
    /// Neurotoxin units (or hyaluronidase units), in hundredths of a unit.
    Units,
    field = "units",
    max_whole = 100_000
);

fixed_point!(
    /// A volume in millilitres, in hundredths of a millilitre (10 µL steps).
    Millilitres,
    field = "volume_ml",
    max_whole = 1_000
);

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn accepts_two_decimals_exactly() {
        assert_eq!(Units::new(2.5).unwrap().hundredths(), 250);
        assert_eq!(Units::new(0.29).unwrap().hundredths(), 29);
        assert_eq!(Millilitres::new(0.05).unwrap().hundredths(), 5);
        assert_eq!(Units::new(100.0).unwrap(), Units::whole(100));
        assert_eq!(Units::new(12.5).unwrap().to_string(), "12.5");
        assert_eq!(Units::new(20.0).unwrap().to_string(), "20");
        assert_eq!(Millilitres::new(0.05).unwrap().to_string(), "0.05");
        assert_eq!(Millilitres::new(1.25).unwrap().as_f64(), 1.25);
    }

    #[test]
    fn refuses_zero_negative_fine_and_huge() {
        let message = |r: Result<Units, ClinicalError>| r.unwrap_err().to_string();
        assert_eq!(message(Units::new(0.0)), "units: must be greater than 0");
        assert_eq!(message(Units::new(-1.0)), "units: must be greater than 0");
        assert_eq!(message(Units::new(1e-12)), "units: must be greater than 0");
        assert_eq!(
            message(Units::new(2.555)),
            "units: must have at most 2 decimal places"
        );
        assert_eq!(
            message(Units::new(f64::NAN)),
            "units: must be a finite number"
        );
        assert_eq!(
            message(Units::new(f64::INFINITY)),
            "units: must be a finite number"
        );
        assert_eq!(
            message(Units::new(100_000.01)),
            "units: must be at most 100000"
        );
        assert_eq!(
            Millilitres::new(0.0).unwrap_err().to_string(),
            "volume_ml: must be greater than 0"
        );
    }

    #[test]
    fn sums_exactly() {
        let tenth = Units::new(0.1).unwrap();
        assert_eq!(Units::sum([tenth; 30]), Some(Units::whole(3)));
        assert_eq!(Units::sum([]), Some(Units::from_zero()));
        assert_eq!(Units::sum([Units::MAX; 500]), None);
        assert_eq!(Units::whole(200_000), Units::MAX);
        assert_eq!(Units::from_hundredths(250), Units::new(2.5).ok());
        assert_eq!(Units::from_hundredths(0), None);
        assert_eq!(Millilitres::from_hundredths(100_001), None);
        assert_eq!(
            Millilitres::from_hundredths(100_000),
            Some(Millilitres::MAX)
        );
    }

    impl Units {
        fn from_zero() -> Units {
            Units(0)
        }
    }

    proptest! {
        #[test]
        fn hundredths_round_trip(h in 1u32..=10_000_000) {
            let units = Units::new(f64::from(h) / 100.0).unwrap();
            prop_assert_eq!(units.hundredths(), h);
            prop_assert_eq!(Units::new(units.as_f64()).unwrap(), units);
            let shown: f64 = units.to_string().parse().unwrap();
            prop_assert_eq!(Units::new(shown).unwrap(), units);
        }
    }
}

//! Lot traceability: the [`LotNumber`] and [`Expiry`] charted with every injectable, the rule that
//! an expired lot is never charted or received, and the received-lot entry that stocks inventory.
//!
//! Lot numbers are normalized (trimmed, uppercase) so a recall search finds every use of a lot
//! however it was typed.

use serde::{Deserialize, Serialize};
use time::Date;

use crate::ClinicalError;
use crate::calendar::{format_date, parse_date};
use crate::catalogue::{Catalogue, ProductCode, ProductKind};

/// A manufacturer's lot number: 1 to 40 characters of `A-Z a-z 0-9 - . _`, trimmed and
/// uppercased.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LotNumber(String);

impl LotNumber {
    /// The longest lot number.
    pub const MAX_LEN: usize = 40;

    /// Trims, checks and uppercases a lot number; an error names the field `lot`.
    pub fn parse(raw: &str) -> Result<LotNumber, ClinicalError> {
        let lot = raw.trim();
        if lot.is_empty() || lot.len() > Self::MAX_LEN {
            return Err(ClinicalError::invalid(
                "lot",
                format!("must be 1 to {} characters", Self::MAX_LEN),
            ));
        }
        if !lot
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
        {
            return Err(ClinicalError::invalid(
                "lot",
                "may contain only letters, digits, '-', '.' and '_'",
            ));
        }
        Ok(LotNumber(lot.to_ascii_uppercase()))
    }

    /// The normalized lot number.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A lot's expiry date: usable up to and including this day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Expiry(Date);

impl Expiry {
    /// Parses `YYYY-MM-DD`; an error names the field `expiry`.
    pub fn parse(raw: &str) -> Result<Expiry, ClinicalError> {
        parse_date("expiry", raw).map(Expiry)
    }

    /// An expiry on this date.
    pub const fn new(date: Date) -> Expiry {
        Expiry(date)
    }

    /// The last day the lot may be used.
    pub const fn date(self) -> Date {
        self.0
    }
}

/// Refuses a lot used after its expiry date:
/// `lot: expired on 2026-01-01 (treatment date 2026-03-02)`. Use on the expiry day is allowed.
pub fn check_not_expired(expiry: Expiry, treatment_date: Date) -> Result<(), ClinicalError> {
    expired_check(expiry, treatment_date, "treatment date")
}

fn expired_check(expiry: Expiry, on: Date, what: &str) -> Result<(), ClinicalError> {
    if expiry.0 < on {
        return Err(ClinicalError::invalid(
            "lot",
            format!(
                "expired on {} ({what} {})",
                format_date(expiry.0),
                format_date(on)
            ),
        ));
    }
    Ok(())
}

/// Stock received into inventory, as entered.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceivedLotInput {
    /// Product code from the practice catalogue.
    pub product: String,
    /// Lot number as printed.
    pub lot: String,
    /// Expiry, `YYYY-MM-DD`.
    pub expiry: String,
    /// Units for a neurotoxin, syringes for a filler, the product's unit for anything else.
    pub quantity: u32,
}

/// A checked received lot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedLot {
    product: ProductCode,
    kind: ProductKind,
    lot: LotNumber,
    expiry: Expiry,
    quantity: u32,
}

/// The most neurotoxin units received as one lot entry (e.g. 100 vials of 300 U is 30,000).
pub const MAX_RECEIVED_UNITS: u32 = 50_000;
/// The most filler syringes received as one lot entry.
pub const MAX_RECEIVED_SYRINGES: u32 = 1_000;
/// The most of another product received as one lot entry.
pub const MAX_RECEIVED_OTHER: u32 = 10_000;

/// Checks a received lot against the catalogue; a lot already expired on `received_on` is
/// refused (`lot: expired on 2026-01-01 (received on 2026-03-02)`).
pub fn validate_received_lot(
    input: &ReceivedLotInput,
    catalogue: &Catalogue,
    received_on: Date,
) -> Result<ReceivedLot, ClinicalError> {
    let product = catalogue.find_at("product", &input.product)?;
    let lot = LotNumber::parse(&input.lot)?;
    let expiry = Expiry::parse(&input.expiry)?;
    expired_check(expiry, received_on, "received on")?;
    let (max, noun) = match product.kind() {
        ProductKind::Neurotoxin => (MAX_RECEIVED_UNITS, "units"),
        ProductKind::Filler => (MAX_RECEIVED_SYRINGES, "syringes"),
        ProductKind::Other => (MAX_RECEIVED_OTHER, product.unit().as_str()),
    };
    if input.quantity == 0 {
        return Err(ClinicalError::invalid("quantity", "must be greater than 0"));
    }
    if input.quantity > max {
        return Err(ClinicalError::invalid(
            "quantity",
            format!("must be at most {max} {noun}"),
        ));
    }
    Ok(ReceivedLot {
        product: product.code().clone(),
        kind: product.kind(),
        lot,
        expiry,
        quantity: input.quantity,
    })
}

impl ReceivedLot {
    /// The product received.
    pub fn product(&self) -> &ProductCode {
        &self.product
    }

    /// The product's kind (decides what `quantity` counts).
    pub fn kind(&self) -> ProductKind {
        self.kind
    }

    /// The normalized lot number.
    pub fn lot(&self) -> &LotNumber {
        &self.lot
    }

    /// The lot's expiry.
    pub fn expiry(&self) -> Expiry {
        self.expiry
    }

    /// Units (neurotoxin), syringes (filler) or the product's unit (other).
    pub fn quantity(&self) -> u32 {
        self.quantity
    }

    /// Back to the input form (for storage and display).
    pub fn to_input(&self) -> ReceivedLotInput {
        ReceivedLotInput {
            product: self.product.as_str().to_owned(),
            lot: self.lot.0.clone(),
            expiry: format_date(self.expiry.0),
            quantity: self.quantity,
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use time::macros::date;

    use super::*;
    use crate::catalogue::default_catalogue;

    #[test]
    fn lot_numbers_are_normalized() {
        assert_eq!(LotNumber::parse("  c3709c3 ").unwrap().as_str(), "C3709C3");
        assert_eq!(LotNumber::parse("ab-12.x_9").unwrap().as_str(), "AB-12.X_9");
        assert_eq!(
            LotNumber::parse(&"a".repeat(40)).unwrap().as_str().len(),
            40
        );
    }

    #[test]
    fn lot_numbers_are_checked() {
        let message = |raw: &str| LotNumber::parse(raw).unwrap_err().to_string();
        assert_eq!(message(""), "lot: must be 1 to 40 characters");
        assert_eq!(message("   "), "lot: must be 1 to 40 characters");
        assert_eq!(message(&"a".repeat(41)), "lot: must be 1 to 40 characters");
        for bad in ["AB 12", "AB/12", "<svg>", "lot\n1", "ÄB12"] {
            assert_eq!(
                message(bad),
                "lot: may contain only letters, digits, '-', '.' and '_'",
                "{bad:?}"
            );
        }
    }

    proptest! {
        #[test]
        fn normalization_is_idempotent(raw in "[ ]{0,2}[A-Za-z0-9._-]{1,40}[ ]{0,2}") {
            let lot = LotNumber::parse(&raw).unwrap();
            prop_assert_eq!(LotNumber::parse(lot.as_str()).unwrap(), lot.clone());
            prop_assert_eq!(lot.as_str(), raw.trim().to_ascii_uppercase());
        }
    }

    #[test]
    fn expiry_allows_the_expiry_day_only() {
        let expiry = Expiry::parse("2026-01-01").unwrap();
        assert_eq!(expiry.date(), date!(2026 - 01 - 01));
        assert_eq!(check_not_expired(expiry, date!(2025 - 12 - 31)), Ok(()));
        assert_eq!(check_not_expired(expiry, date!(2026 - 01 - 01)), Ok(()));
        assert_eq!(
            check_not_expired(expiry, date!(2026 - 03 - 02))
                .unwrap_err()
                .to_string(),
            "lot: expired on 2026-01-01 (treatment date 2026-03-02)"
        );
        assert_eq!(
            Expiry::parse("01/2026").unwrap_err().to_string(),
            "expiry: must be a date YYYY-MM-DD"
        );
    }

    fn received(product: &str, quantity: u32) -> ReceivedLotInput {
        ReceivedLotInput {
            product: product.into(),
            lot: "c3709c3".into(),
            expiry: "2027-06-30".into(),
            quantity,
        }
    }

    fn receive(input: &ReceivedLotInput) -> Result<ReceivedLot, ClinicalError> {
        validate_received_lot(input, &default_catalogue(), date!(2026 - 03 - 02))
    }

    #[test]
    fn received_lots() {
        let lot = receive(&received("botox_100", 2_000)).unwrap();
        assert_eq!(lot.product().as_str(), "botox_100");
        assert_eq!(lot.kind(), ProductKind::Neurotoxin);
        assert_eq!(lot.lot().as_str(), "C3709C3");
        assert_eq!(lot.quantity(), 2_000);
        assert_eq!(
            lot.to_input(),
            ReceivedLotInput {
                lot: "C3709C3".into(),
                ..received("botox_100", 2_000)
            }
        );
        assert_eq!(
            receive(&received("restylane_l", 1_000)).unwrap().quantity(),
            1_000
        );
    }

    #[test]
    fn received_lots_are_refused_precisely() {
        let message = |input: ReceivedLotInput| receive(&input).unwrap_err().to_string();
        assert_eq!(
            message(received("botox", 10)),
            "product: unknown product code \"botox\""
        );
        assert_eq!(
            message(ReceivedLotInput {
                lot: "".into(),
                ..received("botox_100", 10)
            }),
            "lot: must be 1 to 40 characters"
        );
        assert_eq!(
            message(ReceivedLotInput {
                expiry: "2027-02-30".into(),
                ..received("botox_100", 10)
            }),
            "expiry: is not a valid calendar date"
        );
        assert_eq!(
            message(ReceivedLotInput {
                expiry: "2026-03-01".into(),
                ..received("botox_100", 10)
            }),
            "lot: expired on 2026-03-01 (received on 2026-03-02)"
        );
        assert_eq!(
            message(received("botox_100", 0)),
            "quantity: must be greater than 0"
        );
        assert_eq!(
            message(received("botox_100", 50_001)),
            "quantity: must be at most 50000 units"
        );
        assert_eq!(
            message(received("restylane_l", 1_001)),
            "quantity: must be at most 1000 syringes"
        );
    }

    #[test]
    fn received_lot_serde() {
        let json =
            r#"{"product":"botox_100","lot":"c3709c3","expiry":"2027-06-30","quantity":2000}"#;
        let input: ReceivedLotInput = serde_json::from_str(json).unwrap();
        assert_eq!(input, received("botox_100", 2_000));
        assert_eq!(serde_json::to_string(&input).unwrap(), json);
        assert!(
            serde_json::from_str::<ReceivedLotInput>(
                &json.replace("\"quantity\"", "\"price\":3,\"quantity\"")
            )
            .is_err()
        );
        for quantity in ["-1", "2.5", "\"10\""] {
            let bad = json.replace("2000", quantity);
            assert!(
                serde_json::from_str::<ReceivedLotInput>(&bad).is_err(),
                "{quantity}"
            );
        }
    }
}

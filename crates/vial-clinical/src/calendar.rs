//! Calendar dates as they cross the API: exactly `YYYY-MM-DD`, years 1900 to 2199.
//!
//! Parsing is strict (no time part, no week dates, no signs) so a stored date always reads back
//! the same. Dates carry no time zone: a treatment date is the practice's local date.

use time::{Date, Month};

use crate::ClinicalError;

/// The earliest year accepted in any clinical date.
pub const MIN_YEAR: i32 = 1900;
/// The latest year accepted in any clinical date.
pub const MAX_YEAR: i32 = 2199;

/// Parses `YYYY-MM-DD`; an error names `field`.
pub fn parse_date(field: &str, raw: &str) -> Result<Date, ClinicalError> {
    let bytes = raw.as_bytes();
    let shaped = bytes.len() == 10
        && bytes.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            _ => b.is_ascii_digit(),
        });
    if !shaped {
        return Err(ClinicalError::invalid(field, "must be a date YYYY-MM-DD"));
    }
    let number = |range: std::ops::Range<usize>| -> u32 {
        bytes[range]
            .iter()
            .fold(0, |n, b| n * 10 + u32::from(b - b'0'))
    };
    let (year, month, day) = (number(0..4), number(5..7), number(8..10));
    let year = i32::try_from(year).unwrap_or(i32::MAX);
    if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
        return Err(ClinicalError::invalid(
            field,
            format!("year must be between {MIN_YEAR} and {MAX_YEAR}"),
        ));
    }
    let month = u8::try_from(month)
        .ok()
        .and_then(|m| Month::try_from(m).ok());
    let date = month.and_then(|month| {
        let day = u8::try_from(day).ok()?;
        Date::from_calendar_date(year, month, day).ok()
    });
    date.ok_or_else(|| ClinicalError::invalid(field, "is not a valid calendar date"))
}

/// Formats a date as `YYYY-MM-DD` (the inverse of [`parse_date`]).
pub fn format_date(date: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    #[test]
    fn parses_and_formats() {
        assert_eq!(parse_date("d", "2026-03-02"), Ok(date!(2026 - 03 - 02)));
        assert_eq!(parse_date("d", "2024-02-29"), Ok(date!(2024 - 02 - 29)));
        assert_eq!(format_date(date!(2026 - 03 - 02)), "2026-03-02");
        assert_eq!(format_date(date!(1900 - 01 - 01)), "1900-01-01");
    }

    #[test]
    fn refuses_other_shapes() {
        for raw in [
            "",
            "2026-3-2",
            "2026/03/02",
            "02026-03-02",
            "+2026-03-02",
            "2026-03-02T00:00:00Z",
            " 2026-03-02",
            "2026-0a-02",
        ] {
            assert_eq!(
                parse_date("expiry", raw).unwrap_err().to_string(),
                "expiry: must be a date YYYY-MM-DD",
                "{raw:?}"
            );
        }
    }

    #[test]
    fn refuses_impossible_dates() {
        for raw in [
            "2026-02-29",
            "2026-13-01",
            "2026-00-10",
            "2026-04-31",
            "2026-01-00",
        ] {
            assert_eq!(
                parse_date("date", raw).unwrap_err().to_string(),
                "date: is not a valid calendar date",
                "{raw}"
            );
        }
        assert_eq!(
            parse_date("date", "1899-12-31").unwrap_err().to_string(),
            "date: year must be between 1900 and 2199"
        );
        assert_eq!(
            parse_date("date", "2200-01-01").unwrap_err().to_string(),
            "date: year must be between 1900 and 2199"
        );
    }
}

//! How clinical values read on a page: the schedule's dates and times in the practice's time
//! zone, numbers without trailing zeros, and labels for the vocabularies' codes.
//! Nothing here reads data; every value comes from a use case.

use std::collections::HashMap;

use time::Date;
use vial_app::{Actor, App};
use vial_clinical::{FillerArea, InjectionSite, PracticeZone};
use vial_core::UserId;

/// The face diagram's drawing size (its `viewBox`); positions are stored relative to it (0..1).
pub const FACE_WIDTH: f64 = 300.0;
pub const FACE_HEIGHT: f64 = 400.0;

/// `12`, `2.5`, `0.55`: at most two decimals, no trailing zeros.
pub fn number(value: f64) -> String {
    let text = format!("{:.2}", (value * 100.0).round() / 100.0);
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// `neurotoxin_consult` → `Neurotoxin consult`.
pub fn code_label(code: &str) -> String {
    let spaced = code.replace('_', " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

pub fn site_label(code: &str) -> String {
    InjectionSite::parse(code).map_or_else(|| code_label(code), |s| s.label().to_owned())
}

pub fn area_label(code: &str) -> String {
    FillerArea::parse(code).map_or_else(|| code_label(code), |a| a.label().to_owned())
}

/// `HH:MM` in the practice's time zone.
pub fn clock(zone: &PracticeZone, ms: i64) -> String {
    zone.local_clock(ms).map_or_else(
        || "—".to_owned(),
        |(hour, minute)| format!("{hour:02}:{minute:02}"),
    )
}

/// The practice's calendar date at an instant.
pub fn date_of(zone: &PracticeZone, ms: i64) -> Option<Date> {
    zone.local_date(ms)
}

/// `YYYY-MM-DD`.
pub fn iso(date: Date) -> String {
    vial_clinical::format_date(date)
}

/// `Fri 15 Jan 2027`.
pub fn long_date(date: Date) -> String {
    let weekday = date.weekday().to_string();
    let month = date.month().to_string();
    format!(
        "{} {} {} {}",
        &weekday[..3],
        date.day(),
        &month[..3],
        date.year()
    )
}

/// Today at the practice, by the app's clock.
pub fn today(app: &App, zone: &PracticeZone) -> Date {
    date_of(zone, app.now_ms()).unwrap_or(Date::MIN)
}

/// `HH:MM` → minutes after midnight.
pub fn minutes_of(time: &str) -> Option<i64> {
    let (h, m) = time.trim().split_once(':')?;
    let (h, m): (i64, i64) = (h.parse().ok()?, m.get(..2)?.parse().ok()?);
    ((0..24).contains(&h) && (0..60).contains(&m)).then_some(h * 60 + m)
}

/// When something was signed or recorded, for a chart: `2027-01-15 10:30 UTC`.
pub fn stamp(ms: i64) -> String {
    crate::pages::when(ms)
}

/// Workforce names by user id, looked up once per page (names of workforce accounts are not
/// PHI; patients' names come only from the gateway).
pub struct Names {
    actor: Actor,
    known: HashMap<UserId, String>,
    /// Every name the page needs is known: an id not among them is not a workforce account.
    complete: bool,
}

/// What a name that is not a workforce account's shows.
const UNKNOWN_USER: &str = "unknown user";

impl Names {
    /// Names as `actor` may look them up.
    pub fn new(actor: &Actor) -> Self {
        Self {
            actor: actor.clone(),
            known: HashMap::new(),
            complete: false,
        }
    }

    /// The names a use case already read, for every id its view mentions.
    pub fn read(actor: &Actor, names: &HashMap<UserId, zeroize::Zeroizing<String>>) -> Self {
        Self {
            actor: actor.clone(),
            known: names
                .iter()
                .map(|(id, name)| (id.clone(), name.to_string()))
                .collect(),
            complete: true,
        }
    }

    pub async fn of(&mut self, app: &App, user_id: &UserId) -> String {
        if let Some(name) = self.known.get(user_id) {
            return name.clone();
        }
        if self.complete {
            return UNKNOWN_USER.to_owned();
        }
        let name = match app.workforce_name(&self.actor, user_id).await {
            Ok(name) => name.to_string(),
            Err(_) => UNKNOWN_USER.to_owned(),
        };
        self.known.insert(user_id.clone(), name.clone());
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_naturally() {
        assert_eq!(number(32.0), "32");
        assert_eq!(number(2.5), "2.5");
        assert_eq!(number(0.55), "0.55");
        assert_eq!(number(0.0), "0");
    }

    #[test]
    fn times_and_days() {
        let date = vial_clinical::parse_date("d", "2027-01-15").unwrap_or(Date::MIN);
        let utc = PracticeZone::utc();
        assert_eq!(clock(&utc, 1_800_000_000_000), "08:00");
        assert_eq!(date_of(&utc, 1_800_000_000_000), Some(date));
        let la = PracticeZone::parse("America/Los_Angeles").unwrap_or_else(|_| PracticeZone::utc());
        assert_eq!(
            clock(&la, 1_800_000_000_000),
            "00:00",
            "08:00 UTC is midnight in LA"
        );
        assert_eq!(
            date_of(&la, 1_800_000_000_000 - 1)
                .map(long_date)
                .as_deref(),
            Some("Thu 14 Jan 2027")
        );
        assert_eq!(long_date(date), "Fri 15 Jan 2027");
        assert_eq!(minutes_of("10:30"), Some(630));
        assert_eq!(minutes_of("10:30:00"), Some(630));
        assert_eq!(minutes_of("24:00"), None);
        assert_eq!(code_label("no_show"), "No show");
        assert_eq!(site_label("dao_l"), "Depressor anguli oris (L)");
    }
}

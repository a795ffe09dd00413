//! The practice's clock: its IANA time zone (day and week views, opening hours) and its weekly
//! opening hours, within which a patient may ask for an appointment.
//!
//! Zones come from the IANA database bundled into the binary (jiff's `tzdb-bundle-always`, no
//! system files read), so this stays pure and a machine without `/usr/share/zoneinfo` still
//! knows every zone. Local times that a DST change skips or repeats resolve as jiff's
//! "compatible" rule does: a skipped time moves past the gap, a repeated one takes its first
//! occurrence. A day therefore lasts 23, 24 or 25 hours.

use jiff::Timestamp;
use jiff::civil::{Date as CivilDate, Time as CivilTime};
use jiff::tz::TimeZone;
use time::{Date, Duration, Weekday};

use crate::ClinicalError;
use crate::appointment::TimeRange;

/// The practice's time zone: a validated IANA name and its rules.
#[derive(Debug, Clone)]
pub struct PracticeZone {
    name: String,
    tz: TimeZone,
}

/// The longest zone name accepted (the longest IANA name is about 30 characters).
const MAX_ZONE_CHARS: usize = 64;

impl PracticeZone {
    /// UTC, the zone of a practice that has not chosen one.
    pub fn utc() -> PracticeZone {
        PracticeZone {
            name: "UTC".to_owned(),
            tz: TimeZone::UTC,
        }
    }

    /// An IANA zone name such as `America/New_York` (matched without regard to case, kept in
    /// the database's spelling); an error names the field `time_zone`, never the value.
    pub fn parse(raw: &str) -> Result<PracticeZone, ClinicalError> {
        let unknown = || {
            ClinicalError::invalid(
                "time_zone",
                "must be an IANA time zone name such as America/New_York",
            )
        };
        let shaped = !raw.is_empty()
            && raw.len() <= MAX_ZONE_CHARS
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"/_+-".contains(&b));
        if !shaped {
            return Err(unknown());
        }
        let tz = TimeZone::get(raw).map_err(|_| unknown())?;
        // `Etc/Unknown` is jiff's placeholder, not a place.
        let name = tz
            .iana_name()
            .filter(|n| !n.eq_ignore_ascii_case("Etc/Unknown"))
            .ok_or_else(unknown)?
            .to_owned();
        Ok(PracticeZone { name, tz })
    }

    /// The IANA name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The instant, in Unix milliseconds, of a local date's start (its first existing minute).
    fn start_of(&self, date: CivilDate) -> Result<i64, ClinicalError> {
        Ok(self
            .tz
            .to_zoned(date.to_datetime(CivilTime::midnight()))
            .map_err(|_| out_of_range())?
            .timestamp()
            .as_millisecond())
    }

    /// The half-open range `[start_ms, end_ms)` of a local calendar day, from its local
    /// midnight to the next one (23 or 25 hours on a DST change day).
    pub fn day_bounds(&self, date: Date) -> Result<(i64, i64), ClinicalError> {
        let day = civil(date)?;
        let next = day.tomorrow().map_err(|_| out_of_range())?;
        Ok((self.start_of(day)?, self.start_of(next)?))
    }

    /// The half-open range of the local week containing `date`, starting on `first_day`.
    pub fn week_bounds(&self, date: Date, first_day: Weekday) -> Result<(i64, i64), ClinicalError> {
        let back = (i64::from(date.weekday().number_days_from_monday())
            - i64::from(first_day.number_days_from_monday()))
        .rem_euclid(7);
        let first = date
            .checked_sub(Duration::days(back))
            .ok_or_else(out_of_range)?;
        let last = first
            .checked_add(Duration::days(7))
            .ok_or_else(out_of_range)?;
        Ok((self.start_of(civil(first)?)?, self.start_of(civil(last)?)?))
    }

    /// The local hour and minute at an instant (`None` out of range).
    pub fn local_clock(&self, ms: i64) -> Option<(u8, u8)> {
        let local = Timestamp::from_millisecond(ms)
            .ok()?
            .to_zoned(self.tz.clone());
        Some((
            u8::try_from(local.hour()).ok()?,
            u8::try_from(local.minute()).ok()?,
        ))
    }

    /// The instant of a local date's `minutes` after midnight (24:00 is the next midnight); a
    /// time a DST change skips or repeats resolves as the module says.
    pub fn at_local(&self, date: Date, minutes: u16) -> Result<i64, ClinicalError> {
        let day = civil(date)?;
        let (day, minutes) = if minutes >= DAY_MINUTES {
            (
                day.tomorrow().map_err(|_| out_of_range())?,
                minutes - DAY_MINUTES,
            )
        } else {
            (day, minutes)
        };
        let hour = i8::try_from(minutes / 60).map_err(|_| out_of_range())?;
        let minute = i8::try_from(minutes % 60).map_err(|_| out_of_range())?;
        let time = CivilTime::new(hour, minute, 0, 0).map_err(|_| out_of_range())?;
        Ok(self
            .tz
            .to_zoned(day.to_datetime(time))
            .map_err(|_| out_of_range())?
            .timestamp()
            .as_millisecond())
    }

    /// The local date at an instant.
    pub fn local_date(&self, ms: i64) -> Option<Date> {
        let local = Timestamp::from_millisecond(ms)
            .ok()?
            .to_zoned(self.tz.clone());
        let month = time::Month::try_from(u8::try_from(local.month()).ok()?).ok()?;
        let day = u8::try_from(local.day()).ok()?;
        Date::from_calendar_date(i32::from(local.year()), month, day).ok()
    }
}

fn out_of_range() -> ClinicalError {
    ClinicalError::invalid("date", "is out of range")
}

fn civil(date: Date) -> Result<CivilDate, ClinicalError> {
    let year = i16::try_from(date.year()).map_err(|_| out_of_range())?;
    let month = i8::try_from(u8::from(date.month())).map_err(|_| out_of_range())?;
    let day = i8::try_from(date.day()).map_err(|_| out_of_range())?;
    CivilDate::new(year, month, day).map_err(|_| out_of_range())
}

/// The weekdays' field names, Monday first (the order of [`OpeningHours`]).
pub const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

const DAY_MINUTES: u16 = 24 * 60;

/// One day's opening span in local time, `[open, close)` in minutes after local midnight;
/// `close` may be 24:00.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenSpan {
    open: u16,
    close: u16,
}

impl OpenSpan {
    /// Minutes after local midnight when the practice opens.
    pub const fn open_minutes(self) -> u16 {
        self.open
    }

    /// Minutes after local midnight when it closes (up to 1440).
    pub const fn close_minutes(self) -> u16 {
        self.close
    }
}

impl std::fmt::Display for OpenSpan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hm = |m: u16| format!("{:02}:{:02}", m / 60, m % 60);
        write!(f, "{}-{}", hm(self.open), hm(self.close))
    }
}

/// The practice's opening hours: per weekday, closed or one span in local time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpeningHours {
    days: [Option<OpenSpan>; 7],
}

impl Default for OpeningHours {
    /// Monday to Friday 09:00–17:00, closed at the weekend: what a practice that has not set
    /// its hours is taken to keep.
    fn default() -> Self {
        let office = Some(OpenSpan {
            open: 9 * 60,
            close: 17 * 60,
        });
        OpeningHours {
            days: [office, office, office, office, office, None, None],
        }
    }
}

/// `HH:MM` (00:00 to 24:00) as minutes after midnight.
fn clock(raw: &str) -> Option<u16> {
    let b = raw.as_bytes();
    if b.len() != 5
        || b[2] != b':'
        || !b
            .iter()
            .enumerate()
            .all(|(i, c)| i == 2 || c.is_ascii_digit())
    {
        return None;
    }
    let hours = u16::from(b[0] - b'0') * 10 + u16::from(b[1] - b'0');
    let minutes = u16::from(b[3] - b'0') * 10 + u16::from(b[4] - b'0');
    let total = hours * 60 + minutes;
    (minutes < 60 && total <= DAY_MINUTES).then_some(total)
}

impl OpeningHours {
    /// One day: `closed`, or `HH:MM-HH:MM` (an en dash also accepted) opening before closing,
    /// within 00:00–24:00. An error names `field`, never the value.
    pub fn parse_day(field: &str, raw: &str) -> Result<Option<OpenSpan>, ClinicalError> {
        let raw = raw.trim();
        if raw.eq_ignore_ascii_case("closed") {
            return Ok(None);
        }
        let span = raw
            .split_once('-')
            .or_else(|| raw.split_once('\u{2013}'))
            .and_then(|(open, close)| Some((clock(open.trim())?, clock(close.trim())?)));
        match span {
            Some((open, close)) if open < close => Ok(Some(OpenSpan { open, close })),
            Some(_) => Err(ClinicalError::invalid(field, "must open before it closes")),
            None => Err(ClinicalError::invalid(
                field,
                "must be closed or HH:MM-HH:MM (24-hour clock, 00:00 to 24:00)",
            )),
        }
    }

    /// The seven days, Monday first, each as [`OpeningHours::parse_day`] takes it; errors name
    /// `opening_hours.<day>`.
    pub fn from_days(days: [&str; 7]) -> Result<OpeningHours, ClinicalError> {
        let mut out = [None; 7];
        for ((slot, raw), name) in out.iter_mut().zip(days).zip(WEEKDAYS) {
            *slot = Self::parse_day(&format!("opening_hours.{name}"), raw)?;
        }
        Ok(OpeningHours { days: out })
    }

    /// The stored form, `mon=09:00-17:00;…;sun=closed` (see [`OpeningHours::to_setting`]).
    pub fn from_setting(raw: &str) -> Result<OpeningHours, ClinicalError> {
        let mut days = ["closed"; 7];
        let parts: Vec<&str> = raw.split(';').collect();
        let shaped = parts.len() == 7
            && parts.iter().zip(WEEKDAYS).zip(days.iter_mut()).all(
                |((part, name), day)| match part.split_once('=') {
                    Some((key, value)) if key == name => {
                        *day = value;
                        true
                    }
                    _ => false,
                },
            );
        if !shaped {
            return Err(ClinicalError::invalid(
                "opening_hours",
                "is not in the stored form",
            ));
        }
        Self::from_days(days)
    }

    /// The form kept in the practice's settings.
    pub fn to_setting(&self) -> String {
        WEEKDAYS
            .iter()
            .zip(self.days)
            .map(|(name, span)| format!("{name}={}", Self::describe(span)))
            .collect::<Vec<_>>()
            .join(";")
    }

    /// One day as the API shows it: `closed` or `HH:MM-HH:MM`.
    pub fn describe(span: Option<OpenSpan>) -> String {
        span.map_or_else(|| "closed".to_owned(), |s| s.to_string())
    }

    /// The span of a weekday, Monday being 0.
    pub fn day(&self, days_from_monday: usize) -> Option<OpenSpan> {
        self.days.get(days_from_monday).copied().flatten()
    }

    /// Whether `time` lies entirely within one local day's opening span, in `zone`.
    pub fn contains(&self, zone: &PracticeZone, time: TimeRange) -> bool {
        let Some(date) = zone.local_date(time.start_ms()) else {
            return false;
        };
        let weekday = usize::from(date.weekday().number_days_from_monday());
        let Some(span) = self.day(weekday) else {
            return false;
        };
        match (
            zone.at_local(date, span.open),
            zone.at_local(date, span.close),
        ) {
            (Ok(open), Ok(close)) => open <= time.start_ms() && time.end_ms() <= close,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests;

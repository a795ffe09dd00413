use time::macros::date;

use super::*;

const MIN: i64 = 60_000;
const HOUR: i64 = 60 * MIN;
const DAY: i64 = 24 * HOUR;
/// 2027-03-14, the day New York springs forward, starts at 05:00 UTC; 2027-11-07, the day it
/// falls back, at 04:00 UTC.
const NY_SPRING_DAY: i64 = 1_805_000_400_000;
const NY_FALL_DAY: i64 = 1_825_560_000_000;
/// Monday 2027-03-15 13:00 UTC: 09:00 in New York (EDT, since the day before).
const NY_MONDAY_0900: i64 = 1_805_115_600_000;

fn ny() -> PracticeZone {
    PracticeZone::parse("America/New_York").unwrap()
}

fn range(start: i64, end: i64) -> TimeRange {
    TimeRange::new(start, end).unwrap()
}

#[test]
fn zones_are_iana_names_and_errors_never_echo_them() {
    assert_eq!(ny().name(), "America/New_York");
    assert_eq!(
        PracticeZone::parse("america/new_york").unwrap().name(),
        "America/New_York",
        "kept in the database's spelling"
    );
    assert_eq!(PracticeZone::parse("UTC").unwrap().name(), "UTC");
    assert_eq!(PracticeZone::utc().name(), "UTC");
    assert!(PracticeZone::parse("Europe/Paris").is_ok());
    for bad in [
        "",
        "Mars/Olympus_Mons",
        "Etc/Unknown",
        "../../etc/passwd",
        "America/New York",
        "+05:00",
        "EST5EDT,M3.2.0,M11.1.0",
        &"A".repeat(65),
    ] {
        let error = PracticeZone::parse(bad).unwrap_err().to_string();
        assert!(
            error.starts_with("time_zone: must be an IANA"),
            "{bad}: {error}"
        );
        assert!(bad.is_empty() || !error.contains(bad), "{error}");
    }
}

#[test]
fn days_and_weeks_follow_the_zone_through_dst() {
    // 2026-03-02 is a Monday; 1_772_409_600_000 is its UTC midnight.
    let midnight = 1_772_409_600_000;
    let utc = PracticeZone::utc();
    assert_eq!(
        utc.day_bounds(date!(2026 - 03 - 02)),
        Ok((midnight, midnight + DAY))
    );
    assert_eq!(utc.day_bounds(date!(1970 - 01 - 01)), Ok((0, DAY)));
    assert_eq!(
        ny().day_bounds(date!(2026 - 03 - 02)),
        Ok((midnight + 5 * HOUR, midnight + 5 * HOUR + DAY)),
        "New York winter: local midnight is 05:00 UTC"
    );
    assert_eq!(
        ny().day_bounds(date!(2027 - 03 - 14)),
        Ok((NY_SPRING_DAY, NY_SPRING_DAY + 23 * HOUR)),
        "springing forward, the day lasts 23 hours"
    );
    assert_eq!(
        ny().day_bounds(date!(2027 - 11 - 07)),
        Ok((NY_FALL_DAY, NY_FALL_DAY + 25 * HOUR)),
        "falling back, 25"
    );
    let week = (midnight, midnight + 7 * DAY);
    for day in 2..=8 {
        let date = Date::from_calendar_date(2026, time::Month::March, day).unwrap();
        assert_eq!(utc.week_bounds(date, Weekday::Monday), Ok(week), "{date}");
    }
    assert_eq!(
        utc.week_bounds(date!(2026 - 03 - 02), Weekday::Sunday),
        Ok((midnight - DAY, midnight + 6 * DAY))
    );
    // The week of 2027-03-14 in New York: Monday the 8th (EST) to Monday the 15th (EDT).
    let (start, end) = ny()
        .week_bounds(date!(2027 - 03 - 14), Weekday::Monday)
        .unwrap();
    assert_eq!(start, NY_SPRING_DAY - 6 * DAY);
    assert_eq!(end, NY_SPRING_DAY + DAY - HOUR);
    assert!(utc.week_bounds(Date::MIN, Weekday::Sunday).is_err());
    assert_eq!(
        ny().local_date(NY_SPRING_DAY - 1),
        Some(date!(2027 - 03 - 13))
    );
    assert_eq!(ny().local_date(NY_SPRING_DAY), Some(date!(2027 - 03 - 14)));
}

#[test]
fn hours_parse_strictly_and_errors_name_the_day() {
    let hours = OpeningHours::from_days([
        "09:00-17:00",
        "08:30\u{2013}12:00",
        "closed",
        "Closed",
        "00:00-24:00",
        " 10:00 - 14:00 ",
        "closed",
    ])
    .unwrap();
    assert_eq!(
        hours.to_setting(),
        "mon=09:00-17:00;tue=08:30-12:00;wed=closed;thu=closed;fri=00:00-24:00;\
         sat=10:00-14:00;sun=closed"
    );
    assert_eq!(OpeningHours::from_setting(&hours.to_setting()), Ok(hours));
    assert_eq!(
        OpeningHours::default().to_setting(),
        "mon=09:00-17:00;tue=09:00-17:00;wed=09:00-17:00;thu=09:00-17:00;fri=09:00-17:00;\
         sat=closed;sun=closed"
    );
    fn week(tue: &str) -> [&str; 7] {
        [
            "closed", tue, "closed", "closed", "closed", "closed", "closed",
        ]
    }
    for (bad, message) in [
        (
            "9:00-17:00",
            "opening_hours.tue: must be closed or HH:MM-HH:MM",
        ),
        ("09:00", "opening_hours.tue: must be closed or HH:MM-HH:MM"),
        (
            "09:60-17:00",
            "opening_hours.tue: must be closed or HH:MM-HH:MM",
        ),
        (
            "09:00-24:30",
            "opening_hours.tue: must be closed or HH:MM-HH:MM",
        ),
        (
            "25:00-26:00",
            "opening_hours.tue: must be closed or HH:MM-HH:MM",
        ),
        (
            "<script>",
            "opening_hours.tue: must be closed or HH:MM-HH:MM",
        ),
        (
            "17:00-09:00",
            "opening_hours.tue: must open before it closes",
        ),
        (
            "09:00-09:00",
            "opening_hours.tue: must open before it closes",
        ),
        ("", "opening_hours.tue: must be closed or HH:MM-HH:MM"),
    ] {
        let error = OpeningHours::from_days(week(bad)).unwrap_err().to_string();
        assert!(error.starts_with(message), "{bad}: {error}");
        assert!(bad.is_empty() || !error.contains(bad), "{error}");
    }
    assert!(OpeningHours::from_setting("mon=09:00-17:00").is_err());
    assert!(OpeningHours::from_setting("").is_err());
}

#[test]
fn a_request_lies_within_one_days_span_in_the_practices_zone() {
    let hours = OpeningHours::default();
    let zone = ny();
    let monday = NY_MONDAY_0900;
    assert!(hours.contains(&zone, range(monday, monday + HOUR)));
    assert!(
        hours.contains(&zone, range(monday, monday + 8 * HOUR)),
        "the whole day"
    );
    assert!(
        !hours.contains(&zone, range(monday - MIN, monday + HOUR)),
        "a minute early"
    );
    assert!(
        !hours.contains(
            &zone,
            range(monday + 7 * HOUR + 30 * MIN, monday + 8 * HOUR + MIN)
        ),
        "a minute late"
    );
    // With the winter offset (UTC-5) 13:00-14:00 UTC would be 08:00 and refused, 21:00-21:30
    // UTC 16:00 and allowed; in EDT they are 09:00 (open) and 17:00 (closed).
    assert!(hours.contains(&zone, range(monday, monday + 30 * MIN)));
    assert!(!hours.contains(
        &zone,
        range(monday + 8 * HOUR, monday + 8 * HOUR + 30 * MIN)
    ));
    // Saturday and Sunday are closed; a span crossing midnight belongs to no single day.
    assert!(!hours.contains(&zone, range(monday - 2 * DAY, monday - 2 * DAY + HOUR)));
    let all_day = OpeningHours::from_days(["00:00-24:00"; 7]).unwrap();
    let evening = monday + 14 * HOUR; // 23:00 EDT
    assert!(all_day.contains(&zone, range(evening, evening + HOUR)));
    assert!(!all_day.contains(&zone, range(evening, evening + HOUR + MIN)));
    // The same local hours in UTC are other instants.
    assert!(!hours.contains(
        &PracticeZone::utc(),
        range(monday - 5 * HOUR, monday - 4 * HOUR)
    ));
    assert!(hours.contains(&PracticeZone::utc(), range(monday, monday + HOUR)));
}

#[test]
fn hours_on_a_dst_change_day_count_local_time() {
    // Sunday 2027-03-14, open 01:00-04:00 local: 02:00-03:00 does not exist, so the day's span
    // is two hours long, 06:00 to 08:00 UTC.
    let sunday = OpeningHours::from_days([
        "closed",
        "closed",
        "closed",
        "closed",
        "closed",
        "closed",
        "01:00-04:00",
    ])
    .unwrap();
    let open = NY_SPRING_DAY + HOUR;
    assert!(sunday.contains(&ny(), range(open, open + 2 * HOUR)));
    assert!(!sunday.contains(&ny(), range(open, open + 2 * HOUR + MIN)));
}

#[test]
fn local_clock_and_instants_round_trip_across_dst() {
    // 09:00 in New York on the Monday after the spring change is 13:00 UTC (EDT).
    assert_eq!(ny().local_clock(NY_MONDAY_0900), Some((9, 0)));
    assert_eq!(
        ny().at_local(date!(2027 - 03 - 15), 9 * 60).unwrap(),
        NY_MONDAY_0900
    );
    // On the change day itself, 02:30 does not exist: it moves past the gap to 03:30 EDT.
    let skipped = ny().at_local(date!(2027 - 03 - 14), 150).unwrap();
    assert_eq!(ny().local_clock(skipped), Some((3, 30)));
    // 24:00 is the next local midnight; UTC has no surprises.
    assert_eq!(
        ny().at_local(date!(2027 - 03 - 13), 24 * 60).unwrap(),
        NY_SPRING_DAY
    );
    assert_eq!(
        PracticeZone::utc()
            .at_local(date!(2027 - 03 - 15), 90)
            .unwrap(),
        1_805_074_200_000
    );
    // The fall-back day lasts 25 hours: 24 hours after its midnight it is still 23:00.
    assert_eq!(ny().local_clock(NY_FALL_DAY + DAY), Some((23, 0)));
}

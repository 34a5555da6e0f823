//! The time zones staff may choose, with their current rules written out: no tz database (chrono-tz or
//! jiff would add more to the binary than the scratch image has room for). Each zone is a standard offset
//! plus one of four daylight-saving rules (EU, US, south-eastern Australia, New Zealand) or none. Past
//! rule changes are not modelled: an old timestamp is shown by today's rules. Stored as its IANA name.

use std::borrow::Cow;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Weekday};
use serde::Serialize;

use super::lead_values::wire_enum;

wire_enum!(
    /// A staff member's time zone, by its IANA name; pages show times in it.
    TimeZone {
        Utc => "UTC",
        London => "Europe/London",
        Dublin => "Europe/Dublin",
        Lisbon => "Europe/Lisbon",
        Paris => "Europe/Paris",
        Berlin => "Europe/Berlin",
        Madrid => "Europe/Madrid",
        Rome => "Europe/Rome",
        Amsterdam => "Europe/Amsterdam",
        Stockholm => "Europe/Stockholm",
        Athens => "Europe/Athens",
        Helsinki => "Europe/Helsinki",
        NewYork => "America/New_York",
        Toronto => "America/Toronto",
        Chicago => "America/Chicago",
        Denver => "America/Denver",
        Phoenix => "America/Phoenix",
        LosAngeles => "America/Los_Angeles",
        Vancouver => "America/Vancouver",
        Dubai => "Asia/Dubai",
        Kolkata => "Asia/Kolkata",
        Singapore => "Asia/Singapore",
        Tokyo => "Asia/Tokyo",
        Sydney => "Australia/Sydney",
        Melbourne => "Australia/Melbourne",
        Auckland => "Pacific/Auckland",
    }
);

/// When daylight-saving time applies.
#[derive(Clone, Copy)]
enum Dst {
    Never,
    /// Last Sunday of March 01:00 UTC → last Sunday of October 01:00 UTC.
    Eu,
    /// Second Sunday of March 02:00 local standard → first Sunday of November 02:00 local daylight.
    Us,
    /// First Sunday of October 02:00 standard → first Sunday of April 03:00 daylight.
    SouthEastAustralia,
    /// Last Sunday of September 02:00 standard → first Sunday of April 03:00 daylight.
    NewZealand,
}

/// A zone's rules: minutes east of UTC in standard time, its daylight-saving rule, and its common
/// abbreviations (standard, daylight) where it has them.
struct Rules {
    standard_minutes: i64,
    dst: Dst,
    abbreviations: Option<(&'static str, &'static str)>,
}

impl TimeZone {
    /// The zone for a new account and for anyone who has not chosen one.
    pub const DEFAULT: TimeZone = TimeZone::London;

    pub fn name(self) -> &'static str {
        self.as_str()
    }

    fn rules(self) -> Rules {
        use Dst::*;
        use TimeZone::*;
        let (hours, minutes, dst, abbreviations) = match self {
            Utc => (0, 0, Never, Some(("UTC", "UTC"))),
            London => (0, 0, Eu, Some(("GMT", "BST"))),
            Dublin => (0, 0, Eu, Some(("GMT", "IST"))),
            Lisbon => (0, 0, Eu, Some(("WET", "WEST"))),
            Paris | Berlin | Madrid | Rome | Amsterdam | Stockholm => {
                (1, 0, Eu, Some(("CET", "CEST")))
            }
            Athens | Helsinki => (2, 0, Eu, Some(("EET", "EEST"))),
            NewYork | Toronto => (-5, 0, Us, Some(("EST", "EDT"))),
            Chicago => (-6, 0, Us, Some(("CST", "CDT"))),
            Denver => (-7, 0, Us, Some(("MST", "MDT"))),
            Phoenix => (-7, 0, Never, Some(("MST", "MST"))),
            LosAngeles | Vancouver => (-8, 0, Us, Some(("PST", "PDT"))),
            Dubai => (4, 0, Never, None),
            Kolkata => (5, 30, Never, Some(("IST", "IST"))),
            Singapore => (8, 0, Never, None),
            Tokyo => (9, 0, Never, Some(("JST", "JST"))),
            Sydney | Melbourne => (10, 0, SouthEastAustralia, Some(("AEST", "AEDT"))),
            Auckland => (12, 0, NewZealand, Some(("NZST", "NZDT"))),
        };
        Rules {
            standard_minutes: hours * 60 + minutes,
            dst,
            abbreviations,
        }
    }

    /// Whether daylight-saving time is in force at the instant `utc`.
    pub fn is_daylight(self, utc: NaiveDateTime) -> bool {
        let rules = self.rules();
        let standard = Duration::minutes(rules.standard_minutes);
        match rules.dst.window(utc.year(), standard) {
            None => false,
            Some((start, end)) if start < end => start <= utc && utc < end,
            // Southern hemisphere: daylight time spans the new year.
            Some((start, end)) => utc < end || start <= utc,
        }
    }

    /// How far ahead of UTC the zone's clocks are at the instant `utc`.
    pub fn offset(self, utc: NaiveDateTime) -> Duration {
        let daylight = if self.is_daylight(utc) { 60 } else { 0 };
        Duration::minutes(self.rules().standard_minutes + daylight)
    }

    /// The wall-clock time in this zone at the instant `utc`.
    pub fn to_local(self, utc: NaiveDateTime) -> NaiveDateTime {
        utc + self.offset(utc)
    }

    /// "GMT", "BST", "CEST", "EDT"… at the instant `utc`, or "UTC+4" / "UTC+5:30" for a zone without a
    /// common abbreviation.
    pub fn abbreviation(self, utc: NaiveDateTime) -> Cow<'static, str> {
        match self.rules().abbreviations {
            Some((standard, daylight)) => Cow::Borrowed(if self.is_daylight(utc) {
                daylight
            } else {
                standard
            }),
            None => Cow::Owned(utc_offset_label(self.offset(utc))),
        }
    }
}

fn utc_offset_label(offset: Duration) -> String {
    let minutes = offset.num_minutes();
    let sign = if minutes < 0 { '-' } else { '+' };
    let (hours, rest) = (minutes.abs() / 60, minutes.abs() % 60);
    match rest {
        0 => format!("UTC{sign}{hours}"),
        _ => format!("UTC{sign}{hours}:{rest:02}"),
    }
}

impl Dst {
    /// The UTC instants daylight time starts and ends in `year`, for a zone `standard` ahead of UTC.
    fn window(self, year: i32, standard: Duration) -> Option<(NaiveDateTime, NaiveDateTime)> {
        let at = |date: NaiveDate, hour| date.and_hms_opt(hour, 0, 0).expect("a valid hour");
        let daylight = standard + Duration::hours(1);
        match self {
            Dst::Never => None,
            Dst::Eu => Some((at(last_sunday(year, 3), 1), at(last_sunday(year, 10), 1))),
            Dst::Us => Some((
                at(nth_sunday(year, 3, 2), 2) - standard,
                at(nth_sunday(year, 11, 1), 2) - daylight,
            )),
            Dst::SouthEastAustralia => Some((
                at(nth_sunday(year, 10, 1), 2) - standard,
                at(nth_sunday(year, 4, 1), 3) - daylight,
            )),
            Dst::NewZealand => Some((
                at(last_sunday(year, 9), 2) - standard,
                at(nth_sunday(year, 4, 1), 3) - daylight,
            )),
        }
    }
}

fn nth_sunday(year: i32, month: u32, n: u8) -> NaiveDate {
    NaiveDate::from_weekday_of_month_opt(year, month, Weekday::Sun, n).expect("every month has one")
}

fn last_sunday(year: i32, month: u32) -> NaiveDate {
    NaiveDate::from_weekday_of_month_opt(year, month, Weekday::Sun, 5)
        .unwrap_or_else(|| nth_sunday(year, month, 4))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    /// One second before and one second after a switch: the abbreviation and the local wall clock.
    fn assert_switch(zone: TimeZone, at: &str, before: (&str, &str), after: (&str, &str)) {
        let instant = utc(at);
        let second = Duration::seconds(1);
        for (when, (abbreviation, local)) in [(instant - second, before), (instant, after)] {
            assert_eq!(
                zone.abbreviation(when),
                abbreviation,
                "{} at {when}",
                zone.name()
            );
            assert_eq!(
                zone.to_local(when).format("%Y-%m-%d %H:%M:%S").to_string(),
                local,
                "{} at {when}",
                zone.name()
            );
        }
        let later = instant + second;
        assert_eq!(
            zone.abbreviation(later),
            after.0,
            "{} after the switch",
            zone.name()
        );
    }

    #[test]
    fn the_eu_rule_switches_at_01_00_utc_on_the_last_sundays_of_march_and_october() {
        use TimeZone::*;
        assert_switch(
            London,
            "2027-03-28 01:00:00",
            ("GMT", "2027-03-28 00:59:59"),
            ("BST", "2027-03-28 02:00:00"),
        );
        assert_switch(
            London,
            "2027-10-31 01:00:00",
            ("BST", "2027-10-31 01:59:59"),
            ("GMT", "2027-10-31 01:00:00"),
        );
        assert_switch(
            Paris,
            "2027-03-28 01:00:00",
            ("CET", "2027-03-28 01:59:59"),
            ("CEST", "2027-03-28 03:00:00"),
        );
        assert_switch(
            Berlin,
            "2027-10-31 01:00:00",
            ("CEST", "2027-10-31 02:59:59"),
            ("CET", "2027-10-31 02:00:00"),
        );
        assert_switch(
            Helsinki,
            "2026-03-29 01:00:00",
            ("EET", "2026-03-29 02:59:59"),
            ("EEST", "2026-03-29 04:00:00"),
        );
        assert_switch(
            Lisbon,
            "2026-10-25 01:00:00",
            ("WEST", "2026-10-25 01:59:59"),
            ("WET", "2026-10-25 01:00:00"),
        );
        assert_switch(
            Dublin,
            "2026-03-29 01:00:00",
            ("GMT", "2026-03-29 00:59:59"),
            ("IST", "2026-03-29 02:00:00"),
        );
    }

    #[test]
    fn the_us_rule_switches_at_2_am_local_on_the_second_sunday_of_march_and_first_of_november() {
        use TimeZone::*;
        assert_switch(
            NewYork,
            "2027-03-14 07:00:00",
            ("EST", "2027-03-14 01:59:59"),
            ("EDT", "2027-03-14 03:00:00"),
        );
        assert_switch(
            NewYork,
            "2027-11-07 06:00:00",
            ("EDT", "2027-11-07 01:59:59"),
            ("EST", "2027-11-07 01:00:00"),
        );
        assert_switch(
            Chicago,
            "2026-03-08 08:00:00",
            ("CST", "2026-03-08 01:59:59"),
            ("CDT", "2026-03-08 03:00:00"),
        );
        assert_switch(
            Denver,
            "2026-11-01 08:00:00",
            ("MDT", "2026-11-01 01:59:59"),
            ("MST", "2026-11-01 01:00:00"),
        );
        assert_switch(
            LosAngeles,
            "2027-03-14 10:00:00",
            ("PST", "2027-03-14 01:59:59"),
            ("PDT", "2027-03-14 03:00:00"),
        );
        assert_switch(
            Vancouver,
            "2027-11-07 09:00:00",
            ("PDT", "2027-11-07 01:59:59"),
            ("PST", "2027-11-07 01:00:00"),
        );
    }

    #[test]
    fn south_eastern_australia_springs_forward_in_october_and_back_in_april() {
        // 2027: first Sunday of October is the 3rd (02:00 AEST = 16:00 UTC the day before); first Sunday
        // of April is the 4th (03:00 AEDT = 16:00 UTC the day before).
        use TimeZone::*;
        assert_switch(
            Sydney,
            "2027-10-02 16:00:00",
            ("AEST", "2027-10-03 01:59:59"),
            ("AEDT", "2027-10-03 03:00:00"),
        );
        assert_switch(
            Melbourne,
            "2027-04-03 16:00:00",
            ("AEDT", "2027-04-04 02:59:59"),
            ("AEST", "2027-04-04 02:00:00"),
        );
    }

    #[test]
    fn new_zealand_springs_forward_on_the_last_sunday_of_september_and_back_in_april() {
        use TimeZone::Auckland;
        assert_switch(
            Auckland,
            "2027-09-25 14:00:00",
            ("NZST", "2027-09-26 01:59:59"),
            ("NZDT", "2027-09-26 03:00:00"),
        );
        assert_switch(
            Auckland,
            "2027-04-03 14:00:00",
            ("NZDT", "2027-04-04 02:59:59"),
            ("NZST", "2027-04-04 02:00:00"),
        );
        // Across the new year it stays daylight time.
        assert_eq!(Auckland.abbreviation(utc("2026-12-31 12:00:00")), "NZDT");
        assert_eq!(
            Auckland.to_local(utc("2026-12-31 12:00:00")),
            utc("2027-01-01 01:00:00")
        );
    }

    #[test]
    fn zones_without_daylight_time_keep_one_offset_all_year() {
        use TimeZone::*;
        for at in ["2027-01-15 12:00:00", "2027-07-15 12:00:00"] {
            let at = utc(at);
            assert_eq!(Phoenix.abbreviation(at), "MST");
            assert_eq!(Phoenix.offset(at), Duration::hours(-7));
            assert_eq!(Tokyo.abbreviation(at), "JST");
            assert_eq!(Kolkata.offset(at), Duration::minutes(330));
            assert_eq!(Kolkata.abbreviation(at), "IST");
            assert_eq!(Singapore.abbreviation(at), "UTC+8");
            assert_eq!(Dubai.abbreviation(at), "UTC+4");
            assert_eq!(Utc.to_local(at), at);
            assert_eq!(Utc.abbreviation(at), "UTC");
        }
    }

    #[test]
    fn offsets_without_an_abbreviation_are_written_utc_plus_hours_and_minutes() {
        assert_eq!(utc_offset_label(Duration::minutes(330)), "UTC+5:30");
        assert_eq!(utc_offset_label(Duration::minutes(-210)), "UTC-3:30");
        assert_eq!(utc_offset_label(Duration::hours(-5)), "UTC-5");
    }

    #[test]
    fn every_zone_parses_back_from_its_name_and_unknown_names_do_not() {
        for zone in TimeZone::ALL {
            assert_eq!(TimeZone::parse(zone.name()), Some(zone));
        }
        assert_eq!(TimeZone::parse("Europe/Atlantis"), None);
        assert_eq!(TimeZone::parse("europe/london"), None);
        assert_eq!(
            TimeZone::parse(TimeZone::DEFAULT.name()),
            Some(TimeZone::London)
        );
    }
}

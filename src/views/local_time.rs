//! Times as staff read them: in the viewer's own time zone, with its abbreviation, the instant in UTC kept
//! in the markup (`datetime`, and a `title` to hover). Stored times are UTC everywhere; only pages convert.

use chrono::NaiveDateTime;
use maud::{Markup, html};

use crate::domain::TimeZone;

/// `<time datetime="2026-12-04T14:05:00Z" title="2026-12-04 14:05 UTC">2026-12-04 14:05 GMT</time>`
pub fn minute(utc: NaiveDateTime, tz: TimeZone) -> Markup {
    html! {
        time datetime=(utc.format("%Y-%m-%dT%H:%M:%SZ")) title=(utc.format("%Y-%m-%d %H:%M UTC")) {
            (tz.to_local(utc).format("%Y-%m-%d %H:%M")) " " (tz.abbreviation(utc))
        }
    }
}

/// The local calendar date of the instant `utc`, e.g. `2026-12-05` in Tokyo for 2026-12-04 20:00 UTC.
pub fn date(utc: NaiveDateTime, tz: TimeZone) -> String {
    tz.to_local(utc).format("%Y-%m-%d").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    #[test]
    fn a_minute_shows_local_time_and_keeps_the_utc_instant() {
        assert_eq!(
            minute(at("2026-12-04 14:05:30"), TimeZone::London).into_string(),
            r#"<time datetime="2026-12-04T14:05:30Z" title="2026-12-04 14:05 UTC">2026-12-04 14:05 GMT</time>"#
        );
        assert!(
            minute(at("2026-07-04 14:05:00"), TimeZone::NewYork)
                .into_string()
                .contains(">2026-07-04 10:05 EDT</time>")
        );
    }

    #[test]
    fn a_date_is_the_local_calendar_day() {
        let evening = at("2026-12-04 20:00:00");
        assert_eq!(date(evening, TimeZone::Tokyo), "2026-12-05");
        assert_eq!(date(evening, TimeZone::LosAngeles), "2026-12-04");
    }
}

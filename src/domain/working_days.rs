//! "We reply within one working day": when a new lead becomes overdue. Weekends do not count (bank
//! holidays are not modelled: a lead that waits over one shows as overdue a day early, which errs on the
//! side of replying).

use chrono::{Datelike, Days, NaiveDateTime, Weekday};

/// The instant one working day before `now`: a lead received before it, still new, is overdue.
pub fn one_working_day_before(now: NaiveDateTime) -> NaiveDateTime {
    let mut at = now - Days::new(1);
    while matches!(at.weekday(), Weekday::Sat | Weekday::Sun) {
        at = at - Days::new(1);
    }
    at
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    fn at(y: i32, m: u32, d: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(10, 0, 0)
            .unwrap()
    }

    #[test]
    fn the_weekend_does_not_count() {
        // 2026-12-07 is a Monday: a lead from Friday 10:00 is due now, not since Saturday.
        assert_eq!(one_working_day_before(at(2026, 12, 7)), at(2026, 12, 4));
        assert_eq!(
            one_working_day_before(at(2026, 12, 5)),
            at(2026, 12, 4),
            "on Saturday, Friday's"
        );
        assert_eq!(
            one_working_day_before(at(2026, 12, 9)),
            at(2026, 12, 8),
            "midweek, yesterday's"
        );
    }
}

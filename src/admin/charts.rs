//! Server-rendered SVG charts (no script, no external library), each with labelled axes and a text
//! summary for screen readers: leads per day as columns, and leads per status as bars.

use chrono::{Datelike, Days, NaiveDate};
use maud::{Markup, html};

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 160.0;
/// Room on the left for the count axis and below for the dates.
const LEFT: f64 = 40.0;
const BOTTOM: f64 = 22.0;
const TOP: f64 = 8.0;

/// A round step for about three gridlines up to `max` (1, 2, 5, 10, 20, 50, …).
fn tick_step(max: i64) -> i64 {
    let mut step = 1;
    while max / step > 3 {
        step = match step.to_string().as_bytes()[0] {
            b'1' => step * 2,
            b'2' => step / 2 * 5,
            _ => step * 2,
        };
    }
    step
}

/// One column per day from `first` to `last` inclusive (days missing from `counts` are zero), a count axis
/// with gridlines, and a date under every Monday.
pub fn daily_bars(
    title: &str,
    first: NaiveDate,
    last: NaiveDate,
    counts: &[(NaiveDate, i64)],
) -> Markup {
    let days: Vec<(NaiveDate, i64)> = (0..)
        .map_while(|offset| {
            first
                .checked_add_days(Days::new(offset))
                .filter(|d| *d <= last)
        })
        .map(|day| {
            let n = counts
                .iter()
                .find(|(d, _)| *d == day)
                .map_or(0, |(_, n)| *n);
            (day, n)
        })
        .collect();
    let peak = days.iter().map(|(_, n)| *n).max().unwrap_or(0);
    let step = tick_step(peak.max(1));
    let top = ((peak.max(1) + step - 1) / step) * step;
    let plot = WIDTH - LEFT;
    let slot = plot / days.len().max(1) as f64;
    let y = |n: i64| TOP + (HEIGHT - TOP) * (1.0 - n as f64 / top as f64);
    let total: i64 = days.iter().map(|(_, n)| n).sum();
    let summary = format!(
        "{title}: {total} leads in {} days, at most {peak} on one day",
        days.len()
    );
    let every = if days.len() > 45 { 14 } else { 7 };
    html! {
        figure.chart {
            svg viewBox={ "0 0 " (WIDTH) " " (HEIGHT + BOTTOM) } role="img" aria-label=(summary) width="100%" {
                title { (summary) }
                @for tick in (0..=top).step_by(step as usize) {
                    line x1=(LEFT) y1=(fmt(y(tick))) x2=(WIDTH) y2=(fmt(y(tick))) class="chart__grid" {}
                    text x=(LEFT - 6.0) y=(fmt(y(tick) + 4.0)) text-anchor="end" class="chart__label" { (tick) }
                }
                @for (i, (day, n)) in days.iter().enumerate() {
                    @let x = LEFT + i as f64 * slot;
                    rect x=(fmt(x + slot * 0.15)) y=(fmt(y(*n))) width=(fmt(slot * 0.7)) height=(fmt(HEIGHT - y(*n))) class="chart__bar" {
                        title { (day) ": " (n) }
                    }
                    @if day.weekday().num_days_from_monday() == 0 && day.ordinal0() % every < 7 {
                        text x=(fmt(x + slot / 2.0)) y=(HEIGHT + 16.0) text-anchor="middle" class="chart__label" { (day.format("%d %b")) }
                    }
                }
                line x1=(LEFT) y1=(HEIGHT) x2=(WIDTH) y2=(HEIGHT) class="chart__axis" {}
            }
            figcaption { (summary) " (leads per day; dates mark Mondays)" }
        }
    }
}

/// One labelled bar per status, its count at its end.
pub fn status_bars(title: &str, counts: &[(&str, i64)]) -> Markup {
    const ROW: f64 = 26.0;
    const LABEL: f64 = 90.0;
    let peak = counts.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1) as f64;
    let height = ROW * counts.len() as f64;
    let room = WIDTH - LABEL - 60.0;
    let summary = counts
        .iter()
        .map(|(label, n)| format!("{label} {n}"))
        .collect::<Vec<_>>()
        .join(", ");
    html! {
        figure.chart {
            svg viewBox={ "0 0 " (WIDTH) " " (height) } role="img" aria-label={ (title) ": " (summary) } width="100%" {
                title { (title) ": " (summary) }
                @for (i, (label, n)) in counts.iter().enumerate() {
                    @let top = i as f64 * ROW;
                    @let w = room * *n as f64 / peak;
                    text x=(LABEL - 8.0) y=(fmt(top + 17.0)) text-anchor="end" class="chart__label" { (label) }
                    rect x=(LABEL) y=(fmt(top + 5.0)) width=(fmt(w)) height="16" class={ "chart__bar chart__bar--" (label) } {}
                    text x=(fmt(LABEL + w + 6.0)) y=(fmt(top + 17.0)) class="chart__label" { (n) }
                }
                line x1=(LABEL) y1="0" x2=(LABEL) y2=(height) class="chart__axis" {}
            }
            figcaption { (title) ": " (summary) }
        }
    }
}

fn fmt(v: f64) -> String {
    format!("{v:.1}")
}

#[cfg(test)]
mod tests {
    use super::tick_step;

    #[test]
    fn gridlines_fall_on_round_numbers() {
        assert_eq!(tick_step(1), 1);
        assert_eq!(tick_step(3), 1);
        assert_eq!(tick_step(7), 2);
        assert_eq!(tick_step(12), 5);
        assert_eq!(tick_step(40), 20);
        assert_eq!(tick_step(900), 500);
    }
}

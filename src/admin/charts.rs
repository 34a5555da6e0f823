//! Server-rendered SVG charts (no script, no external library): leads per day as bars.

use chrono::{Days, NaiveDate};
use maud::{Markup, html};

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 160.0;

/// One bar per day from `first` to `last` inclusive; days missing from `counts` are zero.
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
            (
                day,
                counts
                    .iter()
                    .find(|(d, _)| *d == day)
                    .map_or(0, |(_, n)| *n),
            )
        })
        .collect();
    let max = days.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1) as f64;
    let slot = WIDTH / days.len().max(1) as f64;
    let total: i64 = days.iter().map(|(_, n)| n).sum();
    let summary = format!(
        "{title}: {total} leads in {} days, at most {} on one day",
        days.len(),
        max as i64
    );
    html! {
        figure.chart {
            svg viewBox={ "0 0 " (WIDTH) " " (HEIGHT + 20.0) } role="img" aria-label=(summary) width="100%" {
                title { (summary) }
                line x1="0" y1=(HEIGHT) x2=(WIDTH) y2=(HEIGHT) stroke="currentColor" stroke-opacity="0.4" {}
                @for (i, (day, n)) in days.iter().enumerate() {
                    @let h = (*n as f64 / max) * (HEIGHT - 10.0);
                    rect x=(format!("{:.1}", i as f64 * slot + slot * 0.15)) y=(format!("{:.1}", HEIGHT - h))
                        width=(format!("{:.1}", slot * 0.7)) height=(format!("{:.1}", h)) class="chart__bar" {
                        title { (day) ": " (n) }
                    }
                }
                text x="0" y=(HEIGHT + 16.0) class="chart__label" { (first.format("%b %d")) }
                text x=(WIDTH) y=(HEIGHT + 16.0) text-anchor="end" class="chart__label" { (last.format("%b %d")) }
            }
            figcaption { (summary) }
        }
    }
}

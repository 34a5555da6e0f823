//! The same metrics in Prometheus text format (version 0.0.4), for people who run the app elsewhere. Served
//! only on `metrics.prometheus_addr` (its own listener, loopback unless configured otherwise), never on
//! the public port.

use std::fmt::Write;

use super::{Event, HistogramTotals, LATENCY_BOUNDS_MS, RouteClass, STATUS_CLASSES, Totals};

const PREFIX: &str = "ritual_roast";

/// `LeadsAccepted` → `leads_accepted`.
fn snake(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn histogram(out: &mut String, name: &str, label: &str, (buckets, sum_micros): &HistogramTotals) {
    let mut cumulative = 0;
    for (bound, n) in LATENCY_BOUNDS_MS.iter().zip(buckets) {
        cumulative += n;
        let le = *bound as f64 / 1000.0;
        let _ = writeln!(
            out,
            "{PREFIX}_{name}_bucket{{{label}le=\"{le}\"}} {cumulative}"
        );
    }
    cumulative += buckets[LATENCY_BOUNDS_MS.len()];
    let _ = writeln!(
        out,
        "{PREFIX}_{name}_bucket{{{label}le=\"+Inf\"}} {cumulative}"
    );
    let labels = match label.trim_end_matches(',') {
        "" => String::new(),
        some => format!("{{{some}}}"),
    };
    let _ = writeln!(
        out,
        "{PREFIX}_{name}_sum{labels} {}",
        *sum_micros as f64 / 1e6
    );
    let _ = writeln!(out, "{PREFIX}_{name}_count{labels} {cumulative}");
}

pub fn render(totals: &Totals) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# HELP {PREFIX}_requests_total Answered requests by route class and status class."
    );
    let _ = writeln!(out, "# TYPE {PREFIX}_requests_total counter");
    for (c, class) in RouteClass::ALL.iter().enumerate() {
        for (s, status) in STATUS_CLASSES.iter().enumerate() {
            let _ = writeln!(
                out,
                "{PREFIX}_requests_total{{route_class=\"{}\",status=\"{status}\"}} {}",
                class.name(),
                totals.requests[c][s]
            );
        }
    }
    let _ = writeln!(
        out,
        "# HELP {PREFIX}_request_duration_seconds Time to answer, by route class."
    );
    let _ = writeln!(out, "# TYPE {PREFIX}_request_duration_seconds histogram");
    for (c, class) in RouteClass::ALL.iter().enumerate() {
        let label = format!("route_class=\"{}\",", class.name());
        histogram(
            &mut out,
            "request_duration_seconds",
            &label,
            &totals.latency[c],
        );
    }
    for (e, event) in Event::ALL.iter().enumerate() {
        let name = snake(event.name());
        let _ = writeln!(out, "# TYPE {PREFIX}_{name}_total counter");
        let _ = writeln!(out, "{PREFIX}_{name}_total {}", totals.events[e]);
    }
    let _ = writeln!(
        out,
        "# HELP {PREFIX}_db_pool_wait_seconds Time a request waited for a database connection."
    );
    let _ = writeln!(out, "# TYPE {PREFIX}_db_pool_wait_seconds histogram");
    histogram(&mut out, "db_pool_wait_seconds", "", &totals.pool_wait);
    for (name, value) in [
        ("db_pool_in_use", totals.pool.in_use),
        ("db_pool_size", totals.pool.size),
        ("db_pool_max", totals.pool.max),
    ] {
        let _ = writeln!(out, "# TYPE {PREFIX}_{name} gauge");
        let _ = writeln!(out, "{PREFIX}_{name} {value}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{PoolGauges, totals};

    #[test]
    fn the_text_format_has_counters_histograms_and_gauges() {
        let mut t = totals(PoolGauges {
            in_use: 1,
            size: 3,
            max: 10,
        });
        t.requests[0][0] = 5;
        t.latency[0].0 = [1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
        let text = render(&t);
        assert!(
            text.contains(
                "ritual_roast_requests_total{route_class=\"public_page\",status=\"2xx\"} 5"
            )
        );
        assert!(text.contains("ritual_roast_request_duration_seconds_bucket{route_class=\"public_page\",le=\"0.005\"} 3"));
        assert!(text.contains("ritual_roast_request_duration_seconds_bucket{route_class=\"public_page\",le=\"+Inf\"} 4"));
        assert!(text.contains(
            "ritual_roast_request_duration_seconds_count{route_class=\"public_page\"} 4"
        ));
        assert!(text.contains("ritual_roast_leads_accepted_total "));
        assert!(text.contains("ritual_roast_db_pool_in_use 1"));
        assert!(text.contains("ritual_roast_db_pool_wait_seconds_count 0"));
    }
}

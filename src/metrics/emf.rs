//! CloudWatch Embedded Metric Format: every flush writes what changed since the last one as JSON lines on
//! stdout, beside the logs. One record per route class that saw traffic (dimension `RouteClass`) and one
//! app-wide record (no dimension). The awslogs driver ships them; CloudWatch extracts the metrics.

use std::time::Duration;

use serde_json::{Map, Value, json};

use super::{Event, HistogramTotals, LATENCY_BOUNDS_MS, RouteClass, STATUS_CLASSES, Totals};

/// The value a distribution reports for a bucket: its upper bound (the open last bucket: 10 s).
fn bucket_values() -> Vec<u64> {
    let mut values = LATENCY_BOUNDS_MS.to_vec();
    values.push(10_000);
    values
}

/// What a histogram observed between two readings, in EMF's values/counts form; `None` when nothing.
fn distribution_between(before: &HistogramTotals, after: &HistogramTotals) -> Option<Value> {
    let buckets: Vec<u64> = after.0.iter().zip(&before.0).map(|(a, b)| a - b).collect();
    distribution(&buckets, after.1 - before.1)
}

/// A latency distribution in EMF's values/counts form, or `None` when nothing was observed.
fn distribution(buckets: &[u64], sum_micros: u64) -> Option<Value> {
    let count: u64 = buckets.iter().sum();
    if count == 0 {
        return None;
    }
    let values = bucket_values();
    let (mut kept_values, mut kept_counts) = (Vec::new(), Vec::new());
    for (value, n) in values.iter().zip(buckets) {
        if *n > 0 {
            kept_values.push(*value);
            kept_counts.push(*n);
        }
    }
    Some(json!({
        "Values": kept_values,
        "Counts": kept_counts,
        "Sum": sum_micros as f64 / 1000.0,
        "Count": count,
        "Min": kept_values.first(),
        "Max": kept_values.last(),
    }))
}

fn record(
    namespace: &str,
    now_ms: i64,
    dimensions: &[&str],
    fields: Map<String, Value>,
    units: &[(&str, &str)],
) -> Value {
    let metrics: Vec<Value> = units
        .iter()
        .filter(|(name, _)| fields.contains_key(*name))
        .map(|(name, unit)| json!({"Name": name, "Unit": unit}))
        .collect();
    let mut out = Map::new();
    out.insert(
        "_aws".into(),
        json!({
            "Timestamp": now_ms,
            "CloudWatchMetrics": [{
                "Namespace": namespace,
                "Dimensions": [dimensions],
                "Metrics": metrics,
            }],
        }),
    );
    out.extend(fields);
    Value::Object(out)
}

/// The records for what happened between `before` and `after`.
pub fn records(namespace: &str, now_ms: i64, before: &Totals, after: &Totals) -> Vec<Value> {
    let mut out = Vec::new();
    for (c, class) in RouteClass::ALL.iter().enumerate() {
        let by_status: Vec<u64> = (0..4)
            .map(|s| after.requests[c][s] - before.requests[c][s])
            .collect();
        let total: u64 = by_status.iter().sum();
        if total == 0 {
            continue;
        }
        let mut fields = Map::new();
        fields.insert("RouteClass".into(), json!(class.name()));
        fields.insert("Requests".into(), json!(total));
        for (status, n) in STATUS_CLASSES.iter().zip(&by_status) {
            fields.insert(format!("Requests{status}"), json!(n));
        }
        if let Some(latency) = distribution_between(&before.latency[c], &after.latency[c]) {
            fields.insert("Latency".into(), latency);
        }
        let units = [
            ("Requests", "Count"),
            ("Requests2xx", "Count"),
            ("Requests3xx", "Count"),
            ("Requests4xx", "Count"),
            ("Requests5xx", "Count"),
            ("Latency", "Milliseconds"),
        ];
        out.push(record(namespace, now_ms, &["RouteClass"], fields, &units));
    }
    let mut fields = Map::new();
    let mut units: Vec<(&str, &str)> = Vec::new();
    for (e, event) in Event::ALL.iter().enumerate() {
        fields.insert(
            event.name().into(),
            json!(after.events[e] - before.events[e]),
        );
        units.push((event.name(), "Count"));
    }
    fields.insert("DbPoolInUse".into(), json!(after.pool.in_use));
    fields.insert("DbPoolSize".into(), json!(after.pool.size));
    units.push(("DbPoolInUse", "Count"));
    units.push(("DbPoolSize", "Count"));
    if let Some(wait) = distribution_between(&before.pool_wait, &after.pool_wait) {
        fields.insert("DbPoolWait".into(), wait);
        units.push(("DbPoolWait", "Milliseconds"));
    }
    out.push(record(namespace, now_ms, &[], fields, &units));
    out
}

/// Writes the records every `every` until the process ends, one `write` call per record (one JSON line,
/// no newline). `gauges` reads the pool when a flush is due.
pub fn spawn(
    namespace: String,
    every: Duration,
    gauges: impl Fn() -> super::PoolGauges + 'static,
    write: fn(&str),
) {
    actix_web::rt::spawn(async move {
        let mut before = super::totals(gauges());
        let mut ticks = tokio::time::interval(every);
        ticks.tick().await;
        loop {
            ticks.tick().await;
            let after = super::totals(gauges());
            let now_ms = chrono::Utc::now().timestamp_millis();
            for record in records(&namespace, now_ms, &before, &after) {
                write(&record.to_string());
            }
            before = after;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{PoolGauges, totals};

    #[test]
    fn a_flush_reports_the_difference_with_units_and_dimensions() {
        let before = totals(PoolGauges::default());
        let mut after = before.clone();
        after.requests[1][0] += 3; // lead_post 2xx
        after.requests[1][2] += 1; // lead_post 4xx
        after.latency[1].0[3] += 4;
        after.latency[1].1 += 24_000;
        after.events[Event::LeadsAccepted as usize] += 3;
        after.pool = PoolGauges {
            in_use: 2,
            size: 5,
            max: 10,
        };
        let out = records("RitualRoast", 1_700_000_000_000, &before, &after);
        let lead = out
            .iter()
            .find(|r| r["RouteClass"] == "lead_post")
            .expect("a lead_post record");
        assert_eq!(lead["Requests"], 4);
        assert_eq!(lead["Requests4xx"], 1);
        assert_eq!(lead["Latency"]["Count"], 4);
        assert_eq!(lead["Latency"]["Values"], json!([10]));
        let meta = &lead["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(meta["Namespace"], "RitualRoast");
        assert_eq!(meta["Dimensions"], json!([["RouteClass"]]));
        let app = out.last().unwrap();
        assert_eq!(app["LeadsAccepted"], 3);
        assert_eq!(app["DbPoolInUse"], 2);
        for metric in app["_aws"]["CloudWatchMetrics"][0]["Metrics"]
            .as_array()
            .unwrap()
        {
            assert!(
                app.get(metric["Name"].as_str().unwrap()).is_some(),
                "{metric} has a value"
            );
        }
        assert!(
            out.iter().all(|r| r["RouteClass"] != "admin"),
            "no record for classes without traffic"
        );
    }
}

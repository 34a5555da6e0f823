//! The served binary's metrics: after a scripted set of requests, the CloudWatch Embedded Metric Format
//! records in its log stream add up to exactly those requests, and the Prometheus listener (its own port)
//! agrees; with `metrics.emf = false` no record is written at all.

use std::time::{Duration, Instant};

use serde_json::Value;

#[path = "common/served.rs"]
mod served;

use served::{Served, sqlite_command};

fn emf_records(served: &Served) -> Vec<Value> {
    served
        .log_lines()
        .into_iter()
        .filter(|l| l.get("_aws").is_some())
        .collect()
}

/// The sum of `field` over the records of one route class (or the app-wide ones, for `None`).
fn sum(records: &[Value], class: Option<&str>, field: &str) -> u64 {
    records
        .iter()
        .filter(|r| r.get("RouteClass").and_then(Value::as_str) == class)
        .filter_map(|r| r.get(field).and_then(Value::as_u64))
        .sum()
}

fn lead(valid: bool) -> Vec<(&'static str, &'static str)> {
    let email = if valid { "metrics@example.com" } else { "nope" };
    vec![
        ("name", "Emf Test"),
        ("email", email),
        ("interest", "beans"),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emf_records_and_prometheus_count_exactly_the_requests_made() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = sqlite_command(&dir);
    command
        .env("RR_METRICS__FLUSH_INTERVAL_SECS", "1")
        .env("RR_METRICS__PROMETHEUS_ADDR", "127.0.0.1:0")
        .env("RR_LEADS__RATE_LIMIT_PER_MINUTE", "1000")
        .env("RR_LEADS__RATE_LIMIT_BURST", "1000");
    let mut served = Served::start(command);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for _ in 0..3 {
        assert_eq!(
            http.get(served.url("/")).send().await.unwrap().status(),
            200
        );
    }
    for _ in 0..2 {
        assert_eq!(
            http.get(served.url("/health.html"))
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
    }
    for valid in [true, true, false] {
        let answer = http
            .post(served.url("/leads"))
            .header("Accept", "application/json")
            .form(&lead(valid))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), if valid { 201 } else { 422 });
    }
    assert_eq!(
        http.get(served.url("/admin"))
            .send()
            .await
            .unwrap()
            .status(),
        303
    );

    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let records = emf_records(&served);
        let done = sum(&records, Some("lead_post"), "Requests") >= 3
            && sum(&records, Some("admin"), "Requests") >= 1
            && sum(&records, Some("public_page"), "Requests") >= 3;
        if done {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no EMF records with the requests: {records:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // One more flush, so the counts are complete whichever second each request fell in.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let records = emf_records(&served);
    assert_eq!(sum(&records, Some("public_page"), "Requests2xx"), 3);
    assert_eq!(sum(&records, Some("health"), "Requests2xx"), 2);
    assert!(
        !served
            .log_lines()
            .iter()
            .any(|l| l["message"] == "request" && l["path"] == "/health.html"),
        "health checks are counted, not logged"
    );
    assert_eq!(sum(&records, Some("lead_post"), "Requests2xx"), 2);
    assert_eq!(sum(&records, Some("lead_post"), "Requests4xx"), 1);
    assert_eq!(sum(&records, Some("admin"), "Requests3xx"), 1);
    assert_eq!(sum(&records, None, "LeadsAccepted"), 2);
    assert_eq!(sum(&records, None, "LeadsRejected"), 1);
    let latency_count: u64 = records
        .iter()
        .filter(|r| r["RouteClass"] == "lead_post")
        .filter_map(|r| r["Latency"]["Count"].as_u64())
        .sum();
    assert_eq!(latency_count, 3, "every lead post has a latency sample");
    for record in &records {
        let meta = &record["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(meta["Namespace"], "RitualRoast");
        assert!(record["_aws"]["Timestamp"].as_i64().unwrap() > 1_700_000_000_000);
        for metric in meta["Metrics"].as_array().unwrap() {
            let name = metric["Name"].as_str().unwrap();
            assert!(record.get(name).is_some(), "{name} is declared and present");
        }
    }

    let port = served
        .log_lines()
        .iter()
        .find(|l| l["message"] == "metrics listening")
        .and_then(|l| l["port"].as_u64())
        .expect("the metrics listener logs its port");
    let text = http
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains("ritual_roast_leads_accepted_total 2"),
        "{text}"
    );
    assert!(
        text.contains("ritual_roast_requests_total{route_class=\"lead_post\",status=\"4xx\"} 1")
    );
    let public = http.get(served.url("/metrics")).send().await.unwrap();
    assert_eq!(public.status(), 404, "metrics are never on the public port");
    assert!(served.terminate().success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_emf_off_no_metric_record_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = sqlite_command(&dir);
    command
        .env("RR_METRICS__EMF", "false")
        .env("RR_METRICS__FLUSH_INTERVAL_SECS", "1");
    let mut served = Served::start(command);
    let http = reqwest::Client::new();
    assert_eq!(
        http.get(served.url("/")).send().await.unwrap().status(),
        200
    );
    // Three flush intervals' worth: with EMF on, two records would have been written by now.
    tokio::time::sleep(Duration::from_millis(3000)).await;
    assert!(served.terminate().success());
    assert!(emf_records(&served).is_empty());
    assert!(
        served.log_lines().iter().any(|l| l["message"] == "request"),
        "the log itself is written"
    );
}

use std::time::{Duration, Instant};

use crate::proxy::ChaosProxy;
use crate::served::Served;
use crate::support::{client, mysql, server};

const LEAD: &str = "name=Ana&email=ana%40example.com&interest=beans";

async fn post_lead(http: &reqwest::Client, port: u16) -> reqwest::Response {
    http.post(format!("http://127.0.0.1:{port}/leads"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Accept", "application/json")
        .body(LEAD)
        .send()
        .await
        .unwrap()
}

async fn status(http: &reqwest::Client, port: u16, path: &str) -> u16 {
    http.get(format!("http://127.0.0.1:{port}{path}"))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_outage_means_503s_and_a_healthy_health_page_then_recovery_without_restart() {
    let Some(db) = mysql() else { return };
    let (host, port) = db.host_port();
    let (name, _) = db.fresh_database().await;
    let proxy = ChaosProxy::start(host, port).await;
    let url = format!(
        "mysql://rr_admin:rr-admin-test-pw@127.0.0.1:{}/{name}",
        proxy.port
    );
    let mut command = server(&url);
    command
        .env("RR_DATABASE__CONNECT_TIMEOUT_SECS", "1")
        .env("RR_LEADS__RATE_LIMIT_PER_MINUTE", "1000")
        .env("RR_LEADS__RATE_LIMIT_BURST", "1000");
    let mut served = Served::start(command);
    let http_port = served.port;
    let http = client();
    assert_eq!(post_lead(&http, http_port).await.status().as_u16(), 201);

    proxy.cut();
    // Wait until the app has noticed (its readiness probe fails), not for a fixed time: a request racing
    // the cut may still get through, as on a real network.
    let deadline = Instant::now() + Duration::from_secs(15);
    while status(&http, http_port, "/readyz").await != 503 {
        assert!(
            Instant::now() < deadline,
            "/readyz still answers 200 15 s into the outage"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let during = post_lead(&http, http_port).await;
    let during_status = during.status().as_u16();
    let body: serde_json::Value = during.json().await.unwrap();
    assert_eq!(
        during_status, 503,
        "a DB-backed request during the outage is a clear 503: {body}"
    );
    assert!(body["message"].as_str().unwrap().contains("try again"));
    assert_eq!(status(&http, http_port, "/readyz").await, 503);
    assert_eq!(
        status(&http, http_port, "/health.html").await,
        200,
        "the ALB keeps the task"
    );

    proxy.restore();
    let deadline = Instant::now() + Duration::from_secs(15);
    while status(&http, http_port, "/readyz").await != 200 {
        assert!(
            Instant::now() < deadline,
            "the pool did not recover by itself"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(post_lead(&http, http_port).await.status().as_u16(), 201);
    assert_eq!(
        db.query_count(&format!("SELECT COUNT(*) FROM `{name}`.leads"))
            .await,
        2
    );
    served.terminate();
}

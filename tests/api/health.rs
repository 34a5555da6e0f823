use crate::helpers::{spawn_app, spawn_app_with};

#[actix_web::test]
async fn health_html_is_a_200_html_page() {
    let app = spawn_app().await;
    let response = app.get("/health.html").await;
    assert_eq!(response.status().as_u16(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert_eq!(response.headers()["cache-control"], "no-store");
}

#[actix_web::test]
async fn readyz_reports_ready_with_the_version_and_an_up_to_date_schema() {
    let app = spawn_app().await;
    let response = app.get("/readyz").await;
    assert_eq!(response.status().as_u16(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    let backend = std::env::var("RR_TEST_BACKEND").unwrap_or_else(|_| "sqlite".into());
    assert_eq!(
        body["backend"],
        backend.as_str(),
        "the suite runs on the backend it was asked for"
    );
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(body["migrations"]["up_to_date"], true);
    assert!(!body["migrations"]["expected"].as_str().unwrap().is_empty());
}

#[actix_web::test]
async fn every_response_carries_a_request_id_and_security_headers() {
    let app = spawn_app().await;
    let response = app.get("/").await;
    let headers = response.headers();
    assert_eq!(headers["x-request-id"].len(), 32);
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"));
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(headers.contains_key("referrer-policy"));
    assert!(
        !headers.contains_key("strict-transport-security"),
        "no HSTS over plain HTTP"
    );
}

#[actix_web::test]
async fn hsts_is_sent_when_the_load_balancer_says_the_visitor_used_https() {
    let app = spawn_app_with(&[("RR_SERVER__TRUSTED_PROXIES", "127.0.0.1")]).await;
    let response = app
        .client
        .get(app.url("/"))
        .header("X-Forwarded-Proto", "https")
        .send()
        .await
        .unwrap();
    assert!(
        response.headers()["strict-transport-security"]
            .to_str()
            .unwrap()
            .contains("max-age=")
    );
}

#[actix_web::test]
async fn an_unknown_path_is_a_friendly_404_page() {
    let app = spawn_app().await;
    let response = app.get("/no-such-page").await;
    assert_eq!(response.status().as_u16(), 404);
    assert!(response.text().await.unwrap().contains("Page not found"));
}

//! The app on the open internet: forged forwarding headers, slow bodies, HEAD. Each test failed on the code
//! before the fix it pins. Sign-in limits: `sign_in_limits.rs`; visitors' data: `lead_data.rs`.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::helpers::{
    STAFF_EMAIL, STAFF_PASSWORD, TestApp, encode, spawn_app, spawn_app_with, valid_form,
};

async fn post_lead_with_headers(app: &TestApp, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url("/leads"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Accept", "application/json")
        .body(encode(&valid_form()));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

#[actix_web::test]
async fn a_client_cannot_dodge_the_lead_rate_limit_by_writing_x_forwarded_for() {
    let app = spawn_app_with(&[
        ("RR_LEADS__RATE_LIMIT_PER_MINUTE", "1"),
        ("RR_LEADS__RATE_LIMIT_BURST", "1"),
    ])
    .await;
    let first = post_lead_with_headers(&app, &[("X-Forwarded-For", "203.0.113.1")]).await;
    assert_eq!(first.status().as_u16(), 201);
    let second = post_lead_with_headers(&app, &[("X-Forwarded-For", "203.0.113.2")]).await;
    assert_eq!(
        second.status().as_u16(),
        429,
        "no proxy is trusted by default, so the header is the client's own invention"
    );
    assert!(second.headers().contains_key("retry-after"));
}

#[actix_web::test]
async fn behind_a_trusted_proxy_the_rightmost_untrusted_address_across_header_lines_is_the_client()
{
    let app = spawn_app_with(&[
        ("RR_LEADS__RATE_LIMIT_PER_MINUTE", "1"),
        ("RR_LEADS__RATE_LIMIT_BURST", "1"),
        ("RR_SERVER__TRUSTED_PROXIES", "127.0.0.0/8"),
    ])
    .await;
    let from = async |xff: &str| {
        post_lead_with_headers(&app, &[("X-Forwarded-For", xff)])
            .await
            .status()
            .as_u16()
    };
    assert_eq!(from("203.0.113.1").await, 201);
    assert_eq!(from("203.0.113.2").await, 201);
    // A forged leftmost entry changes nothing: the proxy appended the real address on the right.
    assert_eq!(from("198.51.100.77, 203.0.113.1").await, 429);
    // Two header lines count as one list: the last line's entry is the client.
    let split = app
        .client
        .post(app.url("/leads"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Accept", "application/json")
        .header("X-Forwarded-For", "198.51.100.78")
        .header("X-Forwarded-For", "203.0.113.2")
        .body(encode(&valid_form()))
        .send()
        .await
        .unwrap();
    assert_eq!(split.status().as_u16(), 429);
}

#[actix_web::test]
async fn forwarded_host_and_proto_from_an_untrusted_peer_are_ignored() {
    let app = spawn_app().await;
    app.create_staff(STAFF_EMAIL, STAFF_PASSWORD).await;
    // A cross-site form post that names its own site as the "forwarded" host must still be refused.
    let forged = app
        .client
        .post(app.url("/admin/login"))
        .header("Origin", "http://evil.example")
        .header("X-Forwarded-Host", "evil.example")
        .header("Forwarded", "host=evil.example;proto=http")
        .form(&[("email", STAFF_EMAIL), ("password", STAFF_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status().as_u16(), 403);
    let page = app
        .client
        .get(app.url("/"))
        .header("X-Forwarded-Proto", "https")
        .send()
        .await
        .unwrap();
    assert!(
        !page.headers().contains_key("strict-transport-security"),
        "HSTS only when a trusted proxy says the visitor used HTTPS"
    );
}

#[actix_web::test]
async fn a_body_dripped_a_byte_at_a_time_gets_408_and_the_connection_is_closed() {
    let app = spawn_app_with(&[("RR_SERVER__REQUEST_TIMEOUT_SECS", "1")]).await;
    let address = app.address.trim_start_matches("http://").to_owned();
    let handle = std::thread::spawn(move || {
        let mut stream = TcpStream::connect(&address).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        stream
            .write_all(
                b"POST /leads HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\
                  Content-Length: 1000\r\n\r\n",
            )
            .unwrap();
        // Drip for up to 8 s: far past the 1 s deadline.
        for _ in 0..40 {
            if stream.write_all(b"a").is_err() {
                break;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        String::from_utf8_lossy(&answer).into_owned()
    });
    let answer = actix_web::rt::task::spawn_blocking(move || handle.join().unwrap())
        .await
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        answer.to_lowercase().contains("connection: close"),
        "{answer}"
    );
}

#[actix_web::test]
async fn every_get_route_answers_head_with_the_headers_and_no_body() {
    let app = spawn_app().await;
    for path in [
        "/health.html",
        "/",
        "/privacy",
        "/thanks",
        "/readyz",
        "/admin/login",
    ] {
        let get = app.get(path).await;
        let get_status = get.status();
        let get_length = get.bytes().await.unwrap().len();
        let head = app.client.head(app.url(path)).send().await.unwrap();
        assert_eq!(head.status(), get_status, "HEAD {path}");
        if let Some(length) = head.headers().get("content-length") {
            assert_eq!(
                length.to_str().unwrap(),
                get_length.to_string(),
                "HEAD {path}"
            );
        }
        assert!(
            head.bytes().await.unwrap().is_empty(),
            "HEAD {path} sent a body"
        );
    }
}

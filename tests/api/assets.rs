use crate::helpers::spawn_app;

fn stylesheet_url(html: &str) -> String {
    html.split(r#"rel="stylesheet" href=""#)
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned()
}

#[actix_web::test]
async fn hashed_asset_urls_are_immutable_and_typed() {
    let app = spawn_app().await;
    let css = stylesheet_url(&app.get("/").await.text().await.unwrap());
    assert!(
        css.starts_with("/assets/css/site.") && css.ends_with(".css"),
        "{css}"
    );
    let response = app.get(&css).await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/css; charset=utf-8"
    );
    assert!(
        response.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    assert!(response.headers().contains_key("etag"));
}

#[actix_web::test]
async fn a_matching_etag_gets_a_304_without_a_body() {
    let app = spawn_app().await;
    let css = stylesheet_url(&app.get("/").await.text().await.unwrap());
    let etag = app.get(&css).await.headers()["etag"].clone();
    let response = app
        .client
        .get(app.url(&css))
        .header("If-None-Match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 304);
    assert!(response.bytes().await.unwrap().is_empty());
}

#[actix_web::test]
async fn precompressed_variants_follow_accept_encoding() {
    let app = spawn_app().await;
    let css = stylesheet_url(&app.get("/").await.text().await.unwrap());
    let plain = app
        .client
        .get(app.url(&css))
        .header("Accept-Encoding", "identity")
        .send()
        .await
        .unwrap();
    assert!(!plain.headers().contains_key("content-encoding"));
    let plain_len = plain.bytes().await.unwrap().len();
    assert!(
        plain_len > 1000,
        "the stylesheet is large enough to have compressed variants"
    );
    for (accept, expected) in [
        ("gzip, deflate, br", "br"),
        ("gzip", "gzip"),
        ("br;q=0, gzip", "gzip"),
    ] {
        let r = app
            .client
            .get(app.url(&css))
            .header("Accept-Encoding", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.headers()["content-encoding"],
            expected,
            "for Accept-Encoding: {accept}"
        );
        assert_eq!(r.headers()["vary"], "Accept-Encoding");
        assert!(r.bytes().await.unwrap().len() < plain_len);
    }
}

#[actix_web::test]
async fn unknown_assets_are_404() {
    let app = spawn_app().await;
    assert_eq!(app.get("/assets/css/nope.css").await.status().as_u16(), 404);
}

/// Sends `target` byte for byte (an HTTP client would resolve `..` before sending) and returns the
/// status line and the body.
async fn raw_get(app: &crate::helpers::TestApp, target: &str) -> (String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(
            format!("GET {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )
        .await
        .unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let response = String::from_utf8_lossy(&response).into_owned();
    let status = response.lines().next().unwrap_or_default().to_owned();
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[actix_web::test]
async fn path_traversal_out_of_the_assets_is_never_served() {
    let app = spawn_app().await;
    // The control: the raw request reaches a real asset, so a 404 below is the traversal being refused.
    let css = stylesheet_url(&app.get("/").await.text().await.unwrap());
    let (status, _) = raw_get(&app, &css).await;
    assert!(status.starts_with("HTTP/1.1 200"), "{css}: {status}");
    for target in [
        "/assets/../Cargo.toml",
        "/assets/../../Cargo.toml",
        "/assets/css/../../Cargo.toml",
        "/assets/%2e%2e/Cargo.toml",
        "/assets/%2E%2E%2FCargo.toml",
        "/assets/..%2fCargo.toml",
        "/assets/..%5cCargo.toml",
        "/assets/../src/main.rs",
        "/assets//etc/passwd",
        "/assets/../../../../../../etc/passwd",
    ] {
        let (status, body) = raw_get(&app, target).await;
        assert!(
            status.starts_with("HTTP/1.1 404") || status.starts_with("HTTP/1.1 400"),
            "{target}: {status}"
        );
        assert!(
            !body.contains("[package]") && !body.contains("root:") && !body.contains("fn main"),
            "{target} leaked a file: {body}"
        );
    }
}

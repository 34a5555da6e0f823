//! The app on the open internet: forged forwarding headers, lockouts, slow bodies, HEAD, CSV injection,
//! contact links, form-token reuse and erasure. Each test failed on the code before the fix it pins.

use std::io::{Read, Write};
use std::net::{IpAddr, TcpStream};
use std::time::Duration;

use reqwest::redirect::Policy;

use crate::helpers::{
    STAFF_EMAIL, STAFF_PASSWORD, TestApp, encode, spawn_app, spawn_app_with, valid_form, with,
};

/// A client whose connections come from `ip` (any 127.x.y.z is this machine on Linux).
fn client_from(ip: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .cookie_store(true)
        .local_address(ip.parse::<IpAddr>().unwrap())
        .build()
        .unwrap()
}

async fn login_with(
    app: &TestApp,
    client: &reqwest::Client,
    email: &str,
    password: &str,
) -> reqwest::Response {
    client
        .post(app.url("/admin/login"))
        .header("Origin", app.origin())
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .unwrap()
}

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
async fn a_guesser_on_another_address_cannot_lock_the_owner_out() {
    let app = spawn_app().await;
    app.create_staff(STAFF_EMAIL, STAFF_PASSWORD).await;
    let guesser = client_from("127.0.0.2");
    let mut statuses = Vec::new();
    for _ in 0..8 {
        statuses.push(
            login_with(&app, &guesser, STAFF_EMAIL, "wrong guess number")
                .await
                .status()
                .as_u16(),
        );
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 401).count(),
        5,
        "{statuses:?}"
    );
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
    let owner = client_from("127.0.0.3");
    let response = login_with(&app, &owner, STAFF_EMAIL, STAFF_PASSWORD).await;
    assert_eq!(
        response.status().as_u16(),
        303,
        "the owner signs in from her own address"
    );
}

#[actix_web::test]
async fn a_distributed_guesser_gets_a_bounded_number_of_guesses_and_the_owners_known_device_still_signs_in()
 {
    let app = spawn_app_with(&[("RR_ADMIN__LOGIN_MAX_FAILURES_PER_ACCOUNT", "4")]).await;
    app.create_staff(STAFF_EMAIL, STAFF_PASSWORD).await;
    // The owner signed in on this laptop before: it carries the encrypted known-device cookie.
    let laptop = client_from("127.0.0.10");
    assert_eq!(
        login_with(&app, &laptop, STAFF_EMAIL, STAFF_PASSWORD)
            .await
            .status()
            .as_u16(),
        303
    );
    let mut checked = 0;
    for i in 0..12 {
        let guesser = client_from(&format!("127.0.1.{}", i + 1));
        match login_with(&app, &guesser, STAFF_EMAIL, "another wrong guess")
            .await
            .status()
            .as_u16()
        {
            401 => checked += 1,
            429 => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(
        checked, 4,
        "only the account-wide number of guesses reached the password check"
    );
    let stranger = client_from("127.0.2.1");
    assert_eq!(
        login_with(&app, &stranger, STAFF_EMAIL, STAFF_PASSWORD)
            .await
            .status()
            .as_u16(),
        429,
        "an unknown device waits out the window, even with the right password"
    );
    assert_eq!(
        login_with(&app, &laptop, STAFF_EMAIL, STAFF_PASSWORD)
            .await
            .status()
            .as_u16(),
        303,
        "the owner's known device is never locked out by strangers"
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

#[actix_web::test]
async fn the_same_form_token_with_a_different_enquiry_stores_both() {
    let app = spawn_app().await;
    let first = valid_form();
    let token = first
        .iter()
        .find(|(k, _)| *k == "form_token")
        .unwrap()
        .1
        .clone();
    let first_id = app.submit_lead(&first).await;
    // Back, edit, send: same token, new message.
    let mut edited = with("message", "Actually, a grinder too.");
    edited.retain(|(k, _)| *k != "form_token");
    edited.push(("form_token", token));
    let second_id = app.submit_lead(&edited).await;
    assert_ne!(first_id, second_id, "the edited enquiry was dropped");
    assert_eq!(
        app.submit_lead(&edited).await,
        second_id,
        "an identical resend is still one lead"
    );
    assert_eq!(app.lead_count().await, 2);
}

#[actix_web::test]
async fn a_leads_email_cannot_inject_recipients_into_the_staff_mailto_link() {
    let app = spawn_app().await;
    app.signed_in().await;
    let id = app
        .submit_lead(&with("email", "x?bcc=everyone@example.com"))
        .await;
    let html = app
        .get(&format!("/admin/leads/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(r#"href="mailto:x%3Fbcc%3Deveryone@example.com""#),
        "{html}"
    );
    assert!(!html.contains("mailto:x?bcc"));
    assert!(
        html.contains(r#"href="tel:+442079460958""#),
        "phones are tel: links"
    );
}

#[actix_web::test]
async fn the_csv_export_quotes_every_cell_starts_with_a_bom_and_keeps_phones_readable() {
    let app = spawn_app().await;
    app.signed_in().await;
    let mut form = with("name", "Zoë; =1+1");
    form.retain(|(k, _)| *k != "message");
    form.push(("message", "-2+3;cmd".into()));
    app.submit_lead(&form).await;
    let body = app
        .get("/admin/leads/export.csv")
        .await
        .bytes()
        .await
        .unwrap();
    assert!(
        body.starts_with("\u{FEFF}".as_bytes()),
        "UTF-8 BOM for Excel"
    );
    let text = String::from_utf8(body.to_vec()).unwrap();
    let row = text.lines().nth(1).unwrap();
    assert!(row.starts_with('"') && row.ends_with('"'), "{row}");
    assert!(row.contains(r#""Zoë; =1+1""#), "{row}");
    assert!(row.contains(r#""'-2+3;cmd""#), "{row}");
    assert!(row.contains(r#"" +44 20 7946 0958""#), "{row}");
}

#[actix_web::test]
async fn deleting_a_lead_erases_the_persons_email_from_the_history_too() {
    let app = spawn_app().await;
    app.signed_in().await;
    let id = app
        .submit_lead(&with("email", "erase.me@example.com"))
        .await;
    let response = app
        .admin_post(&format!("/admin/leads/{id}/delete"), &[])
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let history = ritual_roast::db::lead_changes::history(&app.db, id)
        .await
        .unwrap();
    assert!(history.iter().any(|event| event.action == "deleted"));
    assert!(
        history
            .iter()
            .all(|event| !event.detail.contains("erase.me")),
        "{history:?}"
    );
}

#[actix_web::test]
async fn staff_change_their_password_only_to_a_strong_one_and_are_signed_out_everywhere() {
    let app = spawn_app().await;
    app.signed_in().await;
    let change = |current: &str, new: &str, confirm: &str| {
        [
            ("current", current.to_owned()),
            ("new", new.to_owned()),
            ("confirm", confirm.to_owned()),
        ]
    };
    let path = "/admin/account/password";
    assert_eq!(app.get(path).await.status().as_u16(), 200);
    let wrong_current = app
        .admin_post(
            path,
            &change(
                "not my password",
                "kettle umbrella sonnet",
                "kettle umbrella sonnet",
            ),
        )
        .await;
    assert_eq!(wrong_current.status().as_u16(), 422);
    for weak in ["            ", "password1234"] {
        let refused = app
            .admin_post(path, &change(STAFF_PASSWORD, weak, weak))
            .await;
        assert_eq!(refused.status().as_u16(), 422, "{weak:?} accepted");
    }
    let changed = app
        .admin_post(
            path,
            &change(
                STAFF_PASSWORD,
                "kettle umbrella sonnet",
                "kettle umbrella sonnet",
            ),
        )
        .await;
    assert_eq!(changed.status().as_u16(), 303);
    assert_eq!(
        app.get("/admin/leads").await.status().as_u16(),
        303,
        "the old session ended"
    );
    assert_eq!(
        app.login(STAFF_EMAIL, STAFF_PASSWORD)
            .await
            .status()
            .as_u16(),
        401
    );
    assert_eq!(
        app.login(STAFF_EMAIL, "kettle umbrella sonnet")
            .await
            .status()
            .as_u16(),
        303
    );
}

#[actix_web::test]
async fn the_setup_link_stops_working_when_it_expires() {
    let app = spawn_app_with(&[("RR_ADMIN__SETUP_TOKEN_TTL_MINS", "0")]).await;
    let token = "expired-token-for-the-test";
    ritual_roast::db::staff::take_secret(
        &app.db,
        "setup_token",
        &ritual_roast::db::staff::get_secret(&app.db, "setup_token")
            .await
            .unwrap()
            .unwrap(),
    )
    .await
    .unwrap();
    let hash = ritual_roast::admin::session::token_hash(token);
    ritual_roast::db::staff::secret_or_insert(&app.db, "setup_token", || hash.clone())
        .await
        .unwrap();
    let page = app.get(&format!("/admin/setup?token={token}")).await;
    assert_eq!(
        page.status().as_u16(),
        404,
        "a zero-minute link is already expired"
    );
}

#[actix_web::test]
async fn one_address_guessing_across_many_accounts_hits_the_per_client_limit() {
    let app = spawn_app_with(&[("RR_ADMIN__LOGIN_MAX_FAILURES_PER_CLIENT", "4")]).await;
    app.create_staff(STAFF_EMAIL, STAFF_PASSWORD).await;
    let sprayer = client_from("127.0.0.4");
    let mut statuses = Vec::new();
    for i in 0..6 {
        let email = format!("someone{i}@example.com");
        statuses.push(
            login_with(&app, &sprayer, &email, "a wrong password")
                .await
                .status()
                .as_u16(),
        );
    }
    assert_eq!(
        statuses,
        [401, 401, 401, 401, 429, 429],
        "one guess per account, many accounts"
    );
    let owner = client_from("127.0.0.5");
    assert_eq!(
        login_with(&app, &owner, STAFF_EMAIL, STAFF_PASSWORD)
            .await
            .status()
            .as_u16(),
        303,
        "other addresses are not affected"
    );
}

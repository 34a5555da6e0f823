//! Sign-in limits and staff accounts: a guesser cannot lock the owner out, distributed guessing is bounded,
//! passwords change only to strong ones, the setup link expires. Each test failed on the code before its fix.

use std::net::IpAddr;

use reqwest::redirect::Policy;

use crate::helpers::{STAFF_EMAIL, STAFF_PASSWORD, TestApp, spawn_app, spawn_app_with};

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
    ritual_roast::db::app_secrets::take_secret(
        &app.db,
        "setup_token",
        &ritual_roast::db::app_secrets::get_secret(&app.db, "setup_token")
            .await
            .unwrap()
            .unwrap(),
    )
    .await
    .unwrap();
    let hash = ritual_roast::admin::session::token_hash(token);
    ritual_roast::db::app_secrets::secret_or_insert(&app.db, "setup_token", || hash.clone())
        .await
        .unwrap();
    let page = app.get(&format!("/admin/setup?token={token}")).await;
    assert_eq!(
        page.status().as_u16(),
        404,
        "a zero-minute link is already expired"
    );
}

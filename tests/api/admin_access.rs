use ritual_roast::admin::ROUTES;

use crate::helpers::{
    STAFF_EMAIL, STAFF_PASSWORD, assert_is_redirect_to, spawn_app, spawn_app_with,
    spawn_second_task, valid_form,
};

#[actix_web::test]
async fn every_admin_route_denies_an_anonymous_request_and_does_nothing() {
    let app = spawn_app().await;
    let id = app.submit_lead(&valid_form()).await;
    for (method, path) in ROUTES {
        let path = path.replace("{id}", &id.to_string());
        let response = match *method {
            "GET" => app.get(&path).await,
            _ => app
                .client
                .post(app.url(&path))
                .header("Origin", app.origin())
                .form(&[
                    ("ids", id.to_string()),
                    ("action", "delete".into()),
                    ("confirm", "yes".into()),
                    ("status", "won".into()),
                    ("body", "x".into()),
                    ("version", "1".into()),
                ])
                .send()
                .await
                .unwrap(),
        };
        // Reads and forms alike are sent to sign in (a form's input is kept for after it); none acts.
        assert_eq!(response.status().as_u16(), 303, "{method} {path}");
        assert!(
            response.headers()["location"]
                .to_str()
                .unwrap()
                .starts_with("/admin/login?next="),
            "{method} {path}"
        );
    }
    let lead = ritual_roast::db::leads::find(&app.db, id)
        .await
        .unwrap()
        .expect("nothing was deleted");
    assert_eq!(lead.status.as_str(), "new", "nothing was edited");
    let notes = ritual_roast::db::lead_notes::of_lead(&app.db, id)
        .await
        .unwrap();
    assert!(notes.is_empty(), "no note was added");
}

#[actix_web::test]
async fn the_right_password_signs_in_and_the_wrong_one_does_not() {
    let app = spawn_app().await;
    app.create_staff(STAFF_EMAIL, STAFF_PASSWORD).await;
    let wrong = app.login(STAFF_EMAIL, "not the password at all").await;
    assert_eq!(wrong.status().as_u16(), 401);
    assert!(wrong.text().await.unwrap().contains("do not match"));
    assert_eq!(
        app.get("/admin").await.status().as_u16(),
        303,
        "still anonymous"
    );
    assert_is_redirect_to(&app.login(STAFF_EMAIL, STAFF_PASSWORD).await, "/admin");
    let dashboard = app.get("/admin").await;
    assert_eq!(dashboard.status().as_u16(), 200);
    assert_eq!(dashboard.headers()["cache-control"], "no-store");
}

#[actix_web::test]
async fn the_session_cookie_is_encrypted_http_only_strict_and_scoped_to_admin() {
    // Loopback stands in for the ALB, so its X-Forwarded-Proto counts.
    let app = spawn_app_with(&[("RR_SERVER__TRUSTED_PROXIES", "127.0.0.1")]).await;
    app.create_staff(STAFF_EMAIL, STAFF_PASSWORD).await;
    let response = app.login(STAFF_EMAIL, STAFF_PASSWORD).await;
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with("rr_staff="));
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/admin"] {
        assert!(
            cookie.contains(attribute),
            "{attribute} missing in {cookie}"
        );
    }
    assert!(!cookie.contains("Secure"), "plain HTTP in tests");
    let over_tls = app
        .client
        .post(app.url("/admin/login"))
        .header(
            "Origin",
            "https://".to_owned() + app.address.trim_start_matches("http://"),
        )
        .header("X-Forwarded-Proto", "https")
        .form(&[("email", STAFF_EMAIL), ("password", STAFF_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert!(
        over_tls.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Secure")
    );
}

#[actix_web::test]
async fn a_login_made_on_one_task_works_on_another_and_logout_ends_it_everywhere() {
    let first = spawn_app().await;
    let second = spawn_second_task(&first).await;
    first.create_staff(STAFF_EMAIL, STAFF_PASSWORD).await;
    // Sign in on the first task and carry the cookie by hand, as the ALB would without stickiness.
    let bare = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let login = bare
        .post(first.url("/admin/login"))
        .header("Origin", first.origin())
        .form(&[("email", STAFF_EMAIL), ("password", STAFF_PASSWORD)])
        .send()
        .await
        .unwrap();
    let cookie = login.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let on_second = bare
        .get(second.url("/admin/leads"))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(
        on_second.status().as_u16(),
        200,
        "the session key and the session live in the shared database"
    );
    let html = on_second.text().await.unwrap();
    let csrf = html
        .split(r#"name="csrf_token" value=""#)
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let logout = bare
        .post(second.url("/admin/logout"))
        .header("Cookie", &cookie)
        .header("Origin", second.origin())
        .form(&[("csrf_token", csrf)])
        .send()
        .await
        .unwrap();
    assert_is_redirect_to(&logout, "/admin/login");
    let replay = bare
        .get(first.url("/admin"))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(
        replay.status().as_u16(),
        303,
        "a logged-out cookie is dead on every task"
    );
}

#[actix_web::test]
async fn wrong_passwords_sent_all_at_once_are_throttled_like_one_after_another() {
    let app = spawn_app_with(&[("RR_ADMIN__LOGIN_MAX_FAILURES_PER_ACCOUNT", "3")]).await;
    app.create_staff(STAFF_EMAIL, STAFF_PASSWORD).await;
    let answers =
        futures_util::future::join_all((0..12).map(|_| app.login(STAFF_EMAIL, "wrong password!!")))
            .await;
    let statuses: Vec<u16> = answers.iter().map(|a| a.status().as_u16()).collect();
    let checked = statuses.iter().filter(|s| **s == 401).count();
    assert!(
        checked <= 3,
        "only the allowed number of passwords is checked: {statuses:?}"
    );
    assert_eq!(
        checked + statuses.iter().filter(|s| **s == 429).count(),
        12,
        "every other attempt is refused: {statuses:?}"
    );
    // Attempts refused in the burst are not counted (the wait ends when the checked ones leave the
    // window), so one after another exactly the rest of the allowance is checked, then 429.
    let mut later = Vec::new();
    loop {
        let status = app
            .login(STAFF_EMAIL, "wrong password!!")
            .await
            .status()
            .as_u16();
        later.push(status);
        if status != 401 || later.len() > 3 {
            break;
        }
    }
    assert_eq!(
        later.last(),
        Some(&429),
        "the limit is reached: burst {statuses:?}, then {later:?}"
    );
    assert_eq!(
        checked + later.len() - 1,
        3,
        "exactly 3 passwords were checked in all: burst {statuses:?}, then {later:?}"
    );
    assert_eq!(
        app.login(STAFF_EMAIL, STAFF_PASSWORD)
            .await
            .status()
            .as_u16(),
        429,
        "the limit holds afterwards, even for the right password"
    );
}

#[actix_web::test]
async fn an_overlong_email_is_a_failed_sign_in_not_a_server_error() {
    let app = spawn_app().await;
    let email = format!("{}@example.com", "a".repeat(300));
    assert_eq!(app.login(&email, "whatever").await.status().as_u16(), 401);
}

#[actix_web::test]
async fn repeated_failures_are_throttled_per_account_across_tasks() {
    let first = spawn_app_with(&[("RR_ADMIN__LOGIN_MAX_FAILURES_PER_ACCOUNT", "3")]).await;
    first.create_staff(STAFF_EMAIL, STAFF_PASSWORD).await;
    for _ in 0..3 {
        assert_eq!(
            first
                .login(STAFF_EMAIL, "wrong password!!")
                .await
                .status()
                .as_u16(),
            401
        );
    }
    let throttled = first.login(STAFF_EMAIL, STAFF_PASSWORD).await;
    assert_eq!(
        throttled.status().as_u16(),
        429,
        "even the right password waits"
    );
    assert!(
        throttled.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            > 0
    );
    let second = spawn_second_task(&first).await;
    // The second task uses the default limit (5): 3 stored failures + 2 more reach it.
    for _ in 0..2 {
        second.login(STAFF_EMAIL, "wrong password!!").await;
    }
    assert_eq!(
        second
            .login(STAFF_EMAIL, STAFF_PASSWORD)
            .await
            .status()
            .as_u16(),
        429,
        "the count is shared"
    );
}

#[actix_web::test]
async fn a_disabled_account_cannot_sign_in_and_loses_its_sessions() {
    let app = spawn_app().await;
    app.signed_in().await;
    assert!(
        ritual_roast::db::staff::set_disabled(&app.db, STAFF_EMAIL, true)
            .await
            .unwrap()
    );
    assert_eq!(app.get("/admin").await.status().as_u16(), 303);
    assert_eq!(
        app.login(STAFF_EMAIL, STAFF_PASSWORD)
            .await
            .status()
            .as_u16(),
        401
    );
}

#[actix_web::test]
async fn after_sign_in_next_never_leads_off_site_nor_breaks_the_redirect() {
    let app = spawn_app().await;
    app.create_staff(STAFF_EMAIL, STAFF_PASSWORD).await;
    for next in [
        "https://evil.example/",
        "/admin\n",
        "/admin\r\nSet-Cookie: x=1",
    ] {
        let response = app
            .client
            .post(app.url("/admin/login"))
            .header("Origin", app.origin())
            .form(&[
                ("email", STAFF_EMAIL),
                ("password", STAFF_PASSWORD),
                ("next", next),
            ])
            .send()
            .await
            .unwrap();
        assert_is_redirect_to(&response, "/admin");
    }
}

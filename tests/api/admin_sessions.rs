//! Staff session expiry: idle and absolute limits, from the defaults and from configuration. The test ages
//! the session row in the database (the only clock the guard reads besides its own) rather than waiting.

use chrono::{Duration, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use ritual_roast::db::DbResult;
use ritual_roast::db::schema::staff_sessions;

use crate::helpers::{
    STAFF_EMAIL, STAFF_PASSWORD, TestApp, assert_is_redirect_to, spawn_app, spawn_app_with,
};

/// Moves every session's creation and last use into the past, as if time had passed.
async fn age_sessions(app: &TestApp, created_ago: Duration, last_seen_ago: Duration) {
    async fn update(
        app: &TestApp,
        created: chrono::NaiveDateTime,
        seen: chrono::NaiveDateTime,
    ) -> DbResult<usize> {
        ritual_roast::db_run!(&app.db, |conn| {
            Ok(diesel::update(staff_sessions::table)
                .set((
                    staff_sessions::created_at.eq(created),
                    staff_sessions::last_seen_at.eq(seen),
                ))
                .execute(conn)
                .await?)
        })
    }
    let now = Utc::now().naive_utc();
    let rows = update(app, now - created_ago, now - last_seen_ago)
        .await
        .unwrap();
    assert_eq!(rows, 1, "one signed-in session");
}

async fn session_rows(app: &TestApp) -> i64 {
    async fn count(app: &TestApp) -> DbResult<i64> {
        ritual_roast::db_run!(&app.db, |conn| {
            Ok(staff_sessions::table.count().get_result(conn).await?)
        })
    }
    count(app).await.unwrap()
}

/// 200 while the session is alive; a signed-out request is sent to the login page.
async fn dashboard_status(app: &TestApp) -> u16 {
    app.get("/admin").await.status().as_u16()
}

/// Checks one limit: `alive` still signs in, `dead` does not, and the dead session row is gone.
async fn expires_between(
    app: &TestApp,
    alive: (Duration, Duration),
    dead: (Duration, Duration),
    what: &str,
) {
    age_sessions(app, alive.0, alive.1).await;
    assert_eq!(
        dashboard_status(app).await,
        200,
        "{what}: still signed in at {alive:?}"
    );
    age_sessions(app, dead.0, dead.1).await;
    let response = app.get("/admin").await;
    assert_eq!(
        response.status().as_u16(),
        303,
        "{what}: signed out at {dead:?}"
    );
    assert!(
        response.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/admin/login"),
        "{what}"
    );
    assert_eq!(
        session_rows(app).await,
        0,
        "{what}: the expired session is deleted"
    );
}

#[actix_web::test]
async fn a_session_expires_after_30_idle_minutes() {
    let app = spawn_app().await;
    app.signed_in().await;
    let (m, created) = (Duration::minutes, Duration::minutes(40));
    expires_between(&app, (created, m(29)), (created, m(31)), "idle 30 min").await;
}

#[actix_web::test]
async fn a_session_in_constant_use_still_expires_12_hours_after_sign_in() {
    let app = spawn_app().await;
    app.signed_in().await;
    let (h, m) = (Duration::hours, Duration::minutes);
    expires_between(
        &app,
        (h(12) - m(2), m(0)),
        (h(12) + m(2), m(0)),
        "absolute 12 h",
    )
    .await;
}

#[actix_web::test]
async fn both_expiries_follow_the_configuration() {
    let app = spawn_app_with(&[
        ("RR_ADMIN__IDLE_TIMEOUT_MINS", "5"),
        ("RR_ADMIN__ABSOLUTE_TIMEOUT_HOURS", "1"),
    ])
    .await;
    app.signed_in().await;
    let m = Duration::minutes;
    expires_between(&app, (m(10), m(4)), (m(10), m(6)), "idle 5 min").await;
    assert_eq!(
        app.login(crate::helpers::STAFF_EMAIL, crate::helpers::STAFF_PASSWORD)
            .await
            .status()
            .as_u16(),
        303
    );
    expires_between(&app, (m(58), m(0)), (m(62), m(0)), "absolute 1 h").await;
}

#[actix_web::test]
async fn signing_out_says_so_on_the_sign_in_page_and_not_after_the_next_sign_in() {
    let app = spawn_app().await;
    app.signed_in().await;
    let logout = app.admin_post("/admin/logout", &[]).await;
    assert_is_redirect_to(&logout, "/admin/login");
    let login_page = app.get("/admin/login").await.text().await.unwrap();
    assert!(
        login_page.contains("You are signed out."),
        "the sign-in page the staff member lands on confirms it"
    );
    let again = app.login(STAFF_EMAIL, STAFF_PASSWORD).await;
    assert_is_redirect_to(&again, "/admin");
    let dashboard = app.get("/admin").await.text().await.unwrap();
    assert!(
        !dashboard.contains("You are signed out."),
        "a stale sign-out message must not greet the next session"
    );
}

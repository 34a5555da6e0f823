//! Erasure on request: `/admin/erase` (and `ritual-roast leads erase`, tests/process.rs) removes every row
//! holding the person's email address, audit history included, and leaves a tombstone naming nobody.

use crate::background::{NOTIFY_ENV, count, staff_role_browser, staff_wanting};
use crate::helpers::{spawn_app, spawn_app_with, with};

const PERSON: &str = "Erase.Me@Example.com";

/// Every text column of every table, searched for `needle` (case-insensitive).
async fn rows_mentioning(app: &crate::helpers::TestApp, needle: &str) -> Vec<String> {
    let tables = [
        ("leads", vec!["name", "email", "message", "form_token"]),
        ("lead_notes", vec!["body", "author"]),
        ("lead_events", vec!["detail", "actor"]),
        ("lead_search_terms", vec!["term"]),
        ("news_signups", vec!["email"]),
        ("login_attempts", vec!["email"]),
        ("notification_outbox", vec!["last_error"]),
        ("erasures", vec!["erased_by"]),
        ("job_runs", vec!["last_detail"]),
        ("staff_users", vec!["email", "display_name"]),
    ];
    let mut found = Vec::new();
    for (table, columns) in tables {
        for column in columns {
            let sql = format!(
                "SELECT COUNT(*) FROM {table} WHERE LOWER({column}) LIKE '%{}%'",
                needle.to_lowercase()
            );
            if count(app, &sql).await > 0 {
                found.push(format!("{table}.{column}"));
            }
        }
    }
    found
}

#[actix_web::test]
async fn erasing_an_email_leaves_no_trace_of_it_in_any_table_only_a_tombstone() {
    let app = spawn_app_with(NOTIFY_ENV).await;
    app.signed_in().await;
    staff_wanting(&app, "each@roast.example", "each").await;
    let first = app.submit_lead(&with("email", PERSON)).await;
    let second = app
        .submit_lead(&with("email", &PERSON.to_lowercase()))
        .await;
    let other = app.submit_lead(&with("email", "keep@example.com")).await;
    let note = [("body", format!("Wrote back to {PERSON}"))];
    app.admin_post(&format!("/admin/leads/{first}/notes"), &note)
        .await;
    let status = crate::lead_timeline::work_form("contacted", "", "", 1);
    let edited = app
        .admin_post(&format!("/admin/leads/{second}/edit"), &status)
        .await;
    assert_eq!(edited.status().as_u16(), 303);
    assert_eq!(
        count(
            &app,
            &format!("SELECT COUNT(*) FROM lead_events WHERE lead_id = {second}")
        )
        .await,
        1
    );
    app.client
        .post(app.url("/news"))
        .form(&[("email", PERSON), ("website", "")])
        .send()
        .await
        .unwrap();
    assert!(
        !rows_mentioning(&app, "erase.me").await.is_empty(),
        "the fixture holds the address"
    );

    let response = app
        .admin_post(
            "/admin/erase",
            &[("email", PERSON.into()), ("confirm", "yes".into())],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(
        rows_mentioning(&app, "erase.me").await,
        Vec::<String>::new()
    );
    for id in [first, second] {
        for (table, column) in [
            ("leads", "id"),
            ("lead_events", "lead_id"),
            ("lead_notes", "lead_id"),
            ("notification_outbox", "lead_id"),
            ("lead_search_terms", "lead_id"),
        ] {
            let left = count(
                &app,
                &format!("SELECT COUNT(*) FROM {table} WHERE {column} = {id}"),
            )
            .await;
            assert_eq!(left, 0, "{table} still holds lead {id}");
        }
    }
    assert_eq!(
        count(
            &app,
            &format!("SELECT COUNT(*) FROM leads WHERE id = {other}")
        )
        .await,
        1
    );
    let page = app.get("/admin/erase").await.text().await.unwrap();
    assert!(page.contains("2 lead(s), 1 news signup(s)"), "{page}");
    assert!(
        page.contains(crate::helpers::STAFF_EMAIL),
        "the tombstone names who erased"
    );
}

#[actix_web::test]
async fn erasure_wants_an_address_and_a_confirmation_and_is_for_admins_only() {
    let app = spawn_app().await;
    app.signed_in().await;
    let id = app.submit_lead(&with("email", PERSON)).await;
    let unconfirmed = app
        .admin_post("/admin/erase", &[("email", PERSON.into())])
        .await;
    assert_eq!(unconfirmed.status().as_u16(), 422);
    assert_eq!(
        count(&app, &format!("SELECT COUNT(*) FROM leads WHERE id = {id}")).await,
        1
    );
    let staff = staff_role_browser(&app).await;
    let refused = staff
        .admin_post(
            "/admin/erase",
            &[("email", PERSON.into()), ("confirm", "yes".into())],
        )
        .await;
    assert_eq!(refused.status().as_u16(), 403);
    assert_eq!(
        count(&app, &format!("SELECT COUNT(*) FROM leads WHERE id = {id}")).await,
        1
    );
}

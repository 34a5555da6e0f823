//! `/admin/account`: one's own display name and time zone (any role), and staff-facing times shown in
//! that zone afterwards. The password form (`/admin/account/password`) has its own tests.

use ritual_roast::db::{leads, news_signups, staff};
use ritual_roast::domain::{LeadEmail, StaffRole, TimeZone};

use crate::admin_staff::{MEMBER_EMAIL, member_with_role};
use crate::helpers::{assert_is_redirect_to, spawn_app, valid_form};

/// How a page writes the instant `utc` for someone in `zone` (e.g. "2026-12-04 09:05 EST").
fn local(utc: chrono::NaiveDateTime, zone: TimeZone) -> String {
    format!(
        "{} {}",
        zone.to_local(utc).format("%Y-%m-%d %H:%M"),
        zone.abbreviation(utc)
    )
}

#[actix_web::test]
async fn the_account_page_saves_the_time_zone_and_the_lead_pages_then_show_local_times() {
    let app = spawn_app().await;
    let id = app.submit_lead(&valid_form()).await;
    news_signups::add(&app.db, &LeadEmail::parse("news@example.com").unwrap())
        .await
        .unwrap();
    let member = member_with_role(&app, StaffRole::Staff).await;
    let page = member.get("/admin/account").await;
    assert_eq!(
        page.status().as_u16(),
        200,
        "every role has an account page"
    );
    let page = page.text().await.unwrap();
    assert!(
        page.contains(r#"<option value="Europe/London" selected>"#),
        "{page}"
    );
    assert!(page.contains(r#"href="/admin/account/password""#));
    let saved = member
        .admin_post(
            "/admin/account",
            &[
                ("display_name", "  Ana Barista ".into()),
                ("time_zone", "America/New_York".into()),
            ],
        )
        .await;
    assert_is_redirect_to(&saved, "/admin/account");
    let user = staff::find_user_by_email(&app.db, MEMBER_EMAIL)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (user.display_name.as_str(), user.time_zone),
        ("Ana Barista", TimeZone::NewYork)
    );
    let lead = leads::find(&app.db, id).await.unwrap().unwrap();
    let details = member
        .get(&format!("/admin/leads/{id}/details"))
        .await
        .text()
        .await
        .unwrap();
    let received = local(lead.created_at, TimeZone::NewYork);
    assert!(
        details.contains(&received),
        "{received} on the details page"
    );
    assert!(
        details.contains(
            &lead
                .created_at
                .format(r#"datetime="%Y-%m-%dT%H:%M:%SZ""#)
                .to_string()
        )
    );
    assert!(
        details.contains("Ana Barista"),
        "the frame shows the new name"
    );
    let (signups, _) = news_signups::newest(&app.db, 1).await.unwrap();
    let news = member.get("/admin/news").await.text().await.unwrap();
    let signed_up = local(signups[0].consent_at, TimeZone::NewYork);
    assert!(news.contains(&signed_up), "{signed_up} on the news page");
    let account = member.get("/admin/account").await.text().await.unwrap();
    assert!(account.contains(r#"<option value="America/New_York" selected>"#));
    assert!(account.contains(&local(user.created_at, TimeZone::NewYork)));
}

#[actix_web::test]
async fn an_unknown_time_zone_or_an_empty_name_is_refused_and_nothing_changes() {
    let app = spawn_app().await;
    app.signed_in().await;
    for (name, zone) in [("Ana", "Mars/Olympus_Mons"), ("   ", "Asia/Tokyo")] {
        let refused = app
            .admin_post(
                "/admin/account",
                &[("display_name", name.into()), ("time_zone", zone.into())],
            )
            .await;
        assert_eq!(refused.status().as_u16(), 422, "{name:?} {zone:?}");
        assert!(refused.text().await.unwrap().contains(r#"role="alert""#));
    }
    let me = staff::find_user_by_email(&app.db, crate::helpers::STAFF_EMAIL)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (me.display_name.as_str(), me.time_zone),
        ("Test Barista", TimeZone::London)
    );
}

#[actix_web::test]
async fn the_lead_page_list_timeline_and_dashboard_show_the_viewers_local_times() {
    let app = spawn_app().await;
    let id = app.submit_lead(&valid_form()).await;
    // Old enough to wait for a reply on the dashboard.
    let aged = format!("UPDATE leads SET created_at = '2026-01-05 15:30:00' WHERE id = {id}");
    app.execute_sql(&aged, &aged).await;
    let member = member_with_role(&app, StaffRole::Staff).await;
    member
        .admin_post(
            "/admin/account",
            &[
                ("display_name", "Tomo".into()),
                ("time_zone", "Asia/Tokyo".into()),
            ],
        )
        .await;
    member
        .admin_post(
            &format!("/admin/leads/{id}/notes"),
            &[("body", "Rang them".into())],
        )
        .await;
    let received = "2026-01-06 00:30 JST";
    for path in [
        format!("/admin/leads/{id}"),
        "/admin/leads".into(),
        "/admin".into(),
    ] {
        let html = member.get(&path).await.text().await.unwrap();
        assert!(html.contains(received), "{path} shows {received}");
        assert!(
            !html.contains(">2026-01-05 15:30"),
            "{path} shows no UTC time as text"
        );
    }
    let note = ritual_roast::db::lead_notes::of_lead(&app.db, id)
        .await
        .unwrap()
        .remove(0);
    let page = member
        .get(&format!("/admin/leads/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(&local(note.created_at, TimeZone::Tokyo)));
}

#[actix_web::test]
async fn a_staff_member_is_not_offered_deletion_or_the_export() {
    let app = spawn_app().await;
    let id = app.submit_lead(&valid_form()).await;
    let member = member_with_role(&app, StaffRole::Staff).await;
    let list = member.get("/admin/leads").await.text().await.unwrap();
    assert!(!list.contains("export.csv"), "no export link");
    assert!(!list.contains("value=\"delete\""), "no bulk delete");
    let page = member
        .get(&format!("/admin/leads/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(!page.contains("/delete\""), "no delete link");
}

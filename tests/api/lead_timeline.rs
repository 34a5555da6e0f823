//! Working one lead: notes as an append-only timeline with the status changes between them, an owner and
//! a follow-up date, and what happens when two people save the same lead.

use chrono::{Duration, Utc};

use crate::helpers::{TestApp, assert_is_redirect_to, spawn_app, valid_form};

/// The "work this lead" form: status, owner (a staff id or empty), follow-up date (or empty).
pub(crate) fn work_form(
    status: &str,
    owner: &str,
    follow_up: &str,
    version: i32,
) -> Vec<(&'static str, String)> {
    vec![
        ("status", status.to_owned()),
        ("owner", owner.to_owned()),
        ("follow_up_on", follow_up.to_owned()),
        ("version", version.to_string()),
    ]
}

pub(crate) async fn lead_page(app: &TestApp, id: i64) -> String {
    app.get(&format!("/admin/leads/{id}"))
        .await
        .text()
        .await
        .unwrap()
}

/// The signed-in staff member's id.
pub(crate) async fn my_id(app: &TestApp) -> i64 {
    ritual_roast::db::staff::find_user_by_email(&app.db, crate::helpers::STAFF_EMAIL)
        .await
        .unwrap()
        .unwrap()
        .id
}

fn timeline(html: &str) -> &str {
    html.split("data-testid=\"timeline\"")
        .nth(1)
        .expect("a timeline")
        .split("</ol>")
        .next()
        .unwrap()
}

#[actix_web::test]
async fn notes_are_added_to_a_timeline_newest_first_with_their_author_and_the_status_changes_between()
 {
    let app = spawn_app().await;
    app.signed_in().await;
    let id = app.submit_lead(&valid_form()).await;
    let notes = format!("/admin/leads/{id}/notes");
    let added = app
        .admin_post(&notes, &[("body", "Called, no answer".into())])
        .await;
    assert_is_redirect_to(&added, &format!("/admin/leads/{id}"));
    app.admin_post(
        &format!("/admin/leads/{id}/edit"),
        &work_form("contacted", "", "", 1),
    )
    .await;
    app.admin_post(
        &notes,
        &[("body", "Called back: wants 2 kg a month".into())],
    )
    .await;
    let page = lead_page(&app, id).await;
    let events = timeline(&page);
    let newest = events.find("wants 2 kg a month").expect("second note");
    let status = events.find("new → contacted").expect("status change");
    let oldest = events.find("Called, no answer").expect("first note");
    assert!(newest < status && status < oldest, "{events}");
    assert!(events.contains("Test Barista"), "notes name their author");
    assert!(
        !page.contains("id=\"notes\""),
        "the overwritable notes box is gone"
    );
}

#[actix_web::test]
async fn notes_need_no_version_so_two_people_adding_notes_at_once_both_keep_theirs() {
    let app = spawn_app().await;
    app.signed_in().await;
    let id = app.submit_lead(&valid_form()).await;
    let notes = format!("/admin/leads/{id}/notes");
    // Both had the page open before either saved: a note carries no version, so neither is refused.
    for body in ["Their call notes", "My visit notes"] {
        let added = app.admin_post(&notes, &[("body", body.into())]).await;
        assert_is_redirect_to(&added, &format!("/admin/leads/{id}"));
    }
    let page = lead_page(&app, id).await;
    assert!(timeline(&page).contains("Their call notes"));
    assert!(timeline(&page).contains("My visit notes"));
}

#[actix_web::test]
async fn an_empty_or_overlong_note_is_refused_with_the_input_kept() {
    let app = spawn_app().await;
    app.signed_in().await;
    let id = app.submit_lead(&valid_form()).await;
    let notes = format!("/admin/leads/{id}/notes");
    let empty = app.admin_post(&notes, &[("body", "   ".into())]).await;
    assert_eq!(empty.status().as_u16(), 422);
    assert!(empty.text().await.unwrap().contains("Write something"));
    let long = "x".repeat(5001);
    let refused = app.admin_post(&notes, &[("body", long.clone())]).await;
    assert_eq!(refused.status().as_u16(), 422);
    let html = refused.text().await.unwrap();
    assert!(html.contains("at most 5000"), "says the limit");
    assert!(html.contains(&long), "keeps what was typed");
}

#[actix_web::test]
async fn the_same_note_sent_twice_in_a_row_is_stored_once() {
    let app = spawn_app().await;
    app.signed_in().await;
    let id = app.submit_lead(&valid_form()).await;
    let notes = format!("/admin/leads/{id}/notes");
    for _ in 0..2 {
        app.admin_post(&notes, &[("body", "Left a voicemail".into())])
            .await;
    }
    let page = lead_page(&app, id).await;
    assert_eq!(
        timeline(&page).matches("Left a voicemail").count(),
        1,
        "a double click adds one note"
    );
}

#[actix_web::test]
async fn an_owner_and_a_follow_up_date_are_saved_and_recorded_in_the_history() {
    let app = spawn_app().await;
    app.signed_in().await;
    let me = my_id(&app).await;
    let id = app.submit_lead(&valid_form()).await;
    let day = (Utc::now() + Duration::days(3)).date_naive().to_string();
    let saved = app
        .admin_post(
            &format!("/admin/leads/{id}/edit"),
            &work_form("contacted", &me.to_string(), &day, 1),
        )
        .await;
    assert_is_redirect_to(&saved, &format!("/admin/leads/{id}"));
    let lead = ritual_roast::db::leads::find(&app.db, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(lead.owner_id, Some(me));
    assert_eq!(lead.follow_up_on.map(|d| d.to_string()), Some(day.clone()));
    let page = lead_page(&app, id).await;
    let events = timeline(&page);
    assert!(events.contains("owner: nobody → Test Barista"), "{events}");
    assert!(
        events.contains(&format!("follow-up: none → {day}")),
        "{events}"
    );
    let unknown = app
        .admin_post(
            &format!("/admin/leads/{id}/edit"),
            &work_form("contacted", "999999", &day, 2),
        )
        .await;
    assert_eq!(unknown.status().as_u16(), 422);
    let bad_day = app
        .admin_post(
            &format!("/admin/leads/{id}/edit"),
            &work_form("contacted", "", "next tuesday", 2),
        )
        .await;
    assert_eq!(bad_day.status().as_u16(), 422);
}

#[actix_web::test]
async fn a_stale_save_names_their_change_keeps_mine_and_saving_again_applies_it() {
    let app = spawn_app().await;
    app.signed_in().await;
    let id = app.submit_lead(&valid_form()).await;
    let path = format!("/admin/leads/{id}/edit");
    app.admin_post(&path, &work_form("contacted", "", "", 1))
        .await;
    let conflict = app
        .admin_post(&path, &work_form("qualified", "", "", 1))
        .await;
    assert_eq!(conflict.status().as_u16(), 409);
    let html = conflict.text().await.unwrap();
    assert!(
        html.contains("<option value=\"qualified\" selected>"),
        "my chosen status is kept, not replaced by theirs"
    );
    assert!(html.contains("\"contacted\""), "their status is named");
    assert!(html.contains("name=\"version\" value=\"2\""));
    let again = app
        .admin_post(&path, &work_form("qualified", "", "", 2))
        .await;
    assert_is_redirect_to(&again, &format!("/admin/leads/{id}"));
    let lead = ritual_roast::db::leads::find(&app.db, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(lead.status.as_str(), "qualified");
}

#[actix_web::test]
async fn deleting_a_lead_deletes_its_notes_too() {
    let app = spawn_app().await;
    app.signed_in().await;
    let id = app.submit_lead(&valid_form()).await;
    app.admin_post(
        &format!("/admin/leads/{id}/notes"),
        &[("body", "Lives at 4 Privet Drive".into())],
    )
    .await;
    app.admin_post(&format!("/admin/leads/{id}/delete"), &[])
        .await;
    let left = ritual_roast::db::lead_notes::of_lead(&app.db, id)
        .await
        .unwrap();
    assert!(left.is_empty(), "a deleted lead's notes are gone: {left:?}");
}

#[actix_web::test]
async fn a_lead_page_links_to_the_next_older_and_newer_lead_with_keyboard_shortcuts() {
    let app = spawn_app().await;
    app.signed_in().await;
    let first = app.submit_lead(&valid_form()).await;
    let middle = app.submit_lead(&valid_form()).await;
    let last = app.submit_lead(&valid_form()).await;
    let page = lead_page(&app, middle).await;
    assert!(
        page.contains(&format!(
            r#"href="/admin/leads/{last}" rel="prev" data-shortcut="k""#
        )),
        "the newer lead, k"
    );
    assert!(
        page.contains(&format!(
            r#"href="/admin/leads/{first}" rel="next" data-shortcut="j""#
        )),
        "the older lead, j (the list's order: newest first)"
    );
    let newest = lead_page(&app, last).await;
    assert!(
        !newest.contains(r#"rel="prev""#),
        "nothing newer than the newest"
    );
}

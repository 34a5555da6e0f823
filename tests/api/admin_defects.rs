//! Defects staff hit in daily use: a save after the session ran out, bulk actions that forgot the
//! filters, adding a phone enquiry, and a bulk menu that acted by default. (Two people saving one lead:
//! `lead_timeline.rs`.)

use crate::helpers::{
    STAFF_EMAIL, STAFF_PASSWORD, assert_is_redirect_to, spawn_app, spawn_app_with, valid_form,
};
use crate::lead_timeline::lead_page;

/// The text of the lead page's note box.
fn note_box(html: &str) -> String {
    html.split("id=\"body\"")
        .nth(1)
        .expect("a note box")
        .split_once('>')
        .unwrap()
        .1
        .split("</textarea>")
        .next()
        .unwrap()
        .to_owned()
}

#[actix_web::test]
async fn a_save_after_the_session_ran_out_leads_through_sign_in_back_to_the_form_with_the_input() {
    let app = spawn_app_with(&[("RR_ADMIN__IDLE_TIMEOUT_MINS", "1")]).await;
    app.signed_in().await;
    let id = app.submit_lead(&valid_form()).await;
    let csrf = app.csrf_token().await;
    let page = lead_page(&app, id).await;
    let return_to = format!("/admin/leads/{id}");
    assert!(
        page.contains(&format!("name=\"return_to\" value=\"{return_to}\"")),
        "the form says where it lives"
    );
    // The session ends (idle timeout, or signed out in another tab) while the form is open.
    app.execute_sql("DELETE FROM staff_sessions", "DELETE FROM staff_sessions")
        .await;
    let form = vec![
        ("body", "Signed the wholesale contract".to_owned()),
        ("csrf_token", csrf),
        ("return_to", return_to),
    ];
    let save = app
        .admin_post(&format!("/admin/leads/{id}/notes"), &form)
        .await;
    assert_eq!(save.status().as_u16(), 303, "not a bare 401");
    let to = save.headers()["location"].to_str().unwrap().to_owned();
    assert!(to.starts_with("/admin/login?next="), "{to}");
    let sign_in = app.get(&to).await.text().await.unwrap();
    assert!(
        sign_in.contains("signed out"),
        "the page says why: {sign_in}"
    );
    // The sign-in form carries the page to return to, as the browser would send it.
    assert!(sign_in.contains(&format!("name=\"next\" value=\"/admin/leads/{id}\"")));
    let back = app
        .client
        .post(app.url("/admin/login"))
        .header("Origin", app.origin())
        .form(&[
            ("email", STAFF_EMAIL),
            ("password", STAFF_PASSWORD),
            ("next", &format!("/admin/leads/{id}")),
        ])
        .send()
        .await
        .unwrap();
    let next = back.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(next, format!("/admin/leads/{id}"));
    let page = lead_page(&app, id).await;
    assert!(
        note_box(&page).contains("Signed the wholesale contract"),
        "the input is back"
    );
    assert!(
        page.contains("not saved yet"),
        "the page says it still has to be saved"
    );
    let notes = ritual_roast::db::lead_notes::of_lead(&app.db, id)
        .await
        .unwrap();
    assert!(
        notes.is_empty(),
        "nothing was saved behind the staff member's back"
    );
}

#[actix_web::test]
async fn bulk_actions_return_to_the_filtered_list() {
    let app = spawn_app().await;
    app.signed_in().await;
    let id = app.submit_lead(&valid_form()).await;
    let list = app
        .get("/admin/leads?status=new&sort=name&dir=asc")
        .await
        .text()
        .await
        .unwrap();
    assert!(list.contains("name=\"return_to\""));
    let response = app
        .admin_post(
            "/admin/leads/bulk",
            &[
                ("ids", id.to_string()),
                ("action", "status:contacted".into()),
                (
                    "return_to",
                    "/admin/leads?status=new&sort=name&dir=asc".into(),
                ),
            ],
        )
        .await;
    assert_is_redirect_to(&response, "/admin/leads?status=new&sort=name&dir=asc");
    let elsewhere = app
        .admin_post(
            "/admin/leads/bulk",
            &[
                ("ids", id.to_string()),
                ("action", "status:new".into()),
                ("return_to", "https://evil.example/".into()),
            ],
        )
        .await;
    assert_is_redirect_to(&elsewhere, "/admin/leads");
}

#[actix_web::test]
async fn the_bulk_menu_does_nothing_until_an_action_is_chosen_and_offers_select_all() {
    let app = spawn_app().await;
    app.signed_in().await;
    let id = app.submit_lead(&valid_form()).await;
    let list = app.get("/admin/leads").await.text().await.unwrap();
    let menu = list.split("id=\"bulk-action\"").nth(1).unwrap();
    let first_option = menu.split("<option").nth(1).unwrap();
    assert!(
        first_option.starts_with(" value=\"\""),
        "the first choice is no action: {first_option}"
    );
    assert!(list.contains("data-testid=\"select-all\""));
    let nothing = app
        .admin_post(
            "/admin/leads/bulk",
            &[("ids", id.to_string()), ("action", String::new())],
        )
        .await;
    assert_eq!(nothing.status().as_u16(), 303);
    let lead = ritual_roast::db::leads::find(&app.db, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(lead.status.as_str(), "new");
}

#[actix_web::test]
async fn staff_add_a_phone_enquiry_without_an_email_in_staff_wording() {
    let app = spawn_app().await;
    app.signed_in().await;
    let page = app.get("/admin/leads/new").await.text().await.unwrap();
    assert!(!page.contains("Your name"), "staff are not the visitor");
    assert!(page.contains(">Add lead<"), "the button says what it does");
    let form = vec![
        ("name", "Walk-in Wendy".to_owned()),
        ("phone", "0117 496 0000".into()),
        ("interest", "wholesale".into()),
        ("form_token", uuid::Uuid::new_v4().simple().to_string()),
    ];
    let added = app.admin_post("/admin/leads/new", &form).await;
    assert_eq!(added.status().as_u16(), 303, "a phone number is enough");
    let neither = vec![
        ("name", "Nobody".to_owned()),
        ("interest", "beans".into()),
        ("form_token", uuid::Uuid::new_v4().simple().to_string()),
    ];
    let refused = app.admin_post("/admin/leads/new", &neither).await;
    assert_eq!(
        refused.status().as_u16(),
        422,
        "an email or a phone number is needed"
    );
}

#[actix_web::test]
async fn every_status_has_its_own_badge_colour() {
    let css = {
        let app = spawn_app().await;
        let html = app.get("/").await.text().await.unwrap();
        let href = html
            .split("href=\"/assets/css/")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_owned();
        app.get(&format!("/assets/css/{href}"))
            .await
            .text()
            .await
            .unwrap()
    };
    let rule = |status: &str| {
        css.split(&format!(".badge--{status} {{"))
            .nth(1)
            .map(|r| r.split('}').next().unwrap().to_owned())
            .unwrap_or_else(|| panic!("no .badge--{status} rule"))
    };
    let rules: Vec<String> = ["new", "contacted", "qualified", "won", "lost"]
        .iter()
        .map(|s| rule(s))
        .collect();
    for (i, a) in rules.iter().enumerate() {
        for b in &rules[i + 1..] {
            assert_ne!(a, b, "two statuses share a badge colour");
        }
    }
}

#[actix_web::test]
async fn a_lead_with_the_email_or_phone_of_an_earlier_one_links_to_it() {
    let app = spawn_app().await;
    app.signed_in().await;
    let first = app.submit_lead(&valid_form()).await;
    let mut same_email = valid_form();
    same_email.retain(|(k, _)| *k != "phone");
    same_email.push(("phone", "0117 000 0001".into()));
    let second = app.submit_lead(&same_email).await;
    let mut same_phone = valid_form();
    same_phone.retain(|(k, _)| *k != "email");
    same_phone.push(("email", "someone.else@example.com".into()));
    let third = app.submit_lead(&same_phone).await;
    let mut stranger = valid_form();
    stranger.retain(|(k, _)| *k != "email" && *k != "phone");
    stranger.push(("email", "stranger@example.com".into()));
    stranger.push(("phone", "".into()));
    let fourth = app.submit_lead(&stranger).await;
    let hint = |html: &str| {
        html.split("data-testid=\"duplicates\"")
            .nth(1)
            .map(|rest| rest.split("</div>").next().unwrap().to_owned())
    };
    let page = lead_page(&app, second).await;
    assert!(
        hint(&page)
            .expect("a hint")
            .contains(&format!("/admin/leads/{first}\""))
    );
    let page = lead_page(&app, third).await;
    let third_hint = hint(&page).expect("a hint");
    assert!(
        third_hint.contains(&format!("/admin/leads/{first}\"")),
        "same phone"
    );
    assert!(
        !third_hint.contains(&format!("/admin/leads/{second}\"")),
        "different email and phone"
    );
    assert!(
        hint(&lead_page(&app, first).await).is_none(),
        "only earlier leads are hinted"
    );
    assert!(
        hint(&lead_page(&app, fourth).await).is_none(),
        "an empty phone matches nothing"
    );
}

#[actix_web::test]
async fn the_dashboard_opens_on_new_leads_waiting_more_than_a_working_day() {
    let app = spawn_app().await;
    app.signed_in().await;
    let mut waiting = valid_form();
    waiting.retain(|(k, _)| *k != "name");
    waiting.push(("name", "Waiting Walter".into()));
    let old = app.submit_lead(&waiting).await;
    let mut fresh = valid_form();
    fresh.retain(|(k, _)| *k != "name");
    fresh.push(("name", "Fresh Fiona".into()));
    app.submit_lead(&fresh).await;
    let four_days_ago = (chrono::Utc::now() - chrono::Duration::days(4))
        .naive_utc()
        .format("%Y-%m-%d %H:%M:%S")
        .to_string();
    let sql = format!("UPDATE leads SET created_at = '{four_days_ago}' WHERE id = {old}");
    app.execute_sql(&sql, &sql).await;
    let html = app.get("/admin").await.text().await.unwrap();
    let section = html
        .split("data-testid=\"waiting\"")
        .nth(1)
        .expect("a 'needs action' section")
        .split("</section>")
        .next()
        .unwrap();
    assert!(section.contains("Waiting Walter"), "{section}");
    assert!(
        !section.contains("Fresh Fiona"),
        "a lead from today is not overdue"
    );
    assert!(section.contains(&format!("/admin/leads/{old}\"")));
}

#[actix_web::test]
async fn the_list_says_which_page_and_which_leads_are_shown() {
    let app = spawn_app().await;
    app.signed_in().await;
    for _ in 0..53 {
        app.submit_lead(&valid_form()).await;
    }
    let first = app.get("/admin/leads").await.text().await.unwrap();
    assert!(
        first.contains("page 1, showing 1–50"),
        "position on the first page"
    );
    let next = first
        .split("data-testid=\"next-page\"")
        .next()
        .unwrap()
        .rsplit("href=\"")
        .next()
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&");
    assert!(next.contains("page=2"), "{next}");
    let second = app.get(&next).await.text().await.unwrap();
    assert!(
        second.contains("page 2, showing 51–53"),
        "position on the second page"
    );
}

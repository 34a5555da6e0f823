//! The list as a work queue: "mine", "unassigned" and follow-up filters, the dashboard's overdue
//! follow-ups, bulk actions on every match, status in workflow order, and a way back to earlier pages.

use chrono::{Duration, Utc};

use crate::admin_list::{every_page, ids_on, next_link};
use crate::helpers::{TestApp, assert_is_redirect_to, spawn_app, valid_form, with};
use crate::lead_timeline::{my_id, work_form};

async fn set_work(
    app: &TestApp,
    id: i64,
    status: &str,
    owner: Option<i64>,
    follow_up: Option<i64>,
) {
    let lead = ritual_roast::db::leads::find(&app.db, id)
        .await
        .unwrap()
        .unwrap();
    let day = follow_up
        .map(|days| (Utc::now() + Duration::days(days)).date_naive().to_string())
        .unwrap_or_default();
    let owner = owner.map(|o| o.to_string()).unwrap_or_default();
    let saved = app
        .admin_post(
            &format!("/admin/leads/{id}/edit"),
            &work_form(status, &owner, &day, lead.version),
        )
        .await;
    assert_is_redirect_to(&saved, &format!("/admin/leads/{id}"));
}

async fn ids_listed(app: &TestApp, query: &str) -> Vec<i64> {
    let html = app
        .get(&format!("/admin/leads?{query}"))
        .await
        .text()
        .await
        .unwrap();
    let mut ids: Vec<i64> = ids_on(&html).iter().map(|s| s.parse().unwrap()).collect();
    ids.sort();
    ids
}

#[actix_web::test]
async fn the_list_filters_mine_unassigned_and_follow_ups_due_or_overdue() {
    let app = spawn_app().await;
    app.signed_in().await;
    let me = my_id(&app).await;
    let other = {
        let hash = ritual_roast::admin::passwords::hash("another long password".into())
            .await
            .unwrap();
        ritual_roast::db::staff::create_user(
            &app.db,
            "roaster@ritualroast.example",
            "Rosa Roaster",
            &hash,
            ritual_roast::domain::StaffRole::Staff,
        )
        .await
        .unwrap();
        ritual_roast::db::staff::find_user_by_email(&app.db, "roaster@ritualroast.example")
            .await
            .unwrap()
            .unwrap()
            .id
    };
    let overdue_mine = app.submit_lead(&with("email", "a@example.com")).await;
    let due_unassigned = app.submit_lead(&with("email", "b@example.com")).await;
    let later_theirs = app.submit_lead(&with("email", "c@example.com")).await;
    set_work(&app, overdue_mine, "contacted", Some(me), Some(-2)).await;
    set_work(&app, due_unassigned, "contacted", None, Some(0)).await;
    set_work(&app, later_theirs, "contacted", Some(other), Some(5)).await;
    assert_eq!(ids_listed(&app, "owner=mine").await, [overdue_mine]);
    assert_eq!(ids_listed(&app, "owner=unassigned").await, [due_unassigned]);
    assert_eq!(ids_listed(&app, "follow_up=overdue").await, [overdue_mine]);
    assert_eq!(
        ids_listed(&app, "follow_up=due").await,
        [overdue_mine, due_unassigned],
        "due means today or earlier"
    );
    let list = app.get("/admin/leads").await.text().await.unwrap();
    assert!(list.contains("Rosa Roaster"), "the list shows owners");
}

#[actix_web::test]
async fn the_dashboard_opens_on_overdue_follow_ups() {
    let app = spawn_app().await;
    app.signed_in().await;
    let me = my_id(&app).await;
    let id = app.submit_lead(&with("name", "Olive Overdue")).await;
    set_work(&app, id, "qualified", Some(me), Some(-1)).await;
    let dashboard = app.get("/admin").await.text().await.unwrap();
    let section = dashboard
        .split("data-testid=\"overdue\"")
        .nth(1)
        .expect("an overdue follow-ups section");
    assert!(section.contains("Olive Overdue"));
    assert!(section.contains(&format!("/admin/leads/{id}")));
}

#[actix_web::test]
async fn a_bulk_action_can_apply_to_every_matching_lead_not_just_the_page() {
    let app = spawn_app().await;
    app.signed_in().await;
    for i in 0..55 {
        app.submit_lead(&with("email", &format!("many{i}@example.com")))
            .await;
    }
    let kept = app.submit_lead(&with("email", "other@example.org")).await;
    let list = app.get("/admin/leads?q=many").await.text().await.unwrap();
    assert!(list.contains("All 55 matching"), "offers every match");
    let applied = app
        .admin_post(
            "/admin/leads/bulk",
            &[
                ("scope", "matching".into()),
                ("matching", "q=many".into()),
                ("action", "status:contacted".into()),
                ("return_to", "/admin/leads?q=many".into()),
            ],
        )
        .await;
    assert_is_redirect_to(&applied, "/admin/leads?q=many");
    assert_eq!(
        ids_listed(&app, "q=many&status=new").await,
        Vec::<i64>::new()
    );
    let contacted = every_page(&app, "/admin/leads?status=contacted").await;
    assert_eq!(contacted.iter().map(|p| ids_on(p).len()).sum::<usize>(), 55);
    let other = ritual_roast::db::leads::find(&app.db, kept)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        other.status.as_str(),
        "new",
        "a lead outside the filter is untouched"
    );
}

#[actix_web::test]
async fn a_bulk_action_assigns_or_clears_the_owner() {
    let app = spawn_app().await;
    app.signed_in().await;
    let me = my_id(&app).await;
    let id = app.submit_lead(&valid_form()).await;
    let assign = |action: String| {
        let app = &app;
        async move {
            app.admin_post(
                "/admin/leads/bulk",
                &[("ids", id.to_string()), ("action", action)],
            )
            .await
        }
    };
    assign(format!("owner:{me}")).await;
    assert_eq!(ids_listed(&app, "owner=mine").await, [id]);
    assign("owner:none".into()).await;
    assert_eq!(ids_listed(&app, "owner=unassigned").await, [id]);
    let refused = assign("owner:424242".into()).await;
    assert_is_redirect_to(&refused, "/admin/leads");
    assert_eq!(
        ids_listed(&app, "owner=unassigned").await,
        [id],
        "an unknown owner changes nothing"
    );
}

#[actix_web::test]
async fn sorting_by_status_follows_the_workflow_across_pages() {
    let app = spawn_app().await;
    app.signed_in().await;
    let mut by_status: Vec<(&str, i64)> = Vec::new();
    for (i, status) in ["won", "lost", "qualified", "contacted"].iter().enumerate() {
        let id = app
            .submit_lead(&with("email", &format!("s{i}@example.com")))
            .await;
        set_work(&app, id, status, None, None).await;
        by_status.push((status, id));
    }
    let mut new = Vec::new();
    for i in 0..50 {
        new.push(
            app.submit_lead(&with("email", &format!("n{i}@example.com")))
                .await,
        );
    }
    let pages = every_page(&app, "/admin/leads?sort=status&dir=asc").await;
    let listed: Vec<i64> = pages
        .iter()
        .flat_map(|p| ids_on(p))
        .map(|s| s.parse().unwrap())
        .collect();
    assert_eq!(listed.len(), 54, "every lead once");
    new.reverse();
    assert_eq!(
        &listed[..50],
        &new[..],
        "new first, newest first within a status"
    );
    let rest: Vec<i64> = ["contacted", "qualified", "won", "lost"]
        .iter()
        .map(|s| by_status.iter().find(|(status, _)| status == s).unwrap().1)
        .collect();
    assert_eq!(
        &listed[50..],
        &rest[..],
        "then contacted, qualified, won, lost"
    );
}

#[actix_web::test]
async fn a_later_page_links_back_to_the_one_before_it() {
    let app = spawn_app().await;
    app.signed_in().await;
    for i in 0..120 {
        app.submit_lead(&with("email", &format!("p{i}@example.com")))
            .await;
    }
    let first = app.get("/admin/leads").await.text().await.unwrap();
    let second = app
        .get(&next_link(&first).unwrap())
        .await
        .text()
        .await
        .unwrap();
    let third = app
        .get(&next_link(&second).unwrap())
        .await
        .text()
        .await
        .unwrap();
    assert!(third.contains("page 3, showing 101–120"));
    let back = previous_link(&third).expect("a previous-page link");
    let again = app.get(&back).await.text().await.unwrap();
    assert_eq!(ids_on(&again), ids_on(&second));
    assert!(
        again.contains("page 2, showing 51–100"),
        "the position is kept"
    );
    let back_again = app
        .get(&previous_link(&again).unwrap())
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(ids_on(&back_again), ids_on(&first));
}

fn previous_link(html: &str) -> Option<String> {
    let before = html.split(r#"rel="prev""#).next()?;
    html.contains(r#"rel="prev""#).then_some(())?;
    before
        .rsplit(r#"href=""#)
        .next()
        .map(|s| s.split('"').next().unwrap().replace("&amp;", "&"))
}

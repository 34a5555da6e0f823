//! Changing leads as staff: editing with history, stale edits, deleting, bulk actions, adding, and
//! lead content that must stay inert.

use crate::helpers::{assert_is_redirect_to, spawn_app, valid_form, with};

#[actix_web::test]
async fn editing_a_lead_records_who_changed_what_in_its_history() {
    let app = spawn_app().await;
    app.signed_in().await;
    let id = app.submit_lead(&valid_form()).await;
    let form = [("status", "contacted".to_owned()), ("version", "1".into())];
    assert_is_redirect_to(
        &app.admin_post(&format!("/admin/leads/{id}/edit"), &form)
            .await,
        &format!("/admin/leads/{id}"),
    );
    let page = app
        .get(&format!("/admin/leads/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Saved."), "flash message shown once");
    assert!(page.contains("Test Barista") && page.contains("status: new → contacted"));
    assert!(
        !app.get(&format!("/admin/leads/{id}"))
            .await
            .text()
            .await
            .unwrap()
            .contains("Saved."),
        "flash is one-shot"
    );
}

#[actix_web::test]
async fn a_stale_edit_is_refused_and_keeps_the_other_persons_change() {
    let app = spawn_app().await;
    app.signed_in().await;
    let id = app.submit_lead(&valid_form()).await;
    let path = format!("/admin/leads/{id}/edit");
    let first = [("status", "qualified".to_owned()), ("version", "1".into())];
    app.admin_post(&path, &first).await;
    let stale = [("status", "lost".to_owned()), ("version", "1".into())];
    let response = app.admin_post(&path, &stale).await;
    assert_eq!(response.status().as_u16(), 409);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("<option value=\"lost\" selected>"),
        "the stale editor's choice is kept in the form"
    );
    let lead = ritual_roast::db::leads::find(&app.db, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(lead.status.as_str(), "qualified");
}

#[actix_web::test]
async fn an_invalid_status_is_a_422_not_a_change() {
    let app = spawn_app().await;
    app.signed_in().await;
    let id = app.submit_lead(&valid_form()).await;
    let form = [("status", "promoted".to_owned()), ("version", "1".into())];
    assert_eq!(
        app.admin_post(&format!("/admin/leads/{id}/edit"), &form)
            .await
            .status()
            .as_u16(),
        422
    );
}

#[actix_web::test]
async fn deleting_asks_first_and_then_removes_the_lead() {
    let app = spawn_app().await;
    app.signed_in().await;
    let id = app.submit_lead(&valid_form()).await;
    assert!(
        app.get(&format!("/admin/leads/{id}/delete"))
            .await
            .text()
            .await
            .unwrap()
            .contains("Delete this lead")
    );
    assert_is_redirect_to(
        &app.admin_post(&format!("/admin/leads/{id}/delete"), &[])
            .await,
        "/admin/leads",
    );
    assert!(
        ritual_roast::db::leads::find(&app.db, id)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        app.get(&format!("/admin/leads/{id}"))
            .await
            .status()
            .as_u16(),
        404
    );
}

#[actix_web::test]
async fn bulk_actions_change_status_and_delete_after_confirmation() {
    let app = spawn_app().await;
    app.signed_in().await;
    let a = app.submit_lead(&valid_form()).await.to_string();
    let b = app.submit_lead(&valid_form()).await.to_string();
    let won = [
        ("ids", a.clone()),
        ("ids", b.clone()),
        ("action", "status:won".into()),
    ];
    assert_is_redirect_to(
        &app.admin_post("/admin/leads/bulk", &won).await,
        "/admin/leads",
    );
    assert!(
        app.get("/admin")
            .await
            .text()
            .await
            .unwrap()
            .contains("100 %"),
        "2 won of 2 closed"
    );
    let delete = [("ids", a.clone()), ("action", "delete".into())];
    let confirm = app.admin_post("/admin/leads/bulk", &delete).await;
    assert_eq!(confirm.status().as_u16(), 200, "asks first");
    assert_eq!(app.lead_count().await, 2);
    let confirmed = [
        ("ids", a),
        ("action", "delete".into()),
        ("confirm", "yes".into()),
    ];
    assert_is_redirect_to(
        &app.admin_post("/admin/leads/bulk", &confirmed).await,
        "/admin/leads",
    );
    assert_eq!(app.lead_count().await, 1);
}

#[actix_web::test]
async fn staff_can_add_a_lead_with_the_same_rules_as_the_public_form() {
    let app = spawn_app().await;
    app.signed_in().await;
    let bad = app
        .admin_post("/admin/leads/new", &with("email", "nope"))
        .await;
    assert_eq!(bad.status().as_u16(), 422);
    let ok = app.admin_post("/admin/leads/new", &valid_form()).await;
    assert_eq!(ok.status().as_u16(), 303);
    let page = app
        .get(ok.headers()["location"].to_str().unwrap())
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("created by staff"));
}

#[actix_web::test]
async fn script_payloads_from_the_public_form_are_inert_in_the_admin() {
    let app = spawn_app().await;
    app.signed_in().await;
    let payload = "<script>alert('x')</script>";
    let mut form = with("name", payload);
    form.retain(|(k, _)| *k != "message");
    form.push(("message", "<img src=x onerror=alert(1)>".into()));
    let id = app.submit_lead(&form).await;
    for path in [
        "/admin/leads".to_owned(),
        format!("/admin/leads/{id}"),
        "/admin".to_owned(),
    ] {
        let html = app.get(&path).await.text().await.unwrap();
        assert!(
            !html.contains("<script>alert") && !html.contains("<img src=x"),
            "{path} renders markup from a lead"
        );
    }
    let detail = app
        .get(&format!("/admin/leads/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(detail.contains("&lt;script&gt;alert('x')&lt;/script&gt;"));
}

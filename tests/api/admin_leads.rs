use crate::helpers::{assert_is_redirect_to, spawn_app, valid_form, with};

async fn page_ids(app: &crate::helpers::TestApp, path: &str) -> (Vec<String>, Option<String>) {
    let html = app.get(path).await.text().await.unwrap();
    let ids = html
        .split(r#"name="ids" value=""#)
        .skip(1)
        .map(|s| s.split('"').next().unwrap().to_owned())
        .collect();
    let next = html
        .split(r#"rel="next""#)
        .next()
        .filter(|_| html.contains(r#"rel="next""#))
        .and_then(|before| before.rsplit(r#"href=""#).next())
        .map(|s| s.split('"').next().unwrap().replace("&amp;", "&"));
    (ids, next)
}

#[actix_web::test]
async fn the_list_pages_through_every_lead_exactly_once_newest_first() {
    let app = spawn_app().await;
    app.signed_in().await;
    let mut created = Vec::new();
    for i in 0..120 {
        created.push(
            app.submit_lead(&with("email", &format!("guest{i}@example.com")))
                .await
                .to_string(),
        );
    }
    let mut seen = Vec::new();
    let mut path = Some("/admin/leads".to_owned());
    while let Some(current) = path {
        let html = app.get(&current).await.text().await.unwrap();
        assert!(
            html.contains("120 leads match."),
            "every page states the total"
        );
        let (ids, next) = page_ids(&app, &current).await;
        assert!(ids.len() <= 50);
        seen.extend(ids);
        path = next;
    }
    created.reverse();
    assert_eq!(seen, created);
}

#[actix_web::test]
async fn a_search_pages_through_its_matches_in_order_like_the_plain_list() {
    let app = spawn_app().await;
    app.signed_in().await;
    let mut matching = Vec::new();
    for i in 0..60 {
        let email = if i % 4 == 0 {
            format!("other{i}@example.org")
        } else {
            format!("guest{i}@needle.example")
        };
        let id = app.submit_lead(&with("email", &email)).await.to_string();
        if i % 4 != 0 {
            matching.push(id);
        }
    }
    let all_pages = |start: String| {
        let app = &app;
        async move {
            let mut seen = Vec::new();
            let mut path = Some(start);
            while let Some(current) = path {
                let (ids, next) = page_ids(app, &current).await;
                seen.extend(ids);
                path = next;
            }
            seen
        }
    };
    // The search sorts the matches itself rather than walking an index; the order must not change (the
    // database's collation decides it, so compare with the plain list rather than with a Rust sort).
    for sort in ["", "&sort=email&dir=asc", "&sort=name&dir=desc"] {
        let mut expected = all_pages(format!("/admin/leads?x=1{sort}")).await;
        expected.retain(|id| matching.contains(id));
        assert_eq!(expected.len(), 45);
        let searched = all_pages(format!("/admin/leads?q=needle{sort}")).await;
        assert_eq!(searched, expected, "sort {sort}");
    }
}

#[actix_web::test]
async fn search_filters_and_sorting_narrow_the_list() {
    let app = spawn_app().await;
    app.signed_in().await;
    app.submit_lead(&with("email", "zoe@example.com")).await;
    app.submit_lead(&with("name", "Aaron Wholesale")).await;
    let mut no_consent = with("interest", "wholesale");
    no_consent.retain(|(k, _)| *k != "consent");
    app.submit_lead(&no_consent).await;
    let count = |html: String| html.matches(r#"data-testid="lead-row""#).count();
    let zoe = app.get("/admin/leads?q=zoe%40").await.text().await.unwrap();
    assert!(zoe.contains("1 lead match."));
    assert_eq!(count(zoe), 1);
    assert_eq!(
        count(app.get("/admin/leads?q=100%25").await.text().await.unwrap()),
        0,
        "LIKE wildcards are literal"
    );
    assert_eq!(
        count(
            app.get("/admin/leads?interest=wholesale")
                .await
                .text()
                .await
                .unwrap()
        ),
        1
    );
    assert_eq!(
        count(
            app.get("/admin/leads?consent=no")
                .await
                .text()
                .await
                .unwrap()
        ),
        1
    );
    assert_eq!(
        count(
            app.get("/admin/leads?status=won")
                .await
                .text()
                .await
                .unwrap()
        ),
        0
    );
    let today = chrono::Utc::now().date_naive();
    assert_eq!(
        count(
            app.get(&format!("/admin/leads?from={today}&to={today}"))
                .await
                .text()
                .await
                .unwrap()
        ),
        3
    );
    let by_name = app
        .get("/admin/leads?sort=name&dir=asc")
        .await
        .text()
        .await
        .unwrap();
    assert!(by_name.find("Aaron Wholesale").unwrap() < by_name.find("Ana Lima").unwrap());
    let odd = app.get("/admin/leads?status=bogus").await;
    assert_eq!(
        odd.status().as_u16(),
        200,
        "bad filter values are ignored, not a 500"
    );
}

#[actix_web::test]
async fn editing_a_lead_records_who_changed_what_in_its_history() {
    let app = spawn_app().await;
    app.signed_in().await;
    let id = app.submit_lead(&valid_form()).await;
    let form = [
        ("status", "contacted".to_owned()),
        ("notes", "Called back, wants 2 kg/month".into()),
        ("version", "1".into()),
    ];
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
    assert!(
        page.contains("barista@ritualroast.example") && page.contains("status: new → contacted")
    );
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
    let first = [
        ("status", "qualified".to_owned()),
        ("notes", "first".into()),
        ("version", "1".into()),
    ];
    app.admin_post(&path, &first).await;
    let stale = [
        ("status", "lost".to_owned()),
        ("notes", "second".into()),
        ("version", "1".into()),
    ];
    let response = app.admin_post(&path, &stale).await;
    assert_eq!(response.status().as_u16(), 409);
    assert!(
        response.text().await.unwrap().contains("second"),
        "the stale editor's text is kept in the form"
    );
    let lead = ritual_roast::db::leads::find(&app.db, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (lead.status.as_str(), lead.notes.as_str()),
        ("qualified", "first")
    );
}

#[actix_web::test]
async fn an_invalid_status_is_a_422_not_a_change() {
    let app = spawn_app().await;
    app.signed_in().await;
    let id = app.submit_lead(&valid_form()).await;
    let form = [
        ("status", "promoted".to_owned()),
        ("notes", "".into()),
        ("version", "1".into()),
    ];
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
async fn the_csv_export_streams_the_filtered_leads_with_formulas_defused() {
    let app = spawn_app().await;
    app.signed_in().await;
    app.submit_lead(&with("name", "=HYPERLINK(\"http://evil\")"))
        .await;
    app.submit_lead(&with("interest", "events")).await;
    let response = app
        .get("/admin/leads/export.csv?interest=subscription")
        .await;
    assert_eq!(response.status().as_u16(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    let body = response.text().await.unwrap();
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(lines.len(), 2, "header plus the one matching lead: {body}");
    assert!(lines[0].starts_with("id,received_at,name,email"));
    assert!(lines[1].contains("\"'=HYPERLINK"));
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

#[actix_web::test]
async fn the_dashboard_counts_leads_by_status_and_charts_the_days() {
    let app = spawn_app().await;
    app.signed_in().await;
    app.submit_lead(&valid_form()).await;
    let html = app.get("/admin").await.text().await.unwrap();
    assert!(html.contains("<svg") && html.contains("Leads per day, last 30 days: 1 leads"));
    let total = html.split(r#"data-testid="stat-total""#).nth(1).unwrap();
    assert!(total.contains(r#"<span class="stat__value">1</span>"#));
}

//! Reading the leads as staff: the paged list, search and filters, the CSV export, the dashboard.

use crate::helpers::{TestApp, spawn_app, valid_form, with};

/// Follows the list's "next" links from `start`: the HTML of every page, in order.
pub(crate) async fn every_page(app: &TestApp, start: &str) -> Vec<String> {
    let mut pages = Vec::new();
    let mut path = Some(start.to_owned());
    while let Some(current) = path {
        let html = app.get(&current).await.text().await.unwrap();
        path = next_link(&html);
        pages.push(html);
    }
    pages
}

/// The ids of the leads listed on one page, top to bottom.
pub(crate) fn ids_on(html: &str) -> Vec<String> {
    html.split(r#"name="ids" value=""#)
        .skip(1)
        .map(|s| s.split('"').next().unwrap().to_owned())
        .collect()
}

pub(crate) fn next_link(html: &str) -> Option<String> {
    html.split(r#"rel="next""#)
        .next()
        .filter(|_| html.contains(r#"rel="next""#))
        .and_then(|before| before.rsplit(r#"href=""#).next())
        .map(|s| s.split('"').next().unwrap().replace("&amp;", "&"))
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
    let mut page_sizes = Vec::new();
    for html in every_page(&app, "/admin/leads").await {
        assert!(
            html.contains(">120 leads match<"),
            "every page states the total"
        );
        let ids = ids_on(&html);
        page_sizes.push(ids.len());
        seen.extend(ids);
    }
    assert_eq!(page_sizes, [50, 50, 20], "50 leads a page");
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
    let all_ids = async |start: String| -> Vec<String> {
        every_page(&app, &start)
            .await
            .iter()
            .flat_map(|html| ids_on(html))
            .collect()
    };
    // The search sorts the matches itself rather than walking an index; the order must not change (the
    // database's collation decides it, so compare with the plain list rather than with a Rust sort).
    for sort in ["", "&sort=email&dir=asc", "&sort=name&dir=desc"] {
        let mut expected = all_ids(format!("/admin/leads?x=1{sort}")).await;
        expected.retain(|id| matching.contains(id));
        assert_eq!(expected.len(), 45);
        let searched = all_ids(format!("/admin/leads?q=needle{sort}")).await;
        assert_eq!(searched, expected, "sort {sort}");
    }
}

#[actix_web::test]
async fn search_finds_leads_by_name_email_phone_and_message() {
    let app = spawn_app().await;
    app.signed_in().await;
    let mut form = with("name", "Marta Quispe");
    form.retain(|(k, _)| !["email", "phone", "message"].contains(k));
    form.push(("email", "marta@andes.example".into()));
    form.push(("phone", "+51 1 555 0199".into()));
    form.push(("message", "Looking for a washed Geisha lot".into()));
    let wanted = app.submit_lead(&form).await.to_string();
    // A decoy with every field different, so a search that ignores its term finds two rows.
    let decoy = app
        .submit_lead(&with("phone", "+44 20 7946 0000"))
        .await
        .to_string();
    for q in ["Quispe", "andes.example", "555%200199", "Geisha"] {
        let html = app
            .get(&format!("/admin/leads?q={q}"))
            .await
            .text()
            .await
            .unwrap();
        assert_eq!(ids_on(&html), std::slice::from_ref(&wanted), "q={q}");
    }
    let html = app
        .get("/admin/leads?q=7946%200000")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        ids_on(&html),
        [decoy],
        "the phone search finds the other lead too"
    );
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
    let count = |html: &str| html.matches(r#"data-testid="lead-row""#).count();
    let rows_at = async |path: &str| count(&app.get(path).await.text().await.unwrap());
    let zoe = app.get("/admin/leads?q=zoe%40").await.text().await.unwrap();
    assert!(zoe.contains(">1 lead match<"));
    assert_eq!(count(&zoe), 1);
    assert_eq!(
        rows_at("/admin/leads?q=100%25").await,
        0,
        "LIKE wildcards are literal"
    );
    assert_eq!(rows_at("/admin/leads?interest=wholesale").await, 1);
    assert_eq!(rows_at("/admin/leads?consent=no").await, 1);
    assert_eq!(rows_at("/admin/leads?status=won").await, 0);
    let today = chrono::Utc::now().date_naive();
    assert_eq!(
        rows_at(&format!("/admin/leads?from={today}&to={today}")).await,
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
    assert!(lines[0].starts_with("\u{FEFF}\"id\",\"received_at_utc\",\"name\",\"email\""));
    assert!(lines[1].contains("\"'=HYPERLINK"));
}

#[actix_web::test]
async fn the_dashboard_counts_leads_by_status_and_charts_the_days() {
    let app = spawn_app().await;
    app.signed_in().await;
    app.submit_lead(&valid_form()).await;
    let html = app.get("/admin").await.text().await.unwrap();
    assert!(html.contains("<svg") && html.contains("Leads per day, last 30 days: 1 leads"));
    let total = html.split(r#"data-testid="stat-total""#).nth(1).unwrap();
    assert!(total.starts_with(">1 lead in all."), "{total}");
    assert!(
        html.contains("Leads by status: new 1, contacted 0"),
        "the status chart is labelled"
    );
    assert!(html.contains("class=\"chart__axis\""), "charts have axes");
}

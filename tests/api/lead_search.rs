//! The staff search: word starts without accents or case, phone numbers whatever their spacing, kept
//! current when details change, forgotten with the lead, and built for leads stored before it existed.

use crate::admin_list::ids_on;
use crate::helpers::{TestApp, spawn_app, spawn_second_task, with};

async fn found(app: &TestApp, q: &str) -> Vec<i64> {
    let html = app
        .get(&format!("/admin/leads?q={}", urlencode(q)))
        .await
        .text()
        .await
        .unwrap();
    ids_on(&html).iter().map(|s| s.parse().unwrap()).collect()
}

fn urlencode(q: &str) -> String {
    serde_urlencoded::to_string([("", q)]).unwrap()[1..].to_owned()
}

#[actix_web::test]
async fn search_ignores_accents_and_case_and_matches_the_start_of_words() {
    let app = spawn_app().await;
    app.signed_in().await;
    let cafe = app
        .submit_lead(&with("message", "We run Café Névé in Leeds"))
        .await;
    app.submit_lead(&with("message", "Cafeteria order")).await;
    assert_eq!(found(&app, "café névé").await, [cafe]);
    assert_eq!(found(&app, "CAFE neve").await, [cafe]);
    assert_eq!(found(&app, "nev").await, [cafe], "the start of a word");
    assert_eq!(
        found(&app, "cafe").await.len(),
        2,
        "cafe starts Cafeteria too"
    );
}

#[actix_web::test]
async fn a_phone_number_is_found_whatever_its_spacing() {
    let app = spawn_app().await;
    app.signed_in().await;
    let id = app.submit_lead(&with("phone", "07700 900123")).await;
    app.submit_lead(&with("phone", "01632 960001")).await;
    for q in [
        "07700900123",
        "07700 900123",
        "0770-090-0123",
        "900123",
        "0123",
    ] {
        assert_eq!(found(&app, q).await, [id], "q={q}");
    }
}

#[actix_web::test]
async fn corrected_details_are_found_by_their_new_words_and_not_the_old() {
    let app = spawn_app().await;
    app.signed_in().await;
    let id = app.submit_lead(&with("email", "typo@exmaple.com")).await;
    let mut form = with("email", "fixed@example.com");
    form.retain(|(k, _)| !["form_token", "website"].contains(k));
    form.push(("version", "1".into()));
    let saved = app
        .admin_post(&format!("/admin/leads/{id}/details"), &form)
        .await;
    assert_eq!(
        saved.status().as_u16(),
        303,
        "{}",
        saved.text().await.unwrap()
    );
    assert_eq!(found(&app, "fixed").await, [id]);
    assert_eq!(found(&app, "exmaple").await, Vec::<i64>::new());
}

#[actix_web::test]
async fn a_deleted_lead_leaves_nothing_in_the_search_index() {
    let app = spawn_app().await;
    app.signed_in().await;
    let id = app.submit_lead(&with("name", "Zebedee Quartz")).await;
    app.admin_post(&format!("/admin/leads/{id}/delete"), &[])
        .await;
    let rows = ritual_roast::db::lead_search::terms_of(&app.db, id)
        .await
        .unwrap();
    assert!(rows.is_empty(), "{rows:?}");
}

#[actix_web::test]
async fn leads_stored_before_the_index_existed_are_indexed_at_boot() {
    let app = spawn_app().await;
    app.signed_in().await;
    // A lead as an older version stored it (no search terms), left in the backlog by the migration.
    let insert = "INSERT INTO leads (id, name, email, phone, interest, message, consent, status, form_token,
                  created_at, updated_at, version)
                  VALUES (4242, 'Óscar Older', 'oscar@example.com', '', 'beans', '', 0, 'new', 'old-1',
                  '2026-01-01 09:00:00', '2026-01-01 09:00:00', 1)";
    app.execute_sql(insert, insert).await;
    let waiting = "INSERT INTO lead_search_backlog (lead_id) VALUES (4242)";
    app.execute_sql(waiting, waiting).await;
    assert_eq!(found(&app, "oscar").await, Vec::<i64>::new());
    let _next_boot = spawn_second_task(&app).await;
    let mut hits = Vec::new();
    for _ in 0..50 {
        hits = found(&app, "oscar older").await;
        if !hits.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(hits.len(), 1, "found once the boot's indexing ran");
}

#[actix_web::test]
async fn a_word_more_than_five_thousand_leads_share_never_drives_a_search_and_a_rare_one_does() {
    let app = spawn_app().await;
    // Index rows alone decide the plan: 5,001 for "common" (one past the cutoff), one for "rare".
    app.execute_sql(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5001) \
         INSERT INTO lead_search_terms (term, lead_id) SELECT 'common', i FROM n",
        "INSERT INTO lead_search_terms (term, lead_id) SELECT 'common', seq FROM seq_1_to_5001",
    )
    .await;
    let rare = "INSERT INTO lead_search_terms (term, lead_id) VALUES ('rare', 1)";
    app.execute_sql(rare, rare).await;
    let drives = |plan: Vec<ritual_roast::db::lead_search::SearchTerm>| {
        plan.iter().map(|term| term.drives).collect::<Vec<_>>()
    };
    let plan = |q: &'static str| ritual_roast::db::lead_search::plan(&app.db, q);

    assert_eq!(drives(plan("common rare").await.unwrap()), [false, true]);
    assert_eq!(drives(plan("common").await.unwrap()), [false]);
    let one_fewer = "DELETE FROM lead_search_terms WHERE term = 'common' AND lead_id = 5001";
    app.execute_sql(one_fewer, one_fewer).await;
    assert_eq!(drives(plan("common").await.unwrap()), [true]);
}

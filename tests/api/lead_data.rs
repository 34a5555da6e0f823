//! Visitors' data in the staff's hands: form-token reuse, contact links, the CSV export, erasure. Each test
//! failed on the code before its fix.

use crate::helpers::{spawn_app, valid_form, with};

#[actix_web::test]
async fn the_same_form_token_with_a_different_enquiry_stores_both() {
    let app = spawn_app().await;
    let first = valid_form();
    let token = first
        .iter()
        .find(|(k, _)| *k == "form_token")
        .unwrap()
        .1
        .clone();
    let first_id = app.submit_lead(&first).await;
    // Back, edit, send: same token, new message.
    let mut edited = with("message", "Actually, a grinder too.");
    edited.retain(|(k, _)| *k != "form_token");
    edited.push(("form_token", token));
    let second_id = app.submit_lead(&edited).await;
    assert_ne!(first_id, second_id, "the edited enquiry was dropped");
    assert_eq!(
        app.submit_lead(&edited).await,
        second_id,
        "an identical resend is still one lead"
    );
    assert_eq!(app.lead_count().await, 2);
}

#[actix_web::test]
async fn a_leads_email_cannot_inject_recipients_into_the_staff_mailto_link() {
    let app = spawn_app().await;
    app.signed_in().await;
    let id = app
        .submit_lead(&with("email", "x?bcc=everyone@example.com"))
        .await;
    let html = app
        .get(&format!("/admin/leads/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(r#"href="mailto:x%3Fbcc%3Deveryone@example.com""#),
        "{html}"
    );
    assert!(!html.contains("mailto:x?bcc"));
    assert!(
        html.contains(r#"href="tel:+442079460958""#),
        "phones are tel: links"
    );
}

#[actix_web::test]
async fn the_csv_export_quotes_every_cell_starts_with_a_bom_and_keeps_phones_readable() {
    let app = spawn_app().await;
    app.signed_in().await;
    let mut form = with("name", "Zoë; =1+1");
    form.retain(|(k, _)| *k != "message");
    form.push(("message", "-2+3;cmd".into()));
    app.submit_lead(&form).await;
    let body = app
        .get("/admin/leads/export.csv")
        .await
        .bytes()
        .await
        .unwrap();
    assert!(
        body.starts_with("\u{FEFF}".as_bytes()),
        "UTF-8 BOM for Excel"
    );
    let text = String::from_utf8(body.to_vec()).unwrap();
    let row = text.lines().nth(1).unwrap();
    assert!(row.starts_with('"') && row.ends_with('"'), "{row}");
    assert!(row.contains(r#""Zoë; =1+1""#), "{row}");
    assert!(row.contains(r#""'-2+3;cmd""#), "{row}");
    assert!(row.contains(r#"" +44 20 7946 0958""#), "{row}");
}

#[actix_web::test]
async fn deleting_a_lead_erases_the_persons_email_from_the_history_too() {
    let app = spawn_app().await;
    app.signed_in().await;
    let id = app
        .submit_lead(&with("email", "erase.me@example.com"))
        .await;
    let response = app
        .admin_post(&format!("/admin/leads/{id}/delete"), &[])
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let history = ritual_roast::db::lead_events::history(&app.db, id)
        .await
        .unwrap();
    assert!(history.iter().any(|event| event.action == "deleted"));
    assert!(
        history
            .iter()
            .all(|event| !event.detail.contains("erase.me")),
        "{history:?}"
    );
}

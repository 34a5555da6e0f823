//! Staff correct any field of a lead (a typo in an email or phone number) and record a withdrawal of
//! marketing consent with its time; each change is in the lead's history, and a stale edit is refused.

use crate::helpers::{assert_is_redirect_to, spawn_app, valid_form};

fn details(email: &str, phone: &str, consent: bool, version: i32) -> Vec<(&'static str, String)> {
    let mut form = vec![
        ("name", "Ana Lima".to_owned()),
        ("email", email.to_owned()),
        ("phone", phone.to_owned()),
        ("interest", "subscription".into()),
        ("message", "Two bags a month, please.".into()),
        ("version", version.to_string()),
    ];
    if consent {
        form.push(("consent", "yes".into()));
    }
    form
}

#[actix_web::test]
async fn staff_correct_a_typo_in_the_email_and_the_history_names_the_field() {
    let app = spawn_app().await;
    app.signed_in().await;
    let id = app.submit_lead(&valid_form()).await;
    let page = app.get(&format!("/admin/leads/{id}/details")).await;
    assert_eq!(page.status().as_u16(), 200);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("value=\"ana@example.com\""),
        "the form holds the current values"
    );
    let path = format!("/admin/leads/{id}/details");
    let saved = app
        .admin_post(
            &path,
            &details("ana.lima@example.com", "+44 20 7946 0958", true, 1),
        )
        .await;
    assert_is_redirect_to(&saved, &format!("/admin/leads/{id}"));
    let lead = ritual_roast::db::leads::find(&app.db, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(lead.email.as_str(), "ana.lima@example.com");
    assert_eq!(lead.version, 2);
    let html = app
        .get(&format!("/admin/leads/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("details edited: email"),
        "history names the field, not the old address"
    );
    assert!(
        !html.contains("ana@example.com"),
        "the old address is not kept anywhere on the page"
    );
    let stale = app
        .admin_post(&path, &details("other@example.com", "", true, 1))
        .await;
    assert_eq!(
        stale.status().as_u16(),
        409,
        "an edit against an old version is refused"
    );
    let invalid = app
        .admin_post(&path, &details("not an address", "", true, 2))
        .await;
    assert_eq!(invalid.status().as_u16(), 422);
}

#[actix_web::test]
async fn a_consent_withdrawal_is_recorded_with_its_time() {
    let app = spawn_app().await;
    app.signed_in().await;
    let id = app.submit_lead(&valid_form()).await;
    let path = format!("/admin/leads/{id}/details");
    let saved = app
        .admin_post(
            &path,
            &details("ana@example.com", "+44 20 7946 0958", false, 1),
        )
        .await;
    assert_is_redirect_to(&saved, &format!("/admin/leads/{id}"));
    let lead = ritual_roast::db::leads::find(&app.db, id)
        .await
        .unwrap()
        .unwrap();
    assert!(!lead.consent);
    assert!(lead.consent_withdrawn_at.is_some());
    let html = app
        .get(&format!("/admin/leads/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("withdrawn"),
        "the lead page says consent was withdrawn, and when"
    );
    assert!(
        html.contains("consent withdrawn"),
        "and so does the history"
    );
}

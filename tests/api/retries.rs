//! Work repeated after a lost connection: a retry must not turn into a duplicate or a false conflict.

use ritual_roast::db::lead_changes::{self, EditOutcome, LeadEdit, LeadWork};
use ritual_roast::domain::LeadStatus;

use crate::helpers::{spawn_app, valid_form};

#[actix_web::test]
async fn a_staff_save_repeated_after_its_reply_was_lost_is_saved_not_a_conflict() {
    let app = spawn_app().await;
    let id = app.submit_lead(&valid_form()).await;
    let edit = LeadEdit {
        work: LeadWork {
            status: LeadStatus::Contacted,
            owner_id: None,
            follow_up_on: chrono::NaiveDate::from_ymd_opt(2030, 1, 15),
        },
        expected_version: 1,
    };
    let first = lead_changes::edit(&app.db, id, &edit, "staff@example.com")
        .await
        .unwrap();
    assert_eq!(first, EditOutcome::Saved);
    // The same save again, as a retry on a fresh connection sends it when the first reply was lost.
    let again = lead_changes::edit(&app.db, id, &edit, "staff@example.com")
        .await
        .unwrap();
    assert_eq!(again, EditOutcome::Saved);
    let history = ritual_roast::db::lead_events::history(&app.db, id)
        .await
        .unwrap();
    assert_eq!(
        history.iter().filter(|e| e.action == "edited").count(),
        1,
        "recorded once"
    );
    // Someone else's different save from the same old version is still a conflict.
    let theirs = LeadEdit {
        work: LeadWork {
            status: LeadStatus::Lost,
            owner_id: None,
            follow_up_on: None,
        },
        expected_version: 1,
    };
    assert_eq!(
        lead_changes::edit(&app.db, id, &theirs, "other@example.com")
            .await
            .unwrap(),
        EditOutcome::Stale
    );
}

#[actix_web::test]
async fn a_lead_insert_repeated_after_its_reply_was_lost_stores_one_lead() {
    let app = spawn_app().await;
    let form = valid_form();
    let first = app.submit_lead(&form).await;
    assert_eq!(app.submit_lead(&form).await, first);
    assert_eq!(app.lead_count().await, 1);
}

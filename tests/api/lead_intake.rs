//! The lead intake: submissions waiting together are stored by one transaction, each exactly once, and a
//! full queue is refused at once with a retry hint. (Run on SQLite and, with RR_TEST_BACKEND=mysql, on
//! MariaDB, where the batch is one multi-row INSERT.)

use std::collections::{HashMap, HashSet};

use ritual_roast::db::leads::Stored;
use ritual_roast::db::outbox::Notify;
use ritual_roast::domain::{LeadFormValues, LeadSubmission};
use ritual_roast::state::LeadIntake;
use ritual_roast::state::lead_intake::Receipt;

use crate::helpers::{TestApp, encode, spawn_app, valid_form, with};

fn submission(fields: &[(&str, String)]) -> LeadSubmission {
    let pairs: HashMap<String, String> = fields
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect();
    LeadFormValues::from_fields(pairs).validate().unwrap()
}

/// Queues `leads` on an intake whose writers have not started, so they all wait together, then starts it.
async fn stored_together(
    app: &TestApp,
    leads: Vec<LeadSubmission>,
    settings: &[(&str, &str)],
) -> Vec<Receipt> {
    let settings = app.settings_with(settings);
    let intake = std::rc::Rc::new(LeadIntake::new(&settings.leads));
    let waiting: Vec<_> = leads
        .into_iter()
        .map(|lead| {
            let intake = intake.clone();
            tokio::task::spawn_local(async move { intake.submit(lead).await.unwrap() })
        })
        .collect();
    tokio::task::yield_now().await;
    intake.start(&app.db, &settings.leads, Notify::Off);
    let mut receipts = Vec::new();
    for handle in waiting {
        receipts.push(handle.await.unwrap());
    }
    receipts
}

#[actix_web::test]
async fn leads_waiting_together_are_stored_by_one_transaction_each_exactly_once() {
    let app = spawn_app().await;
    let earlier_form = valid_form();
    let earlier = app.submit_lead(&earlier_form).await;
    let repeated = with("name", "Bruno Café");
    let forms = [
        with("name", "Carla Quispe"),
        repeated.clone(),
        with("message", "Decaf for the office"),
        repeated,
        earlier_form,
    ];
    let receipts = stored_together(&app, forms.iter().map(|f| submission(f)).collect(), &[]).await;

    assert!(receipts.iter().all(|r| r.batch == 5), "{receipts:?}");
    let stored: Vec<Stored> = receipts.into_iter().map(|r| r.stored.unwrap()).collect();
    let (Stored::Created(carla), Stored::Created(bruno), Stored::Created(decaf)) =
        (stored[0], stored[1], stored[2])
    else {
        panic!("the first three are new leads: {stored:?}");
    };
    assert_eq!(
        stored[3],
        Stored::AlreadyStored(bruno),
        "a repeat in the same batch"
    );
    assert_eq!(
        stored[4],
        Stored::AlreadyStored(earlier),
        "a repeat of a stored lead"
    );
    assert_eq!(HashSet::from([carla, bruno, decaf, earlier]).len(), 4);
    assert_eq!(app.lead_count().await, 4);
    let bruno_terms = ritual_roast::db::lead_search::terms_of(&app.db, bruno)
        .await
        .unwrap();
    assert!(bruno_terms.contains(&"cafe".to_owned()), "{bruno_terms:?}");
    let decaf_terms = ritual_roast::db::lead_search::terms_of(&app.db, decaf)
        .await
        .unwrap();
    assert!(decaf_terms.contains(&"decaf".to_owned()), "{decaf_terms:?}");
}

#[actix_web::test]
async fn a_transaction_holds_at_most_the_configured_batch() {
    let app = spawn_app().await;
    let leads = (0..5).map(|_| submission(&valid_form())).collect();
    let receipts = stored_together(&app, leads, &[("RR_LEADS__INTAKE_BATCH", "2")]).await;
    let sizes: Vec<usize> = receipts.iter().map(|r| r.batch).collect();
    assert!(sizes.iter().all(|&size| size <= 2), "{sizes:?}");
    assert!(receipts.iter().all(|r| r.stored.is_ok()), "{receipts:?}");
    assert_eq!(app.lead_count().await, 5);
}

#[actix_web::test]
async fn a_full_intake_refuses_at_once_with_a_retry_hint_and_stores_nothing() {
    let app = spawn_app().await;
    let settings = app.settings_with(&[("RR_LEADS__INTAKE_QUEUE", "2")]);
    let intake = std::rc::Rc::new(LeadIntake::new(&settings.leads));
    for _ in 0..2 {
        let intake = intake.clone();
        let lead = submission(&valid_form());
        tokio::task::spawn_local(async move { intake.submit(lead).await });
    }
    tokio::task::yield_now().await;
    let refused = intake.submit(submission(&valid_form())).await.unwrap_err();
    assert_eq!(refused.retry_after_secs(), Some(1));
    assert_eq!(app.lead_count().await, 0);
}

#[actix_web::test]
async fn many_visitors_posting_at_once_each_get_their_own_stored_lead() {
    let app = spawn_app().await;
    let forms: Vec<String> = (0..40).map(|_| encode(&valid_form())).collect();
    let posts = forms.iter().map(|form| app.post_form_json(form.clone()));
    let answers = futures_util::future::join_all(posts).await;
    let mut ids = HashSet::new();
    for answer in answers {
        assert_eq!(answer.status().as_u16(), 201);
        let body: serde_json::Value = answer.json().await.unwrap();
        ids.insert(body["id"].as_i64().unwrap());
    }
    assert_eq!(ids.len(), 40);
    assert_eq!(app.lead_count().await, 40);
    for id in ids {
        let terms = ritual_roast::db::lead_search::terms_of(&app.db, id)
            .await
            .unwrap();
        assert!(terms.contains(&"ana".to_owned()), "lead {id} is searchable");
    }
}

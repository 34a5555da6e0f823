//! New-lead emails: the outbox row is written with the lead, the worker sends each once, retries with
//! backoff while the mail service is down, gives up after a bounded time (visibly), and several workers
//! together send each notification exactly once. (The same against moto's SES and several processes:
//! tests/jobs/.)

use std::sync::Arc;

use ritual_roast::db::outbox;
use ritual_roast::jobs::notifications::deliver_due;

use crate::background::{FakeMailer, NOTIFY_ENV, app_with_notifications, count, staff_wanting};
use crate::helpers::{spawn_app, spawn_app_with, valid_form, with};

#[actix_web::test]
async fn a_lead_writes_one_notification_per_opted_in_staff_member_with_the_lead() {
    let (app, _) = app_with_notifications().await;
    staff_wanting(&app, "each@roast.example", "each").await;
    staff_wanting(&app, "digest@roast.example", "digest").await;
    staff_wanting(&app, "quiet@roast.example", "off").await;
    let form = valid_form();
    let id = app.submit_lead(&form).await;
    let rows = count(
        &app,
        &format!(
            "SELECT COUNT(*) FROM notification_outbox WHERE lead_id = {id} AND state = 'pending'"
        ),
    )
    .await;
    assert_eq!(
        rows, 2,
        "one for the each-lead member, one for the digest member"
    );
    // The same submission again (a double click) stores nothing new and queues nothing new.
    assert_eq!(app.submit_lead(&form).await, id);
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM notification_outbox").await,
        2
    );
}

#[actix_web::test]
async fn with_no_sender_configured_leads_queue_no_notifications() {
    let app = spawn_app().await;
    staff_wanting(&app, "each@roast.example", "each").await;
    app.submit_lead(&valid_form()).await;
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM notification_outbox").await,
        0
    );
}

#[actix_web::test]
async fn the_worker_sends_each_due_notification_once_with_name_interest_message_and_link() {
    let (app, settings) = app_with_notifications().await;
    staff_wanting(&app, "each@roast.example", "each").await;
    let id = app
        .submit_lead(&with("message", "Decaf for the office, please"))
        .await;
    let mailer = FakeMailer::default();
    let round = deliver_due(&app.db, &mailer, &settings, "task-a")
        .await
        .unwrap();
    assert_eq!((round.claimed, round.emails_sent), (1, 1));
    let again = deliver_due(&app.db, &mailer, &settings, "task-a")
        .await
        .unwrap();
    assert_eq!(
        again.claimed, 0,
        "a sent notification is never claimed again"
    );
    let sent = mailer.sent();
    assert_eq!(sent.len(), 1);
    let email = &sent[0];
    assert_eq!(email.to, "each@roast.example");
    for part in [&email.text, &email.html] {
        assert!(part.contains("Ana Lima"), "{part}");
        assert!(part.contains("Coffee subscription"), "{part}");
        assert!(part.contains("Decaf for the office, please"), "{part}");
        assert!(part.contains(&format!("https://roast.example/admin/leads/{id}")));
    }
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM notification_outbox WHERE state = 'sent'"
        )
        .await,
        1
    );
}

#[actix_web::test]
async fn while_the_mail_service_is_down_notifications_wait_with_backoff_and_go_out_when_it_returns()
{
    let (app, settings) = app_with_notifications().await;
    staff_wanting(&app, "each@roast.example", "each").await;
    app.submit_lead(&valid_form()).await;
    let mailer = FakeMailer::default();
    mailer.set_down(true);
    let round = deliver_due(&app.db, &mailer, &settings, "task-a")
        .await
        .unwrap();
    assert_eq!((round.claimed, round.retried), (1, 1));
    // Backing off: not due again at once.
    let round = deliver_due(&app.db, &mailer, &settings, "task-a")
        .await
        .unwrap();
    assert_eq!(round.claimed, 0, "the retry waits for its backoff");
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM notification_outbox WHERE state = 'pending' AND attempts = 1 AND last_error LIKE '%ServiceUnavailable%'").await,
        1
    );
    mailer.set_down(false);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let round = deliver_due(&app.db, &mailer, &settings, "task-a")
        .await
        .unwrap();
    assert_eq!(round.emails_sent, 1);
    assert_eq!(mailer.sent().len(), 1);
}

#[actix_web::test]
async fn a_notification_still_failing_after_the_give_up_time_is_marked_failed_and_shown_to_admins()
{
    let mut env = NOTIFY_ENV.to_vec();
    env.push(("RR_NOTIFICATIONS__GIVE_UP_AFTER_MINS", "0"));
    let app = spawn_app_with(&env).await;
    let settings = app.settings_with(&env);
    app.signed_in().await;
    staff_wanting(&app, "each@roast.example", "each").await;
    let id = app.submit_lead(&valid_form()).await;
    let mailer = FakeMailer::default();
    mailer.set_down(true);
    let round = deliver_due(&app.db, &mailer, &settings, "task-a")
        .await
        .unwrap();
    assert_eq!(round.failed, 1);
    let page = app.get("/admin/jobs").await.text().await.unwrap();
    assert!(page.contains(r#"data-testid="outbox-failed">1<"#), "{page}");
    assert!(page.contains(&format!("/admin/leads/{id}")));
    assert!(page.contains("ServiceUnavailable"));
    mailer.set_down(false);
    let round = deliver_due(&app.db, &mailer, &settings, "task-a")
        .await
        .unwrap();
    assert_eq!(round.claimed, 0, "given up means given up");
}

#[actix_web::test]
async fn several_workers_at_once_send_each_notification_exactly_once() {
    let (app, settings) = app_with_notifications().await;
    staff_wanting(&app, "one@roast.example", "each").await;
    staff_wanting(&app, "two@roast.example", "each").await;
    let mut leads = Vec::new();
    for _ in 0..15 {
        leads.push(app.submit_lead(&valid_form()).await);
    }
    let mut settings = settings;
    settings.notifications.batch_size = 4;
    let (mailer, settings) = (Arc::new(FakeMailer::default()), Arc::new(settings));
    let workers: Vec<_> = (0..4)
        .map(|n| {
            let (db, mailer, settings) = (app.db.clone(), mailer.clone(), settings.clone());
            tokio::spawn(async move {
                let holder = format!("task-{n}");
                loop {
                    let round = deliver_due(&db, mailer.as_ref(), &settings, &holder)
                        .await
                        .unwrap();
                    if round.claimed == 0 {
                        break;
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.unwrap();
    }
    let sent = mailer.sent();
    assert_eq!(sent.len(), 30, "15 leads × 2 recipients");
    for id in &leads {
        for to in ["one@roast.example", "two@roast.example"] {
            let link = format!("/admin/leads/{id}\n");
            let copies = sent
                .iter()
                .filter(|e| e.to == to && e.text.contains(&link))
                .count();
            assert_eq!(copies, 1, "lead {id} to {to}");
        }
    }
}

#[actix_web::test]
async fn a_digest_member_gets_one_email_for_all_their_leads_once_it_is_due() {
    let (app, settings) = app_with_notifications().await;
    staff_wanting(&app, "digest@roast.example", "digest").await;
    let first = app.submit_lead(&valid_form()).await;
    let second = app.submit_lead(&with("name", "Bo Silva")).await;
    let mailer = FakeMailer::default();
    let round = deliver_due(&app.db, &mailer, &settings, "task-a")
        .await
        .unwrap();
    assert_eq!(round.claimed, 0, "a digest waits for the digest hour");
    app.execute_sql(
        "UPDATE notification_outbox SET due_at = '2000-01-01 00:00:00'",
        "UPDATE notification_outbox SET due_at = '2000-01-01 00:00:00'",
    )
    .await;
    let round = deliver_due(&app.db, &mailer, &settings, "task-a")
        .await
        .unwrap();
    assert_eq!((round.claimed, round.emails_sent), (2, 1));
    let sent = mailer.sent();
    assert!(
        sent[0].subject.contains("2 new leads"),
        "{}",
        sent[0].subject
    );
    assert!(sent[0].text.contains(&format!("/admin/leads/{first}")));
    assert!(sent[0].text.contains(&format!("/admin/leads/{second}")));
}

#[actix_web::test]
async fn a_member_who_turned_emails_off_before_the_send_gets_nothing() {
    let (app, settings) = app_with_notifications().await;
    let id = staff_wanting(&app, "each@roast.example", "each").await;
    app.submit_lead(&valid_form()).await;
    ritual_roast::db::staff::set_notify(&app.db, id, ritual_roast::domain::NotifyChoice::Off)
        .await
        .unwrap();
    let mailer = FakeMailer::default();
    let round = deliver_due(&app.db, &mailer, &settings, "task-a")
        .await
        .unwrap();
    assert_eq!(round.dropped, 1);
    assert!(mailer.sent().is_empty());
    let summary = outbox::summary(&app.db, 5).await.unwrap();
    assert_eq!((summary.pending, summary.dropped), (0, 1));
}

#[actix_web::test]
async fn staff_choose_lead_emails_on_their_account_page() {
    let app = spawn_app().await;
    app.signed_in().await;
    let page = app.get("/admin/account").await.text().await.unwrap();
    assert!(page.contains(r#"data-testid="notify-form""#));
    let response = app
        .admin_post(
            "/admin/account/notifications",
            &[("notify", "digest".into())],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let user = ritual_roast::db::staff::find_user_by_email(&app.db, crate::helpers::STAFF_EMAIL)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.notify, ritual_roast::domain::NotifyChoice::Digest);
    let refused = app
        .admin_post(
            "/admin/account/notifications",
            &[("notify", "hourly".into())],
        )
        .await;
    assert_eq!(refused.status().as_u16(), 400);
}

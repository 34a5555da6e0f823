//! Periodic jobs: one task at a time under a database lease, taken over when a task died mid-job, shown on
//! /admin/jobs; housekeeping prunes expired sessions, old sign-in attempts and sent notifications; retention
//! deletes exactly the leads past the period, with everything of theirs.

use ritual_roast::db::job_runs;
use ritual_roast::jobs::runner::{self, HOUSEKEEPING, RETENTION, Tick};

use crate::background::{count, staff_role_browser, staff_wanting};
use crate::helpers::{spawn_app, spawn_second_task, valid_form};

const OLD: &str = "2000-01-01 00:00:00";

#[actix_web::test]
async fn a_due_job_runs_in_exactly_one_of_several_tasks_and_then_waits_its_interval() {
    let app = spawn_app().await;
    let settings = app.settings_with(&[]);
    runner::register(&app.db, &settings).await.unwrap();
    let second = spawn_second_task(&app).await;
    let (a, b) = tokio::join!(
        runner::tick(&app.db, &settings, "task-a", HOUSEKEEPING),
        runner::tick(&second.db, &settings, "task-b", HOUSEKEEPING),
    );
    let ran = [a.unwrap(), b.unwrap()]
        .into_iter()
        .filter(|t| matches!(t, Tick::Ran { ok: true, .. }))
        .count();
    assert_eq!(ran, 1, "one task ran it");
    let again = runner::tick(&app.db, &settings, "task-a", HOUSEKEEPING)
        .await
        .unwrap();
    assert_eq!(again, Tick::NotRun, "not due again before its interval");
    let jobs = job_runs::all(&app.db).await.unwrap();
    let job = jobs.iter().find(|j| j.name == HOUSEKEEPING).unwrap();
    assert_eq!(job.last_outcome, "ok");
    assert!(job.holder.is_none() && job.next_run_at > job.last_started_at.unwrap());
}

#[actix_web::test]
async fn a_job_whose_task_died_mid_run_is_run_again_once_its_lease_expires() {
    let app = spawn_app().await;
    let settings = app.settings_with(&[]);
    runner::register(&app.db, &settings).await.unwrap();
    // A task took the lease and was killed: its lease is still running…
    let sql = "UPDATE job_runs SET holder = 'task-dead', lease_until = '2999-01-01 00:00:00' WHERE name = 'retention'";
    app.execute_sql(sql, sql).await;
    let tick = runner::tick(&app.db, &settings, "task-a", RETENTION).await;
    assert_eq!(
        tick.unwrap(),
        Tick::NotRun,
        "nobody runs beside a live lease"
    );
    // … then runs out.
    let sql = format!("UPDATE job_runs SET lease_until = '{OLD}' WHERE name = 'retention'");
    app.execute_sql(&sql, &sql).await;
    let page_state = job_runs::all(&app.db).await.unwrap();
    let job = page_state.iter().find(|j| j.name == RETENTION).unwrap();
    assert!(job.interrupted(ritual_roast::db::staff::now()));
    let tick = runner::tick(&app.db, &settings, "task-a", RETENTION).await;
    assert!(matches!(tick.unwrap(), Tick::Ran { ok: true, .. }));
}

#[actix_web::test]
async fn housekeeping_prunes_expired_sessions_old_sign_in_attempts_and_sent_notifications() {
    let app = spawn_app().await;
    app.signed_in().await;
    let settings = app.settings_with(&[]);
    runner::register(&app.db, &settings).await.unwrap();
    let staff = staff_wanting(&app, "each@roast.example", "each").await;
    let lead = app.submit_lead(&valid_form()).await;
    for (sqlite, mysql) in [
        (
            format!(
                "INSERT INTO staff_sessions (id, staff_user_id, csrf_token, created_at, last_seen_at) VALUES ('expired', {staff}, 'x', '{OLD}', '{OLD}')"
            ),
            None,
        ),
        (
            format!(
                "INSERT INTO login_attempts (email, client_ip, succeeded, attempted_at) VALUES ('x@roast.example', '192.0.2.1', 0, '{OLD}')"
            ),
            None,
        ),
        (
            format!(
                "INSERT INTO notification_outbox (lead_id, staff_user_id, kind, state, attempts, due_at, last_error, created_at, sent_at) VALUES ({lead}, {staff}, 'each', 'sent', 0, '{OLD}', '', '{OLD}', '{OLD}')"
            ),
            None,
        ),
        (
            format!(
                "INSERT INTO notification_outbox (lead_id, staff_user_id, kind, state, attempts, due_at, last_error, created_at) VALUES ({lead}, {staff}, 'each', 'pending', 0, '{OLD}', '', '{OLD}')"
            ),
            None::<String>,
        ),
    ] {
        let mysql = mysql.unwrap_or_else(|| sqlite.clone());
        app.execute_sql(&sqlite, &mysql).await;
    }
    let tick = runner::tick(&app.db, &settings, "task-a", HOUSEKEEPING)
        .await
        .unwrap();
    let Tick::Ran { ok: true, detail } = tick else {
        panic!("housekeeping did not run: {tick:?}");
    };
    assert_eq!(detail, "sessions=1 sign_in_attempts=1 notifications=1");
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM staff_sessions").await,
        1,
        "the live session stays"
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM notification_outbox WHERE state = 'pending'"
        )
        .await,
        1,
        "unsent notifications stay, however old"
    );
    assert_eq!(app.get("/admin/leads").await.status().as_u16(), 200);
}

#[actix_web::test]
async fn retention_deletes_exactly_the_leads_past_the_period_with_their_notes_index_and_history() {
    let app = spawn_app().await;
    app.signed_in().await;
    let settings = app.settings_with(&[("RR_LEADS__RETENTION_MONTHS", "24")]);
    runner::register(&app.db, &settings).await.unwrap();
    let old = app.submit_lead(&valid_form()).await;
    let young = app.submit_lead(&valid_form()).await;
    let edge = app.submit_lead(&valid_form()).await;
    let note = [("body", "Called back, wants decaf".to_owned())];
    app.admin_post(&format!("/admin/leads/{old}/notes"), &note)
        .await;
    app.admin_post(&format!("/admin/leads/{young}/notes"), &note)
        .await;
    let aged = |id: i64, months: u32| {
        let at = chrono::Utc::now().naive_utc() - chrono::Months::new(months);
        format!(
            "UPDATE leads SET created_at = '{}' WHERE id = {id}",
            at.format("%Y-%m-%d %H:%M:%S")
        )
    };
    app.execute_sql(&aged(old, 25), &aged(old, 25)).await;
    app.execute_sql(&aged(edge, 23), &aged(edge, 23)).await;
    let sql = format!(
        "INSERT INTO lead_events (lead_id, actor, action, detail, created_at) VALUES ({old}, 'x', 'edited', 'status', '{OLD}')"
    );
    app.execute_sql(&sql, &sql).await;
    let tick = runner::tick(&app.db, &settings, "task-a", RETENTION)
        .await
        .unwrap();
    let Tick::Ran { ok: true, detail } = tick else {
        panic!("retention did not run: {tick:?}");
    };
    assert!(detail.starts_with("leads=1 "), "{detail}");
    for table in ["leads", "lead_notes", "lead_search_terms", "lead_events"] {
        let column = if table == "leads" { "id" } else { "lead_id" };
        let left = count(
            &app,
            &format!("SELECT COUNT(*) FROM {table} WHERE {column} = {old}"),
        )
        .await;
        assert_eq!(left, 0, "{table} still holds the old lead");
    }
    assert_eq!(
        app.lead_count().await,
        2,
        "the young lead and the 23-month one stay"
    );
    assert_eq!(
        count(
            &app,
            &format!("SELECT COUNT(*) FROM lead_notes WHERE lead_id = {young}")
        )
        .await,
        1
    );
}

#[actix_web::test]
async fn retention_zero_keeps_every_lead() {
    let app = spawn_app().await;
    let settings = app.settings_with(&[("RR_LEADS__RETENTION_MONTHS", "0")]);
    runner::register(&app.db, &settings).await.unwrap();
    let id = app.submit_lead(&valid_form()).await;
    let sql = format!("UPDATE leads SET created_at = '{OLD}' WHERE id = {id}");
    app.execute_sql(&sql, &sql).await;
    let tick = runner::tick(&app.db, &settings, "task-a", RETENTION)
        .await
        .unwrap();
    assert!(matches!(tick, Tick::Ran { ok: true, .. }));
    assert_eq!(app.lead_count().await, 1);
}

#[actix_web::test]
async fn the_jobs_page_shows_each_jobs_outcome_counts_last_and_next_run_to_admins_only() {
    let app = spawn_app().await;
    app.signed_in().await;
    let settings = app.settings_with(&[]);
    runner::register(&app.db, &settings).await.unwrap();
    runner::tick(&app.db, &settings, "task-a", HOUSEKEEPING)
        .await
        .unwrap();
    let page = app.get("/admin/jobs").await.text().await.unwrap();
    assert!(
        page.contains(r#"data-job="housekeeping""#) && page.contains(r#"data-job="retention""#)
    );
    assert!(
        page.contains("sessions=0 sign_in_attempts=0 notifications=0"),
        "{page}"
    );
    assert!(page.contains(r#"data-testid="job-outcome">ok<"#));
    assert!(page.contains(r#"data-testid="notifications-off""#));
    let staff = staff_role_browser(&app).await;
    assert_eq!(staff.get("/admin/jobs").await.status().as_u16(), 403);
}

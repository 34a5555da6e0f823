//! Background work in every task: the periodic jobs ([`runner`]: housekeeping and retention, one task at a
//! time under a database lease) and the notification worker ([`notifications`]: claims due outbox rows and
//! sends them through SES). Started by `startup`; nothing here answers a request.

pub mod notifications;
pub mod periodic;
pub mod runner;

use std::sync::Arc;
use std::time::Duration;

use crate::config::Settings;
use crate::db::DbPool;
use crate::email::SesMailer;

/// Who this task is, in leases and claims: unique per process.
pub fn task_id() -> String {
    format!("task-{}", &uuid::Uuid::new_v4().simple().to_string()[..12])
}

/// Starts the job runner and, when a sender is configured, the notification worker, for the life of the
/// process. A task killed mid-job or mid-send leaves a lease or claim that expires; another task carries on.
pub fn spawn(db: DbPool, settings: Arc<Settings>) {
    let holder = task_id();
    tracing::info!(
        task = holder,
        notifications = settings.notifications.enabled(),
        retention_months = settings.leads.retention_months,
        "background jobs starting"
    );
    let (runner_db, runner_settings, runner_holder) =
        (db.clone(), settings.clone(), holder.clone());
    actix_web::rt::spawn(async move {
        runner::run_forever(&runner_db, &runner_settings, &runner_holder).await;
    });
    if !settings.notifications.enabled() {
        return;
    }
    actix_web::rt::spawn(async move {
        let config = &settings.notifications;
        let mailer = SesMailer::new(
            &settings.aws.region,
            &config.from,
            Duration::from_secs(config.send_timeout_secs),
        )
        .await;
        notifications::run_forever(&db, &mailer, &settings, &holder).await;
    });
}

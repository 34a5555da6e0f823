//! Support for the background-work tests: a stand-in mailer that records what it sends and fails on cue,
//! an app with notifications on, and row counts on either backend.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use futures_util::future::BoxFuture;
use ritual_roast::config::Settings;
use ritual_roast::email::{Email, Mailer, SendError};

use crate::helpers::{TestApp, spawn_app_with};

/// Notifications on, with fast retries (the worker itself sleeps: tests run rounds by hand).
pub const NOTIFY_ENV: &[(&str, &str)] = &[
    ("RR_NOTIFICATIONS__FROM", "leads@roast.example"),
    ("RR_SITE__PUBLIC_URL", "https://roast.example"),
    ("AWS_REGION", "eu-west-1"),
    ("RR_NOTIFICATIONS__RETRY_INITIAL_SECS", "1"),
    ("RR_NOTIFICATIONS__RETRY_MAX_SECS", "1"),
    ("RR_NOTIFICATIONS__CLAIM_SECS", "60"),
    ("RR_NOTIFICATIONS__SEND_TIMEOUT_SECS", "5"),
];

pub async fn app_with_notifications() -> (TestApp, Settings) {
    let app = spawn_app_with(NOTIFY_ENV).await;
    let settings = app.settings_with(NOTIFY_ENV);
    (app, settings)
}

#[derive(Default)]
pub struct FakeMailer {
    pub sent: Mutex<Vec<Email>>,
    pub down: AtomicBool,
}

impl FakeMailer {
    pub fn sent(&self) -> Vec<Email> {
        self.sent.lock().unwrap().clone()
    }

    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }
}

impl Mailer for FakeMailer {
    fn send<'a>(&'a self, email: &'a Email) -> BoxFuture<'a, Result<(), SendError>> {
        Box::pin(async move {
            // A real send takes a moment: it lets concurrent workers interleave.
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            if self.down.load(Ordering::SeqCst) {
                return Err(SendError {
                    retryable: true,
                    message: "SES: ServiceUnavailable (stand-in)".into(),
                });
            }
            self.sent.lock().unwrap().push(email.clone());
            Ok(())
        })
    }
}

/// `SELECT COUNT(*) …` on the app's database, either backend.
pub async fn count(app: &TestApp, sql: &str) -> i64 {
    if let Some(path) = app.database_url.strip_prefix("sqlite://") {
        use diesel::{Connection, RunQueryDsl};
        let mut conn = diesel::SqliteConnection::establish(path).unwrap();
        diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(&format!(
            "({sql})"
        )))
        .get_result::<i64>(&mut conn)
        .unwrap()
    } else {
        let pool = mysql_async::Pool::new(app.database_url.as_str());
        let mut conn = pool.get_conn().await.unwrap();
        let n: Option<i64> = mysql_async::prelude::Queryable::query_first(&mut conn, sql)
            .await
            .unwrap();
        drop(conn);
        pool.disconnect().await.unwrap();
        n.unwrap_or_default()
    }
}

/// A staff member (staff role) who chose `notify` for new-lead emails; returns their id.
pub async fn staff_wanting(app: &TestApp, email: &str, notify: &str) -> i64 {
    app.create_staff_with_role(
        email,
        "correct horse battery staple",
        ritual_roast::domain::StaffRole::Staff,
    )
    .await;
    let user = ritual_roast::db::staff::find_user_by_email(&app.db, email)
        .await
        .unwrap()
        .unwrap();
    let choice = ritual_roast::domain::NotifyChoice::parse(notify).unwrap();
    ritual_roast::db::staff::set_notify(&app.db, user.id, choice)
        .await
        .unwrap();
    user.id
}

/// Another browser on `app`, signed in as a member with the staff role (not an admin).
pub async fn staff_role_browser(app: &TestApp) -> TestApp {
    let staff = app.another_browser();
    let password = "correct horse battery staple";
    staff
        .create_staff_with_role(
            "bo@roast.example",
            password,
            ritual_roast::domain::StaffRole::Staff,
        )
        .await;
    staff.login("bo@roast.example", password).await;
    staff
}

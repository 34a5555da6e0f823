//! `spawn_app()`: a fresh app per test, bound to port 0, with a fresh SQLite file (or a fresh MariaDB
//! database when `RR_TEST_BACKEND=mysql`), and a client that does not follow redirects.

use std::collections::HashMap;
use std::sync::Arc;

use reqwest::redirect::Policy;
use ritual_roast::config::Settings;
use ritual_roast::db::DbPool;
use ritual_roast::domain::StaffRole;
use ritual_roast::startup::Application;

pub struct TestApp {
    pub address: String,
    pub database_url: String,
    pub client: reqwest::Client,
    pub db: DbPool,
    _dir: Arc<tempfile::TempDir>,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// Spawns the app with extra environment entries (e.g. `("RR_LEADS__RATE_LIMIT_PER_MINUTE", "1")`).
pub async fn spawn_app_with(extra: &[(&str, &str)]) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let env = base_env(test_database_url(&dir).await);
    spawn_with_env(env, extra, dir).await
}

/// A second task on the same database as `first` (as two ECS tasks behind the ALB).
pub async fn spawn_second_task(first: &TestApp) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let env = base_env(first.database_url.clone());
    spawn_with_env(env, &[], dir).await
}

fn base_env(database_url: String) -> HashMap<String, String> {
    HashMap::from([
        ("PORT".into(), "0".into()),
        ("RR_SERVER__HOST".into(), "127.0.0.1".into()),
        ("RR_SERVER__WORKERS".into(), "1".into()),
        ("RR_LEADS__RATE_LIMIT_PER_MINUTE".into(), "1000".into()),
        ("RR_LEADS__RATE_LIMIT_BURST".into(), "1000".into()),
        ("LOG_LEVEL".into(), "error".into()),
        // Background jobs and the notification worker stay asleep: tests run them by hand.
        ("RR_JOBS__TICK_SECS".into(), "86400".into()),
        (
            "RR_NOTIFICATIONS__POLL_INTERVAL_SECS".into(),
            "86400".into(),
        ),
        ("DATABASE_URL".into(), database_url),
    ])
}

async fn spawn_with_env(
    mut env: HashMap<String, String>,
    extra: &[(&str, &str)],
    dir: tempfile::TempDir,
) -> TestApp {
    for (k, v) in extra {
        env.insert((*k).into(), (*v).into());
    }
    let settings = Settings::load_from(&env).expect("test settings are valid");
    ritual_roast::telemetry::init(&settings.log);
    let app = Application::build(settings.clone())
        .await
        .expect("app builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    actix_web::rt::spawn(app.run_until_stopped());
    let db = DbPool::connect(&settings.database).await.unwrap();
    let database_url = env["DATABASE_URL"].clone();
    TestApp {
        address,
        database_url,
        client: new_client(),
        db,
        _dir: Arc::new(dir),
    }
}

fn new_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .cookie_store(true)
        .build()
        .unwrap()
}

async fn test_database_url(dir: &tempfile::TempDir) -> String {
    match std::env::var("RR_TEST_BACKEND").as_deref() {
        Ok("mysql") => crate_support::fresh_mysql_database().await,
        _ => format!("sqlite://{}", dir.path().join("test.sqlite3").display()),
    }
}

mod crate_support {
    /// Creates an empty database on the MariaDB named by `RR_TEST_MYSQL_URL` (admin credentials) and
    /// returns a URL to it.
    pub async fn fresh_mysql_database() -> String {
        let admin = std::env::var("RR_TEST_MYSQL_URL")
            .expect("RR_TEST_BACKEND=mysql needs RR_TEST_MYSQL_URL (scripts/test.sh sets both)");
        let name = format!("rr_test_{}", uuid::Uuid::new_v4().simple());
        let pool = mysql_async::Pool::new(admin.as_str());
        let mut conn = pool
            .get_conn()
            .await
            .expect("MariaDB for tests is reachable");
        mysql_async::prelude::Queryable::query_drop(
            &mut conn,
            format!("CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"),
        )
        .await
        .unwrap();
        drop(conn);
        pool.disconnect().await.unwrap();
        let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
        format!("{base}/{name}")
    }
}

impl TestApp {
    /// The settings this app would load with `extra` on top (for running jobs by hand).
    pub fn settings_with(&self, extra: &[(&str, &str)]) -> Settings {
        let mut env = base_env(self.database_url.clone());
        for (k, v) in extra {
            env.insert((*k).into(), (*v).into());
        }
        Settings::load_from(&env).expect("test settings are valid")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    pub async fn post_form(&self, body: impl Into<reqwest::Body>) -> reqwest::Response {
        self.client
            .post(self.url("/leads"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn post_form_json(&self, body: impl Into<reqwest::Body>) -> reqwest::Response {
        self.client
            .post(self.url("/leads"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Accept", "application/json")
            .body(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn lead_count(&self) -> i64 {
        ritual_roast::db::leads::count(&self.db).await.unwrap()
    }
}

pub fn assert_is_redirect_to(response: &reqwest::Response, location: &str) {
    assert_eq!(response.status().as_u16(), 303, "expected a 303 redirect");
    assert_eq!(response.headers()["location"], location);
}

/// A valid form body with a fresh token, plus or minus fields.
pub fn valid_form() -> Vec<(&'static str, String)> {
    vec![
        ("name", "Ana Lima".into()),
        ("email", "ana@example.com".into()),
        ("phone", "+44 20 7946 0958".into()),
        ("interest", "subscription".into()),
        ("message", "Two bags a month, please.".into()),
        ("consent", "yes".into()),
        ("form_token", uuid::Uuid::new_v4().simple().to_string()),
        ("website", String::new()),
    ]
}

pub fn encode(fields: &[(&str, String)]) -> String {
    serde_urlencoded::to_string(fields).unwrap()
}

pub fn with(field: &'static str, value: &str) -> Vec<(&'static str, String)> {
    let mut form = valid_form();
    form.retain(|(k, _)| *k != field);
    form.push((field, value.to_owned()));
    form
}

pub fn without(field: &str) -> Vec<(&'static str, String)> {
    let mut form = valid_form();
    form.retain(|(k, _)| *k != field);
    form
}

pub const STAFF_EMAIL: &str = "barista@ritualroast.example";
pub const STAFF_PASSWORD: &str = "correct horse battery staple";

impl TestApp {
    pub fn origin(&self) -> String {
        self.address.clone()
    }

    /// Creates an admin account (every test before roles existed acted as one).
    pub async fn create_staff(&self, email: &str, password: &str) {
        self.create_staff_with_role(email, password, StaffRole::Admin)
            .await;
    }

    pub async fn create_staff_with_role(&self, email: &str, password: &str, role: StaffRole) {
        let hash = ritual_roast::admin::passwords::hash(password.to_owned())
            .await
            .unwrap();
        assert!(
            ritual_roast::db::staff::create_user(&self.db, email, "Test Barista", &hash, role)
                .await
                .unwrap()
        );
    }

    /// Another browser on the same app (its own cookies), as a second staff member at their own desk.
    pub fn another_browser(&self) -> TestApp {
        TestApp {
            address: self.address.clone(),
            database_url: self.database_url.clone(),
            client: new_client(),
            db: self.db.clone(),
            _dir: self._dir.clone(),
        }
    }

    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        self.client
            .post(self.url("/admin/login"))
            .header("Origin", self.origin())
            .form(&[("email", email), ("password", password)])
            .send()
            .await
            .unwrap()
    }

    /// Creates the standard staff account and signs this app's client in.
    pub async fn signed_in(&self) {
        self.create_staff(STAFF_EMAIL, STAFF_PASSWORD).await;
        let response = self.login(STAFF_EMAIL, STAFF_PASSWORD).await;
        assert_is_redirect_to(&response, "/admin");
    }

    /// The CSRF token from any admin page (every page carries it in the sign-out form).
    pub async fn csrf_token(&self) -> String {
        let html = self.get("/admin/leads").await.text().await.unwrap();
        html.split(r#"name="csrf_token" value=""#)
            .nth(1)
            .expect("signed in")
            .split('"')
            .next()
            .unwrap()
            .to_owned()
    }

    /// A same-origin admin form POST; the CSRF token is added unless the form has one.
    pub async fn admin_post(&self, path: &str, form: &[(&str, String)]) -> reqwest::Response {
        let mut form = form.to_vec();
        if !form.iter().any(|(k, _)| *k == "csrf_token") {
            form.push(("csrf_token", self.csrf_token().await));
        }
        self.client
            .post(self.url(path))
            .header("Origin", self.origin())
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(serde_html_form::to_string(&form).unwrap())
            .send()
            .await
            .unwrap()
    }

    /// Stores a lead through the public form and returns its id.
    pub async fn submit_lead(&self, fields: &[(&'static str, String)]) -> i64 {
        let response = self.post_form_json(encode(fields)).await;
        assert_eq!(response.status().as_u16(), 201);
        response.json::<serde_json::Value>().await.unwrap()["id"]
            .as_i64()
            .unwrap()
    }
}

impl TestApp {
    /// Runs one statement on the app's database behind its back (to break it on purpose).
    pub async fn execute_sql(&self, sqlite: &str, mysql: &str) {
        if let Some(path) = self.database_url.strip_prefix("sqlite://") {
            use diesel::{Connection, RunQueryDsl};
            let mut conn = diesel::SqliteConnection::establish(path).unwrap();
            diesel::sql_query(sqlite).execute(&mut conn).unwrap();
        } else {
            let pool = mysql_async::Pool::new(self.database_url.as_str());
            let mut conn = pool.get_conn().await.unwrap();
            mysql_async::prelude::Queryable::query_drop(&mut conn, mysql)
                .await
                .unwrap();
            drop(conn);
            pool.disconnect().await.unwrap();
        }
    }
}

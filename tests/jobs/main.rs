//! Lead emails with the real parts: three app processes on one MariaDB database (`RR_TEST_MYSQL_URL`) sending
//! through moto's SES v2 (a `moto_server` of each test's own, so its sent mail is that test's alone; moto
//! lists sent messages at `/moto-api/data.json`). Each lead reaches each opted-in member exactly once, and
//! mail held up by an SES outage goes out once SES is back.

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_sesv2::config::{BehaviorVersion, Credentials, Region};

#[path = "../common/required.rs"]
mod required;
#[path = "../common/served.rs"]
mod served;

use served::{BIN, Served};

const FROM: &str = "leads@roast.example";
const RECIPIENTS: [&str; 2] = ["one@roast.example", "two@roast.example"];

/// A moto server of this test's own on `port`.
struct Moto {
    child: Child,
    url: String,
}

impl Moto {
    async fn start(port: u16) -> Option<Moto> {
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let Ok(child) = child else {
            required::unavailable("moto_server is not installed (pip install 'moto[server]')");
            return None;
        };
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while reqwest::get(format!("{url}/moto-api/")).await.is_err() {
            assert!(Instant::now() < deadline, "moto_server did not answer");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // SES sends only from a verified identity; moto verifies one at once.
        ses(&url)
            .create_email_identity()
            .email_identity(FROM)
            .send()
            .await
            .unwrap();
        Some(Moto { child, url })
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The HTML bodies moto accepted, by recipient.
    async fn sent(&self) -> BTreeMap<String, Vec<String>> {
        let data: serde_json::Value = reqwest::get(format!("{}/moto-api/data.json", self.url))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let mut sent: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for message in data["ses"]["Message"].as_array().into_iter().flatten() {
            for to in message["destinations"]["ToAddresses"]
                .as_array()
                .into_iter()
                .flatten()
            {
                let body = message["body"].as_str().unwrap_or_default().to_owned();
                sent.entry(to.as_str().unwrap().to_owned())
                    .or_default()
                    .push(body);
            }
        }
        sent
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        self.stop();
    }
}

fn ses(url: &str) -> aws_sdk_sesv2::Client {
    let config = aws_sdk_sesv2::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("eu-west-1"))
        .endpoint_url(url)
        .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
        .http_client(ritual_roast::secrets::http_client())
        .build();
    aws_sdk_sesv2::Client::from_conf(config)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn fresh_database(admin: &str) -> String {
    let name = format!("rr_jobs_{}", uuid::Uuid::new_v4().simple());
    let pool = mysql_async::Pool::new(admin);
    let mut conn = pool.get_conn().await.unwrap();
    mysql_async::prelude::Queryable::query_drop(
        &mut conn,
        format!("CREATE DATABASE `{name}` CHARACTER SET utf8mb4"),
    )
    .await
    .unwrap();
    drop(conn);
    pool.disconnect().await.unwrap();
    format!("{}/{name}", admin.rsplit_once('/').unwrap().0)
}

async fn count(database: &str, sql: &str) -> i64 {
    let pool = mysql_async::Pool::new(database);
    let mut conn = pool.get_conn().await.unwrap();
    let n: Option<i64> = mysql_async::prelude::Queryable::query_first(&mut conn, sql)
        .await
        .unwrap();
    drop(conn);
    pool.disconnect().await.unwrap();
    n.unwrap_or_default()
}

fn app(database: &str, moto: &str) -> Command {
    let mut command = Command::new(BIN);
    command
        .env_clear()
        .env("RR_SERVER__HOST", "127.0.0.1")
        .env("RR_SERVER__WORKERS", "1")
        .env("DATABASE_URL", database)
        .env("RR_LEADS__RATE_LIMIT_PER_MINUTE", "100000")
        .env("RR_LEADS__RATE_LIMIT_BURST", "100000")
        .env("RR_NOTIFICATIONS__FROM", FROM)
        .env("RR_NOTIFICATIONS__POLL_INTERVAL_SECS", "1")
        .env("RR_NOTIFICATIONS__BATCH_SIZE", "3")
        .env("RR_NOTIFICATIONS__RETRY_INITIAL_SECS", "1")
        .env("RR_NOTIFICATIONS__RETRY_MAX_SECS", "2")
        .env("RR_NOTIFICATIONS__SEND_TIMEOUT_SECS", "3")
        .env("RR_NOTIFICATIONS__CLAIM_SECS", "30")
        .env("RR_SITE__PUBLIC_URL", "https://roast.example")
        .env("AWS_REGION", "eu-west-1")
        .env("AWS_ENDPOINT_URL", moto)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .stderr(Stdio::inherit());
    command
}

/// Migrates, then adds the two members who want an email per lead (through the command line).
fn staff(database: &str, moto: &str) {
    for email in RECIPIENTS {
        let out = app(database, moto)
            .args(["staff", "add", "--email", email, "--notify", "each"])
            .env("RR_STAFF_PASSWORD", "correct horse battery staple")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

async fn post_leads(tasks: &[Served], n: usize) -> Vec<i64> {
    let http = reqwest::Client::new();
    let mut ids = Vec::new();
    for i in 0..n {
        let task = &tasks[i % tasks.len()];
        let token = uuid::Uuid::new_v4().simple().to_string();
        let form = [
            ("name", format!("Guest {i}")),
            ("email", format!("guest{i}@example.com")),
            ("interest", "beans".to_owned()),
            ("message", format!("Lead number {i}")),
            ("form_token", token),
            ("website", String::new()),
        ];
        let response = http
            .post(task.url("/leads"))
            .header("Accept", "application/json")
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        let body: serde_json::Value = response.json().await.unwrap();
        ids.push(body["id"].as_i64().unwrap());
    }
    ids
}

/// Waits until moto holds `expected` messages (or the deadline), then a little longer, so a duplicate would
/// have time to show.
async fn settle(moto: &Moto, expected: usize, within: Duration) -> BTreeMap<String, Vec<String>> {
    let deadline = Instant::now() + within;
    while moto.sent().await.values().map(Vec::len).sum::<usize>() < expected
        && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    moto.sent().await
}

fn assert_each_lead_once(sent: &BTreeMap<String, Vec<String>>, ids: &[i64]) {
    for to in RECIPIENTS {
        let bodies = sent.get(to).cloned().unwrap_or_default();
        assert_eq!(bodies.len(), ids.len(), "emails to {to}");
        for id in ids {
            let link = format!("https://roast.example/admin/leads/{id}\"");
            let copies = bodies.iter().filter(|b| b.contains(&link)).count();
            assert_eq!(copies, 1, "lead {id} to {to}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_tasks_together_email_each_lead_to_each_member_exactly_once() {
    let Some(admin) = required::service_var("RR_TEST_MYSQL_URL", "MariaDB") else {
        return;
    };
    let Some(moto) = Moto::start(free_port()).await else {
        return;
    };
    let database = fresh_database(&admin).await;
    staff(&database, &moto.url);
    let tasks = Served::start_together((0..3).map(|_| app(&database, &moto.url)));
    let ids = post_leads(&tasks, 24).await;
    let sent = settle(&moto, 48, Duration::from_secs(60)).await;
    assert_each_lead_once(&sent, &ids);
    let sql = "SELECT COUNT(*) FROM notification_outbox WHERE state = 'sent'";
    assert_eq!(count(&database, sql).await, 48);
    let senders: Vec<bool> = tasks
        .iter()
        .map(|t| t.log_text().contains("notification sent"))
        .collect();
    assert!(
        senders.iter().filter(|s| **s).count() >= 2,
        "the work was shared: {senders:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_held_up_by_an_ses_outage_goes_out_once_ses_is_back() {
    let Some(admin) = required::service_var("RR_TEST_MYSQL_URL", "MariaDB") else {
        return;
    };
    let port = free_port();
    let Some(mut moto) = Moto::start(port).await else {
        return;
    };
    let database = fresh_database(&admin).await;
    staff(&database, &moto.url);
    let tasks = Served::start_together((0..2).map(|_| app(&database, &moto.url)));
    moto.stop();
    let ids = post_leads(&tasks, 5).await;
    // Let the workers fail against the missing SES: every row tried at least once, none given up.
    let waiting =
        "SELECT COUNT(*) FROM notification_outbox WHERE state = 'pending' AND attempts > 0";
    let deadline = Instant::now() + Duration::from_secs(30);
    while count(&database, waiting).await < 10 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(
        count(&database, waiting).await,
        10,
        "all retried, none lost"
    );
    let Some(back) = Moto::start(port).await else {
        return;
    };
    let sent = settle(&back, 10, Duration::from_secs(30)).await;
    assert_each_lead_once(&sent, &ids);
    let log = tasks.iter().map(Served::log_text).collect::<String>();
    assert!(log.contains("notification not sent; will retry"));
}

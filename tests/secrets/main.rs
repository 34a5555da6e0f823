//! Credentials from Secrets Manager against the real things that run here: moto's server (started by
//! scripts/test.sh, `RR_TEST_MOTO_URL`) and MariaDB. The rotation test performs single-user rotations by
//! hand — AWSPENDING version, `ALTER USER`, then AWSCURRENT moved — under continuous lead submissions.

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::config::{BehaviorVersion, Credentials, Region};
use tokio::sync::Mutex;

#[path = "../common/required.rs"]
mod required;
#[path = "../common/served.rs"]
mod served;

use served::{BIN, Served};

struct Env {
    moto: String,
    mysql_admin: String,
}

fn env() -> Option<Env> {
    let moto = required::service_var(
        "RR_TEST_MOTO_URL",
        "moto's server standing in for Secrets Manager",
    )?;
    let mysql_admin = required::service_var("RR_TEST_MYSQL_URL", "MariaDB behind the secret")?;
    Some(Env { moto, mysql_admin })
}

fn secrets(moto: &str) -> Client {
    let config = aws_sdk_secretsmanager::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(moto)
        .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
        .http_client(ritual_roast::secrets::http_client())
        .build();
    Client::from_conf(config)
}

async fn sql(admin: &str, statements: &[String]) {
    let pool = mysql_async::Pool::new(admin);
    let mut conn = pool.get_conn().await.unwrap();
    for s in statements {
        mysql_async::prelude::Queryable::query_drop(&mut conn, s)
            .await
            .unwrap();
    }
    drop(conn);
    pool.disconnect().await.unwrap();
}

async fn count(admin: &str, query: &str) -> i64 {
    let pool = mysql_async::Pool::new(admin);
    let mut conn = pool.get_conn().await.unwrap();
    let n: Option<i64> = mysql_async::prelude::Queryable::query_first(&mut conn, query)
        .await
        .unwrap();
    drop(conn);
    pool.disconnect().await.unwrap();
    n.unwrap_or_default()
}

/// A database, a user that can use it, and a secret in RDS form holding the user's password.
struct Fixture {
    database: String,
    user: String,
    secret: String,
}

fn secret_json(user: &str, password: &str, admin: &str, database: &str) -> String {
    let opts = mysql_async::Opts::from_url(admin).unwrap();
    serde_json::json!({"username": user, "password": password, "host": opts.ip_or_hostname(),
        "port": opts.tcp_port(), "dbname": database, "engine": "mysql"})
    .to_string()
}

async fn fixture(env: &Env, client: &Client) -> Fixture {
    let tag = &uuid::Uuid::new_v4().simple().to_string()[..10];
    let (database, user, secret) = (
        format!("rr_sm_{tag}"),
        format!("rr_sm_{tag}"),
        format!("ritual-roast/{tag}"),
    );
    let mut statements = vec![format!(
        "CREATE DATABASE `{database}` CHARACTER SET utf8mb4"
    )];
    for host in ["localhost", "127.0.0.1"] {
        statements.push(format!(
            "CREATE USER '{user}'@'{host}' IDENTIFIED BY 'first-password'"
        ));
        statements.push(format!("GRANT ALL ON `{database}`.* TO '{user}'@'{host}'"));
    }
    sql(&env.mysql_admin, &statements).await;
    client
        .create_secret()
        .name(&secret)
        .secret_string(secret_json(
            &user,
            "first-password",
            &env.mysql_admin,
            &database,
        ))
        .send()
        .await
        .unwrap();
    Fixture {
        database,
        user,
        secret,
    }
}

/// The app with its database credentials from `fixture`'s secret, once it answers `/readyz` with 200.
async fn start(env: &Env, fixture: &Fixture, extra: &[(&str, &str)]) -> Served {
    let mut command = Command::new(BIN);
    command
        .env_clear()
        .env("RR_SERVER__HOST", "127.0.0.1")
        .env("SECRET_NAME", &fixture.secret)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL", &env.moto)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("RR_LEADS__RATE_LIMIT_PER_MINUTE", "1000000")
        .env("RR_LEADS__RATE_LIMIT_BURST", "1000000")
        .stderr(Stdio::inherit());
    for (k, v) in extra {
        command.env(k, v);
    }
    let served = Served::start(command);
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = http.get(served.url("/readyz")).send().await
            && r.status() == 200
        {
            return served;
        }
        assert!(
            Instant::now() < deadline,
            "the app did not become ready; its log:\n{}",
            served.log_text()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_boots_with_host_port_database_and_credentials_all_from_the_secret() {
    let Some(env) = env() else { return };
    let client = secrets(&env.moto);
    let fixture = fixture(&env, &client).await;
    let mut served = start(&env, &fixture, &[]).await;
    served.terminate();
    let log = served.log_text();
    assert!(
        !log.contains("first-password"),
        "the secret value never reaches the log"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_secret_stops_the_boot_with_its_name_and_region() {
    let Some(env) = env() else { return };
    // moto must answer, or the error below would be "unreachable" rather than "does not exist".
    secrets(&env.moto)
        .list_secrets()
        .send()
        .await
        .expect("moto answers at RR_TEST_MOTO_URL");
    let output = Command::new(BIN)
        .env_clear()
        .env("SECRET_NAME", "ritual-roast/does-not-exist")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL", &env.moto)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("PORT", "0")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    // The not-found branch's own hint: every other error names the secret and the region too.
    assert!(
        stderr.contains(
            "secret ritual-roast/does-not-exist does not exist in us-east-1: check SECRET_NAME and AWS_REGION"
        ),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn repeated_single_user_rotations_under_load_fail_no_submission_and_lose_no_lead() {
    let Some(env) = env() else { return };
    let client = secrets(&env.moto);
    let fixture = fixture(&env, &client).await;
    // Short-lived pooled connections force NEW connections all through the rotations, and no periodic
    // refresh: every password change is discovered through MySQL's access-denied.
    let mut served = start(
        &env,
        &fixture,
        &[
            ("RR_DATABASE__POOL_SIZE", "3"),
            ("RR_DATABASE__MAX_CONNECTION_LIFETIME_SECS", "1"),
            ("RR_DATABASE__SECRET_REFRESH_SECS", "0"),
        ],
    )
    .await;
    let leads_url = served.url("/leads");

    let running = Arc::new(AtomicBool::new(true));
    // Where the rotation is, so a failed submission says in which step it failed.
    let phase: Arc<std::sync::Mutex<String>> = Arc::new(std::sync::Mutex::new("before".into()));
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let stored: Arc<Mutex<Vec<i64>>> = Arc::default();
    let failures: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut load = Vec::new();
    for worker in 0..4 {
        let (running, stored, failures) = (running.clone(), stored.clone(), failures.clone());
        let phase = phase.clone();
        let acknowledged = acknowledged.clone();
        let leads_url = leads_url.clone();
        load.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut n = 0;
            while running.load(Ordering::SeqCst) {
                n += 1;
                let body = format!("name=Load+{worker}&email=load{worker}%40example.com&interest=beans&form_token=load{worker}x{n:012}y");
                let answer = http
                    .post(&leads_url)
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .header("Accept", "application/json")
                    .body(body)
                    .send()
                    .await;
                match answer {
                    Ok(r) if r.status() == 201 => {
                        stored.lock().await.push(r.json::<serde_json::Value>().await.unwrap()["id"].as_i64().unwrap());
                        acknowledged.fetch_add(1, Ordering::SeqCst);
                    }
                    Ok(r) => {
                        let during = phase.lock().unwrap().clone();
                        failures.lock().await.push(format!("{during}: {} {}", r.status(), r.text().await.unwrap_or_default()));
                    }
                    Err(e) => {
                        let during = phase.lock().unwrap().clone();
                        failures.lock().await.push(format!("{during}: {e}"));
                    }
                }
            }
        }));
    }

    // Each step of a rotation lasts until the load has gone on through it (and, after the password
    // change, until a new connection has met it), never a fixed time.
    let recoveries = || {
        served
            .log_text()
            .matches("refused the cached credentials")
            .count()
    };
    let load_goes_on = async |step: &str, also: &dyn Fn() -> bool| {
        let start = acknowledged.load(Ordering::SeqCst);
        let deadline = Instant::now() + Duration::from_secs(60);
        while acknowledged.load(Ordering::SeqCst) < start + LEADS_PER_STEP || !also() {
            assert!(
                Instant::now() < deadline,
                "{step}: the load stalled ({} leads stored meanwhile, failures {:?})",
                acknowledged.load(Ordering::SeqCst) - start,
                failures.lock().await.first()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    const ROTATIONS: usize = 3;
    const LEADS_PER_STEP: usize = 20;
    for round in 1..=ROTATIONS {
        let password = format!("rotated-{round}-{}", uuid::Uuid::new_v4().simple());
        let previous = client
            .describe_secret()
            .secret_id(&fixture.secret)
            .send()
            .await
            .unwrap();
        let current_version = previous
            .version_ids_to_stages()
            .unwrap()
            .iter()
            .find(|(_, stages)| stages.iter().any(|s| s == "AWSCURRENT"))
            .map(|(id, _)| id.clone())
            .unwrap();
        // createSecret: the new version under AWSPENDING.
        let pending = client
            .put_secret_value()
            .secret_id(&fixture.secret)
            .secret_string(secret_json(
                &fixture.user,
                &password,
                &env.mysql_admin,
                &fixture.database,
            ))
            .version_stages("AWSPENDING")
            .send()
            .await
            .unwrap();
        *phase.lock().unwrap() = format!("round {round}, AWSPENDING created");
        load_goes_on("after createSecret", &|| true).await;
        // setSecret: the database takes the new password (only AWSPENDING knows it now).
        let alter: Vec<String> = ["localhost", "127.0.0.1"]
            .iter()
            .map(|h| {
                format!(
                    "ALTER USER '{}'@'{h}' IDENTIFIED BY '{password}'",
                    fixture.user
                )
            })
            .collect();
        let recovered_before = recoveries();
        *phase.lock().unwrap() = format!("round {round}, ALTER USER running");
        sql(&env.mysql_admin, &alter).await;
        *phase.lock().unwrap() = format!("round {round}, password changed");
        load_goes_on("after setSecret", &|| recoveries() > recovered_before).await;
        // finishSecret: AWSCURRENT moves to the new version.
        client
            .update_secret_version_stage()
            .secret_id(&fixture.secret)
            .version_stage("AWSCURRENT")
            .move_to_version_id(pending.version_id().unwrap())
            .remove_from_version_id(current_version)
            .send()
            .await
            .unwrap();
        *phase.lock().unwrap() = format!("round {round}, AWSCURRENT moved");
        load_goes_on("after finishSecret", &|| true).await;
    }
    running.store(false, Ordering::SeqCst);
    for task in load {
        task.await.unwrap();
    }
    served.terminate();

    let failures = failures.lock().await.clone();
    let stored = stored.lock().await.clone();
    assert!(
        failures.is_empty(),
        "{} failed submissions: {failures:?}\nserver log (warnings and errors):\n{}",
        failures.len(),
        served
            .log_text()
            .lines()
            .filter(|l| l.contains("\"WARN\"") || l.contains("\"ERROR\""))
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        stored.len() >= 3 * ROTATIONS * LEADS_PER_STEP,
        "the load generator kept submitting ({} leads)",
        stored.len()
    );
    let ids = stored
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let found = count(
        &env.mysql_admin,
        &format!(
            "SELECT COUNT(*) FROM `{}`.leads WHERE id IN ({ids})",
            fixture.database
        ),
    )
    .await;
    assert_eq!(
        found as usize,
        stored.len(),
        "every acknowledged lead is in the table"
    );
    let log = served.log_text();
    eprintln!(
        "{ROTATIONS} rotations, {} leads stored, 0 failed, {} new connections recovered through the secret",
        stored.len(),
        log.matches("refused the cached credentials").count()
    );
    assert!(
        log.matches("refused the cached credentials").count() >= ROTATIONS,
        "new connections met the rotated password and recovered through the secret"
    );
    assert!(
        !log.contains("rotated-") && !log.contains("first-password"),
        "no password in the log"
    );
}

use std::time::Duration;

use crate::served::Served;
use crate::support::{client, closed_port, mysql, server};

#[tokio::test]
async fn five_processes_booting_together_on_an_empty_database_apply_migrations_exactly_once() {
    let Some(db) = mysql() else { return };
    let (name, url) = db.fresh_database().await;
    let mut servers = Served::start_together((0..5).map(|_| server(&url)));
    let http = client();
    for served in &servers {
        let ready: serde_json::Value = http
            .get(served.url("/readyz"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            ready["migrations"]["up_to_date"], true,
            "process on {}: {ready}",
            served.port
        );
    }
    let applied_rows = db
        .query_count(&format!(
            "SELECT COUNT(*) FROM `{name}`.__diesel_schema_migrations"
        ))
        .await;
    let mut applied_log_lines = 0;
    for served in &mut servers {
        assert!(served.terminate().success());
        applied_log_lines += served.log_text().matches("\"applied migration\"").count();
    }
    let embedded = std::fs::read_dir("migrations/mysql").unwrap().count() as i64;
    assert_eq!(applied_rows, embedded, "each migration recorded once");
    assert_eq!(
        applied_log_lines as i64, embedded,
        "each migration applied by exactly one process"
    );
}

#[tokio::test]
async fn boot_against_an_unreachable_database_retries_then_exits_naming_host_port_and_cause() {
    let closed = closed_port();
    let started = std::time::Instant::now();
    let output = server(&format!("mysql://u:p@127.0.0.1:{closed}/d"))
        .env("RR_DATABASE__BOOT_DEADLINE_SECS", "2")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "it retried before giving up"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(&format!("127.0.0.1:{closed}")), "{stderr}");
    assert!(
        stderr.to_lowercase().contains("refused"),
        "names the cause: {stderr}"
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.matches("database not reachable yet").count() >= 2,
        "logs each attempt: {stdout}"
    );
}

#[tokio::test]
async fn wrong_credentials_fail_the_boot_with_a_hint_and_without_the_password() {
    let Some(db) = mysql() else { return };
    let (host, port) = db.host_port();
    let (name, _) = db.fresh_database().await;
    let output = server(&format!(
        "mysql://rr_admin:wrong-pw-xyz@{host}:{port}/{name}"
    ))
    .env("RR_DATABASE__BOOT_DEADLINE_SECS", "1")
    .output()
    .unwrap();
    assert!(!output.status.success());
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(all.contains("check the user and password"), "{all}");
    assert!(
        !all.contains("wrong-pw-xyz"),
        "the password never reaches the output"
    );
}

#[tokio::test]
async fn the_app_serves_and_stores_leads_on_mysql_with_db_server_style_settings() {
    let Some(db) = mysql() else { return };
    let (host, port) = db.host_port();
    let (name, _) = db.fresh_database().await;
    let mut command = server("");
    command
        .env_remove("DATABASE_URL")
        .env("DB_SERVER", &host)
        .env("DB_PORT", port.to_string())
        .env("DB_DATABASE", &name)
        .env("DB_USER", "rr_admin")
        .env("DB_PASSWORD", "rr-admin-test-pw");
    let mut served = Served::start(command);
    let response = client()
        .post(served.url("/leads"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Accept", "application/json")
        .body("name=Ren%C3%A9e+%F0%9F%98%80&email=r%40example.com&interest=wholesale")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 201);
    let stored = db
        .query_count(&format!(
            "SELECT COUNT(*) FROM `{name}`.leads WHERE name = 'Renée 😀'"
        ))
        .await;
    assert_eq!(stored, 1, "4-byte UTF-8 survives the round trip (utf8mb4)");
    served.terminate();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_migration_lock_held_too_long_fails_the_boot_clearly_after_the_configured_wait() {
    let Some(db) = mysql() else { return };
    let (_, url) = db.fresh_database().await;
    // Another "task" holds the migration lock and never lets go.
    let holder = mysql_async::Pool::new(db.admin_url.as_str());
    let mut held = holder.get_conn().await.unwrap();
    let got: Option<i64> = mysql_async::prelude::Queryable::query_first(
        &mut held,
        "SELECT GET_LOCK('ritual_roast_migrations', 5)",
    )
    .await
    .unwrap();
    assert_eq!(got, Some(1));
    let mut command = server(&url);
    command
        .env("RR_DATABASE__MIGRATION_LOCK_WAIT_SECS", "1")
        .arg("migrate")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = command.spawn().unwrap();
    let output = tokio::time::timeout(
        Duration::from_secs(60),
        tokio::task::spawn_blocking(move || child.wait_with_output()),
    )
    .await
    .expect("migrate gives up after the configured wait, not the old 300 s")
    .unwrap()
    .unwrap();
    assert!(!output.status.success());
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("held the migration lock for 1 s"), "{said}");
    drop(held);
    holder.disconnect().await.unwrap();
}

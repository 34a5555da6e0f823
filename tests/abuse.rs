//! The served binary under hostile load, as an attacker on the open internet would apply it: a burst of
//! sign-ins (each an argon2 run of 19 MiB), thousands of connections dripping their bodies, and the
//! security log such attacks leave. Limits are asserted (memory high-water mark, every health check
//! answered), never timings.

use std::io::Write;
use std::net::{IpAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

#[path = "common/served.rs"]
mod served;

use served::{Served, sqlite_command};

fn command(dir: &tempfile::TempDir) -> Command {
    let mut cmd = sqlite_command(dir);
    cmd.env("LOG_LEVEL", "info");
    cmd
}

/// The peak resident memory of a process, from `/proc/<pid>/status`.
fn peak_rss_mib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .expect("VmHWM is reported");
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib / 1024
}

/// Polls `/health.html` until `stop`; returns (answered 200, failed).
fn watch_health(url: String, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<(u32, Vec<String>)> {
    std::thread::spawn(move || {
        let client = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap();
        let (mut ok, mut failed) = (0, Vec::new());
        while !stop.load(Ordering::SeqCst) {
            match client.get(&url).send() {
                Ok(r) if r.status() == 200 => ok += 1,
                Ok(r) => failed.push(r.status().to_string()),
                Err(e) => failed.push(e.to_string()),
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        (ok, failed)
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn five_hundred_parallel_sign_ins_from_fifty_addresses_keep_memory_bounded_and_health_up() {
    let dir = tempfile::tempdir().unwrap();
    let server = Served::start(command(&dir));
    let stop = Arc::new(AtomicBool::new(false));
    let health = watch_health(server.url("/health.html"), Arc::clone(&stop));
    let mut attempts = Vec::new();
    for address in 0..50 {
        let client = reqwest::Client::builder()
            .local_address(
                format!("127.0.3.{}", address + 1)
                    .parse::<IpAddr>()
                    .unwrap(),
            )
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        for attempt in 0..10 {
            let client = client.clone();
            let url = server.url("/admin/login");
            let origin = server.url("");
            attempts.push(tokio::spawn(async move {
                // A different account each time: every attempt would reach the password check.
                let email = format!("guess{address}x{attempt}@example.com");
                client
                    .post(url)
                    .header("Origin", origin)
                    .form(&[("email", email.as_str()), ("password", "a wrong password")])
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
                    .map_err(|e| e.to_string())
            }));
        }
    }
    let mut statuses = std::collections::BTreeMap::new();
    for attempt in attempts {
        *statuses.entry(attempt.await.unwrap()).or_insert(0) += 1;
    }
    stop.store(true, Ordering::SeqCst);
    let (health_ok, health_failed) = health.join().unwrap();
    let peak = peak_rss_mib(server.pid());
    println!("sign-in answers: {statuses:?}; health: {health_ok} ok; peak RSS {peak} MiB");
    assert!(
        statuses.keys().all(|s| matches!(s, Ok(401 | 429 | 503))),
        "every attempt got a clear answer: {statuses:?}"
    );
    assert!(
        statuses.contains_key(&Ok(401)),
        "some attempts were checked: {statuses:?}"
    );
    assert!(
        health_failed.is_empty() && health_ok > 0,
        "health failed: {health_failed:?}"
    );
    assert!(
        peak < 128,
        "peak RSS {peak} MiB under 500 parallel sign-ins"
    );
    let log = server.log_text();
    assert!(
        log.contains(r#""limit":"password checks""#) || !statuses.contains_key(&Ok(503)),
        "shedding is logged"
    );
}

#[test]
fn five_thousand_slow_drip_connections_leave_health_and_the_form_working() {
    const DRIPPERS: usize = 5000;
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = command(&dir);
    // The soft open-files limit many platforms start a container with; the app must raise it itself.
    // SAFETY: setrlimit is async-signal-safe and touches nothing shared.
    unsafe {
        cmd.pre_exec(|| {
            let mut limit = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit);
            limit.rlim_cur = limit.rlim_cur.min(1024);
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
            Ok(())
        });
    }
    let server = Served::start(cmd);
    ritual_roast::request_limits::raise_open_files_limit();
    let address = format!("127.0.0.1:{}", server.port);
    let mut drippers = Vec::with_capacity(DRIPPERS);
    for _ in 0..DRIPPERS {
        let Ok(mut stream) =
            TcpStream::connect_timeout(&address.parse().unwrap(), Duration::from_secs(5))
        else {
            break;
        };
        let _ = stream.write_all(
            b"POST /leads HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\
              Content-Length: 10000\r\n\r\nn",
        );
        drippers.push(stream);
    }
    assert_eq!(
        drippers.len(),
        DRIPPERS,
        "every slow connection was accepted"
    );
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let mut failures = Vec::new();
    for round in 0..20 {
        for stream in drippers.iter_mut() {
            let _ = stream.write_all(b"a");
        }
        match client.get(server.url("/health.html")).send() {
            Ok(r) if r.status() == 200 => {}
            other => failures.push(format!("round {round}: {other:?}")),
        }
    }
    let form = client
        .post(server.url("/leads"))
        .header("Accept", "application/json")
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("name=Ana&email=ana%40example.com&interest=subscription&form_token=0123456789abcdef0123")
        .send();
    assert!(failures.is_empty(), "{failures:?}");
    assert_eq!(
        form.map(|r| r.status().as_u16()).ok(),
        Some(201),
        "a real visitor still gets through"
    );
    let log = server.log_text();
    assert!(
        log.contains(r#""message":"connection limits""#),
        "the limits are logged at boot"
    );
}

#[test]
fn failed_and_throttled_sign_ins_are_security_events_with_account_and_client_but_no_password() {
    let dir = tempfile::tempdir().unwrap();
    let server = Served::start(command(&dir));
    let client = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for _ in 0..7 {
        client
            .post(server.url("/admin/login"))
            .header("Origin", server.url(""))
            .form(&[
                ("email", "owner@example.com"),
                ("password", "hunter2-secret-guess"),
            ])
            .send()
            .unwrap();
    }
    let events: Vec<serde_json::Value> = server
        .log_lines_once(|line| line["outcome"] == "sign-in throttled")
        .into_iter()
        .filter(|line| line["event"] == "security")
        .collect();
    let outcomes: Vec<&str> = events
        .iter()
        .filter_map(|e| e["outcome"].as_str())
        .collect();
    assert!(outcomes.contains(&"sign-in failed"), "{outcomes:?}");
    assert!(outcomes.contains(&"sign-in throttled"), "{outcomes:?}");
    assert!(
        events
            .iter()
            .all(|e| e["account"] == "owner@example.com" && e["client_ip"] == "127.0.0.1")
    );
    assert!(
        !server.log_text().contains("hunter2"),
        "the password never reaches the log"
    );
}

//! The served binary as ECS runs it: JSON request logs (whole, all of them written by the time it exits,
//! none for health checks unless asked), a graceful SIGTERM that lets an in-flight request finish, one
//! session key across tasks, and the CSV export in flat memory.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[path = "common/served.rs"]
mod served;

use served::{Served, raw_post, sqlite_command as command};

#[test]
fn logs_are_json_lines_with_a_request_id_and_no_query_string() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Served::start(command(&dir));
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    stream
        .write_all(
            b"GET /privacy?email=ana@example.com HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(server.terminate().success());
    let lines = server.log_lines();
    let request = lines
        .iter()
        .find(|l| l["message"] == "request")
        .expect("a request line");
    assert_eq!(request["path"], "/privacy");
    assert_eq!(request["status"], 200);
    assert_eq!(request["method"], "GET");
    let id = request["request_id"].as_str().unwrap();
    assert_eq!(id.len(), 32);
    assert!(
        response.contains(&format!("x-request-id: {id}\r\n")),
        "the logged id is the one in the response: {response}"
    );
    assert!(
        !lines
            .iter()
            .any(|l| l.to_string().contains("ana@example.com"))
    );
}

/// Sends `count` requests for `path` on one keep-alive connection (HEAD when `head`), reading each answer.
fn requests_on_one_connection(port: u16, path: &str, count: usize, head: bool) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let method = if head { "HEAD" } else { "GET" };
    let mut reader = std::io::BufReader::new(stream.try_clone().unwrap());
    for _ in 0..count {
        write!(stream, "{method} {path} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let mut length = 0;
        loop {
            let mut line = String::new();
            std::io::BufRead::read_line(&mut reader, &mut line).unwrap();
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap();
            }
            if line == "\r\n" {
                break;
            }
        }
        let mut body = vec![0; if head { 0 } else { length }];
        reader.read_exact(&mut body).unwrap();
    }
}

fn request_lines(server: &Served, path: &str) -> usize {
    server
        .log_lines()
        .iter()
        .filter(|l| l["message"] == "request" && l["path"] == path)
        .count()
}

#[test]
fn health_checks_get_no_request_line_unless_asked_and_every_other_line_is_written_by_exit() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Served::start(command(&dir));
    requests_on_one_connection(server.port, "/health.html", 20, false);
    requests_on_one_connection(server.port, "/health.html", 5, true);
    // A burst, then SIGTERM at once: the buffered lines still reach stdout before the process exits.
    requests_on_one_connection(server.port, "/privacy", 2_000, false);
    assert!(server.terminate().success());
    assert_eq!(request_lines(&server, "/health.html"), 0);
    assert_eq!(
        request_lines(&server, "/privacy"),
        2_000,
        "every line written"
    );
    let last = server.log_lines().pop().unwrap();
    assert_eq!(
        last["message"], "stopped cleanly",
        "the last line is the last one logged"
    );

    let mut asked = command(&dir);
    asked.env("RR_LOG__HEALTH_CHECKS", "true");
    let mut server = Served::start(asked);
    requests_on_one_connection(server.port, "/health.html", 20, false);
    requests_on_one_connection(server.port, "/health.html", 5, true);
    assert!(server.terminate().success());
    assert_eq!(request_lines(&server, "/health.html"), 25);
}

#[test]
fn sigterm_lets_an_in_flight_request_finish_then_exits_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Served::start(command(&dir));
    let body = "name=Ana&email=ana%40example.com&interest=beans&form_token=0123456789abcdef0123";
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    // A first request on the same connection proves a worker is serving it before the signal arrives.
    stream
        .write_all(b"GET /health.html HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut first = Vec::new();
    let mut buf = [0u8; 1024];
    while !String::from_utf8_lossy(&first).contains("</html>\n") {
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0, "the health page arrives whole");
        first.extend_from_slice(&buf[..n]);
    }
    assert!(first.starts_with(b"HTTP/1.1 200"));
    // `Expect: 100-continue`: the server's "100 Continue" shows it has read the headers and is now in the
    // request, waiting for the body, before the signal is sent.
    write!(
        stream,
        "POST /leads HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n",
        body.len(),
    )
    .unwrap();
    let mut interim = Vec::new();
    while !interim.ends_with(b"\r\n\r\n") {
        let n = stream.read(&mut buf[..1]).unwrap();
        assert!(n > 0, "the server answers Expect: 100-continue");
        interim.push(buf[0]);
    }
    assert!(
        interim.starts_with(b"HTTP/1.1 100"),
        "{}",
        String::from_utf8_lossy(&interim)
    );
    stream.write_all(&body.as_bytes()[..10]).unwrap();
    server.send_sigterm();
    // The listener closes soon after the signal; wait for that (not a fixed time), with a deadline far
    // below the shutdown timeout, so a listener that stays open fails the test.
    let deadline = Instant::now() + Duration::from_secs(5);
    while TcpStream::connect(("127.0.0.1", server.port)).is_ok() {
        assert!(
            Instant::now() < deadline,
            "new connections are still accepted 5 s after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    stream.write_all(&body.as_bytes()[10..]).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(
        response.starts_with("HTTP/1.1 303"),
        "the in-flight request finished: {response}\nserver log:\n{}",
        server.log_text()
    );
    let status = server.wait();
    assert!(status.success(), "clean exit after SIGTERM, got {status}");
}

/// Creates a staff account through the command line, as an operator would.
fn add_staff(dir: &tempfile::TempDir, email: &str, password: &str) {
    let out = command(dir)
        .args(["staff", "add", "--email", email, "--name", "Staff"])
        .env("RR_STAFF_PASSWORD", password)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Signs in on `port` and returns the session cookie (`rr_staff=…`).
fn session_cookie(port: u16, email: &str, password: &str) -> String {
    let form = serde_urlencoded::to_string([("email", email), ("password", password)]).unwrap();
    let response = raw_post(port, "/admin/login", &form);
    assert!(response.starts_with("HTTP/1.1 303"), "{response}");
    response
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("set-cookie: rr_staff="))
        .map(|l| &l["set-cookie: ".len()..])
        .expect("a session cookie")
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

fn raw_get_status(port: u16, path: &str, cookie: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response.lines().next().unwrap_or_default().to_owned()
}

#[test]
fn a_configured_session_key_lets_every_task_with_that_key_read_the_cookie_and_no_other() {
    use base64::Engine;
    let dir = tempfile::tempdir().unwrap();
    add_staff(&dir, "key@example.com", "a long enough password");
    let key = |byte: u8| base64::engine::general_purpose::STANDARD.encode([byte; 64]);
    let with_key = |key: Option<String>| {
        let mut cmd = command(&dir);
        if let Some(key) = key {
            cmd.env("RR_ADMIN__SESSION_KEY", key);
        }
        cmd
    };
    // Four tasks on one database: two share the configured key, one has another key, one has none (so it
    // uses the key generated into the database).
    let servers = Served::start_together([
        with_key(Some(key(1))),
        with_key(Some(key(1))),
        with_key(Some(key(2))),
        with_key(None),
    ]);
    let cookie = session_cookie(servers[0].port, "key@example.com", "a long enough password");
    let status = |i: usize| raw_get_status(servers[i].port, "/admin/leads", &cookie);
    assert!(
        status(0).starts_with("HTTP/1.1 200"),
        "the signing task: {}",
        status(0)
    );
    assert!(
        status(1).starts_with("HTTP/1.1 200"),
        "another task with the same key: {}",
        status(1)
    );
    assert!(
        status(2).starts_with("HTTP/1.1 303"),
        "a task with another key cannot read the cookie: {}",
        status(2)
    );
    assert!(
        status(3).starts_with("HTTP/1.1 303"),
        "the configured key, not the stored one, sealed the cookie: {}",
        status(3)
    );
}

/// Resident memory of a process in KiB (`VmRSS` from /proc/<pid>/status).
fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/<pid>/status")
}

/// Samples a process's resident memory every few milliseconds until dropped; `peak` is the largest seen.
/// (The kernel's own peak, VmHWM, already holds the password hashing's 19 MiB from the sign-in.)
struct RssSampler {
    peak: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RssSampler {
    fn start(pid: u32) -> Self {
        let (peak, stop) = (
            Arc::new(AtomicU64::new(0)),
            Arc::new(AtomicBool::new(false)),
        );
        let (p, s) = (peak.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::SeqCst) {
                p.fetch_max(rss_kib(pid), Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(2));
            }
        });
        Self {
            peak,
            stop,
            thread: Some(thread),
        }
    }

    fn peak(mut self) -> u64 {
        self.stop.store(true, Ordering::SeqCst);
        self.thread.take().unwrap().join().unwrap();
        self.peak.load(Ordering::SeqCst)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_csv_export_of_many_leads_streams_in_flat_memory() {
    use diesel::{Connection, RunQueryDsl};
    const LEADS: u64 = 60_000;
    let dir = tempfile::tempdir().unwrap();
    let migrate = command(&dir).arg("migrate").output().unwrap();
    assert!(migrate.status.success());
    // ~500 bytes a lead: a 30 MB file, far more than the bound below.
    let mut db =
        diesel::SqliteConnection::establish(dir.path().join("rr.sqlite3").to_str().unwrap())
            .unwrap();
    diesel::sql_query(format!(
        "WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < {LEADS})
         INSERT INTO leads (name, email, phone, interest, message, consent, consent_at, status,
                            form_token, created_at, updated_at, version)
         SELECT 'Guest ' || i, 'guest' || i || '@example.com', '', 'beans', hex(randomblob(200)), 0, NULL,
                'new', 'gen' || i, strftime('%Y-%m-%d %H:%M:%f', 'now', '-' || i || ' seconds'),
                strftime('%Y-%m-%d %H:%M:%f', 'now'), 1
         FROM seq"
    ))
    .execute(&mut db)
    .unwrap();
    drop(db);
    add_staff(&dir, "export@example.com", "a long enough password");
    let server = Served::start(command(&dir));
    let cookie = session_cookie(server.port, "export@example.com", "a long enough password");
    let http = reqwest::Client::new();
    let export = async |query: &str| -> (u64, u64) {
        let mut response = http
            .get(server.url(&format!("/admin/leads/export.csv{query}")))
            .header("Cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let (mut bytes, mut lines) = (0u64, 0u64);
        while let Some(chunk) = response.chunk().await.unwrap() {
            bytes += chunk.len() as u64;
            lines += chunk.iter().filter(|b| **b == b'\n').count() as u64;
        }
        (bytes, lines)
    };
    // A first, small export warms up the code path and the pool.
    assert_eq!(export("?status=won").await.1, 1, "the header alone");
    let rss_before = rss_kib(server.pid());
    let sampler = RssSampler::start(server.pid());
    let (bytes, lines) = export("").await;
    let peak_during = sampler.peak();
    assert_eq!(lines, LEADS + 1, "a header and every lead");
    assert!(bytes > 25_000_000, "the export is large ({bytes} bytes)");
    let growth_kib = peak_during.saturating_sub(rss_before);
    eprintln!(
        "export of {LEADS} leads ({} MB): RSS {rss_before} KiB before, at most {peak_during} KiB during",
        bytes / 1_000_000
    );
    assert!(
        growth_kib < 12 * 1024,
        "exporting {} MB raised the RSS by {growth_kib} KiB: the export is not streamed in constant memory",
        bytes / 1_000_000
    );
}

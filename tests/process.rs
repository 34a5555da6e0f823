//! The binary as operators and ECS run it: `--help`, config errors, `migrate`, and a graceful SIGTERM that
//! lets an in-flight request finish.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

#[path = "common/served.rs"]
mod served;

use served::{BIN, Served};

fn command(dir: &tempfile::TempDir) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("RR_SERVER__HOST", "127.0.0.1")
        .env("RR_DATABASE__SQLITE_PATH", dir.path().join("rr.sqlite3"))
        .current_dir(dir.path());
    cmd
}

#[test]
fn help_explains_every_subcommand() {
    let out = Command::new(BIN).arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for word in ["serve", "migrate", "check-config", "RR_CONFIG", "DB_SERVER"] {
        assert!(help.contains(word), "--help does not mention {word}");
    }
    assert!(
        Command::new(BIN)
            .args(["migrate", "--help"])
            .output()
            .unwrap()
            .status
            .success()
    );
}

#[test]
fn a_configuration_error_exits_2_and_names_what_to_set() {
    let dir = tempfile::tempdir().unwrap();
    let out = command(&dir)
        .env("DB_SERVER", "db.internal")
        .env("DB_USER", "u")
        .arg("check-config")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("DB_DATABASE"));
}

#[test]
fn migrate_applies_the_schema_once_and_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let first = command(&dir).arg("migrate").output().unwrap();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let embedded = std::fs::read_dir("migrations/sqlite").unwrap().count();
    assert!(
        String::from_utf8_lossy(&first.stdout)
            .contains(&format!("{embedded} migration(s) applied"))
    );
    let second = command(&dir).arg("migrate").output().unwrap();
    assert!(String::from_utf8_lossy(&second.stdout).contains("0 migration(s) applied"));
}

#[test]
fn logs_are_json_lines_with_a_request_id_and_no_query_string() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Served::start(command(&dir));
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    stream.write_all(b"GET /health.html?email=ana@example.com HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(server.terminate().success());
    let lines = server.log_lines();
    let request = lines
        .iter()
        .find(|l| l["message"] == "request")
        .expect("a request line");
    assert_eq!(request["path"], "/health.html");
    assert_eq!(request["status"], 200);
    assert_eq!(request["request_id"].as_str().unwrap().len(), 32);
    assert!(
        !lines
            .iter()
            .any(|l| l.to_string().contains("ana@example.com"))
    );
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
    write!(
        stream,
        "POST /leads HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
        body.len(),
        &body[..10]
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    server.send_sigterm();
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        TcpStream::connect(("127.0.0.1", server.port)).is_err(),
        "new connections are refused after SIGTERM"
    );
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

#[test]
fn the_first_run_prints_a_one_time_setup_link_that_creates_the_first_staff_account() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Served::start(command(&dir));
    let setup_path = server
        .log_lines()
        .iter()
        .find_map(|l| l["setup_path"].as_str().map(str::to_owned))
        .expect("a setup link is logged when no staff account exists");
    let form = format!(
        "{}&email=owner%40ritualroast.example&display_name=Owner&password=a+long+enough+password",
        &setup_path["/admin/setup?".len()..]
    );
    let response = raw_post(server.port, "/admin/setup", &form);
    assert!(response.starts_with("HTTP/1.1 303"), "{response}");
    let again = raw_post(server.port, "/admin/setup", &form);
    assert!(
        again.starts_with("HTTP/1.1 404"),
        "the link works once: {again}"
    );
    server.terminate();
    let list = command(&dir).args(["staff", "list"]).output().unwrap();
    assert!(
        String::from_utf8_lossy(&list.stdout).contains("owner@ritualroast.example\tOwner\tactive")
    );
}

#[test]
fn staff_accounts_are_managed_from_the_command_line_without_passwords_in_arguments() {
    let dir = tempfile::tempdir().unwrap();
    let short = command(&dir)
        .args(["staff", "add", "--email", "a@b.co"])
        .env("RR_STAFF_PASSWORD", "short")
        .output()
        .unwrap();
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 12"));
    let add = command(&dir)
        .args([
            "staff",
            "add",
            "--email",
            "Ana@Example.com",
            "--name",
            "Ana",
        ])
        .env("RR_STAFF_PASSWORD", "a long enough password")
        .output()
        .unwrap();
    assert!(
        add.status.success(),
        "{}",
        String::from_utf8_lossy(&add.stderr)
    );
    let duplicate = command(&dir)
        .args(["staff", "add", "--email", "ana@example.com"])
        .env("RR_STAFF_PASSWORD", "a long enough password")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&duplicate.stderr).contains("exists already"));
    let mut reset = command(&dir)
        .args(["staff", "reset-password", "--email", "ana@example.com"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    reset
        .stdin
        .take()
        .unwrap()
        .write_all(b"another long password\n")
        .unwrap();
    assert!(
        reset.wait().unwrap().success(),
        "the password can come from standard input"
    );
    assert!(
        command(&dir)
            .args(["staff", "disable", "--email", "ana@example.com"])
            .output()
            .unwrap()
            .status
            .success()
    );
    let list = command(&dir).args(["staff", "list"]).output().unwrap();
    assert!(String::from_utf8_lossy(&list.stdout).contains("ana@example.com\tAna\tdisabled"));
    let missing = command(&dir)
        .args(["staff", "disable", "--email", "nobody@example.com"])
        .output()
        .unwrap();
    assert!(!missing.status.success());
}

fn raw_post(port: u16, path: &str, body: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: http://127.0.0.1:{port}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

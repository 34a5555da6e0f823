//! The binary as operators run it: `--help`, config errors, `check-config`, `migrate`, the first-run setup
//! link, the `staff` commands and `leads erase`. Serving behaviour (logs, SIGTERM, sessions across tasks, export memory)
//! is in `process_serving.rs`.

use std::io::Write;
use std::process::{Command, Stdio};

#[path = "common/served.rs"]
mod served;

use served::{BIN, Served, raw_post, sqlite_command as command};

#[test]
fn help_explains_every_subcommand() {
    let out = Command::new(BIN).arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for word in [
        "serve",
        "migrate",
        "check-config",
        "staff",
        "RR_CONFIG",
        "DB_SERVER",
    ] {
        assert!(help.contains(word), "--help does not mention {word}");
    }
    let staff = Command::new(BIN)
        .args(["staff", "--help"])
        .output()
        .unwrap();
    let staff = String::from_utf8(staff.stdout).unwrap();
    for word in ["add", "reset-password", "disable", "enable", "list"] {
        assert!(staff.contains(word), "staff --help does not mention {word}");
    }
    let add = Command::new(BIN)
        .args(["staff", "add", "--help"])
        .output()
        .unwrap();
    let add = String::from_utf8(add.stdout).unwrap();
    for words in [
        "--role",
        "admin for the first account, staff for every later one",
    ] {
        assert!(add.contains(words), "staff add --help does not say {words}");
    }
}

#[test]
fn every_subcommand_answers_help_without_touching_a_database() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["serve"][..],
        &["migrate"],
        &["check-config"],
        &["staff"],
        &["staff", "add"],
        &["staff", "reset-password"],
        &["staff", "disable"],
        &["staff", "enable"],
        &["staff", "list"],
        &["leads"],
        &["leads", "erase"],
    ] {
        let out = command(&dir).args(args).arg("--help").output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{args:?} --help failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            stdout.contains(&format!("Usage: ritual-roast {}", args.join(" "))),
            "{args:?} --help: {stdout}"
        );
    }
    assert!(
        !dir.path().join("rr.sqlite3").exists(),
        "--help created or migrated a database"
    );
}

#[test]
fn check_config_prints_the_settings_but_never_a_secret() {
    let dir = tempfile::tempdir().unwrap();
    let session_key = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        b"session-key-sentinel-0123456789-session-key-sentinel-0123456789-",
    );
    let by_parts = command(&dir)
        .env("DB_SERVER", "db.internal.example")
        .env("DB_DATABASE", "ritual")
        .env("DB_USER", "app_user")
        .env("DB_PASSWORD", "db-password-sentinel")
        .env("RR_ADMIN__SESSION_KEY", &session_key)
        .arg("check-config")
        .output()
        .unwrap();
    let by_url = command(&dir)
        .env(
            "DATABASE_URL",
            "mysql://app_user:url-password-sentinel@db.internal.example:3306/ritual",
        )
        .arg("check-config")
        .output()
        .unwrap();
    for out in [by_parts, by_url] {
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
        assert!(out.status.success(), "{stderr}");
        // The control: the settings are printed, non-secret values included.
        assert!(
            stdout.contains("idle_timeout_mins") && stdout.contains("[redacted]"),
            "{stdout}"
        );
        for secret in [
            "db-password-sentinel",
            "url-password-sentinel",
            "sentinel",
            session_key.as_str(),
            &session_key[..20],
        ] {
            assert!(
                !stdout.contains(secret) && !stderr.contains(secret),
                "check-config printed {secret}:\n{stdout}{stderr}"
            );
        }
    }
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
        String::from_utf8_lossy(&list.stdout)
            .contains("owner@ritualroast.example\tOwner\tactive\tadmin"),
        "the first account is an admin"
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
    let add_as = |email: &str, role: Option<&str>| {
        let mut add = command(&dir);
        add.args(["staff", "add", "--email", email])
            .env("RR_STAFF_PASSWORD", "a long enough password");
        if let Some(role) = role {
            add.args(["--role", role]);
        }
        add.output().unwrap()
    };
    assert!(add_as("ben@example.com", None).status.success());
    assert!(add_as("cy@example.com", Some("admin")).status.success());
    assert!(!add_as("dee@example.com", Some("owner")).status.success());
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
    // The new password signs in, the old one no longer does.
    let mut server = Served::start(command(&dir));
    let sign_in = |password: &str| {
        raw_post(
            server.port,
            "/admin/login",
            &serde_urlencoded::to_string([("email", "ana@example.com"), ("password", password)])
                .unwrap(),
        )
    };
    let old = sign_in("a long enough password");
    assert!(old.starts_with("HTTP/1.1 401"), "the old password: {old}");
    let new = sign_in("another long password");
    assert!(
        new.starts_with("HTTP/1.1 303") && new.contains("rr_staff="),
        "the new password: {new}"
    );
    server.terminate();
    assert!(
        command(&dir)
            .args(["staff", "disable", "--email", "ana@example.com"])
            .output()
            .unwrap()
            .status
            .success()
    );
    let list = command(&dir).args(["staff", "list"]).output().unwrap();
    let list = String::from_utf8_lossy(&list.stdout);
    for line in [
        "ana@example.com\tAna\tdisabled\tadmin",
        "ben@example.com\tben\tactive\tstaff",
        "cy@example.com\tcy\tactive\tadmin",
    ] {
        assert!(list.contains(line), "{line:?} in {list}");
    }
    assert!(!list.contains("dee@"));
    let missing = command(&dir)
        .args(["staff", "disable", "--email", "nobody@example.com"])
        .output()
        .unwrap();
    assert!(!missing.status.success());
}

#[test]
fn leads_erase_on_the_command_line_erases_a_persons_leads_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let mut served = Served::start(command(&dir));
    let form = "name=Ana+Lima&email=Gone%40Example.com&phone=&interest=beans&message=hi&consent=yes&form_token=0123456789abcdef0123456789abcdef&website=";
    let answer = raw_post(served.port, "/leads", form);
    assert!(answer.starts_with("HTTP/1.1 303"), "{answer}");
    served.terminate();
    let erase = |by: &str| {
        command(&dir)
            .args(["leads", "erase", "--email", "gone@example.com", "--by", by])
            .output()
            .unwrap()
    };
    let first = erase("Ana, ticket 42");
    let said = String::from_utf8_lossy(&first.stdout);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(
        said.contains("erased 1 lead(s)") && said.contains("Ana, ticket 42 (command line)"),
        "{said}"
    );
    let again = erase("Ana");
    assert!(String::from_utf8_lossy(&again.stdout).contains("erased 0 lead(s)"));
    let add = command(&dir)
        .args([
            "staff",
            "add",
            "--email",
            "bo@example.com",
            "--notify",
            "digest",
        ])
        .env("RR_STAFF_PASSWORD", "correct horse battery staple")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&add.stdout).contains("lead emails: digest"));
}

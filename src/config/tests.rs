use std::collections::HashMap;

use super::*;

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn no_configuration_at_all_means_the_embedded_sqlite_file_on_port_8080() {
    let s = Settings::load_from(&env(&[])).unwrap();
    assert_eq!(s.server.port, 8080);
    assert!(matches!(s.database.backend, Backend::Sqlite { .. }));
}

#[test]
fn the_seeds_plain_names_are_read_exactly_as_written() {
    let s = Settings::load_from(&env(&[
        ("PORT", "80"),
        ("DB_SERVER", "db.example.internal"),
        ("DB_DATABASE", "ritualroast"),
        ("SECRET_NAME", "prod/ritual-roast/db"),
        ("AWS_REGION", "eu-west-1"),
    ]))
    .unwrap();
    assert_eq!(s.server.port, 80);
    assert_eq!(s.aws.region, "eu-west-1");
    let Backend::Mysql(target) = s.database.backend.clone() else {
        panic!("expected MySQL")
    };
    assert_eq!(target.host, "db.example.internal");
    assert_eq!(target.database, "ritualroast");
    assert_eq!(
        target.secret,
        Some(SecretRef {
            name: "prod/ritual-roast/db".into(),
            region: "eu-west-1".into()
        }),
        "the secret carries its region: nothing copies aws.region into the database section later"
    );
}

#[test]
fn rr_prefixed_variables_reach_nested_keys() {
    let s = Settings::load_from(&env(&[("RR_LEADS__RATE_LIMIT_PER_MINUTE", "100000")])).unwrap();
    assert_eq!(s.leads.rate_limit_per_minute, 100_000);
}

#[test]
fn plain_names_win_over_rr_prefixed_ones() {
    let s = Settings::load_from(&env(&[("RR_SERVER__PORT", "9000"), ("PORT", "9001")])).unwrap();
    assert_eq!(s.server.port, 9001);
}

#[test]
fn a_config_file_named_by_rr_config_overrides_the_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rr.toml");
    std::fs::write(&path, "[server]\nport = 7000\n").unwrap();
    let s = Settings::load_from(&env(&[("RR_CONFIG", path.to_str().unwrap())])).unwrap();
    assert_eq!(s.server.port, 7000);
}

#[test]
fn database_url_overrides_everything_else() {
    let s = Settings::load_from(&env(&[
        ("DATABASE_URL", "mysql://app:p%40ss@db:3307/leads"),
        ("DB_SERVER", "ignored"),
    ]))
    .unwrap();
    let Backend::Mysql(t) = s.database.backend.clone() else {
        panic!("expected MySQL")
    };
    assert_eq!(
        (t.host.as_str(), t.port, t.database.as_str()),
        ("db", 3307, "leads")
    );
    assert_eq!(t.password.expose(), "p@ss");
    let s = Settings::load_from(&env(&[("DATABASE_URL", "sqlite:///tmp/x.db")])).unwrap();
    assert!(matches!(&s.database.backend, Backend::Sqlite { path } if path.ends_with("x.db")));
}

#[test]
fn db_server_without_a_database_name_is_refused_with_the_name_to_set() {
    let err = Settings::load_from(&env(&[("DB_SERVER", "db"), ("DB_USER", "u")])).unwrap_err();
    assert!(err.to_string().contains("DB_DATABASE"), "{err}");
}

#[test]
fn db_server_without_any_credentials_is_refused() {
    let err = Settings::load_from(&env(&[("DB_SERVER", "db"), ("DB_DATABASE", "d")])).unwrap_err();
    assert!(err.to_string().contains("SECRET_NAME"), "{err}");
}

#[test]
fn an_unknown_database_url_scheme_is_refused() {
    let err = Settings::load_from(&env(&[("DATABASE_URL", "postgres://x/y")])).unwrap_err();
    assert!(err.to_string().contains("mysql://"), "{err}");
}

#[test]
fn a_port_that_is_not_a_number_is_refused() {
    assert!(Settings::load_from(&env(&[("PORT", "eighty")])).is_err());
}

#[test]
fn the_database_password_never_appears_in_debug_output() {
    let s = Settings::load_from(&env(&[
        ("DB_SERVER", "db"),
        ("DB_DATABASE", "d"),
        ("DB_USER", "u"),
        ("DB_PASSWORD", "s3cr3t-pw"),
    ]))
    .unwrap();
    assert!(!format!("{s:?}").contains("s3cr3t-pw"));
}

#[test]
fn health_checks_go_unlogged_and_the_log_buffer_is_bounded_unless_configured() {
    let s = Settings::load_from(&env(&[])).unwrap();
    assert!(!s.log.health_checks);
    assert_eq!(s.log.buffer_lines, 8192);
    let s = Settings::load_from(&env(&[
        ("RR_LOG__HEALTH_CHECKS", "true"),
        ("RR_LOG__BUFFER_LINES", "100"),
    ]))
    .unwrap();
    assert!(s.log.health_checks);
    assert_eq!(s.log.buffer_lines, 100);
    let error = Settings::load_from(&env(&[("RR_LOG__BUFFER_LINES", "0")])).unwrap_err();
    assert!(error.to_string().contains("log.buffer_lines"), "{error}");
}

use crate::served::Served;
use crate::support::{client, mysql, server};

/// A user that MariaDB only admits over TLS: a successful login proves the session is encrypted.
async fn tls_only_user(db: &crate::support::Mysql, database: &str) -> String {
    let user = format!("rr_tls_{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    for host in ["localhost", "127.0.0.1"] {
        db.exec(&format!(
            "CREATE USER '{user}'@'{host}' IDENTIFIED BY 'tls-pw' REQUIRE SSL"
        ))
        .await;
        db.exec(&format!("GRANT ALL ON `{database}`.* TO '{user}'@'{host}'"))
            .await;
    }
    user
}

fn ca(var: &str) -> Option<String> {
    std::env::var(var).ok().or_else(|| {
        assert!(
            std::env::var_os("CI").is_none(),
            "{var} is not set: run through scripts/test.sh"
        );
        None
    })
}

#[tokio::test]
async fn tls_is_verified_against_the_configured_ca_and_the_session_is_encrypted() {
    let Some(db) = mysql() else { return };
    let Some(right_ca) = ca("RR_TEST_MYSQL_CA") else {
        return;
    };
    let (host, port) = db.host_port();
    let (name, _) = db.fresh_database().await;
    let user = tls_only_user(&db, &name).await;
    let mut command = server(&format!("mysql://{user}:tls-pw@{host}:{port}/{name}"));
    command
        .env("RR_DATABASE__TLS", "require")
        .env("RR_DATABASE__EXTRA_CA_FILE", right_ca)
        .env("RR_DATABASE__BOOT_DEADLINE_SECS", "5");
    let mut served = Served::start(command);
    let ready = client().get(served.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status().as_u16(), 200);
    served.terminate();
}

#[tokio::test]
async fn a_server_certificate_from_an_unknown_ca_is_refused() {
    let Some(db) = mysql() else { return };
    let Some(wrong_ca) = ca("RR_TEST_MYSQL_WRONG_CA") else {
        return;
    };
    let (host, port) = db.host_port();
    let (name, _) = db.fresh_database().await;
    let output = server(&format!(
        "mysql://rr_admin:rr-admin-test-pw@{host}:{port}/{name}"
    ))
    .env("RR_DATABASE__TLS", "require")
    .env("RR_DATABASE__EXTRA_CA_FILE", wrong_ca)
    .env("RR_DATABASE__BOOT_DEADLINE_SECS", "1")
    .output()
    .unwrap();
    assert!(
        !output.status.success(),
        "a connection to an unverified server must not be made"
    );
    let stderr = String::from_utf8_lossy(&output.stderr).to_lowercase();
    assert!(
        stderr.contains("certificate") || stderr.contains("issuer"),
        "{stderr}"
    );
}

#[tokio::test]
async fn without_tls_a_require_ssl_user_cannot_log_in() {
    // The control for the test above: proves REQUIRE SSL is enforced by this server.
    let Some(db) = mysql() else { return };
    let (host, port) = db.host_port();
    let (name, _) = db.fresh_database().await;
    let user = tls_only_user(&db, &name).await;
    let output = server(&format!("mysql://{user}:tls-pw@{host}:{port}/{name}"))
        .env("RR_DATABASE__TLS", "disable")
        .env("RR_DATABASE__BOOT_DEADLINE_SECS", "1")
        .output()
        .unwrap();
    assert!(!output.status.success());
}

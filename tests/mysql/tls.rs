use std::net::IpAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

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
    crate::required::service_var(var, "the test CA files of scripts/mariadb-test-server.sh")
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

/// An IPv4 address of this machine that is not loopback (the source address towards any other network;
/// connecting a UDP socket sends nothing).
fn non_loopback_address() -> Option<IpAddr> {
    ["192.0.2.1:9", "10.255.255.1:9", "8.8.8.8:53"]
        .iter()
        .find_map(|target| {
            let socket = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
            socket.connect(target).ok()?;
            Some(socket.local_addr().ok()?.ip())
        })
        .filter(|ip| !ip.is_loopback() && !ip.is_unspecified())
}

/// A TCP proxy to MariaDB on `bind` that clears CLIENT_SSL in the server's greeting: to its clients it is a
/// MySQL server without TLS. Returns its port.
async fn proxy_without_tls(bind: IpAddr, target: (String, u16)) -> u16 {
    let listener = TcpListener::bind((bind, 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            let target = target.clone();
            tokio::spawn(async move {
                let mut outbound = TcpStream::connect(target).await.unwrap();
                let mut header = [0u8; 4];
                outbound.read_exact(&mut header).await.unwrap();
                let len = u32::from_le_bytes([header[0], header[1], header[2], 0]) as usize;
                let mut greeting = vec![0u8; len];
                outbound.read_exact(&mut greeting).await.unwrap();
                assert_eq!(greeting[0], 10, "a protocol 10 greeting");
                // Version string (NUL-terminated), connection id (4), scramble (8), filler (1), then the
                // low 16 capability bits, little-endian: CLIENT_SSL (0x0800) is bit 3 of the second byte.
                let nul = 1 + greeting[1..].iter().position(|b| *b == 0).unwrap();
                let capabilities = nul + 1 + 4 + 8 + 1;
                assert!(
                    greeting[capabilities + 1] & 0x08 != 0,
                    "the test server offers TLS"
                );
                greeting[capabilities + 1] &= !0x08;
                inbound.write_all(&header).await.unwrap();
                inbound.write_all(&greeting).await.unwrap();
                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
            });
        }
    });
    port
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_tls_refuses_a_non_loopback_database_that_offers_no_tls() {
    let Some(db) = mysql() else { return };
    let Some(address) = non_loopback_address() else {
        crate::required::unavailable("this machine has no non-loopback IPv4 address");
        return;
    };
    let (name, _) = db.fresh_database().await;
    let remote = proxy_without_tls(address, db.host_port()).await;
    let local = proxy_without_tls("127.0.0.1".parse().unwrap(), db.host_port()).await;
    let url =
        |host: &str, port: u16| format!("mysql://rr_admin:rr-admin-test-pw@{host}:{port}/{name}");
    let remote_url = url(&address.to_string(), remote);

    // Controls: the proxy is a working server without TLS — with TLS disabled the app uses it, and `auto`
    // accepts it on loopback.
    for (what, database_url, tls) in [
        ("tls=disable, non-loopback", remote_url.clone(), "disable"),
        ("tls=auto, loopback", url("127.0.0.1", local), "auto"),
    ] {
        let mut command = server(&database_url);
        command
            .env("RR_DATABASE__TLS", tls)
            .env("RR_DATABASE__BOOT_DEADLINE_SECS", "5");
        let mut served = Served::start(command);
        let ready = client().get(served.url("/readyz")).send().await.unwrap();
        assert_eq!(ready.status().as_u16(), 200, "{what}");
        served.terminate();
    }

    // `auto` is the default: nothing about TLS is configured. An app that connected would serve on and on,
    // so the exit is awaited with a deadline.
    let mut child = server(&remote_url)
        .env("RR_DATABASE__BOOT_DEADLINE_SECS", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the app connected to {address} without TLS and is serving");
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(
        !status.success(),
        "the app connected to {address} without TLS: {stderr}"
    );
    assert!(
        stderr.contains(&format!("{address}:{remote}")) && stderr.contains("SSL"),
        "the error names the server and the missing TLS: {stderr}"
    );
}

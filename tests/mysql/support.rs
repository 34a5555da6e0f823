use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_ritual-roast");

/// The admin URL of the test MariaDB, or None (skip) outside CI. Under CI a missing server is a failure.
pub fn admin_url() -> Option<String> {
    match std::env::var("RR_TEST_MYSQL_URL") {
        Ok(url) => Some(url),
        Err(_) if std::env::var_os("CI").is_some() => {
            panic!(
                "RR_TEST_MYSQL_URL is not set: run the suite through scripts/test.sh, which starts MariaDB"
            )
        }
        Err(_) => {
            eprintln!(
                "SKIPPED: RR_TEST_MYSQL_URL is not set (scripts/test.sh starts MariaDB and sets it)"
            );
            None
        }
    }
}

pub struct Mysql {
    pub admin_url: String,
}

impl Mysql {
    /// A fresh empty database; returns (name, URL with the admin user).
    pub async fn fresh_database(&self) -> (String, String) {
        let name = format!("rr_test_{}", uuid::Uuid::new_v4().simple());
        self.exec(&format!("CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
            .await;
        let base = self.admin_url.rsplit_once('/').unwrap().0;
        (name.clone(), format!("{base}/{name}"))
    }

    pub async fn exec(&self, sql: &str) {
        let pool = mysql_async::Pool::new(self.admin_url.as_str());
        let mut conn = pool.get_conn().await.unwrap();
        mysql_async::prelude::Queryable::query_drop(&mut conn, sql)
            .await
            .unwrap();
        drop(conn);
        pool.disconnect().await.unwrap();
    }

    pub async fn query_count(&self, sql: &str) -> i64 {
        let pool = mysql_async::Pool::new(self.admin_url.as_str());
        let mut conn = pool.get_conn().await.unwrap();
        let n: Option<i64> = mysql_async::prelude::Queryable::query_first(&mut conn, sql)
            .await
            .unwrap();
        drop(conn);
        pool.disconnect().await.unwrap();
        n.unwrap_or_default()
    }

    pub fn host_port(&self) -> (String, u16) {
        let opts = mysql_async::Opts::from_url(&self.admin_url).unwrap();
        (opts.ip_or_hostname().to_owned(), opts.tcp_port())
    }
}

pub fn mysql() -> Option<Mysql> {
    admin_url().map(|admin_url| Mysql { admin_url })
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn server(port: u16, database_url: &str) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("PORT", port.to_string())
        .env("RR_SERVER__HOST", "127.0.0.1")
        .env("RR_SERVER__WORKERS", "1")
        .env("DATABASE_URL", database_url);
    cmd
}

pub fn wait_until_listening(port: u16, child: &mut Child, within: Duration) {
    let deadline = Instant::now() + within;
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the server exited ({status}) before listening");
        }
        assert!(
            Instant::now() < deadline,
            "the server did not listen within {within:?}"
        );
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// Kills the server when dropped, so a failing assertion leaves no orphan holding the test's pipes.
pub struct ServerGuard(pub Option<Child>);

impl ServerGuard {
    pub fn spawn(command: &mut Command) -> Self {
        Self(Some(command.spawn().expect("the server binary starts")))
    }

    pub fn child(&mut self) -> &mut Child {
        self.0.as_mut().expect("running")
    }

    /// SIGTERM, then wait for the exit.
    pub fn stop(mut self) {
        if let Some(child) = self.0.take() {
            stop(child);
        }
    }
}

impl Drop for ServerGuard {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

pub fn stop(mut child: Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

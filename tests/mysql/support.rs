use std::net::TcpListener;
use std::process::Command;

use crate::required::service_var;
use crate::served::BIN;

/// The admin URL of the test MariaDB, or None (a loud skip) outside scripts/test.sh, where a missing
/// server is a failure (see tests/common/required.rs).
pub fn admin_url() -> Option<String> {
    service_var("RR_TEST_MYSQL_URL", "MariaDB for the MySQL-only tests")
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

/// A loopback port nothing listens on (bound, then released): a database that refuses connections.
pub fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The server against `database_url`, on port 0 (`Served::start` reads the port it got from its log).
pub fn server(database_url: &str) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("PORT", "0")
        .env("RR_SERVER__HOST", "127.0.0.1")
        .env("RR_SERVER__WORKERS", "1")
        .env("DATABASE_URL", database_url);
    cmd
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

//! MySQL-only behaviour against a real MariaDB (started by scripts/mariadb-test-server.sh): migrations
//! exactly once across processes, boot retry and exit, outage and recovery, TLS verification.
//! Without `RR_TEST_MYSQL_URL` these tests fail under scripts/test.sh and CI, and are skipped (loudly) elsewhere.

mod boot;
mod busy;
mod faults;
mod outage;
mod proxy;
#[path = "../common/required.rs"]
mod required;
#[path = "../common/served.rs"]
mod served;
mod support;
mod tls;

//! The data layer: one pool type over two backends, chosen at runtime from the settings.
//!
//! Queries are written once with diesel's DSL and expanded for each backend by [`db_run!`]; where the SQL
//! dialects really differ (locks, `RETURNING`), the difference is fenced into one `match` on [`DbPool`].
//! Model functions return [`DbResult`]; views receive data, never a pool.

pub mod app_secrets;
pub mod busy;
pub mod credentials;
pub mod erasure;
mod event_clock;
pub mod housekeeping;
pub mod job_runs;
pub mod lead_changes;
// `text_column!` (how a typed value is stored as text) is defined there and used by `staff_columns` too.
#[macro_use]
mod lead_columns;
pub mod lead_counts;
pub mod lead_detail_changes;
pub mod lead_events;
mod lead_filters;
mod lead_insert;
pub mod lead_notes;
pub mod lead_queries;
pub mod lead_search;
pub mod leads;
pub mod login_attempts;
mod migrations;
mod mysql;
pub mod news_signups;
pub mod outbox;
pub mod schema;
mod sqlite;
pub mod staff;
mod staff_columns;
pub mod staff_sessions;

use std::time::{Duration, Instant};

use diesel_async::AsyncMysqlConnection;
use diesel_async::pooled_connection::deadpool::Pool;

use event_clock::EventClock;
pub use migrations::{MigrationState, expected_schema_version};
pub use sqlite::SqliteConn;

use crate::config::{Backend, DatabaseSettings};
use crate::metrics::{self, Event};

/// A pool of connections to whichever backend the settings chose.
#[derive(Clone)]
pub enum DbPool {
    Sqlite(Pool<SqliteConn>),
    Mysql(Pool<AsyncMysqlConnection>),
}

pub type DbResult<T> = Result<T, DbError>;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// No connection could be had: the database is down, unreachable or refusing us. Answered with 503.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// The connection died under the query (failover, KILL, proxy restart, idle timeout) or now points at
    /// a read-only server. The connection is discarded; work that is safe to repeat is retried on a fresh
    /// one ([`db_run_retrying!`]); otherwise answered with 503.
    #[error("the database connection was lost: {0}")]
    ConnectionLost(String),
    /// The database is up but has no connection to spare (MySQL error 1040 "Too many connections", or
    /// 1203 for the user's own limit): this task has too few connections for its load. Answered with 503
    /// and `Retry-After`, and counted ([`busy`]).
    #[error("the database has no connection to spare: {0}")]
    Busy(String),
    #[error(transparent)]
    Query(diesel::result::Error),
}

impl DbError {
    /// The same failure for another caller of a shared transaction (a batch of leads): every variant but
    /// a query error carries only its text, and a query error is never shared (`lead_insert.rs` stores
    /// that batch again lead by lead).
    pub(crate) fn duplicate(&self) -> DbError {
        match self {
            DbError::Unavailable(cause) => DbError::Unavailable(cause.clone()),
            DbError::ConnectionLost(cause) => DbError::ConnectionLost(cause.clone()),
            DbError::Busy(cause) => DbError::Busy(cause.clone()),
            DbError::Query(error) => DbError::Query(diesel::result::Error::QueryBuilderError(
                error.to_string().into(),
            )),
        }
    }
}

/// Fresh-connection retries for work that is safe to repeat, after the first try: bounded, so a database
/// that keeps dropping us costs two short pauses, never a retry storm.
pub const RETRIES_ON_LOST_CONNECTION: u32 = 3;

/// The pause before retry `attempt` (1-based): long enough for a failover's DNS flip to begin, short
/// enough to stay well inside the request deadline.
pub fn retry_pause(attempt: u32) -> Duration {
    Duration::from_millis(25 * 4u64.pow(attempt.saturating_sub(1)))
}

/// The outcome of an insert into a table with a unique key: `true` when the row was added, `false` when
/// the key was there already (a repeat, or another task was first), an error for anything else.
pub(crate) fn inserted(result: diesel::QueryResult<usize>) -> DbResult<bool> {
    use diesel::result::{DatabaseErrorKind, Error};
    match result {
        Ok(_) => Ok(true),
        Err(Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Takes a connection from the pool, timing the wait (`DbPoolWait`).
#[doc(hidden)]
pub async fn checkout<M: deadpool::managed::Manager>(
    pool: &deadpool::managed::Pool<M>,
) -> Result<deadpool::managed::Object<M>, deadpool::managed::PoolError<M::Error>> {
    let started = Instant::now();
    let pooled = pool.get().await;
    metrics::observe_pool_wait(started.elapsed());
    pooled
}

/// The pool's gauges for the metrics: connections in use, open, and the most it may open.
pub fn pool_gauges(pool: &DbPool) -> metrics::PoolGauges {
    let status = match pool {
        DbPool::Sqlite(pool) => pool.status(),
        DbPool::Mysql(pool) => pool.status(),
    };
    metrics::PoolGauges {
        in_use: (status.size - status.available) as u64,
        size: status.size as u64,
        max: status.max_size as u64,
    }
}

/// Returns a pooled connection after use, or discards it when it was lost: a dead or read-only
/// connection must never reach the next request.
#[doc(hidden)]
pub fn release<M: deadpool::managed::Manager, T>(
    pooled: deadpool::managed::Object<M>,
    result: &DbResult<T>,
) {
    if matches!(result, Err(DbError::ConnectionLost(_))) {
        LAST_CONNECTION_LOSS.note();
        metrics::count(Event::DbConnectionLost);
        drop(deadpool::managed::Object::take(pooled));
    }
}

/// When a connection was last lost. A failover or a mass `KILL` takes every pooled connection at once, so
/// after one loss each pooled connection last used before it must prove itself (a ping) before its next
/// request; otherwise a retry would just pick the next dead connection.
pub(crate) static LAST_CONNECTION_LOSS: EventClock = EventClock::new();

impl From<diesel::result::Error> for DbError {
    fn from(error: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match error {
            Error::DatabaseError(DatabaseErrorKind::ClosedConnection, info) => {
                DbError::ConnectionLost(info.message().to_owned())
            }
            Error::BrokenTransactionManager => DbError::ConnectionLost(error.to_string()),
            // diesel-async reports a dropped MySQL connection (I/O or driver error) as an `Unknown`
            // database error carrying the driver's text; that is a lost connection, not a bad query.
            Error::DatabaseError(DatabaseErrorKind::Unknown, info)
                if is_lost_connection(info.message()) =>
            {
                DbError::ConnectionLost(info.message().to_owned())
            }
            other => DbError::Query(other),
        }
    }
}

fn is_lost_connection(message: &str) -> bool {
    const SIGNS: &[&str] = &[
        "Connection to the server is closed",
        "connection was closed",
        "Lost connection",
        "server has gone away",
        // KILL <id> (ER_CONNECTION_KILLED) and KILL QUERY (ER_QUERY_INTERRUPTED).
        "Connection was killed",
        "execution was interrupted",
        // The old primary after a Multi-AZ failover, still reachable, now read-only (1290, 1792).
        "--read-only option",
        "READ ONLY transaction",
        "Broken pipe",
        "Connection reset",
    ];
    message.contains("Input/output error") || SIGNS.iter().any(|sign| message.contains(sign))
}

/// MySQL's refusals for want of connections: 1040 (the server's `max_connections`), 1203 (the user's).
fn is_too_many_connections(message: &str) -> bool {
    message.contains("Too many connections")
        || message.contains("max_user_connections")
        || message.contains("ERROR 1040")
        || message.contains("ERROR 1203")
}

impl<E: std::fmt::Display> From<deadpool::managed::PoolError<E>> for DbError {
    fn from(error: deadpool::managed::PoolError<E>) -> Self {
        let message = error.to_string();
        if is_too_many_connections(&message) {
            busy::note();
            return DbError::Busy(message);
        }
        // A new connection cut mid-handshake (the database is there, the link blinked) is worth another
        // try; refused or timed out means down, and waiting longer would not help.
        let down = message.contains("Connection refused") || message.contains("Timeout");
        if !down && is_lost_connection(&message) {
            DbError::ConnectionLost(message)
        } else {
            metrics::count(Event::DbUnavailable);
            DbError::Unavailable(message)
        }
    }
}

/// Runs the same diesel code against whichever backend `$pool` holds, with `$conn` bound to a pooled
/// connection of the right type. The block must evaluate to a `DbResult`. A connection lost under the
/// block is discarded, never returned to the pool.
#[macro_export]
macro_rules! db_run {
    ($pool:expr, |$conn:ident| $body:block) => {
        match $pool {
            $crate::db::DbPool::Sqlite(pool) => {
                let mut pooled = $crate::db::checkout(pool)
                    .await
                    .map_err($crate::db::DbError::from)?;
                let result: $crate::db::DbResult<_> = async {
                    let $conn = &mut *pooled;
                    $body
                }
                .await;
                $crate::db::release(pooled, &result);
                result
            }
            $crate::db::DbPool::Mysql(pool) => {
                let mut pooled = $crate::db::checkout(pool)
                    .await
                    .map_err($crate::db::DbError::from)?;
                let result: $crate::db::DbResult<_> = async {
                    let $conn = &mut *pooled;
                    $body
                }
                .await;
                $crate::db::release(pooled, &result);
                result
            }
        }
    };
}

/// [`db_run!`] for work that is safe to repeat (reads, idempotent writes such as the lead insert): when
/// the connection is lost under it, it runs again on a fresh connection, at most
/// [`RETRIES_ON_LOST_CONNECTION`] more times, after a short pause. "Database down" is not retried: the
/// pool already waited `connect_timeout_secs` for a connection.
#[macro_export]
macro_rules! db_run_retrying {
    ($pool:expr, |$conn:ident| $body:block) => {{
        let mut attempt = 0;
        loop {
            let result: $crate::db::DbResult<_> =
                async { $crate::db_run!($pool, |$conn| $body) }.await;
            match result {
                Err($crate::db::DbError::ConnectionLost(cause))
                    if attempt < $crate::db::RETRIES_ON_LOST_CONNECTION =>
                {
                    attempt += 1;
                    tracing::warn!(
                        attempt,
                        cause,
                        "database connection lost; retrying on a fresh one"
                    );
                    tokio::time::sleep($crate::db::retry_pause(attempt)).await;
                }
                other => break other,
            }
        }
    }};
}

impl DbPool {
    /// Connects to the configured backend and applies pending migrations before returning, so the server
    /// never answers a request against an old schema.
    pub async fn connect_and_migrate(settings: &DatabaseSettings) -> anyhow::Result<Self> {
        let pool = Self::connect(settings).await?;
        pool.migrate(Duration::from_secs(settings.migration_lock_wait_secs))
            .await?;
        Ok(pool)
    }

    pub async fn connect(settings: &DatabaseSettings) -> anyhow::Result<Self> {
        match &settings.backend {
            Backend::Sqlite { path } => Ok(DbPool::Sqlite(sqlite::pool(path, settings)?)),
            Backend::Mysql(target) => Ok(DbPool::Mysql(mysql::pool(target, settings).await?)),
        }
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            DbPool::Sqlite(_) => "sqlite",
            DbPool::Mysql(_) => "mysql",
        }
    }

    /// Applies every embedded migration that has not run yet; safe to call from many processes at once
    /// (on MySQL they wait up to `lock_wait` for another process's migrations, then fail naming why).
    pub async fn migrate(&self, lock_wait: Duration) -> anyhow::Result<Vec<String>> {
        match self {
            DbPool::Sqlite(pool) => migrations::run_sqlite(pool).await,
            DbPool::Mysql(pool) => migrations::run_mysql(pool, lock_wait).await,
        }
    }

    /// Whether this task is starved of connections: the database refused it one for want of them lately,
    /// it holds none, and asking again is refused too. (An outage is not starvation: every task would be
    /// in the same state, and draining them all would help nobody.)
    pub async fn starved(&self) -> bool {
        let DbPool::Mysql(pool) = self else {
            return false;
        };
        if !busy::refused_within(Duration::from_secs(30)) || pool.status().size > 0 {
            return false;
        }
        matches!(
            pool.get().await.map_err(DbError::from),
            Err(DbError::Busy(_))
        )
    }

    /// A cheap round trip plus the schema version: what `/readyz` reports.
    pub async fn migration_state(&self) -> DbResult<MigrationState> {
        migrations::state(self).await
    }
}

pub(crate) fn connect_timeout(settings: &DatabaseSettings) -> Duration {
    Duration::from_secs(settings.connect_timeout_secs.max(1))
}

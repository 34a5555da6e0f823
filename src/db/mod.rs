//! The data layer: one pool type over two backends, chosen at runtime from the settings.
//!
//! Queries are written once with diesel's DSL and expanded for each backend by [`db_run!`]; where the SQL
//! dialects really differ (locks, `RETURNING`), the difference is fenced into one `match` on [`DbPool`].
//! Model functions return [`DbResult`]; views receive data, never a pool.

pub mod credentials;
pub mod lead_changes;
pub mod lead_queries;
pub mod leads;
mod migrations;
mod mysql;
pub mod schema;
mod sqlite;
pub mod staff;

use std::time::Duration;

use diesel_async::AsyncMysqlConnection;
use diesel_async::pooled_connection::deadpool::Pool;

pub use migrations::{MigrationState, expected_schema_version};
pub use sqlite::SqliteConn;

use crate::config::{Backend, DatabaseSettings};

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
    #[error(transparent)]
    Query(diesel::result::Error),
}

impl From<diesel::result::Error> for DbError {
    fn from(error: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match error {
            Error::DatabaseError(DatabaseErrorKind::ClosedConnection, info) => {
                DbError::Unavailable(info.message().to_owned())
            }
            Error::BrokenTransactionManager => DbError::Unavailable(error.to_string()),
            // diesel-async reports a dropped MySQL connection (I/O or driver error) as an `Unknown`
            // database error carrying the driver's text; that is an outage, not a bad query.
            Error::DatabaseError(DatabaseErrorKind::Unknown, info)
                if is_lost_connection(info.message()) =>
            {
                DbError::Unavailable(info.message().to_owned())
            }
            other => DbError::Query(other),
        }
    }
}

fn is_lost_connection(message: &str) -> bool {
    message.starts_with("Input/output error")
        || message.contains("Connection to the server is closed")
        || message.contains("connection was closed")
        || message.contains("Lost connection")
}

impl<E: std::fmt::Display> From<deadpool::managed::PoolError<E>> for DbError {
    fn from(error: deadpool::managed::PoolError<E>) -> Self {
        DbError::Unavailable(error.to_string())
    }
}

/// Runs the same diesel code against whichever backend `$pool` holds, with `$conn` bound to a pooled
/// connection of the right type. The block must evaluate to a `DbResult`.
#[macro_export]
macro_rules! db_run {
    ($pool:expr, |$conn:ident| $body:block) => {
        match $pool {
            $crate::db::DbPool::Sqlite(pool) => {
                let mut pooled = pool.get().await.map_err($crate::db::DbError::from)?;
                let $conn = &mut *pooled;
                $body
            }
            $crate::db::DbPool::Mysql(pool) => {
                let mut pooled = pool.get().await.map_err($crate::db::DbError::from)?;
                let $conn = &mut *pooled;
                $body
            }
        }
    };
}

impl DbPool {
    /// Connects to the configured backend and applies pending migrations before returning, so the server
    /// never answers a request against an old schema.
    pub async fn connect_and_migrate(settings: &DatabaseSettings) -> anyhow::Result<Self> {
        let pool = Self::connect(settings).await?;
        pool.migrate().await?;
        Ok(pool)
    }

    pub async fn connect(settings: &DatabaseSettings) -> anyhow::Result<Self> {
        match settings.backend()? {
            Backend::Sqlite { path } => Ok(DbPool::Sqlite(sqlite::pool(&path, settings)?)),
            Backend::Mysql(target) => Ok(DbPool::Mysql(mysql::pool(&target, settings).await?)),
        }
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            DbPool::Sqlite(_) => "sqlite",
            DbPool::Mysql(_) => "mysql",
        }
    }

    /// Applies every embedded migration that has not run yet; safe to call from many processes at once.
    pub async fn migrate(&self) -> anyhow::Result<Vec<String>> {
        match self {
            DbPool::Sqlite(pool) => migrations::run_sqlite(pool).await,
            DbPool::Mysql(pool) => migrations::run_mysql(pool).await,
        }
    }

    /// A cheap round trip plus the schema version: what `/readyz` reports.
    pub async fn migration_state(&self) -> DbResult<MigrationState> {
        migrations::state(self).await
    }
}

pub(crate) fn connect_timeout(settings: &DatabaseSettings) -> Duration {
    Duration::from_secs(settings.connect_timeout_secs.max(1))
}

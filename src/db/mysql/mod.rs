//! The RDS MySQL / MariaDB backend: pure-Rust driver (mysql_async, rustls + ring), no libmysqlclient.
//!
//! Connections are made by [`connector::MysqlConnector`] (TLS, fresh credentials per new connection);
//! at boot we wait for the database with backoff up to a deadline, so a task that starts before RDS is
//! reachable neither crashes at once nor hangs forever.

mod budget;
mod connector;
mod tls;

use std::time::{Duration, Instant};

use anyhow::Context;
use diesel_async::AsyncMysqlConnection;
use diesel_async::pooled_connection::deadpool::Pool;
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, ManagerConfig, PoolError};
use futures_util::FutureExt;

pub use connector::MysqlConnector;

use super::credentials::{CredentialSource, DbCredentials};
use crate::config::{DatabaseSettings, MysqlTarget, SecretRef};
use crate::secrets::SecretSource;

const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// A connection idle this long is pinged (`DO 1`, one round trip) before a request gets it: one killed
/// while idle (failover, `wait_timeout`, a DBA's KILL) is replaced instead of failing the request.
/// Busier connections skip the ping, unless a connection was lost since their last use; a loss under load
/// is caught by the retry in `db_run_retrying!`.
const PING_WHEN_IDLE_FOR: Duration = Duration::from_secs(2);

pub(super) async fn pool(
    target: &MysqlTarget,
    settings: &DatabaseSettings,
) -> anyhow::Result<Pool<AsyncMysqlConnection>> {
    let (target, credentials) = match &target.secret {
        None => (
            target.clone(),
            CredentialSource::Static(DbCredentials {
                user: target.user.clone(),
                password: target.password.clone(),
            }),
        ),
        Some(secret) => with_secret(target, secret, settings).await?,
    };
    let connector = MysqlConnector::new(&target, settings, credentials)?;
    let pool = build_pool(connector.clone(), settings)?;
    wait_for_database(&pool, &connector, settings).await?;
    budget::log(&pool, settings.pool_size).await;
    Ok(pool)
}

/// Credentials from Secrets Manager; host, port and database from the secret where the environment is silent.
async fn with_secret(
    target: &MysqlTarget,
    secret_ref: &SecretRef,
    settings: &DatabaseSettings,
) -> anyhow::Result<(MysqlTarget, CredentialSource)> {
    let secret_name = &secret_ref.name;
    let source = SecretSource::connect(secret_name, &secret_ref.region).await?;
    let secret = source.current().await?;
    let mut resolved = target.clone();
    if resolved.host.is_empty() {
        resolved.host = secret.host.clone().unwrap_or_default();
    }
    if resolved.port_is_default {
        resolved.port = secret.port.unwrap_or(resolved.port);
    }
    if resolved.database.is_empty() {
        resolved.database = secret.dbname.clone().unwrap_or_default();
    }
    anyhow::ensure!(
        !resolved.host.is_empty(),
        "secret {secret_name} has no host and DB_SERVER is not set: set DB_SERVER"
    );
    anyhow::ensure!(
        !resolved.database.is_empty(),
        "secret {secret_name} has no dbname and DB_DATABASE is not set: set DB_DATABASE"
    );
    if settings.secret_refresh_secs > 0 {
        source.refresh_periodically(Duration::from_secs(settings.secret_refresh_secs));
    }
    Ok((resolved, CredentialSource::SecretsManager(source)))
}

fn build_pool(
    connector: MysqlConnector,
    settings: &DatabaseSettings,
) -> anyhow::Result<Pool<AsyncMysqlConnection>> {
    let mut config = ManagerConfig::<AsyncMysqlConnection>::default();
    config.custom_setup = Box::new(move |_url| {
        let connector = connector.clone();
        async move { connector.connect().await }.boxed()
    });
    // The URL is unused: `custom_setup` builds every connection from the connector.
    let manager =
        AsyncDieselConnectionManager::<AsyncMysqlConnection>::new_with_config("mysql://", config);
    let timeout = super::connect_timeout(settings);
    let max_age = Duration::from_secs(settings.max_connection_lifetime_secs);
    Pool::builder(manager)
        .pre_recycle(deadpool::managed::Hook::sync_fn(move |_, metrics| {
            if !max_age.is_zero() && metrics.age() > max_age {
                return Err(deadpool::managed::HookError::Message(
                    "the connection reached its maximum lifetime".into(),
                ));
            }
            Ok(())
        }))
        .pre_recycle(deadpool::managed::Hook::async_fn(
            |conn: &mut AsyncMysqlConnection, metrics| {
                let idle = metrics.last_used() >= PING_WHEN_IDLE_FOR
                    || super::LAST_CONNECTION_LOSS.within(metrics.last_used());
                Box::pin(async move {
                    let ping: deadpool::managed::HookResult<PoolError> = match idle {
                        false => Ok(()),
                        true => diesel_async::SimpleAsyncConnection::batch_execute(conn, "DO 1")
                            .await
                            .map_err(|e| {
                                deadpool::managed::HookError::Message(
                                    format!("an idle connection failed its ping: {e}").into(),
                                )
                            }),
                    };
                    ping
                })
            },
        ))
        .max_size(settings.pool_size)
        .wait_timeout(Some(timeout))
        .create_timeout(Some(timeout))
        .recycle_timeout(Some(timeout))
        .runtime(deadpool::Runtime::Tokio1)
        .build()
        .context("could not build the MySQL connection pool")
}

/// Tries to get a first connection until `boot_deadline_secs`, logging each failed attempt.
async fn wait_for_database(
    pool: &Pool<AsyncMysqlConnection>,
    connector: &MysqlConnector,
    settings: &DatabaseSettings,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(settings.boot_deadline_secs);
    let mut backoff = Duration::from_millis(250);
    for attempt in 1.. {
        let cause = match pool.get().await {
            Ok(_) => return Ok(()),
            Err(error) => error.to_string(),
        };
        if Instant::now() + backoff >= deadline {
            anyhow::bail!(
                "could not connect to MySQL at {} within {} s ({attempt} attempts): {cause}",
                connector.address(),
                settings.boot_deadline_secs
            );
        }
        tracing::warn!(attempt, address = %connector.address(), cause, retry_in_ms = backoff.as_millis() as u64, "database not reachable yet");
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
    unreachable!("the loop returns or bails")
}

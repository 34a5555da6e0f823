//! The zero-config backend: one SQLite file next to the binary, WAL mode, pooled through a blocking wrapper.

use std::path::Path;

use anyhow::Context;
use diesel::SqliteConnection;
use diesel::result::ConnectionError;
use diesel_async::pooled_connection::deadpool::Pool;
use diesel_async::pooled_connection::{AsyncDieselConnectionManager, ManagerConfig};
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{AsyncConnection, SimpleAsyncConnection};
use futures_util::FutureExt;

use crate::config::DatabaseSettings;

pub type SqliteConn = SyncConnectionWrapper<SqliteConnection>;

/// Applied to every new connection: WAL lets readers run beside the writer; the busy timeout turns
/// writer contention into a short wait instead of an error.
pub(super) const CONNECTION_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000; \
     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;";

pub(super) fn pool(path: &Path, settings: &DatabaseSettings) -> anyhow::Result<Pool<SqliteConn>> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| {
            format!("cannot create the directory {} for the SQLite file; set RR_DATABASE__SQLITE_PATH to a writable path", dir.display())
        })?;
    }
    let url = path
        .to_str()
        .context("the SQLite path must be valid UTF-8")?
        .to_owned();
    let mut config = ManagerConfig::<SqliteConn>::default();
    config.custom_setup = Box::new(|url| {
        let url = url.to_owned();
        async move {
            let mut conn = SqliteConn::establish(&url).await?;
            conn.batch_execute(CONNECTION_PRAGMAS)
                .await
                .map_err(ConnectionError::CouldntSetupConfiguration)?;
            Ok(conn)
        }
        .boxed()
    });
    let manager = AsyncDieselConnectionManager::<SqliteConn>::new_with_config(url, config);
    Pool::builder(manager)
        .max_size(settings.pool_size)
        .wait_timeout(Some(super::connect_timeout(settings)))
        .create_timeout(Some(super::connect_timeout(settings)))
        .runtime(deadpool::Runtime::Tokio1)
        .build()
        .context("could not build the SQLite connection pool")
}

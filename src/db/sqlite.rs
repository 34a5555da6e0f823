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
/// writer contention into a short wait instead of an error. (Plus the page cache's size, from the settings.)
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
    let pragmas = format!(
        "{CONNECTION_PRAGMAS} PRAGMA cache_size = -{};",
        settings.sqlite_cache_kib.max(64)
    );
    config.custom_setup = Box::new(move |url| {
        let (url, pragmas) = (url.to_owned(), pragmas.clone());
        async move {
            let mut conn = SqliteConn::establish(&url).await?;
            conn.batch_execute(&pragmas)
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

#[cfg(test)]
mod tests {
    use diesel::QueryableByName;
    use diesel_async::RunQueryDsl;

    use crate::config::Settings;

    #[derive(QueryableByName)]
    struct CacheSize {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        cache_size: i64,
    }

    #[derive(QueryableByName)]
    struct CompileOption {
        #[diesel(sql_type = diesel::sql_types::Text)]
        compile_options: String,
    }

    #[tokio::test]
    async fn sqlite_is_built_without_per_call_and_per_allocation_mutexes() {
        let dir = tempfile::tempdir().unwrap();
        let settings = Settings::load_from(&Default::default()).unwrap();
        let pool = super::pool(&dir.path().join("options.sqlite3"), &settings.database).unwrap();
        let mut conn = pool.get().await.unwrap();
        let options: Vec<CompileOption> = diesel::sql_query("PRAGMA compile_options")
            .load(&mut *conn)
            .await
            .unwrap();
        let options: Vec<String> = options.into_iter().map(|o| o.compile_options).collect();
        // Set in .cargo/config.toml (LIBSQLITE3_FLAGS).
        assert!(options.contains(&"THREADSAFE=2".to_owned()), "{options:?}");
        assert!(
            options.contains(&"DEFAULT_MEMSTATUS=0".to_owned()),
            "{options:?}"
        );
    }

    #[tokio::test]
    async fn each_pooled_connection_gets_the_configured_page_cache() {
        let dir = tempfile::tempdir().unwrap();
        let env = std::collections::HashMap::from([(
            "RR_DATABASE__SQLITE_CACHE_KIB".to_owned(),
            "300".to_owned(),
        )]);
        let settings = Settings::load_from(&env).unwrap();
        let pool = super::pool(&dir.path().join("cache.sqlite3"), &settings.database).unwrap();
        let mut conn = pool.get().await.unwrap();
        let size: CacheSize = diesel::sql_query("PRAGMA cache_size")
            .get_result(&mut *conn)
            .await
            .unwrap();
        assert_eq!(size.cache_size, -300, "negative: KiB, as SQLite counts it");
    }
}

//! The connection budget, logged at boot: this task's pool against the server's `max_connections`, so an
//! operator sees at once whether a rolling deploy (twice the tasks for a while) still fits.

use diesel::QueryableByName;
use diesel::sql_types::BigInt;
use diesel_async::pooled_connection::deadpool::Pool;
use diesel_async::{AsyncMysqlConnection, RunQueryDsl};

/// Connections kept free for everyone else: RDS's own, the rotation Lambda, a migrate task, an operator.
const RESERVE: i64 = 10;

#[derive(QueryableByName)]
struct Limits {
    #[diesel(sql_type = BigInt)]
    max_connections: i64,
    #[diesel(sql_type = BigInt)]
    max_user_connections: i64,
}

pub(super) async fn log(pool: &Pool<AsyncMysqlConnection>, pool_size: usize) {
    let limits = async {
        let mut conn = pool.get().await.ok()?;
        diesel::sql_query(
            "SELECT CAST(@@max_connections AS SIGNED) AS max_connections, \
             CAST(@@max_user_connections AS SIGNED) AS max_user_connections",
        )
        .get_result::<Limits>(&mut conn)
        .await
        .ok()
    }
    .await;
    let Some(limits) = limits else {
        tracing::warn!(
            pool_size,
            "connection budget unknown: could not read max_connections"
        );
        return;
    };
    let pool_size = pool_size as i64;
    let tasks_that_fit = (limits.max_connections - RESERVE).max(0) / pool_size.max(1);
    if tasks_that_fit < 2 {
        tracing::warn!(
            pool_size,
            max_connections = limits.max_connections,
            tasks_that_fit,
            "connection budget: not even two tasks of this pool size fit (a rolling deploy runs two); \
             lower database.pool_size or use a larger instance class"
        );
    }
    tracing::info!(
        pool_size,
        max_connections = limits.max_connections,
        max_user_connections = limits.max_user_connections,
        reserve = RESERVE,
        tasks_that_fit,
        "connection budget"
    );
}

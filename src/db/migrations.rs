//! Embedded migrations, applied before the server takes traffic.
//!
//! MySQL: a named lock (`GET_LOCK`) held on the migrating connection makes N tasks booting together apply
//! each migration exactly once; the others wait, then find nothing pending. SQLite serialises writers itself.

use anyhow::{Context, anyhow};
use diesel::migration::MigrationSource;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable};
use diesel_async::AsyncMysqlConnection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use serde::Serialize;

use super::{DbPool, DbResult, SqliteConn};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const MYSQL_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/mysql");

const MIGRATION_LOCK_NAME: &str = "ritual_roast_migrations";

diesel::table! {
    __diesel_schema_migrations (version) {
        version -> Text,
        run_on -> Timestamp,
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct MigrationState {
    /// The newest migration applied to the database (None on an empty database).
    pub applied: Option<String>,
    /// The newest migration this binary carries.
    pub expected: String,
    pub up_to_date: bool,
}

/// The newest migration version embedded for `backend` ("sqlite" or "mysql").
pub fn expected_schema_version(backend: &str) -> String {
    let source = if backend == "mysql" {
        MYSQL_MIGRATIONS
    } else {
        SQLITE_MIGRATIONS
    };
    MigrationSource::<diesel::sqlite::Sqlite>::migrations(&source)
        .ok()
        .and_then(|all| all.iter().map(|m| m.name().version().to_string()).max())
        .unwrap_or_default()
}

pub(super) async fn run_sqlite(pool: &Pool<SqliteConn>) -> anyhow::Result<Vec<String>> {
    let conn = Object::take(
        pool.get()
            .await
            .map_err(|e| anyhow!("cannot open the SQLite file: {e}"))?,
    );
    tokio::task::spawn_blocking(move || {
        let mut conn = AsyncConnectionWrapper::<SqliteConn>::from(conn);
        apply(&mut conn, SQLITE_MIGRATIONS)
    })
    .await
    .context("the migration task panicked")?
}

/// `lock_wait`: how long to wait for another task's migrations before giving up
/// (`database.migration_lock_wait_secs`; kept under the load balancer's health-check grace).
pub(super) async fn run_mysql(
    pool: &Pool<AsyncMysqlConnection>,
    lock_wait: std::time::Duration,
) -> anyhow::Result<Vec<String>> {
    let lock_wait_secs = lock_wait.as_secs();
    let conn = Object::take(
        pool.get()
            .await
            .map_err(|e| anyhow!("cannot connect to MySQL: {e}"))?,
    );
    tokio::task::spawn_blocking(move || {
        let mut conn = AsyncConnectionWrapper::<AsyncMysqlConnection>::from(conn);
        let locked: LockResult = diesel::sql_query(format!(
            "SELECT GET_LOCK('{MIGRATION_LOCK_NAME}', {lock_wait_secs}) AS value"
        ))
        .get_result(&mut conn)
        .context("could not ask MySQL for the migration lock")?;
        if locked.value != Some(1) {
            anyhow::bail!(
                "another task held the migration lock for {lock_wait_secs} s; \
                 check for a stuck `migrate` and restart this task"
            );
        }
        let applied = apply(&mut conn, MYSQL_MIGRATIONS);
        let released = diesel::sql_query(format!("SELECT RELEASE_LOCK('{MIGRATION_LOCK_NAME}') AS value"))
            .get_result::<LockResult>(&mut conn);
        if let Err(e) = released {
            tracing::warn!(error = %e, "could not release the migration lock; it is freed when the connection closes");
        }
        applied
    })
    .await
    .context("the migration task panicked")?
}

#[derive(QueryableByName)]
struct LockResult {
    #[diesel(sql_type = Nullable<BigInt>)]
    value: Option<i64>,
}

fn apply<C>(conn: &mut C, migrations: EmbeddedMigrations) -> anyhow::Result<Vec<String>>
where
    C: MigrationHarness<<C as Connection>::Backend> + Connection,
    EmbeddedMigrations: MigrationSource<<C as Connection>::Backend>,
{
    let applied = conn
        .run_pending_migrations(migrations)
        .map_err(|e| anyhow!("a database migration failed: {e}"))?;
    let applied: Vec<String> = applied.iter().map(|v| v.to_string()).collect();
    for version in &applied {
        tracing::info!(version = %version, "applied migration");
    }
    Ok(applied)
}

pub(super) async fn state(pool: &DbPool) -> DbResult<MigrationState> {
    let applied: Option<String> = crate::db_run!(pool, |conn| {
        let query = __diesel_schema_migrations::table
            .select(diesel::dsl::max(__diesel_schema_migrations::version));
        diesel_async::RunQueryDsl::get_result(query, conn)
            .await
            .or_else(|e| match e {
                // A database nobody has migrated yet has no bookkeeping table: that is "nothing applied".
                diesel::result::Error::DatabaseError(_, ref info)
                    if info.message().contains("__diesel_schema_migrations") =>
                {
                    Ok(None)
                }
                other => Err(other),
            })
            .map_err(super::DbError::from)
    })?;
    let expected = expected_schema_version(pool.backend_name());
    let up_to_date = applied.as_deref() == Some(expected.as_str());
    Ok(MigrationState {
        applied,
        expected,
        up_to_date,
    })
}

#[cfg(test)]
mod tests {
    use diesel::sql_types::Text;
    use diesel::{Connection, RunQueryDsl, SqliteConnection};
    use diesel_migrations::MigrationHarness;

    use super::SQLITE_MIGRATIONS;

    #[derive(diesel::QueryableByName, Debug, PartialEq)]
    struct Note {
        #[diesel(sql_type = Text)]
        author: String,
        #[diesel(sql_type = Text)]
        body: String,
    }

    #[test]
    fn the_old_notes_box_becomes_the_first_entry_of_each_timeline() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.sqlite3");
        let mut conn = SqliteConnection::establish(path.to_str().unwrap()).unwrap();
        // The schema as it was before the timeline: every migration up to the notes box's last.
        while !conn
            .applied_migrations()
            .unwrap()
            .iter()
            .any(|v| v.to_string().ends_with("000006"))
        {
            conn.run_next_migration(SQLITE_MIGRATIONS).unwrap();
        }
        diesel::sql_query(
            "INSERT INTO leads (name, email, interest, notes, form_token, created_at, updated_at) VALUES
             ('Ana', 'ana@example.com', 'beans', 'Called twice, wants decaf', 't1', '2026-01-01 09:00:00', '2026-01-02 10:00:00'),
             ('Bo', 'bo@example.com', 'beans', '', 't2', '2026-01-01 09:00:00', '2026-01-01 09:00:00')",
        )
        .execute(&mut conn)
        .unwrap();
        conn.run_pending_migrations(SQLITE_MIGRATIONS).unwrap();
        let notes: Vec<Note> = diesel::sql_query("SELECT author, body FROM lead_notes")
            .load(&mut conn)
            .unwrap();
        assert_eq!(
            notes,
            [Note {
                author: "the old notes box".into(),
                body: "Called twice, wants decaf".into()
            }],
            "one note, for the lead that had one"
        );
        // And back: reverting puts every note into the box again.
        while !conn.applied_migrations().unwrap()[0]
            .to_string()
            .ends_with("000006")
        {
            conn.revert_last_migration(SQLITE_MIGRATIONS).unwrap();
        }
        let boxes: Vec<Note> =
            diesel::sql_query("SELECT name AS author, notes AS body FROM leads ORDER BY id")
                .load(&mut conn)
                .unwrap();
        assert_eq!(boxes[0].body, "Called twice, wants decaf");
        assert_eq!(boxes[1].body, "");
    }
}

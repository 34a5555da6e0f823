//! Signed-in staff sessions (`staff_sessions`), stored by the hash of their cookie so every task can check
//! them and a database dump signs nobody in.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::schema::{staff_sessions, staff_users};
use super::staff::{StaffUser, now};
use super::{DbPool, DbResult};
use crate::{db_run, db_run_retrying};

/// A signed-in session joined with its user.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub id: String,
    pub csrf_token: String,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
    pub user: StaffUser,
}

pub async fn create_session(
    pool: &DbPool,
    id_hash: &str,
    user_id: i64,
    csrf_token: &str,
) -> DbResult<()> {
    let now = now();
    db_run!(pool, |conn| {
        diesel::insert_into(staff_sessions::table)
            .values((
                staff_sessions::id.eq(id_hash),
                staff_sessions::staff_user_id.eq(user_id),
                staff_sessions::csrf_token.eq(csrf_token),
                staff_sessions::created_at.eq(now),
                staff_sessions::last_seen_at.eq(now),
            ))
            .execute(conn)
            .await?;
        Ok(())
    })
}

pub async fn find_session(pool: &DbPool, id_hash: &str) -> DbResult<Option<SessionRecord>> {
    let row: Option<(String, String, NaiveDateTime, NaiveDateTime, StaffUser)> =
        db_run_retrying!(pool, |conn| {
            Ok::<_, super::DbError>(
                staff_sessions::table
                    .inner_join(staff_users::table)
                    .filter(staff_sessions::id.eq(id_hash))
                    .select((
                        staff_sessions::id,
                        staff_sessions::csrf_token,
                        staff_sessions::created_at,
                        staff_sessions::last_seen_at,
                        StaffUser::as_select(),
                    ))
                    .first(conn)
                    .await
                    .optional()?,
            )
        })?;
    Ok(row.map(
        |(id, csrf_token, created_at, last_seen_at, user)| SessionRecord {
            id,
            csrf_token,
            created_at,
            last_seen_at,
            user,
        },
    ))
}

pub async fn touch_session(pool: &DbPool, id_hash: &str) -> DbResult<()> {
    let now = now();
    db_run_retrying!(pool, |conn| {
        diesel::update(staff_sessions::table.find(id_hash))
            .set(staff_sessions::last_seen_at.eq(now))
            .execute(conn)
            .await?;
        Ok(())
    })
}

pub async fn delete_session(pool: &DbPool, id_hash: &str) -> DbResult<()> {
    db_run_retrying!(pool, |conn| {
        diesel::delete(staff_sessions::table.find(id_hash))
            .execute(conn)
            .await?;
        Ok(())
    })
}

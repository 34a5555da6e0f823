//! Staff accounts, their sessions and app-wide secrets (the session key, the one-time setup token) — all in
//! the database so every ECS task agrees. Sign-in attempts for the throttle are in `login_attempts.rs`.

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::RunQueryDsl;

use super::schema::{app_secrets, staff_sessions, staff_users};
use super::{DbPool, DbResult};
use crate::{db_run, db_run_retrying};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = staff_users)]
pub struct StaffUser {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub password_hash: String,
    pub disabled: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A signed-in session joined with its user.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    pub id: String,
    pub csrf_token: String,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
    pub user: StaffUser,
}

pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

pub async fn count_users(pool: &DbPool) -> DbResult<i64> {
    db_run_retrying!(pool, |conn| {
        Ok(staff_users::table.count().get_result(conn).await?)
    })
}

pub async fn list_users(pool: &DbPool) -> DbResult<Vec<StaffUser>> {
    db_run_retrying!(pool, |conn| {
        Ok(staff_users::table
            .order(staff_users::email)
            .select(StaffUser::as_select())
            .load(conn)
            .await?)
    })
}

pub async fn find_user_by_email(pool: &DbPool, email: &str) -> DbResult<Option<StaffUser>> {
    db_run_retrying!(pool, |conn| {
        Ok(staff_users::table
            .filter(staff_users::email.eq(email))
            .select(StaffUser::as_select())
            .first(conn)
            .await
            .optional()?)
    })
}

/// Creates a user; `Ok(false)` when the email is taken.
pub async fn create_user(
    pool: &DbPool,
    email: &str,
    display_name: &str,
    password_hash: &str,
) -> DbResult<bool> {
    let now = now();
    db_run!(pool, |conn| {
        let inserted = diesel::insert_into(staff_users::table)
            .values((
                staff_users::email.eq(email),
                staff_users::display_name.eq(display_name),
                staff_users::password_hash.eq(password_hash),
                staff_users::disabled.eq(false),
                staff_users::created_at.eq(now),
                staff_users::updated_at.eq(now),
            ))
            .execute(conn)
            .await;
        match inserted {
            Ok(_) => Ok(true),
            Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(false),
            Err(e) => Err(e.into()),
        }
    })
}

/// Sets a new password hash and signs the user out everywhere. `Ok(false)` when no such user.
pub async fn set_password(pool: &DbPool, email: &str, password_hash: &str) -> DbResult<bool> {
    let now = now();
    let updated = db_run!(pool, |conn| {
        Ok::<_, super::DbError>(
            diesel::update(staff_users::table.filter(staff_users::email.eq(email)))
                .set((
                    staff_users::password_hash.eq(password_hash),
                    staff_users::updated_at.eq(now),
                ))
                .execute(conn)
                .await?,
        )
    })?;
    if updated > 0 {
        revoke_sessions_of(pool, email).await?;
    }
    Ok(updated > 0)
}

/// Disables or re-enables a user; disabling signs them out everywhere. `Ok(false)` when no such user.
pub async fn set_disabled(pool: &DbPool, email: &str, disabled: bool) -> DbResult<bool> {
    let now = now();
    let updated = db_run!(pool, |conn| {
        Ok::<_, super::DbError>(
            diesel::update(staff_users::table.filter(staff_users::email.eq(email)))
                .set((
                    staff_users::disabled.eq(disabled),
                    staff_users::updated_at.eq(now),
                ))
                .execute(conn)
                .await?,
        )
    })?;
    if updated > 0 && disabled {
        revoke_sessions_of(pool, email).await?;
    }
    Ok(updated > 0)
}

async fn revoke_sessions_of(pool: &DbPool, email: &str) -> DbResult<()> {
    db_run!(pool, |conn| {
        let ids = staff_users::table
            .filter(staff_users::email.eq(email))
            .select(staff_users::id);
        diesel::delete(staff_sessions::table.filter(staff_sessions::staff_user_id.eq_any(ids)))
            .execute(conn)
            .await?;
        Ok(())
    })
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

/// Reads an app-wide secret, creating it with `generate()` if absent. Race-safe across tasks: the first
/// insert wins and everyone reads that one.
pub async fn secret_or_insert(
    pool: &DbPool,
    name: &str,
    generate: impl FnOnce() -> String,
) -> DbResult<String> {
    if let Some(value) = get_secret(pool, name).await? {
        return Ok(value);
    }
    let candidate = generate();
    let now = now();
    db_run!(pool, |conn| {
        let inserted = diesel::insert_into(app_secrets::table)
            .values((
                app_secrets::name.eq(name),
                app_secrets::value.eq(&candidate),
                app_secrets::created_at.eq(now),
            ))
            .execute(conn)
            .await;
        match inserted {
            Ok(_) | Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
                Ok::<(), super::DbError>(())
            }
            Err(e) => Err(e.into()),
        }
    })?;
    Ok(get_secret(pool, name).await?.unwrap_or(candidate))
}

/// A secret and when it was created (one-time tokens expire).
pub async fn get_secret_created(
    pool: &DbPool,
    name: &str,
) -> DbResult<Option<(String, NaiveDateTime)>> {
    db_run_retrying!(pool, |conn| {
        Ok(app_secrets::table
            .find(name)
            .select((app_secrets::value, app_secrets::created_at))
            .first(conn)
            .await
            .optional()?)
    })
}

pub async fn get_secret(pool: &DbPool, name: &str) -> DbResult<Option<String>> {
    db_run_retrying!(pool, |conn| {
        Ok(app_secrets::table
            .find(name)
            .select(app_secrets::value)
            .first(conn)
            .await
            .optional()?)
    })
}

/// Deletes a secret; returns whether this call removed it (so a one-time token is consumed exactly once).
pub async fn take_secret(pool: &DbPool, name: &str, expected_value: &str) -> DbResult<bool> {
    db_run!(pool, |conn| {
        let removed = diesel::delete(
            app_secrets::table
                .filter(app_secrets::name.eq(name))
                .filter(app_secrets::value.eq(expected_value)),
        )
        .execute(conn)
        .await?;
        Ok(removed == 1)
    })
}

//! Staff accounts, in the database so every ECS task agrees. Their sessions are in `staff_sessions.rs`,
//! app-wide secrets in `app_secrets.rs`, sign-in attempts for the throttle in `login_attempts.rs`.

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};

use super::schema::{staff_sessions, staff_users};
use super::{DbError, DbPool, DbResult, inserted};
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
        inserted(
            diesel::insert_into(staff_users::table)
                .values((
                    staff_users::email.eq(email),
                    staff_users::display_name.eq(display_name),
                    staff_users::password_hash.eq(password_hash),
                    staff_users::disabled.eq(false),
                    staff_users::created_at.eq(now),
                    staff_users::updated_at.eq(now),
                ))
                .execute(conn)
                .await,
        )
    })
}

/// Sets a new password hash and signs the user out everywhere. `Ok(false)` when no such user.
pub async fn set_password(pool: &DbPool, email: &str, password_hash: &str) -> DbResult<bool> {
    change_account(pool, email, AccountChange::Password(password_hash)).await
}

/// Disables or re-enables a user; disabling signs them out everywhere. `Ok(false)` when no such user.
pub async fn set_disabled(pool: &DbPool, email: &str, disabled: bool) -> DbResult<bool> {
    change_account(pool, email, AccountChange::Disabled(disabled)).await
}

#[derive(Clone, Copy)]
enum AccountChange<'a> {
    Password(&'a str),
    Disabled(bool),
}

impl AccountChange<'_> {
    fn ends_sessions(self) -> bool {
        matches!(
            self,
            AccountChange::Password(_) | AccountChange::Disabled(true)
        )
    }
}

/// Applies one change to an account and, where it calls for it, ends the account's sessions in the same
/// transaction: a password is never changed (nor an account disabled) while the sessions it should have
/// ended live on.
async fn change_account(pool: &DbPool, email: &str, change: AccountChange<'_>) -> DbResult<bool> {
    let now = now();
    db_run!(pool, |conn| {
        conn.transaction::<_, DbError, _>(async |conn| {
            let account = staff_users::table.filter(staff_users::email.eq(email));
            let updated = match change {
                AccountChange::Password(hash) => {
                    diesel::update(account)
                        .set((
                            staff_users::password_hash.eq(hash),
                            staff_users::updated_at.eq(now),
                        ))
                        .execute(conn)
                        .await?
                }
                AccountChange::Disabled(disabled) => {
                    diesel::update(account)
                        .set((
                            staff_users::disabled.eq(disabled),
                            staff_users::updated_at.eq(now),
                        ))
                        .execute(conn)
                        .await?
                }
            };
            if updated > 0 && change.ends_sessions() {
                let user_ids = staff_users::table
                    .filter(staff_users::email.eq(email))
                    .select(staff_users::id);
                diesel::delete(
                    staff_sessions::table.filter(staff_sessions::staff_user_id.eq_any(user_ids)),
                )
                .execute(conn)
                .await?;
            }
            Ok(updated > 0)
        })
        .await
    })
}

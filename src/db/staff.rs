//! Staff accounts, in the database so every ECS task agrees. Their sessions are in `staff_sessions.rs`,
//! app-wide secrets in `app_secrets.rs`, sign-in attempts for the throttle in `login_attempts.rs`, how
//! the role and time zone are stored in `staff_columns.rs`. Changes made on the staff pages never leave
//! the site without an enabled admin ([`change_keeping_an_admin`]).

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};

use super::schema::{staff_sessions, staff_users};
use super::{DbError, DbPool, DbResult, inserted};
use crate::domain::{NotifyChoice, StaffRole, TimeZone};
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
    pub role: StaffRole,
    pub time_zone: TimeZone,
    /// Whether they hear about new leads by email (and how often).
    pub notify: NotifyChoice,
}

impl StaffUser {
    /// May manage staff, delete and export leads (an enabled account with the admin role).
    pub fn is_admin(&self) -> bool {
        self.role == StaffRole::Admin && !self.disabled
    }
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

pub async fn find_user(pool: &DbPool, id: i64) -> DbResult<Option<StaffUser>> {
    db_run_retrying!(pool, |conn| {
        Ok(staff_users::table
            .find(id)
            .select(StaffUser::as_select())
            .first(conn)
            .await
            .optional()?)
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

/// Creates a user (in the default time zone); `Ok(false)` when the email is taken.
pub async fn create_user(
    pool: &DbPool,
    email: &str,
    display_name: &str,
    password_hash: &str,
    role: StaffRole,
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
                    staff_users::role.eq(role),
                    staff_users::time_zone.eq(TimeZone::DEFAULT),
                    staff_users::created_at.eq(now),
                    staff_users::updated_at.eq(now),
                ))
                .execute(conn)
                .await,
        )
    })
}

/// One's own display name and time zone (the account page). `Ok(false)` when no such user.
pub async fn set_profile(
    pool: &DbPool,
    id: i64,
    display_name: &str,
    time_zone: TimeZone,
) -> DbResult<bool> {
    let now = now();
    db_run_retrying!(pool, |conn| {
        let updated = diesel::update(staff_users::table.find(id))
            .set((
                staff_users::display_name.eq(display_name),
                staff_users::time_zone.eq(time_zone),
                staff_users::updated_at.eq(now),
            ))
            .execute(conn)
            .await?;
        Ok(updated > 0)
    })
}

/// Whether (and how often) a staff member hears about new leads. `Ok(false)` when no such user.
pub async fn set_notify(pool: &DbPool, id: i64, choice: NotifyChoice) -> DbResult<bool> {
    let now = now();
    db_run_retrying!(pool, |conn| {
        let updated = diesel::update(staff_users::table.find(id))
            .set((
                staff_users::notify.eq(choice),
                staff_users::updated_at.eq(now),
            ))
            .execute(conn)
            .await?;
        Ok(updated > 0)
    })
}

/// Sets a new password hash and signs the user out everywhere. `Ok(false)` when no such user.
pub async fn set_password(pool: &DbPool, email: &str, password_hash: &str) -> DbResult<bool> {
    change_by_email(pool, email, AccountChange::Password(password_hash)).await
}

/// Disables or re-enables a user; disabling signs them out everywhere. `Ok(false)` when no such user.
/// The command line's way: it may disable the last admin (an operator can always `staff add` another).
pub async fn set_disabled(pool: &DbPool, email: &str, disabled: bool) -> DbResult<bool> {
    change_by_email(pool, email, AccountChange::Disabled(disabled)).await
}

async fn change_by_email(pool: &DbPool, email: &str, change: AccountChange<'_>) -> DbResult<bool> {
    let outcome = change_account(pool, Account::Email(email), change, false).await?;
    Ok(outcome == ChangeOutcome::Changed)
}

/// A change an admin makes to an account on the staff pages. (No `Debug`: it may hold a password hash.)
#[derive(Clone, Copy)]
pub enum AccountChange<'a> {
    /// A new password hash; ends the account's sessions.
    Password(&'a str),
    /// Disabling ends the account's sessions.
    Disabled(bool),
    Role(StaffRole),
}

impl AccountChange<'_> {
    fn ends_sessions(self) -> bool {
        matches!(
            self,
            AccountChange::Password(_) | AccountChange::Disabled(true)
        )
    }

    fn takes_admin_away(self) -> bool {
        matches!(
            self,
            AccountChange::Disabled(true) | AccountChange::Role(StaffRole::Staff)
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeOutcome {
    Changed,
    NoSuchAccount,
    /// Refused: it would leave no enabled admin.
    LastAdmin,
}

#[derive(Clone, Copy)]
enum Account<'a> {
    Email(&'a str),
    Id(i64),
}

/// Applies `change` to account `id`, unless it would leave no enabled admin.
pub async fn change_keeping_an_admin(
    pool: &DbPool,
    id: i64,
    change: AccountChange<'_>,
) -> DbResult<ChangeOutcome> {
    change_account(pool, Account::Id(id), change, true).await
}

/// Applies one change to an account and, where it calls for it, ends the account's sessions in the same
/// transaction: a password is never changed (nor an account disabled) while the sessions it should have
/// ended live on. With `keep_an_admin`, every staff row is locked first (a no-op update), so two admins
/// demoting each other at once cannot both succeed and leave nobody able to manage staff.
async fn change_account(
    pool: &DbPool,
    account: Account<'_>,
    change: AccountChange<'_>,
    keep_an_admin: bool,
) -> DbResult<ChangeOutcome> {
    let now = now();
    db_run!(pool, |conn| {
        conn.transaction::<_, DbError, _>(async |conn| {
            if keep_an_admin {
                diesel::update(staff_users::table)
                    .set(staff_users::updated_at.eq(staff_users::updated_at))
                    .execute(conn)
                    .await?;
            }
            let columns = (staff_users::id, staff_users::role, staff_users::disabled);
            let target: Option<(i64, StaffRole, bool)> = match account {
                Account::Email(email) => {
                    staff_users::table
                        .filter(staff_users::email.eq(email))
                        .select(columns)
                        .first(conn)
                        .await
                }
                Account::Id(id) => {
                    staff_users::table
                        .find(id)
                        .select(columns)
                        .first(conn)
                        .await
                }
            }
            .optional()?;
            let Some((id, role, disabled)) = target else {
                return Ok(ChangeOutcome::NoSuchAccount);
            };
            if keep_an_admin && role == StaffRole::Admin && !disabled && change.takes_admin_away() {
                let other_admins: i64 = staff_users::table
                    .filter(staff_users::role.eq(StaffRole::Admin))
                    .filter(staff_users::disabled.eq(false))
                    .filter(staff_users::id.ne(id))
                    .count()
                    .get_result(conn)
                    .await?;
                if other_admins == 0 {
                    return Ok(ChangeOutcome::LastAdmin);
                }
            }
            let account = staff_users::table.find(id);
            let stamp = staff_users::updated_at.eq(now);
            match change {
                AccountChange::Password(hash) => {
                    diesel::update(account)
                        .set((staff_users::password_hash.eq(hash), stamp))
                        .execute(conn)
                        .await?
                }
                AccountChange::Disabled(disabled) => {
                    diesel::update(account)
                        .set((staff_users::disabled.eq(disabled), stamp))
                        .execute(conn)
                        .await?
                }
                AccountChange::Role(role) => {
                    diesel::update(account)
                        .set((staff_users::role.eq(role), stamp))
                        .execute(conn)
                        .await?
                }
            };
            if change.ends_sessions() {
                diesel::delete(staff_sessions::table.filter(staff_sessions::staff_user_id.eq(id)))
                    .execute(conn)
                    .await?;
            }
            Ok(ChangeOutcome::Changed)
        })
        .await
    })
}

//! Sign-in attempts, stored so the throttle holds across every task: each attempt is written before its
//! password is checked, and the failures in a window are counted per account, per account and client, and
//! per client.

use chrono::{NaiveDateTime, Timelike};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::schema::login_attempts;
use super::staff::now;
use super::{DbPool, DbResult};
use crate::{db_run, db_run_retrying};

/// One sign-in attempt. It is stored as a failure *before* the password is checked, so attempts made in
/// parallel all count against the limit; it becomes a success once the password proved right.
pub struct LoginAttempt<'a> {
    pub email: &'a str,
    pub client_ip: &'a str,
    /// Microsecond precision, as both backends store it: with email and client it finds the row again
    /// (MySQL has no `RETURNING` to hand back an id).
    at: NaiveDateTime,
}

impl<'a> LoginAttempt<'a> {
    pub fn new(email: &'a str, client_ip: &'a str) -> Self {
        let at = now();
        let at = at
            .with_nanosecond(at.nanosecond() / 1000 * 1000)
            .unwrap_or(at);
        Self {
            email,
            client_ip,
            at,
        }
    }

    pub fn at(&self) -> NaiveDateTime {
        self.at
    }
}

macro_rules! this_attempt {
    ($attempt:expr) => {
        login_attempts::table
            .filter(login_attempts::email.eq($attempt.email))
            .filter(login_attempts::client_ip.eq($attempt.client_ip))
            .filter(login_attempts::attempted_at.eq($attempt.at))
    };
}

pub async fn begin(pool: &DbPool, attempt: &LoginAttempt<'_>) -> DbResult<()> {
    db_run!(pool, |conn| {
        diesel::insert_into(login_attempts::table)
            .values((
                login_attempts::email.eq(attempt.email),
                login_attempts::client_ip.eq(attempt.client_ip),
                login_attempts::succeeded.eq(false),
                login_attempts::attempted_at.eq(attempt.at),
            ))
            .execute(conn)
            .await?;
        Ok(())
    })
}

pub async fn succeeded(pool: &DbPool, attempt: &LoginAttempt<'_>) -> DbResult<()> {
    db_run_retrying!(pool, |conn| {
        diesel::update(this_attempt!(attempt))
            .set(login_attempts::succeeded.eq(true))
            .execute(conn)
            .await?;
        Ok(())
    })
}

/// A refused attempt (already throttled) is not counted again: the wait ends when the failures that
/// caused it leave the window, however often the form is sent meanwhile.
pub async fn forget(pool: &DbPool, attempt: &LoginAttempt<'_>) -> DbResult<()> {
    db_run_retrying!(pool, |conn| {
        diesel::delete(this_attempt!(attempt)).execute(conn).await?;
        Ok(())
    })
}

/// Failed sign-ins within a window, and the oldest of them (when the window lets go of it).
#[derive(Debug, Clone, Copy, Default)]
pub struct Failures {
    pub count: i64,
    pub oldest: Option<NaiveDateTime>,
}

/// Failed attempts since `since`: for the account from anywhere, for the account from this client, and
/// from this client whatever the account.
#[derive(Debug, Clone, Copy, Default)]
pub struct RecentFailures {
    pub account: Failures,
    pub account_and_client: Failures,
    pub client: Failures,
}

pub async fn recent_failures(
    pool: &DbPool,
    email: &str,
    client_ip: &str,
    since: NaiveDateTime,
) -> DbResult<RecentFailures> {
    use diesel::dsl::{count_star, min};
    let failures = |(count, oldest)| Failures { count, oldest };
    db_run_retrying!(pool, |conn| {
        let recent = || {
            login_attempts::table
                .filter(login_attempts::succeeded.eq(false))
                .filter(login_attempts::attempted_at.ge(since))
        };
        let account = recent()
            .filter(login_attempts::email.eq(email))
            .select((count_star(), min(login_attempts::attempted_at)))
            .first(conn)
            .await?;
        let account_and_client = recent()
            .filter(login_attempts::email.eq(email))
            .filter(login_attempts::client_ip.eq(client_ip))
            .select((count_star(), min(login_attempts::attempted_at)))
            .first(conn)
            .await?;
        let client = recent()
            .filter(login_attempts::client_ip.eq(client_ip))
            .select((count_star(), min(login_attempts::attempted_at)))
            .first(conn)
            .await?;
        Ok(RecentFailures {
            account: failures(account),
            account_and_client: failures(account_and_client),
            client: failures(client),
        })
    })
}

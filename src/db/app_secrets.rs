//! App-wide secrets (`app_secrets`): the session key and the one-time setup token, kept in the database
//! so every ECS task agrees on them.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::schema::app_secrets;
use super::staff::now;
use super::{DbPool, DbResult, inserted};
use crate::{db_run, db_run_retrying};

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
    // Whoever inserted first, everyone reads that row below.
    db_run!(pool, |conn| {
        inserted(
            diesel::insert_into(app_secrets::table)
                .values((
                    app_secrets::name.eq(name),
                    app_secrets::value.eq(&candidate),
                    app_secrets::created_at.eq(now),
                ))
                .execute(conn)
                .await,
        )
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

//! News-by-email signups (`news_signups`): one row per address, with when the visitor asked for news.

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::schema::news_signups;
use super::{DbPool, DbResult, inserted};
use crate::db_run_retrying;
use crate::domain::LeadEmail;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = news_signups)]
pub struct NewsSignup {
    pub id: i64,
    pub email: String,
    pub consent_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
}

/// Records a signup; signing up again with the same address (in any letter case) changes nothing.
/// Returns whether this call added the address.
pub async fn add(pool: &DbPool, email: &LeadEmail) -> DbResult<bool> {
    let email = email.as_str().to_lowercase();
    let now = Utc::now().naive_utc();
    db_run_retrying!(pool, |conn| {
        inserted(
            diesel::insert_into(news_signups::table)
                .values((
                    news_signups::email.eq(&email),
                    news_signups::consent_at.eq(now),
                    news_signups::created_at.eq(now),
                ))
                .execute(conn)
                .await,
        )
    })
}

/// The newest signups first, at most `limit`, and how many there are in all.
pub async fn newest(pool: &DbPool, limit: i64) -> DbResult<(Vec<NewsSignup>, i64)> {
    db_run_retrying!(pool, |conn| {
        let rows = news_signups::table
            .order(news_signups::id.desc())
            .limit(limit)
            .select(NewsSignup::as_select())
            .load(conn)
            .await?;
        let total = news_signups::table.count().get_result(conn).await?;
        Ok((rows, total))
    })
}

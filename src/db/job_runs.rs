//! Periodic jobs' leases and last runs (`job_runs`), one row per job, shared by every task.
//!
//! A task runs a job only after taking its lease: one conditional `UPDATE` that succeeds only when the job is
//! due and nobody holds an unexpired lease. The statement is atomic on both backends (InnoDB re-checks the
//! condition on the row it locks; SQLite has one writer), so however many tasks try at once, one wins. A task
//! killed mid-job never releases its lease; it simply expires, and the next task to look runs the job again
//! (every job is safe to repeat).

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::schema::job_runs;
use super::staff::now;
use super::{DbPool, DbResult, inserted};
use crate::{db_run, db_run_retrying};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = job_runs)]
pub struct JobRun {
    pub name: String,
    /// The task holding the lease (while it runs, or until its lease expires if it died).
    pub holder: Option<String>,
    pub lease_until: Option<NaiveDateTime>,
    pub next_run_at: NaiveDateTime,
    pub last_started_at: Option<NaiveDateTime>,
    pub last_finished_at: Option<NaiveDateTime>,
    /// `ok` or `failed`; empty before the first run.
    pub last_outcome: String,
    /// What the last run did (counts), or why it failed.
    pub last_detail: String,
}

impl JobRun {
    /// Running now: a lease that has not expired.
    pub fn running(&self, now: NaiveDateTime) -> bool {
        self.holder.is_some() && self.lease_until.is_some_and(|until| until > now)
    }

    /// The last run started and never finished, and its lease expired: the task died under it.
    pub fn interrupted(&self, now: NaiveDateTime) -> bool {
        self.holder.is_some() && !self.running(now)
    }
}

/// Makes sure the job has its row (first run at `first_run_at`); a row already there is left alone.
pub async fn register(pool: &DbPool, name: &str, first_run_at: NaiveDateTime) -> DbResult<()> {
    db_run!(pool, |conn| {
        inserted(
            diesel::insert_into(job_runs::table)
                .values((
                    job_runs::name.eq(name),
                    job_runs::next_run_at.eq(first_run_at),
                    job_runs::last_outcome.eq(""),
                    job_runs::last_detail.eq(""),
                ))
                .execute(conn)
                .await,
        )
    })?;
    Ok(())
}

/// Takes the job's lease for `lease` when it is due and free; `Ok(true)` when this task now holds it.
pub async fn try_lease(pool: &DbPool, name: &str, holder: &str, lease: Duration) -> DbResult<bool> {
    let now = now();
    db_run!(pool, |conn| {
        let taken = diesel::update(
            job_runs::table
                .filter(job_runs::name.eq(name))
                .filter(job_runs::next_run_at.le(now))
                .filter(
                    job_runs::lease_until
                        .is_null()
                        .or(job_runs::lease_until.lt(now)),
                ),
        )
        .set((
            job_runs::holder.eq(holder),
            job_runs::lease_until.eq(now + lease),
            job_runs::last_started_at.eq(now),
        ))
        .execute(conn)
        .await?;
        Ok(taken == 1)
    })
}

/// Records a finished run and releases the lease, if this task still holds it (a run that outlived its lease
/// records nothing: another task has taken the job over).
pub async fn finish(
    pool: &DbPool,
    name: &str,
    holder: &str,
    outcome: &str,
    detail: &str,
    next_run_at: NaiveDateTime,
) -> DbResult<bool> {
    let now = now();
    let detail: String = detail.chars().take(500).collect();
    db_run_retrying!(pool, |conn| {
        let updated = diesel::update(
            job_runs::table
                .filter(job_runs::name.eq(name))
                .filter(job_runs::holder.eq(holder)),
        )
        .set((
            job_runs::holder.eq(None::<String>),
            job_runs::lease_until.eq(None::<NaiveDateTime>),
            job_runs::last_finished_at.eq(now),
            job_runs::last_outcome.eq(outcome),
            job_runs::last_detail.eq(&detail),
            job_runs::next_run_at.eq(next_run_at),
        ))
        .execute(conn)
        .await?;
        Ok(updated == 1)
    })
}

/// Every job's row, by name (the admin's jobs page).
pub async fn all(pool: &DbPool) -> DbResult<Vec<JobRun>> {
    db_run_retrying!(pool, |conn| {
        Ok(job_runs::table
            .order(job_runs::name)
            .select(JobRun::as_select())
            .load(conn)
            .await?)
    })
}

//! The periodic jobs and the loop that runs them. Every `jobs.tick_secs` each task asks, job by job, for the
//! job's lease (`db/job_runs.rs`); the one task that gets it runs the job, bounded by the lease, records the
//! outcome and the next run, and logs one line with what the run did. A task killed mid-job leaves its lease
//! to expire: the job shows as interrupted on /admin/jobs and the next task to tick runs it again (every job
//! is safe to repeat).

use std::time::{Duration, Instant};

use chrono::Duration as Span;

use super::periodic;
use crate::config::Settings;
use crate::db::{DbPool, job_runs, staff::now};
use crate::metrics::{self, Event};

pub const HOUSEKEEPING: &str = "housekeeping";
pub const RETENTION: &str = "retention";

/// The periodic jobs, with how often each runs.
pub fn schedule(settings: &Settings) -> [(&'static str, Span); 2] {
    let jobs = &settings.jobs;
    [
        (
            HOUSEKEEPING,
            Span::minutes(jobs.housekeeping_interval_mins as i64),
        ),
        (RETENTION, Span::hours(jobs.retention_interval_hours as i64)),
    ]
}

/// What one tick did for one job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tick {
    /// Another task holds the lease, or the job is not due.
    NotRun,
    Ran {
        ok: bool,
        detail: String,
    },
}

pub async fn run_forever(db: &DbPool, settings: &Settings, holder: &str) {
    let every = Duration::from_secs(settings.jobs.tick_secs);
    loop {
        if let Err(error) = register(db, settings).await {
            tracing::warn!(%error, "could not register the periodic jobs; trying again");
            tokio::time::sleep(every).await;
            continue;
        }
        break;
    }
    loop {
        // First check one tick after boot: a task that keeps restarting never hammers the database.
        tokio::time::sleep(every).await;
        for (name, _) in schedule(settings) {
            if let Err(error) = tick(db, settings, holder, name).await {
                tracing::warn!(job = name, %error, "could not check the job's lease");
            }
        }
    }
}

/// Gives every job its row (first run: now).
pub async fn register(db: &DbPool, settings: &Settings) -> crate::db::DbResult<()> {
    for (name, _) in schedule(settings) {
        job_runs::register(db, name, now()).await?;
    }
    Ok(())
}

/// Runs `name` if it is due and this task gets its lease.
pub async fn tick(
    db: &DbPool,
    settings: &Settings,
    holder: &str,
    name: &str,
) -> crate::db::DbResult<Tick> {
    let lease = Span::seconds(settings.jobs.lease_secs as i64);
    if !job_runs::try_lease(db, name, holder, lease).await? {
        return Ok(Tick::NotRun);
    }
    let started = Instant::now();
    // A run must end inside its lease, or another task could start the same job beside it.
    let limit = Duration::from_secs(settings.jobs.lease_secs.saturating_sub(5).max(1));
    let run = async {
        match name {
            HOUSEKEEPING => periodic::housekeeping(db, settings).await,
            RETENTION => periodic::retention(db, settings).await,
            other => Err(anyhow::anyhow!("no job is called {other}")),
        }
    };
    let result = match tokio::time::timeout(limit, run).await {
        Ok(result) => result,
        Err(_) => Err(anyhow::anyhow!(
            "stopped after {} s, before its lease ran out; the next run carries on",
            limit.as_secs()
        )),
    };
    let every = schedule(settings)
        .into_iter()
        .find(|(job, _)| *job == name)
        .map_or(Span::hours(1), |(_, every)| every);
    let (ok, detail, next) = match &result {
        Ok(detail) => (true, detail.clone(), now() + every),
        // A failed run is tried again sooner than its interval, but not at once.
        Err(error) => (
            false,
            format!("{error:#}"),
            now() + every.min(Span::minutes(15)),
        ),
    };
    let outcome = if ok { "ok" } else { "failed" };
    let elapsed_ms = started.elapsed().as_millis() as u64;
    metrics::count(Event::JobRuns);
    if ok {
        tracing::info!(job = name, outcome, detail, elapsed_ms, "job run");
    } else {
        metrics::count(Event::JobFailures);
        tracing::warn!(job = name, outcome, detail, elapsed_ms, "job run");
    }
    if !job_runs::finish(db, name, holder, outcome, &detail, next).await? {
        tracing::warn!(
            job = name,
            "the job's lease passed to another task before this run finished"
        );
    }
    Ok(Tick::Ran { ok, detail })
}

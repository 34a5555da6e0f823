//! `/admin/jobs` (admins only): the periodic jobs (last run, its outcome and counts, next run; running now,
//! or interrupted when a task died under it) and the notification outbox (how many wait, were sent, were
//! given up, and the newest failures with their error and a link to the lead).

use actix_web::{HttpResponse, web};
use maud::{Markup, html};

use super::guard::Staff;
use super::layout::AdminFrame;
use crate::db::job_runs::{self, JobRun};
use crate::db::outbox::{self, Summary};
use crate::db::staff::now;
use crate::domain::TimeZone;
use crate::error::AppError;
use crate::state::AppState;
use crate::views::local_time;

const TITLE: &str = "Background jobs";
/// Failed notifications listed on the page.
const FAILURES_SHOWN: i64 = 20;

pub async fn show(
    frame: AdminFrame,
    state: web::Data<AppState>,
    staff: Staff,
) -> Result<HttpResponse, AppError> {
    let jobs = job_runs::all(&state.db).await?;
    let outbox = outbox::summary(&state.db, FAILURES_SHOWN).await?;
    let notifications_on = state.settings.notifications.enabled();
    Ok(frame
        .page(TITLE)
        .render(page(&jobs, &outbox, notifications_on, staff.user.time_zone)))
}

fn when(at: Option<chrono::NaiveDateTime>, zone: TimeZone) -> Markup {
    match at {
        Some(at) => local_time::minute(at, zone),
        None => html! { "never" },
    }
}

fn state_of(job: &JobRun) -> &'static str {
    let now = now();
    if job.running(now) {
        "running"
    } else if job.interrupted(now) {
        "interrupted (its task stopped; runs again at the next check)"
    } else {
        match job.last_outcome.as_str() {
            "ok" => "ok",
            "failed" => "failed",
            _ => "not run yet",
        }
    }
}

fn page(jobs: &[JobRun], outbox: &Summary, notifications_on: bool, zone: TimeZone) -> Markup {
    html! {
        h1 { (TITLE) }
        p { "Each job runs in one task at a time, under a lease in the database; every run logs one line with its counts." }
        div.table-scroll {
            table.data-table data-testid="jobs-table" {
                thead { tr {
                    th scope="col" { "Job" } th scope="col" { "Outcome" } th scope="col" { "What it did" }
                    th scope="col" { "Last run" } th scope="col" { "Next run" }
                } }
                tbody {
                    @for job in jobs {
                        tr data-job=(job.name) {
                            td { (job.name) }
                            td data-testid="job-outcome" { (state_of(job)) }
                            td.wrap-anywhere { (job.last_detail) }
                            td { (when(job.last_started_at, zone)) }
                            td { (local_time::minute(job.next_run_at, zone)) }
                        }
                    }
                }
            }
        }
        h2 { "Lead notifications" }
        @if !notifications_on {
            p data-testid="notifications-off" { "Off: no sender address is configured (notifications.from)." }
        }
        dl.lead-details data-testid="outbox-counts" {
            dt { "Waiting to be sent" } dd data-testid="outbox-pending" { (outbox.pending) }
            dt { "Sent (kept a few days)" } dd data-testid="outbox-sent" { (outbox.sent) }
            dt { "Given up" } dd data-testid="outbox-failed" { (outbox.failed) }
            dt { "Not needed any more" } dd { (outbox.dropped) }
        }
        @if !outbox.recent_failures.is_empty() {
            h3 { "Given up" }
            div.table-scroll {
                table.data-table data-testid="outbox-failures" {
                    thead { tr {
                        th scope="col" { "Lead" } th scope="col" { "Tries" }
                        th scope="col" { "Lead arrived" } th scope="col" { "Last error" }
                    } }
                    tbody {
                        @for row in &outbox.recent_failures {
                            tr {
                                td { a href={ "/admin/leads/" (row.lead_id) } { "#" (row.lead_id) } }
                                td { (row.attempts) }
                                td { (local_time::minute(row.created_at, zone)) }
                                td.wrap-anywhere { (row.last_error) }
                            }
                        }
                    }
                }
            }
        }
    }
}

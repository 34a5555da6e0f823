//! `GET /admin`: first what needs action now (new leads that have waited more than one working day for a
//! reply, as the site promises, and overdue follow-ups), then leads by status, the conversion rate, and
//! leads per day, as charts with axes.

use actix_web::{HttpResponse, web};
use chrono::{Days, NaiveDate, Utc};
use maud::html;

use super::charts::{daily_bars, status_bars};
use super::guard::Staff;
use super::layout::AdminFrame;
use crate::db::lead_counts;
use crate::domain::LeadStatus;
use crate::domain::working_days::one_working_day_before;
use crate::error::AppError;
use crate::state::AppState;
use crate::views::local_time;

/// Overdue leads listed by name on the dashboard; the rest are a link away.
const WAITING_SHOWN: i64 = 10;

pub async fn show(
    frame: AdminFrame,
    state: web::Data<AppState>,
    staff: Staff,
) -> Result<HttpResponse, AppError> {
    let by_status = lead_counts::count_by_status(&state.db).await?;
    let count = |status: LeadStatus| {
        by_status
            .iter()
            .find(|(s, _)| s == status.as_str())
            .map_or(0, |(_, n)| *n)
    };
    let total: i64 = by_status.iter().map(|(_, n)| n).sum();
    let (won, lost) = (count(LeadStatus::Won), count(LeadStatus::Lost));
    let conversion = (won + lost > 0).then(|| 100.0 * won as f64 / (won + lost) as f64);
    let today = staff.today();
    let since_90 = today.checked_sub_days(Days::new(89)).unwrap_or(today);
    let since_30 = today.checked_sub_days(Days::new(29)).unwrap_or(today);
    let per_day: Vec<(NaiveDate, i64)> = lead_counts::per_day_since(&state.db, since_90)
        .await?
        .into_iter()
        .filter_map(|d| {
            NaiveDate::parse_from_str(&d.day, "%Y-%m-%d")
                .ok()
                .map(|day| (day, d.leads))
        })
        .collect();
    let due_before = one_working_day_before(Utc::now().naive_utc());
    let (waiting, waiting_total) =
        lead_counts::waiting_for_reply(&state.db, due_before, WAITING_SHOWN).await?;
    let (overdue, overdue_total) =
        lead_counts::overdue_follow_ups(&state.db, today, WAITING_SHOWN).await?;
    let statuses: Vec<(&str, i64)> = LeadStatus::ALL
        .into_iter()
        .map(|s| (s.as_str(), count(s)))
        .collect();
    let content = html! {
        h1 { "Dashboard" }
        section.needs-action aria-labelledby="waiting-title" data-testid="waiting" {
            h2 #waiting-title { "Needs a reply now" }
            @if waiting.is_empty() {
                p { "Every new lead has had a reply within one working day. Nothing is waiting." }
            } @else {
                p {
                    strong { (waiting_total) } " new lead" @if waiting_total != 1 { "s have" } @else { " has" }
                    " waited more than one working day for a first reply (the site promises one). Oldest first:"
                }
                ol.waiting-list {
                    @for lead in &waiting {
                        li {
                            a href={ "/admin/leads/" (lead.id) } { (lead.name) }
                            " · " (lead.interest.label()) " · received " (local_time::minute(lead.created_at, staff.user.time_zone))
                        }
                    }
                }
                @if waiting_total > WAITING_SHOWN {
                    p { a href="/admin/leads?status=new&sort=created&dir=asc" { "All new leads, oldest first" } }
                }
            }
        }
        section.needs-action aria-labelledby="overdue-title" data-testid="overdue" {
            h2 #overdue-title { "Overdue follow-ups" }
            @if overdue.is_empty() {
                p { "No follow-up is overdue." }
            } @else {
                p { strong { (overdue_total) } " follow-up" @if overdue_total != 1 { "s are" } @else { " is" } " overdue. Most overdue first:" }
                ol.waiting-list {
                    @for lead in &overdue {
                        li {
                            a href={ "/admin/leads/" (lead.id) } { (lead.name) }
                            " · " (lead.status.as_str())
                            @if let Some(day) = lead.follow_up_on { " · was due " (day) }
                        }
                    }
                }
                @if overdue_total > WAITING_SHOWN {
                    p { a href="/admin/leads?follow_up=overdue" { "Every overdue follow-up" } }
                }
            }
            p { a href="/admin/leads?owner=mine" { "My leads" } " · " a href="/admin/leads?owner=unassigned" { "Unassigned leads" } " · " a href="/admin/leads?follow_up=due" { "Follow-ups due" } }
        }
        h2 { "Leads by status" }
        p data-testid="stat-total" {
            (total) " lead" @if total != 1 { "s" } " in all. "
            @match conversion {
                Some(rate) => { "Won " (format!("{rate:.0} %")) " of closed leads (won + lost)." },
                None => { "None closed yet (won or lost)." },
            }
        }
        (status_bars("Leads by status", &statuses))
        p.status-links { @for status in LeadStatus::ALL { a href={ "/admin/leads?status=" (status.as_str()) } data-testid={ "stat-" (status.as_str()) } { (status.as_str()) " (" (count(status)) ")" } " " } }
        h2 { "Last 30 days" }
        (daily_bars("Leads per day, last 30 days", since_30, today, &per_day))
        h2 { "Last 90 days" }
        (daily_bars("Leads per day, last 90 days", since_90, today, &per_day))
    };
    Ok(frame.page("Dashboard").render(content))
}

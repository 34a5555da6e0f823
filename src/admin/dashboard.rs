//! `GET /admin`: counts by status, conversion rate, and leads per day over 30 and 90 days.

use actix_web::{HttpResponse, web};
use chrono::{Days, NaiveDate, Utc};
use maud::html;

use super::charts::daily_bars;
use super::layout::AdminFrame;
use crate::db::lead_queries;
use crate::domain::LeadStatus;
use crate::error::AppError;
use crate::state::AppState;

pub async fn show(frame: AdminFrame, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let by_status = lead_queries::count_by_status(&state.db).await?;
    let count = |status: LeadStatus| {
        by_status
            .iter()
            .find(|(s, _)| s == status.as_str())
            .map_or(0, |(_, n)| *n)
    };
    let total: i64 = by_status.iter().map(|(_, n)| n).sum();
    let (won, lost) = (count(LeadStatus::Won), count(LeadStatus::Lost));
    let conversion = (won + lost > 0).then(|| 100.0 * won as f64 / (won + lost) as f64);
    let today = Utc::now().date_naive();
    let since_90 = today.checked_sub_days(Days::new(89)).unwrap_or(today);
    let since_30 = today.checked_sub_days(Days::new(29)).unwrap_or(today);
    let per_day: Vec<(NaiveDate, i64)> = lead_queries::per_day_since(&state.db, since_90)
        .await?
        .into_iter()
        .filter_map(|d| {
            NaiveDate::parse_from_str(&d.day, "%Y-%m-%d")
                .ok()
                .map(|day| (day, d.leads))
        })
        .collect();
    let content = html! {
        h1 { "Dashboard" }
        section.stats aria-label="Leads by status" {
            div.stat data-testid="stat-total" { span.stat__value { (total) } span.stat__label { "leads in all" } }
            @for status in LeadStatus::ALL {
                a.stat href={ "/admin/leads?status=" (status.as_str()) } data-testid={ "stat-" (status.as_str()) } {
                    span.stat__value { (count(status)) } span.stat__label { (status.as_str()) }
                }
            }
            div.stat data-testid="stat-conversion" {
                span.stat__value { @match conversion { Some(rate) => { (format!("{rate:.0} %")) }, None => { "—" } } }
                span.stat__label { "won of closed (won + lost)" }
            }
        }
        h2 { "Last 30 days" }
        (daily_bars("Leads per day, last 30 days", since_30, today, &per_day))
        h2 { "Last 90 days" }
        (daily_bars("Leads per day, last 90 days", since_90, today, &per_day))
    };
    Ok(frame.page("Dashboard").render(content))
}

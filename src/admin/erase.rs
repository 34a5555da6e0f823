//! `/admin/erase` (admins only): erase one person's data on request. Everything stored under their email
//! address goes (leads with their notes, search terms, notifications and history; a news signup; sign-in
//! attempts typed with it) in one transaction, leaving a tombstone that says when and by whom, and nothing
//! about the person. The command line does the same: `ritual-roast leads erase --email …`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;

use super::guard::{CsrfForm, Staff};
use super::layout::{AdminFrame, csrf_field};
use super::session::redirect_with_flash;
use crate::db::erasure::{self, Erasure};
use crate::error::AppError;
use crate::state::AppState;
use crate::views::local_time;

const TITLE: &str = "Erase a person's data";
const TOMBSTONES_SHOWN: i64 = 20;

#[derive(Deserialize)]
pub struct EraseForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    confirm: String,
}

pub async fn show(
    frame: AdminFrame,
    state: web::Data<AppState>,
    staff: Staff,
) -> Result<HttpResponse, AppError> {
    let recent = erasure::recent(&state.db, TOMBSTONES_SHOWN).await?;
    Ok(frame.page(TITLE).render(page(&staff, &recent, None)))
}

pub async fn erase(
    frame: AdminFrame,
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    form: CsrfForm<EraseForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.0;
    let email = form.email.trim();
    let problem = if !email.contains('@') {
        Some("Enter the email address the person gave us.")
    } else if form.confirm != "yes" {
        Some("Tick the box to confirm: erasure cannot be undone.")
    } else {
        None
    };
    if let Some(problem) = problem {
        let recent = erasure::recent(&state.db, TOMBSTONES_SHOWN).await?;
        return Ok(frame
            .page(TITLE)
            .status(StatusCode::UNPROCESSABLE_ENTITY)
            .render(page(&staff, &recent, Some(problem))));
    }
    let by = format!("{} (staff)", staff.user.email);
    let erased = erasure::erase_by_email(&state.db, email, &by).await?;
    tracing::info!(
        event = "security",
        outcome = "personal data erased",
        leads = erased.leads,
        news_signups = erased.news_signups,
        by_staff_user_id = staff.user.id,
        "erasure"
    );
    let message = format!(
        "Erased: {} lead(s), {} news signup(s), {} sign-in attempt(s). Only the tombstone below remains.",
        erased.leads, erased.news_signups, erased.sign_in_attempts
    );
    Ok(redirect_with_flash(&state, &req, "/admin/erase", &message))
}

fn page(staff: &Staff, recent: &[Erasure], problem: Option<&str>) -> Markup {
    let zone = staff.user.time_zone;
    html! {
        h1 { (TITLE) }
        p { "When someone asks us to forget them, everything stored under their email address goes at once: their leads with notes, history and pending emails, a news signup, sign-in attempts typed with it. It cannot be undone." }
        section.login-card {
            @if let Some(problem) = problem {
                div.notice.notice--error role="alert" data-testid="erase-error" { (problem) }
            }
            form method="post" action="/admin/erase" data-testid="erase-form" {
                (csrf_field(staff))
                div.field {
                    label for="email" { "Their email address" }
                    input #email type="email" name="email" required;
                }
                div.field {
                    label { input type="checkbox" name="confirm" value="yes"; " Erase everything under this address" }
                }
                button.button.button--danger type="submit" { "Erase" }
            }
        }
        h2 { "Erasures so far" }
        @if recent.is_empty() {
            p { "None yet." }
        } @else {
            ul data-testid="tombstones" {
                @for tombstone in recent {
                    li {
                        "Erased on " (local_time::minute(tombstone.erased_at, zone)) " by " (tombstone.erased_by)
                        ": " (tombstone.leads_erased) " lead(s), " (tombstone.signups_erased) " news signup(s)."
                    }
                }
            }
        }
    }
}

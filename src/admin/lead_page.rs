//! One lead: its details, the edit form (status workflow and notes, with stale-edit detection), its history,
//! and deletion behind a confirmation page.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;

use super::guard::{CsrfForm, Staff};
use super::layout::{admin_page, csrf_field, redirect_with_flash, respond};
use crate::db::lead_changes::{self, EditOutcome, LeadEdit};
use crate::db::lead_events::{self, LeadEvent};
use crate::db::leads::{self, Lead};
use crate::domain::LeadStatus;
use crate::error::AppError;
use crate::state::AppState;
use crate::views::contact_links::{mailto_href, tel_href};
use crate::views::html_response;

const NOTES_MAX: usize = 5000;

#[derive(Deserialize)]
pub struct EditForm {
    #[serde(default)]
    status: String,
    #[serde(default)]
    notes: String,
    version: i32,
}

async fn load(state: &AppState, id: i64) -> Result<Lead, AppError> {
    leads::find(&state.db, id).await?.ok_or(AppError::NotFound)
}

pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let lead = load(&state, *id).await?;
    let history = lead_events::history(&state.db, lead.id).await?;
    let content = detail(&lead, &history, &staff, None, None);
    Ok(respond(&state, &req, &lead.name, &staff, content))
}

pub async fn edit(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<i64>,
    form: CsrfForm<EditForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.0;
    let lead = load(&state, *id).await?;
    let status = match LeadStatus::parse(&form.status) {
        Some(_) if form.notes.chars().count() > NOTES_MAX => {
            Err("Notes can be at most 5000 characters.")
        }
        Some(status) => Ok(status),
        None => Err("Choose one of the listed statuses."),
    };
    let status = match status {
        Ok(status) => status,
        Err(problem) => {
            return form_again(
                &state,
                &staff,
                lead,
                problem,
                &form.notes,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let edit = LeadEdit {
        status,
        notes: form.notes.clone(),
        expected_version: form.version,
    };
    let saved_to = format!("/admin/leads/{}", lead.id);
    match lead_changes::edit(&state.db, lead.id, &edit, &staff.user.email).await? {
        EditOutcome::Saved => Ok(redirect_with_flash(&state, &req, &saved_to, "Saved.")),
        EditOutcome::Unchanged => Ok(redirect_with_flash(
            &state,
            &req,
            &saved_to,
            "Nothing changed.",
        )),
        EditOutcome::NotFound => Err(AppError::NotFound),
        EditOutcome::Stale => {
            let message = "Someone else saved this lead after you opened it. Their version is shown below; \
                           your notes are kept in the form — review and save again.";
            let current = load(&state, lead.id).await?;
            form_again(
                &state,
                &staff,
                current,
                message,
                &form.notes,
                StatusCode::CONFLICT,
            )
            .await
        }
    }
}

/// The lead page again, with `problem` above the edit form and the notes as the staff member typed them.
async fn form_again(
    state: &AppState,
    staff: &Staff,
    lead: Lead,
    problem: &str,
    notes: &str,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let history = lead_events::history(&state.db, lead.id).await?;
    let page = admin_page(
        &lead.name,
        Some(staff),
        None,
        detail(&lead, &history, staff, Some(problem), Some(notes)),
    );
    Ok(html_response(status, page))
}

pub async fn confirm_delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let lead = load(&state, *id).await?;
    let content = html! {
        h1 { "Delete " (lead.name) "?" }
        p { "This removes the lead and its details. The history keeps a record that you deleted it." }
        form method="post" action={ "/admin/leads/" (lead.id) "/delete" } {
            (csrf_field(&staff))
            button.button.button--danger type="submit" data-testid="confirm-delete" { "Delete this lead" }
            " " a href={ "/admin/leads/" (lead.id) } { "Cancel" }
        }
    };
    Ok(respond(&state, &req, "Delete lead", &staff, content))
}

pub async fn delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<i64>,
    _form: CsrfForm<serde::de::IgnoredAny>,
) -> Result<HttpResponse, AppError> {
    let deleted = lead_changes::delete(&state.db, &[*id], &staff.user.email).await?;
    if deleted == 0 {
        return Err(AppError::NotFound);
    }
    Ok(redirect_with_flash(
        &state,
        &req,
        "/admin/leads",
        "Lead deleted.",
    ))
}

fn detail(
    lead: &Lead,
    history: &[LeadEvent],
    staff: &Staff,
    error: Option<&str>,
    notes: Option<&str>,
) -> Markup {
    let interest = lead.interest.label();
    html! {
        p { a href="/admin/leads" { "← All leads" } }
        h1 data-testid="lead-name" { (lead.name) }
        dl.lead-details {
            dt { "Email" } dd { a href=(mailto_href(&lead.email)) { (lead.email) } }
            dt { "Phone" } dd {
                @if lead.phone.is_empty() { "—" }
                @else if let Some(href) = tel_href(&lead.phone) { a href=(href) { (lead.phone) } }
                @else { (lead.phone) }
            }
            dt { "Interest" } dd { (interest) }
            dt { "Message" } dd.message { @if lead.message.is_empty() { "—" } @else { (lead.message) } }
            dt { "Marketing consent" } dd {
                @if let Some(at) = lead.consent_at { "yes, given " (at.format("%Y-%m-%d %H:%M UTC")) } @else { "no" }
            }
            dt { "Received" } dd { (lead.created_at.format("%Y-%m-%d %H:%M UTC")) }
        }
        section.edit-lead {
            h2 { "Work this lead" }
            @if let Some(error) = error { div.notice.notice--error role="alert" data-testid="edit-error" { (error) } }
            form method="post" action={ "/admin/leads/" (lead.id) "/edit" } data-testid="edit-form" {
                (csrf_field(staff))
                input type="hidden" name="version" value=(lead.version);
                div.field {
                    label for="status" { "Status" }
                    select #status name="status" {
                        @for s in LeadStatus::ALL { option value=(s.as_str()) selected[lead.status == s] { (s.as_str()) } }
                    }
                }
                div.field {
                    label for="notes" { "Notes" }
                    textarea #notes name="notes" rows="5" maxlength=(NOTES_MAX) { (notes.unwrap_or(&lead.notes)) }
                }
                button.button.button--primary type="submit" { "Save" }
                " " a href={ "/admin/leads/" (lead.id) "/delete" } data-testid="delete-link" { "Delete…" }
            }
        }
        section.history {
            h2 { "History" }
            ol data-testid="history" {
                @for event in history {
                    li { time { (event.created_at.format("%Y-%m-%d %H:%M")) } " · " (event.actor) " · " (event.action) ": " (event.detail) }
                }
                li { time { (lead.created_at.format("%Y-%m-%d %H:%M")) } " · received through the website form" }
            }
        }
    }
}

//! One lead: its details, the edit form (status workflow and notes, with stale-edit detection), its history,
//! and deletion behind a confirmation page.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;

use super::guard::{CsrfForm, Staff};
use super::layout::{AdminFrame, csrf_field};
use super::pending_form;
use super::session::redirect_with_flash;
use crate::db::lead_changes::{self, EditOutcome, LeadEdit};
use crate::db::lead_events::{self, LeadEvent};
use crate::db::leads::{self, EarlierLead, Lead};
use crate::domain::{LeadField, LeadStatus};
use crate::error::AppError;
use crate::state::AppState;
use crate::views::contact_links::{mailto_href, tel_href};

const NOTES_MAX: usize = 5000;

#[derive(Deserialize)]
pub struct EditForm {
    #[serde(default)]
    status: String,
    #[serde(default)]
    notes: String,
    version: i32,
}

/// The lead, or the staff frame's 404.
pub(super) async fn load(state: &AppState, id: i64) -> Result<Lead, AppError> {
    leads::find(&state.db, id).await?.ok_or(AppError::NotFound)
}

/// What the edit form shows when it is not simply the stored lead: the staff member's own input (after a
/// problem, a conflict, or a sign-in that interrupted a save) and why it is shown.
#[derive(Default)]
struct Draft {
    problem: Option<String>,
    status: Option<LeadStatus>,
    notes: Option<String>,
    /// The version the form saves against (a conflict moves it on to the other person's save).
    version: Option<i32>,
}

pub async fn show(
    frame: AdminFrame,
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let lead = load(&state, *id).await?;
    let history = lead_events::history(&state.db, lead.id).await?;
    let earlier = leads::earlier_from_same_contact(&state.db, &lead, EARLIER_SHOWN).await?;
    let kept = pending_form::take(&req, &state, &page_path(lead.id));
    let draft = match &kept {
        Some(fields) => Draft {
            problem: Some(
                "Your changes are not saved yet: they were kept while you signed in again. Check them and save."
                    .into(),
            ),
            status: fields.get("status").and_then(|s| LeadStatus::parse(s)),
            notes: fields.get("notes").cloned(),
            version: fields.get("version").and_then(|v| v.parse().ok()),
        },
        None => Draft::default(),
    };
    let response = frame
        .page(&lead.name)
        .render(detail(&lead, &history, &earlier, &staff, &draft));
    Ok(match kept {
        Some(_) => pending_form::forget(response),
        None => response,
    })
}

pub(super) fn page_path(id: i64) -> String {
    format!("/admin/leads/{id}")
}

/// The notes box after someone else saved first: theirs, then the staff member's own, unless one already
/// holds the other. Nothing either of them wrote is dropped; saving again keeps both.
fn merge_notes(theirs: &str, mine: &str) -> String {
    if theirs.is_empty() || mine.contains(theirs) {
        mine.to_owned()
    } else if mine.is_empty() || theirs.contains(mine) {
        theirs.to_owned()
    } else {
        format!("{theirs}\n\n— your notes, not saved yet —\n{mine}")
    }
}

pub async fn edit(
    frame: AdminFrame,
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
            let draft = Draft {
                problem: Some(problem.into()),
                status: LeadStatus::parse(&form.status),
                notes: Some(form.notes.clone()),
                version: Some(form.version),
            };
            return form_again(
                &frame,
                &state,
                &staff,
                lead,
                draft,
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
    let saved_to = page_path(lead.id);
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
            let current = load(&state, lead.id).await?;
            let draft = Draft {
                problem: Some(format!(
                    "Someone else saved this lead after you opened it: their status is \"{}\". Their notes and \
                     yours are both in the box below and your status is kept; check them and save again.",
                    current.status.as_str()
                )),
                status: Some(status),
                notes: Some(merge_notes(&current.notes, &form.notes)),
                version: Some(current.version),
            };
            form_again(&frame, &state, &staff, current, draft, StatusCode::CONFLICT).await
        }
    }
}

/// The lead page again, with the draft's problem above the edit form and its input in it.
async fn form_again(
    frame: &AdminFrame,
    state: &AppState,
    staff: &Staff,
    lead: Lead,
    draft: Draft,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let history = lead_events::history(&state.db, lead.id).await?;
    let earlier = leads::earlier_from_same_contact(&state.db, &lead, EARLIER_SHOWN).await?;
    Ok(frame
        .page(&lead.name)
        .status(status)
        .render(detail(&lead, &history, &earlier, staff, &draft)))
}

pub async fn confirm_delete(
    frame: AdminFrame,
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
    Ok(frame.page("Delete lead").render(content))
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

/// Earlier leads from the same email or phone, at most.
const EARLIER_SHOWN: i64 = 5;

fn detail(
    lead: &Lead,
    history: &[LeadEvent],
    earlier: &[EarlierLead],
    staff: &Staff,
    draft: &Draft,
) -> Markup {
    let status = draft.status.unwrap_or(lead.status);
    let notes = draft.notes.as_deref().unwrap_or(&lead.notes);
    html! {
        p { a href="/admin/leads" { "← All leads" } }
        h1 data-testid="lead-name" { (lead.name) }
        @if !earlier.is_empty() {
            div.notice data-testid="duplicates" {
                "Same email or phone as earlier enquiries: "
                @for (i, other) in earlier.iter().enumerate() {
                    @if i > 0 { ", " }
                    a href={ "/admin/leads/" (other.id) } { (other.name) " (" (other.created_at.format("%Y-%m-%d")) ")" }
                }
            }
        }
        dl.lead-details {
            @for field in LeadField::ALL.into_iter().filter(|f| *f != LeadField::Name) {
                dt { (field.staff_label()) } dd.message[field == LeadField::Message] { (field_value(lead, field)) }
            }
            dt { "Received" } dd { (lead.created_at.format("%Y-%m-%d %H:%M UTC")) }
        }
        p { a href={ "/admin/leads/" (lead.id) "/details" } data-testid="edit-details" { "Edit details or consent…" } }
        section.edit-lead {
            h2 { "Work this lead" }
            @if let Some(problem) = &draft.problem { div.notice.notice--error role="alert" data-testid="edit-error" { (problem) } }
            form method="post" action={ "/admin/leads/" (lead.id) "/edit" } data-testid="edit-form" {
                (csrf_field(staff))
                input type="hidden" name="version" value=(draft.version.unwrap_or(lead.version));
                input type="hidden" name="return_to" value=(page_path(lead.id));
                div.field {
                    label for="status" { "Status" }
                    select #status name="status" {
                        @for s in LeadStatus::ALL { option value=(s.as_str()) selected[status == s] { (s.as_str()) } }
                    }
                }
                div.field {
                    label for="notes" { "Notes" }
                    textarea #notes name="notes" rows="5" maxlength=(NOTES_MAX) { (notes) }
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

/// How each field reads on the lead page: addresses and numbers as links, choices by their label, empty
/// values as a dash.
fn field_value(lead: &Lead, field: LeadField) -> Markup {
    let dash = |value: &str| html! { @if value.is_empty() { "—" } @else { (value) } };
    match field {
        LeadField::Name => html! { (lead.name) },
        LeadField::Email => html! { a href=(mailto_href(&lead.email)) { (lead.email) } },
        LeadField::Phone => match tel_href(&lead.phone) {
            Some(href) if !lead.phone.is_empty() => html! { a href=(href) { (lead.phone) } },
            _ => dash(&lead.phone),
        },
        LeadField::Interest => html! { (lead.interest.label()) },
        LeadField::Message => dash(&lead.message),
        LeadField::Consent => html! {
            @if let Some(at) = lead.consent_at.filter(|_| lead.consent) { "yes, given " (at.format("%Y-%m-%d %H:%M UTC")) }
            @else if let Some(at) = lead.consent_withdrawn_at { "no: withdrawn " (at.format("%Y-%m-%d %H:%M UTC")) }
            @else { "no" }
        },
    }
}

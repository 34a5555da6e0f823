//! One lead: its details, the work form (status, owner, follow-up date, with stale-edit detection), the
//! note form, the timeline, and deletion behind a confirmation page.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDate;
use maud::{Markup, html};
use serde::Deserialize;

use super::guard::{CsrfForm, Staff};
use super::layout::{AdminFrame, csrf_field};
use super::lead_timeline;
use super::pending_form;
use super::session::redirect_with_flash;
use crate::db::lead_changes::{self, EditOutcome, LeadEdit, LeadWork};
use crate::db::lead_events;
use crate::db::lead_notes::{self, NOTE_MAX_CHARS};
use crate::db::leads::{self, EarlierLead, Lead};
use crate::db::staff::{self, StaffUser};
use crate::domain::{LeadField, LeadStatus, TimeZone};
use crate::error::AppError;
use crate::state::AppState;
use crate::views::contact_links::{mailto_href, tel_href};
use crate::views::local_time;

#[derive(Deserialize)]
pub struct WorkForm {
    #[serde(default)]
    status: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    follow_up_on: String,
    version: i32,
}

/// The lead, or the staff frame's 404.
pub(super) async fn load(state: &AppState, id: i64) -> Result<Lead, AppError> {
    leads::find(&state.db, id).await?.ok_or(AppError::NotFound)
}

/// What the forms show when it is not simply the stored lead: the staff member's own input (after a
/// problem, a conflict, or a sign-in that interrupted a save) and why it is shown.
#[derive(Default)]
pub(super) struct Draft {
    pub problem: Option<String>,
    pub status: Option<LeadStatus>,
    pub owner: Option<String>,
    pub follow_up_on: Option<String>,
    /// The version the form saves against (a conflict moves it on to the other person's save).
    pub version: Option<i32>,
    /// A note not added yet, and why.
    pub note: Option<String>,
    pub note_problem: Option<String>,
}

impl Draft {
    /// The lead page again with this draft and why it was refused (422), for the forms on it. `users`:
    /// the staff list when the handler has it already.
    pub(super) async fn refused(
        self,
        frame: &AdminFrame,
        state: &AppState,
        staff: &Staff,
        lead: Lead,
        users: Option<Vec<StaffUser>>,
    ) -> Result<HttpResponse, AppError> {
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        page_with(frame, state, staff, lead, self, status, users).await
    }

    fn kept(fields: &HashMap<String, String>) -> Draft {
        let problem = "Your changes are not saved yet: they were kept while you signed in again. Check them and save.";
        let is_note = fields.contains_key("body");
        Draft {
            problem: (!is_note).then(|| problem.to_owned()),
            status: fields.get("status").and_then(|s| LeadStatus::parse(s)),
            owner: fields.get("owner").cloned(),
            follow_up_on: fields.get("follow_up_on").cloned(),
            version: fields.get("version").and_then(|v| v.parse().ok()),
            note: fields.get("body").cloned(),
            note_problem: is_note.then(|| problem.to_owned()),
        }
    }
}

pub async fn show(
    frame: AdminFrame,
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let lead = load(&state, *id).await?;
    let kept = pending_form::take(&req, &state, &page_path(lead.id));
    let draft = kept.as_ref().map(Draft::kept).unwrap_or_default();
    let response = page_with(&frame, &state, &staff, lead, draft, StatusCode::OK, None).await?;
    Ok(match kept {
        Some(_) => pending_form::forget(response),
        None => response,
    })
}

pub(super) fn page_path(id: i64) -> String {
    format!("/admin/leads/{id}")
}

/// The owner the form names: none, an enabled staff member, or whoever owns the lead already (someone
/// disabled since keeps their leads until reassigned).
fn chosen_owner(
    value: &str,
    staff: &[StaffUser],
    lead: &Lead,
) -> Result<Option<i64>, &'static str> {
    if value.is_empty() {
        return Ok(None);
    }
    let id: i64 = value
        .parse()
        .map_err(|_| "Choose one of the listed staff members.")?;
    let allowed = lead.owner_id == Some(id) || staff.iter().any(|u| u.id == id && !u.disabled);
    allowed
        .then_some(Some(id))
        .ok_or("Choose one of the listed staff members.")
}

fn chosen_day(value: &str) -> Result<Option<NaiveDate>, &'static str> {
    if value.trim().is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
        .map(Some)
        .map_err(|_| "Enter the follow-up date as YYYY-MM-DD (or leave it empty).")
}

pub async fn edit(
    frame: AdminFrame,
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<i64>,
    form: CsrfForm<WorkForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.0;
    let lead = load(&state, *id).await?;
    let users = staff::list_users(&state.db).await?;
    let work = LeadStatus::parse(&form.status)
        .ok_or("Choose one of the listed statuses.")
        .and_then(|status| {
            Ok(LeadWork {
                status,
                owner_id: chosen_owner(&form.owner, &users, &lead)?,
                follow_up_on: chosen_day(&form.follow_up_on)?,
            })
        });
    let mine = |problem: String| Draft {
        problem: Some(problem),
        status: LeadStatus::parse(&form.status),
        owner: Some(form.owner.clone()),
        follow_up_on: Some(form.follow_up_on.clone()),
        version: Some(form.version),
        ..Draft::default()
    };
    let work = match work {
        Ok(work) => work,
        Err(problem) => {
            let draft = mine(problem.into());
            return draft
                .refused(&frame, &state, &staff, lead, Some(users))
                .await;
        }
    };
    let edit = LeadEdit {
        work,
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
            let mut draft = mine(format!(
                "Someone else saved this lead after you opened it: its status is now \"{}\" (see the \
                 timeline for what they changed). Your choices are kept below; check them and save again.",
                current.status.as_str()
            ));
            draft.version = Some(current.version);
            page_with(
                &frame,
                &state,
                &staff,
                current,
                draft,
                StatusCode::CONFLICT,
                Some(users),
            )
            .await
        }
    }
}

/// The lead page, with the draft's input in its forms; `users` is the staff list when the handler has
/// loaded it already.
async fn page_with(
    frame: &AdminFrame,
    state: &AppState,
    staff: &Staff,
    lead: Lead,
    draft: Draft,
    status: StatusCode,
    users: Option<Vec<StaffUser>>,
) -> Result<HttpResponse, AppError> {
    let history = lead_events::history(&state.db, lead.id).await?;
    let notes = lead_notes::of_lead(&state.db, lead.id).await?;
    let earlier = leads::earlier_from_same_contact(&state.db, &lead, EARLIER_SHOWN).await?;
    let users = match users {
        Some(users) => users,
        None => staff::list_users(&state.db).await?,
    };
    let neighbours = leads::neighbours(&state.db, &lead).await?;
    let timeline = lead_timeline::render(&lead, &notes, &history, &users, staff.user.time_zone);
    Ok(frame.page(&lead.name).status(status).render(detail(
        &lead, &earlier, staff, &users, &draft, timeline, neighbours,
    )))
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
    earlier: &[EarlierLead],
    staff: &Staff,
    users: &[StaffUser],
    draft: &Draft,
    timeline: Markup,
    (newer, older): (Option<i64>, Option<i64>),
) -> Markup {
    let status = draft.status.unwrap_or(lead.status);
    let owner = draft
        .owner
        .clone()
        .unwrap_or_else(|| lead.owner_id.map(|id| id.to_string()).unwrap_or_default());
    let follow_up = draft
        .follow_up_on
        .clone()
        .unwrap_or_else(|| lead.follow_up_on.map(|d| d.to_string()).unwrap_or_default());
    let owners = users
        .iter()
        .filter(|u| !u.disabled || lead.owner_id == Some(u.id));
    let tz = staff.user.time_zone;
    html! {
        nav.lead-nav aria-label="Leads" {
            a href="/admin/leads" { "← All leads" }
            // j / k move through the leads when admin.js runs (the list's order: newest first).
            @if let Some(id) = newer { a href={ "/admin/leads/" (id) } rel="prev" data-shortcut="k" { "‹ Newer" } }
            @if let Some(id) = older { a href={ "/admin/leads/" (id) } rel="next" data-shortcut="j" { "Older ›" } }
        }
        h1 data-testid="lead-name" { (lead.name) }
        @if !earlier.is_empty() {
            div.notice data-testid="duplicates" {
                "Same email or phone as earlier enquiries: "
                @for (i, other) in earlier.iter().enumerate() {
                    @if i > 0 { ", " }
                    a href={ "/admin/leads/" (other.id) } { (other.name) " (" (local_time::date(other.created_at, tz)) ")" }
                }
            }
        }
        dl.lead-details {
            @for field in LeadField::ALL.into_iter().filter(|f| *f != LeadField::Name) {
                dt { (field.staff_label()) } dd.message[field == LeadField::Message] { (field_value(lead, field, tz)) }
            }
            dt { "Received" } dd { (local_time::minute(lead.created_at, tz)) }
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
                    label for="owner" { "Owner" }
                    select #owner name="owner" {
                        option value="" selected[owner.is_empty()] { "Nobody yet" }
                        @for user in owners.clone() {
                            option value=(user.id) selected[owner == user.id.to_string()] {
                                (user.display_name) @if user.id == staff.user.id { " (me)" }
                            }
                        }
                    }
                }
                div.field {
                    label for="follow_up_on" { "Follow up on" }
                    input #follow_up_on type="date" name="follow_up_on" value=(follow_up);
                }
                button.button.button--primary type="submit" { "Save" }
                @if staff.user.is_admin() {
                    " " a href={ "/admin/leads/" (lead.id) "/delete" } data-testid="delete-link" { "Delete…" }
                }
            }
        }
        section.add-note {
            h2 { "Add a note" }
            @if let Some(problem) = &draft.note_problem { div.notice.notice--error role="alert" data-testid="note-error" { (problem) } }
            form method="post" action={ "/admin/leads/" (lead.id) "/notes" } data-testid="note-form" {
                (csrf_field(staff))
                input type="hidden" name="return_to" value=(page_path(lead.id));
                div.field {
                    label for="body" { "Note" }
                    textarea #body name="body" rows="3" maxlength=(NOTE_MAX_CHARS) { (draft.note.as_deref().unwrap_or("")) }
                }
                button.button type="submit" { "Add note" }
            }
        }
        section.history {
            h2 { "Timeline" }
            (timeline)
        }
    }
}

/// How each field reads on the lead page: addresses and numbers as links, choices by their label, empty
/// values as a dash.
fn field_value(lead: &Lead, field: LeadField, tz: TimeZone) -> Markup {
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
            @if let Some(at) = lead.consent_at.filter(|_| lead.consent) { "yes, given " (local_time::minute(at, tz)) }
            @else if let Some(at) = lead.consent_withdrawn_at { "no: withdrawn " (local_time::minute(at, tz)) }
            @else { "no" }
        },
    }
}

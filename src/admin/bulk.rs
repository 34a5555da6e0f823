//! `POST /admin/leads/bulk`: set the status or the owner of, or delete, the ticked leads or every lead
//! matching the list's filters (`scope=matching`). Deleting is for admins and asks for confirmation first
//! (a page that re-posts with `confirm=yes`), so it works without JavaScript.

use actix_web::{HttpRequest, HttpResponse, web};
use maud::html;
use serde::Deserialize;

use super::guard::{CsrfForm, Staff};
use super::layout::{AdminFrame, csrf_field};
use super::leads_list::MAX_MATCHING;
use super::list_params::ListQuery;
use super::paths::is_plain_local_path;
use super::session::redirect_with_flash;
use crate::db::lead_changes::{self, BulkChange};
use crate::db::lead_queries;
use crate::db::staff::{self, StaffUser};
use crate::domain::LeadStatus;
use crate::error::AppError;
use crate::state::AppState;

/// Bounds one request's work; the list shows 50 per page anyway.
const MAX_SELECTED: usize = 500;

#[derive(Deserialize)]
pub struct BulkForm {
    #[serde(default)]
    ids: Vec<i64>,
    #[serde(default)]
    action: String,
    #[serde(default)]
    confirm: String,
    /// `matching`: every lead the list's filters match (given in `matching`), not just the ticked ones.
    #[serde(default)]
    scope: String,
    /// The list's filters as a query string.
    #[serde(default)]
    matching: String,
    /// The filtered list the action was chosen on, to go back to.
    #[serde(default)]
    return_to: String,
}

/// The list to go back to: the one the form came from when it is the leads list, else the plain list.
fn list_page(return_to: &str) -> &str {
    let plain = return_to == "/admin/leads" || return_to.starts_with("/admin/leads?");
    if plain && is_plain_local_path(return_to) {
        return_to
    } else {
        "/admin/leads"
    }
}

pub async fn apply(
    frame: AdminFrame,
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    form: CsrfForm<BulkForm>,
) -> Result<HttpResponse, AppError> {
    let mut form = form.0;
    let back = list_page(&form.return_to).to_owned();
    let back = back.as_str();
    let every_match = form.scope == "matching";
    if every_match {
        let query: ListQuery = serde_urlencoded::from_str(&form.matching)
            .map_err(|_| AppError::BadRequest("the list's filters could not be read".into()))?;
        let filter = query.parse(staff.user.id, staff.today()).filter;
        form.ids = match lead_queries::matching_ids(
            &state.db,
            &lead_queries::plan(&state.db, filter).await?,
            MAX_MATCHING,
        )
        .await?
        {
            Some(ids) => ids,
            None => {
                let message = format!(
                    "More than {MAX_MATCHING} leads match: narrow the filters to change them in one go."
                );
                return Ok(redirect_with_flash(&state, &req, back, &message));
            }
        };
    }
    if form.ids.is_empty() {
        return Ok(redirect_with_flash(
            &state,
            &req,
            back,
            "Select at least one lead first.",
        ));
    }
    if form.action.is_empty() {
        return Ok(redirect_with_flash(
            &state,
            &req,
            back,
            "Choose what to do with the selected leads.",
        ));
    }
    if !every_match && form.ids.len() > MAX_SELECTED {
        return Err(AppError::BadRequest(format!(
            "select at most {MAX_SELECTED} leads at once"
        )));
    }
    let actor = &staff.user.email;
    let users = match form.action.starts_with("owner:") {
        true => staff::list_users(&state.db).await?,
        false => Vec::new(),
    };
    let change = match change(&form.action, &users) {
        Ok(change) => change,
        Err(problem) => return Ok(redirect_with_flash(&state, &req, back, problem)),
    };
    if let Some(change) = change {
        let changed = lead_changes::bulk(&state.db, &form.ids, change, actor).await?;
        let message = match change {
            BulkChange::Status(status) => format!("{changed} lead(s) set to {}.", status.as_str()),
            BulkChange::Owner(_) => format!("{changed} lead(s) reassigned."),
        };
        return Ok(redirect_with_flash(&state, &req, back, &message));
    }
    if form.action != "delete" {
        return Err(AppError::BadRequest("unknown bulk action".into()));
    }
    staff.require_admin()?;
    if form.confirm != "yes" {
        let content = html! {
            h1 { "Delete " (form.ids.len()) " lead(s)?" }
            p { "This cannot be undone. Each lead's history keeps a record that you deleted it." }
            form method="post" action="/admin/leads/bulk" {
                (csrf_field(&staff))
                @if every_match {
                    input type="hidden" name="scope" value="matching";
                    input type="hidden" name="matching" value=(form.matching);
                } @else {
                    @for id in &form.ids { input type="hidden" name="ids" value=(id); }
                }
                input type="hidden" name="action" value="delete";
                input type="hidden" name="confirm" value="yes";
                input type="hidden" name="return_to" value=(back);
                button.button.button--danger type="submit" data-testid="confirm-bulk-delete" { "Delete them" }
                " " a href=(back) { "Cancel" }
            }
        };
        return Ok(frame.page("Confirm deletion").render(content));
    }
    let deleted = lead_changes::delete(&state.db, &form.ids, actor).await?;
    Ok(redirect_with_flash(
        &state,
        &req,
        back,
        &format!("{deleted} lead(s) deleted."),
    ))
}

/// A status or owner change named by the form's `action`; `Ok(None)` for anything else (delete), `Err`
/// with a message for the list when the status or owner is not one on offer (an owner must be an enabled
/// staff account: the page may predate someone being disabled).
fn change(action: &str, users: &[StaffUser]) -> Result<Option<BulkChange>, &'static str> {
    const UNKNOWN_OWNER: &str =
        "That staff member cannot be assigned leads: choose one from the list.";
    if let Some(status) = action.strip_prefix("status:") {
        return LeadStatus::parse(status)
            .map(|s| Some(BulkChange::Status(s)))
            .ok_or("Choose one of the listed statuses.");
    }
    let Some(owner) = action.strip_prefix("owner:") else {
        return Ok(None);
    };
    if owner == "none" {
        return Ok(Some(BulkChange::Owner(None)));
    }
    let id: i64 = owner.parse().map_err(|_| UNKNOWN_OWNER)?;
    if users.iter().any(|user| user.id == id && !user.disabled) {
        Ok(Some(BulkChange::Owner(Some(id))))
    } else {
        Err(UNKNOWN_OWNER)
    }
}

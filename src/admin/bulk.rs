//! `POST /admin/leads/bulk`: set the status of, or delete, the selected leads. Deleting is for admins
//! and asks for confirmation first (a page that re-posts with `confirm=yes`), so it works without
//! JavaScript.

use actix_web::{HttpRequest, HttpResponse, web};
use maud::html;
use serde::Deserialize;

use super::guard::{CsrfForm, Staff};
use super::layout::{AdminFrame, csrf_field};
use super::paths::is_plain_local_path;
use super::session::redirect_with_flash;
use crate::db::lead_changes;
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
    let form = form.0;
    let back = list_page(&form.return_to);
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
    if form.ids.len() > MAX_SELECTED {
        return Err(AppError::BadRequest(format!(
            "select at most {MAX_SELECTED} leads at once"
        )));
    }
    let actor = &staff.user.email;
    if let Some(status) = form
        .action
        .strip_prefix("status:")
        .and_then(LeadStatus::parse)
    {
        let changed = lead_changes::bulk_status(&state.db, &form.ids, status, actor).await?;
        let message = format!("{changed} lead(s) set to {}.", status.as_str());
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
                @for id in &form.ids { input type="hidden" name="ids" value=(id); }
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

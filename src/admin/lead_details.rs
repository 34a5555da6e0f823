//! `GET/POST /admin/leads/{id}/details`: correct what the person told us (every field of the form) and
//! record a withdrawal of marketing consent. Same rules as adding a lead; saved against the version the
//! editor loaded; the history names the changed fields (see `db::lead_detail_changes::edit`).

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, html};

use super::guard::{CsrfForm, Staff};
use super::layout::{AdminFrame, csrf_field};
use super::lead_page::{load, page_path};
use super::session::redirect_with_flash;
use crate::db::lead_changes::EditOutcome;
use crate::db::lead_detail_changes;
use crate::db::leads::Lead;
use crate::domain::{FieldErrors, LeadField, LeadFormValues};
use crate::error::AppError;
use crate::state::AppState;
use crate::views::lead_form::LeadFormView;
use crate::views::local_time;

const TITLE: &str = "Edit details";

pub async fn show(
    frame: AdminFrame,
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let lead = load(&state, *id).await?;
    let values = current_values(&lead);
    Ok(frame.page(TITLE).render(form(
        &lead,
        &values,
        &FieldErrors::default(),
        lead.version,
        &staff,
        None,
    )))
}

pub async fn save(
    frame: AdminFrame,
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<i64>,
    fields: CsrfForm<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let mut fields = fields.0;
    let version: i32 = fields
        .remove("version")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| AppError::BadRequest("the form has no version: reload the page".into()))?;
    let lead = load(&state, *id).await?;
    let values = LeadFormValues::from_fields(fields);
    let details = match values.validate_for_staff() {
        Ok(details) => details,
        Err(errors) => {
            return Ok(frame
                .page(TITLE)
                .status(StatusCode::UNPROCESSABLE_ENTITY)
                .render(form(&lead, &values, &errors, version, &staff, None)));
        }
    };
    let back = page_path(lead.id);
    match lead_detail_changes::edit(&state.db, lead.id, &details, version, &staff.user.email)
        .await?
    {
        EditOutcome::Saved => Ok(redirect_with_flash(&state, &req, &back, "Details saved.")),
        EditOutcome::Unchanged => Ok(redirect_with_flash(&state, &req, &back, "Nothing changed.")),
        EditOutcome::NotFound => Err(AppError::NotFound),
        EditOutcome::Stale => {
            let current = load(&state, lead.id).await?;
            let problem = "Someone else changed this lead after you opened it. Your input is kept below; \
                           open the lead in another tab to see their version, then save again.";
            Ok(frame.page(TITLE).status(StatusCode::CONFLICT).render(form(
                &current,
                &values,
                &FieldErrors::default(),
                current.version,
                &staff,
                Some(problem),
            )))
        }
    }
}

/// The lead's stored values, as the form holds them.
fn current_values(lead: &Lead) -> LeadFormValues {
    let mut values = LeadFormValues::default();
    for field in LeadField::ALL {
        values.set(field, lead.text(field));
    }
    if !lead.consent {
        values.set(LeadField::Consent, "");
    }
    values
}

fn form(
    lead: &Lead,
    values: &LeadFormValues,
    errors: &FieldErrors,
    version: i32,
    staff: &Staff,
    problem: Option<&str>,
) -> Markup {
    let hidden = html! {
        (csrf_field(staff))
        input type="hidden" name="version" value=(version);
        input type="hidden" name="return_to" value={ "/admin/leads/" (lead.id) "/details" };
    };
    html! {
        p { a href={ "/admin/leads/" (lead.id) } { "← Back to the lead" } }
        h1 { (TITLE) ": " (lead.name) }
        p data-testid="received" {
            "Received " (local_time::minute(lead.created_at, staff.user.time_zone))
            @if let Some(at) = lead.consent_withdrawn_at {
                "; consent withdrawn " (local_time::minute(at, staff.user.time_zone))
            }
            "."
        }
        p { "Correct what they told us. Untick consent to record that they withdrew it; the time is kept." }
        @if let Some(problem) = problem {
            div.notice.notice--error role="alert" data-testid="edit-error" { (problem) }
        }
        (LeadFormView { values, errors }.render_for_staff(
            &format!("/admin/leads/{}/details", lead.id),
            hidden,
            "Save details",
        ))
    }
}

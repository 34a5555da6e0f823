//! `GET/POST /admin/leads/new`: staff add a lead (a phone call, a walk-in) with the same rules as the public
//! form; the history records who added it.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, html};

use super::guard::{CsrfForm, Staff};
use super::layout::{AdminFrame, csrf_field};
use super::session::redirect_with_flash;
use crate::db::leads::{self, AddedBy};
use crate::db::outbox::Notify;
use crate::domain::{FieldErrors, LeadFormValues};
use crate::error::AppError;
use crate::state::AppState;
use crate::views::lead_form::{LeadFormView, new_form_token};

const TITLE: &str = "Add a lead";

pub async fn show(frame: AdminFrame, staff: Staff) -> HttpResponse {
    let values = LeadFormValues::fresh(new_form_token());
    frame
        .page(TITLE)
        .render(form(&values, &FieldErrors::default(), &staff))
}

pub async fn create(
    frame: AdminFrame,
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    fields: CsrfForm<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let values = LeadFormValues::from_fields(fields.0);
    let lead = match values.validate_for_staff() {
        Ok(lead) => lead,
        Err(errors) => {
            return Ok(frame
                .page(TITLE)
                .status(StatusCode::UNPROCESSABLE_ENTITY)
                .render(form(&values, &errors, &staff)));
        }
    };
    let notify = Notify::from_settings(&state.settings.notifications);
    let added_by = AddedBy::Staff(&staff.user.email);
    let stored = leads::insert(&state.db, &lead, added_by, notify).await?;
    Ok(redirect_with_flash(
        &state,
        &req,
        &format!("/admin/leads/{}", stored.id()),
        "Lead added.",
    ))
}

fn form(values: &LeadFormValues, errors: &FieldErrors, staff: &Staff) -> Markup {
    let inner = LeadFormView { values, errors }.render_for_staff(
        "/admin/leads/new",
        csrf_field(staff),
        "Add lead",
    );
    html! {
        h1 { (TITLE) }
        p { "For enquiries that came by phone, email or in person. An email address or a phone number is enough. Tick consent only if they agreed to marketing emails." }
        (inner)
    }
}

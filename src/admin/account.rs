//! `/admin/account/password`: a signed-in staff member changes their own password. The current password
//! is asked again (a borrowed, unlocked screen is not enough), the new one must pass the strength check,
//! and every session of the account ends, this one included.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;

use super::guard::{CsrfForm, Staff};
use super::layout::{AdminFrame, csrf_field};
use super::passwords::{self, MIN_LENGTH};
use super::session::redirect_with_flash;
use crate::db::staff;
use crate::error::AppError;
use crate::state::AppState;

const TITLE: &str = "Change your password";

#[derive(Deserialize)]
pub struct PasswordChange {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    confirm: String,
}

pub async fn show(frame: AdminFrame, staff: Staff) -> HttpResponse {
    frame.page(TITLE).render(form(&staff, None))
}

pub async fn change(
    frame: AdminFrame,
    req: HttpRequest,
    state: web::Data<AppState>,
    staff_member: Staff,
    form_data: CsrfForm<PasswordChange>,
) -> Result<HttpResponse, AppError> {
    let change = form_data.0;
    let user = &staff_member.user;
    let current_ok = state
        .password_checks
        .verify(change.current, Some(user.password_hash.clone()))
        .await?;
    let problem = if !current_ok {
        tracing::warn!(
            event = "security",
            outcome = "password change refused",
            reason = "wrong current password",
            staff_user_id = user.id,
            "staff password change"
        );
        Some("Your current password is not right.".to_owned())
    } else if change.new != change.confirm {
        Some("The two new passwords differ: type the same one twice.".to_owned())
    } else {
        passwords::check_policy(&change.new).err()
    };
    if let Some(problem) = problem {
        return Ok(frame
            .page(TITLE)
            .status(StatusCode::UNPROCESSABLE_ENTITY)
            .render(form(&staff_member, Some(&problem))));
    }
    let hash = state.password_checks.hash(change.new).await?;
    staff::set_password(&state.db, &user.email, &hash).await?;
    tracing::info!(
        event = "security",
        outcome = "password changed",
        staff_user_id = user.id,
        "staff password change"
    );
    Ok(redirect_with_flash(
        &state,
        &req,
        "/admin/login",
        "Your password is changed and you are signed out everywhere. Sign in with the new one.",
    ))
}

fn form(staff: &Staff, error: Option<&str>) -> Markup {
    html! {
        section.login-card {
            h1 { (TITLE) }
            @if let Some(error) = error {
                div.notice.notice--error role="alert" data-testid="password-error" { (error) }
            }
            form method="post" action="/admin/account/password" data-testid="password-form" {
                (csrf_field(staff))
                div.field {
                    label for="current" { "Current password" }
                    input #current type="password" name="current" required autocomplete="current-password";
                }
                div.field {
                    label for="new" { "New password (at least " (MIN_LENGTH) " characters; a few unrelated words work well)" }
                    input #new type="password" name="new" required minlength=(MIN_LENGTH) autocomplete="new-password";
                }
                div.field {
                    label for="confirm" { "New password again" }
                    input #confirm type="password" name="confirm" required minlength=(MIN_LENGTH) autocomplete="new-password";
                }
                button.button.button--primary type="submit" { "Change password" }
            }
        }
    }
}

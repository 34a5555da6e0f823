//! `/admin/staff/{id}` (admins only): one account, with forms to change its role, set a new password and
//! disable or enable it. Each change is one transaction (`db::staff::change_keeping_an_admin`): a new
//! password or disabling ends the member's sessions in the same transaction, and no change may leave the
//! site without an enabled admin.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;

use super::guard::{CsrfForm, Staff};
use super::layout::{AdminFrame, csrf_field};
use super::passwords;
use super::session::redirect_with_flash;
use super::staff_list::role_select;
use crate::db::staff::{self as accounts, AccountChange, ChangeOutcome, StaffUser};
use crate::domain::StaffRole;
use crate::error::AppError;
use crate::state::AppState;
use crate::views::local_time;

const LAST_ADMIN: &str = "You are the last enabled admin: make someone else an admin first, so that \
                          somebody can still manage staff.";

#[derive(Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    password: String,
}

async fn load(state: &AppState, id: i64) -> Result<StaffUser, AppError> {
    accounts::find_user(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)
}

pub async fn show(
    frame: AdminFrame,
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let member = load(&state, *id).await?;
    Ok(frame
        .page(&member.display_name)
        .render(page(&member, &staff, None)))
}

pub async fn role(
    frame: AdminFrame,
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<i64>,
    form: CsrfForm<RoleForm>,
) -> Result<HttpResponse, AppError> {
    let role = StaffRole::parse(&form.0.role)
        .ok_or_else(|| AppError::BadRequest("that role does not exist".into()))?;
    let done = format!("Role changed to {}.", role.label());
    let change = Change {
        what: "role changed",
        change: AccountChange::Role(role),
        done: &done,
    };
    apply(&frame, &req, &state, &staff, *id, change).await
}

pub async fn password(
    frame: AdminFrame,
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<i64>,
    form: CsrfForm<PasswordForm>,
) -> Result<HttpResponse, AppError> {
    let password = form.0.password;
    if let Err(problem) = passwords::check_policy(&password) {
        let member = load(&state, *id).await?;
        return Ok(frame
            .page(&member.display_name)
            .status(StatusCode::UNPROCESSABLE_ENTITY)
            .render(page(&member, &staff, Some(&problem))));
    }
    let hash = state.password_checks.hash(password).await?;
    let change = Change {
        what: "password reset",
        change: AccountChange::Password(&hash),
        done: "New password set, and they were signed out everywhere. Tell them the new one in person.",
    };
    apply(&frame, &req, &state, &staff, *id, change).await
}

#[derive(Deserialize)]
pub struct AccessForm {
    /// `yes` disables the account, `no` enables it again.
    #[serde(default)]
    disabled: String,
}

pub async fn access(
    frame: AdminFrame,
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<i64>,
    form: CsrfForm<AccessForm>,
) -> Result<HttpResponse, AppError> {
    let change = match form.0.disabled.as_str() {
        "yes" => Change {
            what: "disabled",
            change: AccountChange::Disabled(true),
            done: "Disabled, and signed out everywhere. Their history stays.",
        },
        "no" => Change {
            what: "enabled",
            change: AccountChange::Disabled(false),
            done: "Enabled: they can sign in again.",
        },
        _ => {
            return Err(AppError::BadRequest(
                "say whether to disable the account".into(),
            ));
        }
    };
    apply(&frame, &req, &state, &staff, *id, change).await
}

/// One change, what the log calls it (never the password hash), and what the admin is told.
struct Change<'a> {
    what: &'static str,
    change: AccountChange<'a>,
    done: &'a str,
}

async fn apply(
    frame: &AdminFrame,
    req: &HttpRequest,
    state: &AppState,
    staff: &Staff,
    id: i64,
    change: Change<'_>,
) -> Result<HttpResponse, AppError> {
    match accounts::change_keeping_an_admin(&state.db, id, change.change).await? {
        ChangeOutcome::NoSuchAccount => Err(AppError::NotFound),
        ChangeOutcome::LastAdmin => {
            let member = load(state, id).await?;
            Ok(frame
                .page(&member.display_name)
                .status(StatusCode::CONFLICT)
                .render(page(&member, staff, Some(LAST_ADMIN))))
        }
        ChangeOutcome::Changed => {
            tracing::info!(
                event = "security",
                outcome = change.what,
                staff_user_id = id,
                by_staff_user_id = staff.user.id,
                "staff account change"
            );
            let own = id == staff.user.id;
            let (location, message) = match change.change {
                AccountChange::Password(_) | AccountChange::Disabled(true) if own => (
                    "/admin/login".to_owned(),
                    "That was your own account, so you are signed out. Sign in again if you still can.",
                ),
                AccountChange::Role(StaffRole::Staff) if own => (
                    "/admin".to_owned(),
                    "You have the staff role now; another admin manages staff.",
                ),
                _ => (format!("/admin/staff/{id}"), change.done),
            };
            Ok(redirect_with_flash(state, req, &location, message))
        }
    }
}

fn page(member: &StaffUser, staff: &Staff, problem: Option<&str>) -> Markup {
    let base = format!("/admin/staff/{}", member.id);
    html! {
        p { a href="/admin/staff" { "← All staff" } }
        h1 { (member.display_name) }
        @if let Some(problem) = problem {
            div.notice.notice--error role="alert" data-testid="staff-error" { (problem) }
        }
        dl.lead-details {
            dt { "Email" } dd.wrap-anywhere { (member.email) }
            dt { "Role" } dd { (member.role.label()) }
            dt { "State" } dd { @if member.disabled { "Disabled" } @else { "Active" } }
            dt { "Time zone" } dd { (member.time_zone.name()) }
            dt { "Added" } dd { (local_time::minute(member.created_at, staff.user.time_zone)) }
        }
        section {
            h2 { "Role" }
            form method="post" action={ (base) "/role" } data-testid="role-form" {
                (csrf_field(staff))
                (role_select(member.role))
                button.button type="submit" { "Change role" }
            }
        }
        section {
            h2 { "Set a new password" }
            p { "They are signed out everywhere at once and sign in with the new password." }
            form method="post" action={ (base) "/password" } data-testid="reset-password-form" {
                (csrf_field(staff))
                (passwords::new_password_field("password", "New password"))
                button.button type="submit" { "Set password" }
            }
        }
        section {
            @if member.disabled {
                h2 { "Enable" }
            } @else {
                h2 { "Disable" }
                p { "They are signed out everywhere at once and cannot sign in until enabled again. Their history stays." }
            }
            form method="post" action={ (base) "/access" } {
                (csrf_field(staff))
                @if member.disabled {
                    input type="hidden" name="disabled" value="no";
                    button.button type="submit" data-testid="enable" { "Enable this account" }
                } @else {
                    input type="hidden" name="disabled" value="yes";
                    button.button.button--danger type="submit" data-testid="disable" { "Disable this account" }
                }
            }
        }
    }
}

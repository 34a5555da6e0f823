//! `/admin/staff` (admins only): every account with its role and state, and the form that adds one. The
//! new member's first password passes the same strength rule as the password page; the admin tells it to
//! them, and they change it on their account page.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;

use super::guard::{CsrfForm, Staff};
use super::layout::{AdminFrame, csrf_field};
use super::passwords;
use super::session::redirect_with_flash;
use crate::db::staff::{self as accounts, StaffUser};
use crate::domain::StaffRole;
use crate::domain::staff::{NAME_MAX, display_name, staff_email};
use crate::error::AppError;
use crate::state::AppState;
use crate::views::local_time;

const TITLE: &str = "Staff";

#[derive(Deserialize, Default)]
pub struct NewMember {
    #[serde(default)]
    email: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
}

pub async fn show(
    frame: AdminFrame,
    state: web::Data<AppState>,
    staff: Staff,
) -> Result<HttpResponse, AppError> {
    let users = accounts::list_users(&state.db).await?;
    Ok(frame
        .page(TITLE)
        .render(page(&users, &staff, &NewMember::default(), None)))
}

pub async fn add(
    frame: AdminFrame,
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    form: CsrfForm<NewMember>,
) -> Result<HttpResponse, AppError> {
    let mut form = form.0;
    let (email, name) = (staff_email(&form.email), display_name(&form.display_name));
    let role = StaffRole::parse(&form.role);
    let problem = if email.is_none() {
        Some("Enter their email address: it is what they sign in with.".to_owned())
    } else if name.is_none() {
        Some(format!(
            "Enter their name as colleagues know it (at most {NAME_MAX} characters)."
        ))
    } else if role.is_none() {
        Some("Choose their role.".to_owned())
    } else {
        passwords::check_policy(&form.password).err()
    };
    let password = std::mem::take(&mut form.password);
    let (Some(email), Some(name), Some(role), None) = (email, name, role, &problem) else {
        return again(
            &frame,
            &state,
            &staff,
            &form,
            StatusCode::UNPROCESSABLE_ENTITY,
            problem,
        )
        .await;
    };
    let hash = state.password_checks.hash(password).await?;
    if !accounts::create_user(&state.db, &email, &name, &hash, role).await? {
        let problem = format!("An account for {email} exists already.");
        return again(
            &frame,
            &state,
            &staff,
            &form,
            StatusCode::CONFLICT,
            Some(problem),
        )
        .await;
    }
    tracing::info!(
        event = "security",
        outcome = "staff account added",
        role = role.as_str(),
        by_staff_user_id = staff.user.id,
        "staff account change"
    );
    let message = format!(
        "{name} can now sign in as {email} ({}). Tell them the password in person; they can change it on their account page.",
        role.label()
    );
    Ok(redirect_with_flash(&state, &req, "/admin/staff", &message))
}

/// The list and the form again, with what was typed (never the password) and what is wrong with it.
async fn again(
    frame: &AdminFrame,
    state: &AppState,
    staff: &Staff,
    form: &NewMember,
    status: StatusCode,
    problem: Option<String>,
) -> Result<HttpResponse, AppError> {
    let users = accounts::list_users(&state.db).await?;
    Ok(frame
        .page(TITLE)
        .status(status)
        .render(page(&users, staff, form, problem.as_deref())))
}

fn page(users: &[StaffUser], staff: &Staff, form: &NewMember, problem: Option<&str>) -> Markup {
    let zone = staff.user.time_zone;
    html! {
        h1 { (TITLE) }
        div.table-scroll {
            table.data-table data-testid="staff-table" {
                thead { tr {
                    th scope="col" { "Name" } th scope="col" { "Email" } th scope="col" { "Role" }
                    th scope="col" { "State" } th scope="col" { "Added" }
                } }
                tbody {
                    @for user in users {
                        tr {
                            td { a href={ "/admin/staff/" (user.id) } { (user.display_name) } }
                            td.wrap-anywhere { (user.email) }
                            td { (user.role.label()) }
                            td { @if user.disabled { "Disabled" } @else { "Active" } }
                            td { (local_time::minute(user.created_at, zone)) }
                        }
                    }
                }
            }
        }
        section.login-card {
            h2 { "Add a staff member" }
            @if let Some(problem) = problem {
                div.notice.notice--error role="alert" data-testid="staff-error" { (problem) }
            }
            form method="post" action="/admin/staff" data-testid="add-staff-form" {
                (csrf_field(staff))
                div.field {
                    label for="email" { "Email (they sign in with it)" }
                    input #email type="email" name="email" value=(form.email) required;
                }
                div.field {
                    label for="display_name" { "Name" }
                    input #display_name type="text" name="display_name" value=(form.display_name) required maxlength=(NAME_MAX) autocomplete="off";
                }
                (role_select(StaffRole::parse(&form.role).unwrap_or(StaffRole::Staff)))
                (passwords::new_password_field("password", "First password"))
                button.button.button--primary type="submit" { "Add staff member" }
            }
        }
    }
}

/// The role `<select>`, with what each role may do.
pub fn role_select(selected: StaffRole) -> Markup {
    html! {
        div.field {
            label for="role" { "Role (admins also manage staff, delete and export leads)" }
            select #role name="role" {
                @for role in StaffRole::ALL {
                    option value=(role.as_str()) selected[role == selected] { (role.label()) }
                }
            }
        }
    }
}

//! `/admin/account`: a signed-in staff member's own account (any role): their display name and the time
//! zone pages show times in. `/admin/account/password`: they change their own password. The current
//! password is asked again (a borrowed, unlocked screen is not enough), the new one must pass the
//! strength check, and every session of the account ends, this one included.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;

use super::guard::{CsrfForm, Staff};
use super::layout::{AdminFrame, csrf_field};
use super::passwords;
use super::session::redirect_with_flash;
use crate::db::staff;
use crate::domain::staff::{NAME_MAX, display_name};
use crate::domain::{NotifyChoice, TimeZone};
use crate::error::AppError;
use crate::state::AppState;
use crate::views::local_time;

const TITLE: &str = "Change your password";
const ACCOUNT_TITLE: &str = "Your account";

#[derive(Deserialize)]
pub struct NotifyForm {
    #[serde(default)]
    notify: String,
}

/// Whether (and how often) one hears about new leads by email.
pub async fn save_notifications(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    form: CsrfForm<NotifyForm>,
) -> Result<HttpResponse, AppError> {
    let Some(choice) = NotifyChoice::parse(&form.0.notify) else {
        return Err(AppError::BadRequest(
            "Choose one of the email options".into(),
        ));
    };
    staff::set_notify(&state.db, staff.user.id, choice).await?;
    let message = match choice {
        NotifyChoice::Off => "Saved: no lead emails.".to_owned(),
        NotifyChoice::Each => format!("Saved: an email to {} for each new lead.", staff.user.email),
        NotifyChoice::Digest => format!(
            "Saved: one digest a day to {}, at {}:00 your time.",
            staff.user.email, state.settings.notifications.digest_hour
        ),
    };
    Ok(redirect_with_flash(
        &state,
        &req,
        "/admin/account",
        &message,
    ))
}

fn notifications_section(staff: &Staff) -> Markup {
    html! {
        section.login-card {
            h2 { "New-lead emails" }
            form method="post" action="/admin/account/notifications" data-testid="notify-form" {
                (csrf_field(staff))
                fieldset.field {
                    legend { "Email me at " (staff.user.email) }
                    @for choice in NotifyChoice::ALL {
                        label {
                            input type="radio" name="notify" value=(choice.as_str()) checked[choice == staff.user.notify];
                            " " (choice.label())
                        }
                        br;
                    }
                }
                button.button.button--primary type="submit" { "Save" }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct ProfileForm {
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    time_zone: String,
}

pub async fn profile(frame: AdminFrame, staff: Staff) -> HttpResponse {
    let user = &staff.user;
    let form = ProfileForm {
        display_name: user.display_name.clone(),
        time_zone: user.time_zone.name().to_owned(),
    };
    frame
        .page(ACCOUNT_TITLE)
        .render(profile_page(&staff, &form, None))
}

pub async fn save_profile(
    frame: AdminFrame,
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    form: CsrfForm<ProfileForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.0;
    let (name, zone) = (
        display_name(&form.display_name),
        TimeZone::parse(&form.time_zone),
    );
    let (Some(name), Some(zone)) = (name, zone) else {
        let problem = if zone.is_none() {
            "Choose a time zone from the list.".to_owned()
        } else {
            format!("Enter your name as colleagues know it (at most {NAME_MAX} characters).")
        };
        return Ok(frame
            .page(ACCOUNT_TITLE)
            .status(StatusCode::UNPROCESSABLE_ENTITY)
            .render(profile_page(&staff, &form, Some(&problem))));
    };
    staff::set_profile(&state.db, staff.user.id, &name, zone).await?;
    let message = format!("Saved. Times are shown in {} now.", zone.name());
    Ok(redirect_with_flash(
        &state,
        &req,
        "/admin/account",
        &message,
    ))
}

fn profile_page(staff: &Staff, form: &ProfileForm, problem: Option<&str>) -> Markup {
    let user = &staff.user;
    let now = staff::now();
    html! {
        h1 { (ACCOUNT_TITLE) }
        dl.lead-details {
            dt { "Email (you sign in with it)" } dd.wrap-anywhere { (user.email) }
            dt { "Role" } dd { (user.role.label()) }
            dt { "Account added" } dd { (local_time::minute(user.created_at, user.time_zone)) }
            dt { "Your time now" } dd { (local_time::minute(now, user.time_zone)) }
        }
        section.login-card {
            h2 { "Name and time zone" }
            @if let Some(problem) = problem {
                div.notice.notice--error role="alert" data-testid="account-error" { (problem) }
            }
            form method="post" action="/admin/account" data-testid="account-form" {
                (csrf_field(staff))
                div.field {
                    label for="display_name" { "Your name (shown to colleagues and in lead histories)" }
                    input #display_name type="text" name="display_name" value=(form.display_name) required maxlength=(NAME_MAX) autocomplete="name";
                }
                div.field {
                    label for="time_zone" { "Time zone (pages show times in it)" }
                    select #time_zone name="time_zone" {
                        @for zone in TimeZone::ALL {
                            option value=(zone.name()) selected[zone.name() == form.time_zone] {
                                (zone.name()) " (" (zone.abbreviation(now)) ")"
                            }
                        }
                    }
                }
                button.button.button--primary type="submit" { "Save" }
            }
        }
        (notifications_section(staff))
        h2 { "Password" }
        p { a href="/admin/account/password" data-testid="change-password" { "Change your password" } }
    }
}

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
        p { a href="/admin/account" { "← Your account" } }
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
                (passwords::new_password_field("new", "New password"))
                (passwords::new_password_field("confirm", "New password again"))
                button.button.button--primary type="submit" { "Change password" }
            }
        }
    }
}

//! Signing in and out. Failed attempts are stored in the database, so the throttle ([`throttled`]) holds
//! across every task; past it, 429 with a retry time. Every failure and refusal is a security log event.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;

use super::guard::{CsrfForm, Staff};
use super::layout::AdminFrame;
use super::paths::is_plain_local_path;
use super::session::redirect_with_flash;
use super::session::{
    DEVICE_COOKIE, SESSION_COOKIE, private_cookie, random_token, read_private, removal_cookie,
    token_hash,
};
use crate::db::login_attempts::{self, LoginAttempt};
use crate::db::{staff, staff_sessions};
use crate::error::AppError;
use crate::forwarded::client_ip;
use crate::metrics::{self, Event};
use crate::state::AppState;

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

pub async fn show(frame: AdminFrame, query: web::Query<NextQuery>) -> HttpResponse {
    frame
        .page(SIGN_IN)
        .render(login_form(None, "", query.next.as_deref()))
}

pub async fn submit(
    frame: AdminFrame,
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let email = form.email.trim().to_lowercase();
    let ip = client_ip(&req, &state.settings.server.trusted_proxies)
        .map(|ip| ip.to_string())
        .unwrap_or_default();
    if email.chars().count() > MAX_EMAIL_CHARS {
        security_event("sign-in failed", "email too long", "", &ip);
        return Ok(not_signed_in(&frame, &email, form.next.as_deref()));
    }
    let known_device = read_private(&req, &state.session_key, DEVICE_COOKIE)
        .is_some_and(|remembered| remembered == email);
    let attempt = LoginAttempt::new(&email, &ip);
    login_attempts::begin(&state.db, &attempt).await?;
    if let Some(retry_after) = throttled(&state, &attempt, known_device).await? {
        login_attempts::forget(&state.db, &attempt).await?;
        security_event("sign-in throttled", "too many failures", &email, &ip);
        let message = format!(
            "Too many failed sign-ins. Try again in {} minute(s).",
            retry_after.div_ceil(60)
        );
        let mut response = frame
            .page(SIGN_IN)
            .status(StatusCode::TOO_MANY_REQUESTS)
            .render(login_form(Some(&message), &email, form.next.as_deref()));
        response.headers_mut().insert(
            actix_web::http::header::RETRY_AFTER,
            actix_web::http::header::HeaderValue::from(retry_after),
        );
        return Ok(response);
    }
    let user = staff::find_user_by_email(&state.db, &email).await?;
    let stored_hash = user.as_ref().map(|u| u.password_hash.clone());
    let password_ok = match state
        .password_checks
        .verify(form.password, stored_hash)
        .await
    {
        Ok(ok) => ok,
        Err(busy) => {
            // Not the guesser's fault or credit: the attempt never reached the password check.
            login_attempts::forget(&state.db, &attempt).await?;
            security_event("sign-in shed", "password checks busy", &email, &ip);
            return Err(busy);
        }
    };
    let Some(user) = user.filter(|u| password_ok && !u.disabled) else {
        security_event("sign-in failed", "wrong email or password", &email, &ip);
        return Ok(not_signed_in(&frame, &email, form.next.as_deref()));
    };
    login_attempts::succeeded(&state.db, &attempt).await?;
    let token = random_token();
    staff_sessions::create_session(&state.db, &token_hash(&token), user.id, &random_token())
        .await?;
    tracing::info!(event = "security", outcome = "ok", staff_user_id = user.id, client_ip = %ip, "staff sign-in");
    let mut device = private_cookie(&state, &req, DEVICE_COOKIE, email);
    device.set_max_age(actix_web::cookie::time::Duration::days(KNOWN_DEVICE_DAYS));
    Ok(HttpResponse::SeeOther()
        .insert_header(("Location", safe_next(form.next.as_deref())))
        .cookie(private_cookie(&state, &req, SESSION_COOKIE, token))
        .cookie(device)
        .finish())
}

/// The throttle, counted across every task in the database (this attempt included). A client address gets
/// a few tries per account and a few more across accounts. The account as a whole gets a bounded number of
/// tries from devices that never signed in to it: a distributed guesser is capped, while the owner, on a
/// device that signed in before (a long-lived encrypted cookie), is never locked out by strangers.
/// Returns the seconds to wait, if this attempt is refused.
async fn throttled(
    state: &AppState,
    attempt: &LoginAttempt<'_>,
    known_device: bool,
) -> Result<Option<u64>, AppError> {
    let settings = &state.settings.admin;
    let window = chrono::Duration::minutes(settings.login_window_mins as i64);
    let recent = login_attempts::recent_failures(
        &state.db,
        attempt.email,
        attempt.client_ip,
        attempt.at() - window,
    )
    .await?;
    let over = |failures: login_attempts::Failures, limit: i64| {
        (failures.count > limit)
            .then_some(failures.oldest)
            .flatten()
    };
    let oldest = [
        over(
            recent.account_and_client,
            settings.login_max_failures_per_account_and_client,
        ),
        over(recent.client, settings.login_max_failures_per_client),
        over(recent.account, settings.login_max_failures_per_account).filter(|_| !known_device),
    ]
    .into_iter()
    .flatten()
    .min();
    Ok(oldest.map(|oldest| (oldest + window - attempt.at()).num_seconds().max(1) as u64))
}

/// A sign-in event for the security log: which account and client, never the password.
fn security_event(what: &str, reason: &str, email: &str, client_ip: &str) {
    match what {
        "sign-in failed" => metrics::count(Event::SignInFailures),
        "sign-in throttled" => metrics::count(Event::SignInThrottled),
        _ => {}
    }
    tracing::warn!(
        event = "security",
        outcome = what,
        reason,
        account = email,
        client_ip,
        "staff sign-in"
    );
}

pub async fn logout(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff_member: Staff,
    _form: CsrfForm<serde::de::IgnoredAny>,
) -> Result<HttpResponse, AppError> {
    staff_sessions::delete_session(&state.db, &staff_member.session_hash).await?;
    let mut response = redirect_with_flash(&state, &req, "/admin/login", "You are signed out.");
    let _ = response.add_cookie(&removal_cookie(SESSION_COOKIE));
    Ok(response)
}

/// How long a browser that signed in stays exempt from the account-wide throttle.
const KNOWN_DEVICE_DAYS: i64 = 180;

/// Longer than any stored address (the column holds 254): refused before it reaches the database.
const MAX_EMAIL_CHARS: usize = 254;

fn not_signed_in(frame: &AdminFrame, email: &str, next: Option<&str>) -> HttpResponse {
    frame
        .page(SIGN_IN)
        .status(StatusCode::UNAUTHORIZED)
        .render(login_form(
            Some("That email and password do not match an active account."),
            email,
            next,
        ))
}

const SIGN_IN: &str = "Staff sign-in";

/// Only local admin paths that fit a `Location` header as they are: never an open redirect, never a 500.
fn safe_next(next: Option<&str>) -> &str {
    next.filter(|path| path.starts_with("/admin") && is_plain_local_path(path))
        .unwrap_or("/admin")
}

fn login_form(error: Option<&str>, email: &str, next: Option<&str>) -> Markup {
    html! {
            section.login-card {
                h1 { "Staff sign-in" }
                @if let Some(error) = error {
                    div.notice.notice--error role="alert" data-testid="login-error" { (error) }
                }
                form method="post" action="/admin/login" data-testid="login-form" {
                    @if let Some(next) = next { input type="hidden" name="next" value=(next); }
                    div.field {
                        label for="email" { "Email" }
                        input #email type="email" name="email" value=(email) required autocomplete="email";
                    }
                    div.field {
                        label for="password" { "Password" }
                        input #password type="password" name="password" required autocomplete="current-password";
                    }
                    button.button.button--primary type="submit" { "Sign in" }
                }
            }
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_only_ever_points_inside_the_admin() {
        assert_eq!(
            safe_next(Some("/admin/leads?page=2")),
            "/admin/leads?page=2"
        );
        for evil in [
            "https://evil.example",
            "//evil.example",
            "/admin//evil",
            "/\\evil",
            "/public",
            "/admin\n",
            "/admin\r\nSet-Cookie: x=1",
            "/admin leads",
        ] {
            assert_eq!(safe_next(Some(evil)), "/admin", "{evil}");
        }
    }
}

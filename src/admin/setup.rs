//! First run: while no staff account exists, boot prints a one-time link (`/admin/setup?token=…`) that
//! creates the first account. The token is stored hashed, works once, expires after
//! `admin.setup_token_ttl_mins` (a task booting later prints a fresh one), and stops working as soon as any
//! account exists. Operators who prefer the CLI use `ritual-roast staff add` instead.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;

use super::layout::AdminFrame;
use super::passwords;
use super::session::redirect_with_flash;
use super::session::{random_token, token_hash};
use crate::config::AdminSettings;
use crate::db::{DbPool, app_secrets, staff};
use crate::domain::StaffRole;
use crate::domain::staff::{NAME_MAX, display_name, staff_email};
use crate::error::AppError;
use crate::state::AppState;

const SETUP_SECRET: &str = "setup_token";

/// Called at boot: logs the setup link if this task created the token, or says another task did. An
/// expired token is replaced, so restarting the service is how an operator gets a fresh link.
pub async fn announce_if_needed(db: &DbPool, settings: &AdminSettings) -> anyhow::Result<()> {
    if staff::count_users(db).await? > 0 {
        return Ok(());
    }
    let ttl = ttl(settings);
    if let Some((stale, created)) = app_secrets::get_secret_created(db, SETUP_SECRET).await?
        && created + ttl <= staff::now()
    {
        app_secrets::take_secret(db, SETUP_SECRET, &stale).await?;
    }
    let token = random_token();
    let ours = token_hash(&token);
    let stored = app_secrets::secret_or_insert(db, SETUP_SECRET, || ours.clone()).await?;
    let expires_at = app_secrets::get_secret_created(db, SETUP_SECRET)
        .await?
        .map(|(_, created)| (created + ttl).and_utc().to_rfc3339());
    if stored == ours {
        tracing::warn!(
            setup_path = format!("/admin/setup?token={token}"),
            expires_at,
            "no staff account exists yet: open this one-time link on this site to create the first one \
             before it expires (restart the service for a fresh one), or run \
             `ritual-roast staff add --email you@example.com`"
        );
    } else {
        tracing::warn!(
            expires_at,
            "no staff account exists yet: another task printed the one-time setup link; or run `ritual-roast staff add`"
        );
    }
    Ok(())
}

fn ttl(settings: &AdminSettings) -> chrono::Duration {
    chrono::Duration::minutes(settings.setup_token_ttl_mins as i64)
}

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

#[derive(Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    password: String,
}

async fn token_is_valid(state: &AppState, token: &str) -> Result<bool, AppError> {
    let db = &state.db;
    if token.is_empty() || staff::count_users(db).await? > 0 {
        return Ok(false);
    }
    let ttl = ttl(&state.settings.admin);
    Ok(app_secrets::get_secret_created(db, SETUP_SECRET)
        .await?
        .is_some_and(|(stored, created)| {
            stored == token_hash(token) && created + ttl > staff::now()
        }))
}

pub async fn show(
    frame: AdminFrame,
    state: web::Data<AppState>,
    query: web::Query<TokenQuery>,
) -> Result<HttpResponse, AppError> {
    if !token_is_valid(&state, &query.token).await? {
        return Ok(invalid_link(&frame, StatusCode::NOT_FOUND));
    }
    Ok(frame
        .page(SETUP_TITLE)
        .render(setup_form(&query.token, "", "", None)))
}

pub async fn submit(
    frame: AdminFrame,
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<SetupForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    if !token_is_valid(&state, &form.token).await? {
        return Ok(invalid_link(&frame, StatusCode::NOT_FOUND));
    }
    let (email, name) = (staff_email(&form.email), display_name(&form.display_name));
    let problem = if email.is_none() {
        Some("Enter the email address you will sign in with.".to_owned())
    } else if name.is_none() {
        Some("Enter your name as colleagues know it.".to_owned())
    } else {
        passwords::check_policy(&form.password).err()
    };
    let (Some(email), Some(name), None) = (email, name, &problem) else {
        return Ok(frame
            .page(SETUP_TITLE)
            .status(StatusCode::UNPROCESSABLE_ENTITY)
            .render(setup_form(
                &form.token,
                form.email.trim(),
                form.display_name.trim(),
                problem.as_deref(),
            )));
    };
    // Consuming the token first makes a double submit create one account, not two.
    if !app_secrets::take_secret(&state.db, SETUP_SECRET, &token_hash(&form.token)).await? {
        return Ok(invalid_link(&frame, StatusCode::NOT_FOUND));
    }
    let hash = state.password_checks.hash(form.password).await?;
    // The first account is an admin: someone has to be able to manage the others.
    if !staff::create_user(&state.db, &email, &name, &hash, StaffRole::Admin).await? {
        // An operator ran `staff add` with this address meanwhile: that account and its password stand.
        return Ok(invalid_link(&frame, StatusCode::CONFLICT));
    }
    tracing::info!("first staff account created through the setup link");
    Ok(redirect_with_flash(
        &state,
        &req,
        "/admin/login",
        "Your account is ready. Sign in to continue.",
    ))
}

fn invalid_link(frame: &AdminFrame, status: StatusCode) -> HttpResponse {
    frame.page("Setup link not valid").status(status).render(html! {
        h1 { "This setup link is not valid" }
        p { "It has been used already, it has expired, or a staff account exists. Restart the service for a fresh link, sign in at " a href="/admin/login" { "/admin/login" } ", or ask an operator to run " code { "ritual-roast staff add" } "." }
    })
}

const SETUP_TITLE: &str = "Create the first staff account";

fn setup_form(token: &str, email: &str, name: &str, error: Option<&str>) -> Markup {
    html! {
            section.login-card {
                h1 { "Create the first staff account" }
                @if let Some(error) = error { div.notice.notice--error role="alert" { (error) } }
                form method="post" action="/admin/setup" {
                    input type="hidden" name="token" value=(token);
                    div.field { label for="email" { "Email" } input #email type="email" name="email" value=(email) required autocomplete="email"; }
                    div.field { label for="display_name" { "Your name" } input #display_name type="text" name="display_name" value=(name) required maxlength=(NAME_MAX); }
                    (passwords::new_password_field("password", "Password"))
                    button.button.button--primary type="submit" { "Create account" }
                }
            }
    }
}

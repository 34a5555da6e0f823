//! News by email: a one-field signup beside the enquiry form. Signing up is consent to marketing email,
//! recorded with its time like a lead's; the same address twice is one signup; it shares the lead form's
//! per-visitor rate limit, and its honeypot.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use maud::{Markup, html};
use serde::Deserialize;

use crate::db::news_signups;
use crate::domain::LeadEmail;
use crate::domain::lead_field::EMAIL_MAX;
use crate::error::AppError;
use crate::forwarded::client_ip;
use crate::state::AppState;
use crate::views::html_response;
use crate::views::layout::Page;

#[derive(Deserialize)]
pub struct NewsForm {
    #[serde(default)]
    email: String,
    /// The honeypot: people never see it.
    #[serde(default)]
    website: String,
}

pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<NewsForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let done = HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/news/thanks"))
        .finish();
    if !form.website.trim().is_empty() {
        tracing::info!("honeypot field filled; news signup discarded");
        return Ok(done);
    }
    let email = match LeadEmail::parse(&form.email) {
        Ok(email) => email,
        Err(_) if form.email.trim().is_empty() => {
            return Ok(form_again(&form.email, "Please enter your email address."));
        }
        Err(problem) => return Ok(form_again(&form.email, &problem)),
    };
    if let Some(ip) = client_ip(&req, &state.settings.server.trusted_proxies) {
        state
            .lead_limiter
            .check(ip)
            .map_err(|retry_after_secs| AppError::TooManyRequests { retry_after_secs })?;
    }
    let added = news_signups::add(&state.db, &email).await?;
    tracing::info!(added, "news signup");
    Ok(done)
}

pub async fn thanks() -> HttpResponse {
    html_response(
        StatusCode::OK,
        Page::new("You're on the list").render_for_visitors(html! {
            main #main .thanks data-testid="news-thanks" {
                h1 { "You're on the list." }
                p { "We'll email you about new coffees and events, about once a month. Every email has an unsubscribe link." }
                p { a href="/" { "Back to the coffees" } }
            }
        }),
    )
}

/// The signup again with what was typed and why it was refused: 422.
fn form_again(typed: &str, problem: &str) -> HttpResponse {
    html_response(
        StatusCode::UNPROCESSABLE_ENTITY,
        Page::new("News by email").render_for_visitors(html! {
            main #main {
                (news_form(typed, Some(problem)))
            }
        }),
    )
}

/// The signup section of the landing page.
pub fn news_signup_form(typed: &str) -> Markup {
    news_form(typed, None)
}

fn news_form(typed: &str, problem: Option<&str>) -> Markup {
    html! {
        section #news .section aria-labelledby="news-title" {
            div.wrap.news {
                div {
                    h2 #news-title { "News by email" }
                    p.section-intro { "New coffees and events, about once a month. Nothing else, and you can unsubscribe any time." }
                }
                form.news-form method="post" action="/news#news" data-testid="news-form" {
                    @if let Some(problem) = problem {
                        div.notice.notice--error role="alert" tabindex="-1" autofocus data-testid="news-errors" { p { (problem) } }
                    }
                    div.field.field--error[problem.is_some()] {
                        label for="news-email" { "Your email" }
                        input #news-email type="email" name="email" value=(typed) required maxlength=(EMAIL_MAX)
                            autocomplete="email" aria-describedby="news-note" aria-invalid=[problem.map(|_| "true")];
                    }
                    div.hp aria-hidden="true" {
                        label for="news-website" { "Leave this field empty" }
                        input #news-website type="text" name="website" tabindex="-1" autocomplete="off";
                    }
                    button.button.button--primary type="submit" data-testid="news-submit" { "Sign me up" }
                    p.form-note #news-note { "Signing up means yes to these emails; we record when. See our " a href="/privacy" { "privacy note" } "." }
                }
            }
        }
    }
}

//! The staff pages' frame: navigation, the flash message, the logout form (a POST with the CSRF token).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use maud::{Markup, html};

use super::guard::Staff;
use super::session::{FLASH_COOKIE, private_cookie, read_private, removal_cookie};
use crate::state::AppState;
use crate::views::html_response;
use crate::views::layout::Page;

pub fn admin_page(
    title: &str,
    staff: Option<&Staff>,
    flash: Option<&str>,
    content: Markup,
) -> Markup {
    Page::new(title).body_class("admin").render(html! {
        header.admin-header {
            a.brand href="/admin" { "Ritual Roast · Staff" }
            @if let Some(staff) = staff {
                nav aria-label="Staff" {
                    a href="/admin" { "Dashboard" }
                    a href="/admin/leads" { "Leads" }
                    a href="/admin/leads/new" { "Add lead" }
                    a href="/admin/account/password" { "Password" }
                }
                form.inline method="post" action="/admin/logout" {
                    (csrf_field(staff))
                    span.who { (staff.user.display_name) }
                    button.button.button--small type="submit" data-testid="logout" { "Sign out" }
                }
            }
        }
        main #main .admin-main {
            @if let Some(message) = flash {
                div.notice.notice--success role="status" data-testid="flash" { (message) }
            }
            (content)
        }
    })
}

pub fn csrf_field(staff: &Staff) -> Markup {
    html! { input type="hidden" name="csrf_token" value=(staff.csrf_token); }
}

/// 303 to `location` with a one-shot message shown on the next page.
pub fn redirect_with_flash(
    state: &AppState,
    req: &HttpRequest,
    location: &str,
    message: &str,
) -> HttpResponse {
    let secure = crate::forwarded::is_https(req, &state.settings.server.trusted_proxies);
    HttpResponse::SeeOther()
        .insert_header(("Location", location))
        .cookie(private_cookie(
            &state.session_key,
            FLASH_COOKIE,
            message.to_owned(),
            secure,
        ))
        .finish()
}

/// Reads the one-shot message (the caller's response must clear it with [`clear_flash`]).
pub fn take_flash(state: &AppState, req: &HttpRequest) -> Option<String> {
    read_private(req, &state.session_key, FLASH_COOKIE)
}

pub fn clear_flash(mut response: HttpResponse, had_flash: bool) -> HttpResponse {
    if had_flash {
        let _ = response.add_cookie(&removal_cookie(FLASH_COOKIE));
    }
    response
}

/// A complete admin page response, consuming any flash message.
pub fn respond(
    state: &AppState,
    req: &HttpRequest,
    title: &str,
    staff: &Staff,
    content: Markup,
) -> HttpResponse {
    let flash = take_flash(state, req);
    let page = admin_page(title, Some(staff), flash.as_deref(), content);
    clear_flash(html_response(StatusCode::OK, page), flash.is_some())
}

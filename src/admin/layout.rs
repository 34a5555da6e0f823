//! The staff pages' frame: navigation, the flash message, the logout form (a POST with the CSRF token),
//! built per request by the [`AdminFrame`] extractor.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, web};
use maud::{Markup, html};

use super::guard::Staff;
use super::session::{FLASH_COOKIE, read_private, removal_cookie};
use crate::state::AppState;
use crate::views::html_response;
use crate::views::layout::Page;

/// The staff pages' frame for one request, taken as an extractor: who is signed in (if anyone) and the
/// one-shot flash message. A handler builds its page with
/// `frame.page("Leads").render(content)` (200, showing and clearing the flash) or
/// `frame.page("Add a lead").status(StatusCode::UNPROCESSABLE_ENTITY).render(content)`.
pub struct AdminFrame {
    staff: Option<Staff>,
    flash: Option<String>,
}

impl FromRequest for AdminFrame {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(AdminFrame::for_request(req)))
    }
}

impl AdminFrame {
    pub fn for_request(req: &HttpRequest) -> Self {
        let flash = req
            .app_data::<web::Data<AppState>>()
            .and_then(|state| read_private(req, &state.session_key, FLASH_COOKIE));
        AdminFrame {
            staff: req.extensions().get::<Staff>().cloned(),
            flash,
        }
    }

    pub fn page<'a>(&'a self, title: &'a str) -> AdminPage<'a> {
        AdminPage {
            frame: self,
            title,
            status: StatusCode::OK,
        }
    }
}

/// One staff page being built; see [`AdminFrame`].
#[must_use = "render the page"]
pub struct AdminPage<'a> {
    frame: &'a AdminFrame,
    title: &'a str,
    status: StatusCode,
}

impl AdminPage<'_> {
    /// Answers with another status (a form again with its problems: 422, 409…). The flash message waits
    /// for the next full page.
    pub fn status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    pub fn render(self, content: Markup) -> HttpResponse {
        let flash = self
            .frame
            .flash
            .as_deref()
            .filter(|_| self.status == StatusCode::OK);
        let page = frame_markup(self.title, self.frame.staff.as_ref(), flash, content);
        let mut response = html_response(self.status, page);
        if flash.is_some() {
            let _ = response.add_cookie(&removal_cookie(FLASH_COOKIE));
        }
        response
    }
}

fn frame_markup(
    title: &str,
    staff: Option<&Staff>,
    flash: Option<&str>,
    content: Markup,
) -> Markup {
    Page::new(title).body_class("admin").script("js/admin.js").render(html! {
        header.admin-header {
            a.brand href="/admin" { "Ritual Roast · Staff" }
            @if let Some(staff) = staff {
                nav aria-label="Staff" {
                    a href="/admin" { "Dashboard" }
                    a href="/admin/leads" { "Leads" }
                    a href="/admin/leads/new" { "Add lead" }
                    a href="/admin/news" { "News signups" }
                    @if staff.user.is_admin() {
                        a href="/admin/staff" { "Staff" }
                        a href="/admin/jobs" { "Jobs" }
                    }
                    a href="/admin/account" { "Account" }
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

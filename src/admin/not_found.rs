//! "Not found" inside the staff area: an unknown admin path, or a lead that was deleted, answers 404 in
//! the staff frame (navigation and all) rather than with the public site's page.

use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpResponse, Result};
use maud::html;

use super::layout::AdminFrame;

/// `ErrorHandlers` hook for 404s in the admin scope (inside the guard, so the frame knows who is signed in).
pub fn framed<B>(response: ServiceResponse<B>) -> Result<ErrorHandlerResponse<B>> {
    let (req, _) = response.into_parts();
    let page = page(&AdminFrame::for_request(&req));
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, page).map_into_right_body(),
    ))
}

/// The admin scope's default service: paths no route claims.
pub async fn unknown_path() -> HttpResponse {
    HttpResponse::NotFound().finish()
}

fn page(frame: &AdminFrame) -> HttpResponse {
    frame
        .page("Not found")
        .status(StatusCode::NOT_FOUND)
        .render(html! {
            h1 { "Nothing here" }
            p { "This page does not exist, or the lead was deleted. Check the address, or go back to the list." }
            p { a href="/admin/leads" { "← All leads" } }
        })
}

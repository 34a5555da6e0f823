//! The one way an HTML page leaves the app, for both wings and the error pages: UTF-8 `text/html`, and
//! pages are never stored by caches (they carry form tokens, CSRF tokens and per-visitor messages).

use actix_web::body::MessageBody;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, HttpResponseBuilder};
use maud::PreEscaped;

/// The content type of every page.
pub const HTML: &str = "text/html; charset=utf-8";

/// A response builder with the HTML content type set, for answers that add their own headers.
pub fn html_builder(status: StatusCode) -> HttpResponseBuilder {
    let mut builder = HttpResponse::build(status);
    builder.content_type(HTML);
    builder
}

/// A complete page: a rendered `Markup`, or already-assembled HTML wrapped in [`PreEscaped`].
pub fn html_response<B: MessageBody + 'static>(
    status: StatusCode,
    page: PreEscaped<B>,
) -> HttpResponse {
    html_builder(status)
        .insert_header(("Cache-Control", "no-store"))
        .body(page.0)
}

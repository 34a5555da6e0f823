//! Who may do what. Two roles: `staff` work the leads; `admin`s may also manage staff accounts, delete
//! leads and export them. Admin-only routes are wrapped in [`require_admin`] in `admin/mod.rs` (and
//! `is_admin_only` there says which, for the tests); a handler with one admin-only branch (bulk delete) asks
//! [`Staff::require_admin`]. Either way the refusal is [`AppError::AdminOnly`], shown by [`framed`] as a
//! 403 page inside the staff frame, telling them to ask an admin.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::{ErrorHandlerResponse, Next};
use actix_web::{Error, HttpMessage};
use maud::html;

use super::guard::Staff;
use super::layout::AdminFrame;
use crate::error::AppError;

impl Staff {
    /// `Err(AdminOnly)` unless the signed-in member is an admin.
    pub fn require_admin(&self) -> Result<(), AppError> {
        if self.user.is_admin() {
            return Ok(());
        }
        tracing::info!(
            staff_user_id = self.user.id,
            "admin-only action refused to a staff-role member"
        );
        Err(AppError::AdminOnly)
    }
}

/// Middleware for admin-only routes, inside the staff guard (which has put [`Staff`] in the request).
pub async fn require_admin(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let allowed = match req.extensions().get::<Staff>() {
        Some(staff) => staff.require_admin(),
        None => Err(AppError::NotSignedIn),
    };
    match allowed {
        Ok(()) => Ok(next.call(req).await?.map_into_boxed_body()),
        // Keeps the error in the response, so `framed` knows what it is.
        Err(refusal) => Ok(req.error_response(refusal)),
    }
}

/// `ErrorHandlers` hook for 403s in the admin scope: an [`AppError::AdminOnly`] becomes a page in the
/// staff frame; other refusals (cross-site, expired form) pass through as they are.
pub fn framed<B>(response: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let admin_only = response
        .response()
        .error()
        .and_then(|error| error.as_error::<AppError>())
        .is_some_and(|error| matches!(error, AppError::AdminOnly));
    if !admin_only {
        return Ok(ErrorHandlerResponse::Response(
            response.map_into_left_body(),
        ));
    }
    let (req, _) = response.into_parts();
    let (title, next_step) = AppError::AdminOnly.public_message();
    let page = AdminFrame::for_request(&req)
        .page(title)
        .status(StatusCode::FORBIDDEN)
        .render(html! {
            h1 { (title) }
            p data-testid="admin-only" { (next_step) }
            p { a href="/admin/leads" { "← All leads" } }
        });
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, page).map_into_right_body(),
    ))
}

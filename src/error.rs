//! The one application error type and its one status mapping (pinned by the test below). Visitors see what
//! to do next, never internals; the cause goes to the log with the request id.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, HttpResponseBuilder, ResponseError};
use maud::html;

use crate::db::DbError;
use crate::views::HTML;
use crate::views::layout::Page;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("bad request: {0}")]
    BadRequest(String),
    /// A staff request without a live session (a form posted after sign-out or expiry).
    #[error("not signed in")]
    NotSignedIn,
    /// A staff request that did not come from our own pages (`Origin`/`Referer`).
    #[error("cross-site request refused")]
    CrossSite,
    /// A staff form whose CSRF token does not match the session's.
    #[error("form token mismatch")]
    FormExpired,
    /// A signed-in staff member without the admin role asked for an admin-only page or action.
    #[error("admin role required")]
    AdminOnly,
    #[error("unsupported media type")]
    UnsupportedMediaType,
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("request timed out")]
    RequestTimeout,
    #[error("busy: {what}")]
    Busy {
        what: &'static str,
        retry_after_secs: u64,
    },
    #[error("database unavailable: {0}")]
    DatabaseUnavailable(String),
    #[error("internal error: {0:#}")]
    Internal(#[from] anyhow::Error),
}

impl From<DbError> for AppError {
    fn from(error: DbError) -> Self {
        match error {
            DbError::Unavailable(cause) | DbError::ConnectionLost(cause) => {
                AppError::DatabaseUnavailable(cause)
            }
            DbError::Busy(_) => AppError::Busy {
                what: "database connections",
                retry_after_secs: 2,
            },
            DbError::Query(e) => {
                crate::metrics::count(crate::metrics::Event::DbQueryErrors);
                AppError::Internal(e.into())
            }
        }
    }
}

impl AppError {
    /// What the visitor reads: a headline and the next step.
    pub fn public_message(&self) -> (&'static str, String) {
        match self {
            AppError::NotFound => ("Page not found", "There is nothing at this address. Try the home page.".into()),
            AppError::BadRequest(why) => ("That request could not be read", format!("{why}. Please reload the page and try again.")),
            AppError::NotSignedIn => (
                "Please sign in again",
                "Your session has ended. Sign in again, then repeat what you were doing.".into(),
            ),
            AppError::CrossSite => (
                "That request was refused",
                "This request did not come from the Ritual Roast admin pages.".into(),
            ),
            AppError::FormExpired => (
                "That form has expired",
                "This form has expired or did not come from the admin pages. Reload the page and try again.".into(),
            ),
            AppError::AdminOnly => (
                "Only an admin can do that",
                "Your account has the staff role: it works with leads, but deleting or exporting them and managing staff accounts is for admins. Ask an admin to do it for you, or to make you an admin.".into(),
            ),
            AppError::UnsupportedMediaType => (
                "Unsupported form encoding",
                "Send the form as application/x-www-form-urlencoded, as the page does.".into(),
            ),
            AppError::PayloadTooLarge => (
                "That was too much text",
                "Please shorten your message and send it again.".into(),
            ),
            AppError::TooManyRequests { retry_after_secs } => (
                "Too many submissions",
                format!("Please wait {retry_after_secs} seconds and try again."),
            ),
            AppError::RequestTimeout => (
                "That took too long to arrive",
                "The request did not reach us in time. Please check your connection and send it again.".into(),
            ),
            AppError::Busy { retry_after_secs, .. } => (
                "We are busy right now",
                format!("Please try again in {retry_after_secs} seconds."),
            ),
            AppError::DatabaseUnavailable(_) => (
                "We are briefly unavailable",
                "Our database is not answering right now. Please try again in a minute; nothing you sent was stored twice.".into(),
            ),
            AppError::Internal(_) => (
                "Something went wrong on our side",
                "Please try again in a minute. If it keeps happening, email hello@ritualroast.example.".into(),
            ),
        }
    }
}

impl AppError {
    /// When a client may try again, for the `Retry-After` header of every answer that sheds load.
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            AppError::TooManyRequests { retry_after_secs }
            | AppError::Busy {
                retry_after_secs, ..
            } => Some(*retry_after_secs),
            AppError::DatabaseUnavailable(_) => Some(30),
            _ => None,
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::NotSignedIn => StatusCode::UNAUTHORIZED,
            AppError::CrossSite | AppError::FormExpired | AppError::AdminOnly => {
                StatusCode::FORBIDDEN
            }
            AppError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            AppError::Busy { .. } | AppError::DatabaseUnavailable(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let (title, next_step) = self.public_message();
        let body = Page::new(title).render_for_visitors(html! {
            main.error-page #main {
                h1 { (title) }
                p { (next_step) }
                p { a href="/" { "Back to the home page" } }
            }
        });
        self.answer().content_type(HTML).body(body.into_string())
    }
}

impl AppError {
    /// The same answer for clients that asked for JSON: `{"error": title, "message": what to do next}`.
    pub fn json_response(&self) -> HttpResponse {
        let (title, next_step) = self.public_message();
        self.answer()
            .json(serde_json::json!({ "error": title, "message": next_step }))
    }

    /// Logs the refusal as it deserves and starts its answer: the status, `Retry-After` when the client
    /// may come back, and a closed connection after a request that ran out of time. Pages that answer an
    /// error with their own body (a form kept as typed) start from here too.
    pub fn answer(&self) -> HttpResponseBuilder {
        match self {
            // Load shed on purpose: worth a warning, not an error page in the logs.
            AppError::Busy { what, .. } => tracing::warn!(limit = what, "request shed: busy"),
            AppError::RequestTimeout => tracing::warn!("request shed: deadline passed"),
            _ if self.status_code().is_server_error() => {
                tracing::error!(error = %self, "request failed")
            }
            _ => {}
        }
        let mut response = HttpResponse::build(self.status_code());
        if let Some(seconds) = self.retry_after_secs() {
            response.insert_header(("Retry-After", seconds.to_string()));
        }
        if let AppError::RequestTimeout = self {
            // The rest of the body may still be dripping in: never read another request from it.
            response.force_close();
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_maps_to_its_status_and_never_shows_internals() {
        let cases = [
            (AppError::NotFound, 404),
            (AppError::BadRequest("x".into()), 400),
            (AppError::NotSignedIn, 401),
            (AppError::CrossSite, 403),
            (AppError::FormExpired, 403),
            (AppError::AdminOnly, 403),
            (AppError::UnsupportedMediaType, 415),
            (AppError::PayloadTooLarge, 413),
            (
                AppError::TooManyRequests {
                    retry_after_secs: 3,
                },
                429,
            ),
            (
                AppError::DatabaseUnavailable("secret-host:3306 refused".into()),
                503,
            ),
            (AppError::RequestTimeout, 408),
            (
                AppError::Busy {
                    what: "password checks",
                    retry_after_secs: 1,
                },
                503,
            ),
            (
                AppError::Internal(anyhow::anyhow!("secret stack detail")),
                500,
            ),
        ];
        for (error, status) in cases {
            assert_eq!(error.status_code().as_u16(), status, "{error:?}");
            let (title, next) = error.public_message();
            assert!(
                !format!("{title}{next}").contains("secret"),
                "{error:?} leaks internals"
            );
        }
    }

    #[test]
    fn every_answer_that_sheds_load_says_when_to_come_back() {
        for error in [
            AppError::TooManyRequests {
                retry_after_secs: 3,
            },
            AppError::Busy {
                what: "password checks",
                retry_after_secs: 1,
            },
            AppError::DatabaseUnavailable("x".into()),
        ] {
            let page = error.error_response();
            assert!(page.headers().contains_key("retry-after"), "{error:?}");
            let json = error.json_response();
            assert_eq!(json.status(), page.status());
            assert_eq!(
                json.headers().get("retry-after"),
                page.headers().get("retry-after"),
                "the JSON answer says when to come back too: {error:?}"
            );
        }
    }

    #[test]
    fn a_lost_database_is_a_503_not_a_500() {
        let e: AppError = DbError::Unavailable("pool timed out".into()).into();
        assert_eq!(e.status_code(), StatusCode::SERVICE_UNAVAILABLE);
    }
}

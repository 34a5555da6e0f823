//! A form sent after the session ended (idle timeout, signed out in another tab) is not lost: the guard
//! keeps what was typed in an encrypted cookie, sends the staff member to sign in, and the page the form
//! came from puts the input back, marked as not saved yet. Nothing is saved behind anyone's back: the
//! staff member checks it and saves again (with a fresh CSRF token, under the new session).

use std::collections::HashMap;

use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::paths::{is_plain_local_path, sign_in_url};
use super::session::{private_cookie, read_private, redirect_with_flash, removal_cookie};
use crate::domain::form_body;
use crate::state::AppState;

pub const PENDING_COOKIE: &str = "rr_pending";
/// Browsers drop cookies over 4 KiB; encryption and the name take the rest.
const MAX_KEPT_BYTES: usize = 3000;

#[derive(Serialize, Deserialize)]
struct Pending {
    /// The page to bring the input back on.
    page: String,
    fields: Vec<(String, String)>,
}

/// Where a form wants to return: its `return_to` field when that is a plain admin path, else the admin home.
fn return_page(fields: &HashMap<String, String>) -> String {
    fields
        .get("return_to")
        .filter(|p| p.starts_with("/admin/") && is_plain_local_path(p))
        .cloned()
        .unwrap_or_else(|| "/admin".to_owned())
}

/// The guard's answer to a form sent without a session: keep the input, say why, go and sign in.
pub async fn keep_and_sign_in(mut req: ServiceRequest, state: &AppState) -> ServiceResponse {
    let body = req.extract::<web::Bytes>().await.unwrap_or_default();
    let mut fields = form_body::decode(&body).unwrap_or_default();
    fields.remove("csrf_token");
    let page = return_page(&fields);
    let pending = Pending {
        page: page.clone(),
        fields: fields.into_iter().collect(),
    };
    let value = serde_json::to_string(&pending).unwrap_or_default();
    let kept = value.len() <= MAX_KEPT_BYTES;
    let message = if kept {
        "You were signed out, so your changes are not saved yet. Sign in and they will be back in the form."
    } else {
        "You were signed out, so your changes are not saved. They were too long to keep: sign in and enter them again."
    };
    let mut response = redirect_with_flash(state, req.request(), &sign_in_url(&page), message);
    if kept {
        let _ = response.add_cookie(&private_cookie(state, req.request(), PENDING_COOKIE, value));
    }
    tracing::info!(
        kept,
        page,
        "form sent without a session: kept for after sign-in"
    );
    req.into_response(response)
}

/// The input kept for `page`, if any. The caller's response must clear it with [`forget`].
pub fn take(req: &HttpRequest, state: &AppState, page: &str) -> Option<HashMap<String, String>> {
    let raw = read_private(req, &state.session_key, PENDING_COOKIE)?;
    let pending: Pending = serde_json::from_str(&raw).ok()?;
    (pending.page == page).then(|| pending.fields.into_iter().collect())
}

pub fn forget(mut response: HttpResponse) -> HttpResponse {
    let _ = response.add_cookie(&removal_cookie(PENDING_COOKIE));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_admin_pages_are_returned_to() {
        let page = |p: &str| return_page(&HashMap::from([("return_to".to_owned(), p.to_owned())]));
        assert_eq!(page("/admin/leads/7"), "/admin/leads/7");
        for evil in [
            "https://evil.example/",
            "//evil.example",
            "/admin//x",
            "/public",
        ] {
            assert_eq!(page(evil), "/admin", "{evil}");
        }
    }
}

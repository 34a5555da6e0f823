//! The one guard in front of every `/admin` route. Anonymous GETs are sent to the login page (303);
//! anonymous non-GETs get 401 and no action; every non-GET must come from our own origin, and forms that
//! change state carry the session's CSRF token ([`CsrfForm`]). Refusals are [`AppError`]s, rendered by
//! `error.rs` like every other error page.

use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::{Error, FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError, web};
use chrono::Utc;
use futures_util::future::{Ready, ready};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::paths::sign_in_url;
use super::pending_form;
use super::session::{SESSION_COOKIE, read_private, token_hash};
use crate::db::staff::StaffUser;
use crate::db::staff_sessions;
use crate::error::AppError;
use crate::forwarded::{self, TrustedProxies, is_https};
use crate::state::AppState;

/// Pages reachable without a session.
const PUBLIC_PATHS: &[&str] = &["/admin/login", "/admin/setup"];
/// Rewriting `last_seen_at` on every request would make every page view a write.
const TOUCH_EVERY_SECS: i64 = 60;

/// The signed-in staff member, put in the request by the guard.
#[derive(Clone, Debug)]
pub struct Staff {
    pub user: StaffUser,
    pub session_hash: String,
    pub csrf_token: String,
}

impl Staff {
    /// The date where the staff member is: what "due today" and "overdue" are measured against.
    pub fn today(&self) -> chrono::NaiveDate {
        self.user.time_zone.to_local(Utc::now().naive_utc()).date()
    }
}

pub async fn require_staff(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .expect("state is registered")
        .clone();
    let is_read = matches!(*req.method(), Method::GET | Method::HEAD);
    if !is_read && !same_origin(req.request(), &state.settings.server.trusted_proxies) {
        return Ok(req.into_response(AppError::CrossSite.error_response()));
    }
    if PUBLIC_PATHS.contains(&req.path()) {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let staff = match current_staff(req.request(), &state).await {
        Ok(Some(staff)) => staff,
        Ok(None) if is_read => {
            let target = sign_in_url(&path_and_query(req.request()));
            return Ok(req.into_response(
                HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, target))
                    .finish(),
            ));
        }
        Ok(None) => {
            return Ok(pending_form::keep_and_sign_in(req, &state)
                .await
                .map_into_boxed_body());
        }
        Err(error) => return Err(error.into()),
    };
    req.extensions_mut().insert(staff);
    let mut response = next.call(req).await?;
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(response.map_into_boxed_body())
}

async fn current_staff(req: &HttpRequest, state: &AppState) -> Result<Option<Staff>, AppError> {
    let Some(token) = read_private(req, &state.session_key, SESSION_COOKIE) else {
        return Ok(None);
    };
    let hash = token_hash(&token);
    let Some(session) = staff_sessions::find_session(&state.db, &hash).await? else {
        return Ok(None);
    };
    let settings = &state.settings.admin;
    let now = Utc::now().naive_utc();
    let idle = chrono::Duration::minutes(settings.idle_timeout_mins as i64);
    let absolute = chrono::Duration::hours(settings.absolute_timeout_hours as i64);
    if session.user.disabled
        || now - session.last_seen_at > idle
        || now - session.created_at > absolute
    {
        staff_sessions::delete_session(&state.db, &hash).await?;
        return Ok(None);
    }
    if (now - session.last_seen_at).num_seconds() > TOUCH_EVERY_SECS {
        staff_sessions::touch_session(&state.db, &hash).await?;
    }
    Ok(Some(Staff {
        user: session.user,
        session_hash: hash,
        csrf_token: session.csrf_token,
    }))
}

/// `Origin` (or, failing that, `Referer`) must name this host. Browsers send one of them on every POST.
fn same_origin(req: &HttpRequest, trusted: &TrustedProxies) -> bool {
    let Some(host) = forwarded::host(req) else {
        return false;
    };
    let scheme = if is_https(req, trusted) {
        "https"
    } else {
        "http"
    };
    let expected = format!("{scheme}://{host}");
    let header_value = |name| req.headers().get(name).and_then(|v| v.to_str().ok());
    match (header_value(header::ORIGIN), header_value(header::REFERER)) {
        (Some(origin), _) => origin == expected,
        (None, Some(referer)) => {
            referer == expected || referer.starts_with(&format!("{expected}/"))
        }
        (None, None) => false,
    }
}

fn path_and_query(req: &HttpRequest) -> String {
    match req.query_string() {
        "" => req.path().to_owned(),
        q => format!("{}?{q}", req.path()),
    }
}

impl FromRequest for Staff {
    type Error = Error;
    type Future = Ready<Result<Self, Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            req.extensions()
                .get::<Staff>()
                .cloned()
                .ok_or_else(|| AppError::NotSignedIn.into()),
        )
    }
}

/// A urlencoded form whose `csrf_token` matched the session's; anything else is refused with 403.
pub struct CsrfForm<T>(pub T);

#[derive(Deserialize)]
struct CsrfOnly {
    #[serde(default)]
    csrf_token: String,
}

impl<T: DeserializeOwned + 'static> FromRequest for CsrfForm<T> {
    type Error = Error;
    type Future = futures_util::future::LocalBoxFuture<'static, Result<Self, Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let body = web::Bytes::from_request(&req, payload);
        Box::pin(async move {
            let staff = req.extensions().get::<Staff>().cloned();
            let body = tokio::time::timeout(Duration::from_secs(10), body)
                .await
                .map_err(|_| {
                    actix_web::error::ErrorRequestTimeout("the form took too long to arrive")
                })??;
            let sent: CsrfOnly = serde_html_form::from_bytes(&body)
                .map_err(|_| AppError::BadRequest("the form could not be read".into()))?;
            let valid = staff.is_some_and(|s| {
                constant_time_eq(s.csrf_token.as_bytes(), sent.csrf_token.as_bytes())
            });
            if !valid {
                return Err(AppError::FormExpired.into());
            }
            serde_html_form::from_bytes(&body)
                .map(CsrfForm)
                .map_err(|e| {
                    AppError::BadRequest(format!("the form could not be read: {e}")).into()
                })
        })
    }
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

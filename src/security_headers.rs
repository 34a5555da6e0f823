//! Security headers on every response. The CSP allows only same-origin files: no inline script or style
//! anywhere, which is why every page's behaviour lives in embedded asset files.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, web};

use crate::forwarded::is_https;
use crate::state::AppState;

pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
    base-uri 'none'; object-src 'none'";

/// Built at compile time: a request only clones them (no name validation, no copy of the values).
static ALWAYS: [(HeaderName, HeaderValue); 6] = [
    header("content-security-policy", CONTENT_SECURITY_POLICY),
    header("x-content-type-options", "nosniff"),
    header("referrer-policy", "strict-origin-when-cross-origin"),
    header("x-frame-options", "DENY"),
    header("cross-origin-opener-policy", "same-origin"),
    header(
        "permissions-policy",
        "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    ),
];

static HSTS: (HeaderName, HeaderValue) = header(
    "strict-transport-security",
    "max-age=31536000; includeSubDomains",
);

const fn header(name: &'static str, value: &'static str) -> (HeaderName, HeaderValue) {
    (
        HeaderName::from_static(name),
        HeaderValue::from_static(value),
    )
}

pub async fn add(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let https = req
        .app_data::<web::Data<AppState>>()
        .is_some_and(|state| is_https(req.request(), &state.settings.server.trusted_proxies));
    let mut response = next.call(req).await?;
    let headers = response.headers_mut();
    for (name, value) in &ALWAYS {
        headers.insert(name.clone(), value.clone());
    }
    if https {
        headers.insert(HSTS.0.clone(), HSTS.1.clone());
    }
    Ok(response)
}

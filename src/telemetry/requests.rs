//! The request middleware: assigns the request id (honouring a sane inbound one), logs one line when the
//! response is ready, counts the request in the metrics, and echoes the id in `X-Request-Id`.

use std::time::Instant;

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use tracing::Instrument;

use crate::metrics::{self, RouteClass};

static REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// What gets a request line (from `log.*`).
#[derive(Debug, Clone, Copy)]
pub struct RequestLog {
    /// Log the load balancer's `GET`/`HEAD /health.html` too (`log.health_checks`).
    pub health_checks: bool,
}

impl RequestLog {
    /// Whether a request gets a line; health checks are counted in the metrics either way.
    fn logs(self, method: &Method, path: &str) -> bool {
        self.health_checks
            || path != "/health.html"
            || !(method == Method::GET || method == Method::HEAD)
    }
}

/// A request id on the stack: the inbound `X-Request-Id` when sane (≤ 64 of `[A-Za-z0-9-]`), else a
/// fresh UUID v4 in 32 hex digits.
struct RequestId {
    bytes: [u8; 64],
    len: usize,
}

impl RequestId {
    fn of(req: &ServiceRequest) -> Self {
        let mut bytes = [0u8; 64];
        let inbound = req
            .headers()
            .get(&REQUEST_ID_HEADER)
            .map(HeaderValue::as_bytes)
            .filter(|v| {
                !v.is_empty()
                    && v.len() <= 64
                    && v.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-')
            });
        let len = match inbound {
            Some(id) => {
                bytes[..id.len()].copy_from_slice(id);
                id.len()
            }
            None => uuid::Uuid::new_v4().simple().encode_lower(&mut bytes).len(),
        };
        RequestId { bytes, len }
    }

    fn as_str(&self) -> &str {
        // Only ASCII letters, digits and '-' are ever stored.
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or_default()
    }
}

pub async fn log_requests(
    config: RequestLog,
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let request_id = RequestId::of(&req);
    let request_id = request_id.as_str();
    let method = req.method().clone();
    let class = RouteClass::of(method.as_str(), req.path());
    let started = Instant::now();
    if !config.logs(&method, req.path()) {
        let result = next.call(req).await;
        let status = match &result {
            Ok(response) => response.status(),
            Err(error) => error.as_response_error().status_code(),
        };
        metrics::record_request(class, status.as_u16(), started.elapsed());
        return result.map(|response| with_request_id(response, request_id));
    }
    let path = req.path().to_owned();
    // Lines logged while handling carry the id through this span; the request line names it itself.
    let span = tracing::info_span!("request", request_id);
    let result = next.call(req).instrument(span).await;
    let elapsed = started.elapsed();
    let elapsed_ms = elapsed.as_secs_f64() * 1000.0;
    let status = match &result {
        Ok(response) => response.status(),
        Err(error) => error.as_response_error().status_code(),
    }
    .as_u16();
    metrics::record_request(class, status, elapsed);
    let method = method.as_str();
    tracing::info!(request_id, method, path, status, elapsed_ms, "request");
    result.map(|response| with_request_id(response, request_id))
}

fn with_request_id<B>(mut response: ServiceResponse<B>, request_id: &str) -> ServiceResponse<B> {
    if let Ok(value) = HeaderValue::from_str(request_id) {
        response
            .headers_mut()
            .insert(REQUEST_ID_HEADER.clone(), value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_checks_get_a_line_only_when_asked() {
        let quiet = RequestLog {
            health_checks: false,
        };
        assert!(!quiet.logs(&Method::GET, "/health.html"));
        assert!(!quiet.logs(&Method::HEAD, "/health.html"));
        assert!(quiet.logs(&Method::POST, "/health.html"));
        assert!(quiet.logs(&Method::GET, "/readyz"));
        assert!(quiet.logs(&Method::GET, "/"));
        let all = RequestLog {
            health_checks: true,
        };
        assert!(all.logs(&Method::GET, "/health.html"));
    }
}

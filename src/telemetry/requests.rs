//! The request middleware: assigns the request id (honouring a sane inbound one), logs one line when the
//! response is ready, counts the request in the metrics, and echoes the id in `X-Request-Id`.
//!
//! In JSON, the request line is written straight into the log buffer, in the shape tracing's formatter
//! gives every other line: that formatter builds a map of `serde_json::Value`s per event, which cost more
//! than serving a health check. It is still subject to the `log.level` filter like any `info!`.

use std::cell::RefCell;
use std::fmt::Write as _;
use std::time::Instant;

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use tracing::Instrument;

use super::request_id::{self, RequestId};
use crate::metrics::{self, RouteClass};

static REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// What gets a request line (from `log.*`).
#[derive(Debug, Clone, Copy)]
pub struct RequestLog {
    /// Log the load balancer's `GET`/`HEAD /health.html` too (`log.health_checks`).
    pub health_checks: bool,
    /// Lines are JSON (`log.format = "json"`), so the request line can skip the formatter.
    pub json: bool,
}

impl RequestLog {
    /// Whether a request gets a line; health checks are counted in the metrics either way.
    fn logs(self, method: &Method, path: &str) -> bool {
        self.health_checks
            || path != "/health.html"
            || !(method == Method::GET || method == Method::HEAD)
    }
}

pub async fn log_requests(
    config: RequestLog,
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let id = RequestId::of(req.headers().get(&REQUEST_ID_HEADER));
    let request_id = id.as_str();
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
    // Lines logged while handling carry the id (the request line names it itself): in JSON through the
    // thread's current request id, which costs a copy per poll (a tracing span cost 5% of GET /).
    let result = if config.json {
        request_id::while_polling(id, next.call(req)).await
    } else {
        let span = tracing::info_span!("request", request_id);
        next.call(req).instrument(span).await
    };
    let elapsed = started.elapsed();
    let status = match &result {
        Ok(response) => response.status(),
        Err(error) => error.as_response_error().status_code(),
    }
    .as_u16();
    metrics::record_request(class, status, elapsed);
    let method = method.as_str();
    if config.json {
        if tracing::enabled!(tracing::Level::INFO) {
            let line = RequestLine {
                request_id,
                method,
                path: &path,
                status,
                elapsed,
            };
            line.write();
        }
    } else {
        let elapsed_ms = elapsed.as_secs_f64() * 1000.0;
        tracing::info!(request_id, method, path, status, elapsed_ms, "request");
    }
    result.map(|response| with_request_id(response, request_id))
}

/// What the request line says.
struct RequestLine<'a> {
    request_id: &'a str,
    method: &'a str,
    path: &'a str,
    status: u16,
    elapsed: std::time::Duration,
}

thread_local! {
    /// Each worker thread formats its request lines here, reusing the allocation.
    static LINE: RefCell<String> = const { RefCell::new(String::new()) };
}

impl RequestLine<'_> {
    /// `{"timestamp":…,"level":"INFO","request_id":…,"method":…,"path":…,"status":…,"elapsed_ms":…,
    /// "message":"request","target":…}`, as `tracing::info!` with these fields would write it.
    fn format(&self, timestamp: &str, line: &mut String) {
        line.clear();
        let _ = write!(
            line,
            "{{\"timestamp\":\"{timestamp}\",\"level\":\"INFO\",\"request_id\":"
        );
        push_json_string(line, self.request_id);
        line.push_str(",\"method\":");
        push_json_string(line, self.method);
        line.push_str(",\"path\":");
        push_json_string(line, self.path);
        // Milliseconds to the microsecond, in integer arithmetic: shortest-float formatting was a
        // quarter of this line's cost, and wrote 3.1609279999999997.
        let micros = (self.elapsed.as_nanos() + 500) / 1000;
        let _ = writeln!(
            line,
            ",\"status\":{},\"elapsed_ms\":{}.{:03},\"message\":\"request\",\"target\":\"{}\"}}",
            self.status,
            micros / 1000,
            micros % 1000,
            module_path!()
        );
    }

    fn write(&self) {
        let timestamp = Timestamp::now();
        LINE.with_borrow_mut(|line| {
            self.format(timestamp.as_str(), line);
            super::write_line(line.as_bytes());
        });
    }
}

/// `2026-12-04T21:00:00.123456Z` without formatting a date per line: each thread keeps the text of the
/// current second and writes only the microseconds.
struct Timestamp([u8; 27]);

thread_local! {
    static SECOND: std::cell::Cell<(i64, [u8; 19])> = const { std::cell::Cell::new((i64::MIN, [0; 19])) };
}

impl Timestamp {
    fn now() -> Self {
        let now = chrono::Utc::now();
        let second = now.timestamp();
        let (cached, mut prefix) = SECOND.get();
        if cached != second {
            let text = now.format("%Y-%m-%dT%H:%M:%S").to_string();
            if text.len() == prefix.len() {
                prefix.copy_from_slice(text.as_bytes());
                SECOND.set((second, prefix));
            }
        }
        let mut out = [b'0'; 27];
        out[..19].copy_from_slice(&prefix);
        out[19] = b'.';
        let mut micros = now.timestamp_subsec_micros().min(999_999);
        for digit in out[20..26].iter_mut().rev() {
            *digit = b'0' + (micros % 10) as u8;
            micros /= 10;
        }
        out[26] = b'Z';
        Timestamp(out)
    }

    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

/// `value` as a JSON string literal (paths may carry `"` or `\\`, which some clients send unencoded).
fn push_json_string(out: &mut String, value: &str) {
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
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
    fn the_timestamp_is_rfc3339_utc_to_the_microsecond_and_follows_the_clock() {
        for _ in 0..3 {
            let before = chrono::Utc::now();
            let stamp = Timestamp::now();
            let after = chrono::Utc::now();
            let text = stamp.as_str();
            assert_eq!(
                (text.len(), &text[19..20], &text[26..]),
                (27, ".", "Z"),
                "{text}"
            );
            let parsed = chrono::DateTime::parse_from_rfc3339(text).unwrap();
            let micros = |t: chrono::DateTime<chrono::Utc>| t.timestamp_micros();
            assert!(micros(before) <= parsed.timestamp_micros(), "{text}");
            assert!(parsed.timestamp_micros() <= micros(after), "{text}");
            std::thread::sleep(std::time::Duration::from_millis(400));
        }
    }

    #[test]
    fn health_checks_get_a_line_only_when_asked() {
        let quiet = RequestLog {
            health_checks: false,
            json: true,
        };
        assert!(!quiet.logs(&Method::GET, "/health.html"));
        assert!(!quiet.logs(&Method::HEAD, "/health.html"));
        assert!(quiet.logs(&Method::POST, "/health.html"));
        assert!(quiet.logs(&Method::GET, "/readyz"));
        assert!(quiet.logs(&Method::GET, "/"));
        let all = RequestLog {
            health_checks: true,
            json: true,
        };
        assert!(all.logs(&Method::GET, "/health.html"));
    }

    #[test]
    fn the_request_line_is_one_json_object_even_for_a_path_with_quotes_and_control_characters() {
        let line = RequestLine {
            request_id: "abc-1",
            method: "GET",
            path: "/a\"b\\c\u{1}d/é",
            status: 404,
            elapsed: std::time::Duration::from_micros(250),
        };
        let mut text = String::new();
        line.format("2026-12-04T21:00:00.123456Z", &mut text);
        assert!(
            text.ends_with("}\n") && text.matches('\n').count() == 1,
            "{text}"
        );
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            parsed,
            serde_json::json!({
                "timestamp": "2026-12-04T21:00:00.123456Z",
                "level": "INFO",
                "request_id": "abc-1",
                "method": "GET",
                "path": "/a\"b\\c\u{1}d/é",
                "status": 404,
                "elapsed_ms": 0.25,
                "message": "request",
                "target": "ritual_roast::telemetry::requests",
            })
        );
    }
}

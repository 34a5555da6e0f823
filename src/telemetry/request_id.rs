//! The request id, and how lines logged while handling a request carry it in JSON: the request's future
//! makes its id the thread's current one for each poll ([`while_polling`]), and the event formatter
//! ([`JsonWithRequestId`]) adds `"span":{"request_id":…,"name":"request"}` to every line written meanwhile,
//! the shape tracing's own `with_current_span` gave. A tracing span per request did the same through the
//! subscriber's registry at about 5% of a GET /'s cost.

use std::cell::{Cell, RefCell};
use std::fmt::Write as _;
use std::future::Future;
use std::task::Poll;

use actix_web::http::header::HeaderValue;
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// A request id on the stack: the inbound `X-Request-Id` when sane (≤ 64 of `[A-Za-z0-9-]`), else a
/// fresh UUID v4 in 32 hex digits.
#[derive(Clone, Copy)]
pub(super) struct RequestId {
    bytes: [u8; 64],
    len: usize,
}

impl RequestId {
    pub(super) fn of(inbound: Option<&HeaderValue>) -> Self {
        let mut bytes = [0u8; 64];
        let inbound = inbound.map(HeaderValue::as_bytes).filter(|v| {
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

    pub(super) fn as_str(&self) -> &str {
        // Only ASCII letters, digits and '-' are ever stored.
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or_default()
    }
}

thread_local! {
    /// The id of the request being polled on this thread, if any.
    static CURRENT: Cell<Option<RequestId>> = const { Cell::new(None) };
    /// The formatter's scratch line, reused.
    static LINE: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Polls `work` with `id` as the thread's current request id, restoring the previous one after each poll
/// (requests interleave on a worker thread at every await).
pub(super) async fn while_polling<F: Future>(id: RequestId, work: F) -> F::Output {
    let mut work = std::pin::pin!(work);
    std::future::poll_fn(|cx| {
        let outer = CURRENT.replace(Some(id));
        let polled: Poll<F::Output> = work.as_mut().poll(cx);
        CURRENT.set(outer);
        polled
    })
    .await
}

/// tracing's JSON line, plus the current request's id when there is one.
pub(super) struct JsonWithRequestId<F>(pub F);

impl<S, N, F> FormatEvent<S, N> for JsonWithRequestId<F>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'w> FormatFields<'w> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> std::fmt::Result {
        let Some(id) = CURRENT.get() else {
            return self.0.format_event(ctx, writer, event);
        };
        LINE.with_borrow_mut(|line| {
            line.clear();
            self.0.format_event(ctx, Writer::new(line), event)?;
            // One JSON object per line: the id goes in before its closing brace.
            let end = line.trim_end().len();
            if line[..end].ends_with('}') {
                line.truncate(end - 1);
                let _ = writeln!(
                    line,
                    ",\"span\":{{\"request_id\":\"{}\",\"name\":\"request\"}}}}",
                    id.as_str()
                );
            }
            writer.write_str(line)
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn a_line_logged_while_a_request_is_polled_carries_its_id_and_no_other_does() {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .map_event_format(JsonWithRequestId)
            .finish();
        let _default = tracing::subscriber::set_default(subscriber);
        let id = RequestId::of(Some(&HeaderValue::from_static("req-7")));
        while_polling(id, async {
            tracing::info!(lead_id = 3, "inside");
            tokio::task::yield_now().await;
            tracing::info!("inside again");
        })
        .await;
        tracing::info!("outside");
        let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        assert_eq!(lines.len(), 3, "{text}");
        for inside in &lines[..2] {
            assert_eq!(inside["span"]["request_id"], "req-7", "{text}");
            assert_eq!(inside["span"]["name"], "request");
        }
        assert_eq!(lines[0]["lead_id"], 3);
        assert!(lines[2].get("span").is_none(), "{text}");
    }
}

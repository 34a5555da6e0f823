//! JSON log lines to stdout (CloudWatch awslogs), one per request with a request id ([`requests`]). Logged
//! paths carry no query string and no bodies: visitors' details and secrets never reach the log. Lines go
//! through a bounded buffer and a writer thread of their own ([`sink`]): a request never waits on stdout.

mod request_id;
mod requests;
mod sink;

use std::sync::OnceLock;
use std::time::Duration;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

use crate::config::{LogFormat, LogSettings};

pub use requests::{RequestLog, log_requests};

/// The process's one log buffer and writer thread, started by the first `init`.
static SINK: OnceLock<sink::Sink> = OnceLock::new();

/// How long the last lines may take to reach stdout when the process ends.
const FLUSH_AT_EXIT: Duration = Duration::from_secs(5);

/// Installs the subscriber and starts the writer thread. Keep the returned guard until the end of `main`:
/// dropping it waits until every line logged so far is written.
pub fn init(settings: &LogSettings) -> FlushOnDrop {
    let limit = settings.buffer_lines;
    SINK.get_or_init(|| {
        std::thread::Builder::new()
            .name("log-writer".into())
            .spawn(|| sink().run(std::io::stdout()))
            .expect("the log writer thread starts");
        sink::Sink::new(limit)
    });
    let filter = EnvFilter::try_new(&settings.level).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(BufferedStdout);
    // `try_init`: tests build many apps in one process; the first subscriber wins.
    let _ = match settings.format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .map_event_format(request_id::JsonWithRequestId)
            .try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
    FlushOnDrop(())
}

/// The sink; `init` starts it before any line can be logged (its thread waits for the `OnceLock`).
fn sink() -> &'static sink::Sink {
    SINK.wait()
}

/// Queues one whole log line (dropped and counted when the buffer is full).
fn write_line(line: &[u8]) {
    sink().write_line(line);
}

/// Writes a line that must not be dropped, whatever the buffer holds: the metrics' EMF records.
pub fn write_record(line: &str) {
    match SINK.get() {
        Some(sink) => sink.write_line_always(line.as_bytes()),
        None => println!("{line}"),
    }
}

/// Waits until the log lines so far are written (see [`init`]).
pub struct FlushOnDrop(());

impl Drop for FlushOnDrop {
    fn drop(&mut self) {
        if let Some(sink) = SINK.get() {
            sink.flush(FLUSH_AT_EXIT);
        }
    }
}

/// The subscriber's writer: each event arrives as one whole line in one `write`.
struct BufferedStdout;

impl<'a> MakeWriter<'a> for BufferedStdout {
    type Writer = BufferedStdout;

    fn make_writer(&'a self) -> Self::Writer {
        BufferedStdout
    }
}

impl std::io::Write for BufferedStdout {
    fn write(&mut self, line: &[u8]) -> std::io::Result<usize> {
        write_line(line);
        Ok(line.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

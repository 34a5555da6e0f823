//! The log writer: request handlers never write to stdout themselves. A finished line (tracing formats one
//! whole JSON object, newline included, per event) is copied into a bounded in-memory buffer under a short
//! lock; one writer thread wakes when lines arrive, lets them gather for [`BATCH_WINDOW`], then swaps the
//! buffer for an empty one and writes it to stdout in a single large write. Lines are appended whole under
//! the lock and written by one thread, so they never interleave or tear; under load the writer wakes at most
//! once a window, so a busy second costs a few hundred `write` calls and thread wake-ups, not one per request
//! (waking the writer for every line made it a context switch per request: slower than writing directly).
//!
//! When the buffer already holds `log.buffer_lines` lines (stdout slower than the traffic: a stalled log
//! driver, a full pipe), a new line is dropped rather than making the request wait: the site keeps answering
//! when its logs cannot keep up. Each drop counts `LogLinesDropped` (EMF and Prometheus), and the writer
//! logs one `"log lines dropped"` warning with the number as soon as it has written what was waiting.
//! Metric records (EMF) are never dropped: they are few, and they are what tells that lines were.

use std::io::Write;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::metrics::{self, Event};

/// A writer thread's batch shrinks back to this after a burst made it larger.
const KEPT_CAPACITY: usize = 64 * 1024;

/// How long the writer lets lines gather after the first one arrives (unless a flush is waiting or the buffer
/// is half full): a line reaches stdout at most this late.
pub const BATCH_WINDOW: Duration = Duration::from_millis(5);

pub struct Sink {
    state: Mutex<State>,
    /// The writer thread waits here for lines.
    lines_waiting: Condvar,
    /// `flush` waits here for the writer thread to finish a batch.
    batch_written: Condvar,
    /// Lines the buffer may hold before new ones are dropped.
    limit: usize,
}

#[derive(Default)]
struct State {
    buffer: Vec<u8>,
    lines: usize,
    /// Lines dropped since the writer last reported it.
    dropped: u64,
    /// The writer thread holds a batch it has not finished writing.
    writing: bool,
    /// Callers of `flush` waiting for the writer.
    flushers: usize,
    /// The writer thread waits on `lines_waiting` and nobody has woken it yet.
    writer_asleep: bool,
}

impl Sink {
    pub fn new(limit: usize) -> Self {
        Sink {
            state: Mutex::new(State::default()),
            lines_waiting: Condvar::new(),
            batch_written: Condvar::new(),
            limit: limit.max(1),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere while holding the lock leaves whole lines behind: keep logging.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues one line (a trailing newline is added if missing); dropped and counted when the buffer is full.
    pub fn write_line(&self, line: &[u8]) {
        self.push(line, true);
    }

    /// Queues one line whatever the buffer holds (metric records: rare, and never to be lost).
    pub fn write_line_always(&self, line: &[u8]) {
        self.push(line, false);
    }

    fn push(&self, line: &[u8], bounded: bool) {
        let mut state = self.lock();
        if bounded && state.lines >= self.limit {
            state.dropped += 1;
            drop(state);
            metrics::count(Event::LogLinesDropped);
            return;
        }
        let was_empty = state.buffer.is_empty();
        state.buffer.extend_from_slice(line);
        if !line.ends_with(b"\n") {
            state.buffer.push(b'\n');
        }
        state.lines += 1;
        // Wake the writer for the first line, or when the buffer is half full; never twice.
        let wake = state.writer_asleep && (was_empty || state.lines >= self.limit.div_ceil(2));
        if wake {
            state.writer_asleep = false;
        }
        drop(state);
        if wake {
            self.lines_waiting.notify_one();
        }
    }

    /// Waits (at most `timeout`) until every line queued before the call is written; false on timeout.
    pub fn flush(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut state = self.lock();
        state.flushers += 1;
        if std::mem::take(&mut state.writer_asleep) {
            self.lines_waiting.notify_one();
        }
        while !state.buffer.is_empty() || state.writing {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            state = self
                .batch_written
                .wait_timeout(state, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        state.flushers -= 1;
        state.buffer.is_empty() && !state.writing
    }

    /// The writer thread's loop: takes everything queued, writes it in one go, forever.
    pub fn run(&self, mut out: impl Write) -> ! {
        let mut batch = Vec::new();
        loop {
            let dropped = {
                let mut state = self.lock();
                while state.buffer.is_empty() {
                    state.writer_asleep = true;
                    state = self
                        .lines_waiting
                        .wait(state)
                        .unwrap_or_else(PoisonError::into_inner);
                }
                let gathered_by = Instant::now() + BATCH_WINDOW;
                while state.flushers == 0 && state.lines < self.limit.div_ceil(2) {
                    let left = gathered_by.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        break;
                    }
                    state.writer_asleep = true;
                    state = self
                        .lines_waiting
                        .wait_timeout(state, left)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0;
                }
                state.writer_asleep = false;
                std::mem::swap(&mut state.buffer, &mut batch);
                state.lines = 0;
                state.writing = true;
                std::mem::take(&mut state.dropped)
            };
            if dropped > 0 {
                batch.extend_from_slice(self.dropped_line(dropped).as_bytes());
            }
            // Nowhere to report a failed write to: the lines are lost, as they would be with `println!`.
            let _ = out.write_all(&batch).and_then(|()| out.flush());
            let written = batch.len();
            batch.clear();
            if written < KEPT_CAPACITY && batch.capacity() > 16 * KEPT_CAPACITY {
                batch.shrink_to(KEPT_CAPACITY);
            }
            let mut state = self.lock();
            state.writing = false;
            let flushers = state.flushers;
            drop(state);
            if flushers > 0 {
                self.batch_written.notify_all();
            }
        }
    }

    /// The warning the writer adds after lines were dropped, in the JSON lines' own shape.
    fn dropped_line(&self, dropped: u64) -> String {
        let timestamp = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        format!(
            "{{\"timestamp\":\"{timestamp}\",\"level\":\"WARN\",\"dropped\":{dropped},\"buffer_lines\":{},\
             \"message\":\"log lines dropped\",\"target\":\"ritual_roast::telemetry\"}}\n",
            self.limit
        )
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    /// A stdout stand-in that records each write call.
    #[derive(Clone, Default)]
    struct Recorder(Arc<Mutex<Vec<Vec<u8>>>>);

    impl Write for Recorder {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().push(buf.to_vec());
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Recorder {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().concat()).unwrap()
        }
    }

    fn start(sink: &Arc<Sink>, out: Recorder) {
        let sink = Arc::clone(sink);
        std::thread::spawn(move || sink.run(out));
    }

    #[test]
    fn lines_from_many_threads_arrive_whole_and_in_few_writes() {
        let sink = Arc::new(Sink::new(100_000));
        let out = Recorder::default();
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let sink = Arc::clone(&sink);
                std::thread::spawn(move || {
                    for i in 0..5_000 {
                        sink.write_line(format!("{{\"thread\":{t},\"i\":{i}}}\n").as_bytes());
                    }
                })
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        // Queued before the writer runs: one batch, one write.
        start(&sink, out.clone());
        assert!(sink.flush(Duration::from_secs(10)));
        let text = out.text();
        assert_eq!(text.lines().count(), 20_000);
        for line in text.lines() {
            serde_json::from_str::<serde_json::Value>(line).expect("every line is whole JSON");
        }
        assert_eq!(out.0.lock().unwrap().len(), 1, "one write for the burst");
    }

    #[test]
    fn a_full_buffer_drops_new_lines_counts_them_and_says_so_but_keeps_metric_records() {
        let before = metrics::total(Event::LogLinesDropped);
        let sink = Arc::new(Sink::new(3));
        for i in 0..5 {
            sink.write_line(format!("{{\"i\":{i}}}").as_bytes());
        }
        sink.write_line_always(b"{\"_aws\":{}}\n");
        assert!(metrics::total(Event::LogLinesDropped) - before >= 2);
        let out = Recorder::default();
        start(&sink, out.clone());
        assert!(sink.flush(Duration::from_secs(10)));
        let lines: Vec<serde_json::Value> = out
            .text()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(
            lines.len(),
            5,
            "3 lines, the metric record, the warning: {lines:?}"
        );
        assert_eq!(lines[2]["i"], 2);
        assert!(lines[3].get("_aws").is_some());
        assert_eq!(lines[4]["message"], "log lines dropped");
        assert_eq!(lines[4]["dropped"], 2);
        assert_eq!(lines[4]["level"], "WARN");
        // Room again once written.
        sink.write_line(b"{\"after\":true}\n");
        assert!(sink.flush(Duration::from_secs(10)));
        assert!(out.text().ends_with("{\"after\":true}\n"));
    }

    #[test]
    fn lines_arriving_one_by_one_are_written_together_once_the_window_has_passed() {
        let sink = Arc::new(Sink::new(1_000));
        let out = Recorder::default();
        start(&sink, out.clone());
        let started = Instant::now();
        for i in 0..50 {
            sink.write_line(format!("{{\"i\":{i}}}\n").as_bytes());
        }
        // No flush: the writer writes on its own after the window.
        while out.text().lines().count() < 50 {
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "written in time"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
        assert!(started.elapsed() >= BATCH_WINDOW);
        assert!(out.0.lock().unwrap().len() <= 2, "one write, two at most");
    }

    #[test]
    fn flush_gives_up_after_its_timeout_when_stdout_never_takes_the_lines() {
        let sink = Sink::new(10);
        sink.write_line(b"{}\n");
        assert!(!sink.flush(Duration::from_millis(50)), "no writer thread");
    }
}

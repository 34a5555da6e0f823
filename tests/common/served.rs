//! The binary, served: shared by the process, MySQL and Secrets Manager suites (each includes this file).
//!
//! The server binds port 0 and the harness reads the port from its `listening` log line, so tests running
//! side by side can never race for a port, nor talk to each other's servers.

// Each suite compiles this file on its own and uses only part of it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

pub const BIN: &str = env!("CARGO_BIN_EXE_ritual-roast");

/// The binary with a clean environment over a fresh SQLite file in `dir`, listening on loopback.
pub fn sqlite_command(dir: &tempfile::TempDir) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("RR_SERVER__HOST", "127.0.0.1")
        .env("RR_DATABASE__SQLITE_PATH", dir.path().join("rr.sqlite3"))
        .current_dir(dir.path());
    cmd
}

/// Long enough for a boot that waits on a database (MySQL migrations, a Secrets Manager lookup).
const LISTEN_WITHIN: Duration = Duration::from_secs(60);

pub struct Served {
    child: Child,
    pub port: u16,
    log: Arc<Mutex<Vec<String>>>,
    reader: Option<JoinHandle<()>>,
}

impl Served {
    /// Starts `command` on port 0 (stdout is captured) and waits until it listens; panics with its log if
    /// it exits or does not listen in time.
    pub fn start(command: Command) -> Self {
        Launched::new(command).listening()
    }

    /// Starts every command before waiting for any, so they boot at the same time.
    pub fn start_together(commands: impl IntoIterator<Item = Command>) -> Vec<Self> {
        let launched: Vec<Launched> = commands.into_iter().map(Launched::new).collect();
        launched.into_iter().map(Launched::listening).collect()
    }

    /// The server's process id (for /proc/<pid>/status).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Sends SIGTERM, as ECS does.
    pub fn send_sigterm(&self) {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
    }

    /// Sends SIGTERM and waits as `wait` does.
    pub fn terminate(&mut self) -> ExitStatus {
        self.send_sigterm();
        self.wait()
    }

    /// Waits for the exit, and for its last log lines to be read.
    pub fn wait(&mut self) -> ExitStatus {
        let status = self.child.wait().expect("the server can be waited for");
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        status
    }

    pub fn log_lines(&self) -> Vec<serde_json::Value> {
        self.log
            .lock()
            .unwrap()
            .iter()
            .map(|l| serde_json::from_str(l).expect("every log line is JSON"))
            .collect()
    }

    /// The log lines once one of them satisfies `wanted`, or after 5 s: the app writes its log from a
    /// buffer a few milliseconds behind the requests.
    pub fn log_lines_once(
        &self,
        wanted: impl Fn(&serde_json::Value) -> bool,
    ) -> Vec<serde_json::Value> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            let lines = self.log_lines();
            if lines.iter().any(&wanted) || std::time::Instant::now() > deadline {
                return lines;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    pub fn log_text(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A spawned server whose port is not known yet.
struct Launched {
    child: Child,
    log: Arc<Mutex<Vec<String>>>,
    reader: JoinHandle<()>,
    port: mpsc::Receiver<u16>,
}

impl Launched {
    fn new(mut command: Command) -> Self {
        let mut child = command
            .env("PORT", "0")
            .stdout(Stdio::piped())
            .spawn()
            .expect("the server binary starts");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (port_tx, port) = mpsc::channel();
        let stdout = child.stdout.take().expect("stdout is piped");
        let lines = Arc::clone(&log);
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let parsed: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
                if parsed["message"] == "listening" {
                    let _ =
                        port_tx.send(parsed["port"].as_u64().expect("the port is logged") as u16);
                }
                lines.lock().unwrap().push(line);
            }
        });
        Self {
            child,
            log,
            reader,
            port,
        }
    }

    fn listening(mut self) -> Served {
        let port = match self.port.recv_timeout(LISTEN_WITHIN) {
            Ok(port) => port,
            Err(_) => {
                let exited = self.child.try_wait();
                let _ = self.child.kill();
                panic!(
                    "the server did not start listening (exited: {exited:?}); its log:\n{}",
                    self.log.lock().unwrap().join("\n")
                )
            }
        };
        Served {
            child: self.child,
            port,
            log: self.log,
            reader: Some(self.reader),
        }
    }
}

pub fn raw_post(port: u16, path: &str, body: &str) -> String {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    use std::io::{Read, Write};
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: http://127.0.0.1:{port}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

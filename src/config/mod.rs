//! Typed settings, layered: embedded defaults → optional file named by `RR_CONFIG` → `RR_<SECTION>__<KEY>`
//! environment variables → the seed's plain names (`PORT`, `DB_SERVER`, `DB_DATABASE`, `SECRET_NAME`,
//! `AWS_REGION`, `DATABASE_URL`, `DB_PORT`, `DB_USER`, `DB_PASSWORD`). A scratch image carries no files, so the
//! defaults live in the binary.

use std::collections::HashMap;

use config::{Config, Environment, File, FileFormat};
use serde::Deserialize;

use crate::sensitive::Sensitive;

mod database;
mod jobs;
mod site;
mod trusted_proxies;

use database::DatabaseInput;
pub use database::{Backend, DatabaseSettings, MysqlTarget, SecretRef, TlsMode};
pub use jobs::{JobSettings, NotificationSettings};
pub use site::{PublicUrl, SiteSettings, is_host};
pub use trusted_proxies::{TrustedProxies, canonical_ip};

const DEFAULTS: &str = include_str!("../../config/default.toml");

/// The seed's environment names and the settings key each one sets.
const PLAIN_ENV_NAMES: &[(&str, &str)] = &[
    ("PORT", "server.port"),
    ("DATABASE_URL", "database.url"),
    ("DB_SERVER", "database.server"),
    ("DB_PORT", "database.port"),
    ("DB_DATABASE", "database.name"),
    ("DB_USER", "database.user"),
    ("DB_PASSWORD", "database.password"),
    ("SECRET_NAME", "database.secret_name"),
    ("AWS_REGION", "aws.region"),
    ("LOG_LEVEL", "log.level"),
];

#[derive(Debug, Clone)]
pub struct Settings {
    pub server: ServerSettings,
    /// Resolved at load time into what the data layer needs: the backend, its target, the pool.
    pub database: DatabaseSettings,
    pub aws: AwsSettings,
    pub leads: LeadSettings,
    pub admin: AdminSettings,
    pub log: LogSettings,
    pub site: SiteSettings,
    pub metrics: MetricsSettings,
    pub notifications: NotificationSettings,
    pub jobs: JobSettings,
}

/// The settings as written, before the database section is resolved.
#[derive(Deserialize)]
struct SettingsInput {
    server: ServerSettings,
    database: DatabaseInput,
    aws: AwsSettings,
    leads: LeadSettings,
    admin: AdminSettings,
    log: LogSettings,
    site: SiteSettings,
    metrics: MetricsSettings,
    notifications: NotificationSettings,
    jobs: JobSettings,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AdminSettings {
    /// Base64 of 64 bytes; empty means "generate once and keep in the database".
    pub session_key: Sensitive,
    pub idle_timeout_mins: u64,
    pub absolute_timeout_hours: u64,
    pub login_window_mins: u64,
    /// Failed sign-ins for one account from devices that never signed in to it; then 429 for such devices.
    pub login_max_failures_per_account: i64,
    /// Failed sign-ins for one account from one client address.
    pub login_max_failures_per_account_and_client: i64,
    /// Failed sign-ins from one client address, whatever the account.
    pub login_max_failures_per_client: i64,
    /// Argon2 runs (19 MiB each) at once; more sign-ins wait briefly, then get 503 with `Retry-After`.
    pub max_concurrent_password_checks: usize,
    /// How long the first-run setup link works after boot.
    pub setup_token_ttl_mins: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    /// Request bodies above this many bytes are answered with 413.
    pub body_limit_bytes: usize,
    /// How long in-flight requests may run after SIGTERM (ECS waits 30 s before SIGKILL).
    pub shutdown_timeout_secs: u64,
    /// Worker threads; 0 means one per CPU.
    pub workers: usize,
    /// Peers whose `X-Forwarded-For`/`-Proto` we believe (the ALB's subnets); empty = believe nobody.
    pub trusted_proxies: TrustedProxies,
    /// A request must arrive whole (headers) this soon after the connection opens or goes idle.
    pub header_read_timeout_secs: u64,
    /// A request's body must arrive, and its handler answer, within this; then 408 and the connection closes.
    pub request_timeout_secs: u64,
    /// Open connections per worker thread; beyond it the worker stops accepting until one closes. Capped at
    /// boot to what the file-descriptor limit allows.
    pub max_connections_per_worker: usize,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AwsSettings {
    pub region: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LeadSettings {
    /// Lead submissions allowed per client per minute (benchmarks raise it).
    pub rate_limit_per_minute: u32,
    pub rate_limit_burst: u32,
    /// Leads (and their history) older than this many months are deleted by the retention job; 0 = keep.
    pub retention_months: u32,
    /// Valid submissions that may wait to be stored (`state::lead_intake`); beyond it, 503 at once.
    pub intake_queue: usize,
    /// The most leads stored in one transaction (one commit).
    pub intake_batch: usize,
    /// Transactions storing leads at the same time, each on one pooled connection.
    pub intake_writers: usize,
}

#[derive(Debug, Clone, Deserialize)]
pub struct MetricsSettings {
    /// Write CloudWatch Embedded Metric Format records into the log stream.
    pub emf: bool,
    /// How often the EMF records are written (what changed since the last ones).
    pub flush_interval_secs: u64,
    /// The CloudWatch namespace of the EMF metrics.
    pub namespace: String,
    /// `host:port` for a Prometheus `/metrics` listener of its own; empty = none.
    pub prometheus_addr: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LogSettings {
    pub level: String,
    pub format: LogFormat,
    /// Lines waiting for the log writer thread; when it holds this many (stdout slower than the traffic),
    /// new lines are dropped and counted (`LogLinesDropped`) instead of making requests wait.
    pub buffer_lines: usize,
    /// Log the load balancer's `GET`/`HEAD /health.html` requests too (their metrics count either way).
    pub health_checks: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Json,
    Pretty,
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("could not read the configuration: {0}")]
    Load(#[from] config::ConfigError),
    #[error("{0}")]
    Invalid(String),
}

impl Settings {
    /// Loads settings from the process environment (and `RR_CONFIG`, when set).
    pub fn load() -> Result<Self, SettingsError> {
        Self::load_from(&std::env::vars().collect())
    }

    /// Loads settings with `env` standing in for the process environment (tests pass their own map).
    pub fn load_from(env: &HashMap<String, String>) -> Result<Self, SettingsError> {
        let mut builder = Config::builder().add_source(File::from_str(DEFAULTS, FileFormat::Toml));
        if let Some(path) = env.get("RR_CONFIG").filter(|p| !p.is_empty()) {
            builder = builder.add_source(File::with_name(path).required(true));
        }
        let rr_vars: config::Map<String, String> = env
            .iter()
            .filter(|(k, _)| k.starts_with("RR_") && k.contains("__"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        builder = builder.add_source(
            Environment::with_prefix("RR")
                .prefix_separator("_")
                .separator("__")
                .source(Some(rr_vars)),
        );
        for (name, key) in PLAIN_ENV_NAMES {
            builder = builder.set_override_option(*key, env.get(*name).cloned())?;
        }
        let input: SettingsInput = builder.build()?.try_deserialize()?;
        let settings = Settings {
            database: input.database.resolve(&input.aws.region)?,
            server: input.server,
            aws: input.aws,
            leads: input.leads,
            admin: input.admin,
            log: input.log,
            site: input.site,
            metrics: input.metrics,
            notifications: input.notifications,
            jobs: input.jobs,
        };
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), SettingsError> {
        if self.server.body_limit_bytes < 1024 {
            return Err(SettingsError::Invalid(
                "server.body_limit_bytes must be at least 1024 (the lead form alone needs that)"
                    .into(),
            ));
        }
        if self.admin.max_concurrent_password_checks == 0 {
            return Err(SettingsError::Invalid(
                "admin.max_concurrent_password_checks must be at least 1 (each check uses 19 MiB)"
                    .into(),
            ));
        }
        if self.server.request_timeout_secs == 0 || self.server.header_read_timeout_secs == 0 {
            return Err(SettingsError::Invalid(
                "server.request_timeout_secs and server.header_read_timeout_secs must be at least 1".into(),
            ));
        }
        if self.metrics.emf && self.metrics.flush_interval_secs == 0 {
            return Err(SettingsError::Invalid(
                "metrics.flush_interval_secs must be at least 1 (or set metrics.emf = false)"
                    .into(),
            ));
        }
        if self.log.buffer_lines == 0 {
            return Err(SettingsError::Invalid(
                "log.buffer_lines must be at least 1".into(),
            ));
        }
        if self.leads.rate_limit_per_minute == 0 {
            return Err(SettingsError::Invalid(
                "leads.rate_limit_per_minute must be at least 1".into(),
            ));
        }
        let public_url_set = self.site.public_url.get().is_some();
        self.notifications
            .validate(public_url_set, !self.aws.region.is_empty())
            .map_err(SettingsError::Invalid)?;
        self.jobs.validate().map_err(SettingsError::Invalid)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests;

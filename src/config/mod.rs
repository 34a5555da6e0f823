//! Typed settings, layered: embedded defaults → optional file named by `RR_CONFIG` → `RR_<SECTION>__<KEY>`
//! environment variables → the seed's plain names (`PORT`, `DB_SERVER`, `DB_DATABASE`, `SECRET_NAME`,
//! `AWS_REGION`, `DATABASE_URL`, `DB_PORT`, `DB_USER`, `DB_PASSWORD`). A scratch image carries no files, so the
//! defaults live in the binary.

use std::collections::HashMap;
use std::path::PathBuf;

use config::{Config, Environment, File, FileFormat};
use serde::Deserialize;

use crate::sensitive::Sensitive;

mod trusted_proxies;

pub use trusted_proxies::{TrustedProxies, canonical_ip};

const DEFAULT_MYSQL_PORT: u16 = 3306;
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

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub aws: AwsSettings,
    pub leads: LeadSettings,
    pub admin: AdminSettings,
    pub log: LogSettings,
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
pub struct DatabaseSettings {
    pub url: Sensitive,
    pub sqlite_path: PathBuf,
    pub server: String,
    /// Unset means 3306, or the port in the Secrets Manager secret.
    pub port: Option<u16>,
    pub name: String,
    pub user: String,
    pub password: Sensitive,
    pub secret_name: String,
    pub pool_size: usize,
    pub connect_timeout_secs: u64,
    pub boot_deadline_secs: u64,
    pub tls: TlsMode,
    pub extra_ca_file: String,
    /// Refresh the cached Secrets Manager secret this often (0 = only on access-denied).
    pub secret_refresh_secs: u64,
    /// Replace pooled connections older than this (0 = keep them): bounds how long a connection opened with
    /// an old password lives after a rotation.
    pub max_connection_lifetime_secs: u64,
    /// How long boot (or `migrate`) waits for another task's migrations on MySQL before failing clearly.
    pub migration_lock_wait_secs: u64,
    /// Copied from `aws.region` after loading: the region of the secret.
    #[serde(skip)]
    pub aws_region: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// `require` for any host that is not loopback, `disable` for loopback.
    Auto,
    Require,
    Disable,
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
}

#[derive(Debug, Clone, Deserialize)]
pub struct LogSettings {
    pub level: String,
    pub format: LogFormat,
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
        let mut settings: Settings = builder.build()?.try_deserialize()?;
        settings.database.aws_region = settings.aws.region.clone();
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
        if self.database.pool_size == 0 {
            return Err(SettingsError::Invalid(
                "database.pool_size must be at least 1".into(),
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
        if self.leads.rate_limit_per_minute == 0 {
            return Err(SettingsError::Invalid(
                "leads.rate_limit_per_minute must be at least 1".into(),
            ));
        }
        self.database.backend().map(|_| ())
    }
}

/// Where the data lives, decided once from the settings.
#[derive(Debug, Clone)]
pub enum Backend {
    Sqlite { path: PathBuf },
    Mysql(MysqlTarget),
}

#[derive(Debug, Clone)]
pub struct MysqlTarget {
    pub host: String,
    pub port: u16,
    /// True when no setting chose the port (a secret's port may then apply).
    pub port_is_default: bool,
    pub database: String,
    pub user: String,
    pub password: Sensitive,
    /// When set, credentials (and any unset host/port/database) come from this Secrets Manager secret.
    pub secret_name: Option<String>,
}

impl DatabaseSettings {
    /// Chooses the backend: `DATABASE_URL` wins, then `DB_SERVER`/`SECRET_NAME`, else the embedded SQLite file.
    pub fn backend(&self) -> Result<Backend, SettingsError> {
        let url = self.url.expose();
        if !url.is_empty() {
            return backend_from_url(url);
        }
        if self.server.is_empty() && self.secret_name.is_empty() {
            return Ok(Backend::Sqlite {
                path: self.sqlite_path.clone(),
            });
        }
        if self.secret_name.is_empty() {
            if self.name.is_empty() {
                return Err(SettingsError::Invalid(
                    "DB_SERVER is set but DB_DATABASE is not: set DB_DATABASE to the schema name"
                        .into(),
                ));
            }
            if self.user.is_empty() {
                return Err(SettingsError::Invalid(
                    "DB_SERVER is set but no credentials are: set SECRET_NAME (AWS Secrets Manager) \
                     or DB_USER and DB_PASSWORD"
                        .into(),
                ));
            }
        }
        Ok(Backend::Mysql(MysqlTarget {
            host: self.server.clone(),
            port: self.port.unwrap_or(DEFAULT_MYSQL_PORT),
            port_is_default: self.port.is_none(),
            database: self.name.clone(),
            user: self.user.clone(),
            password: self.password.clone(),
            secret_name: Some(self.secret_name.clone()).filter(|s| !s.is_empty()),
        }))
    }
}

fn backend_from_url(url: &str) -> Result<Backend, SettingsError> {
    if let Some(path) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        if path.is_empty() {
            return Err(SettingsError::Invalid(
                "DATABASE_URL sqlite:// needs a file path".into(),
            ));
        }
        return Ok(Backend::Sqlite {
            path: PathBuf::from(path),
        });
    }
    if url.starts_with("mysql://") {
        let opts = mysql_async::Opts::from_url(url).map_err(|e| {
            SettingsError::Invalid(format!(
                "DATABASE_URL is not a valid mysql:// URL ({}); the form is mysql://user:password@host:3306/database",
                redact_url_error(&e.to_string())
            ))
        })?;
        let database = opts.db_name().unwrap_or_default().to_owned();
        if database.is_empty() {
            return Err(SettingsError::Invalid(
                "DATABASE_URL names no database: add it as the path, e.g. mysql://user:pw@host/ritualroast".into(),
            ));
        }
        return Ok(Backend::Mysql(MysqlTarget {
            host: opts.ip_or_hostname().to_owned(),
            port: opts.tcp_port(),
            port_is_default: false,
            database,
            user: opts.user().unwrap_or_default().to_owned(),
            password: Sensitive::new(opts.pass().unwrap_or_default()),
            secret_name: None,
        }));
    }
    Err(SettingsError::Invalid(
        "DATABASE_URL must start with mysql:// or sqlite:// (leave it unset for the built-in SQLite file)".into(),
    ))
}

/// URL parse errors can echo the URL, password included.
fn redact_url_error(message: &str) -> &str {
    if message.contains('@') {
        "malformed URL"
    } else {
        message
    }
}

#[cfg(test)]
mod tests;

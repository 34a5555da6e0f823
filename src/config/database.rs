//! The `[database]` section: read as written ([`DatabaseInput`]), then resolved once at load time into the
//! shape the data layer uses ([`DatabaseSettings`]): which backend, where it is, how to pool it. Nothing
//! downstream re-derives the backend or copies settings between sections.

use std::path::PathBuf;

use serde::Deserialize;

use super::SettingsError;
use crate::sensitive::Sensitive;

const DEFAULT_MYSQL_PORT: u16 = 3306;

/// The database settings, resolved.
#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    pub backend: Backend,
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
    /// SQLite's page cache per pooled connection, in KiB (the file's pages are in the OS cache anyway).
    pub sqlite_cache_kib: u32,
}

/// Where the data lives.
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
    pub secret: Option<SecretRef>,
}

/// A Secrets Manager secret and the region it lives in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretRef {
    pub name: String,
    pub region: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// `require` for any host that is not loopback, `disable` for loopback.
    Auto,
    Require,
    Disable,
}

/// The `[database]` section as written (defaults, file, environment).
#[derive(Deserialize)]
pub(super) struct DatabaseInput {
    url: Sensitive,
    sqlite_path: PathBuf,
    server: String,
    /// Unset means 3306, or the port in the Secrets Manager secret.
    port: Option<u16>,
    name: String,
    user: String,
    password: Sensitive,
    secret_name: String,
    pool_size: usize,
    connect_timeout_secs: u64,
    boot_deadline_secs: u64,
    tls: TlsMode,
    extra_ca_file: String,
    secret_refresh_secs: u64,
    max_connection_lifetime_secs: u64,
    migration_lock_wait_secs: u64,
    sqlite_cache_kib: u32,
}

impl DatabaseInput {
    /// Chooses the backend: `DATABASE_URL` wins, then `DB_SERVER`/`SECRET_NAME`, else the embedded SQLite
    /// file. `aws_region` is where a named secret lives.
    pub(super) fn resolve(self, aws_region: &str) -> Result<DatabaseSettings, SettingsError> {
        if self.pool_size == 0 {
            return Err(SettingsError::Invalid(
                "database.pool_size must be at least 1".into(),
            ));
        }
        let backend = self.backend(aws_region)?;
        Ok(DatabaseSettings {
            backend,
            pool_size: self.pool_size,
            connect_timeout_secs: self.connect_timeout_secs,
            boot_deadline_secs: self.boot_deadline_secs,
            tls: self.tls,
            extra_ca_file: self.extra_ca_file,
            secret_refresh_secs: self.secret_refresh_secs,
            max_connection_lifetime_secs: self.max_connection_lifetime_secs,
            migration_lock_wait_secs: self.migration_lock_wait_secs,
            sqlite_cache_kib: self.sqlite_cache_kib,
        })
    }

    fn backend(&self, aws_region: &str) -> Result<Backend, SettingsError> {
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
            secret: (!self.secret_name.is_empty()).then(|| SecretRef {
                name: self.secret_name.clone(),
                region: aws_region.to_owned(),
            }),
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
            secret: None,
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

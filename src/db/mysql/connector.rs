//! Opens one MySQL connection: TLS per the settings, credentials asked of the [`CredentialSource`] each
//! time. On "access denied" (1045) it asks the source for further candidates (after a rotation the cached
//! password is stale) before giving up.

use std::sync::Arc;

use diesel::ConnectionResult;
use diesel::result::ConnectionError;
use diesel_async::AsyncMysqlConnection;
use mysql_async::{OptsBuilder, SslOpts};

use super::tls;
use crate::config::{DatabaseSettings, MysqlTarget};
use crate::db::credentials::{CredentialSource, DbCredentials};

const ACCESS_DENIED: u16 = 1045;

#[derive(Clone)]
pub struct MysqlConnector {
    host: String,
    port: u16,
    database: String,
    ssl: Option<SslOpts>,
    credentials: Arc<CredentialSource>,
}

impl MysqlConnector {
    pub fn new(
        target: &MysqlTarget,
        settings: &DatabaseSettings,
        credentials: CredentialSource,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            host: target.host.clone(),
            port: target.port,
            database: target.database.clone(),
            ssl: tls::ssl_opts(&target.host, settings)?,
            credentials: Arc::new(credentials),
        })
    }

    pub fn address(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    pub async fn connect(&self) -> ConnectionResult<AsyncMysqlConnection> {
        let first = self.credentials.current().await.map_err(bad_connection)?;
        let error = match self.connect_as(&first).await {
            Err(error) if is_access_denied(&error) => error,
            other => return other.map_err(|e| self.describe(e)),
        };
        tracing::warn!(user = %first.user, "MySQL refused the cached credentials; asking for fresh ones");
        let mut last = error;
        for candidate in self
            .credentials
            .after_access_denied(&first)
            .await
            .map_err(bad_connection)?
        {
            match self.connect_as(&candidate).await {
                Ok(conn) => return Ok(conn),
                Err(error) if is_access_denied(&error) => last = error,
                Err(error) => return Err(self.describe(error)),
            }
        }
        Err(self.describe(last))
    }

    async fn connect_as(
        &self,
        credentials: &DbCredentials,
    ) -> Result<AsyncMysqlConnection, mysql_async::Error> {
        let opts = OptsBuilder::default()
            .ip_or_hostname(self.host.clone())
            .tcp_port(self.port)
            .db_name(Some(self.database.clone()))
            .user(Some(credentials.user.clone()))
            .pass(Some(credentials.password.expose().to_owned()))
            .ssl_opts(self.ssl.clone())
            // mysql_async would otherwise switch a loopback TCP login to the server's Unix socket,
            // bypassing TLS settings (and any proxy in between).
            .prefer_socket(false)
            // As diesel-async's own `establish`: it caches statements itself and counts found rows.
            .stmt_cache_size(0)
            .client_found_rows(true);
        let conn = mysql_async::Conn::new(opts).await?;
        AsyncMysqlConnection::try_from(conn)
            .await
            .map_err(|e| mysql_async::Error::Other(e.to_string().into()))
    }

    /// A connection error that names where we tried to go (never with the password).
    fn describe(&self, error: mysql_async::Error) -> ConnectionError {
        let hint = if is_access_denied(&error) {
            " (check the user and password: DB_USER/DB_PASSWORD or the secret named by SECRET_NAME)"
        } else {
            ""
        };
        ConnectionError::BadConnection(format!("MySQL at {}: {error}{hint}", self.address()))
    }
}

fn is_access_denied(error: &mysql_async::Error) -> bool {
    matches!(error, mysql_async::Error::Server(e) if e.code == ACCESS_DENIED)
}

fn bad_connection(error: anyhow::Error) -> ConnectionError {
    ConnectionError::BadConnection(format!("could not obtain database credentials: {error:#}"))
}

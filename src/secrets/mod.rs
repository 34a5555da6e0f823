//! Database credentials from AWS Secrets Manager, surviving rotation. This module returns the secret as
//! [`RdsSecret`]; `db/credentials.rs` turns it into what a connection needs.
//!
//! The RDS secret (`{"username","password","host","port","dbname","engine"}`) is cached; every NEW pooled
//! connection asks for it. When MySQL refuses the cached password (1045) the connector asks for more
//! candidates: a fresh `AWSCURRENT`, then `AWSPENDING` — single-user rotation sets the new password on the
//! database *before* it moves the `AWSCURRENT` label, so for a while only `AWSPENDING` works. A background
//! task refreshes the cache periodically. Secret values live in [`Sensitive`] and never reach a log or error.

mod client;

pub use client::{http_client, sdk_config};

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::error::{DisplayErrorContext, SdkError};
use aws_sdk_secretsmanager::operation::get_secret_value::GetSecretValueError;
use serde::Deserialize;
use tokio::sync::RwLock;

use crate::sensitive::Sensitive;

const CURRENT: &str = "AWSCURRENT";
const PENDING: &str = "AWSPENDING";

/// The fields of an RDS secret this app uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RdsSecret {
    pub username: String,
    pub password: Sensitive,
    pub host: Option<String>,
    pub port: Option<u16>,
    pub dbname: Option<String>,
}

#[derive(Debug, Deserialize)]
struct RawSecret {
    username: String,
    password: Sensitive,
    host: Option<String>,
    #[serde(default, deserialize_with = "port_number_or_string")]
    port: Option<u16>,
    dbname: Option<String>,
}

/// RDS writes the port as a number; hand-made secrets often have it as a string.
fn port_number_or_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u16>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Port {
        Number(u16),
        Text(String),
    }
    match Option::<Port>::deserialize(d)? {
        None => Ok(None),
        Some(Port::Number(n)) => Ok(Some(n)),
        Some(Port::Text(s)) => s.trim().parse().map(Some).map_err(serde::de::Error::custom),
    }
}

pub struct SecretSource {
    client: Client,
    secret_id: String,
    region: String,
    cached: RwLock<Option<RdsSecret>>,
}

impl std::fmt::Debug for SecretSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretSource")
            .field("secret_id", &self.secret_id)
            .field("region", &self.region)
            .finish()
    }
}

impl SecretSource {
    /// A source for `secret_id` (a name or ARN); reads it once so a bad name or missing permission stops the
    /// boot with a clear message.
    pub async fn connect(secret_id: &str, region: &str) -> anyhow::Result<Arc<Self>> {
        anyhow::ensure!(
            !region.is_empty(),
            "SECRET_NAME is set but AWS_REGION is not: set AWS_REGION (e.g. us-east-1)"
        );
        let source = Arc::new(Self {
            client: client::secrets_manager(region).await,
            secret_id: secret_id.to_owned(),
            region: region.to_owned(),
            cached: RwLock::new(None),
        });
        source.refresh().await?;
        Ok(source)
    }

    /// Keeps the cache warm: refreshes `AWSCURRENT` every `every` until the process ends.
    pub fn refresh_periodically(self: &Arc<Self>, every: Duration) {
        let source = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                let Some(source) = source.upgrade() else {
                    return;
                };
                if let Err(error) = source.refresh().await {
                    tracing::warn!(
                        error = format!("{error:#}"),
                        "periodic secret refresh failed; keeping the cached credentials"
                    );
                }
            }
        });
    }

    pub async fn current(&self) -> anyhow::Result<RdsSecret> {
        if let Some(secret) = self.cached.read().await.clone() {
            return Ok(secret);
        }
        self.refresh().await
    }

    pub async fn refresh(&self) -> anyhow::Result<RdsSecret> {
        let secret = self
            .fetch(CURRENT)
            .await?
            .with_context(|| format!("secret {} has no AWSCURRENT version", self.secret_id))?;
        *self.cached.write().await = Some(secret.clone());
        crate::metrics::count(crate::metrics::Event::CredentialRefreshes);
        Ok(secret)
    }

    /// After MySQL refused `refused_password`: a fresh `AWSCURRENT`, then `AWSPENDING`, each unless it is
    /// what was refused. (Compared with the refused password, not with the cache: another connection may
    /// have refreshed the cache meanwhile. And `AWSCURRENT` may move between the two reads, taking the
    /// version `AWSPENDING` named, so with nothing new found it is read once more.)
    pub async fn candidates_after_access_denied(
        &self,
        refused_password: &str,
    ) -> anyhow::Result<Vec<RdsSecret>> {
        let refused = |secret: &RdsSecret| secret.password.expose() == refused_password;
        let mut candidates = vec![self.refresh().await?];
        if let Some(pending) = self.fetch(PENDING).await? {
            candidates.push(pending);
        }
        if candidates.iter().all(refused) {
            candidates.push(self.refresh().await?);
        }
        candidates.retain(|c| !refused(c));
        candidates.dedup();
        tracing::info!(
            candidates = candidates.len(),
            "fetched fresh database credentials after an access-denied"
        );
        Ok(candidates)
    }

    /// One stage of the secret; `None` when that stage does not exist (no rotation in progress).
    /// The stage is always named: a read without one may return a stale version on some implementations.
    async fn fetch(&self, stage: &str) -> anyhow::Result<Option<RdsSecret>> {
        let answer = self
            .client
            .get_secret_value()
            .secret_id(&self.secret_id)
            .version_stage(stage)
            .send()
            .await;
        let output = match answer {
            Ok(output) => output,
            Err(SdkError::ServiceError(e))
                if stage == PENDING
                    && matches!(e.err(), GetSecretValueError::ResourceNotFoundException(_)) =>
            {
                return Ok(None);
            }
            Err(error) => return Err(self.explain(error)),
        };
        let text = output.secret_string().with_context(|| {
            format!(
                "secret {} has no text value (binary secrets are not supported)",
                self.secret_id
            )
        })?;
        let raw = parse_raw(&self.secret_id, text)?;
        Ok(Some(RdsSecret {
            username: raw.username,
            password: raw.password,
            host: raw.host.filter(|h| !h.is_empty()),
            port: raw.port,
            dbname: raw.dbname.filter(|d| !d.is_empty()),
        }))
    }

    fn explain(&self, error: SdkError<GetSecretValueError>) -> anyhow::Error {
        let (secret, region) = (&self.secret_id, &self.region);
        let hint = match &error {
            SdkError::ServiceError(e) => match e.err() {
                GetSecretValueError::ResourceNotFoundException(_) => {
                    format!(
                        "secret {secret} does not exist in {region}: check SECRET_NAME and AWS_REGION"
                    )
                }
                other if other.meta().code() == Some("AccessDeniedException") => format!(
                    "the task role may not read secret {secret}: grant secretsmanager:GetSecretValue on its ARN"
                ),
                _ => format!("Secrets Manager refused to return secret {secret} in {region}"),
            },
            SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => {
                format!(
                    "Secrets Manager in {region} is unreachable (secret {secret}); check the network path (NAT or VPC endpoint)"
                )
            }
            _ => format!("reading secret {secret} in {region} failed"),
        };
        anyhow::anyhow!("{hint}: {}", DisplayErrorContext(&error))
    }
}

/// The secret's JSON; an error names the secret and what is wrong, never the value.
fn parse_raw(secret_id: &str, text: &str) -> anyhow::Result<RawSecret> {
    serde_json::from_str(text).map_err(|e| {
        anyhow::anyhow!(
            "secret {secret_id} is not the RDS JSON form {{\"username\",\"password\",\"host\",\"port\",\"dbname\"}} ({} at line {} column {})",
            e.classify_name(),
            e.line(),
            e.column()
        )
    })
}

trait ClassifyName {
    fn classify_name(&self) -> &'static str;
}

impl ClassifyName for serde_json::Error {
    fn classify_name(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "I/O error",
            serde_json::error::Category::Syntax => "not JSON",
            serde_json::error::Category::Data => "a field is missing or has the wrong type",
            serde_json::error::Category::Eof => "truncated JSON",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_rds_secret_parses_with_the_port_as_number_or_text_and_hides_the_password() {
        let raw: RawSecret = serde_json::from_str(
            r#"{"username":"app","password":"s3cr3t","host":"db","port":"3306","dbname":"rr","engine":"mysql"}"#,
        )
        .unwrap();
        assert_eq!(raw.port, Some(3306));
        assert!(!format!("{:?}", raw.password).contains("s3cr3t"));
        let raw: RawSecret =
            serde_json::from_str(r#"{"username":"app","password":"x","port":3307}"#).unwrap();
        assert_eq!(raw.port, Some(3307));
    }

    #[test]
    fn a_malformed_secret_error_names_the_secret_and_never_contains_the_value() {
        for (text, kind) in [
            (
                r#"{"username":"app","pass":"hunter2-value"}"#,
                "a field is missing",
            ),
            (
                r#"{"username":"app","password":"hunter2-value""#,
                "truncated JSON",
            ),
            (r#"username=app password=hunter2-value"#, "not JSON"),
            (
                r#"{"username":"app","password":"hunter2-value","port":"x-hunter2"}"#,
                "wrong type",
            ),
        ] {
            let described = format!("{:#}", parse_raw("rr/db", text).unwrap_err());
            assert!(!described.contains("hunter2"), "{described}");
            assert!(
                described.contains("secret rr/db is not the RDS JSON form")
                    && described.contains(kind),
                "{described}"
            );
        }
    }
}

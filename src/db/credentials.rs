//! Where MySQL credentials come from. Every NEW pooled connection asks; existing connections keep working
//! whatever happens to the password. Secrets Manager support plugs in as another variant.

use std::sync::Arc;

use crate::secrets::SecretSource;
use crate::sensitive::Sensitive;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DbCredentials {
    pub user: String,
    pub password: Sensitive,
}

#[derive(Clone, Debug)]
pub enum CredentialSource {
    /// `DB_USER`/`DB_PASSWORD` or the user info of a `mysql://` URL.
    Static(DbCredentials),
    /// The RDS secret named by `SECRET_NAME`, cached and refreshed on rotation.
    SecretsManager(Arc<SecretSource>),
}

impl CredentialSource {
    /// The credentials to try first.
    pub async fn current(&self) -> anyhow::Result<DbCredentials> {
        match self {
            CredentialSource::Static(credentials) => Ok(credentials.clone()),
            CredentialSource::SecretsManager(source) => Ok(source.current().await?.credentials()),
        }
    }

    /// After MySQL refused the current credentials (error 1045): further candidates to try, in order.
    pub async fn after_access_denied(
        &self,
        refused: &DbCredentials,
    ) -> anyhow::Result<Vec<DbCredentials>> {
        match self {
            CredentialSource::Static(_) => Ok(Vec::new()),
            CredentialSource::SecretsManager(source) => {
                source.candidates_after_access_denied(refused).await
            }
        }
    }
}

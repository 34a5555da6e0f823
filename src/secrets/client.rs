//! The AWS clients (Secrets Manager here; SES in `email/ses.rs` through [`sdk_config`] too): rustls with ring
//! (no aws-lc, no second TLS stack) and Mozilla's root certificates compiled in — a scratch image has no CA files to read. `AWS_ENDPOINT_URL` and the standard
//! credential chain (the ECS task role) come from aws-config as usual.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::config::Region;
use aws_smithy_http_client::tls::rustls_provider::CryptoMode;
use aws_smithy_http_client::tls::{Provider, TlsContext, TrustStore};
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use base64::Engine;

/// The HTTPS client for AWS calls (also used by the tests to talk to moto).
pub fn http_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .tls_context(
            TlsContext::builder()
                .with_trust_store(embedded_roots())
                .build()
                .expect("the embedded root certificates are valid"),
        )
        .build_https()
}

pub async fn secrets_manager(region: &str) -> Client {
    // Throttling and transient errors are retried with exponential backoff and jitter.
    Client::new(&sdk_config(region, 5, None).await)
}

/// The shared AWS configuration for one region: this HTTPS client, the standard credential chain (the ECS
/// task role), `AWS_ENDPOINT_URL` honoured; `max_attempts` tries per call with the SDK's backoff, and an
/// optional deadline for a whole call (retries included).
pub async fn sdk_config(
    region: &str,
    max_attempts: u32,
    operation_timeout: Option<Duration>,
) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .http_client(http_client())
        .retry_config(RetryConfig::standard().with_max_attempts(max_attempts));
    if let Some(limit) = operation_timeout {
        // The SDK's default connect timeout (3.1 s) kept, plus a deadline for the whole call.
        loader = loader.timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_millis(3100))
                .operation_timeout(limit)
                .build(),
        );
    }
    loader.load().await
}

fn embedded_roots() -> TrustStore {
    let mut store = TrustStore::empty().with_native_roots(false);
    for der in webpki_root_certs::TLS_SERVER_ROOT_CERTS {
        let body = base64::engine::general_purpose::STANDARD.encode(der.as_ref());
        let lines: Vec<&str> = body
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).expect("base64 is ASCII"))
            .collect();
        store.add_pem_certificate(format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            lines.join("\n")
        ));
    }
    store
}

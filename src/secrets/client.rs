//! The Secrets Manager client: rustls with ring (no aws-lc, no second TLS stack) and Mozilla's root
//! certificates compiled in — a scratch image has no CA files to read. `AWS_ENDPOINT_URL` and the standard
//! credential chain (the ECS task role) come from aws-config as usual.

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
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
    let config = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .http_client(http_client())
        // Throttling and transient errors are retried with exponential backoff and jitter.
        .retry_config(RetryConfig::standard().with_max_attempts(5))
        .load()
        .await;
    Client::new(&config)
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

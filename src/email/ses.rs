//! Amazon SES v2 `SendEmail`, through the shared AWS configuration (rustls + ring, embedded roots,
//! `AWS_ENDPOINT_URL` for moto in tests). The SDK retries a throttled call once; longer trouble is the
//! outbox's to wait out, with its own backoff, so a call never outlives `notifications.send_timeout_secs`.

use std::time::Duration;

use aws_sdk_sesv2::Client;
use aws_sdk_sesv2::error::{DisplayErrorContext, SdkError};
use aws_sdk_sesv2::operation::send_email::SendEmailError;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
use futures_util::future::BoxFuture;

use super::{Email, Mailer, SendError};

pub struct SesMailer {
    client: Client,
    from: String,
}

impl SesMailer {
    pub async fn new(region: &str, from: &str, send_timeout: Duration) -> Self {
        let config = crate::secrets::sdk_config(region, 2, Some(send_timeout)).await;
        Self {
            client: Client::new(&config),
            from: from.to_owned(),
        }
    }

    async fn send_now(&self, email: &Email) -> Result<(), SendError> {
        let text = |data: &str| {
            Content::builder()
                .data(data)
                .charset("UTF-8")
                .build()
                .map_err(|e| refused(e.to_string()))
        };
        let message = Message::builder()
            .subject(text(&email.subject)?)
            .body(
                Body::builder()
                    .text(text(&email.text)?)
                    .html(text(&email.html)?)
                    .build(),
            )
            .build();
        self.client
            .send_email()
            .from_email_address(&self.from)
            .destination(Destination::builder().to_addresses(&email.to).build())
            .content(EmailContent::builder().simple(message).build())
            .send()
            .await
            .map(|_| ())
            .map_err(classify)
    }
}

impl Mailer for SesMailer {
    fn send<'a>(&'a self, email: &'a Email) -> BoxFuture<'a, Result<(), SendError>> {
        Box::pin(self.send_now(email))
    }
}

fn refused(message: String) -> SendError {
    SendError {
        retryable: false,
        message,
    }
}

/// Everything is worth another try later (throttling, an outage, a paused account, an identity not yet
/// verified: an operator can fix those while the outbox waits) except a request SES calls malformed.
fn classify(error: SdkError<SendEmailError>) -> SendError {
    let malformed = matches!(
        &error,
        SdkError::ServiceError(e) if matches!(e.err(), SendEmailError::BadRequestException(_))
    );
    SendError {
        retryable: !malformed,
        message: format!("SES: {}", DisplayErrorContext(&error)),
    }
}

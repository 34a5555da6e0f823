//! `POST /leads`: a browser gets 303 → /thanks or a 422 re-render with inline errors; a client sending
//! `Accept: application/json` gets 201 `{"id":…}` or 422 `{"errors":{field:[msg]}}`. Nothing is stored unless
//! every rule passes, and a repeated form token stores nothing new.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use serde_json::json;

use super::landing::render;
use crate::db;
use crate::domain::LeadFormValues;
use crate::domain::form_body;
use crate::error::AppError;
use crate::forwarded::{client_ip, site_origin};
use crate::metrics::{self, Event};
use crate::state::AppState;
use crate::views::{HTML, html_response};

pub async fn submit(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let json = wants_json(&req);
    let origin = site_origin(&req, &state.settings);
    let outcome = accept_lead(&req, payload, &state).await;
    metrics::count(match &outcome {
        Ok(Outcome::Stored(_)) => Event::LeadsAccepted,
        Ok(Outcome::Invalid(..)) => Event::LeadsRejected,
        Ok(Outcome::NotNow(..)) => Event::LeadsNotStored,
        Err(AppError::TooManyRequests { .. }) => Event::LeadsRateLimited,
        Err(_) => Event::LeadsRejected,
    });
    match outcome {
        Ok(Outcome::Stored(id)) if json => Ok(HttpResponse::Created().json(json!({ "id": id }))),
        Ok(Outcome::Stored(_)) => Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/thanks"))
            .finish()),
        Ok(Outcome::Invalid(_, errors)) if json => {
            Ok(HttpResponse::UnprocessableEntity().json(json!({ "errors": errors })))
        }
        Ok(Outcome::Invalid(values, errors)) => Ok(html_response(
            StatusCode::UNPROCESSABLE_ENTITY,
            render(&values, &errors, &origin),
        )),
        Ok(Outcome::NotNow(_, error)) if json => Ok(error.json_response()),
        Ok(Outcome::NotNow(values, error)) => Ok(try_again_later(&values, &error, &origin)),
        Err(error) if json => Ok(error.json_response()),
        Err(error) => Err(error),
    }
}

enum Outcome {
    Stored(i64),
    Invalid(Box<LeadFormValues>, crate::domain::FieldErrors),
    /// Valid, but the database could not take it now: nothing stored, the visitor keeps what they typed.
    NotNow(Box<LeadFormValues>, AppError),
}

async fn accept_lead(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
) -> Result<Outcome, AppError> {
    if !is_urlencoded(req) {
        return Err(AppError::UnsupportedMediaType);
    }
    let limit = state.settings.server.body_limit_bytes;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    if declared.is_some_and(|length| length > limit) {
        return Err(AppError::PayloadTooLarge);
    }
    let body = read_limited(payload, limit).await?;
    let fields = form_body::decode(&body).map_err(|e| AppError::BadRequest(e.to_string()))?;
    let values = LeadFormValues::from_fields(fields);
    if values.is_bot() {
        // Look like success so the bot learns nothing; store nothing.
        tracing::info!("honeypot field filled; submission discarded");
        return Ok(Outcome::Stored(0));
    }
    let lead = match values.validate() {
        Ok(lead) => lead,
        Err(errors) => return Ok(Outcome::Invalid(Box::new(values), errors)),
    };
    if let Some(ip) = client_ip(req, &state.settings.server.trusted_proxies) {
        state
            .lead_limiter
            .check(ip)
            .map_err(|retry_after_secs| AppError::TooManyRequests { retry_after_secs })?;
    }
    let receipt = state
        .lead_intake
        .submit(lead)
        .await
        .and_then(|receipt| Ok((receipt.stored?, receipt.batch)));
    let (stored, batch) = match receipt {
        Ok(stored) => stored,
        Err(error) if error.retry_after_secs().is_some() => {
            return Ok(Outcome::NotNow(Box::new(values), error));
        }
        Err(error) => return Err(error),
    };
    tracing::info!(
        lead_id = stored.id(),
        created = matches!(stored, db::leads::Stored::Created(_)),
        batch,
        "lead stored"
    );
    Ok(Outcome::Stored(stored.id()))
}

fn is_urlencoded(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| {
            mime.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

fn wants_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
}

/// Reads the body, refusing it as soon as it passes `limit` (a declared Content-Length over the limit is
/// refused before a byte is read).
async fn read_limited(mut payload: web::Payload, limit: usize) -> Result<Vec<u8>, AppError> {
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| match e {
            actix_web::error::PayloadError::Overflow => AppError::PayloadTooLarge,
            other => AppError::BadRequest(format!("the request body could not be read ({other})")),
        })?;
        if body.len() + chunk.len() > limit {
            return Err(AppError::PayloadTooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The form again, as typed, with a note at the top: 503 with `Retry-After`.
fn try_again_later(values: &LeadFormValues, error: &AppError, origin: &str) -> HttpResponse {
    let mut errors = crate::domain::FieldErrors::default();
    errors.add_for(
        crate::domain::lead_field::FORM_ERROR_KEY,
        "We could not save your message just now. Please try again in a moment: everything you typed is still here.",
    );
    error
        .answer()
        .content_type(HTML)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(render(values, &errors, origin).into_string())
}

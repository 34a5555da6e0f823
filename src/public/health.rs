//! `/health.html` for the ALB (static: a DB outage never drains every task; only a task the database
//! refuses connections for want of them, while its peers are served, answers 503 so the ALB routes
//! around it) and `/readyz` for humans and deploy checks (asks the database, reports the schema version).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use maud::PreEscaped;
use serde_json::json;

use crate::metrics::{self, Event};
use crate::state::AppState;
use crate::views::html_response;

const HEALTH_PAGE: &str = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>OK</title></head><body><p>OK</p></body></html>\n";

const STARVED_PAGE: &str = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Busy</title></head><body><p>No database connection to spare</p></body></html>\n";

pub async fn health_html(state: web::Data<AppState>) -> HttpResponse {
    if state.db.starved().await {
        tracing::warn!("health check failed: this task cannot get a database connection (1040)");
        return html_response(StatusCode::SERVICE_UNAVAILABLE, PreEscaped(STARVED_PAGE));
    }
    html_response(StatusCode::OK, PreEscaped(HEALTH_PAGE))
}

pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let version = env!("CARGO_PKG_VERSION");
    let backend = state.db.backend_name();
    match state.db.migration_state().await {
        Ok(migrations) => HttpResponse::Ok()
            .insert_header(("Cache-Control", "no-store"))
            .json(json!({"status": "ready", "version": version, "backend": backend, "migrations": migrations,
                "busy_refusals": metrics::total(Event::DbBusy)})),
        Err(error) => {
            tracing::warn!(error = %error, "readiness check failed");
            HttpResponse::ServiceUnavailable()
                .insert_header(("Cache-Control", "no-store"))
                .json(json!({
                    "status": "unavailable",
                    "version": version,
                    "backend": backend,
                    "error": "the database is not answering",
                    "busy_refusals": metrics::total(Event::DbBusy),
                }))
        }
    }
}

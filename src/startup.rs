//! Building and running the server: connect + migrate, bind (port 0 in tests), serve until SIGTERM.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use anyhow::Context;

use crate::config::Settings;
use crate::db::DbPool;
use crate::error::AppError;
use crate::public::rate_limit::RateLimiter;
use crate::{admin, public, security_headers, telemetry};

/// What every handler can reach.
pub struct AppState {
    pub db: DbPool,
    pub settings: Arc<Settings>,
    pub lead_limiter: RateLimiter,
    /// Encrypts and signs the staff cookies; the same on every task.
    pub session_key: actix_web::cookie::Key,
}

pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    /// Migrates the database, then binds: by the time this returns the app can answer traffic.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let db = DbPool::connect_and_migrate(&settings.database).await?;
        let session_key = admin::session::load_key(&settings.admin, &db).await?;
        admin::setup::announce_if_needed(&db).await?;
        let address = (settings.server.host.as_str(), settings.server.port);
        let listener = TcpListener::bind(address).with_context(|| {
            format!(
                "cannot listen on {}:{}; is another process using the port? Set PORT to choose another",
                address.0, address.1
            )
        })?;
        let port = listener.local_addr()?.port();
        let state = web::Data::new(AppState {
            lead_limiter: RateLimiter::new(
                settings.leads.rate_limit_per_minute,
                settings.leads.rate_limit_burst,
            ),
            db,
            session_key,
            settings: Arc::new(settings),
        });
        let server = serve(listener, state)?;
        Ok(Self { port, server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGTERM/SIGINT: then stops accepting, lets in-flight requests finish (up to
    /// `server.shutdown_timeout_secs`), and returns.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

fn serve(listener: TcpListener, state: web::Data<AppState>) -> anyhow::Result<Server> {
    let server_settings = state.settings.server.clone();
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .wrap(from_fn(security_headers::add))
            .wrap(from_fn(telemetry::log_requests))
            .configure(public::routes)
            .configure(admin::routes)
            .default_service(web::to(|| async {
                Err::<actix_web::HttpResponse, _>(AppError::NotFound)
            }))
    })
    .shutdown_timeout(server_settings.shutdown_timeout_secs)
    .client_request_timeout(Duration::from_secs(10))
    .listen(listener)?;
    if server_settings.workers > 0 {
        server = server.workers(server_settings.workers);
    }
    Ok(server.run())
}

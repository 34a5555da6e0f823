//! Building and running the server: connect + migrate, bind (port 0 in tests), serve until SIGTERM.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};

use crate::config::Settings;
use crate::db::DbPool;
use crate::error::AppError;
use crate::state::{AppState, LeadIntake, PasswordChecks, RateLimiter};
use crate::{admin, head_requests, metrics, public, request_limits, security_headers, telemetry};

pub struct Application {
    port: u16,
    backend: &'static str,
    server: Server,
}

impl Application {
    /// Migrates the database, then binds: by the time this returns the app can answer traffic.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let db = DbPool::connect_and_migrate(&settings.database).await?;
        let session_key = admin::session::load_key(&settings.admin, &db).await?;
        admin::setup::announce_if_needed(&db, &settings.admin).await?;
        let address = (settings.server.host.as_str(), settings.server.port);
        let listener = TcpListener::bind(address).map_err(|e| {
            let hint = match e.kind() {
                std::io::ErrorKind::PermissionDenied => {
                    "ports below 1024 need root or CAP_NET_BIND_SERVICE; use PORT=8080 as the image does"
                }
                std::io::ErrorKind::AddrInUse => {
                    "another process is using the port; set PORT to choose another"
                }
                _ => "check RR_SERVER__HOST and PORT",
            };
            anyhow::anyhow!("cannot listen on {}:{} ({e}): {hint}", address.0, address.1)
        })?;
        let port = listener.local_addr()?.port();
        start_metrics(&settings, &db)?;
        if crate::db::lead_search::backlog_waiting(&db).await? {
            index_older_leads(&db);
        }
        let settings = Arc::new(settings);
        crate::jobs::spawn(db.clone(), settings.clone());
        let backend = db.backend_name();
        let lead_intake = LeadIntake::new(&settings.leads);
        let notify = crate::db::outbox::Notify::from_settings(&settings.notifications);
        lead_intake.start(&db, &settings.leads, notify);
        let state = web::Data::new(AppState {
            lead_intake,
            lead_limiter: RateLimiter::new(
                settings.leads.rate_limit_per_minute,
                settings.leads.rate_limit_burst,
            ),
            password_checks: PasswordChecks::new(settings.admin.max_concurrent_password_checks),
            db,
            session_key,
            settings,
        });
        let server = serve(listener, state)?;
        Ok(Self {
            port,
            backend,
            server,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `sqlite` or `mysql`: the database this app is serving from.
    pub fn backend(&self) -> &'static str {
        self.backend
    }

    /// Serves until SIGTERM/SIGINT: then stops accepting, lets in-flight requests finish (up to
    /// `server.shutdown_timeout_secs`), and returns.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Leads stored before the search index existed are indexed in the background: the app serves meanwhile,
/// and a search finds them as soon as their batch is done. (Started only when some wait: a task dropped
/// mid-query at shutdown is a panic in diesel-async's SQLite wrapper on a single-threaded runtime.)
fn index_older_leads(db: &DbPool) {
    let db = db.clone();
    actix_web::rt::spawn(async move {
        if let Err(error) = crate::db::lead_search::backfill(&db).await {
            tracing::warn!(%error, "indexing older leads for search stopped; the next boot carries on");
        }
    });
}

/// The EMF writer and, when configured, the Prometheus listener (its own port: never the public one).
fn start_metrics(settings: &Settings, db: &DbPool) -> anyhow::Result<()> {
    let config = &settings.metrics;
    if config.emf {
        let db = db.clone();
        metrics::emf::spawn(
            config.namespace.clone(),
            Duration::from_secs(config.flush_interval_secs),
            move || crate::db::pool_gauges(&db),
            telemetry::write_record,
        );
    }
    if config.prometheus_addr.is_empty() {
        return Ok(());
    }
    let db = db.clone();
    let server = HttpServer::new(move || {
        let db = db.clone();
        App::new().route(
            "/metrics",
            web::get().to(move || {
                let text = metrics::prometheus::render(&metrics::totals(crate::db::pool_gauges(&db)));
                async move {
                    actix_web::HttpResponse::Ok()
                        .content_type("text/plain; version=0.0.4; charset=utf-8")
                        .body(text)
                }
            }),
        )
    })
    .workers(1)
    .bind(config.prometheus_addr.as_str())
    .map_err(|e| {
        anyhow::anyhow!(
            "cannot listen on metrics.prometheus_addr {} ({e}): choose a free host:port, or leave it empty",
            config.prometheus_addr
        )
    })?;
    let port = server.addrs().first().map_or(0, |a| a.port());
    tracing::info!(port, address = %config.prometheus_addr, "metrics listening");
    actix_web::rt::spawn(server.run());
    Ok(())
}

fn serve(listener: TcpListener, state: web::Data<AppState>) -> anyhow::Result<Server> {
    let server_settings = state.settings.server.clone();
    let workers = match server_settings.workers {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    };
    let open_files = request_limits::raise_open_files_limit();
    let connections = request_limits::connections_per_worker(
        server_settings.max_connections_per_worker,
        workers,
        open_files,
    );
    tracing::info!(
        workers,
        open_files,
        connections_per_worker = connections,
        header_read_timeout_secs = server_settings.header_read_timeout_secs,
        request_timeout_secs = server_settings.request_timeout_secs,
        password_checks = state.settings.admin.max_concurrent_password_checks,
        trusted_proxies = %server_settings.trusted_proxies,
        "connection limits"
    );
    let deadline = Duration::from_secs(server_settings.request_timeout_secs);
    let request_log = telemetry::RequestLog {
        health_checks: state.settings.log.health_checks,
        json: state.settings.log.format == crate::config::LogFormat::Json,
    };
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .wrap(from_fn(move |req, next| {
                request_limits::enforce_deadline(deadline, req, next)
            }))
            // Outside the deadline: rewriting the method needs the only handle on the request.
            .wrap(from_fn(head_requests::route_as_get))
            .wrap(from_fn(security_headers::add))
            .wrap(from_fn(move |req, next| {
                telemetry::log_requests(request_log, req, next)
            }))
            .configure(public::routes)
            .configure(admin::routes)
            .default_service(web::to(|| async {
                Err::<actix_web::HttpResponse, _>(AppError::NotFound)
            }))
    })
    .workers(workers)
    .max_connections(connections)
    .shutdown_timeout(server_settings.shutdown_timeout_secs)
    .client_request_timeout(Duration::from_secs(
        server_settings.header_read_timeout_secs,
    ))
    .listen(listener)?;
    Ok(server.run())
}

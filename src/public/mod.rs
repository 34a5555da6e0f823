//! What visitors and the load balancer see: the marketing site, the lead form, health endpoints.

mod assets;
mod content;
mod health;
mod landing;
mod leads;
mod pages;

use actix_web::web;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(landing::show))
        .route("/leads", web::post().to(leads::submit))
        .route("/thanks", web::get().to(pages::thanks))
        .route("/privacy", web::get().to(pages::privacy))
        .route("/health.html", web::get().to(health::health_html))
        .route("/readyz", web::get().to(health::readyz))
        .route("/assets/{path:.+}", web::get().to(assets::serve));
}

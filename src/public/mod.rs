//! What visitors and the load balancer see: the marketing site, the lead form, health endpoints.

mod assets;
mod content;
mod crawlers;
mod health;
mod landing;
mod leads;
mod news;
mod pages;
mod structured_data;

use actix_web::web;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(landing::show))
        .route("/leads", web::post().to(leads::submit))
        .route("/thanks", web::get().to(pages::thanks))
        .route("/privacy", web::get().to(pages::privacy))
        .route("/news", web::post().to(news::submit))
        .route("/news/thanks", web::get().to(news::thanks))
        .route("/robots.txt", web::get().to(crawlers::robots))
        .route("/sitemap.xml", web::get().to(crawlers::sitemap))
        .route("/favicon.ico", web::get().to(assets::favicon))
        .route(
            "/apple-touch-icon.png",
            web::get().to(assets::apple_touch_icon),
        )
        .route("/health.html", web::get().to(health::health_html))
        .route("/readyz", web::get().to(health::readyz))
        .route("/assets/{path:.+}", web::get().to(assets::serve));
}

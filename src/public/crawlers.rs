//! What crawlers look for at well-known paths: `robots.txt` (the site is open, the staff area is not) and
//! a sitemap of the public pages, both with absolute URLs under the site's origin.

use actix_web::{HttpRequest, HttpResponse, web};

use crate::forwarded::site_origin;
use crate::state::AppState;

/// The pages worth indexing.
const PUBLIC_PAGES: &[&str] = &["/", "/privacy"];

pub async fn robots(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let origin = site_origin(&req, &state.settings);
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(format!(
            "User-agent: *\nAllow: /\nDisallow: /admin\n\nSitemap: {origin}/sitemap.xml\n"
        ))
}

pub async fn sitemap(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let origin = site_origin(&req, &state.settings);
    let mut body = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for page in PUBLIC_PAGES {
        // The origin is a checked host name or the configured address: nothing in it needs escaping.
        body.push_str(&format!("  <url><loc>{origin}{page}</loc></url>\n"));
    }
    body.push_str("</urlset>\n");
    HttpResponse::Ok()
        .content_type("application/xml; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(body)
}

//! `GET /assets/{path}`: the embedded files, with `Cache-Control: immutable` under content-hashed names, an
//! ETag, and the gzip/brotli variant build.rs prepared when the client accepts it.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};

use crate::assets;
use crate::error::AppError;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Unhashed names (e.g. a bookmarked `/assets/img/logo.svg`) must revalidate.
const REVALIDATE: &str = "public, max-age=0, must-revalidate";

pub async fn serve(req: HttpRequest, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    respond(&req, &path.into_inner())
}

/// `GET /favicon.ico`: where browsers and feed readers look without being told.
pub async fn favicon(req: HttpRequest) -> Result<HttpResponse, AppError> {
    respond(&req, "img/favicon.ico")
}

/// `GET /apple-touch-icon.png`: what iOS (and many link previews) fetch for a home-screen icon.
pub async fn apple_touch_icon(req: HttpRequest) -> Result<HttpResponse, AppError> {
    respond(&req, "img/apple-touch-icon.png")
}

fn respond(req: &HttpRequest, requested: &str) -> Result<HttpResponse, AppError> {
    let asset = assets::find(requested).ok_or(AppError::NotFound)?;
    let cache_control = if asset.hashed { IMMUTABLE } else { REVALIDATE };
    let encoding = preferred_encoding(req, asset.logical);
    let etag = match encoding {
        Some(enc) => format!("{}-{enc}\"", asset.etag.trim_end_matches('"')),
        None => asset.etag.to_owned(),
    };
    let not_modified = if_none_match(req, &etag);
    let mut response = if not_modified {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::CACHE_CONTROL, cache_control))
        .insert_header((header::ETAG, etag))
        .insert_header((header::VARY, "Accept-Encoding"));
    if not_modified {
        return Ok(response.finish());
    }
    let stored_name = match encoding {
        Some(enc) => format!(
            "{}.{}",
            asset.logical,
            if enc == "br" { "br" } else { "gz" }
        ),
        None => asset.logical.to_owned(),
    };
    let data = assets::bytes(&stored_name).ok_or(AppError::NotFound)?;
    if let Some(enc) = encoding {
        response.insert_header((header::CONTENT_ENCODING, HeaderValue::from_static(enc)));
    }
    let body = match data {
        // Release builds embed the bytes in the binary: send them without copying.
        std::borrow::Cow::Borrowed(bytes) => web::Bytes::from_static(bytes),
        std::borrow::Cow::Owned(bytes) => web::Bytes::from(bytes),
    };
    Ok(response.content_type(content_type(asset.mime)).body(body))
}

fn content_type(mime: &str) -> String {
    let text =
        mime.starts_with("text/") || mime == "application/javascript" || mime == "image/svg+xml";
    if text {
        format!("{mime}; charset=utf-8")
    } else {
        mime.to_owned()
    }
}

/// Picks `br` over `gzip` when the client accepts it (q > 0) and a variant was built for this file.
fn preferred_encoding(req: &HttpRequest, logical: &str) -> Option<&'static str> {
    let accepted = req.headers().get(header::ACCEPT_ENCODING)?.to_str().ok()?;
    let accepts = |name: &str| {
        accepted.split(',').any(|item| {
            let mut parts = item.split(';').map(str::trim);
            parts.next() == Some(name)
                && !parts.any(|p| p.replace(' ', "") == "q=0" || p.replace(' ', "") == "q=0.0")
        })
    };
    if accepts("br") && assets::bytes(&format!("{logical}.br")).is_some() {
        Some("br")
    } else if accepts("gzip") && assets::bytes(&format!("{logical}.gz")).is_some() {
        Some("gzip")
    } else {
        None
    }
}

fn if_none_match(req: &HttpRequest, etag: &str) -> bool {
    req.headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|tag| tag.trim() == etag || tag.trim() == "*")
        })
}

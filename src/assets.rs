//! Embedded static files under content-hashed URLs (`/assets/css/site.1a2b3c4d.css`), served with
//! `Cache-Control: immutable`, an ETag, and the gzip/brotli variant build.rs prepared when the client accepts
//! it. Pages ask [`url`] for an asset's address, so a changed file gets a new URL and no stale cache.

use std::collections::HashMap;
use std::sync::LazyLock;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use rust_embed::RustEmbed;

use crate::error::AppError;

#[derive(RustEmbed)]
#[folder = "$OUT_DIR/assets"]
struct Embedded;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Unhashed names (e.g. a bookmarked `/assets/img/logo.svg`) must revalidate.
const REVALIDATE: &str = "public, max-age=0, must-revalidate";

struct Asset {
    logical: String,
    url: String,
    etag: String,
    mime: String,
}

struct Index {
    by_logical: HashMap<String, Asset>,
    /// Hashed path (as in the URL, without `/assets/`) → logical path.
    by_hashed: HashMap<String, String>,
}

static INDEX: LazyLock<Index> = LazyLock::new(|| {
    let mut by_logical = HashMap::new();
    let mut by_hashed = HashMap::new();
    for path in Embedded::iter().filter(|p| !p.ends_with(".gz") && !p.ends_with(".br")) {
        let file = Embedded::get(&path).expect("listed asset exists");
        let hash: String = file
            .metadata
            .sha256_hash()
            .iter()
            .take(4)
            .map(|b| format!("{b:02x}"))
            .collect();
        let hashed = hashed_name(&path, &hash);
        let asset = Asset {
            logical: path.to_string(),
            url: format!("/assets/{hashed}"),
            etag: format!("\"{hash}\""),
            mime: file.metadata.mimetype().to_owned(),
        };
        by_hashed.insert(hashed, path.to_string());
        by_logical.insert(path.to_string(), asset);
    }
    Index {
        by_logical,
        by_hashed,
    }
});

fn hashed_name(path: &str, hash: &str) -> String {
    match path.rsplit_once('.') {
        Some((stem, ext)) if !stem.ends_with('/') => format!("{stem}.{hash}.{ext}"),
        _ => format!("{path}.{hash}"),
    }
}

/// The URL of an embedded asset. Panics on a name that is not embedded: that is a bug a test catches at once.
pub fn url(logical: &str) -> &'static str {
    match INDEX.by_logical.get(logical) {
        Some(asset) => &asset.url,
        None => panic!("asset {logical} is not embedded (is it under assets/?)"),
    }
}

/// Whether an asset is embedded (for optional images).
pub fn exists(logical: &str) -> bool {
    INDEX.by_logical.contains_key(logical)
}

pub async fn serve(req: HttpRequest, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let requested = path.into_inner();
    let (asset, cache_control) = match INDEX.by_hashed.get(&requested) {
        Some(logical) => (&INDEX.by_logical[logical], IMMUTABLE),
        None => (
            INDEX.by_logical.get(&requested).ok_or(AppError::NotFound)?,
            REVALIDATE,
        ),
    };
    let encoding = preferred_encoding(&req, &asset.logical);
    let etag = match encoding {
        Some(enc) => format!("{}-{enc}\"", asset.etag.trim_end_matches('"')),
        None => asset.etag.clone(),
    };
    let not_modified = if_none_match(&req, &etag);
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
        None => asset.logical.clone(),
    };
    let file = Embedded::get(&stored_name).ok_or(AppError::NotFound)?;
    if let Some(enc) = encoding {
        response.insert_header((header::CONTENT_ENCODING, HeaderValue::from_static(enc)));
    }
    let body = match file.data {
        // Release builds embed the bytes in the binary: send them without copying.
        std::borrow::Cow::Borrowed(bytes) => web::Bytes::from_static(bytes),
        std::borrow::Cow::Owned(bytes) => web::Bytes::from(bytes),
    };
    Ok(response.content_type(content_type(&asset.mime)).body(body))
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
    if accepts("br") && Embedded::get(&format!("{logical}.br")).is_some() {
        Some("br")
    } else if accepts("gzip") && Embedded::get(&format!("{logical}.gz")).is_some() {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names_keep_the_extension_last() {
        assert_eq!(
            hashed_name("css/site.css", "abcd1234"),
            "css/site.abcd1234.css"
        );
        assert_eq!(hashed_name("LICENSE", "abcd1234"), "LICENSE.abcd1234");
    }
}

//! Embedded static files under content-hashed URLs (`/assets/css/site.1a2b3c4d.css`): lookup only, no HTTP.
//! Pages ask [`url`] for an asset's address, so a changed file gets a new URL and no stale cache; the
//! `/assets/` handler (`public/assets.rs`) asks [`find`] and [`bytes`] and adds caching and compression.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::LazyLock;

use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "$OUT_DIR/assets"]
struct Embedded;

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

/// An embedded file, found by the path a request named (hashed or logical).
pub struct Found {
    /// The logical name (`css/site.css`): also the stored name of its uncompressed bytes.
    pub logical: &'static str,
    /// The quoted content hash, `"1a2b3c4d"`.
    pub etag: &'static str,
    pub mime: &'static str,
    /// The request named the content-hashed URL, whose bytes never change.
    pub hashed: bool,
}

/// Looks up a requested path (without `/assets/`): the hashed name first, then the logical one.
pub fn find(requested: &str) -> Option<Found> {
    let (asset, hashed) = match INDEX.by_hashed.get(requested) {
        Some(logical) => (&INDEX.by_logical[logical], true),
        None => (INDEX.by_logical.get(requested)?, false),
    };
    Some(Found {
        logical: &asset.logical,
        etag: &asset.etag,
        mime: &asset.mime,
        hashed,
    })
}

/// The stored bytes of a file or of a variant build.rs prepared (`css/site.css.br`, `….gz`).
pub fn bytes(stored_name: &str) -> Option<Cow<'static, [u8]>> {
    Embedded::get(stored_name).map(|file| file.data)
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

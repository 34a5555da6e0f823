//! `[site]`: how the site names itself to the outside world.

use serde::{Deserialize, Deserializer};

/// The public address of the site (`https://www.ritualroast.example`), checked at load time: an `http` or
/// `https` origin with an optional path, no trailing slash, nothing that would need escaping in HTML or XML.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublicUrl(Option<String>);

impl PublicUrl {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let url = raw.trim().trim_end_matches('/');
        if url.is_empty() {
            return Ok(Self(None));
        }
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .ok_or_else(|| {
                format!("site.public_url must start with https:// or http:// (got {url:?})")
            })?;
        let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
        if !is_host(host) || !path.bytes().all(is_path_byte) {
            return Err(format!(
                "site.public_url {url:?} is not a plain address like https://www.example.com"
            ));
        }
        Ok(Self(Some(url.to_owned())))
    }

    /// The configured address without a trailing slash, if one is configured.
    pub fn get(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

/// A host name or address with an optional port: letters, digits, dots, hyphens, `[ ]` and `:` (IPv6).
pub fn is_host(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 255
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
}

fn is_path_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~/".contains(&b)
}

impl<'de> Deserialize<'de> for PublicUrl {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        PublicUrl::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct SiteSettings {
    pub public_url: PublicUrl,
}

#[cfg(test)]
mod tests {
    use super::PublicUrl;

    #[test]
    fn a_plain_address_is_kept_without_its_trailing_slash() {
        assert_eq!(
            PublicUrl::parse("https://www.ritualroast.example/")
                .unwrap()
                .get(),
            Some("https://www.ritualroast.example")
        );
        assert_eq!(PublicUrl::parse("").unwrap().get(), None);
    }

    #[test]
    fn anything_else_is_refused_with_the_form_to_use() {
        for bad in [
            "www.example.com",
            "ftp://x.example",
            "https://x.example/?a=b",
            "https://x\".example",
            "https://",
        ] {
            let error = PublicUrl::parse(bad).unwrap_err();
            assert!(error.contains("https://"), "{bad}: {error}");
        }
    }
}

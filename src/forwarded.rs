//! Who is on the other end of a request. Forwarding headers (`X-Forwarded-For`, `X-Forwarded-Proto`) are
//! believed only when the TCP peer is one of `server.trusted_proxies` (the ALB's subnets); anyone else could
//! write them. `X-Forwarded-Host` and `Forwarded` are never read: the ALB keeps `Host` as the browser sent it.

use std::net::IpAddr;

use actix_web::HttpRequest;
use actix_web::http::header;

pub use crate::config::TrustedProxies;
use crate::config::{Settings, canonical_ip, is_host};

/// The client's address: the TCP peer, unless that peer is a trusted proxy; then the rightmost
/// `X-Forwarded-For` entry (all header lines together) that is not itself a trusted proxy. Entries left of
/// it were written by the client and prove nothing.
pub fn client_ip(req: &HttpRequest, trusted: &TrustedProxies) -> Option<IpAddr> {
    let peer = req.peer_addr().map(|a| canonical_ip(a.ip()));
    if !vouches_for(trusted, req) {
        return peer;
    }
    let mut hops: Vec<&str> = Vec::new();
    for line in req.headers().get_all("x-forwarded-for") {
        let Ok(line) = line.to_str() else {
            return peer;
        };
        hops.extend(line.split(','));
    }
    for hop in hops.iter().rev() {
        let Some(ip) = parse_hop(hop) else {
            // Garbage from here leftwards was written by someone we cannot vouch for.
            return peer;
        };
        if !trusted.contains(ip) {
            return Some(ip);
        }
    }
    // Every hop is a trusted proxy (health checks from inside the VPC): the first one is the client.
    hops.first().and_then(|hop| parse_hop(hop)).or(peer)
}

/// Whether the visitor reached us over HTTPS: a TLS listener of ours, or a trusted proxy saying so.
pub fn is_https(req: &HttpRequest, trusted: &TrustedProxies) -> bool {
    if req.app_config().secure() {
        return true;
    }
    vouches_for(trusted, req)
        && req
            .headers()
            .get_all("x-forwarded-proto")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .next_back()
            .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"))
}

/// The host the browser asked for: the `Host` header (or the HTTP/2 authority), never a forwarded one.
pub fn host(req: &HttpRequest) -> Option<&str> {
    req.headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| req.uri().authority().map(|a| a.as_str()))
}

/// The site's own origin for absolute links (sitemap, link previews): `site.public_url` when configured,
/// else the scheme and `Host` of this request. A `Host` that is not a plain host name is never echoed
/// back: such a request gets `http://localhost`.
pub fn site_origin(req: &HttpRequest, settings: &Settings) -> String {
    if let Some(configured) = settings.site.public_url.get() {
        return configured.to_owned();
    }
    let scheme = if is_https(req, &settings.server.trusted_proxies) {
        "https"
    } else {
        "http"
    };
    let host = host(req).filter(|h| is_host(h)).unwrap_or("localhost");
    format!("{scheme}://{host}")
}

fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    hop.parse::<IpAddr>()
        .ok()
        // "[2001:db8::1]:443" and "192.0.2.1:443" as some proxies write them.
        .or_else(|| hop.parse::<std::net::SocketAddr>().ok().map(|s| s.ip()))
        .map(canonical_ip)
}

/// IPv4 peers of a dual-stack socket arrive as `::ffff:a.b.c.d`.
/// The request came straight from a proxy we trust.
fn vouches_for(trusted: &TrustedProxies, req: &HttpRequest) -> bool {
    !trusted.is_empty()
        && req
            .peer_addr()
            .is_some_and(|peer| trusted.contains(peer.ip()))
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    fn proxies(list: &str) -> TrustedProxies {
        list.parse().unwrap()
    }

    fn from(peer: &str) -> TestRequest {
        TestRequest::default().peer_addr(format!("{peer}:40000").parse().unwrap())
    }

    #[test]
    fn with_no_trusted_proxy_the_peer_is_the_client_whatever_the_headers_say() {
        let req = from("198.51.100.7")
            .insert_header(("X-Forwarded-For", "203.0.113.9"))
            .insert_header(("X-Forwarded-Proto", "https"))
            .to_http_request();
        let none = TrustedProxies::default();
        assert_eq!(
            client_ip(&req, &none),
            Some("198.51.100.7".parse().unwrap())
        );
        assert!(!is_https(&req, &none));
    }

    #[test]
    fn an_untrusted_peer_cannot_pick_its_address_even_when_proxies_are_configured() {
        let req = from("198.51.100.7")
            .insert_header(("X-Forwarded-For", "203.0.113.9"))
            .insert_header(("X-Forwarded-Proto", "https"))
            .to_http_request();
        let alb = proxies("10.0.0.0/16");
        assert_eq!(client_ip(&req, &alb), Some("198.51.100.7".parse().unwrap()));
        assert!(!is_https(&req, &alb));
    }

    #[test]
    fn behind_a_trusted_proxy_the_client_is_the_rightmost_untrusted_hop_across_all_header_lines() {
        let req = from("10.0.1.5")
            .append_header(("X-Forwarded-For", "1.1.1.1, 203.0.113.9"))
            .append_header(("X-Forwarded-For", "10.0.2.8"))
            .insert_header(("X-Forwarded-Proto", "https"))
            .to_http_request();
        let alb = proxies("10.0.0.0/16");
        assert_eq!(client_ip(&req, &alb), Some("203.0.113.9".parse().unwrap()));
        assert!(is_https(&req, &alb));
    }

    #[test]
    fn a_garbage_hop_stops_the_walk_at_the_proxy() {
        let req = from("10.0.1.5")
            .insert_header(("X-Forwarded-For", "203.0.113.9, not-an-ip"))
            .to_http_request();
        assert_eq!(
            client_ip(&req, &proxies("10.0.0.0/16")),
            Some("10.0.1.5".parse().unwrap())
        );
    }

    #[test]
    fn the_host_is_never_taken_from_forwarding_headers() {
        let req = from("10.0.1.5")
            .insert_header(("Host", "ritualroast.example"))
            .insert_header(("X-Forwarded-Host", "evil.example"))
            .insert_header(("Forwarded", "host=evil.example;proto=https"))
            .to_http_request();
        assert_eq!(host(&req), Some("ritualroast.example"));
        assert!(!is_https(&req, &TrustedProxies::default()));
    }
}

//! The visitor's address for rate limiting. Behind the ALB the peer is the balancer, which appends the
//! client's address to `X-Forwarded-For`; only that last entry is trustworthy (earlier ones are client-set).

use std::net::IpAddr;

use actix_web::HttpRequest;

pub fn client_ip(req: &HttpRequest, trust_proxy_headers: bool) -> Option<IpAddr> {
    if trust_proxy_headers {
        let forwarded = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|last| last.trim().parse().ok());
        if forwarded.is_some() {
            return forwarded;
        }
    }
    req.peer_addr().map(|a| a.ip())
}

/// Whether the visitor reached us over HTTPS (directly, or via the ALB's `X-Forwarded-Proto`).
pub fn is_https(req: &HttpRequest, trust_proxy_headers: bool) -> bool {
    let forwarded_https = trust_proxy_headers
        && req
            .headers()
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("https"));
    forwarded_https || req.connection_info().scheme() == "https"
}

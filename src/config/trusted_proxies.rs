//! `server.trusted_proxies`: the proxies whose forwarding headers we believe. Only the list and its parsing
//! live here; what a request's headers mean behind such a proxy is `forwarded.rs`.

use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;
use serde::Deserialize;

/// The proxies whose forwarding headers we believe: a list of CIDR blocks (a bare address is a /32 or /128).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical_ip(ip);
        self.0.iter().any(|net| net.contains(&ip))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Display for TrustedProxies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let list: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&list.join(","))
    }
}

impl FromStr for TrustedProxies {
    type Err = String;

    /// Comma- or space-separated CIDR blocks or addresses; empty means "trust no proxy".
    fn from_str(list: &str) -> Result<Self, Self::Err> {
        list.split([',', ' '])
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                entry
                    .parse::<IpNet>()
                    .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                    .map(|net| net.trunc())
                    .map_err(|_| {
                        format!(
                            "server.trusted_proxies: `{entry}` is not an address or CIDR block \
                             (e.g. 10.0.0.0/16)"
                        )
                    })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }
}

impl<'de> Deserialize<'de> for TrustedProxies {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Written {
            One(String),
            Many(Vec<String>),
        }
        let list = match Written::deserialize(deserializer)? {
            Written::One(list) => list,
            Written::Many(items) => items.join(","),
        };
        list.parse().map_err(serde::de::Error::custom)
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`) as the IPv4 address they are.
pub fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn proxies(list: &str) -> TrustedProxies {
        list.parse().unwrap()
    }

    #[test]
    fn the_list_takes_blocks_and_bare_addresses_and_refuses_nonsense() {
        let list = proxies("10.0.0.0/16, 192.0.2.1 ::1");
        assert!(list.contains("10.0.255.1".parse().unwrap()));
        assert!(list.contains("192.0.2.1".parse().unwrap()));
        assert!(list.contains("::1".parse().unwrap()));
        assert!(!list.contains("192.0.2.2".parse().unwrap()));
        assert!(
            "10.0.0.0/99"
                .parse::<TrustedProxies>()
                .unwrap_err()
                .contains("10.0.0.0/99")
        );
        assert!(proxies("").is_empty());
    }
}

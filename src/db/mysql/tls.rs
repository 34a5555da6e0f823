//! TLS to MySQL. `auto` requires TLS for any host that is not loopback. Servers are verified against the
//! embedded RDS CA bundle (when built with it, see certs/README.md), the built-in web roots, and an optional
//! extra CA file (`database.extra_ca_file`, e.g. a private CA or a test CA).

use std::net::IpAddr;

use anyhow::Context;
use mysql_async::SslOpts;

use crate::config::{DatabaseSettings, TlsMode};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/rds_ca.rs"));
}

pub(super) fn ssl_opts(host: &str, settings: &DatabaseSettings) -> anyhow::Result<Option<SslOpts>> {
    let required = match settings.tls {
        TlsMode::Require => true,
        TlsMode::Disable => false,
        TlsMode::Auto => !is_loopback(host),
    };
    if !required {
        return Ok(None);
    }
    // `PathOrBuf` is not exported by mysql_async; its `From` impls are how to build one.
    let mut roots = Vec::new();
    if let Some(bundle) = embedded::RDS_CA_BUNDLE {
        roots.push(bundle.into());
    } else if host.ends_with(".rds.amazonaws.com") {
        tracing::warn!(
            "this build carries no RDS CA bundle; set RR_DATABASE__EXTRA_CA_FILE to the RDS global bundle"
        );
    }
    if !settings.extra_ca_file.is_empty() {
        let pem = std::fs::read(&settings.extra_ca_file).with_context(|| {
            format!(
                "cannot read database.extra_ca_file {}; point it at a PEM CA file",
                settings.extra_ca_file
            )
        })?;
        roots.push(pem.into());
    }
    Ok(Some(SslOpts::default().with_root_certs(roots)))
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;

    use super::{embedded, is_loopback};

    #[test]
    fn the_binary_carries_the_rds_root_cas_and_every_one_parses() {
        let bundle = embedded::RDS_CA_BUNDLE.expect("certs/rds-global-bundle.pem is embedded");
        let certs: Vec<_> = CertificateDer::pem_slice_iter(bundle)
            .collect::<Result<_, _>>()
            .expect("every certificate in the bundle parses");
        assert_eq!(certs.len(), 90, "the 90 G1 roots of certs/README.md");
    }

    #[test]
    fn loopback_hosts_are_recognised() {
        assert!(is_loopback("127.0.0.1") && is_loopback("localhost") && is_loopback("::1"));
        assert!(
            !is_loopback("db.cluster-x.eu-west-1.rds.amazonaws.com") && !is_loopback("10.0.0.5")
        );
    }
}

//! The SSRF guard of external deliveries: a user-given URL must not reach this server's own
//! network. Hosts resolving to loopback, private, link-local, shared (CGNAT), unspecified,
//! multicast or unique-local addresses are refused unless an administrator allow-listed the
//! host (`alerts.allow_private_hosts`). The shared HTTP client resolves names through
//! [`GuardedResolver`], so the address checked is the address connected to (no DNS rebinding);
//! IP-literal URLs are checked by [`check_url`] before sending.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// A destination refused by the guard (found in a request error's source chain: retrying
/// cannot help).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

/// Whether an address belongs to a range a delivery may not reach.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_internal(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
        }
    }
}

/// The allow-list of hosts that may resolve to internal addresses.
#[derive(Debug, Clone, Default)]
pub struct AllowList(Arc<Vec<String>>);

impl AllowList {
    /// From `alerts.allow_private_hosts` (host names or IP addresses, case-insensitive).
    pub fn new(hosts: &[String]) -> Self {
        Self(Arc::new(hosts.iter().map(|h| h.to_lowercase()).collect()))
    }

    /// Whether `host` is allow-listed.
    pub fn allows(&self, host: &str) -> bool {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        self.0.iter().any(|h| h.eq_ignore_ascii_case(host))
    }
}

/// Refuses a URL whose host is an internal IP literal that is not allow-listed (names are
/// checked at resolution).
pub fn check_url(url: &str, allow: &AllowList) -> Result<(), String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("bad URL: {e}"))?;
    let ip = match parsed.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip),
        Some(url::Host::Domain(_)) => return Ok(()),
        None => return Err("URL without a host".into()),
    };
    if is_internal(ip) && !allow.allows(&ip.to_string()) {
        return Err(format!(
            "{ip} is an internal address; deliveries there are refused"
        ));
    }
    Ok(())
}

/// A DNS resolver that drops internal addresses of hosts not allow-listed.
#[derive(Debug, Clone)]
pub struct GuardedResolver {
    allow: AllowList,
}

impl GuardedResolver {
    /// A resolver with the given allow-list.
    pub fn new(allow: AllowList) -> Self {
        Self { allow }
    }
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow = self.allow.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed = allow.allows(&host);
            let usable: Vec<SocketAddr> = found
                .into_iter()
                .filter(|a| allowed || !is_internal(a.ip()))
                .collect();
            if usable.is_empty() {
                return Err(Box::new(Refused(format!(
                    "{host} resolves only to internal addresses; deliveries there are refused"
                )))
                    as Box<dyn std::error::Error + Send + Sync>);
            }
            let addrs: Addrs = Box::new(usable.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_private_and_link_local_addresses_are_internal() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_internal(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "2606:4700::1111", "8.8.8.8"] {
            assert!(!is_internal(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn an_internal_ip_literal_is_refused_unless_allow_listed() {
        let none = AllowList::default();
        assert!(check_url("http://127.0.0.1:9/x", &none).is_err());
        assert!(check_url("http://[::1]/x", &none).is_err());
        assert!(check_url("https://example.com/x", &none).is_ok());
        let some = AllowList::new(&["127.0.0.1".into()]);
        assert!(check_url("http://127.0.0.1:9/x", &some).is_ok());
    }
}

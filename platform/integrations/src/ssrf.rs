//! The SSRF guard of webhook deliveries: customer URLs may reach only public addresses —
//! no loopback, private, link-local (cloud metadata), shared, ULA, multicast, reserved or
//! IPv4-mapped/compatible addresses, NAT64 local-use, nor an IPv6 address that leads to an
//! internal IPv4 one (6to4, Teredo, well-known NAT64) — checked on the URL at creation and again on every
//! address DNS returns at connect time (so a name cannot be re-pointed inward later).
//! `ATRIUM_WEBHOOKS_ALLOW_PRIVATE=true` lifts it for development.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..=127).contains(&b))
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (18..=19).contains(&b))
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    let internal = ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || ip.to_ipv4_mapped().is_some() // ::ffff:0:0/96, whatever it embeds
        || s[..6].iter().all(|&x| x == 0) // IPv4-compatible ::/96, whatever it embeds
        || (s[0] & 0xfe00) == 0xfc00 // unique local
        || (s[0] & 0xffc0) == 0xfe80 // link local
        || (s[0] == 0x64 && s[1] == 0xff9b && !is_nat64_well_known(&s)) // NAT64 local use (64:ff9b:1::/48) and the rest of 64:ff9b::/32
        || (s[0] == 0x2001 && s[1] == 0x0db8); // documentation
    !internal && embedded_ipv4(ip).iter().all(|v4| is_public_v4(*v4))
}

/// The well-known NAT64 prefix `64:ff9b::/96` (RFC 6052).
fn is_nat64_well_known(s: &[u16; 8]) -> bool {
    s[0] == 0x64 && s[1] == 0xff9b && s[2..6].iter().all(|&x| x == 0)
}

/// The IPv4 addresses an IPv6 address leads to by a translation or tunnelling mechanism:
/// IPv4-mapped and -compatible (the low 32 bits), NAT64 with the well-known prefix (the
/// low 32 bits), 6to4 `2002::/16` (bits 16–47) and Teredo `2001::/32` (the server in bits
/// 32–63, the client in the low 32 bits, inverted). A connection to the IPv6 address can
/// reach them, so each must pass the IPv4 rules.
fn embedded_ipv4(ip: Ipv6Addr) -> Vec<Ipv4Addr> {
    let s = ip.segments();
    let v4 = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    if ip.to_ipv4_mapped().is_some() || s[..6].iter().all(|&x| x == 0) || is_nat64_well_known(&s) {
        vec![v4(s[6], s[7])]
    } else if s[0] == 0x2002 {
        vec![v4(s[1], s[2])]
    } else if s[0] == 0x2001 && s[1] == 0 {
        vec![v4(s[2], s[3]), v4(!s[6], !s[7])]
    } else {
        Vec::new()
    }
}

/// Checks a webhook URL: http(s), no credentials, and (unless private addresses are
/// allowed) a host that is or resolves only to public addresses.
pub async fn check_url(raw: &str, allow_private: bool) -> Result<Url, String> {
    let url = Url::parse(raw).map_err(|_| "must be an absolute http(s) URL".to_owned())?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("must use http or https".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not carry credentials".into());
    }
    if raw.len() > 2000 {
        return Err("must be at most 2000 characters".into());
    }
    let host = url.host().ok_or_else(|| "must name a host".to_owned())?;
    if allow_private {
        return Ok(url);
    }
    let port = url.port_or_known_default().unwrap_or(443);
    let refused = || "refers to a private, loopback or otherwise internal address".to_owned();
    match host {
        url::Host::Ipv4(ip) if !is_public(IpAddr::V4(ip)) => Err(refused()),
        url::Host::Ipv6(ip) if !is_public(IpAddr::V6(ip)) => Err(refused()),
        url::Host::Domain(name) => {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((name, port))
                .await
                .map_err(|_| format!("host `{name}` does not resolve"))?
                .collect();
            if addrs.is_empty() || addrs.iter().any(|a| !is_public(a.ip())) {
                return Err(refused());
            }
            Ok(url)
        }
        _ => Ok(url),
    }
}

/// A DNS resolver for the delivery client that drops every non-public address.
pub struct GuardedResolver;

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = addrs.into_iter().filter(|a| is_public(a.ip())).collect();
            if public.is_empty() {
                return Err(format!("`{}` resolves to no public address", name.as_str()).into());
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fd00:ec2::254",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:8.8.8.8",
            "64:ff9b::7f00:1",
            "::127.0.0.1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111"] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }

    /// #13.17: an IPv6 address that embeds an IPv4 address (6to4, Teredo, NAT64, mapped,
    /// compatible) is internal when what it embeds is; NAT64 local-use is always internal.
    #[test]
    fn security_17_embedded_ipv4_addresses_are_checked() {
        for ip in [
            "2002:7f00:1::",                        // 6to4 of 127.0.0.1
            "2002:a00:1::1",                        // 6to4 of 10.0.0.1
            "2002:a9fe:a9fe::",                     // 6to4 of 169.254.169.254
            "2002:c0a8:101:1::1",                   // 6to4 of 192.168.1.1
            "2001:0:4136:e378:8000:63bf:80ff:fffe", // Teredo, client 127.0.0.1
            "2001:0:a00:1::",                       // Teredo, server 10.0.0.1
            "2001:0:4136:e378::5601:5601",          // Teredo, client 169.254.169.254
            "64:ff9b:1::a00:1",                     // NAT64 local use
            "64:ff9b:1:ffff::808:808",              // NAT64 local use, even of a public address
            "64:ff9b::a9fe:a9fe",                   // NAT64 well-known of 169.254.169.254
            "64:ff9b::c0a8:101",                    // NAT64 well-known of 192.168.1.1
            "::ffff:169.254.169.254",
            "::ffff:10.1.2.3",
            "::10.1.2.3",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "2002:808:808::1",                      // 6to4 of 8.8.8.8
            "2001:0:4136:e378:8000:63bf:f7f7:f7f7", // Teredo, client 8.8.8.8, server 65.54.227.120
            "64:ff9b::808:808",                     // NAT64 well-known of 8.8.8.8
        ] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
        assert_eq!(embedded_ipv4("2002:7f00:1::".parse().unwrap()), [Ipv4Addr::LOCALHOST]);
        assert_eq!(
            embedded_ipv4("2001:0:4136:e378:8000:63bf:80ff:fffe".parse().unwrap()),
            [Ipv4Addr::new(65, 54, 227, 120), Ipv4Addr::LOCALHOST]
        );
    }

    #[tokio::test]
    async fn urls_are_checked_before_any_request() {
        for url in [
            "http://127.0.0.1/hook",
            "http://10.0.0.1/",
            "http://169.254.169.254/latest/meta-data",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://localhost:8080/",
            "ftp://example.com/",
            "http://user:pw@example.com/",
        ] {
            assert!(check_url(url, false).await.is_err(), "{url}");
        }
        assert!(check_url("http://127.0.0.1:9/hook", true).await.is_ok());
        assert!(check_url("https://93.184.215.14/hook", false).await.is_ok());
    }
}

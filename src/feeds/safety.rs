//! What a feed URL may point at. newsdesk fetches URLs that API clients hand it, so without a
//! check anyone with the write key could make the server read its own admin ports or the cloud
//! metadata service (server-side request forgery). Only `http` and `https` are fetched, and only
//! from globally reachable addresses unless `--allow-private-feeds` is set.
//!
//! The check applies to the address a name RESOLVES to (the client's DNS resolver is
//! [`CheckedResolver`], so `localhost` or a public name pointing at 10.0.0.5 is refused at
//! connect time), to IP literals in the URL, and to every redirect hop ([`check_hop`], run by
//! the client's redirect policy). The client uses no proxy, so the address checked is the
//! address connected to.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use reqwest::Url;

/// Why an address is not a public one, or `None` for a globally reachable address. Follows
/// the IANA special-purpose registries; IPv6 forms that embed an IPv4 address (mapped, 6to4,
/// NAT64) are judged by the embedded address.
pub fn non_global(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => non_global_v4(v4),
        IpAddr::V6(v6) => non_global_v6(v6),
    }
}

fn non_global_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    Some(match (a, b, c) {
        (0, _, _) => "unspecified (0.0.0.0/8)",
        (127, _, _) => "loopback",
        (10, _, _) | (192, 168, _) => "private (RFC 1918)",
        (172, 16..=31, _) => "private (RFC 1918)",
        (100, 64..=127, _) => "shared address space (CGNAT, RFC 6598)",
        (169, 254, _) => "link-local",
        (192, 0, 0) => "IETF protocol assignments (192.0.0.0/24)",
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => "documentation",
        (192, 88, 99) => "6to4 relay anycast (deprecated)",
        (198, 18..=19, _) => "benchmarking (198.18.0.0/15)",
        (224..=239, _, _) => "multicast",
        (240..=255, _, _) => "reserved (240.0.0.0/4, broadcast)",
        _ => return None,
    })
}

fn non_global_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let s = ip.segments();
    let embedded_v4 =
        |hi: u16, lo: u16| Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8);
    if ip.is_unspecified() {
        return Some("unspecified (::)");
    }
    if ip.is_loopback() {
        return Some("loopback");
    }
    if let Some(v4) = ip.to_ipv4_mapped() {
        return non_global_v4(v4);
    }
    match s[0] {
        0 if s[1..6].iter().all(|&x| x == 0) => return Some("IPv4-compatible (deprecated)"),
        0x64 if s[1] == 0xff9b && s[2..6].iter().all(|&x| x == 0) => {
            // NAT64 well-known prefix: the gateway connects to the embedded IPv4 address.
            return non_global_v4(embedded_v4(s[6], s[7]));
        }
        0x64 if s[1] == 0xff9b && s[2] == 1 => return Some("local-use NAT64 (64:ff9b:1::/48)"),
        0x100 if s[1..4].iter().all(|&x| x == 0) => return Some("discard-only (100::/64)"),
        0x2001 if s[1] == 0x0db8 => return Some("documentation (2001:db8::/32)"),
        0x2001 if s[1] < 0x0200 => return Some("IETF protocol assignments (2001::/23)"),
        0x2002 => return non_global_v4(embedded_v4(s[1], s[2])),
        0x3fff if s[1] < 0x1000 => return Some("documentation (3fff::/20)"),
        0x5f00 => return Some("segment routing (5f00::/16)"),
        _ => {}
    }
    Some(match s[0] {
        0xfc00..=0xfdff => "unique local (ULA, fc00::/7)",
        0xfe80..=0xfebf => "link-local",
        0xfec0..=0xfeff => "site-local (deprecated)",
        0xff00..=0xffff => "multicast",
        0x2000..=0x3fff => return None,
        _ => "outside the global unicast range (2000::/3)",
    })
}

/// A URL refused before or during a fetch.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlRefusal {
    /// Not a URL newsdesk fetches (scheme, no host, credentials, too long…).
    #[error("{0}")]
    Invalid(String),
    /// The host is, or resolves to, a non-global address and private feeds are not allowed.
    #[error("{0}")]
    Private(String),
}

/// Longest feed URL accepted, in bytes.
pub const MAX_URL_BYTES: usize = 2048;

const ALLOW_HINT: &str =
    "newsdesk only follows feeds on public addresses unless started with --allow-private-feeds";

/// Parses and checks a URL given by a client: http or https, a host, no credentials, not over
/// [`MAX_URL_BYTES`]; an IP literal must be global unless `allow_private`. Names are checked
/// when they resolve ([`resolve_checked`], [`CheckedResolver`]).
pub fn parse_feed_url(raw: &str, allow_private: bool) -> Result<Url, UrlRefusal> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(UrlRefusal::Invalid("the feed URL is empty".into()));
    }
    if raw.len() > MAX_URL_BYTES {
        return Err(UrlRefusal::Invalid(format!(
            "the feed URL is longer than {MAX_URL_BYTES} bytes"
        )));
    }
    let url =
        Url::parse(raw).map_err(|e| UrlRefusal::Invalid(format!("{raw:?} is not a URL: {e}")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlRefusal::Invalid(
            "feed URLs with a user name or password are not supported (they would be shown to \
             every reader of the feed list)"
                .into(),
        ));
    }
    check_target(&url, allow_private)?;
    Ok(url)
}

/// Scheme and (for IP literals) address of one URL the client is about to request.
pub fn check_target(url: &Url, allow_private: bool) -> Result<(), UrlRefusal> {
    match url.scheme() {
        "http" | "https" => {}
        other => {
            return Err(UrlRefusal::Invalid(format!(
                "only http and https feeds are fetched, not {other}:"
            )))
        }
    }
    let ip = match url.host() {
        None => return Err(UrlRefusal::Invalid(format!("{url} has no host"))),
        Some(url::Host::Domain(_)) => return Ok(()),
        Some(url::Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(url::Host::Ipv6(v6)) => IpAddr::V6(v6),
    };
    if allow_private {
        return Ok(());
    }
    match non_global(ip) {
        Some(why) => Err(UrlRefusal::Private(format!(
            "{ip} is a {why} address; {ALLOW_HINT}"
        ))),
        None => Ok(()),
    }
}

/// Why the client's redirect policy stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HopRefusal {
    /// More hops than the limit.
    #[error("more than {0} redirects (--feed-max-redirects)")]
    TooMany(usize),
    /// A hop back to a URL already visited.
    #[error("a redirect loop: {0} redirects back to a URL already visited")]
    Loop(String),
    /// A hop to a URL newsdesk does not fetch.
    #[error("a redirect to {url} was refused: {why}")]
    Refused {
        /// Where it pointed.
        url: String,
        /// The refusal.
        why: UrlRefusal,
    },
}

/// Decides one redirect hop: `previous` are the URLs already requested (the first one
/// included), `next` the one the server points at.
pub fn check_hop(
    next: &Url,
    previous: &[Url],
    max_redirects: usize,
    allow_private: bool,
) -> Result<(), HopRefusal> {
    if previous.iter().any(|p| p == next) {
        return Err(HopRefusal::Loop(
            previous.last().map(|u| u.to_string()).unwrap_or_default(),
        ));
    }
    if previous.len() > max_redirects {
        return Err(HopRefusal::TooMany(max_redirects));
    }
    check_target(next, allow_private).map_err(|why| HopRefusal::Refused {
        url: next.to_string(),
        why,
    })
}

/// Keeps the resolved addresses that may be connected to; refuses when none remain.
pub fn filter_addrs(
    host: &str,
    addrs: Vec<SocketAddr>,
    allow_private: bool,
) -> Result<Vec<SocketAddr>, UrlRefusal> {
    if allow_private {
        return Ok(addrs);
    }
    let mut refused = Vec::new();
    let ok: Vec<SocketAddr> = addrs
        .into_iter()
        .filter(|a| match non_global(a.ip()) {
            Some(why) => {
                refused.push(format!("{} ({why})", a.ip()));
                false
            }
            None => true,
        })
        .collect();
    if ok.is_empty() && !refused.is_empty() {
        return Err(UrlRefusal::Private(format!(
            "{host} resolves to {}, not a public address; {ALLOW_HINT}",
            refused.join(", ")
        )));
    }
    Ok(ok)
}

/// A name that did not resolve.
#[derive(Debug, thiserror::Error)]
#[error("cannot resolve {host}: {reason}")]
pub struct ResolveFailure {
    /// The name.
    pub host: String,
    /// The resolver's answer.
    pub reason: String,
}

/// Resolves `host` and keeps the addresses [`filter_addrs`] allows. A name that does not
/// resolve within `timeout` is a [`ResolveFailure`] (boxed with the refusals so that the HTTP
/// client can carry either).
pub async fn resolve_checked(
    host: &str,
    allow_private: bool,
    timeout: Duration,
) -> Result<Vec<SocketAddr>, Box<dyn std::error::Error + Send + Sync>> {
    let lookup = tokio::net::lookup_host((host, 0));
    let addrs: Vec<SocketAddr> = match tokio::time::timeout(timeout, lookup).await {
        Ok(Ok(a)) => a.collect(),
        Ok(Err(e)) => {
            return Err(Box::new(ResolveFailure {
                host: host.to_string(),
                reason: e.to_string(),
            }))
        }
        Err(_) => {
            return Err(Box::new(ResolveFailure {
                host: host.to_string(),
                reason: format!("no answer within {} s", timeout.as_secs_f32()),
            }))
        }
    };
    Ok(filter_addrs(host, addrs, allow_private)?)
}

/// The HTTP client's DNS resolver: the system resolver, then [`filter_addrs`].
#[derive(Debug, Clone)]
pub struct CheckedResolver {
    /// `--allow-private-feeds`.
    pub allow_private: bool,
    /// How long a lookup may take.
    pub timeout: Duration,
}

impl reqwest::dns::Resolve for CheckedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let me = self.clone();
        Box::pin(async move {
            let addrs = resolve_checked(name.as_str(), me.allow_private, me.timeout).await?;
            let it: reqwest::dns::Addrs = Box::new(addrs.into_iter());
            Ok(it)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn addresses_are_classified() {
        for (a, why) in [
            ("127.0.0.1", "loopback"),
            ("127.255.0.9", "loopback"),
            ("10.1.2.3", "private"),
            ("172.16.0.1", "private"),
            ("172.31.255.255", "private"),
            ("192.168.1.1", "private"),
            ("169.254.169.254", "link-local"),
            ("100.64.0.1", "CGNAT"),
            ("100.127.255.1", "CGNAT"),
            ("0.0.0.0", "unspecified"),
            ("224.0.0.1", "multicast"),
            ("255.255.255.255", "reserved"),
            ("198.18.0.1", "benchmarking"),
            ("192.0.2.10", "documentation"),
            ("::1", "loopback"),
            ("::", "unspecified"),
            ("::ffff:127.0.0.1", "loopback"),
            ("::ffff:10.0.0.1", "private"),
            ("64:ff9b::a00:1", "private"),
            ("2002:7f00:1::", "loopback"),
            ("fd12:3456::1", "unique local"),
            ("fc00::1", "unique local"),
            ("fe80::1", "link-local"),
            ("ff02::1", "multicast"),
            ("2001:db8::1", "documentation"),
            ("::127.0.0.1", "IPv4-compatible"),
            ("4000::1", "outside the global unicast range"),
        ] {
            let got = non_global(ip(a));
            assert!(
                got.is_some_and(|g| g.contains(why)),
                "{a}: expected {why}, got {got:?}"
            );
        }
        for a in [
            "8.8.8.8",
            "1.1.1.1",
            "172.15.255.255",
            "172.32.0.1",
            "100.63.255.255",
            "100.128.0.1",
            "192.169.0.1",
            "2606:4700::1111",
            "2a00:1450:4001::200e",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
        ] {
            assert_eq!(non_global(ip(a)), None, "{a}");
        }
    }

    #[test]
    fn urls_are_checked_for_scheme_host_credentials_and_literal_addresses() {
        assert!(parse_feed_url("https://example.org/rss.xml", false).is_ok());
        let invalid = |u: &str| matches!(parse_feed_url(u, true), Err(UrlRefusal::Invalid(_)));
        assert!(invalid("ftp://example.org/rss"));
        assert!(invalid("file:///etc/passwd"));
        assert!(invalid("not a url"));
        assert!(invalid(""));
        assert!(invalid("https://user:pw@example.org/rss"));
        assert!(invalid(&format!(
            "https://example.org/{}",
            "a".repeat(MAX_URL_BYTES)
        )));
        // Literal addresses, including the odd spellings URL parsing normalises.
        for u in [
            "http://127.0.0.1:8080/feed",
            "http://[::1]/feed",
            "http://2130706433/feed",
            "http://0x7f.0.0.1/feed",
            "http://169.254.169.254/latest/meta-data/",
            "http://[::ffff:192.168.0.1]/",
        ] {
            let e = parse_feed_url(u, false).unwrap_err();
            assert!(matches!(e, UrlRefusal::Private(_)), "{u}: {e:?}");
            assert!(e.to_string().contains("--allow-private-feeds"), "{e}");
            assert!(parse_feed_url(u, true).is_ok(), "{u}");
        }
    }

    #[test]
    fn redirect_hops_stop_at_loops_limits_and_refused_targets() {
        let u = |s: &str| Url::parse(s).unwrap();
        let a = u("https://example.org/a");
        let b = u("https://example.org/b");
        assert_eq!(check_hop(&b, std::slice::from_ref(&a), 5, false), Ok(()));
        assert!(matches!(
            check_hop(&a, &[a.clone(), b.clone()], 5, false),
            Err(HopRefusal::Loop(_))
        ));
        let chain: Vec<Url> = (0..6)
            .map(|i| u(&format!("https://example.org/{i}")))
            .collect();
        assert_eq!(check_hop(&b, &chain[..5], 5, false), Ok(()));
        assert_eq!(check_hop(&b, &chain, 5, false), Err(HopRefusal::TooMany(5)));
        // Every hop gets the target check: a public feed cannot bounce to the loopback.
        let e = check_hop(
            &u("http://127.0.0.1/admin"),
            std::slice::from_ref(&a),
            5,
            false,
        )
        .unwrap_err();
        assert!(
            matches!(
                e,
                HopRefusal::Refused {
                    why: UrlRefusal::Private(_),
                    ..
                }
            ),
            "{e:?}"
        );
        assert!(check_hop(
            &u("http://127.0.0.1/admin"),
            std::slice::from_ref(&a),
            5,
            true
        )
        .is_ok());
        let e = check_hop(&u("ftp://example.org/x"), &[a], 5, true).unwrap_err();
        assert!(
            matches!(
                e,
                HopRefusal::Refused {
                    why: UrlRefusal::Invalid(_),
                    ..
                }
            ),
            "{e:?}"
        );
    }

    #[test]
    fn resolved_addresses_are_filtered() {
        let sa = |s: &str| SocketAddr::new(ip(s), 0);
        let e =
            filter_addrs("evil.example", vec![sa("127.0.0.1"), sa("10.0.0.1")], false).unwrap_err();
        assert!(e.to_string().contains("127.0.0.1 (loopback)"), "{e}");
        assert!(e.to_string().contains("10.0.0.1 (private"), "{e}");
        // A name with a public and a private address keeps only the public one.
        let ok = filter_addrs("mixed.example", vec![sa("10.0.0.1"), sa("8.8.8.8")], false).unwrap();
        assert_eq!(ok, vec![sa("8.8.8.8")]);
        let ok = filter_addrs("lan.example", vec![sa("10.0.0.1")], true).unwrap();
        assert_eq!(ok.len(), 1);
    }

    #[tokio::test]
    async fn localhost_resolves_to_a_refused_address() {
        let e = resolve_checked("localhost", false, Duration::from_secs(5))
            .await
            .unwrap_err();
        let refusal = e
            .downcast_ref::<UrlRefusal>()
            .expect("a refusal, not a DNS failure");
        assert!(matches!(refusal, UrlRefusal::Private(_)), "{refusal:?}");
        assert!(resolve_checked("localhost", true, Duration::from_secs(5))
            .await
            .is_ok());
    }
}

//! Who the client is: its address as this server sees it, or, for
//! connections from a trusted reverse proxy (`TRUSTED_PROXIES`), the address
//! the proxy reports. Limits count clients by [`client_key`].

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use app::auth::ClientAddr;
use axum::{
    extract::{ConnectInfo, Request, State},
    middleware::Next,
    response::Response,
};
use http::HeaderMap;
use ipnet::IpNet;

/// The networks whose connections come from reverse proxies of ours. Only
/// theirs are believed about the client's address; anyone else could write
/// any `X-Forwarded-For`.
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(pub Vec<IpNet>);

impl TrustedProxies {
    /// `TRUSTED_PROXIES`: networks and addresses, separated by commas or
    /// spaces (`10.0.0.0/8, 127.0.0.1, ::1`).
    pub fn parse(value: &str) -> Result<Self, String> {
        value
            .split([',', ' '])
            .filter(|part| !part.is_empty())
            .map(|part| {
                part.parse::<IpNet>()
                    .or_else(|_| part.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("{part:?} is not an IP address or network"))
            })
            .collect::<Result<_, _>>()
            .map(Self)
    }

    fn trusts(&self, addr: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&addr))
    }

    /// The client's address for a connection from `peer`: `peer` itself,
    /// unless it is a trusted proxy; then the nearest address the proxies
    /// report that is not one of them, read from the right of
    /// `X-Forwarded-For` (each proxy appends), else of `Forwarded`.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let mut client = peer;
        // What stands left of the first item that is no address was written
        // by someone we cannot believe: reading stops there.
        for addr in forwarded_for(headers)
            .into_iter()
            .rev()
            .map_while(|item| item)
        {
            client = addr;
            if !self.trusts(addr) {
                break;
            }
        }
        client
    }
}

/// The items of `X-Forwarded-For`, or if there is none, the `for=` of
/// `Forwarded`, in order, each an address or `None` where it is none.
fn forwarded_for(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let values = |name| {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .map(String::from)
            .collect::<Vec<_>>()
    };
    let mut items = values("x-forwarded-for");
    if items.is_empty() {
        items = values("forwarded")
            .iter()
            .filter_map(|element| {
                element
                    .split(';')
                    .find_map(|pair| pair.trim().strip_prefix("for=").map(String::from))
            })
            .collect();
    }
    items.iter().map(|item| parse_node(item)).collect()
}

/// An address as proxies write it: `203.0.113.7`, `203.0.113.7:4711`,
/// `2001:db8::1`, `[2001:db8::1]:4711`, quoted or not (RFC 7239).
fn parse_node(item: &str) -> Option<IpAddr> {
    let item = item.trim().trim_matches('"');
    if let Ok(addr) = item.parse::<IpAddr>() {
        return Some(addr);
    }
    if let Ok(addr) = item.parse::<SocketAddr>() {
        return Some(addr.ip());
    }
    item.strip_prefix('[')
        .and_then(|rest| rest.split(']').next())
        .and_then(|inner| inner.parse().ok())
}

/// Puts the client's [`ClientAddr`] on every request.
pub async fn client_addr(
    State(proxies): State<TrustedProxies>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    mut request: Request,
    next: Next,
) -> Response {
    let client = proxies.client(peer.ip(), request.headers());
    request.extensions_mut().insert(ClientAddr(client));
    next.run(request).await
}

/// Whom per-client limits count: an IPv4 address, or an IPv6 /64 (one host
/// can hold a whole /64).
pub fn client_key(client: IpAddr) -> IpAddr {
    match client {
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from_bits(v6.to_bits() & (u128::MAX << 64))),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| (http::header::HeaderName::from_static(k), v.parse().unwrap()))
            .collect()
    }

    #[test]
    fn clients_are_counted_per_ipv4_address_and_per_ipv6_64() {
        assert_eq!(client_key(ip("203.0.113.7")), ip("203.0.113.7"));
        assert_eq!(client_key(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
        assert_ne!(
            client_key(ip("2001:db8:1:3::1")),
            client_key(ip("2001:db8:1:2::1"))
        );
    }

    #[test]
    fn only_trusted_proxies_are_believed_and_read_from_the_right() {
        let none = TrustedProxies::default();
        let spoofed = headers(&[("x-forwarded-for", "198.51.100.9")]);
        assert_eq!(none.client(ip("203.0.113.7"), &spoofed), ip("203.0.113.7"));

        let proxies = TrustedProxies::parse("10.0.0.0/8, 127.0.0.1").unwrap();
        // The client put a fake address first; the proxies appended the real one.
        let chain = headers(&[("x-forwarded-for", "198.51.100.9, 203.0.113.7, 10.1.2.3")]);
        assert_eq!(proxies.client(ip("127.0.0.1"), &chain), ip("203.0.113.7"));
        assert_eq!(
            proxies.client(ip("192.0.2.1"), &chain),
            ip("192.0.2.1"),
            "not from a proxy"
        );
        let forwarded = headers(&[(
            "forwarded",
            "for=192.0.2.60;proto=https, for=\"[2001:db8::1]:4711\"",
        )]);
        assert_eq!(
            proxies.client(ip("10.0.0.1"), &forwarded),
            ip("2001:db8::1")
        );
        let junk = headers(&[("x-forwarded-for", "not an address")]);
        assert_eq!(proxies.client(ip("10.0.0.1"), &junk), ip("10.0.0.1"));
        // A client's junk in front of what the proxies appended (nginx's
        // $proxy_add_x_forwarded_for passes it on) hides nothing.
        let junk_first = headers(&[("x-forwarded-for", "unknown, 203.0.113.7, 10.1.2.3")]);
        assert_eq!(
            proxies.client(ip("127.0.0.1"), &junk_first),
            ip("203.0.113.7")
        );
        // Junk between: what the proxies wrote right of it is believed, the rest not.
        let junk_between = headers(&[("x-forwarded-for", "198.51.100.9, junk, 10.1.2.3")]);
        assert_eq!(
            proxies.client(ip("127.0.0.1"), &junk_between),
            ip("10.1.2.3")
        );
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
        assert!(TrustedProxies::parse("").unwrap().0.is_empty());
    }
}

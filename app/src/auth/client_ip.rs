//! The client's address as the throttles and the logs see it. Behind a reverse proxy every
//! connection comes from the proxy; only when the peer is a configured trusted proxy is
//! `X-Forwarded-For` read, from the right, skipping trusted hops — a client-chosen header
//! from anyone else is ignored.
use std::net::{IpAddr, SocketAddr};

/// Request extension set by the server's middleware for every request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl std::fmt::Display for ClientIp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// The client address of a request from `peer` with these `X-Forwarded-For` values.
pub fn client_ip(peer: Option<SocketAddr>, forwarded_for: &[&str], trusted: &[IpAddr]) -> ClientIp {
    let Some(peer) = peer.map(|p| p.ip()) else {
        return ClientIp(IpAddr::from([0, 0, 0, 0]));
    };
    if !trusted.contains(&peer) {
        return ClientIp(peer);
    }
    // Walk from the right (the hop our proxy added last) over trusted proxies; the first
    // hop that is not ours is the client. An unreadable hop ends the walk at the last hop we
    // trust: entries further left are whatever the client chose to send.
    let mut last_trusted = peer;
    for hop in forwarded_for.iter().flat_map(|v| v.split(',')).rev() {
        match hop.trim().parse::<IpAddr>() {
            Ok(ip) if trusted.contains(&ip) => last_trusted = ip,
            Ok(ip) => return ClientIp(ip),
            Err(_) => break,
        }
    }
    ClientIp(last_trusted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_for_counts_only_from_a_trusted_proxy() {
        let peer: SocketAddr = "10.0.0.5:4000".parse().unwrap();
        // Untrusted peer: its header is the client's own claim and is ignored.
        assert_eq!(client_ip(Some(peer), &["1.2.3.4"], &[]).0, ip("10.0.0.5"));
        let proxy = [ip("10.0.0.5")];
        assert_eq!(client_ip(Some(peer), &["1.2.3.4"], &proxy).0, ip("1.2.3.4"));
        // A client that sends its own X-Forwarded-For gets the address the proxy saw.
        assert_eq!(
            client_ip(Some(peer), &["6.6.6.6, 1.2.3.4"], &proxy).0,
            ip("1.2.3.4")
        );
        assert_eq!(client_ip(Some(peer), &[], &proxy).0, ip("10.0.0.5"));
        // A forged, unreadable entry does not let the client pick an address to its left.
        assert_eq!(
            client_ip(Some(peer), &["7.7.7.7, x, 1.2.3.4"], &proxy).0,
            ip("1.2.3.4")
        );
        assert_eq!(
            client_ip(Some(peer), &["7.7.7.7, x"], &proxy).0,
            ip("10.0.0.5")
        );
        assert_eq!(
            client_ip(Some(peer), &["rubbish"], &proxy).0,
            ip("10.0.0.5")
        );
    }
}

//! The one rule for every outbound connection (database, object storage, and later the mail relay
//! and key service): an endpoint configured as this machine may be reached in plain; any other
//! must use TLS 1.2+ with its certificate chain and host name verified. The host is judged as
//! configured, never by what a name resolves to: a name that resolves to 127.0.0.1 today may not
//! tomorrow, and a hosts-file line is not a network boundary Vial can see.

use std::net::IpAddr;

/// Whether `host`, as configured, is the practice's own machine: `localhost`, an address in
/// 127.0.0.0/8, `::1` (bracketed or not), or a Unix socket (an absolute path).
pub fn is_own_machine(host: &str) -> bool {
    let host = host.trim();
    if host.starts_with('/') {
        return true;
    }
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    bare.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Whether every one of `hosts` (a connection's configured host names, e.g. a URL's host and a
/// `host=` parameter) is this machine; none at all is not.
pub fn all_own_machine<'a>(hosts: impl IntoIterator<Item = &'a str>) -> bool {
    let mut any = false;
    for host in hosts {
        if !is_own_machine(host) {
            return false;
        }
        any = true;
    }
    any
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_configured_host_of_this_machine_is_own() {
        for own in [
            "localhost",
            "LOCALHOST",
            "127.0.0.1",
            "127.8.9.10",
            "::1",
            "[::1]",
            "/var/run/postgresql",
        ] {
            assert!(is_own_machine(own), "{own}");
        }
        for other in [
            "db.example.com",
            "localhost.example.com",
            "mylocalhost",
            "10.0.0.5",
            "128.0.0.1",
            "0.0.0.0",
            "::",
            "[2001:db8::1]",
            "::ffff:127.0.0.1",
            "",
            "var/run/postgresql",
        ] {
            assert!(!is_own_machine(other), "{other}");
        }
    }

    #[test]
    fn a_connection_is_own_only_if_every_host_it_names_is() {
        assert!(all_own_machine(["localhost", "127.0.0.1"]));
        assert!(!all_own_machine(["localhost", "db.example.com"]));
        assert!(!all_own_machine(std::iter::empty()));
    }
}

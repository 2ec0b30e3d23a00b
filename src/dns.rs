//! Host resolution for the HTTP agents: an IP address in a URL is used as
//! it is, and only a host name goes to the system resolver.
//!
//! ureq's own resolver looks every host up on a new thread whenever a time
//! limit is set, even `127.0.0.1`, and a thread start is a measurable part
//! of a call that takes a few milliseconds.

use std::fmt;
use std::io;
use std::net::{IpAddr, SocketAddr};

use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

/// Returns IP address hosts directly and passes host names on to ureq's
/// default resolver, which honours the time limit.
#[derive(Debug, Default)]
pub struct AddressFirst {
    /// The resolver for host names.
    names: DefaultResolver,
}

impl Resolver for AddressFirst {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let Some(address) = literal_address(uri) else {
            return self.names.resolve(uri, config, timeout).map_err(|error| match error {
                ureq::Error::Io(e) => ureq::Error::Io(io::Error::new(e.kind(), LookupFailed(e))),
                other => other,
            });
        };
        let mut addresses = self.empty();
        addresses.push(address);
        Ok(addresses)
    }
}

/// A failed host name lookup. The resolver reports it as an I/O error like
/// any other, so it is wrapped in this type for messages to tell it apart.
#[derive(Debug)]
pub struct LookupFailed(pub(crate) io::Error);

impl fmt::Display for LookupFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for LookupFailed {}

/// Tells whether an I/O error from ureq is a failed host name lookup.
pub fn is_lookup_failure(error: &io::Error) -> bool {
    error.get_ref().is_some_and(|inner| inner.is::<LookupFailed>())
}

/// Returns the socket address of a URI whose host is an IPv4 or bracketed
/// IPv6 address, with the scheme's default port when the URI has none.
/// Returns `None` for a host name.
fn literal_address(uri: &Uri) -> Option<SocketAddr> {
    let authority = uri.authority()?;
    let host = authority.host();
    let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    let ip: IpAddr = host.parse().ok()?;
    let port = authority.port_u16().or(match uri.scheme_str()? {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    })?;
    Some(SocketAddr::new(ip, port))
}

#[cfg(test)]
mod tests {
    use super::literal_address;

    fn address(uri: &str) -> Option<String> {
        literal_address(&uri.parse().unwrap()).map(|a| a.to_string())
    }

    #[test]
    fn ip_hosts_resolve_without_lookup() {
        assert_eq!(address("http://127.0.0.1:8080/x").as_deref(), Some("127.0.0.1:8080"));
        assert_eq!(address("https://[::1]:8443/").as_deref(), Some("[::1]:8443"));
    }

    #[test]
    fn missing_port_comes_from_scheme() {
        assert_eq!(address("http://10.0.0.1/").as_deref(), Some("10.0.0.1:80"));
        assert_eq!(address("https://[2001:db8::1]/").as_deref(), Some("[2001:db8::1]:443"));
    }

    #[test]
    fn host_names_are_left_to_the_resolver() {
        assert_eq!(address("http://localhost:8080/"), None);
        assert_eq!(address("https://api.example.com/"), None);
        assert_eq!(address("https://127.0.0.1.example.com/"), None);
    }
}

//! Proxy selection from the environment, decided per request the way curl
//! decides it, so that `NO_PROXY` applies to every request and redirect.
//!
//! curl reads `http_proxy` (lowercase only), `HTTPS_PROXY`, `ALL_PROXY` and
//! `NO_PROXY`, each also in lowercase, with the lowercase spelling taking
//! precedence. The uppercase `HTTP_PROXY` is ignored on purpose: CGI servers
//! put the client's `Proxy:` request header into that variable (the
//! "httpoxy" problem), so curl never trusts it.

use std::net::IpAddr;

use url::{Host, Url};

use crate::error::Error;

/// Proxy settings read once from the environment.
#[derive(Debug, Default, Clone)]
pub struct ProxyEnv {
    /// Proxy for http URLs, from `http_proxy`.
    http: Option<Setting>,
    /// Proxy for https URLs, from `https_proxy` or `HTTPS_PROXY`.
    https: Option<Setting>,
    /// Proxy for any scheme without its own, from `all_proxy` or `ALL_PROXY`.
    all: Option<Setting>,
    /// Hosts reached directly, from `no_proxy` or `NO_PROXY`.
    no_proxy: Vec<NoProxyEntry>,
}

/// One proxy variable: its name, for messages, and its value as set.
///
/// The value is parsed only when a request uses it, so that an unusable
/// `ALL_PROXY` does not stop requests that `HTTPS_PROXY` covers.
#[derive(Clone)]
struct Setting {
    /// The environment variable the value came from.
    variable: &'static str,
    /// The value, which may contain a user name and password.
    value: String,
}

impl std::fmt::Debug for Setting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Setting").field("variable", &self.variable).finish_non_exhaustive()
    }
}

/// The proxy chosen for one request.
#[derive(Debug, Clone)]
pub struct ProxyChoice {
    /// The environment variable that named the proxy.
    pub variable: &'static str,
    /// The proxy URL, user information included.
    pub url: Url,
}

impl ProxyChoice {
    /// Returns the proxy URL without user name and password, for logs.
    pub fn shown(&self) -> String {
        let mut shown = self.url.clone();
        let _ = shown.set_username("");
        let _ = shown.set_password(None);
        shown.to_string()
    }
}

/// One `NO_PROXY` entry: the hosts it covers, and the port when the
/// entry names one (`example.com:8443`), else every port.
#[derive(Debug, Clone, PartialEq, Eq)]
struct NoProxyEntry {
    hosts: NoProxyHosts,
    port: Option<u16>,
}

/// The hosts that a `NO_PROXY` entry covers.
#[derive(Debug, Clone, PartialEq, Eq)]
enum NoProxyHosts {
    /// `*`: every host is reached directly.
    All,
    /// A domain that matches itself and its subdomains, lowercase, without
    /// a leading or trailing dot.
    Domain(String),
    /// An IP address with a prefix length (`10.0.0.0/8`, or `/32` and
    /// `/128` for a single address).
    Network(IpAddr, u8),
}

impl ProxyEnv {
    /// Reads the proxy variables of this process.
    pub fn from_env() -> ProxyEnv {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the proxy variables through `lookup`, which returns a
    /// variable's value when it is set.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> ProxyEnv {
        let first = |names: &[&'static str]| {
            names
                .iter()
                .find_map(|name| lookup(name).filter(|v| !v.trim().is_empty()).map(|v| (*name, v)))
        };
        let setting = |names: &[&'static str]| {
            first(names).map(|(variable, value)| Setting { variable, value })
        };
        ProxyEnv {
            http: setting(&["http_proxy"]),
            https: setting(&["https_proxy", "HTTPS_PROXY"]),
            all: setting(&["all_proxy", "ALL_PROXY"]),
            no_proxy: first(&["no_proxy", "NO_PROXY"])
                .map(|(_, value)| parse_no_proxy(&value))
                .unwrap_or_default(),
        }
    }

    /// Returns the proxy for a request to `url`, or `None` to connect
    /// directly.
    ///
    /// Fails with a configuration error naming the variable when the proxy
    /// URL it would use is invalid or uses a scheme namedcred cannot speak.
    pub fn choose(&self, url: &Url) -> Result<Option<ProxyChoice>, Error> {
        let specific = match url.scheme() {
            "https" => self.https.as_ref(),
            "http" => self.http.as_ref(),
            _ => None,
        };
        let Some(setting) = specific.or(self.all.as_ref()) else { return Ok(None) };
        if self.bypasses(url) {
            return Ok(None);
        }
        parse_setting(setting.variable, &setting.value).map(Some)
    }

    /// Tells whether `NO_PROXY` sends requests to `url` directly.
    fn bypasses(&self, url: &Url) -> bool {
        let Some(host) = url.host() else { return false };
        let port = url.port_or_known_default();
        self.no_proxy.iter().any(|entry| {
            entry.port.is_none_or(|wanted| port == Some(wanted)) && entry.hosts.matches(&host)
        })
    }
}

impl NoProxyHosts {
    /// Tells whether the entry covers `host`.
    fn matches(&self, host: &Host<&str>) -> bool {
        let address = match host {
            Host::Domain(domain) => {
                let domain = domain.trim_end_matches('.').to_ascii_lowercase();
                return match self {
                    NoProxyHosts::All => true,
                    NoProxyHosts::Domain(pattern) => {
                        domain == *pattern || domain.ends_with(&format!(".{pattern}"))
                    }
                    NoProxyHosts::Network(..) => false,
                };
            }
            Host::Ipv4(ip) => IpAddr::V4(*ip),
            Host::Ipv6(ip) => IpAddr::V6(*ip),
        };
        match self {
            NoProxyHosts::All => true,
            NoProxyHosts::Domain(_) => false,
            NoProxyHosts::Network(network, prefix) => in_network(address, *network, *prefix),
        }
    }
}

/// Parses a proxy URL. A value without a scheme means an http proxy, as
/// in curl.
fn parse_setting(variable: &'static str, value: &str) -> Result<ProxyChoice, Error> {
    let value = value.trim();
    let text = if value.contains("://") { value.to_string() } else { format!("http://{value}") };
    let invalid = |problem: String| {
        Error::config(format!("{variable} is not a usable proxy URL: {problem}"))
            .with_hint(format!("set {variable} to http://HOST:PORT, or unset it"))
    };
    let url = Url::parse(&text).map_err(|e| invalid(e.to_string()))?;
    match url.scheme() {
        "http" | "https" => {}
        other => {
            return Err(invalid(format!(
                "scheme {other} is not supported; namedcred speaks to http and https proxies"
            )));
        }
    }
    if url.host().is_none() {
        return Err(invalid("it has no host".to_string()));
    }
    Ok(ProxyChoice { variable, url })
}

/// Parses a `NO_PROXY` list: entries separated by commas or whitespace.
fn parse_no_proxy(value: &str) -> Vec<NoProxyEntry> {
    value
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|entry| !entry.is_empty())
        .map(parse_no_proxy_entry)
        .collect()
}

/// Parses one `NO_PROXY` entry: `*`, a domain (a leading dot is ignored),
/// an IP address, or an IP network in CIDR notation, each optionally
/// followed by `:PORT` (an IPv6 address then in brackets: `[::1]:8443`).
fn parse_no_proxy_entry(entry: &str) -> NoProxyEntry {
    let (host, port) = split_port(entry);
    NoProxyEntry { hosts: parse_no_proxy_hosts(host), port }
}

/// Splits a trailing `:PORT` from a `NO_PROXY` entry. A bare IPv6 address
/// such as `::1` has colons but no port.
fn split_port(entry: &str) -> (&str, Option<u16>) {
    if entry.parse::<IpAddr>().is_ok() {
        return (entry, None);
    }
    match entry.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() && !host.ends_with(':') => {
            match port.parse::<u16>() {
                Ok(port) => (host, Some(port)),
                Err(_) => (entry, None),
            }
        }
        _ => (entry, None),
    }
}

/// Parses the host part of a `NO_PROXY` entry.
fn parse_no_proxy_hosts(entry: &str) -> NoProxyHosts {
    if entry == "*" {
        return NoProxyHosts::All;
    }
    let (address, prefix) = match entry.split_once('/') {
        Some((address, prefix)) => (address, prefix.parse::<u8>().ok()),
        None => (entry, None),
    };
    let bare = address.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        let full = if ip.is_ipv4() { 32 } else { 128 };
        return NoProxyHosts::Network(ip, prefix.unwrap_or(full).min(full));
    }
    let domain = entry.trim_start_matches('.').trim_end_matches('.');
    NoProxyHosts::Domain(domain.to_ascii_lowercase())
}

/// Tells whether `address` lies in `network/prefix`.
fn in_network(address: IpAddr, network: IpAddr, prefix: u8) -> bool {
    match (address, network) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> ProxyEnv {
        let pairs: Vec<(String, String)> =
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        ProxyEnv::from_lookup(|name| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
    }

    fn chosen(env: &ProxyEnv, url: &str) -> Option<String> {
        let choice = env.choose(&Url::parse(url).unwrap()).unwrap();
        choice.map(|c| format!("{} {}", c.variable, c.url))
    }

    #[test]
    fn scheme_specific_variables() {
        let env = env(&[("HTTPS_PROXY", "http://p1:1"), ("http_proxy", "p2:2")]);
        assert_eq!(chosen(&env, "https://a.example/").unwrap(), "HTTPS_PROXY http://p1:1/");
        assert_eq!(chosen(&env, "http://a.example/").unwrap(), "http_proxy http://p2:2/");
    }

    #[test]
    fn lowercase_wins_over_uppercase() {
        let env = env(&[("HTTPS_PROXY", "http://upper:1"), ("https_proxy", "http://lower:1")]);
        assert!(chosen(&env, "https://a.example/").unwrap().contains("lower"));
    }

    #[test]
    fn uppercase_http_proxy_ignored() {
        let env = env(&[("HTTP_PROXY", "http://p:1")]);
        assert_eq!(chosen(&env, "http://a.example/"), None);
    }

    #[test]
    fn all_proxy_is_the_fallback() {
        let env = env(&[("ALL_PROXY", "http://all:1"), ("https_proxy", "http://s:1")]);
        assert!(chosen(&env, "http://a.example/").unwrap().starts_with("ALL_PROXY"));
        assert!(chosen(&env, "https://a.example/").unwrap().starts_with("https_proxy"));
    }

    #[test]
    fn empty_variable_means_unset() {
        let env = env(&[("https_proxy", ""), ("HTTPS_PROXY", "http://p:1")]);
        assert!(chosen(&env, "https://a.example/").unwrap().starts_with("HTTPS_PROXY"));
    }

    #[test]
    fn no_proxy_domains_match_suffixes() {
        let env = env(&[("https_proxy", "http://p:1"), ("NO_PROXY", "example.com, .internal")]);
        assert_eq!(chosen(&env, "https://example.com/"), None);
        assert_eq!(chosen(&env, "https://API.Example.com./"), None);
        assert_eq!(chosen(&env, "https://db.internal/"), None);
        assert_eq!(chosen(&env, "https://internal/"), None);
        assert!(chosen(&env, "https://notexample.com/").is_some());
        assert!(chosen(&env, "https://example.com.evil.net/").is_some());
    }

    #[test]
    fn no_proxy_star_and_addresses() {
        let star = env(&[("https_proxy", "http://p:1"), ("no_proxy", "*")]);
        assert_eq!(chosen(&star, "https://anything.example/"), None);
        let nets = env(&[("https_proxy", "http://p:1"), ("no_proxy", "10.0.0.0/8 ::1 127.0.0.1")]);
        assert_eq!(chosen(&nets, "https://10.20.30.40/"), None);
        assert_eq!(chosen(&nets, "https://[::1]:8443/"), None);
        assert_eq!(chosen(&nets, "https://127.0.0.1:9/"), None);
        assert!(chosen(&nets, "https://11.0.0.1/").is_some());
        assert!(chosen(&nets, "https://127.0.0.2/").is_some());
    }

    #[test]
    fn no_proxy_entries_with_ports() {
        let list = "example.com:8443, 127.0.0.1:9000, [::1]:7000, 10.0.0.0/8:443, ::2";
        let env =
            env(&[("https_proxy", "http://p:1"), ("http_proxy", "http://p:1"), ("no_proxy", list)]);
        assert_eq!(chosen(&env, "https://api.example.com:8443/"), None);
        assert!(chosen(&env, "https://api.example.com/").is_some());
        assert_eq!(chosen(&env, "http://127.0.0.1:9000/"), None);
        assert!(chosen(&env, "http://127.0.0.1:9001/").is_some());
        assert_eq!(chosen(&env, "http://[::1]:7000/"), None);
        assert!(chosen(&env, "http://[::1]:7001/").is_some());
        assert_eq!(chosen(&env, "https://10.1.2.3/"), None);
        assert!(chosen(&env, "http://10.1.2.3/").is_some());
        assert_eq!(chosen(&env, "http://[::2]:1234/"), None);
    }

    #[test]
    fn invalid_proxy_named() {
        let env = env(&[("HTTPS_PROXY", "socks5://p:1080")]);
        let result = env.choose(&Url::parse("https://a.example/").unwrap());
        let message = result.unwrap_err().message;
        assert!(message.contains("HTTPS_PROXY"), "{message}");
        assert!(message.contains("socks5"), "{message}");
    }

    #[test]
    fn unusable_proxy_matters_only_when_used() {
        let env = env(&[("ALL_PROXY", "socks5://p:1080"), ("https_proxy", "http://s:1")]);
        assert!(chosen(&env, "https://a.example/").unwrap().starts_with("https_proxy"));
        assert!(env.choose(&Url::parse("http://a.example/").unwrap()).is_err());
        let bypassed = self::env(&[("ALL_PROXY", "socks5://p:1080"), ("no_proxy", "*")]);
        assert_eq!(chosen(&bypassed, "http://a.example/"), None);
    }

    #[test]
    fn shown_proxy_hides_password() {
        let env = env(&[("https_proxy", "http://user:hunter2@p:1")]);
        let choice = env.choose(&Url::parse("https://a.example").unwrap()).unwrap().unwrap();
        assert!(!choice.shown().contains("hunter2"));
    }
}

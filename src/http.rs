//! HTTP plumbing shared by the API call and the token exchange: the agent,
//! URL joining that cannot leave the configured origin, header checks,
//! error classification and response output.

use std::io::{self, Write};
use std::time::Duration;

use ureq::Agent;
use ureq::tls::TlsConfig;
use ureq::unversioned::transport::DefaultConnector;
use url::Url;

use crate::dns::{self, AddressFirst};
use crate::error::Error;
use crate::proxy::ProxyChoice;
use crate::tls::TlsSettings;

/// Time limit for opening a connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Time limit for a whole request when neither the command line nor the
/// credential sets one.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// The largest time limit that `--timeout` and `timeout` accept: one day.
/// A longer limit is more likely a slip, such as milliseconds written as
/// seconds, than a request meant to run for days.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(86_400);

/// Size of the buffer that a connection reads into. It must hold the
/// whole response head, so it equals ureq's default limit on the head,
/// 64 KiB. ureq's default buffers (128 KiB each) are zeroed on every
/// connection, which measurably slows a short call.
const INPUT_BUFFER: usize = 64 * 1024;

/// Size of the buffer that a connection writes from. ureq fails to send a
/// request header that does not fit in it. nginx and Apache reject a
/// header field over 8 KiB by default, so 32 KiB leaves ample room.
const OUTPUT_BUFFER: usize = 32 * 1024;

/// The maximum size in bytes of a request head (the request line and
/// every header) that can be sent, because ureq writes the whole head into
/// the output buffer.
pub const MAX_REQUEST_HEAD: usize = OUTPUT_BUFFER;

/// Room kept in [`MAX_REQUEST_HEAD`] for the headers that ureq adds itself
/// (`User-Agent`, `Accept`, `Content-Length`), and for `Host` apart from
/// the host name, which is counted separately.
const ADDED_HEADERS: usize = 256;

/// The `User-Agent` header of every request.
const USER_AGENT: &str = concat!("namedcred/", env!("CARGO_PKG_VERSION"));

/// Builds an agent that never follows redirects, returns 4xx and 5xx
/// responses instead of failing, ends any request after `timeout`, trusts
/// the Mozilla roots and connects directly.
///
/// Redirects are not followed because ureq would decide on its own where
/// the `Authorization` header goes; a 3xx reaches the caller instead.
pub fn agent(timeout: Duration) -> Agent {
    agent_with(timeout, TlsSettings::default().config(), None)
}

/// Builds an agent like [`agent`] with the given TLS configuration and
/// proxy; `None` connects directly whatever the environment contains.
/// A URL whose host is an IP address is connected to without a lookup.
pub fn agent_with(timeout: Duration, tls: TlsConfig, proxy: Option<ureq::Proxy>) -> Agent {
    let config = Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_connect(Some(CONNECT_TIMEOUT.min(timeout)))
        .timeout_global(Some(timeout))
        .user_agent(USER_AGENT)
        .allow_non_standard_methods(true)
        .tls_config(tls)
        .proxy(proxy)
        .input_buffer_size(INPUT_BUFFER)
        .output_buffer_size(OUTPUT_BUFFER)
        .build();
    Agent::with_parts(config, DefaultConnector::default(), AddressFirst::default())
}

/// Joins a request path to the credential's base URL.
///
/// The base path is kept and exactly one slash separates it from `path`;
/// a query string in `path` is appended to any query of the base URL. A
/// `path` that could change the origin (an absolute URL, `//host`, a
/// backslash or a control character) is rejected.
pub fn join_url(base: &Url, path: &str) -> Result<Url, String> {
    if let Some(bad) = path.chars().find(|c| c.is_control()) {
        return Err(format!("path contains the control character {:?}", bad));
    }
    if path.contains('\\') {
        return Err(format!("path \"{path}\" contains a backslash; use / between segments"));
    }
    if path.starts_with("//") || has_scheme(path) {
        return Err(format!(
            "path \"{path}\" is an absolute URL; give a path such as /users, which is \
             joined to the credential's url so the token only goes to that origin"
        ));
    }
    if path.contains('#') {
        return Err(format!("path \"{path}\" contains a #fragment, which is never sent"));
    }

    let (path_part, query) = match path.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path, None),
    };
    if path_part.split('/').any(is_dot_segment) {
        return Err(format!(
            "path \"{path}\" contains a . or .. segment, which would climb out of the \
             credential's base path {}; give the path below it",
            base.path()
        ));
    }
    let mut joined = base.clone();
    let relative = path_part.trim_start_matches('/');
    if !relative.is_empty() {
        let base_path = base.path().trim_end_matches('/');
        joined.set_path(&format!("{base_path}/{relative}"));
    }
    let merged = match (base.query(), query) {
        (Some(a), Some(b)) if !a.is_empty() && !b.is_empty() => Some(format!("{a}&{b}")),
        (Some(a), _) if !a.is_empty() => Some(a.to_string()),
        (_, Some(b)) => Some(b.to_string()),
        _ => None,
    };
    joined.set_query(merged.as_deref());

    if joined.origin() != base.origin() || !within_base_path(base.path(), joined.path()) {
        return Err(format!("path \"{path}\" would leave the credential's url {base}"));
    }
    Ok(joined)
}

/// Tells whether a path segment means "this folder" or "the parent", as URL
/// parsers read it: `.`, `..` and their percent-encoded spellings. Servers
/// such as Tomcat drop a `;parameter` from a segment, so `..;x` counts too.
/// An encoded slash within a segment is allowed (`group%2Fproject`) unless
/// it sets off a dot segment.
fn is_dot_segment(segment: &str) -> bool {
    // A server that decodes %2F or %5C before it resolves the path reads
    // `..%2Fx` as `../x`, so the pieces between encoded slashes count too.
    let decoded = segment
        .to_ascii_lowercase()
        .replace("%2e", ".")
        .replace("%3b", ";")
        .replace("%2f", "/")
        .replace("%5c", "/");
    decoded.split('/').any(|piece| {
        let name = piece.split(';').next().unwrap_or_default();
        name == "." || name == ".."
    })
}

/// Tells whether `joined` lies at or below `base`, segment by segment, so
/// that a base path `/a` does not admit `/ab`.
fn within_base_path(base: &str, joined: &str) -> bool {
    let base = base.trim_end_matches('/');
    match joined.strip_prefix(base) {
        Some(rest) => rest.is_empty() || rest.starts_with('/'),
        None => false,
    }
}

/// Tells whether `path` starts with a URL scheme such as `https:`.
fn has_scheme(path: &str) -> bool {
    let Some((scheme, rest)) = path.split_once(':') else { return false };
    let well_formed = scheme.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    let known = ["http", "https", "file", "ftp", "ws", "wss", "data", "javascript"]
        .iter()
        .any(|k| scheme.eq_ignore_ascii_case(k));
    well_formed && (rest.starts_with("//") || known)
}

/// Checks a header name and value: the name must be an RFC 9110 token and
/// the value must not contain CR, LF, NUL or other control characters
/// except tab.
pub fn check_header(name: &str, value: &str) -> Result<(), String> {
    let is_tchar = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    if name.is_empty() || !name.chars().all(is_tchar) {
        return Err(format!("\"{}\" is not a valid header name", name.escape_debug()));
    }
    if ["content-length", "transfer-encoding"].iter().any(|n| name.eq_ignore_ascii_case(n)) {
        return Err(format!(
            "{name} is set by namedcred from the body; remove the header and give the body \
             with -d"
        ));
    }
    if value.chars().any(|c| c.is_control() && c != '\t') {
        return Err(format!(
            "the value of {name} contains a line break or control character, \
             which could inject another header"
        ));
    }
    Ok(())
}

/// Parses a `-H 'Name: value'` flag. An empty value (`'Name:'`) means the
/// header is removed, and yields `None` as the value.
pub fn parse_header_flag(text: &str) -> Result<(String, Option<String>), String> {
    let Some((name, value)) = text.split_once(':') else {
        return Err(format!(
            "header \"{}\" has no colon; write it as 'Name: value'",
            text.escape_debug()
        ));
    };
    let name = name.trim();
    let value = value.trim_start_matches([' ', '\t']).trim_end_matches([' ', '\t']);
    check_header(name, value)?;
    Ok((name.to_string(), (!value.is_empty()).then(|| value.to_string())))
}

/// Largest bearer token that namedcred sends, in bytes. It leaves room in
/// the [`MAX_REQUEST_HEAD`] request head for the path and other headers.
pub const MAX_BEARER_TOKEN: usize = 24 * 1024;

/// Checks that a token can be sent as `Authorization: Bearer <token>`:
/// visible ASCII only and at most [`MAX_BEARER_TOKEN`] bytes. The problem
/// is returned as the end of a sentence that starts with the token's name.
pub fn check_bearer_token(token: &str) -> Result<(), String> {
    if let Some(at) = token.find(|c: char| !c.is_ascii_graphic()) {
        return Err(format!(
            "has a space, line break or other character at byte {at} that an Authorization \
             header cannot carry"
        ));
    }
    if token.len() > MAX_BEARER_TOKEN {
        return Err(format!(
            "is {} bytes long, more than the {} KiB that namedcred sends in an Authorization \
             header",
            token.len(),
            MAX_BEARER_TOKEN / 1024
        ));
    }
    Ok(())
}

/// Checks that a request to `url` with `method` and `headers` fits in
/// [`MAX_REQUEST_HEAD`], so that an oversized request is rejected as a
/// usage error naming the limit before any connection is made.
pub fn check_head_size(method: &str, url: &Url, headers: &[(&str, &str)]) -> Result<(), Error> {
    let target = url.path().len() + url.query().map_or(0, |query| query.len() + 1);
    let request_line = method.len() + " ".len() + target + " HTTP/1.1\r\n".len();
    let fields: usize = headers.iter().map(|(name, value)| name.len() + value.len() + 4).sum();
    let host = url.host_str().map_or(0, str::len);
    let size = request_line + fields + host + ADDED_HEADERS + "\r\n".len();
    if size <= MAX_REQUEST_HEAD {
        return Ok(());
    }
    let mut shown = origin_and_path(url);
    if let Some((cut, _)) = shown.char_indices().nth(80) {
        shown.truncate(cut);
        shown.push_str("...");
    }
    Err(Error::usage(format!(
        "the request to {shown} is too large: its request line and headers take about {size} \
         bytes, more than the {} KiB that namedcred can send",
        MAX_REQUEST_HEAD / 1024
    ))
    .with_hint("shorten the path, the query or the -H header values"))
}

/// Classifies a transport failure for a request to `url` as a network
/// error (exit 6) whose message names the URL and the cause. With a
/// `proxy`, a failure to reach the proxy names the proxy instead.
pub fn transport_error(error: ureq::Error, url: &Url, proxy: Option<&ProxyChoice>) -> Error {
    let shown = origin_and_path(url);
    let error = match proxy {
        Some(proxy) => match proxy_error(error, &shown, proxy) {
            Ok(described) => return described,
            Err(other) => other,
        },
        None => error,
    };
    match error {
        ureq::Error::Timeout(which) => timeout_error(&shown, timeout_stage(which)),
        ureq::Error::HostNotFound => {
            Error::network(format!("cannot resolve the host of {shown} (DNS lookup failed)"))
        }
        ureq::Error::ConnectionFailed => Error::network(format!("cannot connect to {shown}")),
        ureq::Error::Io(e) if dns::is_lookup_failure(&e) => {
            Error::network(format!("cannot resolve the host of {shown}: {}", lookup_cause(&e)))
        }
        ureq::Error::Io(e) => {
            match e.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()) {
                Some(tls) => tls_error(&tls.to_string(), &shown),
                None => io_error(&e, &shown),
            }
        }
        ureq::Error::Rustls(e) => tls_error(&e.to_string(), &shown),
        ureq::Error::Tls(e) => tls_error(e, &shown),
        ureq::Error::ConnectProxyFailed(reason) => {
            Error::network(format!("the proxy failed to open a tunnel to {shown}: {reason}"))
                .with_hint(
                    "check the proxy variables (https_proxy, http_proxy, all_proxy, no_proxy)",
                )
        }
        ureq::Error::Protocol(e) => {
            Error::network(format!("{shown} sent a response that is not valid HTTP/1.1: {e}"))
        }
        other => Error::network(format!("request to {shown} failed: {other}")),
    }
}

/// Classifies a failure while reading the body of a response from `url`:
/// a timeout names that stage, other failures read as in
/// [`transport_error`].
pub fn body_error(error: ureq::Error, url: &Url, proxy: Option<&ProxyChoice>) -> Error {
    match error {
        ureq::Error::Timeout(_) => timeout_error(&origin_and_path(url), READING_BODY),
        other => transport_error(other, url, proxy),
    }
}

/// The stage of a request whose time limit passed while its body was read.
pub const READING_BODY: &str = "while reading the response body";

/// The stage of a request whose time limit passed before it was connected.
const CONNECTING: &str = "while connecting";

/// Names the stage of a request at which its time limit passed, so that
/// every timeout message reads "timed out while ...".
pub fn timeout_stage(which: ureq::Timeout) -> &'static str {
    use ureq::Timeout;
    match which {
        Timeout::Resolve | Timeout::Connect => CONNECTING,
        Timeout::SendRequest | Timeout::SendBody => "while sending the request",
        Timeout::RecvBody => READING_BODY,
        _ => "while waiting for the response",
    }
}

/// Builds the error for a request to `shown` whose time limit passed at
/// `stage`, with the limit that applies to that stage in the hint.
pub fn timeout_error(shown: &str, stage: &str) -> Error {
    let error = Error::network(format!("request to {shown} timed out {stage}"));
    if stage == CONNECTING {
        return error.with_hint(format!(
            "check that the host is reachable; connecting is limited to {} seconds, or to \
             --timeout or `timeout` when shorter",
            CONNECT_TIMEOUT.as_secs()
        ));
    }
    error.with_hint(format!(
        "raise the limit with --timeout SECONDS or `timeout` on the credential, up to {} seconds",
        MAX_TIMEOUT.as_secs()
    ))
}

/// Describes a failure to use the proxy: resolving or connecting to it,
/// or a tunnel that it would not open. The message names the proxy without
/// its password, and the variable that set it. Returns the error unchanged
/// when it happened past the proxy, such as a TLS failure with the server.
fn proxy_error(error: ureq::Error, shown: &str, proxy: &ProxyChoice) -> Result<Error, ureq::Error> {
    let named = format!("proxy {} (from {})", proxy.shown(), proxy.variable);
    let check =
        format!("check {}, or list the host in no_proxy to connect directly", proxy.variable);
    let described = match &error {
        ureq::Error::HostNotFound => {
            Error::network(format!("cannot resolve the host of {named} (DNS lookup failed)"))
        }
        ureq::Error::Io(e) if dns::is_lookup_failure(e) => {
            Error::network(format!("cannot resolve the host of {named}: {}", lookup_cause(e)))
        }
        ureq::Error::ConnectionFailed => Error::network(format!("cannot connect to {named}")),
        ureq::Error::Io(e) if connect_cause(e.kind()).is_some() => Error::network(format!(
            "cannot connect to {named}: {}",
            connect_cause(e.kind()).unwrap_or_default()
        )),
        ureq::Error::ConnectProxyFailed(reason) if reason.contains("407") => {
            return Ok(authentication_required(proxy));
        }
        ureq::Error::ConnectProxyFailed(reason) => {
            let reason = reason.replace("proxy server responded ", "it answered HTTP ");
            let reason = match reason.split_once('/') {
                // ureq writes the status twice, as in "502/502".
                Some((first, second)) if first.ends_with(second) => first.to_string(),
                _ => reason,
            };
            Error::network(format!("{named} failed to open a tunnel to {shown}: {reason}"))
        }
        // Requests through a proxy start with CONNECT, so text that is not
        // HTTP most likely came from the proxy's port.
        ureq::Error::Protocol(e) => Error::network(format!(
            "the response through {named} to {shown} is not valid HTTP/1.1 ({e}); the proxy \
             port may not speak HTTP"
        )),
        _ => return Err(error),
    };
    Ok(described.with_hint(check))
}

/// Builds the error for a proxy that replied 407 Proxy Authentication
/// Required. ureq sends the user name and password of the proxy URL as
/// Basic credentials, so a 407 means they are missing or wrong.
fn authentication_required(proxy: &ProxyChoice) -> Error {
    let named = format!("proxy {} (from {})", proxy.shown(), proxy.variable);
    let has_credentials = !proxy.url.username().is_empty() || proxy.url.password().is_some();
    if has_credentials {
        Error::network(format!(
            "{named} rejected the user name and password in {} \
             (HTTP 407 Proxy Authentication Required)",
            proxy.variable
        ))
        .with_hint(format!("check the user name and password in {}", proxy.variable))
    } else {
        Error::network(format!(
            "{named} requires authentication (HTTP 407 Proxy Authentication Required)"
        ))
        .with_hint(format!(
            "put the user name and password in the proxy URL: {}=http://USER:PASSWORD@HOST:PORT",
            proxy.variable
        ))
    }
}

/// Returns the cause of a failed lookup without the "failed to lookup
/// address information" that the standard library puts before it.
fn lookup_cause(error: &io::Error) -> String {
    let text = error.to_string();
    match text.strip_prefix("failed to lookup address information: ") {
        Some(cause) => cause.to_string(),
        None => text,
    }
}

/// Returns the usual words for an I/O error that means the connection
/// could not be opened, or `None` for any other error.
fn connect_cause(kind: io::ErrorKind) -> Option<&'static str> {
    use io::ErrorKind;
    match kind {
        ErrorKind::ConnectionRefused => Some("connection refused"),
        ErrorKind::AddrNotAvailable => Some("address not available"),
        ErrorKind::NetworkUnreachable => Some("network unreachable"),
        ErrorKind::HostUnreachable => Some("host unreachable"),
        _ => None,
    }
}

/// Describes an I/O failure in the usual words of the operating system.
fn io_error(error: &io::Error, shown: &str) -> Error {
    use io::ErrorKind;
    if let Some(cause) = connect_cause(error.kind()) {
        return Error::network(format!("cannot connect to {shown}: {cause}"));
    }
    let cause = match error.kind() {
        ErrorKind::ConnectionReset => "connection reset by the server",
        ErrorKind::ConnectionAborted => "connection aborted",
        ErrorKind::UnexpectedEof => "the server closed the connection before responding",
        ErrorKind::TimedOut => "timed out",
        _ => return Error::network(format!("request to {shown} failed: {error}")),
    };
    Error::network(format!("request to {shown} failed: {cause}"))
}

/// Builds the error for a failed TLS handshake.
fn tls_error(cause: &str, shown: &str) -> Error {
    let error = Error::network(format!("TLS with {shown} failed: {cause}"));
    if cause.contains("UnknownIssuer") || cause.contains("certificate") {
        error.with_hint(
            "if the server uses a private CA, set `ca_file` on the credential to its PEM file",
        )
    } else if cause.contains("InvalidContentType") {
        // A plain HTTP server replies to the TLS ClientHello with an HTTP
        // error page, which rustls reads as a record of an unknown type.
        error.with_hint(
            "the server answered in plain HTTP, not TLS; check the port, or use http:// \
             for a loopback server without TLS",
        )
    } else {
        error
    }
}

/// Returns the URL without its user information, query and fragment,
/// which may contain secrets, for messages.
pub fn origin_and_path(url: &Url) -> String {
    let mut shown = url.clone();
    let _ = shown.set_username("");
    let _ = shown.set_password(None);
    shown.set_query(None);
    shown.set_fragment(None);
    shown.to_string()
}

/// Writes the status line and headers of a response as HTTP/1.1 text.
pub fn write_head<B>(out: &mut impl Write, response: &ureq::http::Response<B>) -> io::Result<()> {
    let status = response.status();
    write!(
        out,
        "{:?} {} {}\r\n",
        response.version(),
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    )?;
    for (name, value) in response.headers() {
        out.write_all(name.as_str().as_bytes())?;
        out.write_all(b": ")?;
        out.write_all(value.as_bytes())?;
        out.write_all(b"\r\n")?;
    }
    out.write_all(b"\r\n")
}

/// Returns the status code with its reason phrase, such as `404 Not Found`,
/// or the code alone when the status has no standard phrase.
pub fn status_text(status: ureq::http::StatusCode) -> String {
    match status.canonical_reason() {
        Some(reason) => format!("{} {reason}", status.as_u16()),
        None => status.as_u16().to_string(),
    }
}

/// Returns the exit code for a final HTTP status: 0 below 300, then 3, 4
/// or 5 for 3xx, 4xx and 5xx.
pub fn status_exit_code(status: u16) -> u8 {
    match status {
        300..=399 => 3,
        400..=499 => 4,
        500..=599 => 5,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn join(base: &str, path: &str) -> Result<String, String> {
        join_url(&Url::parse(base).unwrap(), path).map(|u| u.to_string())
    }

    #[test]
    fn join_keeps_base_path_with_one_slash() {
        let expected = "https://api.example.com/v1/users";
        assert_eq!(join("https://api.example.com/v1", "users").unwrap(), expected);
        assert_eq!(join("https://api.example.com/v1/", "/users").unwrap(), expected);
        assert!(join("https://api.example.com/v1", "//users").unwrap_err().contains("absolute"));
        assert_eq!(join("https://api.example.com/v1/", "users").unwrap(), expected);
        assert_eq!(join("https://api.example.com/v1", "/users").unwrap(), expected);
    }

    #[test]
    fn timeouts_name_their_stage() {
        assert_eq!(timeout_stage(ureq::Timeout::Connect), "while connecting");
        assert_eq!(timeout_stage(ureq::Timeout::RecvBody), "while reading the response body");
        assert_eq!(timeout_stage(ureq::Timeout::Global), "while waiting for the response");
        let connect = timeout_error("https://x.example/a", CONNECTING);
        assert_eq!(connect.message, "request to https://x.example/a timed out while connecting");
        assert!(connect.hint.unwrap().contains("limited to 10 seconds"));
        let body = timeout_error("https://x.example/a", READING_BODY);
        assert!(body.hint.unwrap().contains("up to 86400 seconds"));
    }

    #[test]
    fn join_refuses_dot_segments_in_every_spelling() {
        for path in [
            "..",
            "/../x",
            "../x",
            "/a/../../x",
            "./x",
            "/%2e%2e/x",
            "/%2E./x",
            "/.%2e",
            "/a/..;/b",
            "/a/..;jsessionid=1/b",
            "/a/%2e%2e%3b/b",
            "/v1/..%2fx",
            "/v1/%5c..%5cx",
            "/v1/x%2F..%2Fy",
        ] {
            let err = join("https://a.example/api/v1", path).unwrap_err();
            assert!(err.contains(". or .. segment"), "{path}: {err}");
        }
        assert_eq!(
            join("https://a.example/v1", "/a..b/.x/x.").unwrap(),
            "https://a.example/v1/a..b/.x/x."
        );
        assert_eq!(
            join("https://a.example/v4", "/projects/group%2Fproject").unwrap(),
            "https://a.example/v4/projects/group%2Fproject"
        );
    }

    #[test]
    fn bearer_token_characters_and_size() {
        assert!(check_bearer_token("abc.DEF-_~+/=").is_ok());
        assert!(check_bearer_token("a b").unwrap_err().contains("byte 1"));
        assert!(check_bearer_token("a\r\nb").unwrap_err().contains("byte 1"));
        assert!(check_bearer_token(&"a".repeat(MAX_BEARER_TOKEN)).is_ok());
        let long = check_bearer_token(&"a".repeat(MAX_BEARER_TOKEN + 1)).unwrap_err();
        assert!(long.contains("24 KiB"), "{long}");
    }

    #[test]
    fn base_path_is_compared_by_segment() {
        assert!(within_base_path("/a", "/a/b"));
        assert!(within_base_path("/a/", "/a"));
        assert!(within_base_path("/", "/x"));
        assert!(!within_base_path("/a", "/ab"));
        assert!(!within_base_path("/a", "/"));
    }

    fn proxy(url: &str) -> ProxyChoice {
        ProxyChoice { variable: "http_proxy", url: Url::parse(url).unwrap() }
    }

    fn lookup_error(cause: &str) -> ureq::Error {
        let inner = io::Error::other(format!("failed to lookup address information: {cause}"));
        ureq::Error::Io(io::Error::other(dns::LookupFailed(inner)))
    }

    #[test]
    fn proxy_failures_name_the_proxy() {
        let api = Url::parse("https://api.example/v1/me").unwrap();
        let via = proxy("http://user:pw-canary@proxy.example:3128");
        let cases = [
            (ureq::Error::HostNotFound, "cannot resolve the host of proxy"),
            (
                lookup_error("Name or service not known"),
                "proxy.example:3128/ (from http_proxy): Name or service not known",
            ),
            (ureq::Error::ConnectionFailed, "cannot connect to proxy"),
            (
                ureq::Error::Io(io::ErrorKind::ConnectionRefused.into()),
                "cannot connect to proxy http://proxy.example:3128/ (from http_proxy): connection refused",
            ),
            (
                ureq::Error::ConnectProxyFailed("proxy server responded 502/502".into()),
                "failed to open a tunnel to https://api.example/v1/me: it answered HTTP 502",
            ),
        ];
        for (error, expected) in cases {
            let described = transport_error(error, &api, Some(&via));
            let message = described.message;
            assert!(message.contains(expected), "{message}");
            assert!(message.contains("(from http_proxy)"), "{message}");
            assert!(!message.contains("pw-canary"), "{message}");
            assert!(described.hint.is_some_and(|hint| hint.contains("http_proxy")), "{message}");
        }
    }

    #[test]
    fn proxy_407_explains_credentials() {
        let api = Url::parse("https://api.example/").unwrap();
        let reason = || ureq::Error::ConnectProxyFailed("proxy server responded 407/407".into());

        let bare = transport_error(reason(), &api, Some(&proxy("http://proxy.example:3128")));
        assert!(bare.message.contains("requires authentication"), "{}", bare.message);
        assert!(bare.hint.unwrap().contains("http_proxy=http://USER:PASSWORD@HOST:PORT"));

        let with = proxy("http://user:pw-canary@proxy.example:3128");
        let rejected = transport_error(reason(), &api, Some(&with));
        assert!(rejected.message.contains("rejected the user name and password"));
        assert!(!rejected.message.contains("pw-canary"), "{}", rejected.message);
        assert!(!rejected.message.contains("407/407"), "{}", rejected.message);
    }

    #[test]
    fn direct_lookup_failure_names_the_url() {
        let api = Url::parse("https://api.example/v1/me?key=secret").unwrap();
        let message = transport_error(lookup_error("Temporary failure"), &api, None).message;
        assert_eq!(
            message,
            "cannot resolve the host of https://api.example/v1/me: Temporary failure"
        );
    }

    #[test]
    fn head_size_limit() {
        let url = Url::parse("https://a.example/v1/items?page=2").unwrap();
        assert!(check_head_size("GET", &url, &[("X-A", "small")]).is_ok());
        let value = "v".repeat(MAX_REQUEST_HEAD - 100);
        let message = check_head_size("GET", &url, &[("X-A", &value)]).unwrap_err().message;
        assert!(message.contains("https://a.example/v1/items is too large"), "{message}");
        assert!(message.contains("32 KiB"), "{message}");
        assert!(!message.contains("page=2"), "{message}");

        let long = Url::parse(&format!("https://a.example/{}", "p".repeat(40_000))).unwrap();
        let message = check_head_size("GET", &long, &[]).unwrap_err().message;
        assert!(message.contains("https://a.example/ppp"), "{message}");
        assert!(message.contains("ppp... is too large"), "{message}");
        assert!(message.len() < 300, "{message}");
    }

    #[test]
    fn join_root_base() {
        assert_eq!(join("https://a.example", "/x").unwrap(), "https://a.example/x");
        assert_eq!(join("https://a.example/", "x").unwrap(), "https://a.example/x");
    }

    #[test]
    fn join_empty_path_keeps_base() {
        assert_eq!(join("https://a.example/v1", "").unwrap(), "https://a.example/v1");
        assert_eq!(join("https://a.example/v1", "/").unwrap(), "https://a.example/v1");
    }

    #[test]
    fn join_keeps_query() {
        assert_eq!(
            join("https://a.example/v1", "/items?limit=5&q=a%20b").unwrap(),
            "https://a.example/v1/items?limit=5&q=a%20b"
        );
        assert_eq!(
            join("https://a.example/v1?api-version=2", "items?x=1").unwrap(),
            "https://a.example/v1/items?api-version=2&x=1"
        );
    }

    #[test]
    fn join_keeps_colons_and_at_signs_in_path() {
        assert_eq!(
            join("https://a.example/v1", "projects/p:run").unwrap(),
            "https://a.example/v1/projects/p:run"
        );
        assert_eq!(join("https://a.example", "users/@me").unwrap(), "https://a.example/users/@me");
    }

    #[test]
    fn join_rejects_origin_changes() {
        for path in [
            "https://evil.example/x",
            "HTTP://evil.example",
            "//evil.example/x",
            "\\\\evil.example\\x",
            "/x\\y",
            "x\r\nHost: evil",
            "x\0",
            "https:evil.example",
            "ftp://evil.example",
            "/x#frag",
        ] {
            assert!(join("https://a.example/v1", path).is_err(), "{path:?}");
        }
    }

    #[test]
    fn shown_url_loses_userinfo_query_and_fragment() {
        let url = Url::parse("https://u:p@h.example/a/b?code=x#frag").unwrap();
        assert_eq!(origin_and_path(&url), "https://h.example/a/b");
    }

    #[test]
    fn join_percent_encodes_spaces() {
        assert_eq!(join("https://a.example", "a b").unwrap(), "https://a.example/a%20b");
    }

    #[test]
    fn header_flag_parsing() {
        assert_eq!(
            parse_header_flag("X-Trace: abc").unwrap(),
            ("X-Trace".to_string(), Some("abc".to_string()))
        );
        assert_eq!(parse_header_flag("X-Trace:").unwrap(), ("X-Trace".to_string(), None));
        assert_eq!(
            parse_header_flag("Accept:application/json").unwrap().1.as_deref(),
            Some("application/json")
        );
        assert!(parse_header_flag("no colon").is_err());
        assert!(parse_header_flag("Bad Name: x").is_err());
        assert!(parse_header_flag("X: a\rb").is_err());
        assert!(parse_header_flag("X: a\nb").is_err());
        assert!(parse_header_flag("X: a\0b").is_err());
    }

    #[test]
    fn status_codes_map_to_exit_codes() {
        assert_eq!(status_exit_code(200), 0);
        assert_eq!(status_exit_code(204), 0);
        assert_eq!(status_exit_code(301), 3);
        assert_eq!(status_exit_code(404), 4);
        assert_eq!(status_exit_code(503), 5);
    }
}

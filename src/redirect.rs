//! The redirect policy of `call -L`: which redirects are followed, with
//! which method and body, and whether the credential goes along.
//!
//! The bearer token and the credential's configured headers go only to the
//! origin (scheme, host and port) of the credential's `url`, and never
//! again once a redirect has gone from https to http. A request body is
//! sent again (307 and 308, or 301 and 302 for methods other than POST)
//! only to that same origin; any other such redirect stops the chain.

use ureq::http::Method;
use url::{Origin, Url};

use crate::redact;

/// The maximum number of redirects that `-L` follows in one call.
pub const MAX_REDIRECTS: u32 = 10;

/// Characters of a rejected `Location` shown in a message.
const MAX_SHOWN_LOCATION: usize = 200;

/// One request of a redirect chain.
#[derive(Debug, Clone)]
pub struct Hop {
    /// The method of this request.
    pub method: Method,
    /// The target of this request.
    pub url: Url,
    /// Whether the request body, if any, is sent.
    pub keeps_body: bool,
    /// Whether the bearer token and the credential's headers are sent.
    pub with_credentials: bool,
    /// Whether the chain went from https to http at some point.
    downgraded: bool,
}

/// The next step after a response.
#[derive(Debug)]
pub enum Step {
    /// The response is final: not a redirect, or one without `Location`.
    Final,
    /// Send this request next.
    Follow(Hop),
    /// The response is a redirect that the policy does not follow, for
    /// the reason in the text.
    Refuse(String),
}

impl Hop {
    /// Returns the first request of a chain, which carries the credential.
    pub fn first(method: Method, url: Url) -> Hop {
        Hop { method, url, keeps_body: true, with_credentials: true, downgraded: false }
    }
}

/// Decides the step after `current` received `status` with `location`.
///
/// `origin` is the origin of the credential's `url`, `has_body` is true
/// when the call has a request body and `followed` counts the
/// redirects followed so far.
pub fn next(
    origin: &Origin,
    current: &Hop,
    status: u16,
    location: Option<&str>,
    has_body: bool,
    followed: u32,
) -> Step {
    if !matches!(status, 301 | 302 | 303 | 307 | 308) {
        return Step::Final;
    }
    let Some(location) = location else { return Step::Final };
    if followed >= MAX_REDIRECTS {
        return Step::Refuse(format!("stopped after {MAX_REDIRECTS} redirects"));
    }
    let target = match resolve_location(&current.url, location) {
        Ok(target) => target,
        Err(problem) => return Step::Refuse(problem),
    };

    let downgraded =
        current.downgraded || (current.url.scheme() == "https" && target.scheme() == "http");
    let same_origin = target.origin() == *origin && !downgraded;
    let (method, keeps_body) = method_after(status, &current.method, current.keeps_body);
    if keeps_body && has_body && !same_origin {
        return Step::Refuse(format!(
            "the {method} request body would be sent again to {}, \
             which is not the credential's origin {}",
            shown(&target),
            origin.ascii_serialization()
        ));
    }
    Step::Follow(Hop { method, url: target, keeps_body, with_credentials: same_origin, downgraded })
}

/// Returns the method of the next request and whether the body is kept.
///
/// 303 always becomes GET (HEAD stays HEAD) without a body. 301 and 302
/// turn POST into GET without a body, as browsers and curl do. 307 and
/// 308, and 301 and 302 for other methods, repeat the request as it was.
fn method_after(status: u16, method: &Method, keeps_body: bool) -> (Method, bool) {
    match status {
        303 if *method == Method::HEAD => (Method::HEAD, false),
        303 => (Method::GET, false),
        301 | 302 if *method == Method::POST => (Method::GET, false),
        _ => (method.clone(), keeps_body),
    }
}

/// Resolves a `Location` value against the URL that returned it.
///
/// Rejects targets that are not http or https and targets with a user
/// name or password. A fragment is dropped, because it is never sent.
fn resolve_location(base: &Url, location: &str) -> Result<Url, String> {
    let location = location.trim();
    // The Location may carry a password or a code meant for another party.
    let redacted = redact::text::secret_values(&redact::text::url_userinfo(location));
    let shown_location: String = redacted.escape_debug().take(MAX_SHOWN_LOCATION).collect();
    let mut target = base
        .join(location)
        .map_err(|e| format!("the Location \"{shown_location}\" is not a valid URL ({e})"))?;
    if !matches!(target.scheme(), "http" | "https") {
        return Err(format!(
            "the Location \"{shown_location}\" uses scheme {}; only http and https are followed",
            target.scheme()
        ));
    }
    if !target.username().is_empty() || target.password().is_some() {
        return Err("the Location contains a user name or password".to_string());
    }
    target.set_fragment(None);
    Ok(target)
}

/// Returns a URL without its query for messages.
fn shown(url: &Url) -> String {
    let mut shown = url.clone();
    shown.set_query(None);
    shown.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "https://api.example.com/v1/items";

    fn origin() -> Origin {
        Url::parse(BASE).unwrap().origin()
    }

    fn first(method: Method) -> Hop {
        Hop::first(method, Url::parse(BASE).unwrap())
    }

    fn follow(hop: &Hop, status: u16, location: &str, has_body: bool) -> Hop {
        match next(&origin(), hop, status, Some(location), has_body, 0) {
            Step::Follow(next) => next,
            other => panic!("expected a redirect to be followed, got {other:?}"),
        }
    }

    fn refusal(hop: &Hop, status: u16, location: &str, has_body: bool) -> String {
        match next(&origin(), hop, status, Some(location), has_body, 0) {
            Step::Refuse(reason) => reason,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn relative_location_resolved() {
        let hop = follow(&first(Method::GET), 302, "other?x=1", false);
        assert_eq!(hop.url.as_str(), "https://api.example.com/v1/other?x=1");
        let hop = follow(&first(Method::GET), 302, "/root#frag", false);
        assert_eq!(hop.url.as_str(), "https://api.example.com/root");
        assert!(hop.with_credentials);
    }

    #[test]
    fn credentials_only_to_same_origin() {
        for location in [
            "https://evil.example/x",
            "https://api.example.com:8443/x",
            "http://api.example.com/x",
            "//evil.example/x",
        ] {
            let hop = follow(&first(Method::GET), 302, location, false);
            assert!(!hop.with_credentials, "{location}");
        }
    }

    #[test]
    fn no_credentials_after_downgrade_even_back_on_origin() {
        let plain = follow(&first(Method::GET), 302, "http://api.example.com/x", false);
        let back = follow(&plain, 302, BASE, false);
        assert!(!back.with_credentials);
    }

    #[test]
    fn see_other_becomes_get_without_body() {
        let hop = follow(&first(Method::PUT), 303, "/done", true);
        assert_eq!(hop.method, Method::GET);
        assert!(!hop.keeps_body);
        let head = follow(&first(Method::HEAD), 303, "/done", false);
        assert_eq!(head.method, Method::HEAD);
    }

    #[test]
    fn post_becomes_get_on_301_and_302() {
        for status in [301, 302] {
            let hop = follow(&first(Method::POST), status, "https://other.example/", true);
            assert_eq!(hop.method, Method::GET, "{status}");
            assert!(!hop.keeps_body, "{status}");
        }
    }

    #[test]
    fn temporary_redirect_replays_body_on_same_origin_only() {
        let hop = follow(&first(Method::POST), 307, "/v2/items", true);
        assert_eq!(hop.method, Method::POST);
        assert!(hop.keeps_body);
        let reason = refusal(&first(Method::POST), 308, "https://other.example/", true);
        assert!(reason.contains("body"), "{reason}");
        let put = refusal(&first(Method::PUT), 301, "https://other.example/", true);
        assert!(put.contains("other.example"), "{put}");
    }

    #[test]
    fn bodiless_307_may_leave_origin_without_credentials() {
        let hop = follow(&first(Method::GET), 307, "https://cdn.example/file", false);
        assert!(!hop.with_credentials);
        assert_eq!(hop.method, Method::GET);
    }

    #[test]
    fn odd_locations_refused() {
        assert!(refusal(&first(Method::GET), 302, "ftp://x.example/", false).contains("ftp"));
        assert!(
            refusal(&first(Method::GET), 302, "https://u:p@x.example/", false).contains("user")
        );
        assert!(refusal(&first(Method::GET), 302, "http://[::1", false).contains("not a valid"));
    }

    #[test]
    fn limit_and_final_responses() {
        let hop = first(Method::GET);
        let step = next(&origin(), &hop, 302, Some("/x"), false, MAX_REDIRECTS);
        assert!(matches!(step, Step::Refuse(reason) if reason.contains("10 redirects")));
        assert!(matches!(next(&origin(), &hop, 302, None, false, 0), Step::Final));
        assert!(matches!(next(&origin(), &hop, 304, Some("/x"), false, 0), Step::Final));
        assert!(matches!(next(&origin(), &hop, 200, Some("/x"), false, 0), Step::Final));
    }
}

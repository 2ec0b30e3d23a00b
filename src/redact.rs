//! Redacted descriptions of HTTP requests and responses, for `-v` logs
//! and `--dry-run` output.
//!
//! Both work from allow-lists: a header or form field whose name is not
//! listed here has its value replaced by `(redacted)`, so a new header or
//! form field stays hidden until someone decides to list it. The
//! `Authorization` header keeps its scheme (`Bearer (redacted)`).

use std::time::Duration;

pub mod text;

/// Header names, in lower case, whose values are shown: standard content
/// negotiation, caching, framing and diagnostics headers that carry no
/// credentials, and the version and token-type headers that presets send.
const SHOWN_HEADERS: [&str; 26] = [
    "accept",
    "accept-encoding",
    "accept-language",
    "age",
    "cache-control",
    "content-encoding",
    "content-language",
    "content-length",
    "content-type",
    "date",
    "etag",
    "expires",
    "if-match",
    "if-modified-since",
    "if-none-match",
    "last-modified",
    "pragma",
    "range",
    "retry-after",
    "server",
    "user-agent",
    "vary",
    "www-authenticate",
    "x-github-api-version",
    "x-request-id",
    "x-snowflake-authorization-token-type",
];

/// Headers whose first word is an authentication scheme, shown before the
/// redacted credentials.
const SCHEME_HEADERS: [&str; 2] = ["authorization", "proxy-authorization"];

/// Token request form fields whose values are shown: grant and token type
/// identifiers, the client id, and the requested scope and audience. The
/// assertion, `client_assertion`, `subject_token`, `actor_token`, client
/// secrets and any other field are redacted.
const SHOWN_FORM_FIELDS: [&str; 9] = [
    "grant_type",
    "scope",
    "client_id",
    "client_assertion_type",
    "subject_token_type",
    "requested_token_type",
    "actor_token_type",
    "resource",
    "audience",
];

/// The placeholder for a value that is not shown.
pub const REDACTED: &str = "(redacted)";

/// Returns a header value as it may be shown.
pub fn header_value(name: &str, value: &str) -> String {
    let lower = name.to_ascii_lowercase();
    if SHOWN_HEADERS.contains(&lower.as_str()) {
        return text::escape_controls(value);
    }
    if SCHEME_HEADERS.contains(&lower.as_str())
        && let Some((scheme, _)) = value.split_once(' ')
    {
        return format!("{} {REDACTED}", text::escape_controls(scheme));
    }
    REDACTED.to_string()
}

/// Returns a form field value as it may be shown.
pub fn form_value<'a>(name: &str, value: &'a str) -> &'a str {
    if SHOWN_FORM_FIELDS.contains(&name) { value } else { REDACTED }
}

/// A request to describe: what `-v` logs and `--dry-run` prints.
pub struct RequestView<'a> {
    /// The HTTP method.
    pub method: &'a str,
    /// The full URL, query included.
    pub url: &'a str,
    /// Headers in sending order, values not yet redacted.
    pub headers: Vec<(&'a str, &'a str)>,
    /// The body.
    pub body: BodyView<'a>,
}

/// The body of a described request.
pub enum BodyView<'a> {
    /// No body.
    None,
    /// Form fields, values not yet redacted.
    Form(Vec<(&'a str, &'a str)>),
    /// Bytes given by the user, shown as text when they are UTF-8.
    Bytes(&'a [u8]),
}

impl RequestView<'_> {
    /// Returns the request line and the redacted headers, one per line.
    /// User information and query parameters with secret names, such as
    /// `api_key`, are redacted.
    pub fn head_lines(&self) -> Vec<String> {
        let url = text::url_userinfo(self.url);
        let url = match url.split_once('?') {
            Some((before, query)) => format!("{before}?{}", text::secret_values(query)),
            None => url,
        };
        let mut lines = vec![format!("{} {}", self.method, text::escape_controls(&url))];
        for (name, value) in &self.headers {
            lines.push(format!("{name}: {}", header_value(name, value)));
        }
        lines
    }

    /// Returns the body as lines: one `name=value` line per form field,
    /// with unlisted values redacted, or the user's text.
    pub fn body_lines(&self) -> Vec<String> {
        match &self.body {
            BodyView::None => Vec::new(),
            BodyView::Form(fields) => fields
                .iter()
                .map(|(name, value)| {
                    format!("{name}={}", text::escape_controls(form_value(name, value)))
                })
                .collect(),
            BodyView::Bytes(bytes) => match std::str::from_utf8(bytes) {
                Ok(text) => text.lines().map(self::text::escape_controls).collect(),
                Err(_) => vec![format!("({} bytes of binary data)", bytes.len())],
            },
        }
    }

    /// Logs the request at debug level: head lines after `> `, and the
    /// form fields, or only the size of any other body, because a body
    /// given by the user is not namedcred's to print unless asked.
    pub fn log(&self) {
        if !log::log_enabled!(log::Level::Debug) {
            return;
        }
        for line in self.head_lines() {
            log::debug!("> {line}");
        }
        match &self.body {
            BodyView::None => {}
            BodyView::Form(_) => self.body_lines().iter().for_each(|l| log::debug!("> {l}")),
            BodyView::Bytes(bytes) => log::debug!("> ({} bytes of body)", bytes.len()),
        }
    }

    /// Returns the text that `--dry-run` prints: the head, a blank line and
    /// the body when there is one.
    pub fn dry_run_text(&self) -> String {
        let mut lines = self.head_lines();
        let body = self.body_lines();
        if !body.is_empty() {
            lines.push(String::new());
            lines.extend(body);
        }
        lines.join("\n")
    }
}

/// Logs a response at debug level: the server that sent it (`what`), the
/// status, the time it took, and the headers with unlisted values redacted.
pub fn log_response(what: &str, response: &ureq::http::Response<ureq::Body>, elapsed: Duration) {
    if !log::log_enabled!(log::Level::Debug) {
        return;
    }
    let status = response.status();
    log::debug!(
        "< HTTP {} from {what} in {} ms",
        crate::http::status_text(status),
        elapsed.as_millis()
    );
    for (name, value) in response.headers() {
        let text = String::from_utf8_lossy(value.as_bytes());
        log::debug!("< {name}: {}", header_value(name.as_str(), &text));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listed_headers_shown() {
        assert_eq!(header_value("Content-Type", "application/json"), "application/json");
        assert_eq!(header_value("accept", "*/*"), "*/*");
    }

    #[test]
    fn authorization_keeps_scheme_only() {
        assert_eq!(header_value("Authorization", "Bearer abc.def.ghi"), "Bearer (redacted)");
        assert_eq!(header_value("authorization", "opaque"), REDACTED);
        assert_eq!(header_value("Proxy-Authorization", "Basic dXNlcg=="), "Basic (redacted)");
    }

    #[test]
    fn unlisted_headers_redacted() {
        for name in ["X-Api-Key", "Cookie", "X-Custom", "Set-Cookie", "X-Auth-Token"] {
            assert_eq!(header_value(name, "secret-value"), REDACTED, "{name}");
        }
    }

    #[test]
    fn token_fields_redacted() {
        for name in
            ["assertion", "client_assertion", "subject_token", "actor_token", "client_secret"]
        {
            assert_eq!(form_value(name, "secret"), REDACTED, "{name}");
        }
        assert_eq!(form_value("grant_type", "client_credentials"), "client_credentials");
        assert_eq!(form_value("scope", "read"), "read");
    }

    #[test]
    fn dry_run_text_layout() {
        let view = RequestView {
            method: "POST",
            url: "https://a.example/token",
            headers: vec![("Accept", "application/json"), ("X-Key", "k")],
            body: BodyView::Form(vec![("grant_type", "g"), ("assertion", "eyJ.x.y")]),
        };
        assert_eq!(
            view.dry_run_text(),
            "POST https://a.example/token\nAccept: application/json\nX-Key: (redacted)\n\n\
             grant_type=g\nassertion=(redacted)"
        );
    }

    #[test]
    fn secret_query_parameters_redacted() {
        let view = RequestView {
            method: "GET",
            url: "https://u:p@a.example/x?api_key=K1&page=2&access_token=T",
            headers: Vec::new(),
            body: BodyView::None,
        };
        assert_eq!(
            view.head_lines(),
            vec![
                "GET https://redacted@a.example/x?api_key=(redacted)&page=2&access_token=(redacted)"
            ]
        );
    }

    #[test]
    fn binary_body_summarised() {
        let view = RequestView {
            method: "PUT",
            url: "https://a.example/x",
            headers: Vec::new(),
            body: BodyView::Bytes(&[0xff, 0xfe, 0x00]),
        };
        assert_eq!(view.body_lines(), vec!["(3 bytes of binary data)".to_string()]);
    }

    #[test]
    fn control_characters_escaped() {
        assert_eq!(header_value("Content-Type", "a\nb"), "a\\nb");
    }
}

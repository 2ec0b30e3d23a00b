//! Redaction of free text that namedcred did not write: bodies from a
//! server, the stderr of a key command, values from the configuration.
//!
//! Unlike the allow-lists of the parent module, these functions look for
//! shapes that carry secrets: `name=value`, `"name": "value"`,
//! `<name>value</name>`, PEM blocks, long base64 runs and the user
//! information of a URL. What they do not recognise stays in the text, so callers also
//! remove the secrets they know of by value.

use super::REDACTED;

/// Normalised member names (lower case, without `_` and `-`) whose values
/// are secret wherever they appear.
const SECRET_NAMES: [&str; 14] = [
    "code",
    "authcode",
    "authorizationcode",
    "devicecode",
    "usercode",
    "codeverifier",
    "pwd",
    "pass",
    "otp",
    "sig",
    "cookie",
    "setcookie",
    "authorization",
    "proxyauthorization",
];

/// Endings of normalised member names whose values are secret, such as
/// `access_token`, `refresh_token`, `client_secret`, `client_assertion`,
/// `password`, `api_key`, `private_key` or `X-Api-Key`. Names that end in
/// `type` (`token_type`, `subject_token_type`) do not match.
const SECRET_NAME_ENDINGS: [&str; 9] = [
    "token",
    "secret",
    "password",
    "passwd",
    "passphrase",
    "assertion",
    "key",
    "signature",
    "credentials",
];

/// Members whose whole line is secret, because their value has several
/// words (`Authorization: Bearer ...`, `Cookie: a=1; b=2`).
const LINE_VALUE_NAMES: [&str; 5] =
    ["authorization", "proxyauthorization", "cookie", "setcookie", "credentials"];

/// Shortest run of base64 characters that `key_material` treats as key
/// material. 40 characters carry 30 bytes, less than any private key, and
/// more than most words and identifiers in an error message.
const MIN_BASE64_RUN: usize = 40;

/// Tells whether a member name marks its value as secret. The comparison
/// ignores case, `_` and `-`, so `accessToken`, `access-token` and
/// `ACCESS_TOKEN` all match.
pub fn is_secret_name(name: &str) -> bool {
    let normalised = normalise(name);
    SECRET_NAMES.contains(&normalised.as_str())
        || SECRET_NAME_ENDINGS.iter().any(|ending| normalised.ends_with(ending))
}

/// Lower-cases a name and drops `_` and `-`.
fn normalise(name: &str) -> String {
    name.chars().filter(|c| *c != '_' && *c != '-').map(|c| c.to_ascii_lowercase()).collect()
}

/// Replaces the values of secret members with `(redacted)`, whatever the
/// shape of the text: form fields (`access_token=...&scope=read`), JSON
/// members (`"access_token": "..."`, also in JSON cut off before the
/// closing quote), `name: value` lines and XML elements. Names are matched
/// by `is_secret_name`.
///
/// NOTE: prose loses a word too. `Invalid token: signature mismatch`
/// becomes `Invalid token: (redacted) mismatch`, because text of the shape
/// `token: value` may equally be a header line.
pub fn secret_values(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut position = 0;
    let mut name_start = None;
    let mut chars = text.char_indices().peekable();
    while let Some((index, c)) = chars.next() {
        let in_name = c.is_ascii_alphanumeric() || c == '_' || c == '-';
        if in_name {
            name_start.get_or_insert(index);
            if chars
                .peek()
                .is_some_and(|(_, n)| n.is_ascii_alphanumeric() || *n == '_' || *n == '-')
            {
                continue;
            }
            let start = name_start.take().unwrap_or(index);
            let end = index + c.len_utf8();
            if !is_secret_name(&text[start..end]) {
                continue;
            }
            let Some(value) = value_after(text, start, end) else { continue };
            // A value already replaced by an earlier pass stays as it is,
            // so `(redacted)` does not become `(redacted))`.
            if value.start < position || text[value.start..].starts_with(REDACTED) {
                continue;
            }
            out.push_str(&text[position..value.start]);
            out.push_str(REDACTED);
            position = value.end;
            // Skip what was redacted, so that no name inside it matches.
            while chars.peek().is_some_and(|(i, _)| *i < position) {
                chars.next();
            }
        } else {
            name_start = None;
        }
    }
    out.push_str(&text[position..]);
    out
}

/// Finds the value that follows the member name at `start..end`: the byte
/// range to replace, or `None` when no value follows.
fn value_after(text: &str, start: usize, end: usize) -> Option<std::ops::Range<usize>> {
    let before = text[..start].chars().next_back();
    let rest = &text[end..];

    // `<name>value</name>` or `<name attr="x">value`.
    if before == Some('<') {
        let open_end = end + rest.find('>')? + 1;
        let value_end = text[open_end..].find('<').map_or(text.len(), |i| open_end + i);
        return (value_end > open_end).then_some(open_end..value_end);
    }

    // A closing quote or backslash-quote after a quoted name, then `=` or `:`.
    let after_name = rest.trim_start_matches(['"', '\'', '\\']);
    let after_name = after_name.trim_start_matches([' ', '\t']);
    let separator = after_name.chars().next().filter(|c| *c == '=' || *c == ':')?;
    let after_separator = &after_name[separator.len_utf8()..];
    let value = after_separator.trim_start_matches([' ', '\t']);
    let value_start = text.len() - value.len();

    if LINE_VALUE_NAMES.contains(&normalise(&text[start..end]).as_str())
        && !value.starts_with(['"', '\''])
    {
        let line_end = value.find(['\r', '\n']).unwrap_or(value.len());
        return (line_end > 0).then_some(value_start..value_start + line_end);
    }
    quoted_value(value, value_start).or_else(|| plain_value(value, value_start))
}

/// Returns the inside of a quoted value that starts `value`, up to the
/// closing quote or the end of the text when it has none. A value opened
/// with `\"` (JSON inside a JSON string) ends at the next `\"`.
fn quoted_value(value: &str, offset: usize) -> Option<std::ops::Range<usize>> {
    let escaped_open = value.starts_with('\\');
    let unescaped = value.trim_start_matches('\\');
    let quote = unescaped.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let inner_start = offset + (value.len() - unescaped.len()) + 1;
    let inner = &unescaped[1..];
    let mut chars = inner.char_indices().peekable();
    while let Some((index, c)) = chars.next() {
        if c == '\\' {
            if escaped_open && chars.peek().is_some_and(|(_, n)| *n == quote) {
                return Some(inner_start..inner_start + index);
            }
            chars.next();
        } else if c == quote {
            return Some(inner_start..inner_start + index);
        }
    }
    Some(inner_start..inner_start + inner.len())
}

/// Returns an unquoted value: up to a space, `&`, `,`, `;`, a bracket or
/// a quote. An object or array value is not a value to redact, because its
/// own members are scanned.
fn plain_value(value: &str, offset: usize) -> Option<std::ops::Range<usize>> {
    if value.starts_with(['{', '[']) {
        return None;
    }
    let end = value
        .find(|c: char| {
            c.is_whitespace() || matches!(c, '&' | ',' | ';' | '}' | ']' | ')' | '<' | '"' | '\'')
        })
        .unwrap_or(value.len());
    (end > 0).then_some(offset..offset + end)
}

/// Replaces key material in text. A PEM block is replaced from `-----BEGIN`
/// to the end of its `-----END ...-----` line, or to the end of the text
/// when it has none. So is each run of at least 40 base64 or base64url
/// characters that mixes letters and digits, and each secret member value.
pub fn key_material(text: &str) -> String {
    redact_base64_runs(&secret_values(&redact_pem_blocks(text)))
}

/// Replaces every PEM block, complete or cut off, with `(redacted PEM)`.
fn redact_pem_blocks(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(begin) = rest.find("-----BEGIN") {
        out.push_str(&rest[..begin]);
        out.push_str("(redacted PEM)");
        let block = &rest[begin..];
        rest = match block.find("-----END") {
            Some(end) => {
                let footer = &block[end + "-----END".len()..];
                // The footer ends with the five dashes after its label.
                let label_end = footer.find("-----").map_or(footer.len(), |i| i + "-----".len());
                let stop = footer[..label_end].find(['\r', '\n']).unwrap_or(label_end);
                &footer[stop..]
            }
            None => "",
        };
    }
    out.push_str(rest);
    out
}

/// Replaces each run of base64 or base64url characters of at least
/// `MIN_BASE64_RUN` characters that contains a letter and a digit.
fn redact_base64_runs(text: &str) -> String {
    let is_base64 = |c: char| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=' | '-' | '_');
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        let long = run.len() >= MIN_BASE64_RUN;
        let mixed = run.contains(|c: char| c.is_ascii_digit())
            && run.contains(|c: char| c.is_ascii_alphabetic());
        out.push_str(if long && mixed { REDACTED } else { run });
        run.clear();
    };
    for c in text.chars() {
        if is_base64(c) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// Replaces the user information of every URL in the text
/// (`scheme://user:password@host`) with `redacted`, as `check` shows a
/// rejected URL: the user name may be a token too, as in
/// `https://TOKEN@host`. It works on text that is not a valid URL as well,
/// so a rejected value can be shown.
pub fn url_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(scheme_end) = rest.find("://") {
        let authority_start = scheme_end + "://".len();
        out.push_str(&rest[..authority_start]);
        rest = &rest[authority_start..];
        let authority_end =
            rest.find(['/', '?', '#', ' ', '"', '\'', '<', '>', '\n']).unwrap_or(rest.len());
        if let Some(at) = rest[..authority_end].rfind('@') {
            out.push_str("redacted");
            rest = &rest[at..];
        }
    }
    out.push_str(rest);
    out
}

/// Returns a URL from the configuration or a file as it may be shown:
/// user information and secret query parameters (`?api_key=...`)
/// redacted, control characters escaped.
pub fn shown_url(url: &str) -> String {
    escape_controls(&secret_values(&url_userinfo(url)))
}

/// Escapes control characters and Unicode bidirectional formatting
/// characters, so that text cannot move the cursor, change colours, forge
/// lines or reverse the order in which it is displayed.
pub fn escape_controls(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() || is_bidi_control(c) {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Tells whether `c` changes the direction in which text is displayed,
/// such as U+202E RIGHT-TO-LEFT OVERRIDE.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Escapes control characters except line breaks, for messages that may
/// span lines, such as an error with its cause.
pub fn escape_controls_keep_lines(text: &str) -> String {
    text.split('\n').map(escape_controls).collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names_matched() {
        for name in [
            "access_token",
            "refresh_token",
            "id_token",
            "client_secret",
            "assertion",
            "client_assertion",
            "subject_token",
            "actor_token",
            "password",
            "code",
            "token",
            "secret",
            "api_key",
            "accessToken",
            "X-Api-Key",
            "PRIVATE_KEY",
            "device_code",
        ] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in
            ["token_type", "subject_token_type", "expires_in", "scope", "error", "error_code"]
        {
            assert!(!is_secret_name(name), "{name}");
        }
    }

    #[test]
    fn form_values_redacted() {
        assert_eq!(
            secret_values("access_token=gho_SECRET&scope=repo&token_type=bearer"),
            "access_token=(redacted)&scope=repo&token_type=bearer"
        );
        assert_eq!(secret_values("Code=abc"), "Code=(redacted)");
    }

    #[test]
    fn json_values_redacted() {
        assert_eq!(
            secret_values(r#"{"access_token" : "AT", "expires_in": 60, "id_token":"X\"Y"}"#),
            r#"{"access_token" : "(redacted)", "expires_in": 60, "id_token":"(redacted)"}"#
        );
        assert_eq!(
            secret_values(r#"{"token_type":"bearer","refresh_token":"CUT"#),
            r#"{"token_type":"bearer","refresh_token":"(redacted)"#
        );
        assert_eq!(
            secret_values(r#"{"password": 12345, "nested": {"secret": "s"}}"#),
            r#"{"password": (redacted), "nested": {"secret": "(redacted)"}}"#
        );
    }

    #[test]
    fn escaped_json_values_redacted() {
        assert_eq!(
            secret_values(r#""{\"access_token\":\"AT\",\"scope\":\"r\"}""#),
            r#""{\"access_token\":\"(redacted)\",\"scope\":\"r\"}""#
        );
    }

    #[test]
    fn lines_and_elements_redacted() {
        assert_eq!(
            secret_values("Authorization: Bearer abc.def\nAccept: */*"),
            "Authorization: (redacted)\nAccept: */*"
        );
        assert_eq!(
            secret_values("<r><access_token>AT</access_token><scope>s</scope></r>"),
            "<r><access_token>(redacted)</access_token><scope>s</scope></r>"
        );
    }

    #[test]
    fn other_text_kept() {
        let text = "invalid_grant: the assertion expired (HTTP 400), scope=read";
        assert_eq!(secret_values(text), text);
        assert_eq!(secret_values("token"), "token");
        assert_eq!(secret_values("токен=1 token=ü"), "токен=1 token=(redacted)");
    }

    #[test]
    fn pem_blocks_redacted() {
        let text = "before\n-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----\n\
                    after";
        assert_eq!(key_material(text), "before\n(redacted PEM)\nafter");
        assert_eq!(key_material("x -----BEGIN PRIVATE KEY-----\nMIIE"), "x (redacted PEM)");
        assert_eq!(
            key_material(
                r#"{"private_key":"-----BEGIN PRIVATE KEY-----\nMII\n-----END PRIVATE KEY-----\n"}"#
            ),
            r#"{"private_key":"(redacted)"}"#
        );
    }

    #[test]
    fn base64_runs_redacted() {
        let run = "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg";
        assert_eq!(key_material(&format!("bad key {run} here")), "bad key (redacted) here");
        let text = "vault: permission denied for path secret/data/batch-key";
        assert_eq!(key_material(text), text);
    }

    #[test]
    fn url_userinfo_redacted() {
        assert_eq!(url_userinfo("http://admin:PASSW0RD@host/x?a=b"), "http://redacted@host/x?a=b");
        assert_eq!(
            url_userinfo("see https://u:p@h:bad and https://h/"),
            "see https://redacted@h:bad and https://h/"
        );
        assert_eq!(url_userinfo("https://TOKEN@host/"), "https://redacted@host/");
        assert_eq!(url_userinfo("https://host/path@x"), "https://host/path@x");
    }

    #[test]
    fn shown_url_redacts_and_escapes() {
        assert_eq!(
            shown_url("https://u:p@h/x?api_key=K&page=2\u{1b}"),
            "https://redacted@h/x?api_key=(redacted)&page=2\\u{1b}"
        );
    }

    #[test]
    fn controls_escaped() {
        assert_eq!(escape_controls("b\u{1b}[31mRED\n"), "b\\u{1b}[31mRED\\n");
        assert_eq!(escape_controls_keep_lines("a\r\nb\u{7}"), "a\\r\nb\\u{7}");
    }
}

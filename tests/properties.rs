//! Property tests: URL joining, header flags, configuration parsing, token
//! endpoint replies, redirects, proxy selection and the redaction of free
//! text never panic on any input, and keep their safety promises on every
//! input they accept.

use std::path::PathBuf;

use namedcred::config::Config;
use namedcred::exchange::parse_reply;
use namedcred::http::{join_url, parse_header_flag};
use namedcred::proxy::ProxyEnv;
use namedcred::redact::text;
use namedcred::redirect::{self, Hop, Step};
use proptest::prelude::*;
use ureq::http::Method;
use url::Url;

/// Characters that matter to URL parsing, mixed with ordinary ones.
const URL_CHARS: &str =
    "[a-zA-Z0-9/\\\\:@?#%.&=+~ \\-_\\[\\]!$'()*,;\r\n\t\u{0}\u{7f}\u{e9}\u{ff0f}]{0,40}";

/// A base URL as a credential's `url` could be.
fn base_url() -> impl Strategy<Value = Url> {
    let host = prop_oneof![
        "[a-z]{1,8}\\.example",
        Just("127.0.0.1".to_string()),
        Just("[::1]".to_string())
    ];
    let port = prop::option::of(1u16..);
    let path = "(/[a-z0-9%._~-]{0,6}){0,3}/?";
    let query = prop::option::of("[a-z0-9=&%]{0,10}");
    (prop_oneof!["https", "http"], host, port, path, query).prop_map(
        |(scheme, host, port, path, query)| {
            let port = port.map(|p| format!(":{p}")).unwrap_or_default();
            let query = query.map(|q| format!("?{q}")).unwrap_or_default();
            Url::parse(&format!("{scheme}://{host}{port}{path}{query}")).unwrap()
        },
    )
}

proptest! {
    #[test]
    fn join_url_keeps_origin_and_base_path(base in base_url(), path in URL_CHARS) {
        if let Ok(joined) = join_url(&base, &path) {
            prop_assert_eq!(joined.origin(), base.origin());
            let base_path = base.path().trim_end_matches('/');
            let rest = joined.path().strip_prefix(base_path);
            prop_assert!(
                rest.is_some_and(|rest| rest.is_empty() || rest.starts_with('/')),
                "{} from {}",
                joined,
                base
            );
            prop_assert!(joined.fragment().is_none());
            prop_assert!(joined.username().is_empty() && joined.password().is_none());
        }
    }

    #[test]
    fn join_url_stays_below_base_path(
        base in base_url(),
        segments in prop::collection::vec(
            prop_oneof!["[a-z]{1,3}", Just("..".to_string()), Just("%2e%2E".to_string()), Just(".".to_string())],
            0..6,
        ),
    ) {
        let path = segments.join("/");
        if let Ok(joined) = join_url(&base, &path) {
            let base_path = base.path().trim_end_matches('/');
            prop_assert!(joined.path().starts_with(base_path), "{} from {}", joined, base);
            prop_assert!(!path.split('/').any(|s| s.contains('.') || s.contains('%')));
        }
    }

    #[test]
    fn join_url_never_panics_on_any_text(base in base_url(), path in any::<String>()) {
        if let Ok(joined) = join_url(&base, &path) {
            prop_assert_eq!(joined.origin(), base.origin());
        }
    }

    #[test]
    fn header_flag_rejects_line_breaks(text in "[A-Za-z0-9 :\\-_\r\n\t\u{0}\u{7f}\u{e9}]{0,30}") {
        if let Ok((name, value)) = parse_header_flag(&text) {
            prop_assert!(!name.is_empty());
            prop_assert!(name.chars().all(|c| c.is_ascii_graphic() && c != ':'));
            let value = value.unwrap_or_default();
            prop_assert!(!value.contains(['\r', '\n', '\0']), "{:?}", value);
        }
    }

    #[test]
    fn header_flag_never_panics(text in any::<String>()) {
        let _ = parse_header_flag(&text);
    }

    #[test]
    fn config_parse_never_panics(text in any::<String>()) {
        let _ = Config::parse(&text, PathBuf::from("/nonexistent/credentials.toml"));
    }

    #[test]
    fn credential_resolve_never_panics(lines in prop::collection::vec(config_line(), 0..8)) {
        // SAFETY: every test in this binary sets the same value, and no
        // test removes it.
        unsafe { std::env::set_var("NAMEDCRED_PROPERTY_SECRET", "property-secret") };
        let text = format!(
            "[credentials.api]\nsecret_env = \"NAMEDCRED_PROPERTY_SECRET\"\n{}\n",
            lines.join("\n")
        );
        if let Ok(config) = Config::parse(&text, PathBuf::from("/nonexistent/credentials.toml")) {
            let _ = config.credential("api");
        }
    }

    #[test]
    fn token_reply_parse_never_panics(
        status in any::<u16>(),
        content_type in prop::option::of(any::<String>()),
        body in prop::collection::vec(any::<u8>(), 0..300),
    ) {
        let _ = parse_reply(status, content_type.as_deref(), &body, &["secret"]);
    }

    #[test]
    fn token_reply_never_shows_the_assertion(
        status in prop_oneof![Just(200u16), Just(400u16), Just(401u16), Just(502u16)],
        reply in token_reply_with("assertion0secret0value"),
    ) {
        let secrets = ["assertion0secret0value"];
        if let Err(error) = parse_reply(status, Some("application/json"), reply.as_bytes(), &secrets) {
            prop_assert!(!error.message.contains(secrets[0]), "{}", error.message);
            prop_assert!(!error.message.chars().any(|c| c.is_control()), "{:?}", error.message);
        }
    }

    #[test]
    fn token_member_never_shown_in_any_shape(
        status in prop_oneof![Just(200u16), Just(400u16), Just(500u16)],
        name in prop::sample::select(vec![
            "access_token", "refresh_token", "id_token", "client_secret", "Password", "apiKey",
        ]),
        shape in 0usize..4,
        cut in 0usize..80,
    ) {
        let token = "tok0canary0value";
        let body = match shape {
            0 => format!("scope=read&{name}={token}&token_type=bearer"),
            1 => format!("{{\"token_type\":\"bearer\", \"{name}\" : \"{token}\", \"expires_in\": 5}}"),
            2 => format!("<p>{name}: {token}</p>"),
            _ => format!("<r><{name}>{token}</{name}></r>"),
        };
        // A reply cut off anywhere after the token began hides it too.
        let start = body.find(token).unwrap();
        let end = (start + 1 + cut).min(body.len());
        for body in [&body[..], &body[..end]] {
            if let Err(error) = parse_reply(status, None, body.as_bytes(), &[]) {
                let shown = body[start..].chars().take(token.len().min(end - start)).collect::<String>();
                prop_assert!(!error.message.contains(token), "{}", error.message);
                if shown.len() > 3 {
                    prop_assert!(!error.message.contains(&shown), "{}", error.message);
                }
            }
        }
    }

    #[test]
    fn text_redaction_never_panics(text in any::<String>()) {
        let _ = text::secret_values(&text);
        let _ = text::key_material(&text);
        let _ = text::shown_url(&text);
        let escaped = text::escape_controls(&text);
        prop_assert!(!escaped.chars().any(|c| c.is_control()), "{escaped:?}");
    }

    #[test]
    fn text_redaction_never_panics_on_shaped_text(
        text in r#"[a-z_"'<>=:&\\ \n{}\[\]/@\-.é]{0,60}"#,
    ) {
        let text = format!("{text}token={text}\"secret\":\"{text}-----BEGIN{text}-----END");
        let _ = text::secret_values(&text);
        let _ = text::key_material(&text);
        let _ = text::url_userinfo(&text);
    }

    #[test]
    fn redirect_never_gives_token_to_other_origin(
        start in base_url(),
        location in prop_oneof![URL_CHARS.prop_map(|s| s), "(https?:)?//[a-z.]{1,10}(:[0-9]{1,5})?/[a-z]{0,5}"],
        status in prop_oneof![Just(301u16), Just(302), Just(303), Just(307), Just(308)],
        method in prop_oneof![Just(Method::GET), Just(Method::POST), Just(Method::PUT)],
        has_body in any::<bool>(),
    ) {
        let origin = start.origin();
        let hop = Hop::first(method, start);
        if let Step::Follow(next) = redirect::next(&origin, &hop, status, Some(&location), has_body, 0) {
            if next.with_credentials {
                prop_assert_eq!(next.url.origin(), origin.clone());
            }
            if has_body && next.keeps_body {
                prop_assert_eq!(next.url.origin(), origin);
            }
        }
    }

    #[test]
    fn proxy_selection_never_panics(
        no_proxy in "[a-z0-9.,*/:\\[\\] ]{0,30}",
        host in "[a-z0-9.]{1,12}",
    ) {
        let env = ProxyEnv::from_lookup(|name| match name {
            "https_proxy" => Some("http://127.0.0.1:3128".to_string()),
            "no_proxy" => Some(no_proxy.clone()),
            _ => None,
        });
        if let Ok(url) = Url::parse(&format!("https://{host}/")) {
            let _ = env.choose(&url);
        }
    }
}

/// One `field = value` line of a credential, with a field name and a value
/// of any TOML type.
fn config_line() -> impl Strategy<Value = String> {
    let field = prop::sample::select(vec![
        "url",
        "protocol",
        "issuer",
        "subject",
        "audience",
        "algorithm",
        "key_id",
        "lifetime",
        "scope",
        "token_endpoint",
        "allow_insecure_http",
        "timeout",
    ]);
    let value = prop_oneof![
        "\"[a-zA-Z0-9:/._ -]{0,20}\"".prop_map(|s| s),
        Just("\"https://api.example/v1\"".to_string()),
        Just("\"jwt\"".to_string()),
        Just("\"jwt-exchange\"".to_string()),
        Just("\"HS256\"".to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<bool>().prop_map(|b| b.to_string()),
        Just("[\"a\", \"b\"]".to_string()),
        Just("\"-5m\"".to_string()),
        Just("\"99999999999999999999d\"".to_string()),
    ];
    (field, value).prop_map(|(field, value)| format!("{field} = {value}"))
}

/// A token endpoint reply, JSON or not, with `secret` placed in it.
fn token_reply_with(secret: &'static str) -> impl Strategy<Value = String> {
    let member = prop::sample::select(vec![
        "error",
        "error_description",
        "error_uri",
        "message",
        "access_token",
        "token_type",
        "expires_in",
        secret,
    ]);
    let value = prop_oneof![
        Just(format!("\"{secret}\"")),
        Just(format!("\"x {secret} y\"")),
        Just(format!("[\"{secret}\"]")),
        Just(format!("{{\"k\": \"{secret}\"}}")),
        Just("\"bearer\"".to_string()),
        any::<i32>().prop_map(|n| n.to_string()),
    ];
    let object = prop::collection::vec((member, value), 0..4).prop_map(|pairs| {
        let members: Vec<String> = pairs.iter().map(|(k, v)| format!("\"{k}\": {v}")).collect();
        format!("{{{}}}", members.join(", "))
    });
    prop_oneof![object, Just(format!("<html>{secret}</html>")), Just(format!("\u{1b}[2J{secret}"))]
}

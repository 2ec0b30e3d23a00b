//! The output forms of `namedcred token`: the bare token, an
//! `Authorization` header line, or the decoded header and claims.

use std::io::IsTerminal;
use std::time::{Duration, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde_json::{Value, json};

use super::print_line;
use crate::cli::{TokenArgs, TokenFormat};
use crate::secret::Secret;

/// Prints a minted token in the form the flags choose.
pub fn print_token(jwt: &Secret<String>, args: &TokenArgs) -> anyhow::Result<()> {
    if args.decode {
        let decoded = decode(jwt.expose())?;
        let ordered = Decoded { header: &decoded["header"], claims: &decoded["claims"] };
        print_line(serde_json::to_string_pretty(&ordered)?.as_bytes())?;
        if std::io::stderr().is_terminal() {
            eprint!("{}", human_times(&decoded["claims"], crate::token::now()));
        }
        return Ok(());
    }
    match args.format {
        TokenFormat::Bare => print_line(jwt.expose().as_bytes()),
        TokenFormat::Header => {
            print_line(format!("Authorization: Bearer {}", jwt.expose()).as_bytes())
        }
    }
}

/// Decodes the header and claims of a compact JWS into
/// `{"header": ..., "claims": ...}`. The signature is not checked, because
/// the token was signed by this process a moment ago.
pub fn decode(token: &str) -> anyhow::Result<Value> {
    let mut parts = token.split('.');
    let mut segment = |what: &str| -> anyhow::Result<Value> {
        let text = parts.next().ok_or_else(|| anyhow::anyhow!("the token has no {what}"))?;
        let bytes = URL_SAFE_NO_PAD.decode(text)?;
        Ok(serde_json::from_slice(&bytes)?)
    };
    let header = segment("header")?;
    let claims = segment("claims")?;
    Ok(json!({ "header": header, "claims": claims }))
}

/// The output of `--decode`; a struct, so that `header` is printed before
/// `claims`.
#[derive(Serialize)]
struct Decoded<'a> {
    header: &'a Value,
    claims: &'a Value,
}

/// Describes `iat` and `exp` for a person: each as an HTTP date, and how
/// far `exp` lies from `now`. Returns an empty string when the claims have
/// neither.
pub fn human_times(claims: &Value, now: u64) -> String {
    let mut text = String::new();
    if let Some(iat) = claims["iat"].as_u64() {
        text.push_str(&format!("issued:  {}\n", http_date(iat)));
    }
    if let Some(exp) = claims["exp"].as_u64() {
        let when = if exp >= now {
            format!("in {}", span(exp - now))
        } else {
            format!("expired {} ago", span(now - exp))
        };
        text.push_str(&format!("expires: {} ({when})\n", http_date(exp)));
    }
    text
}

/// Formats seconds since the epoch as an RFC 7231 date in GMT.
fn http_date(seconds: u64) -> String {
    httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(seconds))
}

/// Formats a number of seconds as hours, minutes and seconds, such as
/// `1h 5m 0s` or `45s`.
pub fn span(seconds: u64) -> String {
    let (hours, minutes, rest) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    match (hours, minutes) {
        (0, 0) => format!("{rest}s"),
        (0, _) => format!("{minutes}m {rest}s"),
        _ => format!("{hours}h {minutes}m {rest}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_splits_header_and_claims() {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let claims = URL_SAFE_NO_PAD.encode(br#"{"iss":"me","exp":10}"#);
        let decoded = decode(&format!("{header}.{claims}.c2ln")).unwrap();
        assert_eq!(decoded["header"]["alg"], "HS256");
        assert_eq!(decoded["claims"]["iss"], "me");
    }

    #[test]
    fn decode_rejects_garbage() {
        assert!(decode("not-base64!.x.y").is_err());
        assert!(decode("").is_err());
    }

    #[test]
    fn human_times_with_fixed_clock() {
        let claims = json!({ "iat": 1_700_000_000u64, "exp": 1_700_000_300u64 });
        let text = human_times(&claims, 1_700_000_000);
        assert_eq!(
            text,
            "issued:  Tue, 14 Nov 2023 22:13:20 GMT\n\
             expires: Tue, 14 Nov 2023 22:18:20 GMT (in 5m 0s)\n"
        );
        let later = human_times(&claims, 1_700_000_310);
        assert!(later.contains("expired 10s ago"), "{later}");
    }

    #[test]
    fn spans_read_naturally() {
        assert_eq!(span(45), "45s");
        assert_eq!(span(300), "5m 0s");
        assert_eq!(span(3_900), "1h 5m 0s");
    }
}

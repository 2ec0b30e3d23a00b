//! GitHub's installation access token request: the app's JWT is the bearer
//! token of a `POST /app/installations/{installation_id}/access_tokens`,
//! and the reply carries `token` and `expires_at` instead of the OAuth
//! fields. Source: GitHub Docs, "Generating an installation access token
//! for a GitHub App".

use serde_json::Value;
use ureq::Agent;

use crate::credential::ExchangeSpec;
use crate::error::Error;
use crate::exchange::{self, TokenReply};
use crate::redact::{BodyView, RequestView};
use crate::retry::Sent;
use crate::secret::Secret;

/// The media type GitHub documents for its REST API.
const ACCEPT: &str = "application/vnd.github+json";
/// The REST API version the request is written for.
const API_VERSION: &str = "2022-11-28";

/// Sends the installation token request with `jwt` as the bearer token.
pub fn post(agent: &Agent, spec: &ExchangeSpec, jwt: &Secret<String>) -> Sent {
    describe_request(spec).log();
    agent
        .post(spec.token_endpoint.as_str())
        .header("Accept", ACCEPT)
        .header("X-GitHub-Api-Version", API_VERSION)
        .header("Authorization", format!("Bearer {}", jwt.expose()))
        .send_empty()
}

/// Describes the request for `-v` and `--dry-run`; the bearer token is
/// shown redacted.
pub fn describe_request(spec: &ExchangeSpec) -> RequestView<'_> {
    RequestView {
        method: "POST",
        url: spec.token_endpoint.as_str(),
        headers: vec![
            ("Accept", ACCEPT),
            ("X-GitHub-Api-Version", API_VERSION),
            ("Authorization", "Bearer (redacted)"),
        ],
        body: BodyView::None,
    }
}

/// Parses GitHub's reply. An error status goes through the OAuth reply
/// parser, which shows GitHub's `message`; a success must carry a
/// non-empty `token`, and `expires_at` gives the lifetime.
pub fn parse_reply(
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
    secrets: &[&str],
    now: u64,
) -> Result<TokenReply, Error> {
    let json: Option<Value> = serde_json::from_slice(body).ok();
    let Some(object) =
        json.as_ref().and_then(Value::as_object).filter(|_| (200..300).contains(&status))
    else {
        return exchange::parse_reply(status, content_type, body, secrets);
    };
    let token = match object.get("token") {
        Some(Value::String(token)) if !token.is_empty() => {
            if let Err(problem) = crate::http::check_bearer_token(token) {
                return Err(Error::exchange(format!(
                    "the `token` of GitHub's installation token reply {problem}"
                )));
            }
            token.clone()
        }
        _ => {
            let fields: Vec<&str> = object.keys().map(String::as_str).collect();
            return Err(Error::exchange(format!(
                "GitHub's installation token reply has no non-empty `token` (fields: {})",
                exchange::clean(&fields.join(", "), secrets)
            )));
        }
    };
    let expires_in = match object.get("expires_at").and_then(Value::as_str) {
        Some(text) => Some(parse_timestamp(text)?.saturating_sub(now)),
        None => None,
    };
    Ok(TokenReply {
        access_token: Secret::new(token),
        expires_in,
        issued_token_type: None,
        json: Secret::new(json.clone().unwrap_or_default()),
    })
}

/// Parses a UTC timestamp such as `2026-07-11T22:14:10Z` into seconds
/// since the Unix epoch.
fn parse_timestamp(text: &str) -> Result<u64, Error> {
    let invalid = || {
        Error::exchange(format!(
            "GitHub's installation token reply has an invalid `expires_at` (\"{}\")",
            exchange::clean(text, &[])
        ))
    };
    let bytes = text.as_bytes();
    let shape_ok = bytes.len() == 20
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes[10] == b'T'
        && bytes[13] == b':'
        && bytes[16] == b':'
        && bytes[19] == b'Z';
    if !shape_ok {
        return Err(invalid());
    }
    let number = |range: std::ops::Range<usize>| text[range].parse::<i64>().map_err(|_| invalid());
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return Err(invalid());
    }
    let seconds = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second;
    u64::try_from(seconds).map_err(|_| invalid())
}

/// Counts the days from 1970-01-01 to a date of the proleptic Gregorian
/// calendar (Howard Hinnant's days_from_civil algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_parse_to_epoch_seconds() {
        assert_eq!(parse_timestamp("1970-01-01T00:00:00Z").unwrap(), 0);
        assert_eq!(parse_timestamp("2016-07-11T22:14:10Z").unwrap(), 1_468_275_250);
        assert_eq!(parse_timestamp("2024-02-29T12:00:00Z").unwrap(), 1_709_208_000);
        for bad in
            ["2016-07-11 22:14:10Z", "2016-13-11T22:14:10Z", "soon", "2016-07-11T22:14:10+01:00"]
        {
            assert!(parse_timestamp(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn success_reply_reads_token_and_expiry() {
        let body = br#"{"token":"ghs_abc","expires_at":"2016-07-11T23:14:10Z","permissions":{}}"#;
        let reply = parse_reply(201, Some("application/json"), body, &[], 1_468_275_250).unwrap();
        assert_eq!(reply.access_token.expose(), "ghs_abc");
        assert_eq!(reply.expires_in, Some(3600));
    }

    #[test]
    fn unsendable_token_rejected() {
        let body = br#"{"token":"ghs_a\r\nX-Evil: 1","expires_at":"2016-07-11T23:14:10Z"}"#;
        let error = parse_reply(201, Some("application/json"), body, &[], 0).unwrap_err();
        assert!(error.message.contains("cannot carry"), "{}", error.message);
        assert!(!error.message.contains("X-Evil"), "{}", error.message);
    }

    #[test]
    fn error_reply_shows_message() {
        let body = br#"{"message":"A JSON web token could not be decoded"}"#;
        let error = parse_reply(401, Some("application/json"), body, &[], 0).unwrap_err();
        assert!(error.message.contains("could not be decoded"), "{}", error.message);
        let error = parse_reply(201, None, br#"{"expires_at":"x"}"#, &[], 0).unwrap_err();
        assert!(error.message.contains("`token`"), "{}", error.message);
    }
}

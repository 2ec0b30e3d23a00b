//! Comparing the times of a rejected assertion with the token endpoint's
//! clock, read from the `Date` header of its reply, because a local clock
//! that differs from the server's is a common reason for a rejection.

use std::time::UNIX_EPOCH;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::secret::Secret;

/// A difference between the local and the server clock, in seconds, above
/// which the hint calls the local clock ahead. The `Date` header has a
/// resolution of one second and is written before the reply travels back,
/// so a few seconds of difference are normal.
const AHEAD_SECONDS: i64 = 5;

/// A difference, in seconds, above which the hint calls the local clock
/// behind. Servers accept an `iat` in the past, so only a large gap is
/// worth a remark.
const BEHIND_SECONDS: i64 = 60;

/// The times of the last assertion sent, and the server's time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockCheck {
    /// `iat` of the assertion, in seconds since the Unix epoch.
    iat: Option<i64>,
    /// `exp` of the assertion, in seconds since the Unix epoch.
    exp: Option<i64>,
    /// The `Date` header as sent, and its value in seconds since the epoch
    /// when it parses as an RFC 7231 date.
    server: Option<(String, Option<i64>)>,
}

impl ClockCheck {
    /// Reads `iat` and `exp` from the assertion's claims and parses the
    /// server's `Date` header.
    pub fn new(assertion: &Secret<String>, date: Option<&str>) -> Self {
        let claims = assertion
            .expose()
            .split('.')
            .nth(1)
            .and_then(|segment| URL_SAFE_NO_PAD.decode(segment).ok())
            .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
            .unwrap_or_default();
        let server = date.map(|text| (text.to_string(), parse_date(text)));
        ClockCheck { iat: claims["iat"].as_i64(), exp: claims["exp"].as_i64(), server }
    }

    /// Describes the assertion's times relative to the server's clock, as
    /// the end of a hint.
    pub fn describe(&self) -> String {
        let Some((text, parsed)) = &self.server else {
            return "the reply has no Date header to compare clocks with; a local clock that \
                    runs ahead also makes servers reject assertions"
                .to_string();
        };
        let shown: String = text.chars().filter(|c| !c.is_control()).take(64).collect();
        let (Some(server), Some(iat), Some(exp)) = (*parsed, self.iat, self.exp) else {
            return format!(
                "the server's Date header \"{shown}\" cannot be compared with iat and exp; \
                 a local clock that runs ahead also makes servers reject assertions"
            );
        };
        let mut text = format!(
            "by the server's Date header ({shown}), iat was {} and exp {}",
            offset(iat - server),
            offset(exp - server)
        );
        text.push_str(&verdict(iat - server, exp - server));
        text
    }
}

/// Parses an RFC 7231 HTTP date into seconds since the Unix epoch.
fn parse_date(text: &str) -> Option<i64> {
    let time = httpdate::parse_http_date(text.trim()).ok()?;
    let seconds = time.duration_since(UNIX_EPOCH).ok()?.as_secs();
    i64::try_from(seconds).ok()
}

/// Describes a difference to the server's time, such as `12 s ahead`.
fn offset(difference: i64) -> String {
    match difference {
        0 => "equal to it".to_string(),
        d if d > 0 => format!("{d} s ahead"),
        d => format!("{} s behind", -d),
    }
}

/// Says what the differences probably mean, or nothing when they look
/// normal.
fn verdict(iat: i64, exp: i64) -> String {
    if exp <= 0 {
        "; the assertion had already expired by the server's clock, so the local clock is \
         behind or the lifetime too short"
            .to_string()
    } else if iat > AHEAD_SECONDS {
        format!(
            "; the local clock is about {iat} s ahead of the server's, and servers reject an \
             iat in the future: sync the clock (NTP)"
        )
    } else if iat < -BEHIND_SECONDS {
        format!("; the local clock is about {} s behind the server's: sync the clock (NTP)", -iat)
    } else {
        "; the clocks agree, so the claims above are the likely cause".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds an unsigned token whose claims have the given times.
    fn assertion(iat: i64, exp: i64) -> Secret<String> {
        let claims = URL_SAFE_NO_PAD.encode(format!("{{\"iat\":{iat},\"exp\":{exp}}}"));
        Secret::new(format!("eyJhbGciOiJub25lIn0.{claims}.c2ln"))
    }

    // 1700000000 is Tue, 14 Nov 2023 22:13:20 GMT.
    const DATE: &str = "Tue, 14 Nov 2023 22:13:20 GMT";

    #[test]
    fn agreeing_clocks_point_at_claims() {
        let check = ClockCheck::new(&assertion(1_700_000_001, 1_700_000_301), Some(DATE));
        let text = check.describe();
        assert!(text.contains("iat was 1 s ahead"), "{text}");
        assert!(text.contains("exp 301 s ahead"), "{text}");
        assert!(text.contains("clocks agree"), "{text}");
    }

    #[test]
    fn fast_local_clock_named() {
        let check = ClockCheck::new(&assertion(1_700_000_600, 1_700_000_900), Some(DATE));
        let text = check.describe();
        assert!(text.contains("600 s ahead of the server's"), "{text}");
    }

    #[test]
    fn slow_local_clock_and_expiry_named() {
        let check = ClockCheck::new(&assertion(1_699_999_000, 1_699_999_300), Some(DATE));
        let text = check.describe();
        assert!(text.contains("iat was 1000 s behind"), "{text}");
        assert!(text.contains("already expired"), "{text}");
        let check = ClockCheck::new(&assertion(1_699_999_000, 1_700_003_000), Some(DATE));
        assert!(check.describe().contains("1000 s behind the server's"), "{}", check.describe());
    }

    #[test]
    fn missing_or_bad_date_said() {
        let check = ClockCheck::new(&assertion(1, 2), None);
        assert!(check.describe().contains("no Date header"), "{}", check.describe());
        let check = ClockCheck::new(&assertion(1, 2), Some("yesterday\r\nX: y"));
        let text = check.describe();
        assert!(text.contains("cannot be compared"), "{text}");
        assert!(!text.contains('\n'), "{text}");
    }
}

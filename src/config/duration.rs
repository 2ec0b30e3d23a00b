//! Parsing and range checks of durations written as integer seconds or as
//! strings such as `"90s"`, `"5m"` or `"1h30m"`.

use super::raw::Lifetime;
use crate::http::MAX_TIMEOUT;

/// The values that one duration field accepts, in whole seconds.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    /// Whether 0 is accepted: a skew may be zero, a lifetime or a time
    /// limit may not.
    pub zero_allowed: bool,
    /// The largest value accepted, or `None` when any value that fits in
    /// a `u64` is.
    pub max: Option<u64>,
}

/// The maximum token `lifetime`: 24 hours. A signed JWT stays usable by
/// anyone who has a copy until it expires, and the tokens namedcred signs are
/// minted per run, so a longer one only widens the window of a leak.
/// Presets lower it further to what their provider accepts.
pub const MAX_LIFETIME: u64 = 86_400;

/// The maximum `clock_skew`: 24 hours. A larger skew is a wrong clock to
/// fix, not one to work around.
pub const MAX_CLOCK_SKEW: u64 = 86_400;

/// Bounds of `lifetime`.
pub const LIFETIME: Bounds = Bounds { zero_allowed: false, max: Some(MAX_LIFETIME) };
/// Bounds of `timeout`, the same as those of the `--timeout` flag.
pub const TIMEOUT: Bounds = Bounds { zero_allowed: false, max: Some(MAX_TIMEOUT.as_secs()) };
/// Bounds of `clock_skew`.
pub const CLOCK_SKEW: Bounds = Bounds { zero_allowed: true, max: Some(MAX_CLOCK_SKEW) };
/// Bounds of `token_lifetime`, which only sets how long the cache keeps an
/// access token, so it has no maximum.
pub const TOKEN_LIFETIME: Bounds = Bounds { zero_allowed: false, max: None };

/// Converts a configured duration to whole seconds within `bounds`.
///
/// Fails with a message that follows the field name, such as "must be more
/// than zero, not \"0s\"", and shows the value as written.
pub fn seconds(value: &Lifetime, bounds: Bounds) -> Result<u64, String> {
    let (shown, parsed) = match value {
        Lifetime::Seconds(n) => (n.to_string(), Some(u64::try_from(*n).map_err(|_| *n))),
        Lifetime::Text(text) => (format!("\"{text}\""), parse_text(text)?.map(Ok)),
    };
    match parsed {
        Some(Err(_)) if bounds.zero_allowed => Err(format!("must be 0 or more, not {shown}")),
        Some(Err(_)) | Some(Ok(0)) if !bounds.zero_allowed => {
            Err(format!("must be more than zero, not {shown}"))
        }
        Some(Ok(seconds)) if bounds.max.is_none_or(|max| seconds <= max) => Ok(seconds),
        // A value too large for a u64 is above any maximum, too.
        _ => Err(format!("must be at most {}, not {shown}", describe_max(bounds.max))),
    }
}

/// Describes a maximum for messages, such as "24 hours (86400 seconds)";
/// `None` stands for the largest `u64`.
/// Parses a `--timeout` written as a duration string such as `"90s"` or
/// `"2m"`, with the bounds of the `timeout` field.
pub fn parse_timeout_text(text: &str) -> Result<u64, String> {
    seconds(&Lifetime::Text(text.to_string()), TIMEOUT)
}

pub fn describe_max(max: Option<u64>) -> String {
    match max.unwrap_or(u64::MAX) {
        max if max >= 3600 && max % 3600 == 0 => format!("{} hours ({max} seconds)", max / 3600),
        max => format!("{max} seconds"),
    }
}

/// Parses a duration string: digits followed by a unit (`s`, `m`, `h`,
/// `d`), repeated, or bare digits meaning seconds.
///
/// Returns `None` for a well-formed duration too large for a `u64`, and
/// fails with the accepted forms when the text is not a duration.
fn parse_text(text: &str) -> Result<Option<u64>, String> {
    let invalid = || {
        format!(
            "must be whole seconds as an integer or a duration string such as \"90s\", \"5m\", \
             \"1h\" or \"1h30m\", not \"{text}\""
        )
    };
    let trimmed = text.trim();
    if !trimmed.is_empty() && trimmed.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(trimmed.parse::<u64>().ok());
    }

    let mut total: Option<u64> = Some(0);
    let mut digits = String::new();
    for ch in trimmed.chars() {
        if ch.is_ascii_digit() {
            digits.push(ch);
            continue;
        }
        let unit = match ch {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return Err(invalid()),
        };
        if digits.is_empty() {
            return Err(invalid());
        }
        let count = digits.parse::<u64>().ok();
        let part = count.and_then(|count| count.checked_mul(unit));
        total = total.zip(part).and_then(|(total, part)| total.checked_add(part));
        digits.clear();
    }
    if !digits.is_empty() || trimmed.is_empty() {
        return Err(invalid());
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANY_POSITIVE: Bounds = Bounds { zero_allowed: false, max: None };

    fn text(value: &str) -> Result<u64, String> {
        seconds(&Lifetime::Text(value.to_string()), ANY_POSITIVE)
    }

    #[test]
    fn integer_seconds() {
        assert_eq!(seconds(&Lifetime::Seconds(300), ANY_POSITIVE), Ok(300));
    }

    #[test]
    fn unit_strings() {
        assert_eq!(text("90s"), Ok(90));
        assert_eq!(text("5m"), Ok(300));
        assert_eq!(text("1h"), Ok(3600));
        assert_eq!(text("1d"), Ok(86_400));
        assert_eq!(text("1h30m"), Ok(5400));
        assert_eq!(text("120"), Ok(120));
    }

    #[test]
    fn malformed_strings_rejected() {
        for value in ["", "m", "5x", "5 m", "-5m", "1.5h", "h5", "1hm"] {
            let error = text(value).expect_err(value);
            assert!(error.contains("must be whole seconds"), "{value}: {error}");
            assert!(error.contains(&format!("not \"{value}\"")), "{value}: {error}");
        }
    }

    #[test]
    fn zero_says_more_than_zero() {
        for value in ["0s", "0", "0m0s"] {
            let error = text(value).expect_err(value);
            assert_eq!(error, format!("must be more than zero, not \"{value}\""));
        }
        let error = seconds(&Lifetime::Seconds(0), LIFETIME).unwrap_err();
        assert_eq!(error, "must be more than zero, not 0");
        let error = seconds(&Lifetime::Seconds(-5), TIMEOUT).unwrap_err();
        assert_eq!(error, "must be more than zero, not -5");
    }

    #[test]
    fn zero_skew_accepted_negative_rejected() {
        assert_eq!(seconds(&Lifetime::Seconds(0), CLOCK_SKEW), Ok(0));
        assert_eq!(seconds(&Lifetime::Text("0s".to_string()), CLOCK_SKEW), Ok(0));
        let error = seconds(&Lifetime::Seconds(-1), CLOCK_SKEW).unwrap_err();
        assert_eq!(error, "must be 0 or more, not -1");
    }

    #[test]
    fn maximum_named_in_error() {
        let error = seconds(&Lifetime::Text("100000d".to_string()), LIFETIME).unwrap_err();
        assert_eq!(error, "must be at most 24 hours (86400 seconds), not \"100000d\"");
        assert_eq!(seconds(&Lifetime::Text("24h".to_string()), LIFETIME), Ok(86_400));
        assert!(seconds(&Lifetime::Seconds(86_401), TIMEOUT).is_err());
        assert!(seconds(&Lifetime::Seconds(86_401), CLOCK_SKEW).is_err());
    }

    #[test]
    fn overflow_rejected_as_too_large() {
        for value in ["99999999999999999999d", "999999999999999999d", "99999999999999999999"] {
            let error = text(value).expect_err(value);
            assert!(error.starts_with("must be at most "), "{value}: {error}");
        }
    }
}

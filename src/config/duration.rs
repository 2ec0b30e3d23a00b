//! Parsing of durations written as integer seconds or as strings such as
//! `"90s"`, `"5m"` or `"1h30m"`.

use super::raw::Lifetime;

/// Converts a configured duration to whole seconds.
///
/// Fails with a message that shows the value and the accepted forms when the
/// value is not a positive duration.
pub fn seconds(value: &Lifetime) -> Result<u64, String> {
    match value {
        Lifetime::Seconds(n) if *n > 0 => Ok(*n as u64),
        Lifetime::Seconds(n) => Err(format!("{n} is not a positive number of seconds")),
        Lifetime::Text(text) => parse_text(text),
    }
}

/// Parses a duration string: digits followed by a unit (`s`, `m`, `h`,
/// `d`), repeated, or bare digits meaning seconds.
fn parse_text(text: &str) -> Result<u64, String> {
    let invalid = || {
        format!(
            "\"{text}\" is not a duration; write seconds as an integer or a string \
             such as \"90s\", \"5m\", \"1h\" or \"1h30m\""
        )
    };
    let trimmed = text.trim();
    if !trimmed.is_empty() && trimmed.bytes().all(|b| b.is_ascii_digit()) {
        return trimmed.parse::<u64>().ok().filter(|n| *n > 0).ok_or_else(invalid);
    }

    let mut total: u64 = 0;
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
        let count: u64 = digits.parse().map_err(|_| invalid())?;
        total =
            count.checked_mul(unit).and_then(|part| total.checked_add(part)).ok_or_else(invalid)?;
        digits.clear();
    }
    if !digits.is_empty() || total == 0 {
        return Err(invalid());
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(value: &str) -> Result<u64, String> {
        seconds(&Lifetime::Text(value.to_string()))
    }

    #[test]
    fn integer_seconds() {
        assert_eq!(seconds(&Lifetime::Seconds(300)), Ok(300));
    }

    #[test]
    fn zero_and_negative_integers_rejected() {
        assert!(seconds(&Lifetime::Seconds(0)).is_err());
        assert!(seconds(&Lifetime::Seconds(-5)).is_err());
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
        for value in ["", "m", "5x", "5 m", "-5m", "0s", "1.5h", "h5", "0"] {
            let error = text(value).expect_err(value);
            assert!(error.contains("is not a duration"), "{value}: {error}");
        }
    }

    #[test]
    fn overflow_rejected() {
        assert!(text("99999999999999999999d").is_err());
        assert!(text("999999999999999999d").is_err());
    }
}

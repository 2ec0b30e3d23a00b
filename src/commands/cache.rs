//! `namedcred cache list` and `namedcred cache clear`: show and remove the
//! cached access tokens. Neither ever prints a token.

use std::path::Path;

use anyhow::Context;

use super::print_line;
use crate::cache::{self, Entry};
use crate::cli::CacheCommand;
use crate::redact::text;
use crate::token;

/// Runs a `cache` subcommand and returns 0.
pub fn run(command: CacheCommand) -> anyhow::Result<u8> {
    let folder = cache::folder()?;
    match command {
        CacheCommand::List => list(&folder)?,
        CacheCommand::Clear(args) => clear(&folder, args.name.as_deref())?,
    }
    Ok(0)
}

/// Prints one line per cached token: credential, expiry, status and token
/// endpoint, under a heading line. Damaged entries are reported on stderr.
fn list(folder: &Path) -> anyhow::Result<()> {
    let listed = cache::list(folder)
        .with_context(|| format!("cannot read the cache folder {}", folder.display()))?;
    let now = token::now();
    let mut rows = vec![["CREDENTIAL", "EXPIRES", "STATUS", "TOKEN ENDPOINT"].map(String::from)];
    for item in &listed {
        match &item.entry {
            Ok(entry) => rows.push(row(entry, now)),
            Err(reason) => eprintln!(
                "namedcred: warning: damaged cache entry {}: {reason}; the next call replaces it",
                item.path.display()
            ),
        }
    }
    if rows.len() == 1 {
        eprintln!("namedcred: no cached tokens in {}", folder.display());
        return Ok(());
    }
    for line in align(&rows) {
        print_line(line.as_bytes())?;
    }
    Ok(())
}

/// Builds the listing row of one entry. The file may have been changed by
/// hand or by another program, so control characters are escaped and a URL
/// password is redacted.
fn row(entry: &Entry, now: u64) -> [String; 4] {
    let (expires, status) = match entry.expires_at {
        None => ("unknown".to_string(), "fresh"),
        Some(at) if at <= now => (utc_timestamp(at), "expired"),
        Some(at) if !entry.is_fresh(now) => (utc_timestamp(at), "expiring"),
        Some(at) => (utc_timestamp(at), "fresh"),
    };
    [
        text::escape_controls(&entry.credential),
        expires,
        status.to_string(),
        text::shown_url(&entry.token_endpoint),
    ]
}

/// Pads every column but the last to its widest cell, two spaces apart.
fn align(rows: &[[String; 4]]) -> Vec<String> {
    let widths: Vec<usize> = (0..3)
        .map(|column| rows.iter().map(|r| r[column].chars().count()).max().unwrap_or(0))
        .collect();
    rows.iter()
        .map(|row| {
            let mut line = String::new();
            for (cell, width) in row[..3].iter().zip(&widths) {
                line.push_str(&format!("{cell:<width$}  "));
            }
            line.push_str(&row[3]);
            line
        })
        .collect()
}

/// Removes the entries of `name`, or all entries, and reports the count
/// on stderr.
fn clear(folder: &Path, name: Option<&str>) -> anyhow::Result<()> {
    let removed = cache::clear(folder, name)
        .with_context(|| format!("cannot clear the cache folder {}", folder.display()))?;
    let plural = if removed == 1 { "" } else { "s" };
    match name {
        Some(name) if removed == 0 => eprintln!(
            "namedcred: no cached token of `{name}`; `namedcred cache list` shows the cached \
             credentials"
        ),
        Some(name) => eprintln!("namedcred: removed {removed} cached token{plural} of `{name}`"),
        None => eprintln!("namedcred: removed {removed} cached token{plural}"),
    }
    Ok(())
}

/// Formats seconds since the Unix epoch as an RFC 3339 UTC time such as
/// `2026-12-04T12:58:03Z`.
fn utc_timestamp(seconds: u64) -> String {
    let days = (seconds / 86_400) as i64;
    let time = seconds % 86_400;
    let (year, month, day) = civil_date(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        time / 3600,
        time % 3600 / 60,
        time % 60
    )
}

/// Converts days since 1970-01-01 to a proleptic Gregorian date, counting
/// in 400-year eras of 146 097 days that start on 1 March, so that the leap
/// day falls at the end of each counted year.
fn civil_date(days: i64) -> (i64, u32, u32) {
    let shifted = days + 719_468; // days from 0000-03-01 to 1970-01-01
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u32;
    let month = if month_from_march < 10 { month_from_march + 3 } else { month_from_march - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month as u32, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    #[test]
    fn timestamps_in_utc() {
        assert_eq!(utc_timestamp(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_timestamp(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc_timestamp(1_709_251_199), "2024-02-29T23:59:59Z");
        assert_eq!(utc_timestamp(1_798_761_600), "2027-01-01T00:00:00Z");
        assert_eq!(utc_timestamp(4_107_542_400), "2100-03-01T00:00:00Z");
    }

    #[test]
    fn rows_show_status_without_token() {
        let mut entry = Entry {
            credential: "warehouse".to_string(),
            token_endpoint: "https://auth.example.com/token".to_string(),
            obtained_at: 1000,
            expires_at: Some(4600),
            access_token: Secret::new("the-token".to_string()),
            instance_url: None,
        };
        assert_eq!(row(&entry, 2000)[2], "fresh");
        assert_eq!(row(&entry, 4550)[2], "expiring");
        assert_eq!(row(&entry, 4600)[2], "expired");
        assert!(!row(&entry, 2000).iter().any(|cell| cell.contains("the-token")));
        entry.expires_at = None;
        assert_eq!(row(&entry, 2000)[1], "unknown");
    }

    #[test]
    fn rows_escape_and_redact_fields() {
        let entry = Entry {
            credential: "b\u{1b}[31mRED".to_string(),
            token_endpoint: "https://user:pw@auth.example.com/token".to_string(),
            obtained_at: 1000,
            expires_at: None,
            access_token: Secret::new("the-token".to_string()),
            instance_url: None,
        };
        let row = row(&entry, 2000);
        assert_eq!(row[0], "b\\u{1b}[31mRED");
        assert_eq!(row[3], "https://redacted@auth.example.com/token");
    }

    #[test]
    fn columns_aligned() {
        let rows = [
            ["A", "long value", "x", "end"].map(String::from),
            ["longer", "v", "y", "e"].map(String::from),
        ];
        assert_eq!(align(&rows), vec!["A       long value  x  end", "longer  v           y  e"]);
    }
}

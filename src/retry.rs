//! Retries of one HTTP request: after a connection failure or timeout, and
//! after HTTP 429 and 503, waiting for `Retry-After` (capped) or an
//! exponential backoff with jitter.

use std::time::{Duration, SystemTime};

use ureq::Body;
use ureq::http::{Method, Response};

use crate::error::Error;

/// The maximum wait before a retry, also the cap on `Retry-After`.
pub const MAX_WAIT: Duration = Duration::from_secs(30);

/// The backoff before the first retry when the server names no wait; each
/// further retry doubles it, up to [`MAX_WAIT`].
const FIRST_BACKOFF: Duration = Duration::from_millis(500);

/// How often and for which requests to retry.
#[derive(Debug, Clone, Copy, Default)]
pub struct RetryPolicy {
    /// Retries after the first attempt; 0 sends the request once.
    pub retries: u32,
    /// Retries non-idempotent methods such as POST too.
    pub all_methods: bool,
}

/// The outcome of one attempt: a response, or a transport failure.
pub type Sent = Result<Response<Body>, ureq::Error>;

impl RetryPolicy {
    /// Tells whether requests with `method` may be retried: the idempotent
    /// methods of RFC 9110 section 9.2.2, or any method with `all_methods`.
    pub fn allows(&self, method: &Method) -> bool {
        self.all_methods
            || [
                Method::GET,
                Method::HEAD,
                Method::OPTIONS,
                Method::TRACE,
                Method::PUT,
                Method::DELETE,
            ]
            .contains(method)
    }

    /// Runs `attempt` until it succeeds, fails in a way that a retry cannot
    /// fix, or the retries are used up, and returns the last outcome.
    ///
    /// `attempt` returns `Err` for failures that end the retries at once,
    /// such as a request that cannot be built. `label` names the request in
    /// log lines.
    pub fn run(
        &self,
        retryable: bool,
        label: &str,
        mut attempt: impl FnMut() -> Result<Sent, Error>,
    ) -> Result<Sent, Error> {
        let mut done = 0;
        loop {
            let sent = attempt()?;
            let Some(reason) = retry_reason(&sent) else { return Ok(sent) };
            if !retryable || done >= self.retries {
                if retryable && self.retries > 0 {
                    let plural = if self.retries == 1 { "retry" } else { "retries" };
                    log::warn!("{label}: {reason}; giving up after {} {plural}", self.retries);
                }
                return Ok(sent);
            }
            let wait = match &sent {
                Ok(response) => retry_after(response.headers(), SystemTime::now()),
                Err(_) => None,
            }
            .unwrap_or_else(|| backoff(done));
            done += 1;
            log::warn!(
                "{label}: {reason}; retry {done} of {} in {} ms",
                self.retries,
                wait.as_millis()
            );
            std::thread::sleep(wait);
        }
    }
}

/// Returns why an outcome deserves a retry, or `None` when it is final.
fn retry_reason(sent: &Sent) -> Option<String> {
    match sent {
        Ok(response) => match response.status().as_u16() {
            status @ (429 | 503) => Some(format!("HTTP {status}")),
            _ => None,
        },
        Err(ureq::Error::ConnectionFailed) => Some("connection failed".to_string()),
        Err(ureq::Error::Timeout(which)) => {
            Some(format!("timed out {}", crate::http::timeout_stage(*which)))
        }
        Err(ureq::Error::Io(e)) => Some(format!("I/O error: {e}")),
        Err(_) => None,
    }
}

/// Reads `Retry-After` as delay seconds or an HTTP date, capped at
/// [`MAX_WAIT`]. A date in the past means no wait.
pub fn retry_after(headers: &ureq::http::HeaderMap, now: SystemTime) -> Option<Duration> {
    let text = headers.get("retry-after")?.to_str().ok()?.trim();
    let digits = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    let wait = match text.parse::<u64>() {
        Ok(seconds) => Duration::from_secs(seconds),
        // More seconds than fit in a u64 still request a long wait.
        Err(_) if digits => MAX_WAIT,
        Err(_) => {
            let date = httpdate::parse_http_date(text).ok()?;
            date.duration_since(now).unwrap_or(Duration::ZERO)
        }
    };
    Some(wait.min(MAX_WAIT))
}

/// Returns the wait before retry number `done + 1` when the server names
/// none: an exponential backoff from [`FIRST_BACKOFF`], capped at
/// [`MAX_WAIT`], of which a random part of up to one half is taken off so
/// that many clients do not retry in step.
pub fn backoff(done: u32) -> Duration {
    let full = FIRST_BACKOFF.saturating_mul(1 << done.min(16)).min(MAX_WAIT);
    let mut random = [0u8; 2];
    // Without randomness the wait is simply the full backoff.
    let _ = aws_lc_rs::rand::fill(&mut random);
    let fraction = f64::from(u16::from_le_bytes(random)) / f64::from(u16::MAX);
    full.mul_f64(1.0 - fraction / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ureq::http::HeaderMap;

    fn headers(value: &str) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert("retry-after", value.parse().unwrap());
        map
    }

    #[test]
    fn retry_after_seconds() {
        let now = SystemTime::now();
        assert_eq!(retry_after(&headers("2"), now), Some(Duration::from_secs(2)));
        assert_eq!(retry_after(&headers("0"), now), Some(Duration::ZERO));
    }

    #[test]
    fn retry_after_capped() {
        let now = SystemTime::now();
        assert_eq!(retry_after(&headers("86400"), now), Some(MAX_WAIT));
        assert_eq!(retry_after(&headers("99999999999999999999"), now), Some(MAX_WAIT));
    }

    #[test]
    fn retry_after_http_date() {
        let now = httpdate::parse_http_date("Sun, 06 Nov 1994 08:49:30 GMT").unwrap();
        let later = headers("Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(retry_after(&later, now), Some(Duration::from_secs(7)));
        let earlier = headers("Sun, 06 Nov 1994 08:49:00 GMT");
        assert_eq!(retry_after(&earlier, now), Some(Duration::ZERO));
        let obsolete_format = headers("Sunday, 06-Nov-94 08:49:37 GMT");
        assert_eq!(retry_after(&obsolete_format, now), Some(Duration::from_secs(7)));
    }

    #[test]
    fn retry_after_garbage_ignored() {
        assert_eq!(retry_after(&headers("soon"), SystemTime::now()), None);
        assert_eq!(retry_after(&headers("-1"), SystemTime::now()), None);
    }

    #[test]
    fn backoff_grows_with_jitter_and_cap() {
        for done in 0..3 {
            let full = FIRST_BACKOFF * (1 << done);
            let wait = backoff(done);
            assert!(wait <= full, "{done}: {wait:?}");
            assert!(wait >= full / 2, "{done}: {wait:?}");
        }
        assert!(backoff(40) <= MAX_WAIT);
    }

    #[test]
    fn idempotent_methods_only_by_default() {
        let policy = RetryPolicy { retries: 1, all_methods: false };
        assert!(policy.allows(&Method::GET));
        assert!(policy.allows(&Method::PUT));
        assert!(!policy.allows(&Method::POST));
        assert!(!policy.allows(&Method::PATCH));
        let all = RetryPolicy { retries: 1, all_methods: true };
        assert!(all.allows(&Method::POST));
    }
}

//! Feeds arbitrary bytes to the parsers that read untrusted text: the
//! token endpoint reply, the `call` path, `-H` flags and the configuration
//! file. The first byte picks the parser. Any panic is a finding, and so is
//! a joined URL that leaves the base origin.
#![no_main]

use std::path::PathBuf;

use libfuzzer_sys::fuzz_target;
use namedcred::config::Config;
use namedcred::exchange::parse_reply;
use namedcred::http::{join_url, parse_header_flag};
use url::Url;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(rest);
    match selector % 4 {
        0 => {
            let status = u16::from_le_bytes([rest.first().copied().unwrap_or(0), 1]);
            let _ = parse_reply(status, Some("application/json"), rest, &["fuzz-secret"]);
        }
        1 => {
            let base = Url::parse("https://api.example.com/v1?x=1").unwrap();
            if let Ok(joined) = join_url(&base, &text) {
                assert_eq!(joined.origin(), base.origin(), "{text:?} left the origin");
            }
        }
        2 => {
            let _ = parse_header_flag(&text);
        }
        _ => {
            // Only parsing: resolving a credential would read the files and
            // run the commands that fuzzed key sources name.
            let _ = Config::parse(&text, PathBuf::from("/nonexistent/c.toml"));
        }
    }
});

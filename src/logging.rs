//! A minimal stderr logger for `-v`. Only namedcred's own records are
//! shown, because dependencies may log request details that this crate
//! does not control.

use log::{Level, LevelFilter, Log, Metadata, Record};

/// Writes `namedcred: <level>: <message>` lines to stderr.
struct StderrLogger;

impl Log for StderrLogger {
    fn enabled(&self, metadata: &Metadata) -> bool {
        metadata.target().starts_with("namedcred") && metadata.level() <= log::max_level()
    }

    fn log(&self, record: &Record) {
        if self.enabled(record.metadata()) {
            let level = match record.level() {
                Level::Error => "error",
                Level::Warn => "warning",
                Level::Info => "info",
                Level::Debug => "debug",
                Level::Trace => "trace",
            };
            // One record is one line, whatever a value in it contains.
            let message = crate::redact::text::escape_controls(&record.args().to_string());
            eprintln!("namedcred: {level}: {message}");
        }
    }

    fn flush(&self) {}
}

/// Installs the logger: warnings by default, debug with `-v`, trace with
/// `-vv` or more.
pub fn init(verbosity: u8) {
    static LOGGER: StderrLogger = StderrLogger;
    let level = match verbosity {
        0 => LevelFilter::Warn,
        1 => LevelFilter::Debug,
        _ => LevelFilter::Trace,
    };
    if log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(level);
    }
}

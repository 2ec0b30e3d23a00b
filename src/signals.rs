//! Cleanup when SIGINT, SIGTERM or SIGHUP ends the process: the `-o`
//! temporary file is removed and a running `key_command` is stopped with
//! the processes it started. A thread waits for those signals, cleans up,
//! and then lets the signal end the process, so a shell still reports 130,
//! 143 or 129.

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, PoisonError};

/// The file and processes to clean up if a signal ends the process now.
#[derive(Debug, Default)]
pub struct Pending {
    /// The `-o` temporary file that exists now.
    pub temporary_file: Option<PathBuf>,
    /// The process group of a `key_command` that runs now.
    pub process_group: Option<u32>,
}

/// The cleanup state. Callers hold the lock while they create, rename or
/// remove what they register, so the signal thread never misses a file or
/// removes a renamed one.
static PENDING: Mutex<Pending> = Mutex::new(Pending { temporary_file: None, process_group: None });

/// Locks the cleanup state. A panic cannot leave it half-written, so a
/// poisoned lock is still usable.
pub fn pending() -> MutexGuard<'static, Pending> {
    PENDING.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Starts, once per process, the thread that cleans up on SIGINT, SIGTERM
/// or SIGHUP. The thread then restores the signal's default action and
/// raises it again, so the process still ends by that signal.
#[cfg(unix)]
pub fn watch() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    use signal_hook::iterator::Signals;

    static STARTED: std::sync::Once = std::sync::Once::new();
    STARTED.call_once(|| {
        let started = Signals::new([SIGINT, SIGTERM, SIGHUP]).and_then(|mut signals| {
            std::thread::Builder::new().name("signals".into()).spawn(move || {
                let Some(signal) = signals.forever().next() else { return };
                // The lock stays held until the process ends, so nothing new
                // can be registered after this cleanup.
                let pending = pending();
                if let Some(temporary) = pending.temporary_file.as_ref() {
                    let _ = std::fs::remove_file(temporary);
                }
                if let Some(group) = pending.process_group {
                    kill_group(group);
                }
                let _ = signal_hook::low_level::emulate_default_handler(signal);
            })
        });
        if let Err(e) = started {
            log::warn!("cannot watch for signals, so Ctrl-C may leave files or processes: {e}");
        }
    });
}

/// Does nothing: only Unix signals are handled.
#[cfg(not(unix))]
pub fn watch() {}

/// Kills every process in the process group `group` with SIGKILL.
#[cfg(unix)]
pub fn kill_group(group: u32) {
    use std::process::{Command, Stdio};

    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{group}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Does nothing: process groups are a Unix feature.
#[cfg(not(unix))]
pub fn kill_group(_group: u32) {}

//! `key_command`: a command run with `sh -c` whose stdout is the private
//! key, with a time limit so that a hung secret store cannot block a
//! script forever.

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::error::Error;
use crate::redact::text;
use crate::signals;

/// Time a key command may run before it is stopped.
pub const KEY_COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// Characters of a failed command's stderr shown in the error message.
const MAX_STDERR_CHARS: usize = 500;

/// Time that the output pipes may stay open after the command exits.
const BACKGROUND_GRACE: Duration = Duration::from_millis(500);

/// Interval between checks whether the command has exited.
const POLL_INTERVAL: Duration = Duration::from_millis(5);

/// Runs `command` with `sh -c` in `dir` and returns its stdout. A non-zero
/// exit is an error that shows the command's stderr, and a command still
/// running after `limit` is stopped with its child processes.
pub fn run(command: &str, dir: &Path, limit: Duration) -> Result<Vec<u8>, Error> {
    // A configuration file named without a folder has an empty parent.
    let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
    let shown_command = shown_command(command);
    log::debug!("running key_command `{shown_command}` in {}", dir.display());
    let mut shell = Command::new("sh");
    shell
        .arg("-c")
        .arg(command)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    #[cfg(unix)]
    {
        // Its own process group, so that a timeout stops the commands the
        // shell started as well, and they release the output pipes. A
        // signal that ends namedcred does not reach this group, so the
        // signal thread stops it (see crate::signals).
        use std::os::unix::process::CommandExt;
        shell.process_group(0);
    }
    signals::watch();
    let mut pending = signals::pending();
    let mut child = shell
        .spawn()
        .map_err(|e| Error::config(format!("cannot run key_command `{shown_command}`: {e}")))?;
    pending.process_group = Some(child.id());
    drop(pending);
    let _registered = Registered;
    let stdout = read_to_end(child.stdout.take());
    let stderr = read_to_end(child.stderr.take());

    let status = wait(&mut child, limit).map_err(|e| {
        Error::config(format!("waiting for key_command `{shown_command}` failed: {e}"))
    })?;
    let Some(status) = status else {
        stop(&mut child);
        return Err(Error::config(format!(
            "key_command `{shown_command}` timed out after {} s and was stopped",
            limit.as_secs()
        ))
        .with_hint("run the command by hand to see whether it waits for input or a login"));
    };
    // A process that the command left in the background may still hold the
    // output pipes open. After a short grace it is stopped with its group,
    // so that namedcred does not wait for it.
    let grace = Instant::now() + BACKGROUND_GRACE;
    while !(stdout.is_finished() && stderr.is_finished()) && Instant::now() < grace {
        thread::sleep(POLL_INTERVAL);
    }
    if !(stdout.is_finished() && stderr.is_finished()) {
        log::debug!(
            "key_command `{shown_command}` left processes holding its output; stopping them"
        );
        signals::kill_group(child.id());
    }
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    if status.success() {
        return Ok(stdout);
    }
    let status = match status.code() {
        Some(code) => format!("exited with status {code}"),
        None => "was stopped by a signal".to_string(),
    };
    let shown = shown_stderr(&stderr);
    Err(Error::config(format!("key_command `{shown_command}` {status}: {shown}")))
}

/// Returns the command as messages and logs show it: a secret written into
/// it, such as `VAULT_TOKEN=... vault read`, is redacted like key material.
fn shown_command(command: &str) -> String {
    text::escape_controls(&text::key_material(command))
}

/// Returns the stderr of a failed command as it may be shown: key material
/// redacted, because a command that fails may print the key it was meant to
/// write to stdout, control characters escaped, and at most
/// `MAX_STDERR_CHARS` characters.
fn shown_stderr(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let text = text.trim();
    if text.is_empty() {
        return "(no stderr)".to_string();
    }
    let redacted = text::key_material(text);
    let count = redacted.chars().count();
    let mut shown =
        text::escape_controls(&redacted.chars().take(MAX_STDERR_CHARS).collect::<String>());
    if count > MAX_STDERR_CHARS {
        shown.push_str(&format!("... ({} more characters)", count - MAX_STDERR_CHARS));
    }
    shown
}

/// Reads a pipe to its end on a thread, so that a command that writes more
/// than a pipe buffer never blocks while namedcred waits for it.
fn read_to_end(pipe: Option<impl Read + Send + 'static>) -> JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        bytes
    })
}

/// Waits for the child to exit, up to `limit`. Returns `None` on timeout.
fn wait(child: &mut Child, limit: Duration) -> std::io::Result<Option<std::process::ExitStatus>> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        if Instant::now() >= deadline {
            return Ok(None);
        }
        thread::sleep(POLL_INTERVAL);
    }
}

/// Stops the command and every process in its group, whose id is the
/// shell's process id because of process_group(0).
fn stop(child: &mut Child) {
    signals::kill_group(child.id());
    let _ = child.kill();
    let _ = child.wait();
}

/// Clears the registered process group when the command is done, on every
/// return path.
struct Registered;

impl Drop for Registered {
    fn drop(&mut self) {
        signals::pending().process_group = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_and_failure() {
        let dir = Path::new(".");
        assert_eq!(run("printf key", dir, KEY_COMMAND_TIMEOUT).unwrap(), b"key");
        let err = run("echo denied >&2; exit 3", dir, KEY_COMMAND_TIMEOUT).unwrap_err();
        assert!(err.message.contains("exited with status 3: denied"), "{}", err.message);
    }

    #[test]
    fn key_in_stderr_redacted() {
        let pem = "-----BEGIN PRIVATE KEY-----\\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\\n\
                   -----END PRIVATE KEY-----";
        let shown = shown_stderr(format!("error: {pem}\n\x1b[0mdone").as_bytes());
        assert_eq!(shown, "error: (redacted PEM)\\n\\u{1b}[0mdone");
    }

    #[test]
    fn secrets_in_command_redacted() {
        let err = run("API_TOKEN=tok-1234 false", Path::new("."), KEY_COMMAND_TIMEOUT).unwrap_err();
        assert!(err.message.contains("`API_TOKEN=(redacted) false`"), "{}", err.message);
    }

    #[test]
    fn long_stderr_capped() {
        let shown = shown_stderr("denied ".repeat(200).as_bytes());
        assert!(shown.starts_with("denied denied"), "{shown}");
        assert!(shown.ends_with("more characters)"), "{shown}");
        assert!(shown.chars().count() < MAX_STDERR_CHARS + 40, "{shown}");
    }

    #[test]
    fn background_process_does_not_hold_output() {
        let started = Instant::now();
        let bytes = run("printf key; sleep 30 &", Path::new("."), KEY_COMMAND_TIMEOUT).unwrap();
        assert_eq!(bytes, b"key");
        assert!(started.elapsed() < Duration::from_secs(20), "waited for the background sleep");
    }

    #[test]
    fn large_output_does_not_block() {
        let bytes = run("head -c 1000000 /dev/zero", Path::new("."), KEY_COMMAND_TIMEOUT).unwrap();
        assert_eq!(bytes.len(), 1_000_000);
    }

    #[test]
    fn hung_command_and_its_children_are_stopped() {
        let started = Instant::now();
        // The background sleep keeps stdout open unless the group is killed.
        let err =
            run("sleep 30 & sleep 30", Path::new("."), Duration::from_millis(300)).unwrap_err();
        assert!(err.message.contains("timed out after"), "{}", err.message);
        assert!(started.elapsed() < Duration::from_secs(20), "the command was not stopped");
    }
}

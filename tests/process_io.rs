//! Integration tests of the process around a command: stderr on a closed
//! pipe, the format of command-line usage errors, `-o` targets that are
//! not plain files, and signals during a slow download to `-o`.

mod support;

use std::os::unix::fs::FileTypeExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, ExitStatus, Stdio};
use std::thread;
use std::time::Duration;

use support::{Reply, TestServer, fixture, hermetic_cmd};
use tempfile::TempDir;

/// A temporary home folder with a configuration file in it.
struct Setup {
    home: TempDir,
    config: PathBuf,
}

impl Setup {
    /// Writes a jwt credential named `b` whose url is `base`.
    fn new(base: &str) -> Setup {
        let home = tempfile::tempdir().unwrap();
        let config = home.path().join("credentials.toml");
        let toml = format!(
            "[credentials.b]\nprotocol = \"jwt\"\nurl = \"{base}/api\"\nissuer = \"svc\"\n\
             key_path = \"{}\"\n",
            fixture("ec-p256-pkcs8.pem").display()
        );
        std::fs::write(&config, toml).unwrap();
        Setup { home, config }
    }

    fn dir(&self) -> &Path {
        self.home.path()
    }

    /// Returns a std command with the hermetic environment of
    /// `hermetic_cmd`, which assert_cmd cannot spawn or give a custom
    /// stderr.
    fn std_cmd(&self, args: &[&str]) -> StdCommand {
        let hermetic = hermetic_cmd(self.dir());
        let mut command = StdCommand::new(hermetic.get_program());
        for (name, value) in hermetic.get_envs() {
            match value {
                Some(value) => command.env(name, value),
                None => command.env_remove(name),
            };
        }
        command.arg("--config").arg(&self.config).args(args);
        command
    }

    /// Runs namedcred and returns its exit code, stdout and stderr.
    fn run(&self, args: &[&str]) -> (Option<i32>, String, String) {
        let output = self.std_cmd(args).stdin(Stdio::null()).output().unwrap();
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }

    /// Returns the names in the home folder, sorted.
    fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.dir())
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

/// Starts a server that replies to `/api/status/<code>` with that status
/// and to anything else with 200 and `payload`.
fn status_server() -> TestServer {
    TestServer::start(|request| match request.path.strip_prefix("/api/status/") {
        Some(code) => Reply::text(code.parse().unwrap(), "status body"),
        None => Reply::text(200, "payload"),
    })
}

// ---------------------------------------------------------------------------
// stderr on a closed pipe

/// Runs namedcred with stderr on a pipe whose read end is already closed,
/// so that every write to stderr fails with EPIPE.
fn run_with_closed_stderr(setup: &Setup, args: &[&str]) -> ExitStatus {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    setup.std_cmd(args).stdin(Stdio::null()).stdout(Stdio::null()).stderr(writer).status().unwrap()
}

#[test]
fn closed_stderr_keeps_exit_codes() {
    let server = TestServer::start(|request| match request.path.as_str() {
        "/api/status/404" => Reply::text(404, "missing"),
        "/api/busy" => Reply::text(503, "busy").header("Retry-After", "0"),
        _ => Reply::text(200, "ok"),
    });
    let setup = Setup::new(&server.url());
    let cases: [(&[&str], i32); 5] = [
        (&["token", "nosuch"], 8),
        (&["call", "b", "/status/404"], 4),
        (&["-v", "token", "b"], 0),
        (&["-v", "call", "b", "/ok"], 0),
        (&["call", "b", "/busy", "--retry", "1"], 5),
    ];
    for (args, expected) in cases {
        let status = run_with_closed_stderr(&setup, args);
        assert_eq!(status.signal(), None, "{args:?} was killed by a signal");
        assert_eq!(status.code(), Some(expected), "{args:?}");
    }
    assert_eq!(server.requests_to("/api/busy").len(), 2);
}

#[test]
fn closed_stderr_keeps_usage_exit_code() {
    let setup = Setup::new("http://127.0.0.1:9");
    let status = run_with_closed_stderr(&setup, &["token", "b", "--format", "nope"]);
    assert_eq!(status.code(), Some(2));
}

// ---------------------------------------------------------------------------
// Usage errors from the flag parser

#[test]
fn flag_errors_carry_the_namedcred_prefix() {
    let setup = Setup::new("http://127.0.0.1:9");
    let cases: [(&[&str], &str); 4] = [
        (&["token", "b", "--format", "nope"], "[possible values: bare, header]"),
        (&["call", "b", "/x", "--retry", "-1"], "unexpected argument '-1'"),
        (&["call", "b", "/x", "--timeout", "soon"], "not \"soon\""),
        (&["tokn", "b"], "tip: a similar subcommand exists: 'token'"),
    ];
    for (args, detail) in cases {
        let (code, stdout, stderr) = setup.run(args);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(stdout.is_empty(), "{args:?}: {stdout}");
        assert!(stderr.starts_with("namedcred: error: "), "{args:?}: {stderr}");
        assert!(stderr.contains(detail), "{args:?}: {stderr}");
        assert!(stderr.contains("For more information, try '--help'."), "{args:?}: {stderr}");
        assert_eq!(stderr.matches("error:").count(), 1, "{args:?}: {stderr}");
    }
}

#[test]
fn bare_command_prints_help_unprefixed() {
    let home = tempfile::tempdir().unwrap();
    let output = hermetic_cmd(home.path()).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("Usage: namedcred"), "{stderr}");
    assert!(stderr.contains("Examples:"), "{stderr}");
    assert!(!stderr.starts_with("namedcred:"), "{stderr}");
    assert!(!stderr.contains("error:"), "{stderr}");
}

#[test]
fn cache_subcommands_have_examples() {
    let setup = Setup::new("http://127.0.0.1:9");
    for (subcommand, example) in
        [("list", "namedcred cache list"), ("clear", "namedcred cache clear warehouse")]
    {
        let (code, stdout, stderr) = setup.run(&["cache", subcommand, "--help"]);
        assert_eq!(code, Some(0), "{stderr}");
        assert!(stdout.contains("Examples:"), "cache {subcommand}: {stdout}");
        assert!(stdout.contains(example), "cache {subcommand}: {stdout}");
    }
}

// ---------------------------------------------------------------------------
// -o targets that are not regular files

/// Creates a FIFO at `path` with mkfifo.
fn mkfifo(path: &Path) {
    let status = StdCommand::new("mkfifo").arg(path).status().expect("mkfifo must be installed");
    assert!(status.success(), "mkfifo {} failed", path.display());
}

#[test]
fn output_to_fifo_writes_through_it() {
    let server = status_server();
    let setup = Setup::new(&server.url());
    let fifo = setup.dir().join("body.fifo");
    mkfifo(&fifo);
    let mut reader = StdCommand::new("cat").arg(&fifo).stdout(Stdio::piped()).spawn().unwrap();

    let (code, _, stderr) = setup.run(&["call", "b", "/x", "-o", fifo.to_str().unwrap()]);

    let still_fifo = std::fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo();
    if !still_fifo {
        // cat waits on the FIFO that was replaced, so nothing would end it.
        reader.kill().unwrap();
    }
    assert!(still_fifo, "the FIFO was replaced: {stderr}");
    assert_eq!(code, Some(0), "{stderr}");
    let output = reader.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&output.stdout), "payload");
    assert_eq!(setup.names(), ["body.fifo", "credentials.toml"]);
}

#[test]
fn output_to_fifo_closed_early_ends_quietly() {
    let body = "x".repeat(4 * 1024 * 1024);
    let server = TestServer::start(move |_| Reply::text(200, &body));
    let setup = Setup::new(&server.url());
    let fifo = setup.dir().join("head.fifo");
    mkfifo(&fifo);
    let mut head = StdCommand::new("head");
    head.arg("-c").arg("10").arg(&fifo).stdout(Stdio::piped());
    let reader = head.spawn().unwrap();

    let (code, _, stderr) = setup.run(&["call", "b", "/x", "-o", fifo.to_str().unwrap()]);

    let output = reader.wait_with_output().unwrap();
    assert_eq!(output.stdout.len(), 10);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stderr.contains("Broken pipe"), "{stderr}");
}

#[test]
fn output_through_symlink_keeps_the_link() {
    let server = status_server();
    let setup = Setup::new(&server.url());
    let folder = setup.dir().join("data");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join("real.txt"), "old contents that are longer").unwrap();
    let link = setup.dir().join("link.txt");
    std::os::unix::fs::symlink("data/real.txt", &link).unwrap();

    let (code, _, stderr) = setup.run(&["call", "b", "/x", "-o", link.to_str().unwrap()]);

    assert_eq!(code, Some(0), "{stderr}");
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    assert_eq!(std::fs::read_to_string(folder.join("real.txt")).unwrap(), "payload");
    assert_eq!(setup.names(), ["credentials.toml", "data", "link.txt"]);
    let in_folder: Vec<_> = std::fs::read_dir(&folder).unwrap().collect();
    assert_eq!(in_folder.len(), 1, "a temporary file was left in {}", folder.display());
}

#[test]
fn output_through_dangling_symlink_creates_target() {
    let server = status_server();
    let setup = Setup::new(&server.url());
    let link = setup.dir().join("link.txt");
    std::os::unix::fs::symlink("created.txt", &link).unwrap();

    let (code, _, stderr) = setup.run(&["call", "b", "/x", "-o", link.to_str().unwrap()]);

    assert_eq!(code, Some(0), "{stderr}");
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    assert_eq!(std::fs::read_to_string(setup.dir().join("created.txt")).unwrap(), "payload");
    assert_eq!(setup.names(), ["created.txt", "credentials.toml", "link.txt"]);
}

#[test]
fn output_to_full_device_is_exit_1() {
    let full = Path::new("/dev/full");
    if !std::fs::metadata(full).is_ok_and(|m| m.file_type().is_char_device()) {
        eprintln!("skipped: /dev/full is not a character device on this system");
        return;
    }
    let server = status_server();
    let setup = Setup::new(&server.url());

    let (code, _, stderr) = setup.run(&["call", "b", "/x", "-o", "/dev/full"]);

    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("namedcred: error:"), "{stderr}");
    assert!(stderr.contains("/dev/full"), "{stderr}");
    assert!(stderr.contains("No space left on device"), "{stderr}");
    assert!(std::fs::metadata(full).unwrap().file_type().is_char_device());
}

#[test]
fn output_to_descriptor_path_writes_to_it() {
    let server = status_server();
    let setup = Setup::new(&server.url());

    // stdout is a pipe here, so /dev/stdout leads to a pipe as /dev/fd/63
    // does for `-o >(wc -c)` in bash.
    let (code, stdout, stderr) = setup.run(&["call", "b", "/x", "-o", "/dev/stdout"]);

    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stdout, "payload");
    assert!(std::fs::symlink_metadata("/dev/stdout").unwrap().file_type().is_symlink());
}

// ---------------------------------------------------------------------------
// Signals during a download to -o

/// Starts `call -o out.txt` against a server that delays its response,
/// waits until the request has arrived, sends `signal` with kill and
/// returns how the process ended.
fn interrupt_download(setup: &Setup, server: &TestServer, signal: &str) -> ExitStatus {
    let target = setup.dir().join("out.txt");
    // Counted before the spawn, so a request that arrives before this
    // thread runs again is still seen.
    let before = server.count();
    let mut child = setup
        .std_cmd(&["call", "b", "/slow", "-o", target.to_str().unwrap()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    for _ in 0..1000 {
        if server.count() > before {
            break;
        }
        thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(server.count(), before + 1, "the request never arrived");
    assert_eq!(setup.names().len(), 2, "no temporary file next to {}", target.display());

    let killed =
        StdCommand::new("kill").args(["-s", signal, &child.id().to_string()]).status().unwrap();
    assert!(killed.success(), "kill -s {signal} failed");
    child.wait().unwrap()
}

#[test]
fn signal_removes_temporary_output_file() {
    let server = TestServer::start(|_| Reply::text(200, "late").delay(Duration::from_secs(30)));
    let setup = Setup::new(&server.url());
    for (signal, number) in [("TERM", 15), ("INT", 2), ("HUP", 1)] {
        let status = interrupt_download(&setup, &server, signal);
        assert_eq!(status.signal(), Some(number), "SIG{signal}: {status:?}");
        assert_eq!(setup.names(), ["credentials.toml"], "SIG{signal} left a file");
    }
}

/// Tells whether a process with `pid` still exists, with `kill -0`.
fn is_running(pid: &str) -> bool {
    StdCommand::new("kill").args(["-0", pid]).stderr(Stdio::null()).status().unwrap().success()
}

#[test]
fn signal_stops_a_running_key_command() {
    let setup = Setup::new("http://127.0.0.1:9");
    let pid_file = setup.dir().join("sleep.pid");
    let toml = format!(
        "[credentials.k]\nprotocol = \"jwt\"\nurl = \"http://127.0.0.1:9\"\nissuer = \"svc\"\n\
         key_command = \"sleep 60 & echo $! > '{}'; wait\"\n",
        pid_file.display()
    );
    std::fs::write(&setup.config, toml).unwrap();
    let mut child = setup
        .std_cmd(&["token", "k"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut pid = String::new();
    for _ in 0..1000 {
        pid = std::fs::read_to_string(&pid_file).unwrap_or_default().trim().to_string();
        if !pid.is_empty() {
            break;
        }
        thread::sleep(Duration::from_millis(10));
    }
    assert!(!pid.is_empty(), "the key_command never started");
    assert!(is_running(&pid));

    let killed =
        StdCommand::new("kill").args(["-s", "TERM", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(15), "{status:?}");
    // SIGKILL is delivered at once, but the process may take a moment to go.
    for _ in 0..500 {
        if !is_running(&pid) {
            break;
        }
        thread::sleep(Duration::from_millis(10));
    }
    assert!(!is_running(&pid), "the key_command's sleep {pid} was left running");
}

//! Integration tests of the process around a command: stderr on a closed
//! pipe and the format of command-line usage errors.

mod support;

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, ExitStatus, Stdio};

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
        (&["call", "b", "/x", "--timeout", "soon"], "\"soon\" is not a number of seconds"),
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

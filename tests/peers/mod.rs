//! Independent peers for the interoperability tests: a Python process with
//! an Authlib authorization server and a PyJWT verifier, and a Node process
//! with a `jose` verifier (both under `interop/`).
//!
//! The first test that needs them installs the pinned packages from PyPI
//! and npm into `.interop/` (git-ignored), unless an earlier run already
//! did, and starts each peer once for the whole test binary. A peer exits
//! when its standard input closes, which happens when the test binary ends.
//! A failed install fails the tests: the suite never skips a peer.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};

use serde_json::{Value, json};

/// A running peer: its process, the pipe that keeps it alive, and its port.
pub struct Peer {
    /// The peer process; kept so that it is not reaped early.
    _child: Mutex<Child>,
    /// The peer's standard input; the peer exits when this closes.
    _stdin: Mutex<ChildStdin>,
    /// The loopback port the peer listens on.
    port: u16,
}

impl Peer {
    /// Returns `http://127.0.0.1:PORT` followed by `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Posts `body` as JSON to `path` and returns the JSON reply, panicking
    /// on any status but 200.
    pub fn post(&self, path: &str, body: &Value) -> Value {
        let mut reply = ureq::post(&self.url(path))
            .header("Content-Type", "application/json")
            .send(body.to_string())
            .unwrap_or_else(|e| panic!("POST {path} to the peer failed: {e}"));
        let text = reply.body_mut().with_config().limit(64 << 20).read_to_string().unwrap();
        serde_json::from_str(&text).unwrap()
    }

    /// Sends every case to the peer's verifier in one request and returns
    /// one `Err(reason)` or `Ok(())` per case, in order.
    pub fn verify(&self, cases: &[Value]) -> Vec<Result<(), String>> {
        let reply = self.post("/verify", &json!({ "cases": cases }));
        let results = reply["results"].as_array().expect("the verifier replied without results");
        assert_eq!(results.len(), cases.len(), "the verifier skipped cases");
        results
            .iter()
            .map(|r| match r["ok"].as_bool() {
                Some(true) => Ok(()),
                _ => Err(r["error"].as_str().unwrap_or("no reason given").to_string()),
            })
            .collect()
    }
}

/// The Python peer: Authlib token endpoint, API and PyJWT verifier.
pub fn python() -> &'static Peer {
    static PEER: OnceLock<Peer> = OnceLock::new();
    PEER.get_or_init(|| {
        let dir = install();
        let mut command = Command::new(dir.join("venv/bin/python"));
        // Authlib refuses plain http unless told that transport is secure;
        // every request here stays on loopback.
        command.arg(project().join("interop/peer.py")).env("AUTHLIB_INSECURE_TRANSPORT", "1");
        start(command, "the Python peer")
    })
}

/// The Node peer: the `jose` verifier.
pub fn node() -> &'static Peer {
    static PEER: OnceLock<Peer> = OnceLock::new();
    PEER.get_or_init(|| {
        let dir = install();
        let mut command = Command::new("node");
        command.arg(project().join("interop/verify.mjs")).arg(dir.join("node"));
        start(command, "the Node peer")
    })
}

/// Returns the project root.
fn project() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Starts a peer and reads the port from its first line of output.
fn start(mut command: Command, name: &str) -> Peer {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let port = line
        .strip_prefix("listening ")
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or_else(|| panic!("{name} did not start; it printed {line:?}"));
    let stdin = child.stdin.take().unwrap();
    Peer { _child: Mutex::new(child), _stdin: Mutex::new(stdin), port }
}

/// Installs the peers' packages into `.interop/` once per test binary and
/// returns that folder. An install whose pinned files have not changed
/// since the last one is reused. A failed install fails every test that
/// needs a peer, with the same message, without trying again.
fn install() -> PathBuf {
    static DIR: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let outcome = DIR.get_or_init(|| {
        std::panic::catch_unwind(install_now).map_err(|panic| {
            let text = panic.downcast_ref::<String>().cloned();
            text.unwrap_or_else(|| "the install panicked".to_string())
        })
    });
    outcome.clone().unwrap_or_else(|message| panic!("{message}"))
}

/// Installs the peers' packages unless the stamp says they are current.
fn install_now() -> PathBuf {
    let dir = project().join(".interop");
    let stamp = dir.join("installed");
    let wanted = pinned_files();
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) {
        return dir;
    }
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("node")).unwrap();
    install_python(&dir);
    install_node(&dir);
    std::fs::write(&stamp, wanted).unwrap();
    dir
}

/// Returns the pinned package lists, which say whether an install is current.
fn pinned_files() -> String {
    ["requirements.txt", "package.json", "package-lock.json"]
        .map(|name| std::fs::read_to_string(project().join("interop").join(name)).unwrap())
        .join("\n")
}

/// Makes the venv and installs `interop/requirements.txt` into it.
fn install_python(dir: &Path) {
    let venv = dir.join("venv");
    run(Command::new("python3").arg("-m").arg("venv").arg(&venv), "python3 -m venv");
    run(
        Command::new(venv.join("bin/python"))
            .args(["-m", "pip", "install", "--disable-pip-version-check", "--no-input", "-r"])
            .arg(project().join("interop/requirements.txt")),
        "pip install",
    );
}

/// Installs `jose` with `npm ci` from the committed lock file.
fn install_node(dir: &Path) {
    let node = dir.join("node");
    for name in ["package.json", "package-lock.json"] {
        std::fs::copy(project().join("interop").join(name), node.join(name)).unwrap();
    }
    run(Command::new("npm").args(["ci", "--no-audit", "--no-fund"]).current_dir(&node), "npm ci");
}

/// Runs an install step and fails the test, with its output, if it fails.
fn run(command: &mut Command, what: &str) {
    let output = command.output().unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    assert!(
        output.status.success(),
        "{what} failed while installing the interop peers into .interop/ \
         (PyPI and the npm registry must be reachable on the first run):\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

//! Integration tests of the access token cache: reuse, expiry, the 401
//! refresh, single flight across processes, damaged entries, file modes,
//! `--no-cache` and the `cache` subcommands. The real binary runs in a
//! hermetic home against a loopback token endpoint and API that count and
//! record every request.

mod support;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use support::{RecordedRequest, Reply, TestServer, fixture, hermetic_cmd};
use tempfile::TempDir;

/// What the token endpoint puts in its replies, changed by the tests.
#[derive(Clone)]
enum Expiry {
    /// `expires_in` with this many seconds.
    ExpiresIn(u64),
    /// No `expires_in`; the token is a JWT whose `exp` is now plus this
    /// many seconds, which may be negative.
    JwtExp(i64),
    /// No expiry anywhere.
    None,
}

/// State shared with the server's handler.
struct State {
    /// Every access token issued, in order.
    issued: Mutex<Vec<String>>,
    /// Tokens that the API rejects with 401.
    revoked: Mutex<HashSet<String>>,
    /// How replies state the expiry.
    expiry: Mutex<Expiry>,
    /// How long the token endpoint waits before it responds.
    token_delay: Mutex<Option<Duration>>,
}

/// A token endpoint at `/token` and an API under `/v1` that accepts every
/// issued token that is not revoked.
struct Server {
    server: TestServer,
    state: Arc<State>,
}

impl Server {
    fn start() -> Server {
        let state = Arc::new(State {
            issued: Mutex::new(Vec::new()),
            revoked: Mutex::new(HashSet::new()),
            expiry: Mutex::new(Expiry::ExpiresIn(3600)),
            token_delay: Mutex::new(None),
        });
        let shared = Arc::clone(&state);
        let server = TestServer::start(move |request| respond(&shared, request));
        Server { server, state }
    }

    fn url(&self) -> String {
        self.server.url()
    }

    fn set_expiry(&self, expiry: Expiry) {
        *self.state.expiry.lock().unwrap() = expiry;
    }

    fn revoke(&self, token: &str) {
        self.state.revoked.lock().unwrap().insert(token.to_string());
    }

    fn exchanges(&self) -> usize {
        self.server.requests_to("/token").len()
    }

    fn api_requests(&self) -> Vec<RecordedRequest> {
        self.server.requests_to("/v1")
    }

    /// Returns the request paths in the order received.
    fn paths(&self) -> Vec<String> {
        self.server.requests().into_iter().map(|r| r.path).collect()
    }
}

/// Builds the response to one request of the token endpoint or the API.
fn respond(state: &State, request: &RecordedRequest) -> Reply {
    if request.path == "/token" || request.path.starts_with("/token?") {
        return issue(state);
    }
    let Some(bearer) = request.bearer() else {
        return Reply::json(401, json!({"error": "missing token"}));
    };
    let issued = state.issued.lock().unwrap().iter().any(|t| t == bearer);
    if !issued || state.revoked.lock().unwrap().contains(bearer) {
        return Reply::json(401, json!({"error": "invalid_token"}));
    }
    Reply::json(200, json!({"ok": true, "path": request.path}))
}

/// Issues the next access token, `access-N` or a JWT, as configured.
fn issue(state: &State) -> Reply {
    let mut issued = state.issued.lock().unwrap();
    let number = issued.len() + 1;
    let expiry = state.expiry.lock().unwrap().clone();
    let (token, body) = match expiry {
        Expiry::ExpiresIn(seconds) => {
            let token = format!("access-{number}");
            (token.clone(), json!({"access_token": token, "expires_in": seconds}))
        }
        Expiry::JwtExp(offset) => {
            let token = jwt_access_token(number, now() as i64 + offset);
            (token.clone(), json!({"access_token": token, "token_type": "Bearer"}))
        }
        Expiry::None => {
            let token = format!("access-{number}");
            (token.clone(), json!({"access_token": token}))
        }
    };
    issued.push(token);
    let reply = Reply::json(200, body);
    match *state.token_delay.lock().unwrap() {
        Some(delay) => reply.delay(delay),
        None => reply,
    }
}

/// Returns an unsigned JWT-shaped access token with the given `exp`.
fn jwt_access_token(number: usize, exp: i64) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#);
    let payload = URL_SAFE_NO_PAD.encode(json!({"n": number, "exp": exp}).to_string());
    format!("{header}.{payload}.c2ln")
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

/// A hermetic home with a configuration file.
struct Setup {
    home: TempDir,
    config: PathBuf,
}

impl Setup {
    /// Writes a configuration with the credential `ex` against `server`,
    /// plus `extra` lines in its table.
    fn new(server: &Server, extra: &str) -> Setup {
        let home = tempfile::tempdir().unwrap();
        let config = home.path().join("credentials.toml");
        let setup = Setup { home, config };
        setup.write_config(&exchange_credential("ex", &server.url(), extra));
        setup
    }

    fn write_config(&self, toml: &str) {
        std::fs::write(&self.config, toml).unwrap();
    }

    fn cmd(&self) -> assert_cmd::Command {
        let mut command = hermetic_cmd(self.home.path());
        command.arg("--config").arg(&self.config);
        command
    }

    /// Runs namedcred and returns its output after checking the exit code.
    fn run(&self, args: &[&str], code: i32) -> std::process::Output {
        let output = self.cmd().args(args).output().unwrap();
        assert_eq!(
            output.status.code(),
            Some(code),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }

    /// Runs `call ex /items` with `extra` arguments and expects exit 0.
    fn call(&self, extra: &[&str]) -> std::process::Output {
        let mut args = vec!["call", "ex", "/items"];
        args.extend_from_slice(extra);
        self.run(&args, 0)
    }

    /// Returns the default cache folder under the hermetic home.
    fn cache_folder(&self) -> PathBuf {
        self.home.path().join(".cache").join("namedcred")
    }

    /// Returns the entry files in the cache folder.
    fn entry_files(&self) -> Vec<PathBuf> {
        files_ending(&self.cache_folder(), ".json")
    }

    /// Returns the only entry file.
    fn entry_file(&self) -> PathBuf {
        let files = self.entry_files();
        assert_eq!(files.len(), 1, "{files:?}");
        files[0].clone()
    }
}

/// Returns the files in `folder` whose names end with `suffix`, sorted.
fn files_ending(folder: &Path, suffix: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(folder) else { return Vec::new() };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .collect();
    files.sort();
    files
}

/// Returns a jwt-exchange credential table whose token endpoint is
/// `/token` and whose API base is `/v1` on `base`.
fn exchange_credential(name: &str, base: &str, extra: &str) -> String {
    format!(
        "[credentials.{name}]\nprotocol = \"jwt-exchange\"\nurl = \"{base}/v1\"\n\
         token_endpoint = \"{base}/token\"\nissuer = \"client-1\"\nsubject = \"user-1\"\n\
         scope = \"read\"\nkey_path = \"{}\"\n{extra}\n",
        fixture("ec-p256-pkcs8.pem").display()
    )
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Reads the bearer tokens of the API requests, in order.
fn bearers(server: &Server) -> Vec<String> {
    server.api_requests().iter().map(|r| r.bearer().unwrap_or("").to_string()).collect()
}

#[test]
fn sequential_calls_reuse_token() {
    let server = Server::start();
    let setup = Setup::new(&server, "");
    for _ in 0..3 {
        setup.call(&[]);
    }
    assert_eq!(server.exchanges(), 1);
    assert_eq!(bearers(&server), ["access-1", "access-1", "access-1"]);
}

#[test]
fn expired_token_exchanged_before_call() {
    let server = Server::start();
    server.set_expiry(Expiry::ExpiresIn(0));
    let setup = Setup::new(&server, "");
    setup.call(&[]);
    setup.call(&[]);
    assert_eq!(server.paths(), ["/token", "/v1/items", "/token", "/v1/items"]);
    assert_eq!(bearers(&server), ["access-1", "access-2"]);
}

/// Rewrites the times of the only cache entry.
fn set_entry_times(setup: &Setup, obtained_at: u64, expires_at: u64) {
    let path = setup.entry_file();
    let mut entry: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    entry["obtained_at"] = json!(obtained_at);
    entry["expires_at"] = json!(expires_at);
    std::fs::write(&path, entry.to_string()).unwrap();
}

#[test]
fn token_within_margin_replaced() {
    let server = Server::start();
    let setup = Setup::new(&server, "");
    setup.call(&[]);

    // A one-hour token with two minutes left is outside the one-minute
    // margin, so it is still sent.
    set_entry_times(&setup, now() - 3480, now() + 120);
    setup.call(&[]);
    assert_eq!(server.exchanges(), 1);

    // With thirty seconds left it is inside the margin and replaced first.
    set_entry_times(&setup, now() - 3570, now() + 30);
    setup.call(&[]);
    assert_eq!(server.paths(), ["/token", "/v1/items", "/v1/items", "/token", "/v1/items"]);
    assert_eq!(bearers(&server), ["access-1", "access-1", "access-2"]);
}

#[test]
fn jwt_exp_claim_sets_expiry() {
    let server = Server::start();
    server.set_expiry(Expiry::JwtExp(3600));
    let setup = Setup::new(&server, "");
    setup.call(&[]);
    setup.call(&[]);
    assert_eq!(server.exchanges(), 1);

    server.set_expiry(Expiry::JwtExp(-10));
    setup.run(&["cache", "clear"], 0);
    setup.call(&[]);
    setup.call(&[]);
    assert_eq!(server.exchanges(), 3);
}

#[test]
fn token_lifetime_used_without_other_expiry() {
    let server = Server::start();
    server.set_expiry(Expiry::None);
    let setup = Setup::new(&server, "");
    setup.call(&[]);
    let listing = stdout(&setup.run(&["cache", "list"], 0));
    assert!(listing.contains("unknown"), "{listing}");

    setup.write_config(&exchange_credential("ex", &server.url(), "token_lifetime = \"1h\""));
    setup.call(&[]);
    assert_eq!(server.exchanges(), 2, "a new token_lifetime must miss the cache");
    let entries: Vec<Value> = setup
        .entry_files()
        .iter()
        .map(|p| serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap())
        .collect();
    let with_lifetime = entries.iter().find(|e| !e["expires_at"].is_null()).unwrap();
    let lifetime = with_lifetime["expires_at"].as_u64().unwrap()
        - with_lifetime["obtained_at"].as_u64().unwrap();
    assert_eq!(lifetime, 3600);
}

#[test]
fn revoked_token_refreshed_and_request_repeated() {
    let server = Server::start();
    let setup = Setup::new(&server, "");
    setup.call(&[]);
    server.revoke("access-1");

    let output = setup
        .cmd()
        .args(["call", "ex", "/items", "-X", "PUT", "--json", "-d", "@-", "-H", "X-Trace: t1"])
        .write_stdin("{\"name\": \"widget\"}")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output), "{\"ok\":true,\"path\":\"/v1/items\"}");
    assert_eq!(server.paths(), ["/token", "/v1/items", "/v1/items", "/token", "/v1/items"]);

    let api = server.api_requests();
    let (rejected, retried) = (&api[1], &api[2]);
    assert_eq!(rejected.bearer(), Some("access-1"));
    assert_eq!(retried.bearer(), Some("access-2"));
    for request in [rejected, retried] {
        assert_eq!(request.method, "PUT");
        assert_eq!(request.body_text(), "{\"name\": \"widget\"}");
        assert_eq!(request.header("x-trace"), Some("t1"));
        assert_eq!(request.header("content-type"), Some("application/json"));
    }

    // The replacement is cached for the next call.
    setup.call(&[]);
    assert_eq!(server.exchanges(), 2);
    assert_eq!(bearers(&server).last().unwrap(), "access-2");
}

#[test]
fn second_401_is_final_exit_4() {
    let server = Server::start();
    let setup = Setup::new(&server, "");
    setup.call(&[]);
    server.revoke("access-1");
    server.revoke("access-2");
    let output = setup.run(&["call", "ex", "/items"], 4);
    assert_eq!(server.paths(), ["/token", "/v1/items", "/v1/items", "/token", "/v1/items"]);
    assert_eq!(bearers(&server), ["access-1", "access-1", "access-2"]);
    let text = stdout(&output);
    assert!(text.contains("invalid_token"), "the final 401 body is written: {text}");
    assert_eq!(text.matches("invalid_token").count(), 1, "only one body is written: {text}");
    assert!(stderr(&output).contains("HTTP 401"), "{}", stderr(&output));
}

#[test]
fn uncached_token_also_refreshed_on_401() {
    let server = Server::start();
    let setup = Setup::new(&server, "");
    server.revoke("access-1");
    let output = setup.call(&["--no-cache", "-d", "a=1"]);
    assert_eq!(stdout(&output), "{\"ok\":true,\"path\":\"/v1/items\"}");
    assert_eq!(server.paths(), ["/token", "/v1/items", "/token", "/v1/items"]);
    assert_eq!(bearers(&server), ["access-1", "access-2"]);
    let bodies: Vec<String> = server.api_requests().iter().map(|r| r.body_text()).collect();
    assert_eq!(bodies, ["a=1", "a=1"]);
    assert!(!setup.cache_folder().exists());
}

#[test]
fn jwt_protocol_401_not_retried() {
    let server = Server::start();
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("credentials.toml");
    let toml = format!(
        "[credentials.plain]\nprotocol = \"jwt\"\nurl = \"{}/v1\"\nissuer = \"me\"\n\
         key_path = \"{}\"\n",
        server.url(),
        fixture("ec-p256-pkcs8.pem").display()
    );
    std::fs::write(&config, toml).unwrap();
    let output = hermetic_cmd(home.path())
        .arg("--config")
        .arg(&config)
        .args(["call", "plain", "/x"])
        .output();
    assert_eq!(output.unwrap().status.code(), Some(4));
    assert_eq!(server.paths(), ["/v1/x"]);
    assert!(!home.path().join(".cache").exists(), "protocol jwt must not create a cache");
}

#[test]
fn concurrent_cold_start_exchanges_once() {
    let server = Server::start();
    *server.state.token_delay.lock().unwrap() = Some(Duration::from_millis(300));
    let setup = Arc::new(Setup::new(&server, ""));
    let workers: Vec<_> = (0..16)
        .map(|_| {
            let setup = Arc::clone(&setup);
            thread::spawn(move || setup.cmd().args(["call", "ex", "/items"]).output().unwrap())
        })
        .collect();
    for worker in workers {
        let output = worker.join().unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
    }
    assert_eq!(server.exchanges(), 1);
    assert_eq!(bearers(&server), vec!["access-1"; 16]);
}

#[test]
fn killed_lock_holder_blocks_nobody() {
    let server = Server::start();
    *server.state.token_delay.lock().unwrap() = Some(Duration::from_secs(30));
    let setup = Setup::new(&server, "");

    // The first process takes the entry's lock and waits for the slow token
    // endpoint; it is killed while it still holds the lock.
    let mut holder = std::process::Command::new(assert_cmd::cargo::cargo_bin("namedcred"))
        .env_clear()
        .env("HOME", setup.home.path())
        .env("XDG_CACHE_HOME", setup.home.path().join(".cache"))
        .arg("--config")
        .arg(&setup.config)
        .args(["call", "ex", "/items"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    while server.exchanges() == 0 {
        assert!(holder.try_wait().unwrap().is_none(), "the holder exited before it exchanged");
        thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(files_ending(&setup.cache_folder(), ".lock").len(), 1);
    holder.kill().unwrap();
    holder.wait().unwrap();

    *server.state.token_delay.lock().unwrap() = None;
    setup.call(&[]);
    assert_eq!(server.exchanges(), 2);
    assert_eq!(bearers(&server), ["access-2"]);
}

#[test]
fn damaged_entry_warned_and_replaced() {
    let server = Server::start();
    let setup = Setup::new(&server, "");
    setup.call(&[]);
    let path = setup.entry_file();
    let valid = std::fs::read(&path).unwrap();
    let damaged: [&[u8]; 4] = [b"\x00\xff garbage", &valid[..valid.len() / 2], b"", b"[]"];

    for (round, bytes) in damaged.iter().enumerate() {
        std::fs::write(&path, bytes).unwrap();
        let output = setup.call(&[]);
        let message = stderr(&output);
        assert!(message.contains("warning: ignoring the token cache entry"), "{round}: {message}");
        assert!(message.contains(&path.display().to_string()), "{round}: {message}");
        assert_eq!(server.exchanges(), round + 2, "{round}");

        // The replaced entry is whole again: no warning, no exchange.
        let output = setup.call(&[]);
        assert!(stderr(&output).is_empty(), "{round}: {}", stderr(&output));
        assert_eq!(server.exchanges(), round + 2, "{round}");
    }
}

#[test]
fn unsendable_cached_token_replaced() {
    let server = Server::start();
    let setup = Setup::new(&server, "");
    setup.call(&[]);
    let path = setup.entry_file();

    for (round, token) in
        ["AT\r\nX-Evil: 1", "two words", "t\u{fc}ken", "tab\there"].iter().enumerate()
    {
        let mut entry: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        entry["access_token"] = json!(token);
        std::fs::write(&path, entry.to_string()).unwrap();

        let output = setup.call(&[]);
        let message = stderr(&output);
        assert!(message.contains("warning: ignoring the token cache entry"), "{round}: {message}");
        assert!(message.contains("cannot carry"), "{round}: {message}");
        assert!(!message.contains("X-Evil"), "{round}: {message}");
        assert_eq!(server.exchanges(), round + 2, "{round}");
        let sent = bearers(&server);
        assert_eq!(sent.last().unwrap(), &format!("access-{}", round + 2), "{round}");
    }
}

#[cfg(unix)]
#[test]
fn folder_and_files_private() {
    use std::os::unix::fs::PermissionsExt;
    let server = Server::start();
    let setup = Setup::new(&server, "");
    setup.call(&[]);
    let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&setup.cache_folder()), 0o700);
    assert_eq!(mode(&setup.entry_file()), 0o600);
    let locks = files_ending(&setup.cache_folder(), ".lock");
    assert_eq!(locks.len(), 1);
    assert_eq!(mode(&locks[0]), 0o600);
    let all = std::fs::read_dir(setup.cache_folder()).unwrap().count();
    assert_eq!(all, 2, "only the entry and its lock file remain");
}

#[test]
fn cache_dir_variable_moves_cache() {
    let server = Server::start();
    let setup = Setup::new(&server, "");
    let folder = setup.home.path().join("elsewhere");
    let run = || {
        let output = setup
            .cmd()
            .env("NAMEDCRED_CACHE_DIR", &folder)
            .args(["call", "ex", "/items"])
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
    };
    run();
    run();
    assert_eq!(server.exchanges(), 1);
    assert_eq!(files_ending(&folder, ".json").len(), 1);
    assert!(!setup.cache_folder().exists());
}

#[test]
fn unusable_cache_folder_only_warns() {
    let server = Server::start();
    let setup = Setup::new(&server, "");
    let blocker = setup.home.path().join("not-a-folder");
    std::fs::write(&blocker, "").unwrap();
    let output = setup
        .cmd()
        .env("NAMEDCRED_CACHE_DIR", blocker.join("cache"))
        .args(["call", "ex", "/items"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(message.contains("warning: not using the token cache"), "{message}");
    assert!(message.contains("not-a-folder"), "{message}");
    assert_eq!(bearers(&server), ["access-1"]);

    // When the variable itself names a file, the warning reports that.
    let output =
        setup.cmd().env("NAMEDCRED_CACHE_DIR", &blocker).args(["call", "ex", "/items"]).output();
    let output = output.unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(message.contains("is not a folder; set NAMEDCRED_CACHE_DIR"), "{message}");
}

#[cfg(unix)]
#[test]
fn shared_cache_folder_not_used() {
    use std::os::unix::fs::PermissionsExt;
    let server = Server::start();
    let setup = Setup::new(&server, "");
    let folder = setup.home.path().join("shared");
    std::fs::create_dir(&folder).unwrap();
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o777)).unwrap();
    for _ in 0..2 {
        let output = setup
            .cmd()
            .env("NAMEDCRED_CACHE_DIR", &folder)
            .args(["call", "ex", "/items"])
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
        let message = stderr(&output);
        assert!(message.contains("other users can write to the cache folder"), "{message}");
        assert!(message.contains("chmod 700"), "{message}");
    }
    assert_eq!(server.exchanges(), 2);
    assert_eq!(std::fs::read_dir(&folder).unwrap().count(), 0);
}

#[test]
fn entry_keeps_no_endpoint_query_secret() {
    let server = Server::start();
    let setup = Setup::new(&server, "");
    let toml = exchange_credential("ex", &server.url(), "")
        .replace("/token\"", "/token?client_secret=endpoint-canary-51c\"");
    setup.write_config(&toml);
    setup.call(&[]);
    let entry = std::fs::read_to_string(&setup.entry_files()[0]).unwrap();
    assert!(entry.contains("/token?client_secret="), "{entry}");
    assert!(!entry.contains("endpoint-canary-51c"), "{entry}");
}

#[test]
fn changed_scope_misses_cache() {
    let server = Server::start();
    let setup = Setup::new(&server, "");
    setup.call(&[]);
    let toml = exchange_credential("ex", &server.url(), "").replace("\"read\"", "\"read write\"");
    setup.write_config(&toml);
    setup.call(&[]);
    let token_requests = server.server.requests_to("/token");
    assert_eq!(token_requests.len(), 2);
    assert_eq!(token_requests[1].form_value("scope").as_deref(), Some("read write"));
    assert_eq!(bearers(&server), ["access-1", "access-2"]);

    // The first scope's entry is still there and used again.
    setup.write_config(&exchange_credential("ex", &server.url(), ""));
    setup.call(&[]);
    assert_eq!(server.exchanges(), 2);
    assert_eq!(bearers(&server).last().unwrap(), "access-1");
}

#[test]
fn no_cache_flag_bypasses_cache() {
    let server = Server::start();
    let setup = Setup::new(&server, "");
    setup.call(&["--no-cache"]);
    setup.call(&["--no-cache"]);
    assert_eq!(server.exchanges(), 2);
    assert!(!setup.cache_folder().exists(), "--no-cache must not write");

    setup.call(&[]);
    setup.call(&["--no-cache"]);
    assert_eq!(server.exchanges(), 4, "--no-cache must not read");
    assert_eq!(bearers(&server), ["access-1", "access-2", "access-3", "access-4"]);
    setup.call(&[]);
    assert_eq!(bearers(&server).last().unwrap(), "access-3");
}

#[test]
fn exchange_command_stores_fresh_token() {
    let server = Server::start();
    let setup = Setup::new(&server, "");
    assert_eq!(stdout(&setup.run(&["exchange", "ex"], 0)), "access-1\n");
    assert_eq!(stdout(&setup.run(&["exchange", "ex"], 0)), "access-2\n");
    setup.call(&[]);
    assert_eq!(server.exchanges(), 2);
    assert_eq!(bearers(&server), ["access-2"]);
}

#[test]
fn token_command_never_caches() {
    let server = Server::start();
    let setup = Setup::new(&server, "");
    let first = stdout(&setup.run(&["token", "ex"], 0));
    let second = stdout(&setup.run(&["token", "ex"], 0));
    assert_ne!(first, second, "every JWT is minted anew");
    assert_eq!(server.server.count(), 0);
    assert!(!setup.cache_folder().exists());
}

#[test]
fn cache_list_shows_names_never_tokens() {
    let server = Server::start();
    let setup = Setup::new(&server, "");
    let output = setup.run(&["cache", "list"], 0);
    assert!(stdout(&output).is_empty());
    assert!(stderr(&output).contains("no cached tokens"), "{}", stderr(&output));

    setup.call(&[]);
    let listing = stdout(&setup.run(&["cache", "list"], 0));
    let lines: Vec<&str> = listing.lines().collect();
    assert_eq!(lines.len(), 2, "{listing}");
    assert!(lines[0].starts_with("CREDENTIAL"), "{listing}");
    assert!(lines[1].starts_with("ex "), "{listing}");
    assert!(lines[1].contains("fresh"), "{listing}");
    assert!(lines[1].contains(&format!("{}/token", server.url())), "{listing}");
    assert!(!listing.contains("access-1"), "{listing}");

    let verbose = setup.cmd().args(["-v", "call", "ex", "/items"]).output().unwrap();
    assert!(stderr(&verbose).contains("reusing the cached token"), "{}", stderr(&verbose));
    assert!(!stderr(&verbose).contains("access-1"), "{}", stderr(&verbose));
}

#[test]
fn cache_list_escapes_and_redacts_fields() {
    let server = Server::start();
    let setup = Setup::new(&server, "");
    setup.call(&[]);
    let path = setup.entry_file();
    let mut entry: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    entry["credential"] = json!("b\u{1b}[31mRED\nforged line");
    entry["token_endpoint"] = json!("http://admin:PASSW0RD@host/token?\u{7}");
    std::fs::write(&path, entry.to_string()).unwrap();

    let output = setup.run(&["cache", "list"], 0);
    let listing = stdout(&output);
    assert!(!listing.contains('\u{1b}'), "{listing:?}");
    assert!(!listing.contains('\u{7}'), "{listing:?}");
    assert_eq!(listing.lines().count(), 2, "{listing:?}");
    assert!(listing.contains("b\\u{1b}[31mRED\\nforged line"), "{listing:?}");
    assert!(!listing.contains("PASSW0RD"), "{listing:?}");
    assert!(listing.contains("http://redacted@host/token"), "{listing:?}");

    // The entry is still reused, and -v logs its credential name escaped.
    let verbose = setup.cmd().args(["-v", "call", "ex", "/items"]).output().unwrap();
    let log = stderr(&verbose);
    assert!(log.contains("reusing the cached token"), "{log:?}");
    assert!(!log.contains('\u{1b}'), "{log:?}");
}

#[test]
fn cache_clear_removes_entries() {
    let server = Server::start();
    let setup = Setup::new(&server, "");
    let two = format!(
        "{}{}",
        exchange_credential("ex", &server.url(), ""),
        exchange_credential("other", &server.url(), "")
    );
    setup.write_config(&two);
    setup.call(&[]);
    setup.run(&["call", "other", "/items"], 0);
    assert_eq!(setup.entry_files().len(), 2);

    let output = setup.run(&["cache", "clear", "ex"], 0);
    assert!(stderr(&output).contains("removed 1 cached token of `ex`"), "{}", stderr(&output));
    let output = setup.run(&["cache", "clear", "nosuch"], 0);
    assert!(stderr(&output).contains("no cached token of `nosuch`"), "{}", stderr(&output));
    let listing = stdout(&setup.run(&["cache", "list"], 0));
    assert!(listing.contains("other"), "{listing}");
    assert!(!listing.lines().any(|l| l.starts_with("ex ")), "{listing}");
    setup.call(&[]);
    assert_eq!(server.exchanges(), 3, "a cleared credential exchanges again");

    setup.run(&["cache", "clear"], 0);
    assert!(setup.entry_files().is_empty());
    assert_eq!(std::fs::read_dir(setup.cache_folder()).unwrap().count(), 0);
}

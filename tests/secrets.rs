//! Runs every failure path with canary values in the private key, the HMAC
//! secret, the signed JWT, the assertion and the access token, and checks
//! that none of them reaches stdout or stderr, at every verbosity. The one
//! exception is a token printed on purpose by `token` or `exchange`.
//!
//! Further cases plant canaries in token parameters, URL passwords, secret
//! query parameters, redirect targets and a key command's stderr, and
//! check that control characters from files and servers are escaped.

mod support;

use std::net::TcpListener;
use std::path::{Path, PathBuf};

use serde_json::json;
use support::{Reply, TestServer, fixture, hermetic_cmd};
use tempfile::TempDir;

/// The HMAC secret, which must never be printed.
const HMAC_CANARY: &str = "hmac-canary-5d1f0c7a9b2e4f6a8c3d";
/// The access token that the token endpoint issues.
const ACCESS_CANARY: &str = "access-canary-7e2b9d4c1a6f";
/// The verbosity flags every case runs with.
const VERBOSITY: [&[&str]; 3] = [&[], &["-v"], &["-vv"]];

/// A temporary home with a copy of the key fixture and a configuration.
struct Setup {
    home: TempDir,
    config: PathBuf,
    key: PathBuf,
}

impl Setup {
    fn new() -> Setup {
        let home = tempfile::tempdir().unwrap();
        let key = home.path().join("key.pem");
        std::fs::copy(fixture("rsa2048-pkcs8.pem"), &key).unwrap();
        let config = home.path().join("credentials.toml");
        Setup { home, config, key }
    }

    fn write_config(&self, text: &str) {
        std::fs::write(&self.config, text).unwrap();
    }

    /// Runs namedcred and returns exit code, stdout and stderr.
    fn run(&self, args: &[&str]) -> (Option<i32>, String, String) {
        let output = hermetic_cmd(self.home.path())
            .arg("--config")
            .arg(&self.config)
            .env("CANARY_HMAC", HMAC_CANARY)
            .args(args)
            .output()
            .unwrap();
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }
}

/// Returns the base64 lines of a PEM file: the key material itself.
fn pem_body_lines(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let lines: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with("-----"))
        .map(str::to_string)
        .collect();
    assert!(lines.len() > 10, "the key fixture should have many body lines");
    lines
}

/// Returns the credentials, all pointing at `base`: `rsa` signs with the
/// key file, `hmac` with the secret in CANARY_HMAC, and `ex` exchanges an
/// RSA-signed assertion at `base/token`.
fn credentials(base: &str, key: &Path, extra: &str) -> String {
    let key = key.display();
    format!(
        "[credentials.rsa]\nprotocol = \"jwt\"\nurl = \"{base}/v1\"\nissuer = \"svc\"\n\
         key_path = \"{key}\"\n{extra}\n\
         [credentials.hmac]\nprotocol = \"jwt\"\nurl = \"{base}/v1\"\nissuer = \"svc\"\n\
         secret_env = \"CANARY_HMAC\"\n{extra}\n\
         [credentials.ex]\nprotocol = \"jwt-exchange\"\nurl = \"{base}/v1\"\n\
         token_endpoint = \"{base}/token\"\nissuer = \"svc\"\nsubject = \"user\"\n\
         key_path = \"{key}\"\n{extra}\n"
    )
}

/// Collects the secrets seen in a test and checks outputs for them.
struct Canaries {
    values: Vec<String>,
}

impl Canaries {
    fn new(key: &Path) -> Canaries {
        let mut values = pem_body_lines(key);
        values.push(HMAC_CANARY.to_string());
        values.push(ACCESS_CANARY.to_string());
        Canaries { values }
    }

    /// Adds every bearer token and assertion that `server` received.
    fn add_from(&mut self, server: &TestServer) {
        for request in server.requests() {
            if let Some(token) = request.bearer() {
                self.values.push(token.to_string());
            }
            if let Some(assertion) = request.form_value("assertion") {
                self.values.push(assertion);
            }
        }
    }

    /// Asserts that no canary except those in `allowed` is in `text`.
    fn assert_absent(&self, what: &str, text: &str, allowed: &[&str]) {
        for canary in self.values.iter().filter(|c| !allowed.contains(&c.as_str())) {
            assert!(!text.contains(canary.as_str()), "{what} contains a secret: {text}");
        }
        if allowed.is_empty() {
            assert!(!contains_jwt(text), "{what} contains a JWT: {text}");
        }
    }
}

/// Tells whether `text` contains something shaped like a JWT: `eyJ`
/// followed by base64url text and a dot. A bare `eyJ` is not enough,
/// because the random `jti` that `-vv` logs contains it now and then.
fn contains_jwt(text: &str) -> bool {
    let is_base64url = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    text.match_indices("eyJ").any(|(start, _)| {
        let rest = &text[start..];
        let segment = rest.find(|c: char| !is_base64url(c)).unwrap_or(rest.len());
        segment >= 10 && rest[segment..].starts_with('.')
    })
}

#[test]
fn jwt_shape_detected() {
    assert!(contains_jwt("x eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJp.sig y"));
    assert!(!contains_jwt("\"jti\":\"a1eyJb9-xQ\" done."));
    assert!(!contains_jwt("eyJ"));
}

/// A server whose token endpoint echoes the assertion in its error and
/// whose API answers `status`, with the request's bearer token echoed
/// only in a header, never in the body.
fn hostile_server(token_status: u16, api_status: u16) -> TestServer {
    TestServer::start(move |request| {
        if request.path == "/token" {
            let assertion = request.form_value("assertion").unwrap_or_default();
            if token_status == 200 {
                return Reply::json(200, json!({"access_token": ACCESS_CANARY}));
            }
            return Reply::json(
                token_status,
                json!({"error": "invalid_grant", "error_description": format!("bad {assertion}")}),
            );
        }
        let echoed = request.header("authorization").unwrap_or("").to_string();
        Reply::text(api_status, "api body").header("X-Echo", echoed)
    })
}

/// Runs `args` at every verbosity, checks the exit code and that no
/// canary leaks; `allowed_stdout` lists canaries that stdout may contain.
fn check(
    setup: &Setup,
    server: Option<&TestServer>,
    args: &[&str],
    expected_code: i32,
    allowed_stdout: &dyn Fn(&Canaries) -> Vec<String>,
) {
    for verbosity in VERBOSITY {
        let all: Vec<&str> = verbosity.iter().chain(args).copied().collect();
        let (code, stdout, stderr) = setup.run(&all);
        let mut canaries = Canaries::new(&setup.key);
        if let Some(server) = server {
            canaries.add_from(server);
        }
        assert_eq!(code, Some(expected_code), "{all:?}: {stderr}");
        let allowed = allowed_stdout(&canaries);
        let allowed: Vec<&str> = allowed.iter().map(String::as_str).collect();
        canaries.assert_absent(&format!("stdout of {all:?}"), &stdout, &allowed);
        canaries.assert_absent(&format!("stderr of {all:?}"), &stderr, &[]);
    }
}

/// Allows no canary on stdout.
fn nothing(_: &Canaries) -> Vec<String> {
    Vec::new()
}

/// Returns a loopback URL on which nothing listens.
fn closed_port_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    format!("http://127.0.0.1:{port}")
}

#[test]
fn bad_key_files_leak_nothing() {
    let setup = Setup::new();
    let original = std::fs::read_to_string(&setup.key).unwrap();
    let lines: Vec<&str> = original.lines().collect();
    let corruptions = [
        // The key with its last body lines cut off.
        [&lines[..lines.len() - 4], &lines[lines.len() - 1..]].concat().join("\n"),
        // The key with its END line missing.
        lines[..lines.len() - 1].join("\n"),
        // The body without any PEM lines.
        lines[1..lines.len() - 1].join("\n"),
    ];
    for corrupted in corruptions {
        std::fs::write(setup.home.path().join("broken.pem"), corrupted).unwrap();
        let broken = setup.home.path().join("broken.pem");
        setup.write_config(&credentials("http://127.0.0.1:9", &broken, ""));
        for name in ["rsa", "ex"] {
            check(&setup, None, &["call", name, "/x"], 8, &nothing);
            check(&setup, None, &["token", name], 8, &nothing);
        }
    }
}

#[test]
fn key_algorithm_mismatch_leaks_nothing() {
    let setup = Setup::new();
    setup.write_config(&credentials("http://127.0.0.1:9", &setup.key, "algorithm = \"ES256\""));
    check(&setup, None, &["token", "rsa"], 8, &nothing);
    check(&setup, None, &["call", "ex", "/x"], 8, &nothing);
    setup.write_config(&credentials("http://127.0.0.1:9", &setup.key, "algorithm = \"RS256\""));
    check(&setup, None, &["token", "hmac"], 8, &nothing);
}

#[test]
fn bad_config_leaks_nothing() {
    let setup = Setup::new();
    let key_line = pem_body_lines(&setup.key)[3].clone();
    let texts = [
        // A secret written inline under a field name that does not exist.
        format!(
            "{}\n[credentials.typo]\nsecret = \"{HMAC_CANARY}\"\n",
            credentials("http://127.0.0.1:9", &setup.key, "")
        ),
        // Invalid TOML on the line that contains the secret.
        format!("[credentials.hmac]\nsecret_value = {HMAC_CANARY}\n"),
        // Key material pasted into the configuration.
        format!("[credentials.rsa]\nkey = \"\"\"\n{key_line}\n\"\"\"\n"),
        format!("[credentials.rsa\nkey_path = \"{key_line}\"\n"),
    ];
    for text in texts {
        setup.write_config(&text);
        check(&setup, None, &["call", "rsa", "/x"], 8, &nothing);
    }
}

#[test]
fn rejected_exchange_leaks_nothing() {
    let setup = Setup::new();
    let server = hostile_server(400, 200);
    setup.write_config(&credentials(&server.url(), &setup.key, ""));
    check(&setup, Some(&server), &["exchange", "ex"], 7, &nothing);
    check(&setup, Some(&server), &["call", "ex", "/me"], 7, &nothing);

    let html = TestServer::start(|request| {
        let assertion = request.form_value("assertion").unwrap_or_default();
        Reply::text(200, &format!("<html>{assertion}</html>"))
    });
    setup.write_config(&credentials(&html.url(), &setup.key, ""));
    check(&setup, Some(&html), &["exchange", "ex"], 7, &nothing);
}

#[test]
fn unreachable_hosts_leak_nothing() {
    let setup = Setup::new();
    setup.write_config(&credentials(&closed_port_url(), &setup.key, ""));
    for name in ["rsa", "hmac", "ex"] {
        check(&setup, None, &["call", name, "/me", "--retry", "1"], 6, &nothing);
    }
    check(&setup, None, &["exchange", "ex"], 6, &nothing);
}

#[test]
fn http_errors_leak_nothing() {
    let setup = Setup::new();
    for (status, code) in [(401, 4), (500, 5), (302, 3)] {
        let server = hostile_server(200, status);
        setup.write_config(&credentials(&server.url(), &setup.key, ""));
        for name in ["rsa", "hmac", "ex"] {
            check(&setup, Some(&server), &["call", name, "/me"], code, &nothing);
        }
    }
}

#[test]
fn redirects_and_retries_leak_nothing() {
    let setup = Setup::new();
    let other = TestServer::start(|_| Reply::text(200, "other"));
    let target = format!("{}/landing", other.url());
    let server = TestServer::start(move |request| {
        if request.path == "/token" {
            return Reply::json(200, json!({"access_token": ACCESS_CANARY}));
        }
        if request.path == "/v1/busy" {
            return Reply::text(503, "busy").header("Retry-After", "0");
        }
        Reply::new(307).header("Location", target.as_str())
    });
    setup.write_config(&credentials(&server.url(), &setup.key, ""));
    for name in ["rsa", "hmac", "ex"] {
        check(&setup, Some(&server), &["call", name, "/me", "-L"], 0, &nothing);
        check(&setup, Some(&server), &["call", name, "/busy", "--retry", "1"], 5, &nothing);
    }
    assert!(other.requests().iter().all(|r| r.header("authorization").is_none()));
}

#[test]
fn requested_tokens_only_on_stdout() {
    let setup = Setup::new();
    let server = hostile_server(200, 200);
    setup.write_config(&credentials(&server.url(), &setup.key, ""));
    let access = |_: &Canaries| vec![ACCESS_CANARY.to_string()];
    check(&setup, Some(&server), &["exchange", "ex"], 0, &access);
    check(&setup, Some(&server), &["exchange", "ex", "--json"], 0, &access);
    check(&setup, Some(&server), &["call", "ex", "/me"], 0, &nothing);

    for name in ["rsa", "hmac"] {
        for verbosity in VERBOSITY {
            let args: Vec<&str> = verbosity.iter().chain(&["token", name]).copied().collect();
            let (code, stdout, stderr) = setup.run(&args);
            assert_eq!(code, Some(0), "{args:?}: {stderr}");
            let token = stdout.trim().to_string();
            assert!(token.starts_with("eyJ"), "{args:?}: {stdout}");
            let mut canaries = Canaries::new(&setup.key);
            canaries.values.push(token.clone());
            canaries.assert_absent(&format!("stdout of {args:?}"), &stdout, &[token.as_str()]);
            canaries.assert_absent(&format!("stderr of {args:?}"), &stderr, &[]);
        }
    }
}

/// A client secret sent as a token parameter, with characters that form
/// encoding changes.
const PARAM_CANARY: &str = "param-canary+4b8e/2d6f";

/// Returns the credential `ex` alone, with `client_secret` in its
/// `[token_params]`.
fn exchange_with_params(base: &str, key: &Path) -> String {
    format!(
        "[credentials.ex]\nprotocol = \"jwt-exchange\"\nurl = \"{base}/v1\"\n\
         token_endpoint = \"{base}/token\"\nissuer = \"svc\"\nsubject = \"user\"\n\
         key_path = \"{}\"\n[credentials.ex.token_params]\nclient_id = \"app\"\n\
         client_secret = \"{PARAM_CANARY}\"\n",
        key.display()
    )
}

#[test]
fn non_json_token_replies_leak_nothing() {
    let setup = Setup::new();
    let bodies = [
        (
            "application/x-www-form-urlencoded",
            format!("access_token={ACCESS_CANARY}&scope=repo&token_type=bearer"),
        ),
        ("application/json", format!("{{\"access_token\":\"{ACCESS_CANARY}\",\"token_type\":\"be")),
        ("text/plain", format!("refresh_token: {ACCESS_CANARY}\nid_token: {ACCESS_CANARY}")),
        ("application/xml", format!("<r><access_token>{ACCESS_CANARY}</access_token></r>")),
    ];
    for (content_type, body) in bodies {
        let server = TestServer::start(move |_| {
            Reply { body: body.clone().into_bytes(), ..Reply::new(200) }
                .header("Content-Type", content_type)
        });
        setup.write_config(&credentials(&server.url(), &setup.key, ""));
        check(&setup, Some(&server), &["exchange", "ex"], 7, &nothing);
        check(&setup, Some(&server), &["call", "ex", "/me"], 7, &nothing);
    }
}

#[test]
fn form_reply_preview_keeps_other_fields() {
    let setup = Setup::new();
    let server = TestServer::start(|_| {
        let body = format!("access_token={ACCESS_CANARY}&scope=repo&token_type=bearer");
        Reply { body: body.into_bytes(), ..Reply::new(200) }
            .header("Content-Type", "application/x-www-form-urlencoded")
    });
    setup.write_config(&credentials(&server.url(), &setup.key, ""));
    let (code, _, stderr) = setup.run(&["exchange", "ex"]);
    assert_eq!(code, Some(7), "{stderr}");
    assert!(stderr.contains("access_token=(redacted)&scope=repo"), "{stderr}");
    assert!(!stderr.contains(ACCESS_CANARY), "{stderr}");
}

#[test]
fn echoed_token_params_leak_nothing() {
    let setup = Setup::new();
    let server = TestServer::start(|request| {
        let html =
            format!("<html><pre>{}</pre><p>{:?}</p></html>", request.body_text(), request.form());
        Reply { body: html.into_bytes(), ..Reply::new(500) }.header("Content-Type", "text/html")
    });
    setup.write_config(&exchange_with_params(&server.url(), &setup.key));
    for args in [&["exchange", "ex"][..], &["call", "ex", "/me"]] {
        for verbosity in VERBOSITY {
            let all: Vec<&str> = verbosity.iter().chain(args).copied().collect();
            let (code, stdout, stderr) = setup.run(&all);
            assert_eq!(code, Some(7), "{all:?}: {stderr}");
            let mut canaries = Canaries::new(&setup.key);
            canaries.add_from(&server);
            canaries.values.push(PARAM_CANARY.to_string());
            canaries.values.push("param-canary%2B4b8e%2F2d6f".to_string());
            canaries.assert_absent(&format!("stdout of {all:?}"), &stdout, &[]);
            canaries.assert_absent(&format!("stderr of {all:?}"), &stderr, &[]);
            // A short value under a plain name stays readable.
            assert!(stderr.contains("client_id=app"), "{stderr}");
        }
    }
}

#[test]
fn key_command_stderr_leaks_nothing() {
    let setup = Setup::new();
    let key = setup.key.display().to_string();
    let body_line = pem_body_lines(&setup.key)[2].clone();
    let commands = [
        format!("cat '{key}' >&2; exit 1"),
        // A PEM block without its END line.
        format!("head -n 5 '{key}' >&2; exit 1"),
        // Key material without PEM lines.
        format!("echo 'bad key {body_line}' >&2; exit 1"),
        format!("printf '{{\"private_key\": \"{HMAC_CANARY}\"}}' >&2; exit 1"),
    ];
    for command in commands {
        let config = format!(
            "[credentials.rsa]\nprotocol = \"jwt\"\nurl = \"http://127.0.0.1:9/v1\"\n\
             issuer = \"svc\"\nkey_command = \"{}\"\n",
            command.replace('\\', "\\\\").replace('"', "\\\"")
        );
        setup.write_config(&config);
        check(&setup, None, &["token", "rsa"], 8, &nothing);
        let (_, _, stderr) = setup.run(&["token", "rsa"]);
        assert!(stderr.contains("exited with status 1"), "{stderr}");
        assert!(stderr.contains("(redacted"), "{stderr}");
    }
}

#[test]
fn key_command_stderr_capped_and_escaped() {
    let setup = Setup::new();
    let config = "[credentials.rsa]\nprotocol = \"jwt\"\nurl = \"http://127.0.0.1:9/v1\"\n\
                  issuer = \"svc\"\n\
                  key_command = \"{ printf '\\\\033[31mred '; yes denied | head -n 2000; } >&2; exit 1\"\n";
    setup.write_config(config);
    let (code, _, stderr) = setup.run(&["token", "rsa"]);
    assert_eq!(code, Some(8), "{stderr}");
    assert!(stderr.len() < 2000, "{} bytes: {stderr}", stderr.len());
    assert!(!stderr.contains('\u{1b}'), "{stderr}");
}

#[test]
fn list_and_check_hide_url_passwords() {
    let setup = Setup::new();
    let key = setup.key.display();
    setup.write_config(&format!(
        "[credentials.pw]\nprotocol = \"jwt\"\nurl = \"http://admin:PASSW0RD@127.0.0.1/x?api_key=QUERYSECRET\"\n\
         issuer = \"svc\"\nkey_path = \"{key}\"\n\
         [credentials.\"b\\u001b[31mRED\"]\nprotocol = \"jwt\"\nurl = \"http://127.0.0.1/\\u0007\"\n\
         issuer = \"svc\"\nkey_path = \"{key}\"\n"
    ));
    for args in [&["list"][..], &["list", "--json"], &["check"], &["-v", "check", "pw"]] {
        let (_, stdout, stderr) = setup.run(args);
        for output in [&stdout, &stderr] {
            assert!(!output.contains("PASSW0RD"), "{args:?}: {output}");
            assert!(!output.contains("QUERYSECRET"), "{args:?}: {output}");
            assert!(!output.contains('\u{1b}'), "{args:?}: {output:?}");
            assert!(!output.contains('\u{7}'), "{args:?}: {output:?}");
        }
    }
    let (code, stdout, _) = setup.run(&["list"]);
    assert_eq!(code, Some(0));
    assert!(stdout.contains("http://redacted@127.0.0.1/x?api_key=(redacted)"), "{stdout}");
}

#[test]
fn redirect_locations_leak_nothing() {
    let setup = Setup::new();
    for location in [
        "https://u:LOCPASS@127.0.0.1:1/next?code=LOCCODE",
        "ftp://u:LOCPASS@127.0.0.1/next?code=LOCCODE",
        "http://[bad:LOCPASS@x/?code=LOCCODE",
    ] {
        let server = TestServer::start(move |_| Reply::new(302).header("Location", location));
        setup.write_config(&credentials(&server.url(), &setup.key, ""));
        for args in [
            &["exchange", "ex"][..],
            &["call", "rsa", "/me"],
            &["call", "rsa", "/me", "-L"],
            &["-v", "call", "hmac", "/me", "-L"],
        ] {
            let (code, stdout, stderr) = setup.run(args);
            assert_ne!(code, Some(0), "{args:?}: {stderr}");
            for output in [&stdout, &stderr] {
                assert!(!output.contains("LOCPASS"), "{location} {args:?}: {output}");
                assert!(!output.contains("LOCCODE"), "{location} {args:?}: {output}");
            }
        }
    }
}

#[test]
fn secret_query_parameters_hidden_in_logs() {
    let setup = Setup::new();
    let server = hostile_server(200, 200);
    setup.write_config(&credentials(&server.url(), &setup.key, ""));
    for args in [
        &["-v", "call", "rsa", "/me?api_key=QUERYCANARY&page=2"][..],
        &["call", "rsa", "/me?api_key=QUERYCANARY&page=2", "--dry-run"],
    ] {
        let (code, stdout, stderr) = setup.run(args);
        assert_eq!(code, Some(0), "{args:?}: {stderr}");
        for output in [&stdout, &stderr] {
            assert!(!output.contains("QUERYCANARY"), "{args:?}: {output}");
        }
        assert!(format!("{stdout}{stderr}").contains("api_key=(redacted)&page=2"), "{stderr}");
    }
}

#[test]
fn control_characters_in_errors_escaped() {
    let setup = Setup::new();
    setup.write_config(
        "[credentials.rsa]\nprotocol = \"jwt\"\nurl = \"http://127.0.0.1:9/v1\"\n\
         issuer = \"svc\"\nkey_path = \"missing-\\u001b[31m-\\r-key.pem\"\n",
    );
    let (code, _, stderr) = setup.run(&["token", "rsa"]);
    assert_eq!(code, Some(8), "{stderr}");
    assert!(stderr.contains("missing-"), "{stderr}");
    assert!(!stderr.contains('\u{1b}'), "{stderr:?}");
    assert!(!stderr.contains('\r'), "{stderr:?}");
}

#[test]
fn traced_reply_members_hide_url_passwords() {
    let setup = Setup::new();
    let server = TestServer::start(|_| {
        Reply::json(
            200,
            json!({"access_token": ACCESS_CANARY, "instance_url": "https://u:INSTPASS@127.0.0.1/"}),
        )
    });
    setup.write_config(&credentials(&server.url(), &setup.key, ""));
    let (code, _, stderr) = setup.run(&["-vv", "exchange", "ex"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("reply member instance_url"), "{stderr}");
    assert!(!stderr.contains("INSTPASS"), "{stderr}");
}

#[test]
fn token_endpoint_query_stays_out_of_errors() {
    let setup = Setup::new();
    let server = TestServer::start(|_| Reply::new(302).header("Location", "/elsewhere"));
    let config = credentials(&server.url(), &setup.key, "")
        .replace("/token\"", "/token?api_key=ENDPOINTCANARY\"");
    setup.write_config(&config);
    for args in [&["exchange", "ex"][..], &["-v", "exchange", "ex"], &["cache", "list"]] {
        let (_, stdout, stderr) = setup.run(args);
        for output in [&stdout, &stderr] {
            assert!(!output.contains("ENDPOINTCANARY"), "{args:?}: {output}");
        }
    }
    let (code, _, stderr) = setup.run(&["exchange", "ex"]);
    assert_eq!(code, Some(7), "{stderr}");
    assert!(stderr.contains("redirecting to"), "{stderr}");
}

#[test]
fn instance_url_password_hidden() {
    let setup = Setup::new();
    let server = TestServer::start(|request| {
        if request.path == "/services/oauth2/token" {
            let host = request.header("host").unwrap_or_default();
            let instance = format!("http://u:INSTPASS@{host}");
            return Reply::json(
                200,
                json!({"access_token": ACCESS_CANARY, "instance_url": instance}),
            );
        }
        Reply::text(200, "ok")
    });
    setup.write_config(&format!(
        "[credentials.sf]\npreset = \"salesforce\"\n\
         token_endpoint = \"{}/services/oauth2/token\"\nissuer = \"consumer\"\n\
         subject = \"user@example.com\"\nkey_path = \"{}\"\n",
        server.url(),
        setup.key.display()
    ));
    for verbosity in VERBOSITY {
        let args: Vec<&str> = verbosity.iter().chain(&["call", "sf", "/x"]).copied().collect();
        let (_, stdout, stderr) = setup.run(&args);
        for output in [&stdout, &stderr] {
            assert!(!output.contains("INSTPASS"), "{args:?}: {output}");
        }
    }
}

#[test]
fn endpoint_query_secret_leaks_nothing() {
    let setup = Setup::new();
    let server = TestServer::start(|_| Reply::json(400, json!({"error": "invalid_grant"})));
    let toml = format!(
        "[credentials.ex]\nprotocol = \"jwt-exchange\"\nurl = \"{base}/v1\"\n\
         token_endpoint = \"{base}/token?client_secret={PARAM_CANARY}\"\nissuer = \"svc\"\n\
         subject = \"user\"\nkey_path = \"{}\"\n",
        setup.key.display(),
        base = server.url()
    );
    setup.write_config(&toml);
    for verbosity in VERBOSITY {
        let all: Vec<&str> = verbosity.iter().chain(&["exchange", "ex"]).copied().collect();
        let (code, stdout, stderr) = setup.run(&all);
        assert_eq!(code, Some(7), "{all:?}: {stderr}");
        assert!(stderr.contains("aud was"), "{stderr}");
        let mut canaries = Canaries::new(&setup.key);
        canaries.add_from(&server);
        canaries.values.push(PARAM_CANARY.to_string());
        canaries.assert_absent(&format!("stdout of {all:?}"), &stdout, &[]);
        canaries.assert_absent(&format!("stderr of {all:?}"), &stderr, &[]);
    }
}

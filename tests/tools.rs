//! Integration tests of the debugging and management commands: `list`,
//! `check`, `jwks`, `token --decode`, `completions`, `man`, environment
//! variable references in the configuration, `-v` redaction and
//! `--dry-run`, run as the real binary in a hermetic environment.

mod support;

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};
use support::{Reply, TestServer, fixture, hermetic_cmd};
use tempfile::TempDir;

const HMAC_SECRET: &str = "tools-test-hmac-secret-0123456789abcdef";

/// A temporary home folder with a configuration file in it.
struct Setup {
    home: TempDir,
    config: PathBuf,
}

impl Setup {
    fn new(toml: &str) -> Setup {
        let home = tempfile::tempdir().unwrap();
        let config = home.path().join("credentials.toml");
        std::fs::write(&config, toml).unwrap();
        Setup { home, config }
    }

    fn cmd(&self) -> assert_cmd::Command {
        let mut command = hermetic_cmd(self.home.path());
        command.arg("--config").arg(&self.config).env("TOOLS_HMAC", HMAC_SECRET);
        command
    }

    /// Runs the command and returns its exit code, stdout and stderr.
    fn run(&self, args: &[&str]) -> (i32, String, String) {
        let output = self.cmd().args(args).output().unwrap();
        (
            output.status.code().unwrap_or(-1),
            String::from_utf8(output.stdout).unwrap(),
            String::from_utf8(output.stderr).unwrap(),
        )
    }
}

/// Returns a jwt credential table that signs with the given key fixture.
fn jwt_credential(name: &str, key_file: &str, extra: &str) -> String {
    format!(
        "[credentials.{name}]\nprotocol = \"jwt\"\nurl = \"http://127.0.0.1:9/{name}\"\n\
         issuer = \"iss-{name}\"\naudience = \"aud-{name}\"\nkey_path = \"{}\"\n{extra}\n",
        fixture(key_file).display()
    )
}

/// Returns an HMAC jwt credential table.
fn hmac_credential(name: &str) -> String {
    format!(
        "[credentials.{name}]\nprotocol = \"jwt\"\nurl = \"http://127.0.0.1:9/{name}\"\n\
         issuer = \"iss-{name}\"\nsecret_env = \"TOOLS_HMAC\"\n"
    )
}

#[test]
fn list_prints_name_protocol_url() {
    let setup =
        Setup::new(&(jwt_credential("beta", "ec-p256-pkcs8.pem", "") + &hmac_credential("alpha")));
    let (code, stdout, _) = setup.run(&["list"]);
    assert_eq!(code, 0);
    let lines: Vec<Vec<&str>> =
        stdout.lines().map(|line| line.split_whitespace().collect()).collect();
    assert_eq!(
        lines,
        vec![
            vec!["alpha", "jwt", "http://127.0.0.1:9/alpha"],
            vec!["beta", "jwt", "http://127.0.0.1:9/beta"],
        ]
    );
}

#[test]
fn list_json_is_array() {
    let setup = Setup::new(&hmac_credential("alpha"));
    let (code, stdout, _) = setup.run(&["list", "--json"]);
    assert_eq!(code, 0);
    let value: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        value,
        json!([{ "name": "alpha", "protocol": "jwt", "url": "http://127.0.0.1:9/alpha" }])
    );
}

#[test]
fn list_fills_preset_defaults() {
    let key = fixture("rsa2048-pkcs8.pem").display().to_string();
    let toml = format!(
        "[credentials.gh]\npreset = \"github-app\"\nissuer = \"123\"\nkey_path = \"{key}\"\n\
         installation_id = 42\n\
         [credentials.sf]\npreset = \"salesforce\"\nissuer = \"client\"\nsubject = \"u@x\"\n\
         key_path = \"{key}\"\n\
         [credentials.snow]\npreset = \"snowflake\"\naccount = \"xy12345\"\nuser = \"bot\"\n\
         key_path = \"{key}\"\n"
    );
    let setup = Setup::new(&toml);
    let (code, stdout, stderr) = setup.run(&["list", "--json"]);
    assert_eq!(code, 0, "{stderr}");
    let value: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        value,
        json!([
            { "name": "gh", "protocol": "jwt-exchange", "url": "https://api.github.com" },
            {
                "name": "sf",
                "protocol": "jwt-exchange",
                "url": "(instance_url of the token reply)"
            },
            {
                "name": "snow",
                "protocol": "jwt",
                "url": "https://xy12345.snowflakecomputing.com"
            },
        ])
    );
}

#[test]
fn odd_credential_names_listed_and_escaped() {
    let toml = hmac_credential("placeholder")
        .replace("[credentials.placeholder]", "[credentials.\"a\\nb\\u202Eevil\"]");
    let setup = Setup::new(&toml);
    let (code, stdout, _) = setup.run(&["list", "--json"]);
    assert_eq!(code, 0);
    let rows: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(rows[0]["name"], "a\nb\u{202E}evil", "JSON keeps the name as it is");

    let (code, stdout, _) = setup.run(&["list"]);
    assert_eq!(code, 0);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(stdout.starts_with("a\\nb\\u{202e}evil "), "{stdout}");

    let (code, _, stderr) = setup.run(&["token", "nope"]);
    assert_eq!(code, 8);
    let hint = stderr.lines().find(|line| line.starts_with("hint:")).unwrap_or_default();
    assert!(hint.ends_with("a\\nb\\u{202e}evil"), "{stderr}");
    assert!(!stderr.contains('\u{202E}'), "{stderr}");
}

#[test]
fn list_of_empty_file_is_empty() {
    let setup = Setup::new("");
    let (code, stdout, _) = setup.run(&["list", "--json"]);
    assert_eq!(code, 0);
    assert_eq!(serde_json::from_str::<Value>(&stdout).unwrap(), json!([]));
}

#[test]
fn check_all_valid_exits_zero() {
    let setup =
        Setup::new(&(jwt_credential("ec", "ec-p256-pkcs8.pem", "") + &hmac_credential("mac")));
    let (code, stdout, _) = setup.run(&["check"]);
    assert_eq!(code, 0, "{stdout}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(lines[0].starts_with("ok"), "{stdout}");
    assert!(lines[0].contains("ec:"), "{stdout}");
    assert!(lines[0].contains("ES256"), "{stdout}");
    assert!(lines[1].starts_with("ok"), "{stdout}");
    assert!(lines[1].contains("mac:"), "{stdout}");
}

#[test]
fn check_failure_names_credential_and_exits_8() {
    let toml = jwt_credential("good", "ec-p256-pkcs8.pem", "")
        + &jwt_credential("wrongalg", "ec-p256-pkcs8.pem", "algorithm = \"RS256\"")
        + "[credentials.nokey]\nprotocol = \"jwt\"\nurl = \"http://127.0.0.1:9\"\n\
           issuer = \"me\"\nkey_path = \"missing.pem\"\n"
        + "[credentials.noenv]\nprotocol = \"jwt\"\nurl = \"http://127.0.0.1:9\"\n\
           issuer = \"me\"\nsecret_env = \"TOOLS_UNSET_SECRET\"\n";
    let setup = Setup::new(&toml);
    let (code, stdout, stderr) = setup.run(&["check"]);
    assert_eq!(code, 8, "{stdout}{stderr}");
    let line = |name: &str| {
        stdout
            .lines()
            .find(|line| line.contains(&format!("{name}:")))
            .unwrap_or_else(|| panic!("no line for {name} in {stdout}"))
            .to_string()
    };
    assert!(line("good").starts_with("ok"), "{stdout}");
    for name in ["wrongalg", "nokey", "noenv"] {
        assert!(line(name).starts_with("error"), "{stdout}");
    }
    assert!(line("wrongalg").contains("RS256"), "{stdout}");
    assert!(line("nokey").contains("missing.pem"), "{stdout}");
    assert!(line("noenv").contains("TOOLS_UNSET_SECRET"), "{stdout}");
    assert!(stderr.contains("3 of 4"), "{stderr}");
}

#[test]
fn check_named_only_checks_those() {
    let toml = jwt_credential("good", "ec-p256-pkcs8.pem", "")
        + &jwt_credential("bad", "ec-p256-pkcs8.pem", "algorithm = \"RS256\"");
    let setup = Setup::new(&toml);
    let (code, stdout, _) = setup.run(&["check", "good"]);
    assert_eq!(code, 0, "{stdout}");
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    let (code, stdout, _) = setup.run(&["check", "good", "nosuch"]);
    assert_eq!(code, 8, "{stdout}");
    assert!(stdout.lines().any(|l| l.starts_with("error") && l.contains("nosuch")), "{stdout}");
}

#[test]
fn check_reports_unknown_field_as_config_error() {
    let setup = Setup::new("[credentials.typo]\nprotocol = \"jwt\"\nisuer = \"me\"\n");
    let (code, _, stderr) = setup.run(&["check"]);
    assert_eq!(code, 8);
    assert!(stderr.contains("`typo`"), "{stderr}");
    assert!(stderr.contains("isuer"), "{stderr}");
}

#[test]
fn interpolation_replaces_variables_and_defaults() {
    let toml = "[credentials.env]\nprotocol = \"jwt\"\nurl = \"http://${TOOLS_HOST}/${TOOLS_BASE:-v9}\"\n\
                issuer = \"${TOOLS_ISSUER}\"\nsubject = \"$${literal}\"\nsecret_env = \"TOOLS_HMAC\"\n";
    let setup = Setup::new(toml);
    let output = setup
        .cmd()
        .env("TOOLS_HOST", "127.0.0.1:9")
        .env("TOOLS_ISSUER", "issuer-from-env")
        .args(["list"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.contains("http://127.0.0.1:9/v9"), "{stdout}");

    let output = setup
        .cmd()
        .env("TOOLS_HOST", "127.0.0.1:9")
        .env("TOOLS_ISSUER", "issuer-from-env")
        .args(["token", "env", "--decode"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let decoded: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(decoded["claims"]["iss"], "issuer-from-env");
    assert_eq!(decoded["claims"]["sub"], "${literal}");
}

#[test]
fn interpolation_missing_variable_names_it_and_credential() {
    let toml = "[credentials.needsenv]\nprotocol = \"jwt\"\nurl = \"http://127.0.0.1:9\"\n\
                issuer = \"${TOOLS_MISSING_ISSUER}\"\nsecret_env = \"TOOLS_HMAC\"\n"
        .to_string()
        + &hmac_credential("other");
    let setup = Setup::new(&toml);
    let (code, _, stderr) = setup.run(&["token", "needsenv"]);
    assert_eq!(code, 8, "{stderr}");
    assert!(stderr.contains("TOOLS_MISSING_ISSUER"), "{stderr}");
    assert!(stderr.contains("`needsenv`"), "{stderr}");
    assert!(stderr.contains("`issuer`"), "{stderr}");

    // A missing variable of one credential does not block the others.
    let (code, _, stderr) = setup.run(&["token", "other"]);
    assert_eq!(code, 0, "{stderr}");
    let (code, stdout, _) = setup.run(&["check"]);
    assert_eq!(code, 8);
    assert!(
        stdout.contains("error  needsenv") && stdout.contains("TOOLS_MISSING_ISSUER"),
        "{stdout}"
    );
}

#[test]
fn interpolation_malformed_reference_rejected() {
    let toml = "[credentials.broken]\nprotocol = \"jwt\"\nurl = \"http://127.0.0.1:9\"\n\
                issuer = \"${UNCLOSED\"\nsecret_env = \"TOOLS_HMAC\"\n";
    let setup = Setup::new(toml);
    let (code, _, stderr) = setup.run(&["token", "broken"]);
    assert_eq!(code, 8, "{stderr}");
    assert!(stderr.contains("not closed"), "{stderr}");
    assert!(stderr.contains("`broken`"), "{stderr}");
}

#[test]
fn token_decode_prints_header_and_claims() {
    let setup = Setup::new(&jwt_credential("ec", "ec-p256-pkcs8.pem", "key_id = \"k1\""));
    let (code, stdout, stderr) = setup.run(&["token", "ec", "--decode"]);
    assert_eq!(code, 0, "{stderr}");
    let decoded: Value = serde_json::from_str(&stdout).unwrap();
    let header_at = stdout.find("\"header\"").unwrap();
    let claims_at = stdout.find("\"claims\"").unwrap();
    assert!(header_at < claims_at, "header comes first:\n{stdout}");
    assert_eq!(decoded["header"]["alg"], "ES256");
    assert_eq!(decoded["header"]["kid"], "k1");
    assert_eq!(decoded["claims"]["iss"], "iss-ec");
    let lifetime =
        decoded["claims"]["exp"].as_u64().unwrap() - decoded["claims"]["iat"].as_u64().unwrap();
    assert_eq!(lifetime, 300);
    // stderr is not a terminal here, so no human times are added.
    assert!(!stderr.contains("expires"), "{stderr}");
}

#[test]
fn token_format_header_line() {
    let setup = Setup::new(&hmac_credential("mac"));
    let (code, stdout, _) = setup.run(&["token", "mac", "--format", "header"]);
    assert_eq!(code, 0);
    let token = stdout.strip_prefix("Authorization: Bearer ").expect(&stdout).trim_end();
    assert_eq!(token.split('.').count(), 3, "{stdout}");
    assert_eq!(stdout.lines().count(), 1);
    let (code, _, _) = setup.run(&["token", "mac", "--format", "header", "--decode"]);
    assert_eq!(code, 2);
}

/// Verifies a token with the JWK of the JWKS whose `kid` matches the
/// token header, or, when the token has no `kid`, with the one key of the
/// token's algorithm.
fn verify_with_jwks(token: &str, jwks: &JwkSet, audience: &str) -> Value {
    let header = jsonwebtoken::decode_header(token).unwrap();
    let jwk: &Jwk = match &header.kid {
        Some(kid) => jwks.find(kid).unwrap_or_else(|| panic!("no key {kid} in the JWKS")),
        None => {
            let alg = format!("{:?}", header.alg);
            let same_alg: Vec<&Jwk> = jwks
                .keys
                .iter()
                .filter(|k| serde_json::to_value(k).unwrap()["alg"] == alg.as_str())
                .collect();
            assert_eq!(same_alg.len(), 1, "one {alg} key expected in the JWKS");
            same_alg[0]
        }
    };
    let key = DecodingKey::from_jwk(jwk).unwrap_or_else(|e| panic!("{jwk:?}: {e}"));
    let mut validation = Validation::new(header.alg);
    validation.set_audience(&[audience]);
    jsonwebtoken::decode::<Value>(token, &key, &validation).unwrap().claims
}

#[test]
fn jwks_verifies_tokens_of_every_key_type() {
    let cases = [
        ("rsa", "rsa2048-pkcs1.pem", "", Algorithm::RS256),
        ("pss", "rsa2048-pkcs8.pem", "algorithm = \"PS256\"\nkey_id = \"pss-1\"", Algorithm::PS256),
        ("p256", "ec-p256-sec1.pem", "key_id = \"p256-1\"", Algorithm::ES256),
        ("p384", "ec-p384-pkcs8.pem", "key_id = \"p384-1\"", Algorithm::ES384),
        ("ed", "ed25519-pkcs8.pem", "key_id = \"ed-1\"", Algorithm::EdDSA),
    ];
    let toml: String = cases
        .iter()
        .map(|(name, file, extra, _)| jwt_credential(name, file, extra))
        .chain([hmac_credential("mac")])
        .collect();
    let setup = Setup::new(&toml);
    let (code, stdout, stderr) = setup.run(&["jwks"]);
    assert_eq!(code, 0, "{stderr}");
    let raw: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(raw["keys"].as_array().unwrap().len(), cases.len(), "HMAC must be skipped");
    for key in raw["keys"].as_array().unwrap() {
        assert_eq!(key["use"], "sig", "{key}");
        assert!(key["kid"].is_string(), "{key}");
        assert!(key["alg"].is_string(), "{key}");
    }
    let jwks: JwkSet = serde_json::from_str(&stdout).unwrap();

    for (name, _, _, algorithm) in cases {
        let (code, token, stderr) = setup.run(&["token", name]);
        assert_eq!(code, 0, "{stderr}");
        let claims = verify_with_jwks(token.trim_end(), &jwks, &format!("aud-{name}"));
        assert_eq!(claims["iss"], format!("iss-{name}"), "{algorithm:?}");
    }
}

#[test]
fn jwks_single_credential_uses_thumbprint_kid() {
    let setup = Setup::new(&jwt_credential("rsa", "rsa2048-pkcs8.pem", ""));
    let (code, stdout, _) = setup.run(&["jwks", "rsa"]);
    assert_eq!(code, 0);
    let jwks: Value = serde_json::from_str(&stdout).unwrap();
    let key = &jwks["keys"][0];
    assert_eq!(key["kty"], "RSA");
    assert_eq!(key["alg"], "RS256");
    assert_eq!(key["kid"].as_str().unwrap().len(), 43, "SHA-256 thumbprint in base64url: {key}");
}

#[test]
fn jwks_pem_matches_public_key_fixture() {
    let setup = Setup::new(&jwt_credential("p256", "ec-p256-pkcs8.pem", ""));
    let (code, stdout, _) = setup.run(&["jwks", "p256", "--pem"]);
    assert_eq!(code, 0);
    let expected = std::fs::read_to_string(fixture("ec-p256-public.pem")).unwrap();
    assert_eq!(stdout.trim_end(), expected.trim_end());
    let (code, twice, _) = setup.run(&["jwks", "p256", "p256", "--pem"]);
    assert_eq!(code, 0);
    assert_eq!(twice, stdout, "a name given twice is printed once");
}

#[test]
fn jwks_of_hmac_credential_is_usage_error() {
    let setup = Setup::new(&hmac_credential("mac"));
    let (code, stdout, stderr) = setup.run(&["jwks", "mac"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stdout.is_empty());
    assert!(stderr.contains("`mac`"), "{stderr}");
    assert!(stderr.contains("HMAC"), "{stderr}");
    assert!(!stderr.contains(HMAC_SECRET), "{stderr}");
}

#[test]
fn jwks_skips_hmac_with_unset_secret() {
    let unset = hmac_credential("mac").replace("TOOLS_HMAC", "TOOLS_UNSET_SECRET");
    let setup = Setup::new(&(jwt_credential("p256", "ec-p256-pkcs8.pem", "") + &unset));
    let (code, stdout, stderr) = setup.run(&["jwks"]);
    assert_eq!(code, 0, "{stderr}");
    let jwks: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 1);

    let (code, _, stderr) = setup.run(&["jwks", "mac"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("HMAC secret"), "{stderr}");
}

#[test]
fn completions_for_every_shell_mention_subcommands() {
    let setup = Setup::new("");
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let (code, stdout, stderr) = setup.run(&["completions", shell]);
        assert_eq!(code, 0, "{shell}: {stderr}");
        for subcommand in ["call", "exchange", "jwks", "check"] {
            assert!(stdout.contains(subcommand), "{shell} script lacks {subcommand}");
        }
    }
    let (code, _, _) = setup.run(&["completions", "tcsh"]);
    assert_eq!(code, 2);
}

#[test]
fn man_page_documents_every_subcommand() {
    let setup = Setup::new("");
    let (code, stdout, _) = setup.run(&["man"]);
    assert_eq!(code, 0);
    assert!(stdout.starts_with(".ie") || stdout.contains(".TH namedcred"), "{}", &stdout[..80]);
    for section in ["NAMEDCRED CALL", "NAMEDCRED TOKEN", "NAMEDCRED JWKS", "NAMEDCRED CHECK"] {
        assert!(stdout.contains(section), "man page lacks {section}");
    }
    assert!(stdout.contains("\\-\\-decode"), "man page lacks --decode");
    assert!(stdout.contains(".SS EXAMPLES"), "man page lacks the examples");
    assert!(
        !stdout.contains("namedcred\\-call(1)"),
        "man page points to a page that does not exist"
    );
}

#[test]
fn every_subcommand_help_has_example() {
    let setup = Setup::new("");
    for subcommand in ["call", "token", "exchange", "list", "check", "jwks", "completions", "man"] {
        let (code, stdout, _) = setup.run(&[subcommand, "--help"]);
        assert_eq!(code, 0, "{subcommand}");
        assert!(stdout.contains("Example"), "{subcommand} --help has no example");
        assert!(stdout.contains("namedcred "), "{subcommand} --help has no command line");
    }
}

#[test]
fn error_prefix_has_no_colour_off_terminal() {
    let setup = Setup::new("");
    let output = setup.cmd().env_remove("NO_COLOR").args(["token", "nosuch"]).output().unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.starts_with("namedcred: error: "), "{stderr}");
    assert!(!stderr.contains('\x1b'), "{stderr:?}");
}

const ACCESS_TOKEN: &str = "canary-access-token-5f3a9c";
const HEADER_SECRET: &str = "canary-header-secret-77b1";

/// Starts a server with a token endpoint at /token that issues
/// [`ACCESS_TOKEN`] and an API under /v1 that returns JSON.
fn token_and_api_server() -> TestServer {
    TestServer::start(|request| {
        if request.path.starts_with("/token") {
            Reply::json(
                200,
                json!({ "access_token": ACCESS_TOKEN, "token_type": "Bearer", "expires_in": 60 }),
            )
        } else {
            Reply::json(200, json!({ "ok": true })).header("X-Request-Id", "req-1")
        }
    })
}

/// Returns a jwt-exchange credential against `server`, with a secret
/// configured header.
fn exchange_credential(name: &str, server: &TestServer) -> String {
    format!(
        "[credentials.{name}]\nprotocol = \"jwt-exchange\"\nurl = \"{0}/v1\"\n\
         token_endpoint = \"{0}/token\"\nissuer = \"iss-{name}\"\nsubject = \"sub-{name}\"\n\
         scope = \"read\"\nkey_path = \"{1}\"\n\
         [credentials.{name}.headers]\nX-Api-Key = \"{HEADER_SECRET}\"\n",
        server.url(),
        fixture("rsa2048-pkcs8.pem").display()
    )
}

/// Returns lines of base64 from the middle of a PEM key fixture, which
/// must never appear in any output.
fn key_material(file: &str) -> Vec<String> {
    let text = std::fs::read_to_string(fixture(file)).unwrap();
    text.lines()
        .filter(|line| !line.starts_with("-----") && line.len() > 20)
        .map(str::to_string)
        .collect()
}

/// Asserts that none of `secrets` occurs in `output`.
fn assert_absent(output: &str, secrets: &[String], what: &str) {
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        assert!(
            !output.contains(secret.as_str()),
            "{what} contains the secret {secret:?}:\n{output}"
        );
    }
}

#[test]
fn verbose_call_through_exchange_redacts_secrets() {
    let server = token_and_api_server();
    let setup = Setup::new(&exchange_credential("wh", &server));
    let (code, stdout, stderr) = setup.run(&["-vv", "call", "wh", "/items?page=2"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("\"ok\""), "{stdout}");

    let token_request = &server.requests_to("/token")[0];
    let assertion = token_request.form_value("assertion").unwrap();
    let api_request = &server.requests_to("/v1")[0];
    assert_eq!(api_request.bearer(), Some(ACCESS_TOKEN));
    let mut secrets = vec![assertion.clone(), ACCESS_TOKEN.to_string(), HEADER_SECRET.to_string()];
    // The signature and claims segments alone must not leak either.
    secrets.extend(assertion.split('.').skip(1).map(str::to_string));
    secrets.extend(key_material("rsa2048-pkcs8.pem"));
    assert_absent(&stderr, &secrets, "stderr");

    for expected in [
        "> POST ",
        "/token",
        "> grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer",
        "> assertion=(redacted)",
        "> scope=read",
        "< HTTP 200",
        "> GET ",
        "/v1/items?page=2",
        "> X-Api-Key: (redacted)",
        "> Authorization: Bearer (redacted)",
        "< x-request-id: req-1",
        " ms",
        "trace: signing header {\"alg\":",
        "trace: signing claims {\"iss\":",
        "trace: reply member access_token: (redacted, ",
        "trace: reply member expires_in: ",
    ] {
        assert!(stderr.contains(expected), "stderr lacks {expected:?}:\n{stderr}");
    }
}

#[test]
fn single_verbose_flag_leaves_out_trace_detail() {
    let server = token_and_api_server();
    let setup = Setup::new(&exchange_credential("wh", &server));
    let (code, _, stderr) = setup.run(&["-v", "call", "wh", "/items"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("debug: > GET "), "{stderr}");
    assert!(!stderr.contains("trace:"), "{stderr}");
}

#[test]
fn verbose_exchange_prints_token_only_on_stdout() {
    let server = token_and_api_server();
    let setup = Setup::new(&exchange_credential("wh", &server));
    let (code, stdout, stderr) = setup.run(&["-v", "exchange", "wh"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout.trim_end(), ACCESS_TOKEN);
    let assertion = server.requests_to("/token")[0].form_value("assertion").unwrap();
    assert_absent(&stderr, &[assertion, ACCESS_TOKEN.to_string()], "stderr");
    assert!(stderr.contains("assertion=(redacted)"), "{stderr}");
}

#[test]
fn verbose_jwt_call_redacts_token_and_hmac_secret() {
    let server = token_and_api_server();
    let toml = format!(
        "[credentials.mac]\nprotocol = \"jwt\"\nurl = \"{}/v1\"\nissuer = \"me\"\n\
         secret_env = \"TOOLS_HMAC\"\n",
        server.url()
    );
    let setup = Setup::new(&toml);
    let (code, _, stderr) = setup.run(&["-vv", "call", "mac", "/x", "-d", "a=1"]);
    assert_eq!(code, 0, "{stderr}");
    let bearer = server.requests()[0].bearer().unwrap().to_string();
    assert_absent(&stderr, &[bearer, HMAC_SECRET.to_string()], "stderr");
    assert!(stderr.contains("> (3 bytes of body)"), "{stderr}");
}

#[test]
fn dry_run_call_sends_nothing() {
    let server = token_and_api_server();
    let setup = Setup::new(&exchange_credential("wh", &server));
    let (code, stdout, stderr) =
        setup.run(&["call", "wh", "/items", "-X", "PUT", "--json", "-d", "{\"n\":1}", "--dry-run"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(server.count(), 0, "a dry run must send no request");
    assert_eq!(server.connection_count(), 0, "a dry run must not connect");

    let token_url = format!("POST {}/token", server.url());
    let api_url = format!("PUT {}/v1/items", server.url());
    let token_at = stdout.find(&token_url).expect(&stdout);
    let api_at = stdout.find(&api_url).expect(&stdout);
    assert!(token_at < api_at, "the token request comes first:\n{stdout}");
    for expected in [
        "assertion=(redacted)",
        "scope=read",
        "Authorization: Bearer (redacted)",
        "X-Api-Key: (redacted)",
        "Content-Type: application/json",
        "{\"n\":1}",
    ] {
        assert!(stdout.contains(expected), "stdout lacks {expected:?}:\n{stdout}");
    }
    assert_absent(&stdout, &[HEADER_SECRET.to_string()], "stdout");
}

#[test]
fn dry_run_exchange_sends_nothing() {
    let server = token_and_api_server();
    let setup = Setup::new(&exchange_credential("wh", &server));
    let (code, stdout, stderr) = setup.run(&["exchange", "wh", "--dry-run"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(server.count(), 0);
    assert!(stdout.starts_with(&format!("POST {}/token\n", server.url())), "{stdout}");
    assert!(stdout.contains("grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer"), "{stdout}");
    assert!(stdout.contains("assertion=(redacted)"), "{stdout}");
    assert!(!stdout.contains(ACCESS_TOKEN), "{stdout}");
}

#[test]
fn dry_run_jwt_call_sends_nothing() {
    let server = token_and_api_server();
    let toml = format!(
        "[credentials.mac]\nprotocol = \"jwt\"\nurl = \"{}/v1\"\nissuer = \"me\"\n\
         secret_env = \"TOOLS_HMAC\"\n",
        server.url()
    );
    let setup = Setup::new(&toml);
    let (code, stdout, _) = setup.run(&["call", "mac", "/x", "--dry-run"]);
    assert_eq!(code, 0);
    assert_eq!(server.count(), 0);
    assert_eq!(stdout, format!("GET {}/v1/x\nAuthorization: Bearer (redacted)\n", server.url()));
}

#[test]
fn rejected_assertion_hint_measures_clock_skew() {
    // The server's clock is ten minutes behind, so the local clock looks
    // ten minutes ahead.
    let server = TestServer::start(|_| {
        let date = httpdate::fmt_http_date(SystemTime::now() - Duration::from_secs(600));
        Reply::json(400, json!({ "error": "invalid_grant", "error_description": "iat in future" }))
            .header("Date", date)
    });
    let setup = Setup::new(&exchange_credential("wh", &server));
    let (code, _, stderr) = setup.run(&["exchange", "wh"]);
    assert_eq!(code, 7, "{stderr}");
    let hint = stderr.lines().find(|line| line.starts_with("hint: ")).expect(&stderr);
    assert!(hint.contains(&format!("aud was \"{}/token\"", server.url())), "{hint}");
    assert!(hint.contains("iss \"iss-wh\""), "{hint}");
    assert!(hint.contains("sub \"sub-wh\""), "{hint}");
    assert!(hint.contains("by the server's Date header"), "{hint}");
    assert!(hint.contains("ahead of the server's"), "{hint}");
    let assertion = server.requests()[0].form_value("assertion").unwrap();
    assert!(!stderr.contains(&assertion), "{stderr}");
}

#[test]
fn rejected_assertion_hint_without_date() {
    let server = TestServer::start(|_| Reply::json(400, json!({ "error": "invalid_client" })));
    let setup = Setup::new(&exchange_credential("wh", &server));
    let (code, _, stderr) = setup.run(&["exchange", "wh"]);
    assert_eq!(code, 7, "{stderr}");
    let hint = stderr.lines().find(|line| line.starts_with("hint: ")).expect(&stderr);
    assert!(hint.contains("iss \"iss-wh\""), "{hint}");
    // The test server sends no Date header of its own.
    assert!(hint.contains("no Date header"), "{hint}");
}

#[test]
fn dry_run_redacts_client_assertion_and_params() {
    let server = token_and_api_server();
    let toml = format!(
        "[credentials.cc]\nprotocol = \"jwt-exchange\"\ngrant = \"client-credentials\"\n\
         url = \"{0}/v1\"\ntoken_endpoint = \"{0}/token\"\nclient_id = \"reports-app\"\n\
         scope = \"reports.read\"\nkey_path = \"{1}\"\n\
         [credentials.cc.token_params]\nclient_secret = \"{HEADER_SECRET}\"\n",
        server.url(),
        fixture("ec-p256-pkcs8.pem").display()
    );
    let setup = Setup::new(&toml);
    let (code, stdout, stderr) = setup.run(&["exchange", "cc", "--dry-run"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(server.count(), 0);
    for expected in [
        "grant_type=client_credentials",
        "client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion=(redacted)",
        "client_id=reports-app",
        "scope=reports.read",
        "client_secret=(redacted)",
    ] {
        assert!(stdout.contains(expected), "stdout lacks {expected:?}:\n{stdout}");
    }
    assert_absent(&stdout, &[HEADER_SECRET.to_string()], "stdout");
}

#[test]
fn dry_run_redacts_subject_token() {
    let server = token_and_api_server();
    let toml = format!(
        "[credentials.sts]\nprotocol = \"jwt-exchange\"\ngrant = \"token-exchange\"\n\
         url = \"{0}/v1\"\ntoken_endpoint = \"{0}/token\"\nissuer = \"frontend\"\n\
         exchange_audience = \"backend\"\nkey_path = \"{1}\"\n",
        server.url(),
        fixture("ec-p256-pkcs8.pem").display()
    );
    let setup = Setup::new(&toml);
    let (code, stdout, stderr) = setup.run(&["exchange", "sts", "--dry-run"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(server.count(), 0);
    assert!(stdout.contains("subject_token=(redacted)"), "{stdout}");
    assert!(stdout.contains("subject_token_type=urn:ietf:params:oauth:token-type:jwt"), "{stdout}");
    assert!(stdout.contains("audience=backend"), "{stdout}");
}

#[test]
fn token_decode_on_terminal_adds_times() {
    // `script` runs the command with a pseudo-terminal as stdout and stderr.
    let setup = Setup::new(&hmac_credential("mac"));
    let binary = assert_cmd::cargo::cargo_bin("namedcred");
    let command =
        format!("'{}' --config '{}' token mac --decode", binary.display(), setup.config.display());
    let output = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env("TOOLS_HMAC", HMAC_SECRET)
        .output()
        .expect("script (util-linux) must be installed");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{text}");
    assert!(text.contains("\"claims\""), "{text}");
    assert!(text.contains("issued:  "), "{text}");
    assert!(text.contains("expires: "), "{text}");
    // The exact span depends on the clock, so only its form is checked.
    assert!(text.contains("(in "), "{text}");
}

#[test]
fn dry_run_with_cached_token_skips_token_request() {
    let server = token_and_api_server();
    let setup = Setup::new(&exchange_credential("wh", &server));
    let (code, _, stderr) = setup.run(&["call", "wh", "/items"]);
    assert_eq!(code, 0, "{stderr}");
    let sent = server.count();

    let (code, stdout, stderr) = setup.run(&["call", "wh", "/items", "--dry-run"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(server.count(), sent, "a dry run must send no request");
    assert!(!stdout.contains("/token"), "{stdout}");
    assert!(stdout.starts_with(&format!("GET {}/v1/items", server.url())), "{stdout}");
    assert!(stderr.contains("cached access token"), "{stderr}");

    let (code, stdout, _) = setup.run(&["call", "wh", "/items", "--dry-run", "--no-cache"]);
    assert_eq!(code, 0);
    assert!(stdout.starts_with(&format!("POST {}/token", server.url())), "{stdout}");
    assert_eq!(server.count(), sent);
}

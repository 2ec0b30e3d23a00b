//! Integration tests of the grants a `jwt-exchange` credential can use:
//! the exact form each one posts to a loopback token endpoint, the claims
//! of the assertion it carries, and the configuration errors around them.

mod support;

use std::path::PathBuf;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use support::{RecordedRequest, Reply, TestServer, fixture, hermetic_cmd};
use tempfile::TempDir;

const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const TYPE_JWT: &str = "urn:ietf:params:oauth:token-type:jwt";

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
        command.arg("--config").arg(&self.config);
        command
    }

    /// Runs `exchange NAME` and returns stdout, failing on a non-zero exit.
    fn exchange(&self, name: &str, json: bool) -> String {
        let mut command = self.cmd();
        command.args(["exchange", name]);
        if json {
            command.arg("--json");
        }
        let output = command.output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    }

    /// Runs `token NAME` and returns the exit code and stderr.
    fn failure(&self, name: &str) -> (Option<i32>, String) {
        let output = self.cmd().args(["token", name]).output().unwrap();
        (output.status.code(), String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

/// A jwt-exchange credential signed with the P-256 fixture; `extra` adds
/// lines to the table (and may open sub-tables after it).
fn exchange_credential(endpoint: &str, extra: &str) -> String {
    format!(
        "[credentials.api]\nprotocol = \"jwt-exchange\"\nurl = \"http://127.0.0.1:9/api\"\n\
         token_endpoint = \"{endpoint}/token\"\nkey_path = \"{}\"\n{extra}",
        fixture("ec-p256-pkcs8.pem").display()
    )
}

fn token_server() -> TestServer {
    TestServer::start(|_| {
        Reply::json(200, json!({"access_token": "at-1", "token_type": "Bearer", "expires_in": 60}))
    })
}

fn claims(jwt: &str) -> Value {
    let part = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

/// Returns the form fields with the value of `secret_field` replaced by
/// `(jwt)`, so the whole form can be compared in one assertion.
fn form_without(request: &RecordedRequest, secret_field: &str) -> Vec<(String, String)> {
    request
        .form()
        .into_iter()
        .map(|(k, v)| if k == secret_field { (k, "(jwt)".to_string()) } else { (k, v) })
        .collect()
}

fn pairs(fields: &[(&str, &str)]) -> Vec<(String, String)> {
    fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[test]
fn jwt_bearer_form_with_token_params() {
    let server = token_server();
    let toml = exchange_credential(
        &server.url(),
        "issuer = \"app\"\nsubject = \"user\"\nscope = [\"read\", \"write\"]\n\
         [credentials.api.token_params]\nclient_id = \"box-client\"\nclient_secret = \"box-secret\"\n",
    );
    let setup = Setup::new(&toml);
    assert_eq!(setup.exchange("api", false), "at-1\n");

    let request = &server.requests()[0];
    assert_eq!(request.path, "/token");
    assert_eq!(
        form_without(request, "assertion"),
        pairs(&[
            ("grant_type", JWT_BEARER),
            ("assertion", "(jwt)"),
            ("scope", "read write"),
            ("client_id", "box-client"),
            ("client_secret", "box-secret"),
        ])
    );
    let assertion = claims(&request.form_value("assertion").unwrap());
    assert_eq!(assertion["iss"], "app");
    assert_eq!(assertion["sub"], "user");
    assert_eq!(assertion["aud"], format!("{}/token", server.url()));
    assert!(assertion.get("scope").is_none(), "{assertion}");
}

#[test]
fn client_credentials_form_and_assertion() {
    let server = token_server();
    let toml = exchange_credential(
        &server.url(),
        "grant = \"client-credentials\"\nclient_id = \"client-7\"\nscope = \"api://x/.default\"\n",
    );
    let setup = Setup::new(&toml);
    setup.exchange("api", false);
    setup.exchange("api", false);

    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(
        form_without(&requests[0], "client_assertion"),
        pairs(&[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", ASSERTION_TYPE),
            ("client_assertion", "(jwt)"),
            ("client_id", "client-7"),
            ("scope", "api://x/.default"),
        ])
    );
    let first = claims(&requests[0].form_value("client_assertion").unwrap());
    let second = claims(&requests[1].form_value("client_assertion").unwrap());
    assert_eq!(first["iss"], "client-7");
    assert_eq!(first["sub"], "client-7");
    assert_eq!(first["aud"], format!("{}/token", server.url()));
    assert!(first["jti"].is_string());
    assert_ne!(first["jti"], second["jti"], "every client assertion needs a fresh jti");
}

#[test]
fn client_id_defaults_to_issuer() {
    let server = token_server();
    let toml =
        exchange_credential(&server.url(), "grant = \"client-credentials\"\nissuer = \"app-9\"\n");
    Setup::new(&toml).exchange("api", false);
    let request = &server.requests()[0];
    assert_eq!(request.form_value("client_id").as_deref(), Some("app-9"));
    let assertion = claims(&request.form_value("client_assertion").unwrap());
    assert_eq!(assertion["sub"], "app-9");
    assert!(request.form_value("scope").is_none());
}

#[test]
fn token_exchange_form_and_n_a_reply() {
    let server = TestServer::start(|_| {
        Reply::json(
            200,
            json!({"access_token": "issued-jwt", "token_type": "N_A",
                   "issued_token_type": TYPE_JWT, "expires_in": 300}),
        )
    });
    let toml = exchange_credential(
        &server.url(),
        "grant = \"token-exchange\"\nissuer = \"me\"\nsubject = \"alice\"\n\
         requested_token_type = \"urn:ietf:params:oauth:token-type:jwt\"\n\
         resource = [\"https://r1.example\", \"https://r2.example\"]\n\
         exchange_audience = \"backend\"\nscope = \"read\"\n",
    );
    let setup = Setup::new(&toml);
    assert_eq!(setup.exchange("api", false), "issued-jwt\n");
    let reply: Value = serde_json::from_str(&setup.exchange("api", true)).unwrap();
    assert_eq!(reply["issued_token_type"], TYPE_JWT);

    let request = &server.requests()[0];
    assert_eq!(
        form_without(request, "subject_token"),
        pairs(&[
            ("grant_type", TOKEN_EXCHANGE),
            ("subject_token", "(jwt)"),
            ("subject_token_type", TYPE_JWT),
            ("requested_token_type", TYPE_JWT),
            ("resource", "https://r1.example"),
            ("resource", "https://r2.example"),
            ("audience", "backend"),
            ("scope", "read"),
        ])
    );
    let subject = claims(&request.form_value("subject_token").unwrap());
    assert_eq!(subject["sub"], "alice");
}

#[test]
fn token_exchange_minimal_form() {
    let server = token_server();
    let toml = exchange_credential(
        &server.url(),
        "grant = \"token-exchange\"\nissuer = \"me\"\n\
         subject_token_type = \"urn:ietf:params:oauth:token-type:id_token\"\n",
    );
    Setup::new(&toml).exchange("api", false);
    assert_eq!(
        form_without(&server.requests()[0], "subject_token"),
        pairs(&[
            ("grant_type", TOKEN_EXCHANGE),
            ("subject_token", "(jwt)"),
            ("subject_token_type", "urn:ietf:params:oauth:token-type:id_token"),
        ])
    );
}

#[test]
fn n_a_token_type_rejected_outside_token_exchange_reply() {
    let server =
        TestServer::start(|_| Reply::json(200, json!({"access_token": "x", "token_type": "N_A"})));
    let toml = exchange_credential(&server.url(), "issuer = \"a\"\nsubject = \"b\"\n");
    let setup = Setup::new(&toml);
    let output = setup.cmd().args(["exchange", "api"]).output().unwrap();
    assert_eq!(output.status.code(), Some(7));
    assert!(String::from_utf8_lossy(&output.stderr).contains("N_A"));
}

#[test]
fn scope_in_claim_and_both() {
    let server = token_server();
    let toml = [
        exchange_credential(
            &server.url(),
            "issuer = \"a\"\nsubject = \"b\"\nscope = [\"s1\", \"s2\"]\nscope_in = \"claim\"\n",
        ),
        exchange_credential(
            &server.url(),
            "issuer = \"a\"\nsubject = \"b\"\nscope = \"s3\"\nscope_in = \"both\"\n",
        )
        .replace("[credentials.api]", "[credentials.both]"),
    ]
    .concat();
    let setup = Setup::new(&toml);
    setup.exchange("api", false);
    setup.exchange("both", false);

    let requests = server.requests();
    assert!(requests[0].form_value("scope").is_none());
    assert_eq!(claims(&requests[0].form_value("assertion").unwrap())["scope"], "s1 s2");
    assert_eq!(requests[1].form_value("scope").as_deref(), Some("s3"));
    assert_eq!(claims(&requests[1].form_value("assertion").unwrap())["scope"], "s3");
}

#[test]
fn grant_config_errors_exit_8() {
    let base = exchange_credential("http://127.0.0.1:9", "issuer = \"a\"\nsubject = \"b\"\n");
    let jwt = format!(
        "[credentials.api]\nprotocol = \"jwt\"\nurl = \"http://127.0.0.1:9\"\nissuer = \"a\"\n\
         key_path = \"{}\"\n",
        fixture("ec-p256-pkcs8.pem").display()
    );
    let cases = [
        (format!("{base}grant = \"password\"\n"), "\"password\" is not a grant"),
        (format!("{base}client_id = \"c\"\n"), "`client_id`"),
        (format!("{base}resource = \"https://r\"\n"), "`resource`"),
        (format!("{base}scope_in = \"header\"\n"), "`scope_in`"),
        (format!("{base}scope_in = \"claim\"\n"), "`scope`"),
        (
            format!("{base}[credentials.api.token_params]\ngrant_type = \"x\"\n"),
            "token_params.grant_type",
        ),
        (
            format!(
                "{base}scope = \"s\"\nscope_in = \"claim\"\n[credentials.api.claims]\nscope = \"t\"\n"
            ),
            "claims.scope",
        ),
        (
            format!("{base}grant = \"client-credentials\"\nclient_id = \"c\"\n"),
            "client assertion's iss and sub",
        ),
        (
            base.replace("issuer = \"a\"\nsubject = \"b\"\n", "grant = \"client-credentials\"\n"),
            "`client_id`",
        ),
        (format!("{jwt}grant = \"client-credentials\"\n"), "`grant`"),
        (format!("{jwt}[credentials.api.token_params]\nx = \"1\"\n"), "`token_params`"),
    ];
    for (toml, expected) in cases {
        let (code, stderr) = Setup::new(&toml).failure("api");
        assert_eq!(code, Some(8), "{expected}: {stderr}");
        assert!(stderr.contains(expected), "{expected}: {stderr}");
    }
}

//! Integration tests of the provider presets: each preset's header and
//! claims field by field, its requests against loopback servers, and each
//! documented limit rejected with exit 8. The Snowflake fingerprint is
//! computed independently with openssl.

mod support;

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command as StdCommand, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};
use support::{Reply, TestServer, fixture, hermetic_cmd};
use tempfile::TempDir;

const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const SA_EMAIL: &str = "runner@demo.iam.gserviceaccount.com";

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

    fn run(&self, args: &[&str]) -> std::process::Output {
        hermetic_cmd(self.home.path())
            .arg("--config")
            .arg(&self.config)
            .args(args)
            .output()
            .unwrap()
    }

    /// Runs a command that must succeed and returns its stdout.
    fn stdout(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap()
    }

    fn token(&self, name: &str) -> String {
        self.stdout(&["token", name]).trim_end().to_string()
    }

    /// Writes a file next to the configuration and returns its path.
    fn file(&self, name: &str, content: &str) -> PathBuf {
        let path = self.home.path().join(name);
        std::fs::write(&path, content).unwrap();
        path
    }
}

/// Runs `token NAME` on a configuration and returns the exit code and stderr.
fn failure(toml: &str) -> (Option<i32>, String) {
    let setup = Setup::new(toml);
    let output = setup.run(&["token", "p"]);
    if !output.status.success() {
        assert!(output.stdout.is_empty(), "a failed run printed a token");
    }
    (output.status.code(), String::from_utf8_lossy(&output.stderr).into_owned())
}

fn key_line(file: &str) -> String {
    format!("key_path = \"{}\"", fixture(file).display())
}

fn segment(token: &str, index: usize) -> Value {
    let part = token.split('.').nth(index).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

/// Verifies the signature with the public key fixture and returns the claims.
fn verify(token: &str, public: &str, algorithm: Algorithm) -> Value {
    let pem = std::fs::read(fixture(public)).unwrap();
    let key = match algorithm {
        Algorithm::ES256 => DecodingKey::from_ec_pem(&pem).unwrap(),
        _ => DecodingKey::from_rsa_pem(&pem).unwrap(),
    };
    let mut validation = Validation::new(algorithm);
    validation.validate_aud = false;
    validation.set_required_spec_claims(&["exp", "iat"]);
    jsonwebtoken::decode::<Value>(token, &key, &validation)
        .unwrap_or_else(|e| panic!("token did not verify: {e}"))
        .claims
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

fn seconds(claims: &Value, name: &str) -> u64 {
    claims[name].as_u64().unwrap_or_else(|| panic!("{name} is not an integer: {claims}"))
}

/// Asserts that the claims hold exactly `expected` besides iat, exp and jti.
fn assert_claims(claims: &Value, expected: Value) {
    let mut rest = claims.as_object().unwrap().clone();
    for time in ["iat", "exp", "jti"] {
        assert!(rest.remove(time).is_some(), "{time} missing: {claims}");
    }
    assert_eq!(Value::Object(rest), expected);
}

#[test]
fn github_app_jwt_backdated_and_short() {
    let toml = format!(
        "[credentials.gh]\npreset = \"github-app\"\nissuer = \"Iv1.8a61f9b3a7aba766\"\n{}\n",
        key_line("rsa2048-pkcs1.pem")
    );
    let setup = Setup::new(&toml);
    let before = now();
    let token = setup.token("gh");
    let after = now();
    assert_eq!(segment(&token, 0), json!({"alg": "RS256", "typ": "JWT"}));
    let claims = verify(&token, "rsa2048-public.pem", Algorithm::RS256);
    assert_claims(&claims, json!({"iss": "Iv1.8a61f9b3a7aba766"}));
    let iat = seconds(&claims, "iat");
    let exp = seconds(&claims, "exp");
    assert!(iat >= before - 60, "iat {iat} is more than 60 s before {before}");
    assert!(iat <= after - 60, "iat {iat} is less than 60 s before {after}");
    assert!(exp <= after + 600, "exp {exp} is more than 10 minutes ahead");
    assert_eq!(exp - iat, 600);
}

#[test]
fn github_installation_token_then_call() {
    let server = TestServer::start(|request| {
        if request.path == "/app/installations/42/access_tokens" {
            Reply::json(
                201,
                json!({"token": "ghs_installation_token_1", "expires_at": "2099-01-01T00:00:00Z",
                       "permissions": {"contents": "read"}, "repository_selection": "all"}),
            )
        } else {
            Reply::json(200, json!({"ok": true}))
        }
    });
    let toml = format!(
        "[credentials.gh]\npreset = \"github-app\"\nissuer = \"12345\"\ninstallation_id = 42\n\
         url = \"{}\"\n{}\n",
        server.url(),
        key_line("rsa2048-pkcs8.pem")
    );
    let setup = Setup::new(&toml);
    assert_eq!(setup.stdout(&["exchange", "gh"]), "ghs_installation_token_1\n");
    assert_eq!(setup.stdout(&["call", "gh", "/repos/o/r", "--no-cache"]), "{\"ok\":true}");

    let exchanges = server.requests_to("/app/installations/42/access_tokens");
    assert_eq!(exchanges.len(), 2, "exchange and call each request a token");
    let request = &exchanges[0];
    assert_eq!(request.method, "POST");
    assert!(request.body.is_empty(), "the request has no body");
    assert_eq!(request.header("accept"), Some("application/vnd.github+json"));
    assert_eq!(request.header("x-github-api-version"), Some("2022-11-28"));
    let claims = verify(request.bearer().unwrap(), "rsa2048-public.pem", Algorithm::RS256);
    assert_eq!(claims["iss"], "12345");
    assert!(claims.get("aud").is_none(), "GitHub's app JWT has no aud: {claims}");

    let api = server.requests_to("/repos/o/r");
    assert_eq!(api.len(), 1);
    assert_eq!(api[0].bearer(), Some("ghs_installation_token_1"));
}

#[test]
fn github_limits_exit_8() {
    let base = format!(
        "[credentials.p]\npreset = \"github-app\"\nissuer = \"1\"\n{}\n",
        key_line("rsa2048-pkcs8.pem")
    );
    let cases = [
        (format!("{base}lifetime = 601\n"), "`lifetime`"),
        (format!("{base}lifetime = \"11m\"\n"), "600"),
        (base.replace("rsa2048-pkcs8.pem", "ec-p256-pkcs8.pem"), "RS256"),
        (format!("{base}protocol = \"jwt-exchange\"\n"), "`installation_id`"),
        (format!("{base}protocol = \"jwt\"\ninstallation_id = 7\n"), "`installation_id`"),
        (format!("{base}installation_id = 7\ngrant = \"jwt-bearer\"\n"), "`grant`"),
    ];
    for (toml, expected) in cases {
        let (code, stderr) = failure(&toml);
        assert_eq!(code, Some(8), "{expected}: {stderr}");
        assert!(stderr.contains(expected), "{expected}: {stderr}");
    }
    let (code, stderr) = failure(&format!("{base}lifetime = 600\n"));
    assert_eq!(code, Some(0), "600 s is GitHub's limit and allowed: {stderr}");
}

fn service_account(token_uri: &str) -> String {
    json!({
        "type": "service_account",
        "private_key_id": "0123abcd",
        "private_key": std::fs::read_to_string(fixture("rsa2048-pkcs8.pem")).unwrap(),
        "client_email": SA_EMAIL,
        "token_uri": token_uri,
    })
    .to_string()
}

#[test]
fn google_self_signed_jwt_with_scope_or_audience() {
    let setup = Setup::new("");
    let key = setup.file("sa.json", &service_account("https://oauth2.googleapis.com/token"));
    let toml = format!(
        "[credentials.scoped]\npreset = \"google-service-account\"\nprotocol = \"jwt\"\n\
         url = \"https://storage.googleapis.com\"\nkey_path = \"{key}\"\n\
         scope = [\"https://www.googleapis.com/auth/devstorage.read_only\", \"openid\"]\n\
         [credentials.aud]\npreset = \"google-service-account\"\nprotocol = \"jwt\"\n\
         url = \"https://pubsub.googleapis.com\"\nkey_path = \"{key}\"\n\
         audience = \"https://pubsub.googleapis.com/\"\n",
        key = key.display()
    );
    std::fs::write(&setup.config, toml).unwrap();

    let token = setup.token("scoped");
    assert_eq!(segment(&token, 0), json!({"alg": "RS256", "typ": "JWT", "kid": "0123abcd"}));
    let claims = verify(&token, "rsa2048-public.pem", Algorithm::RS256);
    assert_claims(
        &claims,
        json!({"iss": SA_EMAIL, "sub": SA_EMAIL,
               "scope": "https://www.googleapis.com/auth/devstorage.read_only openid"}),
    );

    let token = setup.token("aud");
    let claims = verify(&token, "rsa2048-public.pem", Algorithm::RS256);
    assert_claims(
        &claims,
        json!({"iss": SA_EMAIL, "sub": SA_EMAIL, "aud": "https://pubsub.googleapis.com/"}),
    );
}

#[test]
fn google_oauth_exchange_puts_scope_in_assertion() {
    let server = TestServer::start(|_| {
        Reply::json(
            200,
            json!({"access_token": "ya29.a", "token_type": "Bearer", "expires_in": 3599}),
        )
    });
    let setup = Setup::new("");
    let token_uri = format!("{}/token", server.url());
    let key = setup.file("sa.json", &service_account(&token_uri));
    let toml = format!(
        "[credentials.gcp]\npreset = \"google-service-account\"\nurl = \"https://www.googleapis.com\"\n\
         key_path = \"{}\"\nscope = \"https://www.googleapis.com/auth/cloud-platform\"\n",
        key.display()
    );
    std::fs::write(&setup.config, toml).unwrap();
    assert_eq!(setup.stdout(&["exchange", "gcp"]), "ya29.a\n");

    let request = &server.requests()[0];
    assert_eq!(request.path, "/token");
    let fields: Vec<String> = request.form().into_iter().map(|(name, _)| name).collect();
    assert_eq!(fields, ["grant_type", "assertion"]);
    assert_eq!(request.form_value("grant_type").as_deref(), Some(JWT_BEARER));
    let assertion = request.form_value("assertion").unwrap();
    assert_eq!(segment(&assertion, 0)["kid"], "0123abcd");
    let claims = verify(&assertion, "rsa2048-public.pem", Algorithm::RS256);
    assert_claims(
        &claims,
        json!({"iss": SA_EMAIL, "sub": SA_EMAIL, "aud": token_uri,
               "scope": "https://www.googleapis.com/auth/cloud-platform"}),
    );
}

#[test]
fn google_limits_exit_8() {
    let setup = Setup::new("");
    let key = setup.file("sa.json", &service_account("https://oauth2.googleapis.com/token"));
    let base = format!(
        "[credentials.p]\npreset = \"google-service-account\"\nurl = \"https://x.googleapis.com\"\n\
         key_path = \"{}\"\n",
        key.display()
    );
    let cases = [
        (format!("{base}scope = \"s\"\nlifetime = 3601\n"), "3600"),
        (format!("{base}scope = \"s\"\nlifetime = 3600\nclock_skew = 1\n"), "clock_skew"),
        (format!("{base}protocol = \"jwt\"\nscope = \"s\"\naudience = \"a\"\n"), "`scope`"),
        (format!("{base}protocol = \"jwt\"\n"), "`audience` or `scope`"),
    ];
    for (toml, expected) in cases {
        std::fs::write(&setup.config, &toml).unwrap();
        let output = setup.run(&["token", "p"]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(8), "{expected}: {stderr}");
        assert!(stderr.contains(expected), "{expected}: {stderr}");
    }
}

fn apple(extra: &str) -> String {
    format!(
        "[credentials.p]\npreset = \"apple-app-store-connect\"\n\
         issuer = \"57246542-96fe-1a63-e053-0824d011072a\"\nkey_id = \"2X9R4HXF34\"\n{}\n{extra}",
        key_line("ec-p256-pkcs8.pem")
    )
}

#[test]
fn apple_app_store_connect_token() {
    let setup = Setup::new(&apple(""));
    let token = setup.token("p");
    assert_eq!(segment(&token, 0), json!({"alg": "ES256", "typ": "JWT", "kid": "2X9R4HXF34"}));
    let claims = verify(&token, "ec-p256-public.pem", Algorithm::ES256);
    assert_claims(
        &claims,
        json!({"iss": "57246542-96fe-1a63-e053-0824d011072a", "aud": "appstoreconnect-v1"}),
    );
    assert_eq!(seconds(&claims, "exp") - seconds(&claims, "iat"), 600);
}

#[test]
fn apple_limits_exit_8() {
    let cases = [
        (apple("lifetime = 1201"), "1200"),
        (apple("").replace("key_id = \"2X9R4HXF34\"\n", ""), "`key_id`"),
        (apple("").replace("ec-p256-pkcs8.pem", "rsa2048-pkcs8.pem"), "ES256"),
        (apple("audience = \"appstoreconnect-v2\""), "appstoreconnect-v1"),
    ];
    for (toml, expected) in cases {
        let (code, stderr) = failure(&toml);
        assert_eq!(code, Some(8), "{expected}: {stderr}");
        assert!(stderr.contains(expected), "{expected}: {stderr}");
    }
    let (code, stderr) = failure(&apple("lifetime = \"20m\""));
    assert_eq!(code, Some(0), "20 minutes is the limit and allowed: {stderr}");
}

/// Computes the Snowflake fingerprint with openssl: base64 of the SHA-256
/// of the public key's DER SubjectPublicKeyInfo.
fn openssl_fingerprint(private_key: &str) -> String {
    let der = StdCommand::new("openssl")
        .args(["pkey", "-pubout", "-outform", "DER", "-in"])
        .arg(fixture(private_key))
        .output()
        .expect("openssl must be installed");
    assert!(der.status.success());
    let mut digest = StdCommand::new("openssl")
        .args(["dgst", "-sha256", "-binary"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    digest.stdin.take().unwrap().write_all(&der.stdout).unwrap();
    let hash = digest.wait_with_output().unwrap();
    assert!(hash.status.success());
    STANDARD.encode(hash.stdout)
}

#[test]
fn snowflake_claims_fingerprint_and_header() {
    let server = TestServer::start(|_| Reply::json(200, json!({"data": []})));
    let toml = format!(
        "[credentials.sf]\npreset = \"snowflake\"\naccount = \"xy12345.us-east-2.aws\"\n\
         user = \"etl_user\"\nurl = \"{}\"\n{}\n",
        server.url(),
        key_line("rsa2048-pkcs1.pem")
    );
    let setup = Setup::new(&toml);
    let fingerprint = openssl_fingerprint("rsa2048-pkcs8.pem");

    let token = setup.token("sf");
    assert_eq!(segment(&token, 0), json!({"alg": "RS256", "typ": "JWT"}));
    let claims = verify(&token, "rsa2048-public.pem", Algorithm::RS256);
    assert_claims(
        &claims,
        json!({"iss": format!("XY12345.ETL_USER.SHA256:{fingerprint}"), "sub": "XY12345.ETL_USER"}),
    );

    setup.stdout(&["call", "sf", "/api/v2/statements"]);
    let request = &server.requests()[0];
    assert_eq!(request.header("x-snowflake-authorization-token-type"), Some("KEYPAIR_JWT"));
    let claims = verify(request.bearer().unwrap(), "rsa2048-public.pem", Algorithm::RS256);
    assert_eq!(claims["sub"], "XY12345.ETL_USER");
}

#[test]
fn snowflake_limits_exit_8() {
    let base = format!(
        "[credentials.p]\npreset = \"snowflake\"\naccount = \"xy12345\"\nuser = \"u\"\n{}\n",
        key_line("rsa2048-pkcs8.pem")
    );
    let cases = [
        (format!("{base}lifetime = 3601\n"), "3600"),
        (format!("{base}issuer = \"x\"\n"), "`issuer`"),
        (base.replace("account = \"xy12345\"\n", ""), "`account`"),
        (base.replace("user = \"u\"\n", ""), "`user`"),
        (base.replace("rsa2048-pkcs8.pem", "ec-p256-pkcs8.pem"), "RS256"),
        (
            base.replace("\"xy12345\"", "\"https://xy12345.snowflakecomputing.com\""),
            "not an account identifier",
        ),
        (
            base.replace("\"xy12345\"", "\"xy12345.snowflakecomputing.com\""),
            "not an account identifier",
        ),
    ];
    for (toml, expected) in cases {
        let (code, stderr) = failure(&toml);
        assert_eq!(code, Some(8), "{expected}: {stderr}");
        assert!(stderr.contains(expected), "{expected}: {stderr}");
    }
}

#[test]
fn salesforce_jwt_bearer_defaults() {
    let server = TestServer::start(|_| {
        Reply::json(
            200,
            json!({"access_token": "00D!AQ", "token_type": "Bearer",
                   "instance_url": "https://acme.my.salesforce.com", "scope": "api"}),
        )
    });
    let toml = format!(
        "[credentials.sf]\npreset = \"salesforce\"\nurl = \"https://acme.my.salesforce.com\"\n\
         token_endpoint = \"{}/services/oauth2/token\"\nissuer = \"3MVG9consumerkey\"\n\
         subject = \"integration@acme.com\"\n{}\n\
         [credentials.mydomain]\npreset = \"salesforce\"\nurl = \"https://acme.my.salesforce.com\"\n\
         audience = \"{}\"\nissuer = \"3MVG9consumerkey\"\nsubject = \"integration@acme.com\"\n{}\n",
        server.url(),
        key_line("rsa2048-pkcs8.pem"),
        server.url(),
        key_line("rsa2048-pkcs8.pem")
    );
    let setup = Setup::new(&toml);
    assert_eq!(setup.stdout(&["exchange", "sf"]), "00D!AQ\n");
    setup.stdout(&["exchange", "mydomain"]);

    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    for request in &requests {
        assert_eq!(request.path, "/services/oauth2/token");
        let fields: Vec<String> = request.form().into_iter().map(|(name, _)| name).collect();
        assert_eq!(fields, ["grant_type", "assertion"]);
        assert_eq!(request.form_value("grant_type").as_deref(), Some(JWT_BEARER));
    }
    let assertion = requests[0].form_value("assertion").unwrap();
    assert_eq!(segment(&assertion, 0), json!({"alg": "RS256", "typ": "JWT"}));
    let claims = verify(&assertion, "rsa2048-public.pem", Algorithm::RS256);
    assert_claims(
        &claims,
        json!({"iss": "3MVG9consumerkey", "sub": "integration@acme.com",
               "aud": "https://login.salesforce.com"}),
    );
    assert_eq!(seconds(&claims, "exp") - seconds(&claims, "iat"), 180);
    let claims = segment(&requests[1].form_value("assertion").unwrap(), 1);
    assert_eq!(claims["aud"], server.url());
}

#[test]
fn salesforce_limits_exit_8() {
    let base = format!(
        "[credentials.p]\npreset = \"salesforce\"\nurl = \"https://acme.my.salesforce.com\"\n\
         issuer = \"k\"\nsubject = \"u@acme.com\"\n{}\n",
        key_line("rsa2048-pkcs8.pem")
    );
    let cases = [
        (base.replace("subject = \"u@acme.com\"\n", ""), "`subject`"),
        (format!("{base}algorithm = \"PS256\"\n"), "RS256"),
        (format!("{base}grant = \"client-credentials\"\n"), "`grant`"),
    ];
    for (toml, expected) in cases {
        let (code, stderr) = failure(&toml);
        assert_eq!(code, Some(8), "{expected}: {stderr}");
        assert!(stderr.contains(expected), "{expected}: {stderr}");
    }
}

#[test]
fn unknown_preset_and_misplaced_fields_exit_8() {
    let key = key_line("rsa2048-pkcs8.pem");
    let cases = [
        (format!("[credentials.p]\npreset = \"okta\"\n{key}\n"), "\"okta\" is not a preset"),
        (
            format!(
                "[credentials.p]\npreset = \"github-app\"\nissuer = \"1\"\naccount = \"a\"\n{key}\n"
            ),
            "`account`",
        ),
        (
            format!(
                "[credentials.p]\nprotocol = \"jwt\"\nurl = \"https://x\"\nissuer = \"1\"\ninstallation_id = 3\n{key}\n"
            ),
            "`installation_id`",
        ),
    ];
    for (toml, expected) in cases {
        let (code, stderr) = failure(&toml);
        assert_eq!(code, Some(8), "{expected}: {stderr}");
        assert!(stderr.contains(expected), "{expected}: {stderr}");
    }
}

#[test]
fn salesforce_call_uses_instance_url_without_url() {
    let server = TestServer::start(|request| {
        if request.path == "/services/oauth2/token" {
            let instance = request.header("host").map(|h| format!("http://{h}")).unwrap();
            Reply::json(
                200,
                json!({"access_token": "00D!instance", "token_type": "Bearer",
                       "instance_url": instance}),
            )
        } else {
            Reply::json(200, json!({"DailyApiRequests": {"Max": 15000}}))
        }
    });
    let toml = format!(
        "[credentials.sf]\npreset = \"salesforce\"\ntoken_endpoint = \"{}/services/oauth2/token\"\n\
         issuer = \"3MVG9consumerkey\"\nsubject = \"integration@acme.com\"\n{}\n",
        server.url(),
        key_line("rsa2048-pkcs8.pem")
    );
    let setup = Setup::new(&toml);
    let body = setup.stdout(&["call", "sf", "/services/data/v60.0/limits"]);
    assert_eq!(body, "{\"DailyApiRequests\":{\"Max\":15000}}");

    let api = server.requests_to("/services/data/v60.0/limits");
    assert_eq!(api.len(), 1);
    assert_eq!(api[0].bearer(), Some("00D!instance"));

    // The second call reuses the cached token and its instance URL.
    let body = setup.stdout(&["call", "sf", "/services/data/v60.0/limits"]);
    assert_eq!(body, "{\"DailyApiRequests\":{\"Max\":15000}}");
    assert_eq!(server.requests_to("/services/oauth2/token").len(), 1);
    assert_eq!(server.requests_to("/services/data/v60.0/limits").len(), 2);

    // A dry run shows the cached instance URL, not the placeholder.
    let plan = setup.stdout(&["call", "sf", "/services/data/v60.0/limits", "--dry-run"]);
    let expected = format!("GET {}/services/data/v60.0/limits", server.url());
    assert!(plan.starts_with(&expected), "{plan}");
    assert_eq!(server.count(), 3, "a dry run sends nothing");
}

#[test]
fn salesforce_without_url_or_instance_url_exit_7() {
    let server = TestServer::start(|_| {
        Reply::json(200, json!({"access_token": "00D!x", "token_type": "Bearer"}))
    });
    let toml = format!(
        "[credentials.sf]\npreset = \"salesforce\"\ntoken_endpoint = \"{}/services/oauth2/token\"\n\
         issuer = \"k\"\nsubject = \"u@acme.com\"\n{}\n",
        server.url(),
        key_line("rsa2048-pkcs8.pem")
    );
    let setup = Setup::new(&toml);
    let output = setup.run(&["call", "sf", "/services/data"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(7), "{stderr}");
    assert!(stderr.contains("instance_url"), "{stderr}");
    assert_eq!(server.count(), 1, "only the token endpoint was called");

    // The unusable reply was not cached: the next call exchanges again.
    let output = setup.run(&["call", "sf", "/services/data"]);
    assert_eq!(output.status.code(), Some(7));
    assert_eq!(server.count(), 2);
}

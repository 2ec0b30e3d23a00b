//! Integration tests of `token`, `exchange` and `call`: the real binary in a
//! hermetic environment against loopback servers that record what they
//! receive and verify every signature.

mod support;

use std::path::PathBuf;
use std::process::Command as StdCommand;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};
use support::{Reply, TestServer, fixture, hermetic_cmd};
use tempfile::TempDir;

const HMAC_SECRET: &str = "demo-hmac-secret-for-tests-0123456789-0123456789-0123456789-0123";
const GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

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
        command.arg("--config").arg(&self.config).env("TEST_HMAC", HMAC_SECRET);
        command
    }

    fn token(&self, name: &str) -> String {
        let output = self.cmd().args(["token", name]).output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let text = String::from_utf8(output.stdout).unwrap();
        assert!(text.ends_with('\n'), "token output must end with a newline");
        assert_eq!(text.matches('\n').count(), 1, "token output must be one line");
        text.trim_end().to_string()
    }
}

/// Returns a jwt credential table signed with the given key source and algorithm.
fn jwt_credential(name: &str, key_line: &str, algorithm: Option<&str>) -> String {
    let algorithm = algorithm.map(|a| format!("algorithm = \"{a}\"\n")).unwrap_or_default();
    format!(
        "[credentials.{name}]\nprotocol = \"jwt\"\nurl = \"http://127.0.0.1:9/v1\"\n\
         issuer = \"iss-{name}\"\nsubject = \"sub-{name}\"\naudience = \"aud-{name}\"\n\
         key_id = \"kid-{name}\"\nlifetime = \"90s\"\n{key_line}\n{algorithm}"
    )
}

fn key_path_line(file: &str) -> String {
    format!("key_path = \"{}\"", fixture(file).display())
}

/// Returns the public key PEM of a private key fixture, derived by openssl.
///
/// An RSA-PSS key's public key is written as PKCS#1 under the plain RSA
/// label, because jsonwebtoken reads no RSA-PSS public key PEM.
fn public_pem(file: &str) -> Vec<u8> {
    let pss = file.contains("pss");
    let arguments: &[&str] =
        if pss { &["rsa", "-RSAPublicKey_out", "-in"] } else { &["pkey", "-pubout", "-in"] };
    let output = StdCommand::new("openssl")
        .args(arguments)
        .arg(fixture(file))
        .output()
        .expect("openssl must be installed");
    assert!(output.status.success(), "openssl failed for {file}");
    let text = String::from_utf8(output.stdout).unwrap();
    text.replace("RSA-PSS PUBLIC KEY", "RSA PUBLIC KEY").into_bytes()
}

fn decoding_key(file: Option<&str>, algorithm: Algorithm) -> DecodingKey {
    let Some(file) = file else {
        return DecodingKey::from_secret(HMAC_SECRET.as_bytes()).unwrap();
    };
    let pem = public_pem(file);
    match algorithm {
        Algorithm::ES256 | Algorithm::ES384 => DecodingKey::from_ec_pem(&pem).unwrap(),
        Algorithm::EdDSA => DecodingKey::from_ed_pem(&pem).unwrap(),
        _ => DecodingKey::from_rsa_pem(&pem).unwrap(),
    }
}

fn segment(token: &str, index: usize) -> Value {
    let part = token.split('.').nth(index).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

/// Verifies a token's signature and standard claims and returns its claims.
fn verify(token: &str, key: &DecodingKey, algorithm: Algorithm, audience: &str) -> Value {
    let mut validation = Validation::new(algorithm);
    validation.set_audience(&[audience]);
    validation.set_required_spec_claims(&["exp", "iat", "iss", "aud"]);
    jsonwebtoken::decode::<Value>(token, key, &validation)
        .unwrap_or_else(|e| panic!("{algorithm:?} token did not verify: {e}"))
        .claims
}

/// Every algorithm with every key form that should sign with it.
const SIGNING_CASES: &[(&str, Option<&str>, Algorithm)] = &[
    ("rsa2048-pkcs1.pem", None, Algorithm::RS256),
    ("rsa2048-pkcs8.pem", Some("RS256"), Algorithm::RS256),
    ("rsa2048-pkcs8.pem", Some("RS384"), Algorithm::RS384),
    ("rsa2048-pkcs1.pem", Some("RS512"), Algorithm::RS512),
    ("rsa2048-pkcs8.pem", Some("PS256"), Algorithm::PS256),
    ("rsa2048-pkcs1.pem", Some("PS384"), Algorithm::PS384),
    ("rsa3072-pkcs8.pem", Some("PS512"), Algorithm::PS512),
    ("rsa4096-pkcs8.pem", None, Algorithm::RS256),
    ("rsa2048-pkcs8-crlf.pem", None, Algorithm::RS256),
    ("rsa2048-pkcs8-cr.pem", None, Algorithm::RS256),
    ("rsa2048-pkcs8-padded.pem", None, Algorithm::RS256),
    ("rsa2048.der", None, Algorithm::RS256),
    ("rsa2048-pkcs1.der", None, Algorithm::RS256),
    ("rsa-pss-pkcs8.pem", None, Algorithm::PS256),
    ("ec-p256-pkcs8.pem", None, Algorithm::ES256),
    ("ec-p256-sec1.pem", Some("ES256"), Algorithm::ES256),
    ("ec-p256-sec1-params.pem", None, Algorithm::ES256),
    ("ec-p256-sec1-crlf.pem", None, Algorithm::ES256),
    ("ec-p384-pkcs8.pem", None, Algorithm::ES384),
    ("ec-p384-sec1.pem", Some("ES384"), Algorithm::ES384),
    ("ed25519-pkcs8.pem", None, Algorithm::EdDSA),
];

#[test]
fn token_signs_with_every_algorithm_and_key_form() {
    let mut toml = String::new();
    for (index, (file, algorithm, _)) in SIGNING_CASES.iter().enumerate() {
        toml.push_str(&jwt_credential(&format!("c{index}"), &key_path_line(file), *algorithm));
    }
    let setup = Setup::new(&toml);
    for (index, (file, _, algorithm)) in SIGNING_CASES.iter().enumerate() {
        let name = format!("c{index}");
        let token = setup.token(&name);
        // openssl reads neither lone-CR line endings nor DER without a
        // flag, so the public key comes from the same key's PEM form.
        let public_source = if file.starts_with("rsa2048") { "rsa2048-pkcs8.pem" } else { file };
        let key = decoding_key(Some(public_source), *algorithm);
        let claims = verify(&token, &key, *algorithm, &format!("aud-{name}"));
        assert_eq!(claims["iss"], format!("iss-{name}"), "{file}");
        assert_eq!(claims["sub"], format!("sub-{name}"), "{file}");
        let header = segment(&token, 0);
        assert_eq!(header["alg"], format!("{algorithm:?}"), "{file}");
        assert_eq!(header["typ"], "JWT", "{file}");
        assert_eq!(header["kid"], format!("kid-{name}"), "{file}");
    }
}

#[test]
fn token_signs_with_hmac_secrets() {
    let secret_file = fixture("hmac-secret.txt");
    let toml = [
        jwt_credential("env256", "secret_env = \"TEST_HMAC\"", None),
        jwt_credential("env384", "secret_env = \"TEST_HMAC\"", Some("HS384")),
        jwt_credential(
            "file512",
            &format!("secret_path = \"{}\"", secret_file.display()),
            Some("HS512"),
        ),
    ]
    .concat();
    let setup = Setup::new(&toml);
    for (name, algorithm) in
        [("env256", Algorithm::HS256), ("env384", Algorithm::HS384), ("file512", Algorithm::HS512)]
    {
        let token = setup.token(name);
        verify(&token, &decoding_key(None, algorithm), algorithm, &format!("aud-{name}"));
    }
}

#[test]
fn token_claims_times_and_jti() {
    let toml = jwt_credential("es", &key_path_line("ec-p256-pkcs8.pem"), None)
        + "[credentials.es.claims]\ntenant = \"acme\"\nroles = [\"a\", \"b\"]\n";
    let setup = Setup::new(&toml);
    let first = segment(&setup.token("es"), 1);
    let second = segment(&setup.token("es"), 1);
    for claims in [&first, &second] {
        assert!(claims["iat"].is_u64(), "iat must be an integer: {claims}");
        assert!(claims["exp"].is_u64(), "exp must be an integer: {claims}");
        let lifetime = claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap();
        assert_eq!(lifetime, 90);
        assert_eq!(claims["tenant"], "acme");
        assert_eq!(claims["roles"], json!(["a", "b"]));
        let jti = URL_SAFE_NO_PAD.decode(claims["jti"].as_str().unwrap()).unwrap();
        assert!(jti.len() >= 16, "jti must carry at least 128 bits");
    }
    assert_ne!(first["jti"], second["jti"]);
}

#[test]
fn token_times_ignore_time_zone() {
    let setup = Setup::new(&jwt_credential("es", &key_path_line("ec-p256-pkcs8.pem"), None));
    let mut issued = Vec::new();
    for zone in ["UTC", "Pacific/Kiritimati", "America/St_Johns"] {
        let output = setup.cmd().env("TZ", zone).args(["token", "es"]).output().unwrap();
        let token = String::from_utf8(output.stdout).unwrap();
        issued.push(segment(token.trim(), 1)["iat"].as_u64().unwrap());
    }
    let spread = issued.iter().max().unwrap() - issued.iter().min().unwrap();
    assert!(spread <= 2, "iat changed with TZ: {issued:?}");
}

#[test]
fn mismatched_key_algorithm_exit_8() {
    let cases = [
        ("ec-p384-pkcs8.pem", "ES256", "P-384"),
        ("rsa2048-pkcs8.pem", "EdDSA", "RSA"),
        ("ed25519-pkcs8.pem", "RS256", "Ed25519"),
        ("rsa-pss-pkcs8.pem", "RS256", "RSA-PSS"),
    ];
    for (file, algorithm, kind) in cases {
        let setup = Setup::new(&jwt_credential("bad", &key_path_line(file), Some(algorithm)));
        let output = setup.cmd().args(["token", "bad"]).output().unwrap();
        assert_eq!(output.status.code(), Some(8), "{file} with {algorithm}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(algorithm), "{stderr}");
        assert!(stderr.contains(kind), "{stderr}");
        assert!(output.stdout.is_empty());
    }
}

#[test]
fn key_messages_read_naturally() {
    let setup =
        Setup::new(&jwt_credential("bad", &key_path_line("ec-p384-pkcs8.pem"), Some("ES256")));
    let output = setup.cmd().args(["token", "bad"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(8), "{stderr}");
    assert!(stderr.contains("hint: use ES384 with this key"), "{stderr}");
    assert!(!stderr.contains("one of"), "{stderr}");

    let setup = Setup::new(&jwt_credential("good", &key_path_line("ed25519-pkcs8.pem"), None));
    let output = setup.cmd().args(["-v", "token", "good"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("with EdDSA and an Ed25519 key"), "{stderr}");
}

#[test]
fn url_without_scheme_suggests_https() {
    let toml = jwt_credential("api", "secret_env = \"TEST_HMAC\"", None)
        .replace("http://127.0.0.1:9/v1", "api.example.com/v1");
    let setup = Setup::new(&toml);
    let output = setup.cmd().args(["token", "api"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(8), "{stderr}");
    let expected =
        "`url` \"api.example.com/v1\" has no scheme; write \"https://api.example.com/v1\"";
    assert!(stderr.contains(expected), "{stderr}");
}

#[test]
fn unusable_key_forms_exit_8() {
    let cases = [
        ("rsa2048-public.pem", "public key"),
        ("rsa2048-cert.pem", "certificate"),
        ("rsa2048-pkcs8-encrypted.pem", "encrypted"),
        ("rsa2048-pkcs1-encrypted.pem", "encrypted"),
        ("rsa1024-pkcs8.pem", "2048"),
        ("ec-p521-pkcs8.pem", "P-521"),
        ("ec-secp256k1-sec1.pem", "secp256k1"),
        ("ed448-pkcs8.pem", "Ed448"),
        ("x25519-pkcs8.pem", "X25519"),
        ("dsa-pkcs8.pem", "DSA"),
        ("openssh-rsa", "OpenSSH"),
    ];
    for (file, form) in cases {
        let setup = Setup::new(&jwt_credential("bad", &key_path_line(file), None));
        let output = setup.cmd().args(["token", "bad"]).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(8), "{file}: {stderr}");
        assert!(stderr.contains(form), "{file}: {stderr}");
        assert!(stderr.contains("hint:"), "{file}: {stderr}");
        assert!(stderr.contains("`bad`"), "{file}: {stderr}");
    }
}

#[test]
fn config_errors_exit_8() {
    let valid = jwt_credential("api", "secret_env = \"TEST_HMAC\"", None);
    let cases = [
        (valid.clone() + "isuer = \"x\"\n", "api", "isuer"),
        (valid.replace("issuer", "# issuer"), "api", "`issuer`"),
        (valid.clone(), "nope", "`nope`"),
        (valid.replace("\"jwt\"", "\"saml\""), "api", "saml"),
        (valid.replace("90s", "ninety"), "api", "lifetime"),
        (valid.replace("TEST_HMAC", "NAMEDCRED_UNSET_FOR_TEST"), "api", "NAMEDCRED_UNSET_FOR_TEST"),
        (valid.replace("http://127.0.0.1:9/v1", "http://api.example.com"), "api", "https"),
        ("not toml [".to_string(), "api", "TOML"),
    ];
    for (toml, name, expected) in cases {
        let setup = Setup::new(&toml);
        let output = setup.cmd().args(["token", name]).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(8), "{expected}: {stderr}");
        assert!(stderr.starts_with("namedcred: error: "), "{stderr}");
        assert!(stderr.contains(expected), "{expected}: {stderr}");
    }
}

#[test]
fn config_type_errors_name_field_and_type() {
    let valid = jwt_credential("api", "secret_env = \"TEST_HMAC\"", None);
    let cases = [
        (
            valid.replace("\"90s\"", "1.5"),
            "`lifetime` must be whole seconds as an integer or a duration string",
        ),
        (
            valid.replace("\"aud-api\"", "5"),
            "`audience` must be a string or an array of strings, not 5",
        ),
        (valid.replace("\"http://127.0.0.1:9/v1\"", "5"), "`url` must be a string, not 5"),
        (valid.clone() + "[credentials.api.headers]\nX-A = 5\n", "`headers.X-A` must be a string"),
        (
            "[credentials]\napi = \"y\"\n".to_string(),
            "is a string, but each credential is a [credentials.<name>] table",
        ),
    ];
    for (toml, expected) in cases {
        let setup = Setup::new(&toml);
        let output = setup.cmd().args(["token", "api"]).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(8), "{expected}: {stderr}");
        assert!(stderr.contains(expected), "{expected}: {stderr}");
        assert!(stderr.contains(" at line "), "{stderr}");
        for rust_name in ["untagged", "StringOrList", "Lifetime", "RawCredential"] {
            assert!(!stderr.contains(rust_name), "{stderr}");
        }
    }
}

#[test]
fn config_duration_limits_exit_8() {
    let valid = jwt_credential("api", "secret_env = \"TEST_HMAC\"", None);
    let cases = [
        (valid.clone() + "timeout = \"0s\"\n", "`timeout` must be more than zero, not \"0s\""),
        (valid.replace("\"90s\"", "0"), "`lifetime` must be more than zero, not 0"),
        (
            valid.replace("\"90s\"", "\"100000d\""),
            "`lifetime` must be at most 24 hours (86400 seconds), not \"100000d\"",
        ),
        (
            valid.clone() + "timeout = 86401\n",
            "`timeout` must be at most 24 hours (86400 seconds), not 86401",
        ),
    ];
    for (toml, expected) in cases {
        let setup = Setup::new(&toml);
        let output = setup.cmd().args(["token", "api"]).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(8), "{expected}: {stderr}");
        assert!(stderr.contains(expected), "{expected}: {stderr}");
    }
    let setup = Setup::new(&(valid + "clock_skew = 0\ntimeout = \"24h\"\n"));
    assert!(!setup.token("api").is_empty());
}

#[test]
fn timeout_flag_states_limits() {
    let setup = Setup::new(&jwt_credential("api", "secret_env = \"TEST_HMAC\"", None));
    let cases = [
        ("99999999999", "must be at most 24 hours (86400 seconds), not 99999999999"),
        ("1e300", "must be at most 24 hours (86400 seconds), not 1e300"),
        ("0", "must be more than zero, not 0"),
    ];
    for (value, expected) in cases {
        for command in ["call", "exchange"] {
            let mut args = vec![command, "api"];
            if command == "call" {
                args.push("/x");
            }
            args.extend(["--timeout", value]);
            let output = setup.cmd().args(&args).output().unwrap();
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(output.status.code(), Some(2), "{command} {value}: {stderr}");
            assert!(stderr.contains(expected), "{command} {value}: {stderr}");
        }
    }
}

#[test]
fn short_hmac_secret_exit_8_in_every_command() {
    let short = "short-secret-of-20-b";
    let toml = jwt_credential("api", "secret_env = \"SHORT_HMAC\"", None)
        + "[credentials.ex]\nprotocol = \"jwt-exchange\"\nurl = \"http://127.0.0.1:9/v1\"\n\
           token_endpoint = \"http://127.0.0.1:9/token\"\nissuer = \"client-1\"\n\
           subject = \"user-1\"\nsecret_env = \"SHORT_HMAC\"\n";
    let setup = Setup::new(&toml);
    let runs: [&[&str]; 5] = [
        &["token", "api"],
        &["call", "api", "/x"],
        &["exchange", "ex"],
        &["check", "api"],
        &["check"],
    ];
    for args in runs {
        let output = setup.cmd().env("SHORT_HMAC", short).args(args).output().unwrap();
        // `check` prints each credential's error on stdout, other errors on stderr.
        let printed = String::from_utf8_lossy(&output.stderr).to_string()
            + &String::from_utf8_lossy(&output.stdout);
        assert_eq!(output.status.code(), Some(8), "{args:?}: {printed}");
        let expected = "gives an HMAC secret of 20 bytes, but HS256 needs at least 32 bytes";
        assert!(printed.contains(expected), "{args:?}: {printed}");
        assert!(printed.contains("`secret_env`"), "{args:?}: {printed}");
        assert!(!printed.contains(short), "{args:?}: {printed}");
    }
}

#[test]
fn empty_claim_values_exit_8() {
    let valid = jwt_credential("api", "secret_env = \"TEST_HMAC\"", None);
    let cases = [
        (valid.replace("\"aud-api\"", "[]"), "`audience` must not be an empty array"),
        (valid.replace("\"sub-api\"", "\"\""), "`subject` must not be empty"),
        (valid.replace("\"kid-api\"", "\"\""), "`key_id` must not be empty"),
        (valid.replace("\"iss-api\"", "\"\""), "`issuer` must not be empty"),
        (valid.clone() + "resource = []\n", "`resource` must not be an empty array"),
        (valid.clone() + "exchange_audience = \"\"\n", "`exchange_audience` must not be an empty"),
        (valid.clone() + "subject_token_type = \"\"\n", "`subject_token_type` must not be empty"),
    ];
    for (toml, expected) in cases {
        let setup = Setup::new(&toml);
        let output = setup.cmd().args(["token", "api"]).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(8), "{expected}: {stderr}");
        assert!(stderr.contains(expected), "{expected}: {stderr}");
    }
}

#[test]
fn missing_config_file_lists_where_it_looked() {
    let home = tempfile::tempdir().unwrap();
    let output = hermetic_cmd(home.path()).args(["token", "api"]).output().unwrap();
    assert_eq!(output.status.code(), Some(8));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--config"), "{stderr}");
    assert!(stderr.contains("NAMEDCRED_CONFIG"), "{stderr}");
    let default = home.path().join(".config/namedcred/credentials.toml");
    assert!(stderr.contains(&default.display().to_string()), "{stderr}");
}

#[test]
fn config_found_through_env_and_default_folder() {
    let toml = jwt_credential("api", "secret_env = \"TEST_HMAC\"", None);
    let setup = Setup::new(&toml);
    let by_env = hermetic_cmd(setup.home.path())
        .env("NAMEDCRED_CONFIG", &setup.config)
        .env("TEST_HMAC", HMAC_SECRET)
        .args(["token", "api"])
        .output()
        .unwrap();
    assert!(by_env.status.success(), "{}", String::from_utf8_lossy(&by_env.stderr));

    let folder = setup.home.path().join(".config/namedcred");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::copy(&setup.config, folder.join("credentials.toml")).unwrap();
    let by_default = hermetic_cmd(setup.home.path())
        .env("TEST_HMAC", HMAC_SECRET)
        .args(["token", "api"])
        .output()
        .unwrap();
    assert!(by_default.status.success(), "{}", String::from_utf8_lossy(&by_default.stderr));
}

#[test]
fn relative_key_path_resolves_against_config_folder() {
    let home = tempfile::tempdir().unwrap();
    let folder = home.path().join("conf");
    std::fs::create_dir_all(folder.join("keys")).unwrap();
    std::fs::copy(fixture("ec-p256-pkcs8.pem"), folder.join("keys/k.pem")).unwrap();
    let config = folder.join("c.toml");
    std::fs::write(&config, jwt_credential("api", "key_path = \"keys/k.pem\"", None)).unwrap();
    hermetic_cmd(home.path())
        .current_dir(home.path())
        .arg("--config")
        .arg(&config)
        .args(["token", "api"])
        .assert()
        .success();
}

/// Returns a credential pointing at a test server, signed with the P-256 fixture.
fn api_credential(name: &str, base: &str, extra: &str) -> String {
    format!(
        "[credentials.{name}]\nprotocol = \"jwt\"\nurl = \"{base}/v1/\"\nissuer = \"svc\"\n\
         audience = \"api\"\nkey_path = \"{}\"\n{extra}",
        fixture("ec-p256-pkcs8.pem").display()
    )
}

#[test]
fn call_sends_verified_bearer_and_writes_body_verbatim() {
    let body: Vec<u8> = (0u8..=255).chain(b"end\n".iter().copied()).collect();
    let reply_body = body.clone();
    let server = TestServer::start(move |_| Reply { body: reply_body.clone(), ..Reply::new(200) });
    let toml =
        api_credential("api", &server.url(), "[credentials.api.headers]\nX-Team = \"ops\"\n");
    let setup = Setup::new(&toml);
    let output = setup.cmd().args(["call", "api", "/items?limit=5&q=a%20b"]).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(output.stdout, body);

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "GET");
    assert_eq!(request.path, "/v1/items?limit=5&q=a%20b");
    assert_eq!(request.header("x-team"), Some("ops"));
    let key = decoding_key(Some("ec-p256-pkcs8.pem"), Algorithm::ES256);
    let claims = verify(request.bearer().unwrap(), &key, Algorithm::ES256, "api");
    assert_eq!(claims["iss"], "svc");
}

#[test]
fn call_flags_set_method_headers_and_body() {
    let server = TestServer::start(|_| Reply::json(201, json!({"ok": true})));
    let toml = api_credential(
        "api",
        &server.url(),
        "[credentials.api.headers]\nX-Team = \"ops\"\nX-Drop = \"1\"\n",
    );
    let setup = Setup::new(&toml);
    let data_file = setup.home.path().join("body.json");
    std::fs::write(&data_file, "{\"from\":\"file\"}").unwrap();

    setup
        .cmd()
        .args(["call", "api", "items", "-X", "PUT", "-H", "X-Team: dev", "-H", "X-Drop:"])
        .args(["-H", "X-Extra: 1", "--json", "-d", "{\"a\":1}"])
        .assert()
        .success();
    setup
        .cmd()
        .args(["call", "api", "items", "--json"])
        .arg("-d")
        .arg(format!("@{}", data_file.display()))
        .assert()
        .success();
    setup
        .cmd()
        .args(["call", "api", "items", "-d", "@-"])
        .write_stdin("a=1&b=2")
        .assert()
        .success();
    setup.cmd().args(["call", "api", "items", "-d", "x=1"]).assert().success();

    let requests = server.requests();
    assert_eq!(requests.len(), 4);
    let put = &requests[0];
    assert_eq!(put.method, "PUT");
    assert_eq!(put.header("x-team"), Some("dev"));
    assert_eq!(put.header("x-drop"), None);
    assert_eq!(put.header("x-extra"), Some("1"));
    assert_eq!(put.header("content-type"), Some("application/json"));
    assert_eq!(put.header("accept"), Some("application/json"));
    assert_eq!(put.body_text(), "{\"a\":1}");

    assert_eq!(requests[1].method, "POST");
    assert_eq!(requests[1].body_text(), "{\"from\":\"file\"}");
    assert_eq!(requests[2].body_text(), "a=1&b=2");
    assert_eq!(requests[3].header("content-type"), Some("application/x-www-form-urlencoded"));
    assert_eq!(requests[3].body_text(), "x=1");
}

#[test]
fn call_include_and_output_file() {
    let server = TestServer::start(|_| Reply::text(200, "payload").header("X-Reply", "yes"));
    let setup = Setup::new(&api_credential("api", &server.url(), ""));
    let output = setup.cmd().args(["call", "api", "/x", "-i"]).output().unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    assert!(text.to_ascii_lowercase().contains("x-reply: yes\r\n"), "{text}");
    assert!(text.ends_with("\r\n\r\npayload"), "{text}");

    let file = setup.home.path().join("out.txt");
    let output = setup.cmd().args(["call", "api", "/x", "-o"]).arg(&file).output().unwrap();
    assert!(output.status.success());
    assert!(output.stdout.is_empty());
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "payload");
    let leftovers: Vec<_> = std::fs::read_dir(setup.home.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left behind");
}

#[test]
fn call_http_status_exit_codes_keep_body() {
    let server = TestServer::start(|request| {
        let status: u16 = request.path.trim_start_matches("/v1/").parse().unwrap();
        Reply::text(status, &format!("body-{status}")).header("Location", "/elsewhere")
    });
    let setup = Setup::new(&api_credential("api", &server.url(), ""));
    for (status, code) in [(200, 0), (302, 3), (404, 4), (401, 4), (500, 5), (503, 5), (599, 5)] {
        let output = setup.cmd().args(["call", "api", &status.to_string()]).output().unwrap();
        assert_eq!(output.status.code(), Some(code), "HTTP {status}");
        assert_eq!(String::from_utf8_lossy(&output.stdout), format!("body-{status}"));
        if code != 0 {
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(stderr.contains(&format!("HTTP {status}")), "{stderr}");
            assert!(!stderr.contains("  "), "double space in {stderr}");
        }
        if status == 302 {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let target = format!("redirecting to {}/elsewhere", server.url());
            assert!(stderr.contains(&target), "{stderr}");
            assert!(stderr.contains("hint: add -L"), "{stderr}");
        }
    }
    // A redirect is final: nothing requested the Location.
    assert!(server.requests_to("/elsewhere").is_empty());
}

#[test]
fn call_network_failure_is_exit_6() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let setup = Setup::new(&api_credential("api", &format!("http://127.0.0.1:{port}"), ""));
    let output = setup.cmd().args(["call", "api", "/x"]).output().unwrap();
    assert_eq!(output.status.code(), Some(6));
    assert!(output.stdout.is_empty());
}

#[test]
fn call_usage_errors_are_exit_2() {
    let server = TestServer::start(|_| Reply::new(200));
    let setup = Setup::new(&api_credential("api", &server.url(), ""));
    let cases: [&[&str]; 7] = [
        &["call", "api", "https://evil.example/x"],
        &["call", "api", "//evil.example/x"],
        &["call", "api", "/x", "-H", "no colon"],
        &["call", "api", "/x", "-H", "Authorization: Bearer other"],
        &["call", "api", "/x", "--json", "-d", "{not json"],
        &["call", "api", "/x", "--timeout", "soon"],
        &["call", "api"],
    ];
    for args in cases {
        let output = setup.cmd().args(args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
    }
    assert_eq!(server.count(), 0, "a rejected request must send nothing");
}

#[test]
fn unwritable_stdout_is_exit_1() {
    let setup = Setup::new(&jwt_credential("api", "secret_env = \"TEST_HMAC\"", None));
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
    let status = StdCommand::new(assert_cmd::cargo::cargo_bin("namedcred"))
        .env("TEST_HMAC", HMAC_SECRET)
        .arg("--config")
        .arg(&setup.config)
        .args(["token", "api"])
        .stdout(full)
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(1));
}

/// Returns a jwt-exchange credential against a test server's /token and /v1.
fn exchange_credential(base: &str, extra: &str) -> String {
    format!(
        "[credentials.ex]\nprotocol = \"jwt-exchange\"\nurl = \"{base}/v1\"\n\
         token_endpoint = \"{base}/token\"\nissuer = \"client-1\"\nsubject = \"user-1\"\n\
         scope = [\"read\", \"write\"]\nkey_path = \"{}\"\n{extra}",
        fixture("rsa2048-pkcs8.pem").display()
    )
}

/// Starts a token endpoint and API that issue and accept `access-1`.
fn exchange_server() -> TestServer {
    TestServer::start(|request| {
        if request.path == "/token" {
            return Reply::json(
                200,
                json!({"access_token": "access-1", "token_type": "bearer", "expires_in": 3600}),
            );
        }
        match request.bearer() {
            Some("access-1") => Reply::json(200, json!({"hello": "world"})),
            _ => Reply::json(401, json!({"error": "invalid_token"})),
        }
    })
}

#[test]
fn exchange_posts_jwt_bearer_grant() {
    let server = exchange_server();
    let setup = Setup::new(&exchange_credential(&server.url(), ""));
    let output = setup.cmd().args(["exchange", "ex"]).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(String::from_utf8(output.stdout).unwrap(), "access-1\n");

    let request = &server.requests()[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.header("content-type"), Some("application/x-www-form-urlencoded"));
    assert_eq!(request.header("accept"), Some("application/json"));
    assert_eq!(request.form_value("grant_type").as_deref(), Some(GRANT));
    assert_eq!(request.form_value("scope").as_deref(), Some("read write"));
    let assertion = request.form_value("assertion").unwrap();
    let key = decoding_key(Some("rsa2048-pkcs8.pem"), Algorithm::RS256);
    let token_endpoint = format!("{}/token", server.url());
    let claims = verify(&assertion, &key, Algorithm::RS256, &token_endpoint);
    assert_eq!(claims["iss"], "client-1");
    assert_eq!(claims["sub"], "user-1");
    let fields: Vec<String> = request.form().into_iter().map(|(k, _)| k).collect();
    assert_eq!(fields, ["grant_type", "assertion", "scope"]);

    let output = setup.cmd().args(["exchange", "ex", "--json"]).output().unwrap();
    let reply: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(reply["expires_in"], 3600);
}

#[test]
fn call_through_exchange_sends_access_token() {
    let server = exchange_server();
    let setup = Setup::new(&exchange_credential(&server.url(), ""));
    let output = setup.cmd().args(["call", "ex", "/me"]).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(String::from_utf8(output.stdout).unwrap(), "{\"hello\":\"world\"}");
    let api = server.requests_to("/v1/me");
    assert_eq!(api.len(), 1);
    assert_eq!(api[0].bearer(), Some("access-1"));
}

#[test]
fn token_on_exchange_credential_prints_assertion() {
    let setup = Setup::new(&exchange_credential("http://127.0.0.1:9", ""));
    let token = setup.token("ex");
    assert_eq!(segment(&token, 1)["aud"], "http://127.0.0.1:9/token");
}

#[test]
fn rejected_exchange_is_exit_7_without_assertion() {
    let server = TestServer::start(|_| {
        Reply::json(
            400,
            json!({"error": "invalid_grant", "error_description": "audience mismatch"}),
        )
    });
    let setup = Setup::new(&exchange_credential(&server.url(), ""));
    for command in [&["exchange", "ex"][..], &["call", "ex", "/x"][..]] {
        let output = setup.cmd().args(command).output().unwrap();
        assert_eq!(output.status.code(), Some(7), "{command:?}");
        assert!(output.stdout.is_empty());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("invalid_grant"), "{stderr}");
        assert!(stderr.contains("audience mismatch"), "{stderr}");
        assert!(stderr.contains("hint:"), "{stderr}");
        let assertion = server.requests().last().unwrap().form_value("assertion").unwrap();
        assert!(!stderr.contains(&assertion), "assertion leaked: {stderr}");
        assert!(!stderr.contains("eyJ"), "JWT leaked: {stderr}");
    }
}

#[test]
fn unusable_exchange_replies_are_exit_7() {
    let server = TestServer::start(|request| match request.path.as_str() {
        "/html/token" => {
            Reply::text(502, "<html>Bad gateway</html>").header("Content-Type", "text/html")
        }
        "/type/token" => Reply::json(200, json!({"access_token": "a", "token_type": "DPoP"})),
        _ => Reply::json(200, json!({"token": "a"})),
    });
    for (prefix, expected) in [("html", "502"), ("type", "DPoP"), ("none", "access_token")] {
        let toml = exchange_credential(&format!("{}/{prefix}", server.url()), "");
        let setup = Setup::new(&toml);
        let output = setup.cmd().args(["exchange", "ex"]).output().unwrap();
        assert_eq!(output.status.code(), Some(7), "{prefix}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{prefix}: {stderr}");
    }
}

#[test]
fn exchange_on_jwt_credential_points_to_token() {
    let setup = Setup::new(&jwt_credential("api", "secret_env = \"TEST_HMAC\"", None));
    let output = setup.cmd().args(["exchange", "api"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("namedcred token api"), "{stderr}");
}

#[test]
fn verbose_log_never_shows_tokens() {
    let server = exchange_server();
    let setup = Setup::new(&exchange_credential(&server.url(), ""));
    let output = setup.cmd().args(["-v", "call", "ex", "/me"]).output().unwrap();
    assert!(output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("debug:"), "{stderr}");
    assert!(!stderr.contains("access-1"), "{stderr}");
    assert!(!stderr.contains("eyJ"), "{stderr}");
}

#[test]
fn unknown_credential_lists_defined_names() {
    let toml = jwt_credential("alpha", &key_path_line("ec-p256-pkcs8.pem"), None)
        + &jwt_credential("beta", &key_path_line("ec-p256-pkcs8.pem"), None);
    let setup = Setup::new(&toml);
    let output = setup.cmd().args(["token", "gamma"]).output().unwrap();
    assert_eq!(output.status.code(), Some(8));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no credential named `gamma`"), "{stderr}");
    assert!(stderr.contains("hint: defined credentials: alpha, beta"), "{stderr}");

    let output = setup.cmd().args(["token", ""]).output().unwrap();
    assert_eq!(output.status.code(), Some(8));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("the credential name is empty"), "{stderr}");
}

#[test]
fn oversized_jwt_is_config_error() {
    let server = TestServer::start(|_| Reply::text(200, "ok"));
    let long_issuer = "i".repeat(40_000);
    let toml =
        api_credential("api", &server.url(), "").replace("\"svc\"", &format!("\"{long_issuer}\""));
    let setup = Setup::new(&toml);
    let output = setup.cmd().args(["call", "api", "/x"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(8), "{stderr}");
    assert!(stderr.contains("the JWT that `api` signs is"), "{stderr}");
    assert!(stderr.contains("shorten the claims"), "{stderr}");
    assert_eq!(server.count(), 0);
}

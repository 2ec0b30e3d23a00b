//! Integration tests of the key sources and formats: PEM in an environment
//! variable in the shapes CI systems store it, inline PEM, a command's
//! output, JWK and JWKS, Google service account files and encrypted PKCS#8.
//! Every token is verified with the matching public key.

mod support;

use std::path::PathBuf;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};
use support::{Reply, TestServer, fixture, hermetic_cmd};
use tempfile::TempDir;

const PASSPHRASE: &str = "test-passphrase";

/// Environment variables set for one run.
type Env<'a> = &'a [(&'a str, &'a str)];

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

    /// Runs `token NAME` with extra environment variables and returns the
    /// token, failing on a non-zero exit.
    fn token(&self, name: &str, env: &[(&str, &str)]) -> String {
        let mut command = self.cmd();
        command.args(["token", name]).envs(env.iter().copied());
        let output = command.output().unwrap();
        assert!(output.status.success(), "{name}: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap().trim_end().to_string()
    }

    /// Runs `token NAME` expecting a failure; returns the code and stderr.
    fn failure(&self, name: &str, env: &[(&str, &str)]) -> (Option<i32>, String) {
        let output = self.cmd().args(["token", name]).envs(env.iter().copied()).output().unwrap();
        assert!(output.stdout.is_empty());
        (output.status.code(), String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

/// Returns a jwt credential named `name` whose key comes from `key_lines`.
fn credential(name: &str, key_lines: &str) -> String {
    format!(
        "[credentials.{name}]\nprotocol = \"jwt\"\nurl = \"http://127.0.0.1:9\"\n\
         issuer = \"iss\"\naudience = \"aud\"\n{key_lines}\n"
    )
}

fn read_fixture(name: &str) -> String {
    std::fs::read_to_string(fixture(name)).unwrap()
}

/// Verifies the token with the public key fixture and returns its header.
fn verify(token: &str, public: &str, algorithm: Algorithm) -> Value {
    let pem = std::fs::read(fixture(public)).unwrap();
    let key = match algorithm {
        Algorithm::ES256 => DecodingKey::from_ec_pem(&pem).unwrap(),
        Algorithm::EdDSA => DecodingKey::from_ed_pem(&pem).unwrap(),
        _ => DecodingKey::from_rsa_pem(&pem).unwrap(),
    };
    let mut validation = Validation::new(algorithm);
    validation.set_audience(&["aud"]);
    jsonwebtoken::decode::<Value>(token, &key, &validation)
        .unwrap_or_else(|e| panic!("{algorithm:?} token did not verify: {e}"));
    let header = token.split('.').next().unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap()
}

fn claims(token: &str) -> Value {
    let part = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

/// Returns the base64 body of a one-block PEM file on one line.
fn pem_body(pem: &str) -> String {
    pem.lines().filter(|line| !line.starts_with("-----")).collect()
}

#[test]
fn key_env_accepts_every_shape_ci_stores() {
    let pem = read_fixture("rsa2048-pkcs8.pem");
    let folded = format!("-----BEGIN PRIVATE KEY----- {} -----END PRIVATE KEY-----", {
        let body = pem_body(&pem);
        body.as_bytes()
            .chunks(64)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    });
    let shapes = [
        ("newlines", pem.clone()),
        ("escaped", pem.replace('\n', "\\n")),
        ("crlf", pem.replace('\n', "\r\n")),
        ("escaped_crlf", pem.replace('\n', "\\r\\n")),
        ("folded", folded),
        (
            "unwrapped",
            format!("-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n", pem_body(&pem)),
        ),
    ];
    let setup = Setup::new(&credential("api", "key_env = \"TEST_KEY_PEM\""));
    for (shape, value) in shapes {
        let token = setup.token("api", &[("TEST_KEY_PEM", &value)]);
        let header = verify(&token, "rsa2048-public.pem", Algorithm::RS256);
        assert_eq!(header["alg"], "RS256", "{shape}");
    }
}

#[test]
fn key_env_unset_or_empty_exit_8() {
    let setup = Setup::new(&credential("api", "key_env = \"TEST_KEY_UNSET\""));
    let (code, stderr) = setup.failure("api", &[]);
    assert_eq!(code, Some(8), "{stderr}");
    assert!(stderr.contains("TEST_KEY_UNSET"), "{stderr}");
    assert!(stderr.contains("not set"), "{stderr}");
    let (code, stderr) = setup.failure("api", &[("TEST_KEY_UNSET", "  \n")]);
    assert_eq!(code, Some(8), "{stderr}");
    assert!(stderr.contains("empty"), "{stderr}");
}

#[test]
fn two_private_keys_in_one_pem_exit_8() {
    let both = read_fixture("ec-p256-pkcs8.pem") + &read_fixture("rsa2048-pkcs8.pem");
    let setup = Setup::new(&credential("api", "key_env = \"TEST_KEY_PAIR\""));
    let (code, stderr) = setup.failure("api", &[("TEST_KEY_PAIR", &both)]);
    assert_eq!(code, Some(8), "{stderr}");
    assert!(stderr.contains("contains 2 private keys"), "{stderr}");
    assert!(!stderr.contains(&pem_body(&both)[..40]), "{stderr}");
}

#[test]
fn pem_given_where_json_expected_exit_8() {
    let pem = read_fixture("rsa2048-pkcs8.pem");
    for (format, expected) in
        [("google-service-account", "a Google service account key file"), ("jwk", "a JWK")]
    {
        let lines = format!("key_env = \"TEST_KEY_PEM\"\nkey_format = \"{format}\"");
        let setup = Setup::new(&credential("api", &lines));
        let (code, stderr) = setup.failure("api", &[("TEST_KEY_PEM", &pem)]);
        assert_eq!(code, Some(8), "{stderr}");
        assert!(
            stderr.contains(&format!("is PEM, but the credential expects {expected}")),
            "{stderr}"
        );
        assert!(stderr.contains("key_format = \"pem\""), "{stderr}");
    }
}

#[test]
fn inline_key_with_lf_and_crlf() {
    let pem = read_fixture("ec-p256-pkcs8.pem");
    let crlf = pem.trim_end().replace('\n', "\\r\\n");
    let toml = [
        credential("lf", &format!("key = '''\n{pem}'''")),
        credential("crlf", &format!("key = \"{crlf}\"")),
    ]
    .concat();
    let setup = Setup::new(&toml);
    for name in ["lf", "crlf"] {
        let token = setup.token(name, &[]);
        verify(&token, "ec-p256-public.pem", Algorithm::ES256);
    }
}

#[test]
fn key_command_output_is_the_key() {
    let command = format!("cat '{}'", fixture("ec-p256-sec1.pem").display());
    let setup = Setup::new(&credential("api", &format!("key_command = \"{command}\"")));
    let token = setup.token("api", &[]);
    verify(&token, "ec-p256-public.pem", Algorithm::ES256);
}

#[test]
fn key_command_runs_in_config_folder() {
    let setup = Setup::new(&credential("api", "key_command = \"cat keys/k.pem\""));
    std::fs::create_dir(setup.home.path().join("keys")).unwrap();
    std::fs::copy(fixture("ec-p256-pkcs8.pem"), setup.home.path().join("keys/k.pem")).unwrap();
    verify(&setup.token("api", &[]), "ec-p256-public.pem", Algorithm::ES256);

    // A configuration file named without a folder runs the command in the
    // current folder.
    let output = hermetic_cmd(setup.home.path())
        .current_dir(setup.home.path())
        .args(["--config", "credentials.toml", "token", "api"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
}

#[test]
fn key_command_failure_exit_8_with_stderr() {
    let setup = Setup::new(&credential(
        "api",
        "key_command = \"echo 'vault: permission denied' >&2; exit 3\"",
    ));
    let (code, stderr) = setup.failure("api", &[]);
    assert_eq!(code, Some(8), "{stderr}");
    assert!(stderr.contains("vault: permission denied"), "{stderr}");
    assert!(stderr.contains("status 3"), "{stderr}");
    assert!(stderr.contains("`api`"), "{stderr}");
}

#[test]
fn jwk_rsa_and_ec_with_kid_from_jwk() {
    let toml = [
        credential("rsa", &format!("key_path = \"{}\"", fixture("rsa2048.jwk.json").display())),
        credential(
            "ec",
            &format!(
                "key_path = \"{}\"\nkey_format = \"jwk\"",
                fixture("ec-p256.jwk.json").display()
            ),
        ),
    ]
    .concat();
    let setup = Setup::new(&toml);
    let header = verify(&setup.token("rsa", &[]), "rsa2048-public.pem", Algorithm::RS256);
    assert_eq!(header["kid"], "rsa-test");
    let header = verify(&setup.token("ec", &[]), "ec-p256-public.pem", Algorithm::ES256);
    assert_eq!(header["kid"], "p256-test");
    assert_eq!(header["alg"], "ES256");
}

#[test]
fn jwk_alg_and_kid_used_unless_set() {
    let mut jwk: Value = serde_json::from_str(&read_fixture("rsa2048.jwk.json")).unwrap();
    jwk["alg"] = json!("PS256");
    let toml = [
        credential("from_jwk", "key_env = \"TEST_JWK\""),
        credential(
            "overridden",
            "key_env = \"TEST_JWK\"\nalgorithm = \"RS512\"\nkey_id = \"mine\"",
        ),
    ]
    .concat();
    let setup = Setup::new(&toml);
    let env = [("TEST_JWK", jwk.to_string())];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let header = verify(&setup.token("from_jwk", &env), "rsa2048-public.pem", Algorithm::PS256);
    assert_eq!(header["alg"], "PS256");
    assert_eq!(header["kid"], "rsa-test");
    let header = verify(&setup.token("overridden", &env), "rsa2048-public.pem", Algorithm::RS512);
    assert_eq!(header["alg"], "RS512");
    assert_eq!(header["kid"], "mine");
}

#[test]
fn jwks_member_chosen_by_key_id() {
    let rsa: Value = serde_json::from_str(&read_fixture("rsa2048.jwk.json")).unwrap();
    let ec: Value = serde_json::from_str(&read_fixture("ec-p256.jwk.json")).unwrap();
    let set = setup_file("jwks.json", &json!({"keys": [rsa, ec]}).to_string());
    let toml = [
        credential("ec", &format!("key_path = \"{}\"\nkey_id = \"p256-test\"", set.display())),
        credential("none", &format!("key_path = \"{}\"", set.display())),
        credential("wrong", &format!("key_path = \"{}\"\nkey_id = \"nope\"", set.display())),
    ]
    .concat();
    let setup = Setup::new(&toml);
    let header = verify(&setup.token("ec", &[]), "ec-p256-public.pem", Algorithm::ES256);
    assert_eq!(header["kid"], "p256-test");
    for (name, expected) in [("none", "rsa-test, p256-test"), ("wrong", "\"nope\"")] {
        let (code, stderr) = setup.failure(name, &[]);
        assert_eq!(code, Some(8), "{stderr}");
        assert!(stderr.contains(expected), "{name}: {stderr}");
    }
}

/// Writes a file into a folder that lives as long as the test process.
fn setup_file(name: &str, content: &str) -> PathBuf {
    let folder = tempfile::tempdir().unwrap().keep();
    let path = folder.join(name);
    std::fs::write(&path, content).unwrap();
    path
}

#[test]
fn jwk_okp_ed25519() {
    // The seed is the last 32 bytes of the PKCS#8 form of an Ed25519 key.
    let der = STANDARD.decode(pem_body(&read_fixture("ed25519-pkcs8.pem"))).unwrap();
    let seed = URL_SAFE_NO_PAD.encode(&der[der.len() - 32..]);
    let jwk = json!({"kty": "OKP", "crv": "Ed25519", "d": seed, "x": "unused"});
    let setup = Setup::new(&credential("api", "key_env = \"TEST_JWK\""));
    let token = setup.token("api", &[("TEST_JWK", &jwk.to_string())]);
    let header = verify(&token, "ed25519-public.pem", Algorithm::EdDSA);
    assert_eq!(header["alg"], "EdDSA");
}

#[test]
fn unusable_jwks_exit_8() {
    let rsa: Value = serde_json::from_str(&read_fixture("rsa2048.jwk.json")).unwrap();
    let public = json!({"kty": "RSA", "n": rsa["n"], "e": rsa["e"]});
    let cases = [
        (public.to_string(), "public key"),
        (json!({"kty": "EC", "crv": "P-521", "d": "AA"}).to_string(), "P-521"),
        (json!({"kty": "RSA", "n": rsa["n"], "e": rsa["e"], "d": rsa["d"]}).to_string(), "`p`"),
        (json!({"alg": "RS256"}).to_string(), "neither a JWK"),
        (with_member(&rsa, "use", json!("enc")), "meant for encryption"),
        (with_member(&rsa, "key_ops", json!(["decrypt"])), "not meant for signing"),
    ];
    let setup = Setup::new(&credential("api", "key_env = \"TEST_JWK\""));
    for (value, expected) in cases {
        let (code, stderr) = setup.failure("api", &[("TEST_JWK", &value)]);
        assert_eq!(code, Some(8), "{stderr}");
        assert!(stderr.contains(expected), "{expected}: {stderr}");
    }
}

/// Returns the JWK text of `jwk` with `name` set to `value`.
fn with_member(jwk: &Value, name: &str, value: Value) -> String {
    let mut jwk = jwk.clone();
    jwk[name] = value;
    jwk.to_string()
}

fn service_account(token_uri: &str) -> String {
    json!({
        "type": "service_account",
        "project_id": "demo",
        "private_key_id": "abc123def456",
        "private_key": read_fixture("rsa2048-pkcs8.pem"),
        "client_email": "runner@demo.iam.gserviceaccount.com",
        "client_id": "1234567890",
        "token_uri": token_uri,
    })
    .to_string()
}

#[test]
fn google_service_account_supplies_defaults() {
    let server = TestServer::start(|_| {
        Reply::json(
            200,
            json!({"access_token": "ya29.x", "token_type": "Bearer", "expires_in": 3599}),
        )
    });
    let token_uri = format!("{}/token", server.url());
    let file = setup_file("sa.json", &service_account(&token_uri));
    let toml = format!(
        "[credentials.gcp]\nprotocol = \"jwt-exchange\"\nurl = \"http://127.0.0.1:9\"\n\
         key_path = \"{}\"\nscope = \"https://www.googleapis.com/auth/cloud-platform\"\n\
         scope_in = \"claim\"\n",
        file.display()
    );
    let setup = Setup::new(&toml);
    let output = setup.cmd().args(["exchange", "gcp"]).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(output.stdout, b"ya29.x\n");

    let request = &server.requests()[0];
    assert_eq!(request.path, "/token");
    let assertion = request.form_value("assertion").unwrap();
    let header: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD.decode(assertion.split('.').next().unwrap()).unwrap(),
    )
    .unwrap();
    assert_eq!(header["kid"], "abc123def456");
    assert_eq!(header["alg"], "RS256");
    let claims = claims(&assertion);
    assert_eq!(claims["iss"], "runner@demo.iam.gserviceaccount.com");
    assert_eq!(claims["sub"], "runner@demo.iam.gserviceaccount.com");
    assert_eq!(claims["aud"], token_uri);
    assert_eq!(claims["scope"], "https://www.googleapis.com/auth/cloud-platform");
}

#[test]
fn google_service_account_from_env_signs() {
    let toml = credential("api", "key_env = \"TEST_SA\"\nkey_format = \"google-service-account\"");
    let setup = Setup::new(&toml);
    let token = setup.token("api", &[("TEST_SA", &service_account("https://unused.example"))]);
    let header = verify(&token, "rsa2048-public.pem", Algorithm::RS256);
    assert_eq!(header["kid"], "abc123def456");
    assert_eq!(claims(&token)["iss"], "iss", "an explicit issuer wins over client_email");
}

#[test]
fn key_format_mismatch_exit_8() {
    let toml = [
        credential(
            "pem",
            &format!(
                "key_path = \"{}\"\nkey_format = \"pem\"",
                fixture("rsa2048.jwk.json").display()
            ),
        ),
        credential(
            "jwk",
            &format!(
                "key_path = \"{}\"\nkey_format = \"jwk\"",
                fixture("rsa2048-pkcs8.pem").display()
            ),
        ),
        credential(
            "bad",
            &format!("key_path = \"{}\"\nkey_format = \"der\"", fixture("rsa2048.der").display()),
        ),
    ]
    .concat();
    let setup = Setup::new(&toml);
    for (name, expected) in [("pem", "is JSON"), ("jwk", "is PEM, but"), ("bad", "`key_format`")] {
        let (code, stderr) = setup.failure(name, &[]);
        assert_eq!(code, Some(8), "{stderr}");
        assert!(stderr.contains(expected), "{name}: {stderr}");
    }
}

#[test]
fn encrypted_pkcs8_with_passphrase() {
    let path = fixture("rsa2048-pkcs8-encrypted.pem");
    let toml = [
        credential(
            "file",
            &format!("key_path = \"{}\"\nkey_passphrase_env = \"TEST_PASS\"", path.display()),
        ),
        credential("env", "key_env = \"TEST_ENC\"\nkey_passphrase_env = \"TEST_PASS\""),
    ]
    .concat();
    let setup = Setup::new(&toml);
    let token = setup.token("file", &[("TEST_PASS", PASSPHRASE)]);
    verify(&token, "rsa2048-public.pem", Algorithm::RS256);
    let escaped = read_fixture("rsa2048-pkcs8-encrypted.pem").replace('\n', "\\n");
    let token = setup.token("env", &[("TEST_PASS", PASSPHRASE), ("TEST_ENC", &escaped)]);
    verify(&token, "rsa2048-public.pem", Algorithm::RS256);
}

#[test]
fn encrypted_pkcs8_passphrase_errors_exit_8() {
    let path = fixture("rsa2048-pkcs8-encrypted.pem");
    let toml = [
        credential(
            "with",
            &format!("key_path = \"{}\"\nkey_passphrase_env = \"TEST_PASS\"", path.display()),
        ),
        credential("without", &format!("key_path = \"{}\"", path.display())),
    ]
    .concat();
    let setup = Setup::new(&toml);
    let wrong = "wrong-secret-words";
    let cases: [(&str, Env, &str); 4] = [
        ("with", &[("TEST_PASS", wrong)], "wrong"),
        ("with", &[], "not set"),
        ("with", &[("TEST_PASS", "")], "empty"),
        ("without", &[], "no passphrase"),
    ];
    for (name, env, expected) in cases {
        let (code, stderr) = setup.failure(name, env);
        assert_eq!(code, Some(8), "{stderr}");
        assert!(stderr.contains(expected), "{expected}: {stderr}");
        assert!(stderr.contains("passphrase"), "{stderr}");
        assert!(!stderr.contains(wrong), "the passphrase leaked: {stderr}");
    }
}

#[test]
fn key_source_conflicts_exit_8() {
    let path = fixture("rsa2048-pkcs8.pem");
    let cases = [
        (format!("key_path = \"{}\"\nkey_env = \"X\"", path.display()), "cannot be combined"),
        ("secret_env = \"TEST_SECRET\"\nkey_format = \"jwk\"".to_string(), "HMAC secret"),
        (String::new(), "`key_path`"),
    ];
    for (lines, expected) in cases {
        let setup = Setup::new(&credential("api", &lines));
        let (code, stderr) = setup.failure("api", &[("TEST_SECRET", "s")]);
        assert_eq!(code, Some(8), "{stderr}");
        assert!(stderr.contains(expected), "{expected}: {stderr}");
    }
}

#[test]
fn jwk_oct_is_an_hmac_secret_with_its_alg() {
    let secret = b"jwk-oct-secret-for-tests-0123456789abcdef-0123456";
    let jwk =
        json!({"kty": "oct", "k": URL_SAFE_NO_PAD.encode(secret), "alg": "HS384", "kid": "h1"});
    let setup = Setup::new(&credential("api", "key_env = \"TEST_JWK\""));
    let token = setup.token("api", &[("TEST_JWK", &jwk.to_string())]);
    let mut validation = Validation::new(Algorithm::HS384);
    validation.set_audience(&["aud"]);
    jsonwebtoken::decode::<Value>(&token, &DecodingKey::from_secret(secret).unwrap(), &validation)
        .unwrap_or_else(|e| panic!("HS384 token did not verify: {e}"));
    let header = token.split('.').next().unwrap();
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap();
    assert_eq!(header["alg"], "HS384");
    assert_eq!(header["kid"], "h1");
}

#[test]
fn encrypted_pkcs8_des3_sha1_and_der_load() {
    let toml = ["des3", "sha1", "der"]
        .map(|scheme| {
            let file = match scheme {
                "der" => "rsa2048-pkcs8-encrypted.der".to_string(),
                _ => format!("rsa2048-pkcs8-encrypted-{scheme}.pem"),
            };
            let path = fixture(&file);
            credential(
                scheme,
                &format!("key_path = \"{}\"\nkey_passphrase_env = \"TEST_PASS\"", path.display()),
            )
        })
        .concat();
    let setup = Setup::new(&toml);
    for scheme in ["des3", "sha1", "der"] {
        let token = setup.token(scheme, &[("TEST_PASS", PASSPHRASE)]);
        verify(&token, "rsa2048-public.pem", Algorithm::RS256);
    }
}

#[test]
fn encrypted_pkcs8_pbes1_names_scheme_and_fix() {
    let path = fixture("rsa2048-pkcs8-encrypted-pbes1.pem");
    let lines = format!("key_path = \"{}\"\nkey_passphrase_env = \"TEST_PASS\"", path.display());
    let setup = Setup::new(&credential("api", &lines));
    let (code, stderr) = setup.failure("api", &[("TEST_PASS", PASSPHRASE)]);
    assert_eq!(code, Some(8), "{stderr}");
    assert!(stderr.contains("PKCS#12-style PBES1"), "{stderr}");
    assert!(stderr.contains("-passin env:TEST_PASS"), "{stderr}");
    assert!(stderr.contains("openssl pkcs8 -topk8 -v2 aes-256-cbc"), "{stderr}");
    assert!(!stderr.contains(PASSPHRASE), "the passphrase leaked: {stderr}");
}

#[test]
fn encrypted_pkcs8_unknown_cipher_names_fix() {
    let path = fixture("rsa2048-pkcs8-encrypted-camellia.pem");
    let lines = format!("key_path = \"{}\"\nkey_passphrase_env = \"TEST_PASS\"", path.display());
    let setup = Setup::new(&credential("api", &lines));
    let (code, stderr) = setup.failure("api", &[("TEST_PASS", PASSPHRASE)]);
    assert_eq!(code, Some(8), "{stderr}");
    assert!(stderr.contains("PBES2 cipher or PRF that namedcred does not support"), "{stderr}");
    assert!(stderr.contains("openssl pkcs8 -topk8 -v2 aes-256-cbc"), "{stderr}");
    assert!(!stderr.contains(PASSPHRASE), "the passphrase leaked: {stderr}");
}

#[test]
fn google_key_file_error_not_masked() {
    let mut garbage: Value = serde_json::from_str(&service_account("https://unused")).unwrap();
    garbage["private_key"] = json!("garbage");
    let garbage = setup_file("sa.json", &garbage.to_string());
    let user = json!({
        "type": "authorized_user",
        "client_id": "1.apps.googleusercontent.com",
        "client_secret": "user-secret",
        "refresh_token": "1//refresh",
    });
    let user = setup_file("application_default_credentials.json", &user.to_string());
    let cases = [
        (&garbage, "`private_key` in", "--iam-account=runner@demo.iam.gserviceaccount.com"),
        (&user, "authorized_user", "gcloud iam service-accounts keys create"),
    ];
    for (file, expected, hint) in cases {
        for protocol in ["", "protocol = \"jwt\"\n"] {
            let toml = format!(
                "[credentials.gcp]\npreset = \"google-service-account\"\n{protocol}\
                 url = \"https://storage.googleapis.com/storage/v1\"\nkey_path = \"{}\"\n\
                 scope = \"https://www.googleapis.com/auth/devstorage.read_only\"\n",
                file.display()
            );
            let (code, stderr) = Setup::new(&toml).failure("gcp", &[]);
            assert_eq!(code, Some(8), "{stderr}");
            assert!(stderr.contains(expected), "{expected}: {stderr}");
            assert!(stderr.contains(hint), "{hint}: {stderr}");
            assert!(!stderr.contains("is missing"), "{stderr}");
            assert!(!stderr.contains("user-secret"), "{stderr}");
        }
    }
}

#[test]
fn google_user_credential_detected_without_preset() {
    let user = json!({"type": "authorized_user", "client_id": "c", "refresh_token": "r"});
    let setup = Setup::new(&credential("api", "key_env = \"TEST_SA\""));
    let (code, stderr) = setup.failure("api", &[("TEST_SA", &user.to_string())]);
    assert_eq!(code, Some(8), "{stderr}");
    assert!(stderr.contains("authorized_user"), "{stderr}");
    assert!(stderr.contains("gcloud iam service-accounts keys create"), "{stderr}");
}

#[test]
fn jwk_with_mismatched_parts_named() {
    let ec: Value = serde_json::from_str(&read_fixture("ec-p256.jwk.json")).unwrap();
    let rsa: Value = serde_json::from_str(&read_fixture("rsa2048.jwk.json")).unwrap();
    let der = STANDARD.decode(pem_body(&read_fixture("ed25519-pkcs8.pem"))).unwrap();
    let seed = URL_SAFE_NO_PAD.encode(&der[der.len() - 32..]);
    let mut wrong_x = ec.clone();
    wrong_x["x"] = ec["y"].clone();
    let mut wrong_n = rsa.clone();
    wrong_n["n"] = rsa["d"].clone();
    let okp =
        json!({"kty": "OKP", "crv": "Ed25519", "d": seed, "x": URL_SAFE_NO_PAD.encode([7u8; 32])});
    let cases = [
        (wrong_x, "public part (`x` and `y`) does not match its private part"),
        (wrong_n, "are not the parts of one key"),
        (okp, "public part (`x`) does not match its private part"),
    ];
    let setup = Setup::new(&credential("api", "key_env = \"TEST_JWK\""));
    for (jwk, expected) in cases {
        let (code, stderr) = setup.failure("api", &[("TEST_JWK", &jwk.to_string())]);
        assert_eq!(code, Some(8), "{stderr}");
        assert!(stderr.contains(expected), "{expected}: {stderr}");
        assert!(!stderr.contains("neither a PEM"), "{stderr}");
    }
}

#[test]
fn pem_key_as_hmac_secret_rejected() {
    let pem = read_fixture("ec-p256-pkcs8.pem");
    let path = fixture("rsa2048-pkcs1.pem");
    let toml = [
        credential("env", "secret_env = \"TEST_SECRET\""),
        credential("file", &format!("secret_path = \"{}\"", path.display())),
    ]
    .concat();
    let setup = Setup::new(&toml);
    let cases = [
        ("env", "PRIVATE KEY", "key_env = \"TEST_SECRET\""),
        ("file", "RSA PRIVATE KEY", "key_path = "),
    ];
    let rsa_body = read_fixture("rsa2048-pkcs1.pem");
    for (name, label, hint) in cases {
        let (code, stderr) = setup.failure(name, &[("TEST_SECRET", &pem)]);
        assert_eq!(code, Some(8), "{stderr}");
        assert!(stderr.contains("a PEM private key"), "{stderr}");
        assert!(stderr.contains(&format!("({label})")), "{stderr}");
        assert!(stderr.contains(hint), "{hint}: {stderr}");
        for line in pem.lines().chain(rsa_body.lines()).filter(|l| !l.starts_with("-----")) {
            assert!(!stderr.contains(line), "key text leaked: {stderr}");
        }
    }
}

//! Interoperability tests: tokens that namedcred signs are judged by
//! implementations from other projects (PyJWT and Authlib from PyPI, `jose`
//! from npm), never by the JWT library namedcred itself uses. See
//! `tests/peers` for how the peers are installed and started.

mod peers;
mod support;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use support::{fixture, hermetic_cmd};

/// One credential to sign with: its name, key file, algorithm, and the
/// file whose public key verifies it (the same key in a form every peer
/// reads).
struct Case {
    name: String,
    key: PathBuf,
    algorithm: &'static str,
    twin: PathBuf,
    /// TOML lines appended to the credential's table.
    extra: String,
}

impl Case {
    /// A case whose key file is a fixture.
    fn new(name: &str, key: &str, algorithm: &'static str, twin: &str) -> Case {
        Case::at(name, fixture(key), algorithm, fixture(twin))
    }

    /// A case whose key file may be anywhere.
    fn at(name: &str, key: PathBuf, algorithm: &'static str, twin: PathBuf) -> Case {
        Case { name: name.to_string(), key, algorithm, twin, extra: String::new() }
    }

    /// The lifetime of this case's tokens, varied so that the verifiers'
    /// `exp - iat` check sees more than one value.
    fn lifetime(&self) -> u64 {
        60 + 7 * self.name.len() as u64
    }

    /// The credential's TOML table.
    fn toml(&self) -> String {
        let key_line = if self.algorithm.starts_with("HS") {
            format!("secret_path = {:?}", self.key.display().to_string())
        } else {
            format!("key_path = {:?}", self.key.display().to_string())
        };
        format!(
            "[credentials.{n}]\nprotocol = \"jwt\"\nurl = \"http://127.0.0.1:9/\"\n\
             issuer = \"iss-{n}\"\nsubject = \"sub-{n}\"\naudience = \"https://aud.test/{n}\"\n\
             algorithm = \"{a}\"\nkey_id = \"kid-{n}\"\nlifetime = {l}\n{key_line}\n{e}\n",
            n = self.name,
            a = self.algorithm,
            l = self.lifetime(),
            e = self.extra,
        )
    }

    /// What a verifier must find in this case's tokens.
    fn expect(&self) -> Value {
        json!({
            "alg": self.algorithm, "typ": "JWT", "kid": format!("kid-{}", self.name),
            "iss": format!("iss-{}", self.name), "sub": format!("sub-{}", self.name),
            "aud": format!("https://aud.test/{}", self.name), "lifetime": self.lifetime(),
        })
    }

    /// The key a verifier checks the signature with: the HMAC secret, or
    /// the public key as the Python peer's `cryptography` reads it.
    fn verifying_key(&self) -> String {
        if self.algorithm.starts_with("HS") {
            return std::fs::read_to_string(&self.twin).unwrap();
        }
        let reply = peers::python().post("/public", &json!({ "path": self.twin }));
        reply["pem"].as_str().expect("the Python peer read no public key").to_string()
    }
}

/// A folder with a configuration of the given cases.
struct Setup {
    dir: tempfile::TempDir,
}

impl Setup {
    /// Writes the configuration of `cases`.
    fn new(cases: &[Case]) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let toml: String = cases.iter().map(Case::toml).collect();
        std::fs::write(dir.path().join("credentials.toml"), toml).unwrap();
        Setup { dir }
    }

    /// Returns a command of the binary with this configuration.
    fn cmd(&self) -> assert_cmd::Command {
        let mut command = hermetic_cmd(self.dir.path());
        command.arg("--config").arg(self.dir.path().join("credentials.toml"));
        command
    }

    /// Runs `namedcred token NAME` and returns the token.
    fn token(&self, name: &str) -> String {
        let output = self.cmd().args(["token", name]).output().unwrap();
        assert!(
            output.status.success(),
            "token {name} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap().trim_end().to_string()
    }
}

/// Sends the tokens of every case to both verifiers and panics with every
/// rejection. `tokens[i]` belongs to `cases[i]`.
fn assert_both_verify(cases: &[Case], tokens: &[String]) {
    let requests: Vec<Value> = cases
        .iter()
        .zip(tokens)
        .map(|(case, token)| {
            json!({ "token": token, "key": case.verifying_key(), "expect": case.expect() })
        })
        .collect();
    assert_verified(&requests, &|i| cases[i].name.clone());
}

/// Sends verification requests to both peers and panics with every
/// rejection, naming each case with `label`.
fn assert_verified(requests: &[Value], label: &dyn Fn(usize) -> String) {
    let mut failures = Vec::new();
    for (peer, name) in [(peers::python(), "PyJWT"), (peers::node(), "jose")] {
        for (i, result) in peer.verify(requests).into_iter().enumerate() {
            if let Err(reason) = result {
                failures.push(format!("{name} rejected {}: {reason}", label(i)));
            }
        }
    }
    assert!(failures.is_empty(), "{} rejections:\n{}", failures.len(), failures.join("\n"));
}

/// Decodes a token's claim set as JSON text.
fn claims_text(token: &str) -> String {
    let segment = token.split('.').nth(1).unwrap();
    String::from_utf8(URL_SAFE_NO_PAD.decode(segment).unwrap()).unwrap()
}

/// Every algorithm, and every fixture form of each key.
fn algorithm_and_form_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for alg in ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"] {
        cases.push(Case::new(&alg.to_lowercase(), "rsa2048-pkcs8.pem", alg, "rsa2048-pkcs8.pem"));
    }
    let rsa_forms = [
        "rsa2048-pkcs1.pem",
        "rsa2048-pkcs1.der",
        "rsa2048.der",
        "rsa2048-pkcs8-crlf.pem",
        "rsa2048-pkcs8-cr.pem",
        "rsa2048-pkcs8-padded.pem",
    ];
    for (i, file) in rsa_forms.iter().enumerate() {
        cases.push(Case::new(&format!("rsa_form{i}"), file, "PS256", "rsa2048-pkcs8.pem"));
    }
    let others = [
        ("rsa3072", "rsa3072-pkcs8.pem", "RS384", "rsa3072-pkcs8.pem"),
        ("rsa4096", "rsa4096-pkcs8.pem", "RS512", "rsa4096-pkcs8.pem"),
        ("rsa_pss", "rsa-pss-pkcs8.pem", "PS256", "rsa-pss-pkcs8.pem"),
        ("es256", "ec-p256-pkcs8.pem", "ES256", "ec-p256-pkcs8.pem"),
        ("es256_sec1", "ec-p256-sec1.pem", "ES256", "ec-p256-pkcs8.pem"),
        ("es256_sec1_crlf", "ec-p256-sec1-crlf.pem", "ES256", "ec-p256-pkcs8.pem"),
        ("es256_params", "ec-p256-sec1-params.pem", "ES256", "ec-p256-sec1-params.pem"),
        ("es384", "ec-p384-pkcs8.pem", "ES384", "ec-p384-pkcs8.pem"),
        ("es384_sec1", "ec-p384-sec1.pem", "ES384", "ec-p384-pkcs8.pem"),
        ("eddsa", "ed25519-pkcs8.pem", "EdDSA", "ed25519-pkcs8.pem"),
        ("ssh_ed25519", "openssh-ed25519", "EdDSA", "openssh-ed25519"),
        ("ssh_p256", "openssh-ecdsa-p256", "ES256", "openssh-ecdsa-p256"),
        ("ssh_p384", "openssh-ecdsa-p384", "ES384", "openssh-ecdsa-p384"),
        ("utf16", "ec-p256-pkcs8-utf16.pem", "ES256", "ec-p256-pkcs8.pem"),
        ("bom", "ec-p256-pkcs8-bom.pem", "ES256", "ec-p256-pkcs8.pem"),
        ("escaped", "ec-p256-pkcs8-escaped.txt", "ES256", "ec-p256-pkcs8.pem"),
        ("ec_jwk", "ec-p256.jwk.json", "ES256", "ec-p256-pkcs8.pem"),
        ("rsa_jwk", "rsa2048.jwk.json", "RS256", "rsa2048-pkcs8.pem"),
        ("bundle", "rsa2048-cert-and-key.pem", "RS256", "rsa2048-pkcs8.pem"),
        ("hs256", "hmac-secret.txt", "HS256", "hmac-secret.txt"),
        ("hs384", "hmac-secret.txt", "HS384", "hmac-secret.txt"),
        ("hs512", "hmac-secret.txt", "HS512", "hmac-secret.txt"),
    ];
    for (name, key, alg, twin) in others {
        cases.push(Case::new(name, key, alg, twin));
    }
    cases
}

#[test]
fn every_algorithm_and_key_form_passes_both_verifiers() {
    let cases = algorithm_and_form_cases();
    let setup = Setup::new(&cases);
    let tokens: Vec<String> = cases.iter().map(|c| setup.token(&c.name)).collect();
    assert_both_verify(&cases, &tokens);
}

/// Mints `count` tokens for `case` in this process, through the library,
/// which is much faster than one process per token.
fn mint_many(case: &Case, count: usize) -> Vec<String> {
    use namedcred::credential::{Audience, HeaderSpec, JwtSpec};
    use namedcred::key::{SigningKey, load_file, parse_algorithm};
    let algorithm = parse_algorithm(case.algorithm).unwrap();
    let key = load_file(&case.key).unwrap();
    let spec = JwtSpec {
        issuer: format!("iss-{}", case.name),
        subject: Some(format!("sub-{}", case.name)),
        audience: Some(Audience::One(format!("https://aud.test/{}", case.name))),
        lifetime: case.lifetime(),
        extra_claims: Default::default(),
        key: SigningKey::new(key, Some(algorithm), Some(format!("kid-{}", case.name))).unwrap(),
        header: HeaderSpec::default(),
        clock_skew: 0,
        not_before: false,
    };
    (0..count).map(|_| namedcred::token::mint(&spec).unwrap().expose().clone()).collect()
}

#[test]
fn ecdsa_signatures_are_fixed_width_and_verify_independently() {
    let p256 = Case::new("many256", "ec-p256-pkcs8.pem", "ES256", "ec-p256-pkcs8.pem");
    let p384 = Case::new("many384", "ec-p384-pkcs8.pem", "ES384", "ec-p384-pkcs8.pem");
    for (case, count, width) in [(p256, 2000, 64), (p384, 500, 96)] {
        let tokens = mint_many(&case, count);
        let mut short_scalars = 0;
        for token in &tokens {
            let signature = URL_SAFE_NO_PAD.decode(token.rsplit('.').next().unwrap()).unwrap();
            assert_eq!(signature.len(), width, "{} signature of {token}", case.algorithm);
            let (r, s) = signature.split_at(width / 2);
            short_scalars += usize::from(r[0] == 0 || s[0] == 0);
        }
        // About one signature in 128 has an r or s with a leading zero
        // byte; that is where DER-to-raw conversions go wrong. 2,000
        // signatures miss one with odds near 1 in 6 million; 500 would
        // miss with odds near 1 in 50, so only the larger run asserts it.
        if count >= 2000 {
            assert!(short_scalars > 0, "no {} signature had a leading zero byte", case.algorithm);
        }
        let key = case.verifying_key();
        let requests: Vec<Value> = tokens
            .iter()
            .map(|t| json!({ "token": t, "key": key, "expect": case.expect() }))
            .collect();
        assert_verified(&requests, &|i| format!("{} token {i}: {}", case.algorithm, tokens[i]));
    }
}

#[test]
fn segments_are_unpadded_base64url_for_every_length() {
    let cases: Vec<Case> = (0..6)
        .map(|i| {
            let mut case =
                Case::new(&format!("seg{i}"), "ed25519-pkcs8.pem", "EdDSA", "ed25519-pkcs8.pem");
            case.extra = format!("[credentials.seg{i}.claims]\nnote = \"{}\"\n", "x".repeat(i));
            case
        })
        .collect();
    let setup = Setup::new(&cases);
    let tokens: Vec<String> = cases.iter().map(|c| setup.token(&c.name)).collect();
    let mut remainders = HashSet::new();
    for token in &tokens {
        for segment in token.split('.') {
            let clean =
                segment.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            assert!(!segment.is_empty(), "empty segment in {token}");
            assert!(clean, "segment {segment:?} of {token}");
        }
        remainders.insert(claims_text(token).len() % 3);
    }
    assert_eq!(remainders.len(), 3, "claim sets should cover every length modulo 3");
    assert_both_verify(&cases, &tokens);
}

#[test]
fn times_are_integers_that_ignore_time_zone() {
    let mut case = Case::new("tz", "ec-p256-pkcs8.pem", "ES256", "ec-p256-pkcs8.pem");
    case.extra = "not_before = true\n".to_string();
    let setup = Setup::new(std::slice::from_ref(&case));
    let mut issued = Vec::new();
    for zone in ["UTC", "America/St_Johns", "Asia/Kathmandu", "Pacific/Kiritimati", "EST5EDT"] {
        let output = setup.cmd().env("TZ", zone).args(["token", "tz"]).output().unwrap();
        assert!(output.status.success(), "TZ={zone}: {}", String::from_utf8_lossy(&output.stderr));
        let token = String::from_utf8(output.stdout).unwrap().trim_end().to_string();
        let claims: Value = serde_json::from_str(&claims_text(&token)).unwrap();
        for name in ["iat", "exp", "nbf"] {
            assert!(claims[name].is_u64(), "TZ={zone}: {name} is {} in {claims}", claims[name]);
        }
        issued.push(claims["iat"].as_u64().unwrap());
        assert_both_verify(std::slice::from_ref(&case), &[token]);
    }
    let now = namedcred::token::now();
    // The runs take well under a minute; a time zone would shift iat by
    // at least 30 minutes.
    assert!(issued.iter().all(|&iat| iat.abs_diff(now) < 60), "iat {issued:?}, now {now}");
}

/// Writes `text` to `name` in `dir` and returns the path.
fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn key_file_line_endings_and_padding() {
    let dir = tempfile::tempdir().unwrap();
    let rsa = std::fs::read_to_string(fixture("rsa2048-pkcs8.pem")).unwrap();
    let ec = std::fs::read_to_string(fixture("ec-p256-sec1-params.pem")).unwrap();
    assert!(ec.contains("EC PARAMETERS"), "the fixture should start with EC PARAMETERS");
    let variants = [
        ("lf", rsa.clone()),
        ("crlf", rsa.replace('\n', "\r\n")),
        ("cr", rsa.replace('\n', "\r")),
        ("trailing", rsa.replace('\n', " \t\n")),
        ("blank", format!("\n\n  \n{rsa}\n\n\t\n")),
        ("params", ec.clone()),
        ("params_crlf", format!("\r\n{}\r\n\r\n", ec.replace('\n', "\r\n"))),
        ("params_cr", ec.replace('\n', "\r")),
    ];
    let cases: Vec<Case> = variants
        .iter()
        .map(|(name, text)| {
            let path = write(dir.path(), &format!("{name}.pem"), text);
            let (alg, twin) = if name.starts_with("params") {
                ("ES256", "ec-p256-sec1-params.pem")
            } else {
                ("RS256", "rsa2048-pkcs8.pem")
            };
            Case::at(&format!("file_{name}"), path, alg, fixture(twin))
        })
        .collect();
    let setup = Setup::new(&cases);
    let tokens: Vec<String> = cases.iter().map(|c| setup.token(&c.name)).collect();
    assert_both_verify(&cases, &tokens);
}

#[test]
fn jti_is_unique_across_tokens() {
    let cases = algorithm_and_form_cases();
    let setup = Setup::new(&cases);
    let mut tokens: Vec<String> = cases.iter().map(|c| setup.token(&c.name)).collect();
    tokens.extend(mint_many(&cases[0], 500));
    let jtis: HashSet<String> = tokens
        .iter()
        .map(|t| serde_json::from_str::<Value>(&claims_text(t)).unwrap()["jti"].to_string())
        .collect();
    assert_eq!(jtis.len(), tokens.len(), "some tokens share a jti");
}

#[test]
fn exchange_and_call_through_authlib_token_endpoint() {
    let peer = peers::python();
    for (name, key, alg) in
        [("xes", "ec-p256-pkcs8.pem", "ES256"), ("xrs", "rsa2048-pkcs1.pem", "RS256")]
    {
        let case = Case::new(name, key, alg, key);
        let issuer = format!("iss-{name}");
        let client = json!({ "issuer": issuer, "key": case.verifying_key(), "subject": format!("sub-{name}") });
        peer.post("/clients", &client);
        let toml = format!(
            "[credentials.{name}]\nprotocol = \"jwt-exchange\"\nurl = {api:?}\n\
             token_endpoint = {token:?}\nissuer = \"{issuer}\"\nsubject = \"sub-{name}\"\n\
             scope = [\"read\", \"write\"]\nalgorithm = \"{alg}\"\nkey_path = {path:?}\n",
            api = peer.url("/api"),
            token = peer.url("/token"),
            path = case.key.display().to_string(),
        );
        let setup = Setup::new(&[]);
        std::fs::write(setup.dir.path().join("credentials.toml"), toml).unwrap();

        let output = setup.cmd().args(["exchange", name]).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "exchange {name}: {stderr}");
        let access = String::from_utf8(output.stdout).unwrap();
        assert!(access.starts_with("at-"), "exchange {name} printed {access:?}");

        let output = setup.cmd().args(["call", name, "/orders"]).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "call {name}: {stderr}");
        let reply: Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(
            reply,
            json!({ "path": "/api/orders", "client": issuer, "scope": "read write" })
        );
    }
}

/// Writes a jwt-exchange credential for `case`, aimed at the Python peer,
/// and registers its key there under the issuer `iss-NAME`.
fn exchange_setup(case: &Case, subject: &str) -> Setup {
    let peer = peers::python();
    let issuer = format!("iss-{}", case.name);
    let client = json!({ "issuer": issuer, "key": case.verifying_key(), "subject": subject });
    peer.post("/clients", &client);
    let key_line = if case.algorithm.starts_with("HS") { "secret_path" } else { "key_path" };
    let toml = format!(
        "[credentials.{name}]\nprotocol = \"jwt-exchange\"\nurl = {api:?}\n\
         token_endpoint = {token:?}\nissuer = \"{issuer}\"\nsubject = \"{subject}\"\n\
         algorithm = \"{alg}\"\n{key_line} = {path:?}\n",
        name = case.name,
        alg = case.algorithm,
        api = peer.url("/api"),
        token = peer.url("/token"),
        path = case.key.display().to_string(),
    );
    let setup = Setup::new(&[]);
    std::fs::write(setup.dir.path().join("credentials.toml"), toml).unwrap();
    setup
}

#[test]
fn authlib_accepts_every_algorithm_in_exchange() {
    let mut failures = Vec::new();
    for case in algorithm_and_form_cases().into_iter().filter(|c| !c.name.contains('_')) {
        let setup = exchange_setup(&case, "robot");
        let output = setup.cmd().args(["exchange", &case.name]).output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        if !output.status.success() || !stdout.starts_with("at-") {
            let stderr = String::from_utf8_lossy(&output.stderr);
            failures.push(format!("{} ({}): {stderr}", case.name, case.algorithm));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn authlib_token_endpoint_rejects_a_foreign_key() {
    let peer = peers::python();
    let registered =
        Case::new("xother", "ec-p256-sec1-params.pem", "ES256", "ec-p256-sec1-params.pem");
    let client = json!({ "issuer": "iss-xforeign", "key": registered.verifying_key() });
    peer.post("/clients", &client);
    let toml = format!(
        "[credentials.xforeign]\nprotocol = \"jwt-exchange\"\nurl = {api:?}\n\
         token_endpoint = {token:?}\nissuer = \"iss-xforeign\"\nsubject = \"s\"\nkey_path = {path:?}\n",
        api = peer.url("/api"),
        token = peer.url("/token"),
        path = fixture("ec-p256-pkcs8.pem").display().to_string(),
    );
    let setup = Setup::new(&[]);
    std::fs::write(setup.dir.path().join("credentials.toml"), toml).unwrap();
    let output = setup.cmd().args(["exchange", "xforeign"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(7), "{stderr}");
    assert!(stderr.contains("invalid_grant"), "{stderr}");
}

#[test]
fn client_credentials_with_private_key_jwt_through_authlib() {
    let peer = peers::python();
    // joserfc, under Authlib, accepts only its recommended algorithms by
    // default, which leave out EdDSA; ES256 is among them.
    let case = Case::new("cc", "ec-p256-sec1-params.pem", "ES256", "ec-p256-sec1-params.pem");
    peer.post("/clients", &json!({ "issuer": "cc-app", "key": case.verifying_key() }));
    let toml = format!(
        "[credentials.cc]\nprotocol = \"jwt-exchange\"\ngrant = \"client-credentials\"\n\
         url = {api:?}\ntoken_endpoint = {token:?}\nclient_id = \"cc-app\"\n\
         scope = \"reports.read\"\nkey_path = {path:?}\n",
        api = peer.url("/api"),
        token = peer.url("/token"),
        path = case.key.display().to_string(),
    );
    let setup = Setup::new(&[]);
    std::fs::write(setup.dir.path().join("credentials.toml"), toml).unwrap();

    // Authlib refuses a client assertion whose jti it has seen, so the
    // second exchange passes only with a fresh jti.
    for _ in 0..2 {
        let output = setup.cmd().args(["exchange", "cc"]).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "exchange cc: {stderr}");
    }
    let output = setup.cmd().args(["call", "cc", "/reports"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "call cc: {stderr}");
    let reply: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        reply,
        json!({ "path": "/api/reports", "client": "cc-app", "scope": "reports.read" })
    );
}

//! Integration tests of header and time control: extra JOSE header
//! parameters, `typ`, certificate thumbprints, `clock_skew` and
//! `not_before`. Thumbprints are computed independently with openssl.

mod support;

use std::path::PathBuf;
use std::process::{Command as StdCommand, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};
use support::{fixture, hermetic_cmd};
use tempfile::TempDir;

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

    fn run(&self, name: &str) -> std::process::Output {
        hermetic_cmd(self.home.path())
            .arg("--config")
            .arg(&self.config)
            .args(["token", name])
            .output()
            .unwrap()
    }

    fn token(&self, name: &str) -> String {
        let output = self.run(name);
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap().trim_end().to_string()
    }
}

/// Returns an RS-signed jwt credential with extra lines.
fn credential(name: &str, extra: &str) -> String {
    format!(
        "[credentials.{name}]\nprotocol = \"jwt\"\nurl = \"http://127.0.0.1:9\"\n\
         issuer = \"iss\"\nkey_path = \"{}\"\nkey_id = \"k1\"\n{extra}\n",
        fixture("rsa2048-pkcs8.pem").display()
    )
}

fn segment(token: &str, index: usize) -> Value {
    let part = token.split('.').nth(index).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

fn verify(token: &str, algorithm: Algorithm) {
    let pem = std::fs::read(fixture("rsa2048-public.pem")).unwrap();
    let mut validation = Validation::new(algorithm);
    validation.validate_aud = false;
    validation.validate_nbf = true;
    validation.set_required_spec_claims(&["exp", "iat"]);
    jsonwebtoken::decode::<Value>(token, &DecodingKey::from_rsa_pem(&pem).unwrap(), &validation)
        .unwrap_or_else(|e| panic!("token did not verify: {e}"));
}

/// Computes a certificate thumbprint with openssl: the DER of the
/// certificate, hashed with `digest`, in base64url without padding.
fn openssl_thumbprint(digest: &str) -> String {
    let der = StdCommand::new("openssl")
        .args(["x509", "-outform", "DER", "-in"])
        .arg(fixture("rsa2048-cert.pem"))
        .output()
        .expect("openssl must be installed");
    assert!(der.status.success());
    let mut hasher = StdCommand::new("openssl")
        .args(["dgst", &format!("-{digest}"), "-binary"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    hasher.stdin.take().unwrap().write_all(&der.stdout).unwrap();
    let hash = hasher.wait_with_output().unwrap();
    assert!(hash.status.success());
    URL_SAFE_NO_PAD.encode(hash.stdout)
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

#[test]
fn extra_header_parameters_and_typ() {
    let toml = [
        credential(
            "extra",
            "typ = \"at+jwt\"\n[credentials.extra.jwt_headers]\ncty = \"json\"\nver = 2\n\
             ctx = { tenant = \"t1\" }\n",
        ),
        credential("untyped", "typ = \"\""),
    ]
    .concat();
    let setup = Setup::new(&toml);
    let token = setup.token("extra");
    verify(&token, Algorithm::RS256);
    assert_eq!(
        segment(&token, 0),
        json!({"alg": "RS256", "typ": "at+jwt", "kid": "k1", "cty": "json", "ver": 2,
               "ctx": {"tenant": "t1"}})
    );
    let header = segment(&setup.token("untyped"), 0);
    assert_eq!(header, json!({"alg": "RS256", "kid": "k1"}));
}

#[test]
fn certificate_thumbprints_match_openssl() {
    let cert = fixture("rsa2048-cert.pem");
    let toml = [
        credential("s256", &format!("algorithm = \"PS256\"\ncert_path = \"{}\"", cert.display())),
        credential(
            "both",
            &format!("cert_path = \"{}\"\ncert_thumbprint = \"both\"", cert.display()),
        ),
        credential(
            "sha1",
            &format!("cert_path = \"{}\"\ncert_thumbprint = \"x5t\"", cert.display()),
        ),
    ]
    .concat();
    let setup = Setup::new(&toml);
    let sha256 = openssl_thumbprint("sha256");
    let sha1 = openssl_thumbprint("sha1");

    let token = setup.token("s256");
    verify(&token, Algorithm::PS256);
    let header = segment(&token, 0);
    assert_eq!(header["alg"], "PS256");
    assert_eq!(header["x5t#S256"], sha256);
    assert!(header.get("x5t").is_none());

    let header = segment(&setup.token("both"), 0);
    assert_eq!(header["x5t#S256"], sha256);
    assert_eq!(header["x5t"], sha1);

    let header = segment(&setup.token("sha1"), 0);
    assert_eq!(header["x5t"], sha1);
    assert!(header.get("x5t#S256").is_none());
}

#[test]
fn clock_skew_backdates_iat_and_nbf() {
    let toml = [
        credential("skewed", "clock_skew = \"2m\"\nnot_before = true\nlifetime = 300"),
        credential("plain", "lifetime = 300"),
    ]
    .concat();
    let setup = Setup::new(&toml);
    let before = now();
    let token = setup.token("skewed");
    let plain = setup.token("plain");
    let after = now();
    verify(&token, Algorithm::RS256);

    let claims = segment(&token, 1);
    let iat = claims["iat"].as_u64().unwrap();
    let exp = claims["exp"].as_u64().unwrap();
    assert!(iat >= before - 120, "iat {iat} is more than 120 s before {before}");
    assert!(iat <= after - 120, "iat {iat} is less than 120 s before {after}");
    assert_eq!(claims["nbf"], iat);
    assert_eq!(exp - iat, 420, "exp stays now plus the lifetime");

    let claims = segment(&plain, 1);
    assert!(claims.get("nbf").is_none());
    assert_eq!(claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(), 300);
}

#[test]
fn certificate_of_other_key_rejected() {
    let setup = Setup::new("");
    let cert = setup.home.path().join("ec-cert.pem");
    let status = std::process::Command::new("openssl")
        .args(["req", "-x509", "-new", "-subj", "/CN=other", "-days", "1", "-key"])
        .arg(fixture("ec-p256-pkcs8.pem"))
        .arg("-out")
        .arg(&cert)
        .status()
        .expect("openssl must be installed");
    assert!(status.success());
    std::fs::write(
        &setup.config,
        credential("api", &format!("cert_path = \"{}\"", cert.display())),
    )
    .unwrap();
    let output = setup.run("api");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(8), "{stderr}");
    assert!(output.stdout.is_empty());
    assert!(stderr.contains("`cert_path`"), "{stderr}");
    assert!(stderr.contains("public key of another key pair"), "{stderr}");

    let hmac = format!(
        "[credentials.mac]\nprotocol = \"jwt\"\nurl = \"http://127.0.0.1:9\"\nissuer = \"iss\"\n\
         secret_env = \"HEADERS_HMAC\"\ncert_path = \"{}\"\n",
        fixture("rsa2048-cert.pem").display()
    );
    std::fs::write(&setup.config, hmac).unwrap();
    let output = hermetic_cmd(setup.home.path())
        .arg("--config")
        .arg(&setup.config)
        .args(["token", "mac"])
        .env("HEADERS_HMAC", "a-secret-of-at-least-thirty-two-bytes-0123456789")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(8), "{stderr}");
    assert!(stderr.contains("HMAC secret has no public key"), "{stderr}");
}

#[test]
fn header_config_errors_exit_8() {
    let key = fixture("rsa2048-pkcs8.pem");
    let cases = [
        ("[credentials.api.jwt_headers]\nalg = \"none\"".to_string(), "jwt_headers.alg"),
        ("[credentials.api.jwt_headers]\nx5t = \"a\"".to_string(), "cert_path"),
        ("cert_thumbprint = \"x5t\"".to_string(), "`cert_thumbprint`"),
        (format!("cert_path = \"{}\"", key.display()), "no -----BEGIN CERTIFICATE"),
        ("cert_path = \"missing.pem\"".to_string(), "`cert_path`"),
        ("clock_skew = \"soon\"".to_string(), "`clock_skew`"),
        ("[credentials.api.claims]\nnbf = 1".to_string(), "not_before"),
    ];
    for (extra, expected) in cases {
        let setup = Setup::new(&credential("api", &extra));
        let output = setup.run("api");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(8), "{expected}: {stderr}");
        assert!(stderr.contains(expected), "{expected}: {stderr}");
    }
}

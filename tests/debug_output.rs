//! Debug output of the parsed configuration and of a ready credential
//! never contains key material, header values that may be secrets, or
//! token endpoint parameters such as a client secret.

mod support;

use std::path::PathBuf;

use namedcred::config::Config;
use support::fixture;

const HEADER_CANARY: &str = "header-canary-4f1e9a";
const PARAM_CANARY: &str = "client-secret-canary-8b2c7d";
const CLAIM_CANARY: &str = "claim-value-canary-3e5a1c";

/// Returns the base64 lines of the private key in a PEM file, which must
/// never be printed. A certificate before the key is skipped.
fn key_lines(file: &str) -> Vec<String> {
    let text = std::fs::read_to_string(fixture(file)).unwrap();
    let key = &text[text.find("PRIVATE KEY-----").expect("the file has a private key")..];
    key.lines()
        .filter(|line| !line.contains("-----") && line.len() > 20)
        .map(str::to_string)
        .collect()
}

fn config_text() -> String {
    let key = std::fs::read_to_string(fixture("ec-p256-pkcs8.pem")).unwrap();
    format!(
        "[credentials.ex]\nprotocol = \"jwt-exchange\"\nurl = \"http://127.0.0.1:9/v1\"\n\
         token_endpoint = \"http://127.0.0.1:9/token\"\nissuer = \"client\"\nsubject = \"user\"\n\
         key = '''\n{key}'''\n\
         client_cert = \"{}\"\n\
         [credentials.ex.headers]\nX-Api-Key = \"{HEADER_CANARY}\"\n\
         [credentials.ex.token_params]\nclient_secret = \"{PARAM_CANARY}\"\n\
         [credentials.ex.claims]\nnote = \"{CLAIM_CANARY}\"\n",
        fixture("rsa2048-cert-and-key.pem").display()
    )
}

fn assert_clean(shown: &str, what: &str) {
    let mut secrets = key_lines("ec-p256-pkcs8.pem");
    secrets.extend(key_lines("rsa2048-cert-and-key.pem"));
    secrets.push(HEADER_CANARY.to_string());
    secrets.push(PARAM_CANARY.to_string());
    for secret in &secrets {
        assert!(!shown.contains(secret.as_str()), "{what} shows {secret:?}:\n{shown}");
    }
}

#[test]
fn config_debug_hides_secrets() {
    let config = Config::parse(&config_text(), PathBuf::from("/tmp/credentials.toml")).unwrap();
    assert_clean(&format!("{config:?}"), "Config");
    assert_clean(&format!("{:?}", config.raw("ex").unwrap()), "RawCredential");
}

#[test]
fn credential_debug_hides_secrets() {
    let config = Config::parse(&config_text(), PathBuf::from("/tmp/credentials.toml")).unwrap();
    let credential = config.credential("ex").unwrap();
    let shown = format!("{credential:?}");
    assert_clean(&shown, "Credential");
    // The check is meaningful only if the Debug output has the fields.
    assert!(shown.contains("X-Api-Key"), "{shown}");
    assert!(shown.contains("client_secret"), "{shown}");
}

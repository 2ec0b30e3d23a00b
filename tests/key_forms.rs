//! Every key fixture either signs a token or fails with exit code 8, a
//! message that names the form found, and a hint with the command that
//! converts it. No fixture may surface a bare library error.

mod support;

use std::path::Path;

use support::hermetic_cmd;

/// Fixtures that must fail, each with a phrase that its message must
/// contain to name the form. Every other fixture must load.
const REFUSED: &[(&str, &str)] = &[
    ("aws-kms-public-key.json", "AWS KMS public key"),
    ("dsa-pkcs8.pem", "DSA key"),
    ("ec-p256-explicit-pkcs8.pem", "explicit curve parameters"),
    ("ec-p256-explicit-sec1.pem", "explicit curve parameters"),
    ("ec-p256-public.der", "public key"),
    ("ec-p256-public.pem", "public key"),
    ("ec-p521-pkcs8.pem", "P-521"),
    ("ec-secp256k1-sec1.pem", "secp256k1"),
    ("ed25519-public.pem", "public key"),
    ("ed448-pkcs8.pem", "Ed448"),
    ("hmac-secret.txt", "neither a PEM nor a DER"),
    ("openssh-ecdsa-p521", "P-521"),
    ("openssh-ed25519-encrypted", "encrypted OpenSSH"),
    ("openssh-ed25519.pub", "OpenSSH public key"),
    ("openssh-rsa", "OpenSSH RSA"),
    ("rsa1024-pkcs8.pem", "1024"),
    ("rsa2048-3prime-pkcs8.pem", "multi-prime RSA"),
    ("rsa2048-cert.pem", "certificate"),
    ("rsa2048-csr.pem", "certificate signing request"),
    ("rsa2048-pkcs1-encrypted.pem", "encrypted"),
    ("rsa2048-p12-base64.txt", "PKCS#12 file (.pfx) encoded in base64"),
    ("rsa2048-pkcs8-base64.txt", "base64"),
    ("rsa2048-pkcs8-body.txt", "base64"),
    ("rsa2048-pkcs8-encrypted.der", "encrypted"),
    ("rsa2048-pkcs8-encrypted.pem", "encrypted"),
    ("rsa2048-pkcs8-encrypted-des3.pem", "encrypted"),
    ("rsa2048-pkcs8-encrypted-pbes1.pem", "PBES1"),
    ("rsa2048-pkcs8-encrypted-camellia.pem", "encrypted"),
    ("rsa2048-pkcs8-encrypted-sha1.pem", "encrypted"),
    ("rsa2048-public.pem", "public key"),
    ("rsa2048.jks", "Java keystore"),
    ("rsa2048.p12", "PKCS#12"),
    ("vault-pki-reply.json", "PEM private key in its member .data.private_key"),
    ("x25519-pkcs8.pem", "X25519"),
];

/// Programs that a conversion hint may start its command with, and the
/// setting that makes an encrypted PKCS#8 key load as it is.
const COMMANDS: &[&str] =
    &["openssl ", "ssh-keygen ", "keytool ", "base64 ", "puttygen ", "jq ", "key_passphrase_env"];

/// Files in the fixtures folder that are not keys.
const NOT_KEYS: &[&str] = &["README.md", "generate.sh", "forms.sh", "jwk_from_pem.py"];

/// Runs `namedcred token` with `file` as the key file of an ES256-or-any
/// credential and returns the exit code and stderr.
fn sign_with(file: &Path) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("credentials.toml");
    let toml = format!(
        "[credentials.k]\nprotocol = \"jwt\"\nurl = \"http://127.0.0.1:9/\"\n\
         issuer = \"i\"\nkey_path = {:?}\n",
        file.display().to_string()
    );
    std::fs::write(&config, toml).unwrap();
    let output =
        hermetic_cmd(dir.path()).arg("--config").arg(&config).args(["token", "k"]).output();
    let output = output.unwrap();
    (output.status.code(), String::from_utf8_lossy(&output.stderr).into_owned())
}

/// Checks one refused fixture's exit code, message and hint; returns the
/// problems found.
fn check_refusal(name: &str, phrase: &str, code: Option<i32>, stderr: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let (message, hint) = stderr.split_once("\nhint: ").unwrap_or((stderr, ""));
    if code != Some(8) {
        problems.push(format!("{name}: exit code {code:?}, expected 8"));
    }
    if !message.contains(name) || !message.contains(phrase) {
        problems.push(format!("{name}: message does not name the file and {phrase:?}"));
    }
    if !COMMANDS.iter().any(|c| hint.contains(c)) {
        problems.push(format!("{name}: hint has no conversion command"));
    }
    if ["InvalidKeyFormat", "KeyRejected", "Unspecified", "Error {"]
        .iter()
        .any(|e| stderr.contains(e))
    {
        problems.push(format!("{name}: a library error leaked"));
    }
    problems
}

#[test]
fn every_fixture_loads_or_names_fix() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut problems = Vec::new();
    let mut refused = 0;
    for entry in std::fs::read_dir(&folder).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        if NOT_KEYS.contains(&name.as_str()) {
            continue;
        }
        let (code, stderr) = sign_with(&path);
        match REFUSED.iter().find(|(file, _)| *file == name) {
            Some((_, phrase)) => {
                refused += 1;
                let found = check_refusal(&name, phrase, code, &stderr);
                problems.extend(found.into_iter().map(|p| format!("{p}\n  {stderr}")));
            }
            None if code != Some(0) => problems.push(format!("{name} did not load: {stderr}")),
            None => {}
        }
    }
    assert_eq!(refused, REFUSED.len(), "a refused fixture is missing from tests/fixtures");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn truncated_pem_named_truncated() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let dir = tempfile::tempdir().unwrap();
    let mut problems = Vec::new();
    for name in ["rsa2048-pkcs8.pem", "rsa2048-pkcs1.pem", "ec-p256-sec1.pem", "ec-p384-pkcs8.pem"]
    {
        let pem = std::fs::read(folder.join(name)).unwrap();
        // Every cut ends inside the body or the END line.
        for length in (100..pem.len() - 1).step_by(97) {
            let path = dir.path().join(format!("{length}-{name}"));
            std::fs::write(&path, &pem[..length]).unwrap();
            let (code, stderr) = sign_with(&path);
            if code != Some(8) || !stderr.contains("truncated PEM") || !stderr.contains("END") {
                problems.push(format!("{name} cut at {length}: {code:?} {stderr}"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn pem_missing_line_named_damaged() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let dir = tempfile::tempdir().unwrap();
    for (name, structure) in [("rsa2048-pkcs8.pem", "PKCS#8"), ("ec-p256-sec1.pem", "SEC1")] {
        let pem = std::fs::read_to_string(folder.join(name)).unwrap();
        let mut lines: Vec<&str> = pem.lines().collect();
        lines.remove(2);
        let path = dir.path().join(name);
        std::fs::write(&path, lines.join("\n")).unwrap();
        let (code, stderr) = sign_with(&path);
        assert_eq!(code, Some(8), "{stderr}");
        assert!(stderr.contains("damaged PEM"), "{stderr}");
        assert!(stderr.contains(structure), "{stderr}");
        assert!(stderr.contains("hint: copy the whole key again"), "{stderr}");
    }
}

#[test]
fn pem_header_over_other_structure_loads() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("rsa2048-pkcs8.pem", "PRIVATE KEY", "RSA PRIVATE KEY"),
        ("rsa2048-pkcs1.pem", "RSA PRIVATE KEY", "PRIVATE KEY"),
        ("ec-p256-pkcs8.pem", "PRIVATE KEY", "EC PRIVATE KEY"),
        ("ec-p256-sec1.pem", "EC PRIVATE KEY", "PRIVATE KEY"),
        ("ec-p256-pkcs8.pem", "PRIVATE KEY", "RSA PRIVATE KEY"),
    ];
    for (name, label, wrong) in cases {
        let pem = std::fs::read_to_string(folder.join(name)).unwrap();
        let relabelled = pem
            .replace(&format!("BEGIN {label}-"), &format!("BEGIN {wrong}-"))
            .replace(&format!("END {label}-"), &format!("END {wrong}-"));
        assert!(relabelled.contains(&format!("BEGIN {wrong}-----")), "{name}");
        let path = dir.path().join(format!("{wrong}-{name}"));
        std::fs::write(&path, relabelled).unwrap();
        let (code, stderr) = sign_with(&path);
        assert_eq!(code, Some(0), "{name} under {wrong}: {stderr}");
    }
}

/// Runs `namedcred token` with a credential in a configuration file in
/// `dir` whose key source is `key_lines`, with `env` set, and returns the
/// exit code and stderr.
fn sign_with_source(dir: &Path, key_lines: &str, env: &[(&str, &str)]) -> (Option<i32>, String) {
    let config = dir.join("credentials.toml");
    let toml = format!(
        "[credentials.k]\nprotocol = \"jwt\"\nurl = \"http://127.0.0.1:9/\"\n\
         issuer = \"i\"\n{key_lines}\n"
    );
    std::fs::write(&config, toml).unwrap();
    let mut command = hermetic_cmd(dir);
    command.arg("--config").arg(&config).args(["token", "k"]);
    let output = command.envs(env.iter().copied()).output().unwrap();
    (output.status.code(), String::from_utf8_lossy(&output.stderr).into_owned())
}

/// Returns the hint line of an error, without its `hint: ` prefix.
fn hint_of(stderr: &str) -> &str {
    stderr.split_once("\nhint: ").map_or("", |(_, hint)| hint.trim_end())
}

#[test]
fn hints_read_every_key_source() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut problems = Vec::new();
    for (name, _) in REFUSED {
        let path = folder.join(name);
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        // A hint that reads the key names the file for key_path; only those
        // hints must read the other sources in their own way.
        let (_, file_stderr) = sign_with(&path);
        let reads_key = hint_of(&file_stderr).contains(&path.display().to_string());
        let sources = [
            ("key_env = \"TEST_KEY\"".to_string(), "printenv TEST_KEY | "),
            (format!("key_command = \"cat '{}'\"", path.display()), "&& cat "),
            (format!("key = '''\n{text}'''"), "save the `key` text"),
        ];
        for (lines, expected) in sources {
            let dir = tempfile::tempdir().unwrap();
            let (code, stderr) = sign_with_source(dir.path(), &lines, &[("TEST_KEY", &text)]);
            let hint = hint_of(&stderr);
            if code != Some(8) {
                problems.push(format!("{name} with {lines:.20}: exit {code:?}: {stderr}"));
            }
            if reads_key && !hint.contains(expected) {
                problems.push(format!("{name} with {lines:.20}: hint lacks {expected:?}: {hint}"));
            }
            if hint.contains("environment variable") || hint.contains("from key_command") {
                problems.push(format!("{name}: hint uses the source's label as a file: {hint}"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn base64_hint_from_env_and_command_runs() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rsa2048-pkcs8-base64.txt");
    let text = std::fs::read_to_string(&path).unwrap();
    let sources = [
        "key_env = \"TEST_KEY\"".to_string(),
        format!("key_command = \"cat '{}'\"", path.display()),
    ];
    for lines in sources {
        let config_dir = tempfile::tempdir().unwrap();
        let (_, stderr) = sign_with_source(config_dir.path(), &lines, &[("TEST_KEY", &text)]);
        let command = hint_of(&stderr).strip_prefix("decode it: ").unwrap_or_else(|| {
            panic!("{lines}: no decode command in {stderr}");
        });
        let dir = tempfile::tempdir().unwrap();
        let status = std::process::Command::new("sh")
            .args(["-c", command])
            .current_dir(dir.path())
            .env("TEST_KEY", &text)
            .status()
            .unwrap();
        assert!(status.success(), "{command}");
        let (code, stderr) = sign_with(&dir.path().join("key.pem"));
        assert_eq!(code, Some(0), "{command} wrote a key that does not load: {stderr}");
    }
}

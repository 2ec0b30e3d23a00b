//! Integration tests of the connection buffer sizes: large request
//! headers, large response heads and bodies much larger than either
//! buffer still pass through `call` intact.

mod support;

use support::{Reply, TestServer, fixture, hermetic_cmd};
use tempfile::TempDir;

/// Writes a jwt credential named `api` for `server` and returns the home
/// folder that contains it.
fn setup(server: &TestServer) -> TempDir {
    let home = tempfile::tempdir().unwrap();
    let toml = format!(
        "[credentials.api]\nprotocol = \"jwt\"\nurl = \"{}\"\nissuer = \"iss\"\nkey_path = \"{}\"\n",
        server.url(),
        fixture("ec-p256-pkcs8.pem").display()
    );
    std::fs::write(home.path().join("credentials.toml"), toml).unwrap();
    home
}

/// Runs `namedcred call api <args>` and returns its output.
fn call(home: &TempDir, args: &[&str]) -> std::process::Output {
    hermetic_cmd(home.path())
        .arg("--config")
        .arg(home.path().join("credentials.toml"))
        .args(["call", "api"])
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn large_request_head_is_sent() {
    // The test server accepts lines up to 16 KiB, so two headers of 12 KiB
    // make a head of about 24 KiB.
    let server = TestServer::start(|_| Reply::text(200, "ok"));
    let home = setup(&server);
    let first = "a".repeat(12 * 1024);
    let second = "b".repeat(12 * 1024);

    let output = call(
        &home,
        &["/x", "-H", &format!("X-First: {first}"), "-H", &format!("X-Second: {second}")],
    );

    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].header("x-first"), Some(first.as_str()));
    assert_eq!(requests[0].header("x-second"), Some(second.as_str()));
}

#[test]
fn large_response_head_is_read() {
    let value = "h".repeat(48 * 1024);
    let reply_value = value.clone();
    let server =
        TestServer::start(move |_| Reply::text(200, "body").header("X-Large", &reply_value));
    let home = setup(&server);

    let output = call(&home, &["/x", "--include"]);

    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains(&format!("x-large: {value}\r\n")), "header missing");
    assert!(text.ends_with("\r\n\r\nbody"), "body missing");
}

#[test]
fn body_larger_than_buffers_is_complete() {
    let body: String = (0..300_000).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
    let reply_body = body.clone();
    let server = TestServer::start(move |_| Reply::text(200, &reply_body));
    let home = setup(&server);

    let output = call(&home, &["/x"]);

    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(output.stdout.len(), body.len());
    assert!(output.stdout == body.as_bytes(), "body differs");
}

#[test]
fn oversized_request_head_is_usage_error() {
    let server = TestServer::start(|_| Reply::text(200, "ok"));
    let home = setup(&server);
    let long_path = format!("/{}", "p".repeat(60_000));
    let header = |name: &str| format!("{name}: {}", "h".repeat(12 * 1024));
    let cases: [Vec<String>; 2] = [
        vec![long_path],
        vec![
            "/x".into(),
            "-H".into(),
            header("X-A"),
            "-H".into(),
            header("X-B"),
            "-H".into(),
            header("X-C"),
        ],
    ];

    for args in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = call(&home, &args);
        let full = String::from_utf8_lossy(&output.stderr);
        // The failure messages show only the start of a long stderr.
        let stderr: String = full.chars().take(600).collect();
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("is too large"), "{stderr}");
        assert!(stderr.contains("32 KiB"), "{stderr}");
        assert!(!stderr.contains("not valid HTTP"), "{stderr}");
        assert!(full.len() < 1000, "the message repeats the request: {} bytes", full.len());
    }
    assert_eq!(server.count(), 0);
}

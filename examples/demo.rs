//! End-to-end demo that needs no outside service.
//!
//! It starts a token endpoint and an API on loopback, both of which verify
//! every JWT and bearer token they receive, writes a configuration with one
//! credential per protocol using the demo keys in `examples/keys/`, and runs
//! `namedcred call` through each. Run it with `cargo run --example demo`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use clap::Parser;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};

/// The `iss` and `sub` that both demo credentials sign with.
const ISSUER: &str = "demo-client";
const SUBJECT: &str = "demo-user";

/// Access tokens the demo token endpoint has issued.
type Issued = Arc<Mutex<Vec<String>>>;

fn main() -> ExitCode {
    let folder = std::env::temp_dir().join(format!("namedcred-demo-{}", std::process::id()));
    // SAFETY: no other thread runs yet, so none can read the environment
    // while it changes. The demo's access tokens are cached in its own
    // folder, which is removed at the end, not in the user's cache.
    unsafe { std::env::set_var(namedcred::cache::CACHE_DIR_ENV, folder.join("cache")) };

    let listener = TcpListener::bind("127.0.0.1:0").expect("cannot bind a loopback port");
    let base = format!("http://{}", listener.local_addr().expect("no local address"));
    let issued: Issued = Arc::default();
    let server_issued = Arc::clone(&issued);
    let token_endpoint = format!("{base}/oauth/token");
    let audience = token_endpoint.clone();
    std::thread::spawn(move || serve(listener, &audience, &server_issued));

    std::fs::create_dir_all(&folder).expect("cannot create the demo folder");
    let config = write_config(&folder, &base, &token_endpoint);
    println!("demo configuration: {}", config.display());

    let mut failed = false;
    for name in ["demo-jwt", "demo-exchange"] {
        println!("\n$ namedcred call {name} /hello");
        let code = run_namedcred(&config, &["call", name, "/hello"]);
        println!("\n(exit code {code})");
        failed |= code != 0;
    }
    let _ = std::fs::remove_dir_all(&folder);
    if failed {
        eprintln!("demo failed");
        return ExitCode::FAILURE;
    }
    println!("\nboth protocols worked; access tokens issued: {}", issued.lock().unwrap().len());
    ExitCode::SUCCESS
}

/// Runs namedcred in this process with the given arguments, exactly as the
/// binary would, and returns its exit code.
fn run_namedcred(config: &Path, args: &[&str]) -> u8 {
    let mut argv = vec!["namedcred".to_string(), "--config".to_string()];
    argv.push(config.display().to_string());
    argv.extend(args.iter().map(|a| a.to_string()));
    let cli = namedcred::cli::Cli::parse_from(argv);
    match namedcred::run(cli) {
        Ok(code) => code,
        Err(error) => {
            namedcred::report(&error);
            namedcred::error::exit_code(&error)
        }
    }
}

/// Writes the demo configuration and returns its path.
fn write_config(folder: &Path, base: &str, token_endpoint: &str) -> PathBuf {
    let keys = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/keys");
    let text = format!(
        r#"[credentials.demo-jwt]
protocol = "jwt"
url = "{base}/api"
issuer = "{ISSUER}"
subject = "{SUBJECT}"
audience = "demo-api"
key_path = "{keys}/demo-es256.pem"
key_id = "demo-es256"

[credentials.demo-exchange]
protocol = "jwt-exchange"
url = "{base}/api"
token_endpoint = "{token_endpoint}"
issuer = "{ISSUER}"
subject = "{SUBJECT}"
scope = "greetings:read"
key_path = "{keys}/demo-rs256.pem"
"#,
        keys = keys.display()
    );
    let path = folder.join("credentials.toml");
    std::fs::write(&path, text).expect("cannot write the demo configuration");
    path
}

/// Serves the token endpoint and the API, one request per connection.
fn serve(listener: TcpListener, audience: &str, issued: &Issued) {
    for stream in listener.incoming().flatten() {
        if let Err(problem) = handle(stream, audience, issued) {
            eprintln!("demo server: {problem}");
        }
    }
}

/// Reads one request, routes it, and writes the reply.
fn handle(mut stream: TcpStream, audience: &str, issued: &Issued) -> Result<(), String> {
    let (request_line, headers, body) = read_request(&stream).map_err(|e| e.to_string())?;
    let (status, reply) = if request_line.starts_with("POST /oauth/token ") {
        token_endpoint(&body, audience, issued)
    } else if request_line.starts_with("GET /api/hello ") {
        api(&headers, issued)
    } else {
        (404, format!(r#"{{"error":"no route for {request_line}"}}"#))
    };
    let response = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{reply}",
        reply.len()
    );
    stream.write_all(response.as_bytes()).map_err(|e| e.to_string())
}

/// Checks the jwt-bearer grant and issues an access token.
fn token_endpoint(body: &[u8], audience: &str, issued: &Issued) -> (u16, String) {
    let form: Vec<(String, String)> = url::form_urlencoded::parse(body).into_owned().collect();
    let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    if field("grant_type").as_deref() != Some("urn:ietf:params:oauth:grant-type:jwt-bearer") {
        return (400, r#"{"error":"unsupported_grant_type"}"#.to_string());
    }
    let key = include_bytes!("keys/demo-rs256.pub.pem");
    let checked = verify(&field("assertion").unwrap_or_default(), key, Algorithm::RS256, audience);
    if let Err(problem) = checked {
        return (400, format!(r#"{{"error":"invalid_grant","error_description":"{problem}"}}"#));
    }
    let token = format!("demo-access-token-{}", namedcred::token::new_jti());
    issued.lock().unwrap().push(token.clone());
    let scope = field("scope").unwrap_or_default();
    let reply = format!(
        r#"{{"access_token":"{token}","token_type":"Bearer","expires_in":600,"scope":"{scope}"}}"#
    );
    (200, reply)
}

/// Accepts either an ES256 JWT for the demo API or an issued access token.
fn api(headers: &[String], issued: &Issued) -> (u16, String) {
    let bearer =
        headers.iter().find_map(|h| h.strip_prefix("authorization: Bearer ")).unwrap_or_default();
    if issued.lock().unwrap().iter().any(|t| t == bearer) {
        return (200, format!(r#"{{"message":"hello {SUBJECT}","via":"access token"}}"#));
    }
    let key = include_bytes!("keys/demo-es256.pub.pem");
    match verify(bearer, key, Algorithm::ES256, "demo-api") {
        Ok(()) => (200, format!(r#"{{"message":"hello {SUBJECT}","via":"signed JWT"}}"#)),
        Err(problem) => (401, format!(r#"{{"error":"invalid_token","detail":"{problem}"}}"#)),
    }
}

/// Verifies a JWT's signature, issuer, subject, audience and expiry.
fn verify(
    jwt: &str,
    public_pem: &[u8],
    algorithm: Algorithm,
    audience: &str,
) -> Result<(), String> {
    let key = match algorithm {
        Algorithm::ES256 => DecodingKey::from_ec_pem(public_pem),
        _ => DecodingKey::from_rsa_pem(public_pem),
    }
    .map_err(|e| e.to_string())?;
    let mut validation = Validation::new(algorithm);
    validation.set_audience(&[audience]);
    validation.set_issuer(&[ISSUER]);
    validation.sub = Some(SUBJECT.to_string());
    validation.set_required_spec_claims(&["exp", "iat", "iss", "sub", "aud"]);
    jsonwebtoken::decode::<serde_json::Value>(jwt, &key, &validation)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Reads a request: the request line, lower-cased header lines, and a body
/// of `Content-Length` bytes.
fn read_request(stream: &TcpStream) -> std::io::Result<(String, Vec<String>, Vec<u8>)> {
    let mut reader = BufReader::new(stream);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line.trim().is_empty() {
            break;
        }
        let line = line.trim_end().to_string();
        let lowered = match line.split_once(':') {
            Some((name, value)) => format!("{}:{value}", name.to_ascii_lowercase()),
            None => line,
        };
        headers.push(lowered);
    }
    let length = headers
        .iter()
        .find_map(|h| h.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body)?;
    Ok((request_line.trim_end().to_string(), headers, body))
}

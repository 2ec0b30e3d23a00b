//! Integration tests of the transport: redirects with and without -L, TLS
//! with a private CA and client certificates, proxies from the
//! environment, timeouts and network errors, retries, and the token
//! endpoint's replies. Every server is started by the test on loopback.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::json;
use support::{RecordedRequest, Reply, TestServer, fixture, hermetic_cmd};
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

    fn dir(&self) -> &Path {
        self.home.path()
    }

    fn cmd(&self) -> assert_cmd::Command {
        let mut command = hermetic_cmd(self.home.path());
        command.arg("--config").arg(&self.config);
        command
    }

    /// Runs namedcred with `args` and returns exit code, stdout and stderr.
    fn run(&self, args: &[&str]) -> (Option<i32>, String, String) {
        self.run_with(args, &[])
    }

    /// Runs namedcred with `args` and extra environment variables.
    fn run_with(&self, args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String, String) {
        let mut command = self.cmd();
        command.args(args);
        for (name, value) in env {
            command.env(name, value);
        }
        let output = command.output().unwrap();
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }
}

/// Returns a jwt credential named `api` for `base`, with a configured
/// secret header, followed by `extra` lines.
fn api_credential(base: &str, extra: &str) -> String {
    format!(
        "[credentials.api]\nprotocol = \"jwt\"\nurl = \"{base}/v1\"\nissuer = \"svc\"\n\
         audience = \"api\"\nkey_path = \"{}\"\n{extra}\n\
         [credentials.api.headers]\nX-Api-Key = \"configured-key\"\n",
        fixture("ec-p256-pkcs8.pem").display()
    )
}

/// Returns a jwt-exchange credential named `ex` whose token endpoint is
/// `endpoint` and whose API is `base`.
fn exchange_credential(base: &str, endpoint: &str, extra: &str) -> String {
    format!(
        "[credentials.ex]\nprotocol = \"jwt-exchange\"\nurl = \"{base}/v1\"\n\
         token_endpoint = \"{endpoint}\"\nissuer = \"client-1\"\nsubject = \"user-1\"\n\
         key_path = \"{}\"\n{extra}\n",
        fixture("ec-p256-pkcs8.pem").display()
    )
}

/// Decodes the payload of a JWT.
fn jwt_claims(token: &str) -> serde_json::Value {
    use base64::Engine;
    let payload = token.split('.').nth(1).expect("a JWT has three parts");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

// ---------------------------------------------------------------------------
// Redirects

#[test]
fn redirect_without_location_flag_is_final() {
    let server = TestServer::start(|_| Reply::text(302, "moved").header("Location", "/v1/new"));
    let setup = Setup::new(&api_credential(&server.url(), ""));
    let (code, stdout, stderr) = setup.run(&["call", "api", "/old"]);
    assert_eq!(code, Some(3), "{stderr}");
    assert_eq!(stdout, "moved");
    assert_eq!(server.count(), 1);
    assert!(stderr.contains("HTTP 302"), "{stderr}");
}

#[test]
fn redirect_same_origin_keeps_credentials() {
    let server = TestServer::start(|request| match request.path.as_str() {
        "/v1/old" => Reply::new(301).header("Location", "new?page=2"),
        _ => Reply::text(200, "arrived"),
    });
    let setup = Setup::new(&api_credential(&server.url(), ""));
    let (code, stdout, stderr) = setup.run(&["call", "api", "/old", "-L"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stdout, "arrived");
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[1].path, "/v1/new?page=2");
    assert!(requests[1].bearer().is_some());
    assert_eq!(requests[1].header("x-api-key"), Some("configured-key"));
}

#[test]
fn redirect_to_other_port_drops_credentials() {
    let other = TestServer::start(|_| Reply::text(200, "elsewhere"));
    let target = format!("{}/landing", other.url());
    let server = TestServer::start(move |_| Reply::new(302).header("Location", target.as_str()));
    let setup = Setup::new(&api_credential(&server.url(), ""));
    let (code, stdout, stderr) = setup.run(&["call", "api", "/x", "-L", "-H", "X-Trace: t1", "-v"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stdout, "elsewhere");
    assert!(server.requests()[0].bearer().is_some());
    let landed = other.requests();
    assert_eq!(landed.len(), 1);
    assert_eq!(landed[0].header("authorization"), None);
    assert_eq!(landed[0].header("x-api-key"), None);
    assert_eq!(landed[0].header("x-trace"), Some("t1"));
    assert!(stderr.contains("without the token"), "{stderr}");
}

#[test]
fn redirect_to_other_host_name_drops_credentials() {
    // localhost and 127.0.0.1 reach the same socket but are different
    // origins, so the token must not follow.
    let server = TestServer::start(|request| match request.path.as_str() {
        "/v1/x" => Reply::new(307).header("Location", "/v1/y"),
        _ => Reply::text(200, "ok"),
    });
    let port = server.addr().port();
    let toml = api_credential(&format!("http://localhost:{port}"), "");
    let setup = Setup::new(&toml);
    let (code, _, stderr) = setup.run(&["call", "api", "/x", "-L"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(server.requests()[1].bearer().is_some(), "same origin keeps the token");

    let target = format!("http://localhost:{port}/v1/y");
    let redirecting =
        TestServer::start(move |_| Reply::new(302).header("Location", target.as_str()));
    let setup = Setup::new(&api_credential(&redirecting.url(), ""));
    let (code, _, stderr) = setup.run(&["call", "api", "/x", "-L"]);
    assert_eq!(code, Some(0), "{stderr}");
    let landed = server.requests_to("/v1/y");
    assert_eq!(landed.len(), 2);
    assert_eq!(landed[1].header("authorization"), None);
}

#[test]
fn redirect_303_turns_post_into_get() {
    let server = TestServer::start(|request| match request.path.as_str() {
        "/v1/jobs" => Reply::new(303).header("Location", "/v1/jobs/7"),
        _ => Reply::json(200, json!({"method": request.method})),
    });
    let setup = Setup::new(&api_credential(&server.url(), ""));
    let (code, stdout, stderr) =
        setup.run(&["call", "api", "/jobs", "-L", "--json", "-d", "{\"a\":1}"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stdout, "{\"method\":\"GET\"}");
    let second = &server.requests()[1];
    assert!(second.body.is_empty());
    assert_eq!(second.header("content-type"), None);
    assert!(second.bearer().is_some());
}

#[test]
fn redirect_302_turns_post_into_get() {
    let server = TestServer::start(|request| match request.path.as_str() {
        "/v1/form" => Reply::new(302).header("Location", "/v1/done"),
        _ => Reply::text(200, &request.method),
    });
    let setup = Setup::new(&api_credential(&server.url(), ""));
    let (code, stdout, stderr) = setup.run(&["call", "api", "/form", "-L", "-d", "a=1"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stdout, "GET");
    assert!(server.requests()[1].body.is_empty());
}

#[test]
fn redirect_307_replays_body_on_same_origin() {
    let server = TestServer::start(|request| match request.path.as_str() {
        "/v1/items" => Reply::new(307).header("Location", "/v2/items"),
        _ => Reply::text(201, "created"),
    });
    let setup = Setup::new(&api_credential(&server.url(), ""));
    let (code, stdout, stderr) = setup.run(&["call", "api", "/items", "-L", "-d", "payload"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stdout, "created");
    let second = &server.requests()[1];
    assert_eq!(second.method, "POST");
    assert_eq!(second.body, b"payload");
    assert!(second.bearer().is_some());
}

#[test]
fn redirect_308_body_to_other_origin_stops() {
    let other = TestServer::start(|_| Reply::text(200, "should not be reached"));
    let target = format!("{}/steal", other.url());
    let server = TestServer::start(move |_| {
        Reply::text(308, "permanent").header("Location", target.as_str())
    });
    let setup = Setup::new(&api_credential(&server.url(), ""));
    let (code, stdout, stderr) = setup.run(&["call", "api", "/items", "-L", "-d", "secret-body"]);
    assert_eq!(code, Some(3), "{stderr}");
    assert_eq!(stdout, "permanent");
    assert_eq!(other.count(), 0);
    assert!(stderr.contains("not following"), "{stderr}");
    assert!(stderr.contains("body"), "{stderr}");
}

#[test]
fn redirect_loop_stops_at_limit() {
    let server = TestServer::start(|_| Reply::new(302).header("Location", "/v1/loop"));
    let setup = Setup::new(&api_credential(&server.url(), ""));
    let (code, _, stderr) = setup.run(&["call", "api", "/loop", "-L"]);
    assert_eq!(code, Some(3), "{stderr}");
    assert!(stderr.contains("stopped after 10 redirects"), "{stderr}");
    assert_eq!(server.count(), 11);
}

#[test]
fn redirect_to_other_scheme_stops() {
    let server = TestServer::start(|_| Reply::new(302).header("Location", "file:///etc/passwd"));
    let setup = Setup::new(&api_credential(&server.url(), ""));
    let (code, _, stderr) = setup.run(&["call", "api", "/x", "-L"]);
    assert_eq!(code, Some(3), "{stderr}");
    assert!(stderr.contains("scheme file"), "{stderr}");
}

#[test]
fn token_endpoint_redirect_is_exit_7() {
    let server = TestServer::start(|_| Reply::new(307).header("Location", "https://elsewhere/t"));
    let endpoint = format!("{}/token", server.url());
    let setup = Setup::new(&exchange_credential(&server.url(), &endpoint, ""));
    for args in [&["exchange", "ex"][..], &["call", "ex", "/x", "-L"][..]] {
        let (code, stdout, stderr) = setup.run(args);
        assert_eq!(code, Some(7), "{args:?}: {stderr}");
        assert!(stdout.is_empty());
        assert!(stderr.contains("https://elsewhere/t"), "{stderr}");
    }
    assert_eq!(server.requests_to("/v1").len(), 0);
}

// ---------------------------------------------------------------------------
// TLS: a private CA, a server certificate for localhost, a client
// certificate, all generated by the test.

/// Certificates and keys written as PEM files into a folder.
struct Pki {
    ca_pem: PathBuf,
    client_cert_pem: PathBuf,
    client_key_pem: PathBuf,
    /// A second client certificate issued by an unrelated CA.
    stranger_cert_pem: PathBuf,
    stranger_key_pem: PathBuf,
    server_chain: Vec<CertificateDer<'static>>,
    server_key: Vec<u8>,
    /// The CA certificate in DER, for the server's client verifier.
    ca_der: CertificateDer<'static>,
}

/// Creates a CA with an issuer name `name`.
fn new_ca(name: &str) -> (rcgen::Certificate, Issuer<'static, KeyPair>) {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    let key = KeyPair::generate().unwrap();
    let certificate = params.self_signed(&key).unwrap();
    (certificate, Issuer::new(params, key))
}

/// Issues a certificate for `names` and returns it with its key.
fn issue(issuer: &Issuer<'static, KeyPair>, names: &[&str]) -> (rcgen::Certificate, KeyPair) {
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let params = CertificateParams::new(names).unwrap();
    let key = KeyPair::generate().unwrap();
    (params.signed_by(&key, issuer).unwrap(), key)
}

impl Pki {
    fn new(dir: &Path) -> Pki {
        let (ca, issuer) = new_ca("namedcred test CA");
        let (server, server_key) = issue(&issuer, &["localhost"]);
        let (client, client_key) = issue(&issuer, &["client.test"]);
        let (_, stranger_issuer) = new_ca("unrelated CA");
        let (stranger, stranger_key) = issue(&stranger_issuer, &["stranger.test"]);

        let write = |name: &str, text: String| {
            let path = dir.join(name);
            std::fs::write(&path, text).unwrap();
            path
        };
        Pki {
            ca_pem: write("ca.pem", ca.pem()),
            client_cert_pem: write("client.pem", client.pem()),
            client_key_pem: write("client-key.pem", client_key.serialize_pem()),
            stranger_cert_pem: write("stranger.pem", stranger.pem()),
            stranger_key_pem: write("stranger-key.pem", stranger_key.serialize_pem()),
            server_chain: vec![server.der().clone()],
            server_key: server_key.serialize_der(),
            ca_der: ca.der().clone(),
        }
    }

    /// Builds the server configuration, requiring a client certificate
    /// from the test CA when `require_client` is set.
    fn server_config(&self, require_client: bool) -> Arc<rustls::ServerConfig> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .unwrap();
        let builder = if require_client {
            let mut roots = rustls::RootCertStore::empty();
            roots.add(self.ca_der.clone()).unwrap();
            let verifier =
                rustls::server::WebPkiClientVerifier::builder_with_provider(roots.into(), provider)
                    .build()
                    .unwrap();
            builder.with_client_cert_verifier(verifier)
        } else {
            builder.with_no_client_auth()
        };
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.server_key.clone()));
        Arc::new(builder.with_single_cert(self.server_chain.clone(), key).unwrap())
    }
}

/// A loopback HTTPS server that answers every request with `reply` and
/// records the requests that completed a handshake.
struct TlsServer {
    port: u16,
    requests: Arc<Mutex<Vec<RecordedRequest>>>,
}

impl TlsServer {
    fn start(
        config: Arc<rustls::ServerConfig>,
        reply: impl Fn(&RecordedRequest) -> Reply + Send + Sync + 'static,
    ) -> TlsServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let recorded = Arc::clone(&requests);
        let reply = Arc::new(reply);
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (config, recorded, reply) =
                    (Arc::clone(&config), Arc::clone(&recorded), Arc::clone(&reply));
                thread::spawn(move || {
                    let connection = rustls::ServerConnection::new(config).unwrap();
                    let mut tls = rustls::StreamOwned::new(connection, stream);
                    let Some(request) = read_head(&mut tls) else { return };
                    recorded.lock().unwrap().push(request.clone());
                    let reply = reply(&request);
                    let mut head = format!("HTTP/1.1 {} X\r\n", reply.status);
                    for (name, value) in &reply.headers {
                        head.push_str(&format!("{name}: {value}\r\n"));
                    }
                    head.push_str(&format!(
                        "Content-Length: {}\r\nConnection: close\r\n\r\n",
                        reply.body.len()
                    ));
                    let _ = tls.write_all(head.as_bytes());
                    let _ = tls.write_all(&reply.body);
                    tls.conn.send_close_notify();
                    let _ = tls.flush();
                });
            }
        });
        TlsServer { port, requests }
    }

    fn url(&self) -> String {
        format!("https://localhost:{}", self.port)
    }

    fn requests(&self) -> Vec<RecordedRequest> {
        self.requests.lock().unwrap().clone()
    }
}

/// Reads a request line, headers and a Content-Length body; `None` when
/// the handshake or the read fails.
fn read_head(stream: &mut impl Read) -> Option<RecordedRequest> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let path = parts.next()?.to_string();
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        headers.push((name.trim().to_string(), value.trim().to_string()));
    }
    let length = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(RecordedRequest { method, path, headers, body })
}

fn toml_path(path: &Path) -> String {
    path.display().to_string()
}

#[test]
fn tls_with_private_ca_file() {
    let setup = Setup::new("");
    let pki = Pki::new(setup.dir());
    let server = TlsServer::start(pki.server_config(false), |_| Reply::text(200, "secure"));
    let extra = format!("ca_file = \"{}\"", toml_path(&pki.ca_pem));
    std::fs::write(&setup.config, api_credential(&server.url(), &extra)).unwrap();
    let (code, stdout, stderr) = setup.run(&["call", "api", "/me"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stdout, "secure");
    assert!(server.requests()[0].bearer().is_some());
}

#[test]
fn tls_ca_file_relative_to_config() {
    let setup = Setup::new("");
    let pki = Pki::new(setup.dir());
    let server = TlsServer::start(pki.server_config(false), |_| Reply::text(200, "relative"));
    let toml = api_credential(&server.url(), "ca_file = \"ca.pem\"");
    std::fs::write(&setup.config, toml).unwrap();
    let (code, stdout, stderr) = setup.run(&["call", "api", "/me"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stdout, "relative");
}

#[test]
fn tls_unknown_ca_is_exit_6_with_hint() {
    let setup = Setup::new("");
    let pki = Pki::new(setup.dir());
    let server = TlsServer::start(pki.server_config(false), |_| Reply::text(200, "secure"));
    std::fs::write(&setup.config, api_credential(&server.url(), "")).unwrap();
    let (code, stdout, stderr) = setup.run(&["call", "api", "/me"]);
    assert_eq!(code, Some(6), "{stderr}");
    assert!(stdout.is_empty());
    assert!(stderr.contains("TLS"), "{stderr}");
    assert!(stderr.contains("ca_file"), "{stderr}");
    assert!(server.requests().is_empty());
}

#[test]
fn tls_to_plain_http_server_has_hint() {
    let server = TestServer::start(|_| Reply::text(200, "plain"));
    let https = server.url().replace("http://", "https://");
    let setup = Setup::new(&api_credential(&https, ""));
    let (code, stdout, stderr) = setup.run(&["call", "api", "/me"]);
    assert_eq!(code, Some(6), "{stderr}");
    assert!(stdout.is_empty());
    assert!(stderr.contains("TLS"), "{stderr}");
    assert!(stderr.contains("hint: the server answered in plain HTTP"), "{stderr}");
}

#[test]
fn tls_ca_file_also_trusts_token_endpoint() {
    let setup = Setup::new("");
    let pki = Pki::new(setup.dir());
    let server = TlsServer::start(pki.server_config(false), |request| {
        if request.path == "/token" {
            Reply::json(200, json!({"access_token": "tls-access", "token_type": "Bearer"}))
        } else {
            Reply::text(200, request.header("authorization").unwrap_or("none"))
        }
    });
    let endpoint = format!("{}/token", server.url());
    let extra = format!("ca_file = \"{}\"", toml_path(&pki.ca_pem));
    std::fs::write(&setup.config, exchange_credential(&server.url(), &endpoint, &extra)).unwrap();
    let (code, stdout, stderr) = setup.run(&["call", "ex", "/me"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stdout, "Bearer tls-access");
}

#[test]
fn redirect_from_https_to_http_drops_credentials() {
    let setup = Setup::new("");
    let pki = Pki::new(setup.dir());
    let plain = TestServer::start(|_| Reply::text(200, "downgraded"));
    let target = format!("http://localhost:{}/v1/next", plain.addr().port());
    let server = TlsServer::start(pki.server_config(false), move |_| {
        Reply::new(302).header("Location", target.as_str())
    });
    let extra = format!("ca_file = \"{}\"", toml_path(&pki.ca_pem));
    std::fs::write(&setup.config, api_credential(&server.url(), &extra)).unwrap();
    let (code, stdout, stderr) = setup.run(&["call", "api", "/me", "-L"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stdout, "downgraded");
    assert!(server.requests()[0].bearer().is_some());
    let landed = plain.requests();
    assert_eq!(landed.len(), 1);
    assert_eq!(landed[0].header("authorization"), None);
    assert_eq!(landed[0].header("x-api-key"), None);
}

#[test]
fn mutual_tls_with_client_certificate() {
    let setup = Setup::new("");
    let pki = Pki::new(setup.dir());
    let server = TlsServer::start(pki.server_config(true), |_| Reply::text(200, "mutual"));
    let extra = format!(
        "ca_file = \"{}\"\nclient_cert = \"{}\"\nclient_key = \"{}\"",
        toml_path(&pki.ca_pem),
        toml_path(&pki.client_cert_pem),
        toml_path(&pki.client_key_pem)
    );
    std::fs::write(&setup.config, api_credential(&server.url(), &extra)).unwrap();
    let (code, stdout, stderr) = setup.run(&["call", "api", "/me"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stdout, "mutual");
}

#[test]
fn mutual_tls_combined_pem_file() {
    let setup = Setup::new("");
    let pki = Pki::new(setup.dir());
    let server = TlsServer::start(pki.server_config(true), |_| Reply::text(200, "combined"));
    let combined = setup.dir().join("client-combined.pem");
    let text = std::fs::read_to_string(&pki.client_cert_pem).unwrap()
        + &std::fs::read_to_string(&pki.client_key_pem).unwrap();
    std::fs::write(&combined, text).unwrap();
    let extra = format!(
        "ca_file = \"{}\"\nclient_cert = \"{}\"",
        toml_path(&pki.ca_pem),
        toml_path(&combined)
    );
    std::fs::write(&setup.config, api_credential(&server.url(), &extra)).unwrap();
    let (code, stdout, stderr) = setup.run(&["call", "api", "/me"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stdout, "combined");
}

#[test]
fn mutual_tls_without_or_wrong_certificate_fails() {
    let setup = Setup::new("");
    let pki = Pki::new(setup.dir());
    let server = TlsServer::start(pki.server_config(true), |_| Reply::text(200, "mutual"));
    let no_cert = format!("ca_file = \"{}\"", toml_path(&pki.ca_pem));
    let stranger = format!(
        "{no_cert}\nclient_cert = \"{}\"\nclient_key = \"{}\"",
        toml_path(&pki.stranger_cert_pem),
        toml_path(&pki.stranger_key_pem)
    );
    for extra in [no_cert, stranger] {
        std::fs::write(&setup.config, api_credential(&server.url(), &extra)).unwrap();
        let (code, stdout, stderr) = setup.run(&["call", "api", "/me"]);
        assert_eq!(code, Some(6), "{extra}: {stderr}");
        assert!(stdout.is_empty());
    }
    assert!(server.requests().is_empty());
}

#[test]
fn tls_file_errors_are_exit_8_naming_field() {
    let setup = Setup::new("");
    let pki = Pki::new(setup.dir());
    let not_pem = setup.dir().join("not.pem");
    std::fs::write(&not_pem, "hello").unwrap();
    let cases = [
        ("ca_file = \"missing.pem\"".to_string(), "ca_file"),
        (format!("ca_file = \"{}\"", toml_path(&not_pem)), "ca_file"),
        (format!("client_key = \"{}\"", toml_path(&pki.client_key_pem)), "client_key"),
        (format!("client_cert = \"{}\"", toml_path(&pki.client_cert_pem)), "client_key"),
        (
            format!(
                "client_cert = \"{}\"\nclient_key = \"{}\"",
                toml_path(&pki.client_cert_pem),
                toml_path(&pki.stranger_key_pem)
            ),
            "client_key",
        ),
        (
            format!(
                "client_cert = \"{}\"\nclient_key = \"{}\"",
                toml_path(&pki.client_cert_pem),
                fixture("rsa2048-pkcs8-encrypted.pem").display()
            ),
            "client_key",
        ),
    ];
    for (extra, field) in cases {
        std::fs::write(&setup.config, api_credential("https://api.example", &extra)).unwrap();
        let (code, _, stderr) = setup.run(&["call", "api", "/me"]);
        assert_eq!(code, Some(8), "{extra}: {stderr}");
        assert!(stderr.contains(&format!("`{field}`")), "{extra}: {stderr}");
    }
}

// ---------------------------------------------------------------------------
// Proxies

/// A loopback proxy that records each request line it receives and
/// tunnels CONNECT requests to their target.
struct TunnelProxy {
    port: u16,
    seen: Arc<Mutex<Vec<String>>>,
}

impl TunnelProxy {
    fn start() -> TunnelProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let recorded = Arc::clone(&seen);
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let recorded = Arc::clone(&recorded);
                thread::spawn(move || tunnel(stream, &recorded));
            }
        });
        TunnelProxy { port, seen }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

/// Serves one proxy connection: records the request line, and for
/// CONNECT opens the tunnel and copies bytes both ways until either side
/// closes.
fn tunnel(client: TcpStream, seen: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(client.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    seen.lock().unwrap().push(line.trim_end().to_string());

    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap_or(0) == 0 || header.trim().is_empty() {
            break;
        }
    }
    let mut client = client;
    let target = match line.split_whitespace().collect::<Vec<_>>().as_slice() {
        ["CONNECT", target, _] => target.to_string(),
        _ => {
            let _ = client.write_all(b"HTTP/1.1 501 Not Implemented\r\nContent-Length: 0\r\n\r\n");
            return;
        }
    };

    let Ok(upstream) = TcpStream::connect(&target) else {
        let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
        return;
    };
    let _ = client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");

    let (mut up_read, mut up_write) = (upstream.try_clone().unwrap(), upstream);
    let mut down_write = client.try_clone().unwrap();
    let forward = thread::spawn(move || {
        let _ = std::io::copy(&mut reader, &mut up_write);
        let _ = up_write.shutdown(std::net::Shutdown::Write);
    });
    let _ = std::io::copy(&mut up_read, &mut down_write);
    let _ = down_write.shutdown(std::net::Shutdown::Both);
    let _ = forward.join();
}

#[test]
fn https_proxy_tunnels_to_tls_server() {
    let setup = Setup::new("");
    let pki = Pki::new(setup.dir());
    let server = TlsServer::start(pki.server_config(false), |_| Reply::text(200, "via proxy"));
    let proxy = TunnelProxy::start();
    let extra = format!("ca_file = \"{}\"", toml_path(&pki.ca_pem));
    std::fs::write(&setup.config, api_credential(&server.url(), &extra)).unwrap();
    for variable in ["HTTPS_PROXY", "https_proxy", "ALL_PROXY"] {
        let (code, stdout, stderr) =
            setup.run_with(&["call", "api", "/me"], &[(variable, &proxy.url())]);
        assert_eq!(code, Some(0), "{variable}: {stderr}");
        assert_eq!(stdout, "via proxy");
    }
    let expected = format!("CONNECT localhost:{} HTTP/1.1", server.port);
    assert_eq!(proxy.seen(), vec![expected.clone(), expected.clone(), expected]);
    assert!(server.requests().iter().all(|r| r.bearer().is_some()));
}

#[test]
fn no_proxy_bypasses_proxy() {
    let server = TestServer::start(|_| Reply::text(200, "direct"));
    let proxy = TunnelProxy::start();
    let setup = Setup::new(&api_credential(&server.url(), ""));
    for no_proxy in ["127.0.0.1", "*", "127.0.0.0/8", "example.com, 127.0.0.1"] {
        let env = [("http_proxy", proxy.url()), ("NO_PROXY", no_proxy.to_string())];
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (code, stdout, stderr) = setup.run_with(&["call", "api", "/me"], &env);
        assert_eq!(code, Some(0), "{no_proxy}: {stderr}");
        assert_eq!(stdout, "direct");
    }
    assert_eq!(proxy.seen(), Vec::<String>::new());
    assert_eq!(server.count(), 4);
}

#[test]
fn http_proxy_lowercase_used_uppercase_ignored() {
    let server = TestServer::start(|_| Reply::text(200, "plain"));
    let proxy = TunnelProxy::start();
    let setup = Setup::new(&api_credential(&server.url(), ""));
    let (code, _, stderr) =
        setup.run_with(&["call", "api", "/me"], &[("HTTP_PROXY", &proxy.url())]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(proxy.seen().is_empty());
    let (code, stdout, stderr) =
        setup.run_with(&["call", "api", "/me"], &[("http_proxy", &proxy.url())]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stdout, "plain");
    assert_eq!(proxy.seen(), vec![format!("CONNECT 127.0.0.1:{} HTTP/1.1", server.addr().port())]);
}

#[test]
fn proxy_applies_to_token_endpoint_and_hides_password() {
    let server = TestServer::start(|request| {
        if request.path == "/token" {
            Reply::json(200, json!({"access_token": "proxied"}))
        } else {
            Reply::text(200, "ok")
        }
    });
    let proxy = TunnelProxy::start();
    let endpoint = format!("{}/token", server.url());
    let setup = Setup::new(&exchange_credential(&server.url(), &endpoint, ""));
    let proxy_url = format!("http://user:proxy-pass-canary@127.0.0.1:{}", proxy.port);
    let (code, stdout, stderr) =
        setup.run_with(&["-v", "exchange", "ex"], &[("http_proxy", &proxy_url)]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stdout, "proxied\n");
    assert_eq!(proxy.seen().len(), 1, "the token endpoint is reached through the proxy");
    assert!(stderr.contains("through proxy"), "{stderr}");
    assert!(!stderr.contains("proxy-pass-canary"), "{stderr}");

    let (code, _, stderr) =
        setup.run_with(&["-v", "call", "ex", "/me"], &[("http_proxy", &proxy_url)]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(proxy.seen().len() >= 2, "{:?}", proxy.seen());
    assert_eq!(server.requests_to("/v1/me").len(), 1);
    assert!(!stderr.contains("proxy-pass-canary"), "{stderr}");
}

#[test]
fn proxy_decided_for_each_redirect_hop() {
    let direct = TestServer::start(|_| Reply::text(200, "reached directly"));
    let target = format!("{}/landing", direct.url());
    let server = TestServer::start(move |_| Reply::new(302).header("Location", target.as_str()));
    let proxy = TunnelProxy::start();
    let port = server.addr().port();
    let setup = Setup::new(&api_credential(&format!("http://localhost:{port}"), ""));
    let proxy_url = proxy.url();
    let env = [("http_proxy", proxy_url.as_str()), ("NO_PROXY", "127.0.0.1")];
    let (code, stdout, stderr) = setup.run_with(&["call", "api", "/x", "-L"], &env);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stdout, "reached directly");
    assert_eq!(proxy.seen(), vec![format!("CONNECT localhost:{port} HTTP/1.1")]);
    assert_eq!(direct.count(), 1);
}

#[test]
fn unusable_proxy_variable_is_exit_8() {
    let setup = Setup::new(&api_credential("https://api.example", ""));
    let (code, _, stderr) =
        setup.run_with(&["call", "api", "/me"], &[("https_proxy", "socks5://127.0.0.1:1")]);
    assert_eq!(code, Some(8), "{stderr}");
    assert!(stderr.contains("https_proxy"), "{stderr}");
}

/// Starts a loopback proxy that replies 407 Proxy Authentication Required
/// to every request, and returns its port.
fn authenticating_proxy() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let _ = read_head(&mut stream);
            let _ = stream.write_all(
                b"HTTP/1.1 407 Proxy Authentication Required\r\n\
                  Proxy-Authenticate: Basic realm=\"proxy\"\r\nContent-Length: 0\r\n\r\n",
            );
        }
    });
    port
}

/// Starts a loopback server that replies to every connection with `reply`,
/// as a port given as a proxy by mistake would, and returns its port.
fn fixed_reply_proxy(reply: &'static [u8]) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let _ = read_head(&mut stream);
            let _ = stream.write_all(reply);
        }
    });
    port
}

#[test]
fn proxy_failures_blame_the_proxy() {
    let setup = Setup::new(&api_credential("http://127.0.0.1:9", ""));
    let cases: [(&[u8], &str); 2] = [
        (b"SSH-2.0-OpenSSH_9.2\r\n\r\n", "is not valid HTTP/1.1"),
        (b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n", "it answered HTTP 502"),
    ];
    for (reply, expected) in cases {
        let proxy = format!("http://127.0.0.1:{}", fixed_reply_proxy(reply));
        let (code, _, stderr) = setup.run_with(&["call", "api", "/me"], &[("http_proxy", &proxy)]);
        assert_eq!(code, Some(6), "{stderr}");
        assert!(stderr.contains(&format!("proxy {proxy}/ (from http_proxy)")), "{stderr}");
        assert!(stderr.contains(expected), "{stderr}");
        assert!(!stderr.contains("502/502"), "{stderr}");
    }
}

#[test]
fn proxy_authentication_required_is_explained() {
    let port = authenticating_proxy();
    let setup = Setup::new(&api_credential("http://127.0.0.1:9", ""));

    let bare = format!("http://127.0.0.1:{port}");
    let (code, _, stderr) = setup.run_with(&["call", "api", "/me"], &[("http_proxy", &bare)]);
    assert_eq!(code, Some(6), "{stderr}");
    assert!(stderr.contains(&format!("proxy {bare}/ (from http_proxy)")), "{stderr}");
    assert!(stderr.contains("requires authentication"), "{stderr}");
    assert!(stderr.contains("USER:PASSWORD@"), "{stderr}");
    assert!(!stderr.contains("407/407"), "{stderr}");

    let with_password = format!("http://user:proxy-pass-canary@127.0.0.1:{port}");
    let (code, _, stderr) =
        setup.run_with(&["call", "api", "/me"], &[("http_proxy", &with_password)]);
    assert_eq!(code, Some(6), "{stderr}");
    assert!(stderr.contains("rejected the user name and password"), "{stderr}");
    assert!(stderr.contains("http_proxy"), "{stderr}");
    assert!(!stderr.contains("proxy-pass-canary"), "{stderr}");
}

#[test]
fn refused_proxy_is_named() {
    let proxy = closed_port_url();
    let proxy_with_password = proxy.replace("http://", "http://user:proxy-pass-canary@");
    let server = "http://127.0.0.1:9";
    let toml =
        api_credential(server, "") + &exchange_credential(server, &format!("{server}/token"), "");
    let setup = Setup::new(&toml);
    let cases: [(&[&str], &str); 3] = [
        (&["call", "api", "/me"], "http_proxy"),
        (&["call", "api", "/me"], "ALL_PROXY"),
        (&["exchange", "ex"], "http_proxy"),
    ];
    for (args, variable) in cases {
        let (code, _, stderr) = setup.run_with(args, &[(variable, &proxy_with_password)]);
        assert_eq!(code, Some(6), "{args:?}: {stderr}");
        let expected =
            format!("cannot connect to proxy {proxy}/ (from {variable}): connection refused");
        assert!(stderr.contains(&expected), "{args:?}: {stderr}");
        assert!(!stderr.contains("proxy-pass-canary"), "{args:?}: {stderr}");
        assert!(!stderr.contains(&format!("cannot connect to {server}")), "{args:?}: {stderr}");
    }
}

#[test]
fn unresolvable_proxy_is_named() {
    // In a new network namespace no DNS server can be reached, so the lookup
    // fails at once and no query leaves the machine.
    let isolated = std::process::Command::new("unshare").args(["-n", "true"]).status();
    if !isolated.is_ok_and(|status| status.success()) {
        eprintln!("skipped: unshare -n cannot create a network namespace here");
        return;
    }
    let setup = Setup::new(&api_credential("http://127.0.0.1:9", ""));
    let hermetic = setup.cmd();
    let mut command = std::process::Command::new("unshare");
    command.arg("-n").arg(hermetic.get_program()).args(hermetic.get_args());
    for (name, value) in hermetic.get_envs() {
        match value {
            Some(value) => command.env(name, value),
            None => command.env_remove(name),
        };
    }
    command.args(["call", "api", "/me"]);
    command.env("http_proxy", "http://user:proxy-pass-canary@proxy.invalid:3128");

    let output = command.output().unwrap();

    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(6), "{stderr}");
    let expected = "cannot resolve the host of proxy http://proxy.invalid:3128/ (from http_proxy)";
    assert!(stderr.contains(expected), "{stderr}");
    assert!(!stderr.contains("proxy-pass-canary"), "{stderr}");
    assert!(!stderr.contains("failed to lookup address information"), "{stderr}");
}

// ---------------------------------------------------------------------------
// Timeouts and network errors

/// Returns a loopback URL on which nothing listens.
fn closed_port_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

#[test]
fn connection_refused_message() {
    let url = closed_port_url();
    let setup = Setup::new(&api_credential(&url, ""));
    let (code, stdout, stderr) = setup.run(&["call", "api", "/me"]);
    assert_eq!(code, Some(6), "{stderr}");
    assert!(stdout.is_empty());
    assert!(
        stderr.contains(&format!("cannot connect to {url}/v1/me: connection refused")),
        "{stderr}"
    );
}

#[test]
fn silent_server_times_out_with_exit_6() {
    // The listener accepts connections into its backlog and never reads.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let setup = Setup::new(&api_credential(&url, ""));
    let (code, _, stderr) = setup.run(&["call", "api", "/me", "--timeout", "1"]);
    assert_eq!(code, Some(6), "{stderr}");
    let expected = format!("request to {url}/v1/me timed out while waiting for the response");
    assert!(stderr.contains(&expected), "{stderr}");
    assert!(stderr.contains("--timeout"), "{stderr}");
    assert!(stderr.contains("up to 86400 seconds"), "{stderr}");

    std::fs::write(&setup.config, api_credential(&url, "timeout = 1")).unwrap();
    let (code, _, stderr) = setup.run(&["call", "api", "/me"]);
    assert_eq!(code, Some(6), "{stderr}");
    assert!(stderr.contains("timed out"), "{stderr}");
    drop(listener);
}

/// Starts a server that sends response headers and the first bytes of a
/// longer body, then stalls with the connection open.
fn stalling_body_server(content_type: &'static str) -> (String, TcpListener) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = listener.try_clone().unwrap();
    thread::spawn(move || {
        let mut open = Vec::new();
        for stream in server.incoming().flatten() {
            let mut reader = BufReader::new(stream);
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let mut stream = reader.into_inner();
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: 100\r\n\r\n{{"
            );
            let _ = stream.write_all(head.as_bytes());
            open.push(stream);
        }
    });
    (url, listener)
}

#[test]
fn body_timeout_reads_like_other_timeouts() {
    let (url, _listener) = stalling_body_server("text/plain");
    let setup = Setup::new(&api_credential(&url, "timeout = 1"));
    let (code, _, stderr) = setup.run(&["call", "api", "/me"]);
    assert_eq!(code, Some(6), "{stderr}");
    let expected = format!("request to {url}/v1/me timed out while reading the response body");
    assert!(stderr.contains(&expected), "{stderr}");
    assert!(stderr.contains("up to 86400 seconds"), "{stderr}");
}

#[test]
fn token_endpoint_body_timeout_names_stage() {
    let (url, _listener) = stalling_body_server("application/json");
    let endpoint = format!("{url}/token");
    let setup = Setup::new(&exchange_credential(&url, &endpoint, "timeout = 1"));
    let (code, stdout, stderr) = setup.run(&["exchange", "ex"]);
    assert_eq!(code, Some(6), "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    let expected = format!("request to {endpoint} timed out while reading the response body");
    assert!(stderr.contains(&expected), "{stderr}");
}

#[test]
fn server_closing_without_response_is_exit_6() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream);
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            drop(reader);
        }
    });
    let setup = Setup::new(&api_credential(&url, ""));
    let (code, _, stderr) = setup.run(&["call", "api", "/me"]);
    assert_eq!(code, Some(6), "{stderr}");
    assert!(stderr.contains(&url), "{stderr}");
}

// ---------------------------------------------------------------------------
// Retries

/// Starts a server that answers the first `failures` requests with
/// `status` and `Retry-After: retry_after`, then 200.
fn flaky_server(failures: usize, status: u16, retry_after: &'static str) -> TestServer {
    let count = Arc::new(Mutex::new(0usize));
    TestServer::start(move |_| {
        let mut seen = count.lock().unwrap();
        *seen += 1;
        if *seen <= failures {
            Reply::text(status, "busy").header("Retry-After", retry_after)
        } else {
            Reply::text(200, "finally")
        }
    })
}

#[test]
fn retry_after_503_succeeds() {
    let server = flaky_server(2, 503, "0");
    let setup = Setup::new(&api_credential(&server.url(), ""));
    let (code, stdout, stderr) = setup.run(&["call", "api", "/me", "--retry", "2"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stdout, "finally");
    assert_eq!(server.count(), 3);
    assert!(stderr.contains("retry 2 of 2"), "{stderr}");
}

#[test]
fn retry_honours_http_date_in_the_past() {
    let server = flaky_server(1, 429, "Sun, 06 Nov 1994 08:49:37 GMT");
    let setup = Setup::new(&api_credential(&server.url(), ""));
    let (code, stdout, stderr) = setup.run(&["call", "api", "/me", "--retry", "1"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stdout, "finally");
    assert_eq!(server.count(), 2);
}

#[test]
fn retries_exhausted_keep_last_response() {
    let server = flaky_server(usize::MAX, 503, "0");
    let setup = Setup::new(&api_credential(&server.url(), ""));
    let (code, stdout, stderr) = setup.run(&["call", "api", "/me", "--retry", "2"]);
    assert_eq!(code, Some(5), "{stderr}");
    assert_eq!(stdout, "busy");
    assert_eq!(server.count(), 3);
}

#[test]
fn no_retry_without_flag() {
    let server = flaky_server(1, 503, "0");
    let setup = Setup::new(&api_credential(&server.url(), ""));
    let (code, _, _) = setup.run(&["call", "api", "/me"]);
    assert_eq!(code, Some(5));
    assert_eq!(server.count(), 1);
}

#[test]
fn post_retried_only_with_retry_all() {
    let server = flaky_server(1, 429, "0");
    let setup = Setup::new(&api_credential(&server.url(), ""));
    let (code, _, stderr) = setup.run(&["call", "api", "/me", "-d", "x", "--retry", "3"]);
    assert_eq!(code, Some(4), "{stderr}");
    assert_eq!(server.count(), 1);
    assert!(stderr.contains("add --retry-all"), "{stderr}");

    let server = flaky_server(1, 429, "0");
    let setup = Setup::new(&api_credential(&server.url(), ""));
    let (code, stdout, stderr) =
        setup.run(&["call", "api", "/me", "-d", "x", "--retry", "3", "--retry-all"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stdout, "finally");
    assert_eq!(server.count(), 2);
    assert_eq!(server.requests()[1].body, b"x");
}

#[test]
fn retry_all_requires_retry() {
    let setup = Setup::new(&api_credential("http://127.0.0.1:9", ""));
    let (code, _, stderr) = setup.run(&["call", "api", "/me", "--retry-all"]);
    assert_eq!(code, Some(2), "{stderr}");
}

#[test]
fn retry_after_connection_refused() {
    let url = closed_port_url();
    let setup = Setup::new(&api_credential(&url, ""));
    let (code, _, stderr) = setup.run(&["call", "api", "/me", "--retry", "1"]);
    assert_eq!(code, Some(6), "{stderr}");
    assert!(stderr.contains("retry 1 of 1"), "{stderr}");
    assert!(stderr.contains("connection refused"), "{stderr}");
}

#[test]
fn token_endpoint_retry_uses_fresh_assertion() {
    let count = Arc::new(Mutex::new(0usize));
    let server = TestServer::start(move |request| {
        if request.path != "/token" {
            return Reply::text(200, "api");
        }
        let mut seen = count.lock().unwrap();
        *seen += 1;
        if *seen == 1 {
            Reply::text(503, "warming up").header("Retry-After", "0")
        } else {
            Reply::json(200, json!({"access_token": "after-retry"}))
        }
    });
    let endpoint = format!("{}/token", server.url());
    let setup = Setup::new(&exchange_credential(&server.url(), &endpoint, ""));
    let (code, stdout, stderr) = setup.run(&["exchange", "ex", "--retry", "1"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stdout, "after-retry\n");
    let posts = server.requests_to("/token");
    assert_eq!(posts.len(), 2);
    let jti: Vec<String> = posts
        .iter()
        .map(|p| {
            jwt_claims(&p.form_value("assertion").unwrap())["jti"].as_str().unwrap().to_string()
        })
        .collect();
    assert_ne!(jti[0], jti[1]);
}

// ---------------------------------------------------------------------------
// Token endpoint replies and request checks

/// Runs `exchange` against a token endpoint that sends `reply`, and
/// returns exit code, stdout and stderr.
fn exchange_reply(reply: Reply) -> (Option<i32>, String, String) {
    let server = TestServer::start(move |_| reply.clone());
    let endpoint = format!("{}/token", server.url());
    let setup = Setup::new(&exchange_credential(&server.url(), &endpoint, ""));
    setup.run(&["exchange", "ex", "--json"])
}

#[test]
fn token_reply_shapes_accepted() {
    let replies = [
        json!({"access_token": "t1", "token_type": "Bearer", "expires_in": 3600}),
        json!({"access_token": "t1", "token_type": "bearer", "expires_in": "3600"}),
        json!({"access_token": "t1", "token_type": "BEARER"}),
        json!({"access_token": "t1"}),
        json!({"access_token": "t1", "expires_in": 59.5, "extra": {"nested": true}}),
    ];
    for body in replies {
        let (code, stdout, stderr) = exchange_reply(Reply::json(200, body.clone()));
        assert_eq!(code, Some(0), "{body}: {stderr}");
        let printed: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(printed["access_token"], "t1", "{body}");
    }
}

#[test]
fn token_reply_failures_are_exit_7() {
    let cases = [
        (Reply::json(200, json!({"access_token": "t", "expires_in": -5})), "expires_in"),
        (Reply::json(200, json!({"access_token": "t", "expires_in": "soon"})), "expires_in"),
        (Reply::json(200, json!({"access_token": "t", "token_type": "N_A"})), "N_A"),
        (Reply::json(200, json!({"access_token": "t", "token_type": "DPoP"})), "DPoP"),
        (Reply::json(200, json!({"error": "invalid_grant", "access_token": "t"})), "invalid_grant"),
        (
            Reply::json(
                401,
                json!({"message": "Bad credentials", "documentation_url": "https://docs"}),
            ),
            "Bad credentials",
        ),
        (
            Reply { body: b"<html>login</html>".to_vec(), ..Reply::new(200) }
                .header("Content-Type", "application/json"),
            "application/json",
        ),
        (Reply::new(500), "empty body"),
        (
            Reply { body: b"<h1>Service down</h1>".to_vec(), ..Reply::new(503) }
                .header("Content-Type", "text/html"),
            "503",
        ),
        (Reply::json(200, json!([1, 2])), "not a JSON object"),
        (Reply::json(200, json!({"access_token": ""})), "access_token"),
        (Reply::json(200, json!({"access_token": 7})), "access_token"),
        (Reply::json(200, json!({"access_token": "a\r\nX-Injected: 1"})), "byte 1"),
        (Reply::json(200, json!({"access_token": "two words"})), "Authorization header"),
    ];
    for (reply, expected) in cases {
        let shown = String::from_utf8_lossy(&reply.body).into_owned();
        let (code, stdout, stderr) = exchange_reply(reply);
        assert_eq!(code, Some(7), "{shown}: {stderr}");
        assert!(stdout.is_empty(), "{shown}");
        assert!(stderr.contains(expected), "{shown}: {stderr}");
    }
}

#[test]
fn token_reply_preview_escapes_control_characters() {
    let reply = Reply::text(502, "\u{1b}[31mred\u{7}\r\nforged line");
    let (code, _, stderr) = exchange_reply(reply);
    assert_eq!(code, Some(7), "{stderr}");
    assert!(!stderr.contains('\u{1b}'), "{stderr:?}");
    assert!(!stderr.contains('\u{7}'), "{stderr:?}");
    assert!(!stderr.contains("\r\nforged"), "{stderr:?}");
    assert!(stderr.contains("text/plain"), "{stderr}");
}

#[test]
fn token_reply_over_limit_is_exit_7() {
    let padding = "x".repeat(1024 * 1024 + 10);
    let (code, _, stderr) = exchange_reply(Reply::json(200, json!({"access_token": padding})));
    assert_eq!(code, Some(7), "{stderr}");
    assert!(stderr.contains("larger than 1048576 bytes"), "{stderr}");
}

#[test]
fn plain_http_to_remote_host_is_exit_8() {
    // The host is under .invalid, so a DNS lookup could never succeed; the
    // check rejects the URL before any lookup.
    for (url, endpoint) in [
        ("http://api.namedcred.invalid", "https://auth.namedcred.invalid/token"),
        ("https://api.namedcred.invalid", "http://auth.namedcred.invalid/token"),
    ] {
        let setup = Setup::new(&exchange_credential(url, endpoint, ""));
        let (code, _, stderr) = setup.run(&["call", "ex", "/me"]);
        assert_eq!(code, Some(8), "{url} {endpoint}: {stderr}");
        assert!(stderr.contains("https"), "{stderr}");
    }
    let allowed = exchange_credential(
        &closed_port_url().replace("127.0.0.1", "127.0.0.2"),
        "http://127.0.0.1:9/token",
        "allow_insecure_http = true",
    );
    let (code, _, stderr) = Setup::new(&allowed).run(&["call", "ex", "/me"]);
    assert_eq!(code, Some(6), "allowed http reaches the network: {stderr}");
}

#[test]
fn path_cannot_change_origin() {
    let server = TestServer::start(|_| Reply::text(200, "ok"));
    let setup = Setup::new(&api_credential(&server.url(), ""));
    for path in [
        "https://evil.example/x",
        "//evil.example/x",
        "\\\\evil.example\\x",
        "/x\r\nHost: evil",
        "/x#frag",
        "http:evil.example",
    ] {
        let (code, stdout, stderr) = setup.run(&["call", "api", path]);
        assert_eq!(code, Some(2), "{path:?}: {stderr}");
        assert!(stdout.is_empty());
    }
    let (code, _, _) = setup.run(&["call", "api", "/users/@me"]);
    assert_eq!(code, Some(0));
    assert_eq!(server.requests_to("/v1/users/@me").len(), 1);
    assert_eq!(server.count(), 1);
}

#[test]
fn path_cannot_climb_out_of_base_path() {
    let server = TestServer::start(|_| Reply::text(200, "ok"));
    let setup = Setup::new(&api_credential(&server.url(), ""));
    for path in ["/../admin", "..", "/a/../../admin", "/%2e%2e/admin", "/%2E./admin", "./x"] {
        let (code, stdout, stderr) = setup.run(&["call", "api", path]);
        assert_eq!(code, Some(2), "{path:?}: {stderr}");
        assert!(stderr.contains(". or .. segment"), "{stderr}");
        assert!(stderr.contains("/v1"), "{stderr}");
        assert!(stdout.is_empty());
    }
    assert_eq!(server.count(), 0);
    let (code, _, _) = setup.run(&["call", "api", "/files/v1..2/.profile"]);
    assert_eq!(code, Some(0));
    assert_eq!(server.requests_to("/v1/files/v1..2/.profile").len(), 1);
}

#[test]
fn framing_headers_rejected() {
    let server = TestServer::start(|_| Reply::text(200, "ok"));
    let setup = Setup::new(&api_credential(&server.url(), ""));
    for header in ["Content-Length: 5", "transfer-encoding: chunked"] {
        let (code, _, stderr) = setup.run(&["call", "api", "/x", "-d", "hi", "-H", header]);
        assert_eq!(code, Some(2), "{header}: {stderr}");
        assert!(stderr.contains("set by namedcred from the body"), "{stderr}");
    }
    for reserved in ["Content-Length", "Host"] {
        let toml = api_credential(&server.url(), "").replace("X-Api-Key", reserved);
        let (code, _, stderr) = Setup::new(&toml).run(&["call", "api", "/x"]);
        assert_eq!(code, Some(8), "{stderr}");
        assert!(stderr.contains(&format!("headers.{reserved}")), "{stderr}");
    }
    assert_eq!(server.count(), 0);
}

#[test]
fn output_target_is_checked_before_sending() {
    let server = TestServer::start(|_| Reply::text(200, "payload"));
    let setup = Setup::new(&api_credential(&server.url(), ""));
    let folder = setup.dir().to_str().unwrap().to_string();
    let (code, _, stderr) = setup.run(&["call", "api", "/x", "-o", &folder]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("is a folder"), "{stderr}");
    let missing = setup.dir().join("absent/out.json");
    let (code, _, stderr) = setup.run(&["call", "api", "/x", "-o", missing.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("absent"), "{stderr}");
    assert!(stderr.contains("does not exist"), "{stderr}");
    assert_eq!(server.count(), 0);

    let (code, stdout, _) = setup.run(&["call", "api", "/x", "-o", "-"]);
    assert_eq!((code, stdout.as_str()), (Some(0), "payload"));
    assert!(!setup.dir().join("-").exists());
}

#[cfg(unix)]
#[test]
fn output_file_keeps_its_mode() {
    use std::os::unix::fs::PermissionsExt;

    let server = TestServer::start(|_| Reply::text(200, "payload"));
    let setup = Setup::new(&api_credential(&server.url(), ""));
    let target = setup.dir().join("private.json");
    std::fs::write(&target, "old").unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600)).unwrap();
    let (code, _, stderr) = setup.run(&["call", "api", "/x", "-o", target.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "payload");
    let mode = std::fs::metadata(&target).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

#[test]
fn output_file_removed_on_failure() {
    let setup = Setup::new(&api_credential(&closed_port_url(), ""));
    let target = setup.dir().join("out.json");
    let (code, _, stderr) = setup.run(&["call", "api", "/x", "-o", target.to_str().unwrap()]);
    assert_eq!(code, Some(6), "{stderr}");
    let names: Vec<String> = std::fs::read_dir(setup.dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["credentials.toml"]);
}

#[test]
fn header_injection_rejected() {
    let setup = Setup::new(&api_credential("http://127.0.0.1:9", ""));
    // A NUL cannot be passed in an argument, so the unit tests cover it.
    for header in ["X-A: a\rb", "X-A: a\nX-B: b", "Bad Name: x"] {
        let (code, _, stderr) = setup.run(&["call", "api", "/x", "-H", header]);
        assert_eq!(code, Some(2), "{header:?}: {stderr}");
    }
    let toml =
        api_credential("http://127.0.0.1:9", "").replace("configured-key", "a\\r\\nX-Injected: 1");
    let (code, _, stderr) = Setup::new(&toml).run(&["call", "api", "/x"]);
    assert_eq!(code, Some(8), "{stderr}");
    assert!(stderr.contains("headers.X-Api-Key"), "{stderr}");
}

#[test]
fn large_body_streams_to_stdout() {
    let body: Vec<u8> = (0..8 * 1024 * 1024).map(|i| (i % 251) as u8).collect();
    let expected = body.clone();
    let server = TestServer::start(move |_| Reply { body: body.clone(), ..Reply::new(200) });
    let setup = Setup::new(&api_credential(&server.url(), ""));
    let output = setup.cmd().args(["call", "api", "/big"]).output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(output.stdout.len(), expected.len());
    assert!(output.stdout == expected, "the body differs from what the server sent");
}

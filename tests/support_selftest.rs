//! Tests of the shared test server in `tests/support`, driven by a raw `TcpStream` client so
//! that they do not depend on the HTTP client that `namedcred` uses.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use serde_json::json;
use support::{RecordedRequest, Reply, TestServer};

/// A response as read by the raw test client.
struct RawResponse {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl RawResponse {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("response body should be JSON")
    }
}

/// A client connection that fails the test instead of hanging if the server stops responding.
struct RawClient {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl RawClient {
    fn connect(address: SocketAddr) -> Self {
        let stream = TcpStream::connect(address).expect("connecting to the test server failed");
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let writer = stream.try_clone().unwrap();
        RawClient { reader: BufReader::new(stream), writer }
    }

    fn send(&mut self, raw_request: &[u8]) {
        self.writer.write_all(raw_request).expect("writing the request failed");
    }

    /// Reads one response whose body is framed by Content-Length, or empty without it.
    fn read_response(&mut self) -> RawResponse {
        let mut response = self.read_response_head();
        if let Some(length) = response.header("content-length") {
            let mut body = vec![0; length.parse().expect("Content-Length should be a number")];
            self.reader.read_exact(&mut body).expect("reading the response body failed");
            response.body = body;
        }
        response
    }

    /// Reads the status line and headers of a response and leaves the body unread.
    ///
    /// A response to HEAD needs this, because its Content-Length describes a body that is
    /// not sent.
    fn read_response_head(&mut self) -> RawResponse {
        let status_line = self.read_line();
        let mut parts = status_line.splitn(3, ' ');
        assert_eq!(parts.next(), Some("HTTP/1.1"), "status line {status_line:?}");
        let status = parts.next().and_then(|code| code.parse().ok()).expect("status code");

        let mut headers = Vec::new();
        loop {
            let line = self.read_line();
            if line.is_empty() {
                return RawResponse { status, headers, body: Vec::new() };
            }
            let (name, value) = line.split_once(':').expect("header line should contain a colon");
            headers.push((name.to_string(), value.trim().to_string()));
        }
    }

    fn read_line(&mut self) -> String {
        let mut line = String::new();
        self.reader.read_line(&mut line).expect("reading a response line failed");
        assert!(line.ends_with("\r\n"), "response line {line:?} should end with CRLF");
        line.truncate(line.len() - 2);
        line
    }

    /// Returns whether the server closed the connection, reading at most one byte.
    fn is_closed_by_server(&mut self) -> bool {
        let mut byte = [0u8; 1];
        matches!(self.reader.read(&mut byte), Ok(0))
    }
}

/// Starts a server that returns the method, path and body of each request as JSON.
fn start_echo_server() -> TestServer {
    TestServer::start(|request: &RecordedRequest| {
        Reply::json(
            200,
            json!({
                "method": request.method,
                "path": request.path,
                "body": request.body_text(),
            }),
        )
    })
}

#[test]
fn keep_alive_serves_two_requests() {
    let server = start_echo_server();
    let mut client = RawClient::connect(server.addr());

    client.send(b"GET /first?x=1 HTTP/1.1\r\nHost: localhost\r\n\r\n");
    let first = client.read_response();
    client.send(b"POST /second HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello");
    let second = client.read_response();

    assert_eq!(first.status, 200);
    assert_eq!(first.header("connection"), Some("keep-alive"));
    assert_eq!(first.header("content-type"), Some("application/json"));
    assert_eq!(first.header("content-length"), Some(first.body.len().to_string().as_str()));
    assert_eq!(first.json()["path"], "/first?x=1");
    assert_eq!(second.status, 200);
    assert_eq!(second.json()["method"], "POST");
    assert_eq!(second.json()["body"], "hello");

    assert_eq!(server.count(), 2);
    assert_eq!(server.connection_count(), 1);
    let requests = server.requests();
    assert_eq!(requests[0].path, "/first?x=1");
    assert_eq!(requests[1].path, "/second");
    assert_eq!(requests[1].body, b"hello");
}

#[test]
fn chunked_body_is_decoded() {
    let server = start_echo_server();
    let mut client = RawClient::connect(server.addr());

    client.send(
        b"POST /upload HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n\
          5\r\nhello\r\n\
          7;name=value\r\n, world\r\n\
          0\r\nX-Trailer: ignored\r\n\r\n",
    );
    let chunked = client.read_response();
    // A request after the chunked one proves that the server consumed exactly its body.
    client.send(b"GET /after HTTP/1.1\r\nHost: localhost\r\n\r\n");
    let after = client.read_response();

    assert_eq!(chunked.status, 200);
    assert_eq!(chunked.json()["body"], "hello, world");
    assert_eq!(after.status, 200);
    assert_eq!(after.json()["path"], "/after");
    assert_eq!(server.requests()[0].body, b"hello, world");
    assert_eq!(server.requests()[1].body, b"");
}

#[test]
fn form_body_is_decoded() {
    let server = TestServer::start(|_| Reply::new(204));
    let mut client = RawClient::connect(server.addr());
    let body = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer\
                &assertion=a.b.c&scope=read+write&empty=&flag&bad=%zz%4&utf8=%C3%A9";

    client.send(
        format!(
            "POST /token HTTP/1.1\r\nHost: localhost\r\n\
             content-type: application/x-www-form-urlencoded\r\n\
             AUTHORIZATION: bearer  token-123 \r\n\
             Content-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    );
    let response = client.read_response();

    assert_eq!(response.status, 204);
    assert_eq!(response.header("content-length"), None);
    let request = &server.requests()[0];
    assert_eq!(request.header("Content-Type"), Some("application/x-www-form-urlencoded"));
    assert_eq!(request.bearer(), Some("token-123"));
    assert_eq!(
        request.form(),
        vec![
            ("grant_type".to_string(), "urn:ietf:params:oauth:grant-type:jwt-bearer".to_string()),
            ("assertion".to_string(), "a.b.c".to_string()),
            ("scope".to_string(), "read write".to_string()),
            ("empty".to_string(), String::new()),
            ("flag".to_string(), String::new()),
            ("bad".to_string(), "%zz%4".to_string()),
            ("utf8".to_string(), "é".to_string()),
        ]
    );
    assert_eq!(request.form_value("scope"), Some("read write".to_string()));
    assert_eq!(request.form_value("missing"), None);
}

#[test]
fn bearer_rejects_other_schemes() {
    let request = |authorization: &str| RecordedRequest {
        method: "GET".to_string(),
        path: "/".to_string(),
        headers: vec![("Authorization".to_string(), authorization.to_string())],
        body: Vec::new(),
    };

    assert_eq!(request("Bearer abc").bearer(), Some("abc"));
    assert_eq!(request("Basic dXNlcjpwYXNz").bearer(), None);
    assert_eq!(request("Bearer ").bearer(), None);
    assert_eq!(request("Bearer").bearer(), None);
}

#[test]
fn connection_close_is_honoured() {
    let server = start_echo_server();
    let mut client = RawClient::connect(server.addr());

    client.send(b"GET /once HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    let response = client.read_response();

    assert_eq!(response.status, 200);
    assert_eq!(response.header("connection"), Some("close"));
    assert!(client.is_closed_by_server());
}

#[test]
fn reply_connection_close_closes() {
    let server = TestServer::start(|_| Reply::text(503, "busy").header("Connection", "close"));
    let mut client = RawClient::connect(server.addr());

    client.send(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
    let response = client.read_response();

    assert_eq!(response.status, 503);
    assert_eq!(response.body, b"busy");
    assert_eq!(response.header("connection"), Some("close"));
    assert!(client.is_closed_by_server());
}

#[test]
fn http10_closes_without_keep_alive() {
    let server = start_echo_server();
    let mut client = RawClient::connect(server.addr());

    client.send(b"GET /old HTTP/1.0\r\n\r\n");
    let response = client.read_response();

    assert_eq!(response.status, 200);
    assert_eq!(response.header("connection"), Some("close"));
    assert!(client.is_closed_by_server());
}

#[test]
fn expect_continue_gets_interim_response() {
    let server = start_echo_server();
    let mut client = RawClient::connect(server.addr());

    client.send(
        b"PUT /data HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n",
    );
    let interim = client.read_response();
    client.send(b"abc");
    let response = client.read_response();

    assert_eq!(interim.status, 100);
    assert_eq!(response.status, 200);
    assert_eq!(response.json()["body"], "abc");
}

#[test]
fn head_response_has_no_body() {
    let server = TestServer::start(|_| Reply::text(200, "twelve bytes"));
    let mut client = RawClient::connect(server.addr());

    client.send(b"HEAD /resource HTTP/1.1\r\nHost: localhost\r\n\r\n");
    let head = client.read_response_head();
    client.send(b"GET /resource HTTP/1.1\r\nHost: localhost\r\n\r\n");
    let get = client.read_response();

    assert_eq!(head.status, 200);
    assert_eq!(head.header("content-length"), Some("12"));
    assert_eq!(get.body, b"twelve bytes");
}

#[test]
fn reply_delay_postpones_response() {
    let delay = Duration::from_millis(200);
    let server = TestServer::start(move |_| Reply::new(200).delay(delay));
    let mut client = RawClient::connect(server.addr());

    let started = Instant::now();
    client.send(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
    let response = client.read_response();

    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-length"), Some("0"));
    assert!(started.elapsed() >= delay, "response came after {:?}", started.elapsed());
}

#[test]
fn handler_panic_returns_500() {
    let server = TestServer::start(|request: &RecordedRequest| {
        assert_eq!(request.path, "/expected", "unexpected path");
        Reply::new(200)
    });
    let mut client = RawClient::connect(server.addr());

    client.send(b"GET /other HTTP/1.1\r\nHost: localhost\r\n\r\n");
    let response = client.read_response();

    assert_eq!(response.status, 500);
    let body = String::from_utf8(response.body).unwrap();
    assert!(body.contains("unexpected path"), "body: {body}");
}

#[test]
fn malformed_request_returns_400() {
    let server = start_echo_server();
    let mut client = RawClient::connect(server.addr());

    client.send(b"GET /x HTTP/1.1\r\nBad Header: value\r\n\r\n");
    let response = client.read_response();

    assert_eq!(response.status, 400);
    assert!(client.is_closed_by_server());
    assert_eq!(server.count(), 0);
}

#[test]
fn requests_to_filters_by_prefix() {
    let server = start_echo_server();
    let mut client = RawClient::connect(server.addr());

    for path in ["/token", "/api/items?page=2", "/token?refresh=1", "/api/users"] {
        client.send(format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").as_bytes());
        client.read_response();
    }

    let token_paths: Vec<String> =
        server.requests_to("/token").into_iter().map(|request| request.path).collect();
    assert_eq!(token_paths, ["/token", "/token?refresh=1"]);
    assert_eq!(server.requests_to("/api/").len(), 2);
    assert_eq!(server.requests_to("/missing").len(), 0);
}

#[test]
fn separate_connections_are_served_concurrently() {
    let server = TestServer::start(|request: &RecordedRequest| {
        if request.path == "/slow" {
            Reply::new(200).delay(Duration::from_secs(2))
        } else {
            Reply::new(200)
        }
    });
    let mut slow = RawClient::connect(server.addr());
    let mut fast = RawClient::connect(server.addr());

    slow.send(b"GET /slow HTTP/1.1\r\nHost: localhost\r\n\r\n");
    let started = Instant::now();
    fast.send(b"GET /fast HTTP/1.1\r\nHost: localhost\r\n\r\n");
    let fast_response = fast.read_response();

    assert_eq!(fast_response.status, 200);
    assert!(started.elapsed() < Duration::from_secs(2), "fast request waited for the slow one");
    assert_eq!(server.connection_count(), 2);
}

#[test]
fn drop_stops_server() {
    let server = start_echo_server();
    let address = server.addr();
    let mut idle = RawClient::connect(address);
    idle.send(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
    idle.read_response();

    drop(server);

    assert!(idle.is_closed_by_server(), "idle keep-alive connection should be closed");
    assert!(TcpStream::connect(address).is_err(), "server should stop accepting connections");
}

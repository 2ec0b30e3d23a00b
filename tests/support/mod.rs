//! Helpers shared by the integration tests: a loopback HTTP/1.1 server that records every
//! request, a `namedcred` command isolated from the user's environment, and fixture paths.
//!
//! Each test binary includes this module with `mod support;` and uses only part of it.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// Maximum size of a request line or header line, in bytes.
const MAX_LINE_BYTES: usize = 16 * 1024;
/// Maximum number of header lines (and of chunked trailer lines) in one request.
const MAX_HEADER_LINES: usize = 200;
/// Maximum size of a request body, in bytes, after chunked decoding.
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// Proxy environment variables, in upper and lower case.
const PROXY_ENV_VARS: [&str; 8] = [
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "NO_PROXY",
    "no_proxy",
    "ALL_PROXY",
    "all_proxy",
];

/// Returns a `namedcred` command that cannot see the user's configuration, cache or proxy.
///
/// HOME is `home`, XDG_CONFIG_HOME is `home/.config`, XDG_CACHE_HOME is `home/.cache` and
/// NO_COLOR is 1. NAMEDCRED_CONFIG, NAMEDCRED_CACHE_DIR and all proxy variables are removed.
/// The directories under `home` are not created.
pub fn hermetic_cmd(home: &Path) -> assert_cmd::Command {
    let mut command = assert_cmd::Command::cargo_bin("namedcred")
        .expect("the namedcred binary should be built by cargo for integration tests");

    for name in
        ["HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "NAMEDCRED_CONFIG", "NAMEDCRED_CACHE_DIR"]
    {
        command.env_remove(name);
    }
    for name in PROXY_ENV_VARS {
        command.env_remove(name);
    }

    command
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_CACHE_HOME", home.join(".cache"))
        .env("NO_COLOR", "1");
    command
}

/// Returns the path of `tests/fixtures/<name>`, and panics if that file does not exist.
pub fn fixture(name: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("fixtures").join(name);
    assert!(
        path.exists(),
        "fixture {} not found; tests/fixtures/generate.sh lists the files it creates",
        path.display()
    );
    path
}

/// An HTTP request as the test server received it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedRequest {
    pub method: String,
    /// Request target as sent, including the query string (for example `/token?a=1`).
    pub path: String,
    /// Header fields in the order received, with names as the client spelled them.
    pub headers: Vec<(String, String)>,
    /// Body after chunked decoding, if the request used it.
    pub body: Vec<u8>,
}

impl RecordedRequest {
    /// Returns the value of the first header named `name`, compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// Decodes the body as `application/x-www-form-urlencoded` pairs, in order.
    ///
    /// `+` becomes a space and `%XX` becomes the byte XX. A `%` that is not followed by two
    /// hex digits is kept as is, and invalid UTF-8 is replaced with U+FFFD. A pair without
    /// `=` has an empty value. The Content-Type header is not checked.
    pub fn form(&self) -> Vec<(String, String)> {
        decode_form(&String::from_utf8_lossy(&self.body))
    }

    /// Returns the decoded value of the first form field named `name`.
    pub fn form_value(&self, name: &str) -> Option<String> {
        self.form().into_iter().find(|(key, _)| key == name).map(|(_, value)| value)
    }

    /// Returns the token of an `Authorization: Bearer <token>` header.
    ///
    /// The scheme is compared case-insensitively. Returns None for other schemes and for an
    /// empty token.
    pub fn bearer(&self) -> Option<&str> {
        let authorization = self.header("authorization")?;
        let (scheme, token) = authorization.split_once(' ')?;
        let token = token.trim();
        if scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() { Some(token) } else { None }
    }

    /// Returns the body as UTF-8, with invalid sequences replaced by U+FFFD.
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Parses the body as JSON, and panics with the body in the message if it is invalid.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|error| {
            panic!("request body is not valid JSON ({error}): {:?}", self.body_text())
        })
    }
}

/// A response for the test server to send.
///
/// The server always frames the body with Content-Length and adds a Connection header,
/// so Content-Length, Transfer-Encoding and Connection entries in `headers` are not sent.
/// A Connection header with the value `close` makes the server close the connection
/// after this response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Time to wait before the response is written, to test client timeouts.
    pub delay: Option<Duration>,
}

impl Reply {
    /// Creates a response with an empty body and no headers.
    pub fn new(status: u16) -> Self {
        Reply { status, headers: Vec::new(), body: Vec::new(), delay: None }
    }

    /// Creates a response with `value` serialized as the body and `Content-Type: application/json`.
    pub fn json(status: u16, value: serde_json::Value) -> Self {
        let body = serde_json::to_vec(&value).expect("a serde_json::Value always serializes");
        Reply { body, ..Reply::new(status) }.header("Content-Type", "application/json")
    }

    /// Creates a response with `text` as the body and `Content-Type: text/plain; charset=utf-8`.
    pub fn text(status: u16, text: &str) -> Self {
        Reply { body: text.as_bytes().to_vec(), ..Reply::new(status) }
            .header("Content-Type", "text/plain; charset=utf-8")
    }

    /// Appends a header. Earlier headers with the same name are kept.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets the time to wait before the response is written.
    pub fn delay(mut self, delay: Duration) -> Self {
        self.delay = Some(delay);
        self
    }

    fn requests_close(&self) -> bool {
        self.headers.iter().any(|(name, value)| {
            name.eq_ignore_ascii_case("connection") && has_token(value, "close")
        })
    }
}

type Handler = dyn Fn(&RecordedRequest) -> Reply + Send + Sync + 'static;

/// State shared by the accept thread, the connection threads and the `TestServer` handle.
struct Shared {
    handler: Box<Handler>,
    requests: Mutex<Vec<RecordedRequest>>,
    shutdown: AtomicBool,
    /// Number of connections accepted so far, also used as the key of `open_connections`.
    connection_count: AtomicUsize,
    /// Clones of the open sockets, so that dropping the server can close idle keep-alive
    /// connections whose threads are blocked in a read.
    open_connections: Mutex<HashMap<usize, TcpStream>>,
}

/// A loopback HTTP/1.1 server for integration tests.
///
/// Every connection is served on its own thread and may carry several requests
/// (keep-alive). Each request is recorded before the handler runs, so `requests()` returns
/// requests in the order the server finished reading them. Dropping the server stops
/// accepting connections and shuts down the open ones.
pub struct TestServer {
    address: SocketAddr,
    shared: Arc<Shared>,
    accept_thread: Option<JoinHandle<()>>,
}

impl TestServer {
    /// Binds 127.0.0.1 on a free port and starts serving every request with `handler`.
    ///
    /// If the handler panics, the client receives a 500 response with the panic message.
    pub fn start(handler: impl Fn(&RecordedRequest) -> Reply + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding 127.0.0.1:0 failed");
        let address = listener.local_addr().expect("reading the listener address failed");
        let shared = Arc::new(Shared {
            handler: Box::new(handler),
            requests: Mutex::new(Vec::new()),
            shutdown: AtomicBool::new(false),
            connection_count: AtomicUsize::new(0),
            open_connections: Mutex::new(HashMap::new()),
        });

        let accept_shared = Arc::clone(&shared);
        let accept_thread = thread::Builder::new()
            .name(format!("test-server-{}", address.port()))
            .spawn(move || accept_connections(listener, accept_shared))
            .expect("spawning the test server thread failed");

        TestServer { address, shared, accept_thread: Some(accept_thread) }
    }

    /// Returns the base URL without a trailing slash, such as `http://127.0.0.1:41234`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    pub fn addr(&self) -> SocketAddr {
        self.address
    }

    /// Returns a copy of every request received so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.requests).clone()
    }

    /// Returns the number of requests received so far.
    pub fn count(&self) -> usize {
        lock(&self.shared.requests).len()
    }

    /// Returns the requests whose path (query included) starts with `path_prefix`, in order.
    pub fn requests_to(&self, path_prefix: &str) -> Vec<RecordedRequest> {
        lock(&self.shared.requests)
            .iter()
            .filter(|request| request.path.starts_with(path_prefix))
            .cloned()
            .collect()
    }

    /// Returns the number of TCP connections accepted so far, to check connection reuse.
    pub fn connection_count(&self) -> usize {
        self.shared.connection_count.load(Ordering::SeqCst)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shared.shutdown.store(true, Ordering::SeqCst);

        // accept() blocks until a client connects, so connect once to let the accept thread
        // see the shutdown flag. The thread drops the listener when it returns.
        let _ = TcpStream::connect(self.address);
        if let Some(accept_thread) = self.accept_thread.take() {
            let _ = accept_thread.join();
        }

        for (_, stream) in lock(&self.shared.open_connections).drain() {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while the lock is held cannot leave the recorded data half-written, so a
    // poisoned lock is still usable.
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn accept_connections(listener: TcpListener, shared: Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.shutdown.load(Ordering::SeqCst) {
            break;
        }
        let stream = match stream {
            Ok(stream) => stream,
            Err(error) => {
                eprintln!("test server: accepting a connection failed: {error}");
                continue;
            }
        };

        let id = shared.connection_count.fetch_add(1, Ordering::SeqCst);
        match stream.try_clone() {
            Ok(clone) => {
                lock(&shared.open_connections).insert(id, clone);
            }
            Err(error) => {
                eprintln!("test server: cloning the socket of connection {id} failed: {error}");
                continue;
            }
        }

        let connection_shared = Arc::clone(&shared);
        let spawned =
            thread::Builder::new().name(format!("test-server-connection-{id}")).spawn(move || {
                serve_connection(stream, &connection_shared, id);
                lock(&connection_shared.open_connections).remove(&id);
            });
        if let Err(error) = spawned {
            eprintln!("test server: spawning the thread of connection {id} failed: {error}");
            lock(&shared.open_connections).remove(&id);
        }
    }
}

/// A request parsed from the connection, with whether the client allows another one after it.
struct ParsedRequest {
    request: RecordedRequest,
    keep_alive: bool,
}

enum RequestError {
    /// The client sent something that is not valid HTTP/1.x. The server replies 400.
    Malformed(String),
    Io(io::Error),
}

impl From<io::Error> for RequestError {
    fn from(error: io::Error) -> Self {
        RequestError::Io(error)
    }
}

fn serve_connection(stream: TcpStream, shared: &Shared, id: usize) {
    let _ = stream.set_nodelay(true);
    let mut writer = match stream.try_clone() {
        Ok(writer) => writer,
        Err(error) => {
            eprintln!("test server: cloning the socket of connection {id} failed: {error}");
            return;
        }
    };
    let mut reader = BufReader::new(stream);

    while !shared.shutdown.load(Ordering::SeqCst) {
        let parsed = match read_request(&mut reader, &mut writer) {
            Ok(Some(parsed)) => parsed,
            Ok(None) => return,
            Err(RequestError::Malformed(message)) => {
                eprintln!(
                    "test server: rejected a malformed request on connection {id}: {message}"
                );
                let reply = Reply::text(400, &message).header("Connection", "close");
                let _ = writer.write_all(&encode_reply(&reply, "GET", false));
                return;
            }
            Err(RequestError::Io(error)) => {
                if !shared.shutdown.load(Ordering::SeqCst) {
                    eprintln!("test server: reading a request on connection {id} failed: {error}");
                }
                return;
            }
        };

        lock(&shared.requests).push(parsed.request.clone());
        let reply = call_handler(&shared.handler, &parsed.request);
        if let Some(delay) = reply.delay {
            thread::sleep(delay);
        }

        let keep_alive = parsed.keep_alive && !reply.requests_close();
        let response = encode_reply(&reply, &parsed.request.method, keep_alive);
        if let Err(error) = writer.write_all(&response).and_then(|()| writer.flush()) {
            if !shared.shutdown.load(Ordering::SeqCst) {
                eprintln!("test server: writing a response on connection {id} failed: {error}");
            }
            return;
        }
        if !keep_alive {
            let _ = writer.shutdown(Shutdown::Write);
            return;
        }
    }
}

fn call_handler(handler: &Handler, request: &RecordedRequest) -> Reply {
    match panic::catch_unwind(AssertUnwindSafe(|| handler(request))) {
        Ok(reply) => reply,
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|text| text.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "non-string panic payload".to_string());
            Reply::text(500, &format!("test server handler panicked: {message}"))
        }
    }
}

/// Reads one request, or returns None if the client closed the connection before sending one.
///
/// `writer` is used only to send `100 Continue` when the client expects it.
fn read_request(
    reader: &mut impl BufRead,
    writer: &mut impl Write,
) -> Result<Option<ParsedRequest>, RequestError> {
    // HTTP/1.1 servers should ignore empty lines received before the request line (RFC 9112).
    let request_line = loop {
        match read_line(reader)? {
            None => return Ok(None),
            Some(line) if line.is_empty() => continue,
            Some(line) => break line,
        }
    };

    let parts: Vec<&str> = request_line.split(' ').collect();
    let [method, path, version] = parts[..] else {
        return Err(RequestError::Malformed(format!("invalid request line {request_line:?}")));
    };
    if method.is_empty() || path.is_empty() || !version.starts_with("HTTP/1.") {
        return Err(RequestError::Malformed(format!("invalid request line {request_line:?}")));
    }

    let headers = read_header_lines(reader)?;
    let mut request = RecordedRequest {
        method: method.to_string(),
        path: path.to_string(),
        headers,
        body: Vec::new(),
    };

    let connection = request.header("connection").unwrap_or("");
    let keep_alive = if has_token(connection, "close") {
        false
    } else if version == "HTTP/1.0" {
        has_token(connection, "keep-alive")
    } else {
        true
    };

    let body_length = body_length(&request)?;
    let expects_continue =
        request.header("expect").is_some_and(|value| value.eq_ignore_ascii_case("100-continue"));
    if expects_continue && version != "HTTP/1.0" && body_length != BodyLength::Empty {
        writer.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
        writer.flush()?;
    }

    request.body = match body_length {
        BodyLength::Empty => Vec::new(),
        BodyLength::Fixed(length) => {
            let mut body = vec![0; length];
            reader.read_exact(&mut body)?;
            body
        }
        BodyLength::Chunked => read_chunked_body(reader)?,
    };

    Ok(Some(ParsedRequest { request, keep_alive }))
}

#[derive(Debug, PartialEq, Eq)]
enum BodyLength {
    Empty,
    Fixed(usize),
    Chunked,
}

/// Determines the body framing as RFC 9112 section 6.3 specifies for requests.
fn body_length(request: &RecordedRequest) -> Result<BodyLength, RequestError> {
    if let Some(encoding) = request.header("transfer-encoding") {
        // Transfer-Encoding overrides Content-Length, and chunked must be the final coding.
        let final_coding = encoding.rsplit(',').next().unwrap_or("").trim();
        if !final_coding.eq_ignore_ascii_case("chunked") {
            return Err(RequestError::Malformed(format!(
                "unsupported Transfer-Encoding {encoding:?}: the final coding must be chunked"
            )));
        }
        return Ok(BodyLength::Chunked);
    }

    let mut lengths = request
        .headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .map(|(_, value)| value.trim());
    let Some(first) = lengths.next() else {
        return Ok(BodyLength::Empty);
    };
    if lengths.any(|other| other != first) {
        return Err(RequestError::Malformed("conflicting Content-Length headers".to_string()));
    }

    let length: usize = first
        .parse()
        .map_err(|_| RequestError::Malformed(format!("invalid Content-Length {first:?}")))?;
    if length > MAX_BODY_BYTES {
        return Err(RequestError::Malformed(format!(
            "Content-Length {length} exceeds the test server limit of {MAX_BODY_BYTES} bytes"
        )));
    }
    Ok(if length == 0 { BodyLength::Empty } else { BodyLength::Fixed(length) })
}

/// Reads header lines up to and including the empty line that ends them.
fn read_header_lines(reader: &mut impl BufRead) -> Result<Vec<(String, String)>, RequestError> {
    let mut headers = Vec::new();
    loop {
        let line = read_line(reader)?.ok_or_else(|| {
            RequestError::Malformed("connection closed before the end of the headers".to_string())
        })?;
        if line.is_empty() {
            return Ok(headers);
        }
        if headers.len() == MAX_HEADER_LINES {
            return Err(RequestError::Malformed(format!(
                "more than {MAX_HEADER_LINES} header lines"
            )));
        }

        let Some((name, value)) = line.split_once(':') else {
            return Err(RequestError::Malformed(format!("header line without a colon: {line:?}")));
        };
        // HTTP/1.1 forbids whitespace between the field name and the colon (RFC 9112).
        if name.is_empty() || name.contains(|c: char| c.is_ascii_whitespace()) {
            return Err(RequestError::Malformed(format!("invalid header name in {line:?}")));
        }
        headers.push((name.to_string(), value.trim_matches([' ', '\t']).to_string()));
    }
}

/// Reads a body in chunked transfer coding. Chunk extensions and trailer fields are discarded.
fn read_chunked_body(reader: &mut impl BufRead) -> Result<Vec<u8>, RequestError> {
    let mut body = Vec::new();
    loop {
        let size_line = read_line(reader)?.ok_or_else(|| {
            RequestError::Malformed("connection closed inside a chunked body".to_string())
        })?;
        let size_text = size_line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| {
            RequestError::Malformed(format!("invalid chunk size line {size_line:?}"))
        })?;

        if size == 0 {
            read_header_lines(reader)?;
            return Ok(body);
        }
        if body.len() + size > MAX_BODY_BYTES {
            return Err(RequestError::Malformed(format!(
                "chunked body exceeds the test server limit of {MAX_BODY_BYTES} bytes"
            )));
        }

        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..])?;
        match read_line(reader)? {
            Some(line) if line.is_empty() => {}
            _ => {
                return Err(RequestError::Malformed(
                    "chunk data is not followed by CRLF".to_string(),
                ));
            }
        }
    }
}

/// Reads one line without its LF or CRLF ending, or returns None at end of stream.
///
/// Bytes that are not valid UTF-8 are replaced with U+FFFD.
fn read_line(reader: &mut impl BufRead) -> Result<Option<String>, RequestError> {
    let mut line = Vec::new();
    let read = reader.by_ref().take(MAX_LINE_BYTES as u64 + 1).read_until(b'\n', &mut line)?;
    if read == 0 {
        return Ok(None);
    }
    if line.last() != Some(&b'\n') {
        return Err(if line.len() > MAX_LINE_BYTES {
            RequestError::Malformed(format!("line longer than {MAX_LINE_BYTES} bytes"))
        } else {
            RequestError::Malformed("connection closed in the middle of a line".to_string())
        });
    }

    line.pop();
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    Ok(Some(String::from_utf8_lossy(&line).into_owned()))
}

/// Serializes `reply` as an HTTP/1.1 response to a request with `method`.
fn encode_reply(reply: &Reply, method: &str, keep_alive: bool) -> Vec<u8> {
    // 1xx, 204 and 304 responses end with the header section (RFC 9112 section 6.3), and a
    // server must not send Content-Length in 1xx and 204 responses (RFC 9110 section 8.6).
    let has_content = !(reply.status < 200 || reply.status == 204 || reply.status == 304);

    let mut head = format!("HTTP/1.1 {} {}\r\n", reply.status, reason_phrase(reply.status));
    for (name, value) in &reply.headers {
        let is_framing = ["content-length", "transfer-encoding", "connection"]
            .iter()
            .any(|framing| name.eq_ignore_ascii_case(framing));
        if !is_framing {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    if has_content {
        head.push_str(&format!("Content-Length: {}\r\n", reply.body.len()));
    }
    head.push_str(if keep_alive { "Connection: keep-alive\r\n" } else { "Connection: close\r\n" });
    head.push_str("\r\n");

    let mut response = head.into_bytes();
    if has_content && method != "HEAD" {
        response.extend_from_slice(&reply.body);
    }
    response
}

fn reason_phrase(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Content",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        // The reason phrase may be empty in HTTP/1.1, so other codes are sent without one.
        _ => "",
    }
}

/// Returns whether the comma-separated header `value` contains `token`, ignoring case.
fn has_token(value: &str, token: &str) -> bool {
    value.split(',').any(|item| item.trim().eq_ignore_ascii_case(token))
}

fn decode_form(input: &str) -> Vec<(String, String)> {
    input
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode_form_component(name), decode_form_component(value))
        })
        .collect()
}

fn decode_form_component(input: &str) -> String {
    let bytes = input.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let escaped = match bytes.get(index..index + 3) {
            Some([b'%', high, low]) => hex_value(*high).zip(hex_value(*low)),
            _ => None,
        };
        if let Some((high, low)) = escaped {
            decoded.push(high << 4 | low);
            index += 3;
        } else {
            decoded.push(if bytes[index] == b'+' { b' ' } else { bytes[index] });
            index += 1;
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

fn hex_value(digit: u8) -> Option<u8> {
    (digit as char).to_digit(16).map(|value| value as u8)
}

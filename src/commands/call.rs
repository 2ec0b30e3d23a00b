//! `namedcred call`: one API request with the credential's bearer token,
//! its body streamed to stdout or to a file.

use std::fs;
use std::io::{self, BufWriter, Read, Write};
use std::path::Path;
use std::time::Instant;

use ureq::Agent;
use ureq::http::{Method, Request, Response};
use url::Url;

use super::bearer::TokenSource;
use super::output::Output;
use super::{http_client, load, print_line};
use crate::cli::CallArgs;
use crate::client::HttpClient;
use crate::credential::{Credential, Protocol};
use crate::error::Error;
use crate::exchange;
use crate::http;
use crate::redact::{self, BodyView, RequestView};
use crate::redirect::{self, Hop, Step};
use crate::retry::{RetryPolicy, Sent};
use crate::secret::Secret;

/// Headers that `-H` may not set, because namedcred sets them from the
/// credential.
const RESERVED_HEADERS: [(&str, &str); 2] = [
    ("authorization", "namedcred sends the credential's bearer token"),
    ("host", "the host comes from the credential's url"),
];

/// Size of each chunk copied from the response to the output.
const COPY_CHUNK: usize = 64 * 1024;

/// A request checked and ready to send, except for its bearer token.
struct Prepared {
    method: Method,
    url: Url,
    /// Headers for the credential's origin: its configured headers merged
    /// with `-H` flags.
    headers: Vec<(String, String)>,
    /// Headers for any other origin a redirect leads to: the `-H` flags
    /// without the credential's configured headers.
    public_headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
}

/// The last response of a call, with the request that received it.
struct Outcome {
    /// The request that received the response.
    hop: Hop,
    /// The response to write out.
    response: Response<ureq::Body>,
    /// The reason a redirect in the response was not followed, if any.
    refused: Option<String>,
}

/// Runs `call` and returns 0, or 3, 4 or 5 for a final 3xx, 4xx or 5xx.
pub fn run(config: Option<&Path>, args: CallArgs) -> anyhow::Result<u8> {
    let credential = load(config, &args.name)?;
    let mut request = prepare(&credential, &args)?;
    if args.dry_run {
        return dry_run(&credential, &request, &args.path, !args.no_cache);
    }
    let output = Output::open(args.output.as_deref())?;
    let retry = RetryPolicy { retries: args.retry, all_methods: args.retry_all };
    let client = http_client(args.timeout, &credential, retry);
    let tokens = TokenSource::new(&client, &credential, !args.no_cache);
    let bearer = tokens.token()?;
    if credential.url_from_token_reply {
        request.url = instance_request_url(tokens.instance_url(), &args.path)?;
    }

    let mut outcome = send_following(&client, &request, &bearer, args.location)?;
    if is_rejected_token(&outcome, &tokens) {
        log::debug!("API returned HTTP 401; exchanging for a new access token and retrying once");
        // The rejected response is dropped unread: only the retry's
        // response reaches the output.
        drop(outcome);
        let replacement = tokens.replace(&bearer)?;
        outcome = send_following(&client, &request, &replacement, args.location)?;
    }
    let status = outcome.response.status();

    let Outcome { hop, response, refused } = outcome;
    let location = redirect_target(&response, &hop.url);
    write_response(response, args.include, output, &hop.url)?;
    let shown = http::origin_and_path(&hop.url);
    if let Some(reason) = refused {
        eprintln!(
            "namedcred: error: not following the HTTP {} redirect from {} {shown}: {reason}",
            status.as_u16(),
            hop.method
        );
        return Ok(http::status_exit_code(status.as_u16()));
    }
    if status.as_u16() >= 300 {
        let text = http::status_text(status);
        match location {
            Some(target) => eprintln!(
                "namedcred: HTTP {text} from {} {shown}, redirecting to {target}\n\
                 hint: add -L to follow redirects on the credential's origin",
                hop.method
            ),
            None => eprintln!("namedcred: HTTP {text} from {} {shown}", hop.method),
        }
    }
    Ok(http::status_exit_code(status.as_u16()))
}

/// Returns the `Location` of a 3xx response, resolved against the request
/// URL and shown without its query, which may carry secrets.
fn redirect_target(response: &Response<ureq::Body>, url: &Url) -> Option<String> {
    if !response.status().is_redirection() {
        return None;
    }
    let location = response.headers().get("location")?.to_str().ok()?;
    url.join(location).ok().map(|target| http::origin_and_path(&target))
}

/// Joins the path to the `instance_url` of the token reply, which must be
/// https (or http to a loopback host, for tests and local servers).
fn instance_request_url(instance_url: Option<String>, path: &str) -> Result<Url, Error> {
    let Some(text) = instance_url else {
        return Err(super::bearer::missing_instance_url());
    };
    let base = Url::parse(&text).map_err(|e| {
        Error::exchange(format!("the token reply's instance_url is not a URL ({e})"))
    })?;
    let loopback = matches!(base.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    if base.scheme() != "https" && !(base.scheme() == "http" && loopback) {
        return Err(Error::exchange(format!(
            "the token reply's instance_url {} does not use https",
            http::origin_and_path(&base)
        )));
    }
    log::debug!("API base URL from the token reply: {}", http::origin_and_path(&base));
    http::join_url(&base, path).map_err(Error::usage)
}

/// Tells whether the API returned 401 to a request that carried an
/// exchanged access token, which a new exchange may fix.
fn is_rejected_token(outcome: &Outcome, tokens: &TokenSource<'_>) -> bool {
    outcome.response.status().as_u16() == 401 && outcome.hop.with_credentials && tokens.exchanges()
}

/// Checks the flags and builds the request: URL, method, headers, body.
fn prepare(credential: &crate::credential::Credential, args: &CallArgs) -> Result<Prepared, Error> {
    let url = http::join_url(&credential.url, &args.path).map_err(Error::usage)?;
    let body = match &args.data {
        None => None,
        Some(data) => Some(read_body(data)?),
    };
    if args.json
        && let Some(bytes) = &body
    {
        serde_json::from_slice::<serde_json::Value>(bytes).map_err(|e| {
            Error::usage(format!("--json is set but the body is not valid JSON: {e}"))
        })?;
    }

    let method_name = args
        .method
        .clone()
        .unwrap_or_else(|| if body.is_some() { "POST" } else { "GET" }.to_string());
    let method = Method::from_bytes(method_name.to_ascii_uppercase().as_bytes()).map_err(|_| {
        Error::usage(format!("\"{}\" is not an HTTP method", method_name.escape_debug()))
    })?;

    let headers = merge_headers(&credential.headers, &args.headers, args.json, body.is_some())?;
    let public_headers = merge_headers(&[], &args.headers, args.json, body.is_some())?;
    Ok(Prepared { method, url, headers, public_headers, body })
}

/// Reads `-d`: literal text, `@FILE`, or `@-` for stdin.
fn read_body(data: &str) -> Result<Vec<u8>, Error> {
    match data.strip_prefix('@') {
        None => Ok(data.as_bytes().to_vec()),
        Some("-") => {
            let mut buffer = Vec::new();
            io::stdin()
                .read_to_end(&mut buffer)
                .map_err(|e| Error::usage(format!("cannot read the body from stdin: {e}")))?;
            Ok(buffer)
        }
        Some(path) => fs::read(path)
            .map_err(|e| Error::usage(format!("cannot read the body from {path}: {e}"))),
    }
}

/// Combines the credential's headers with `-H` flags, which replace headers
/// of the same name or remove them (`Name:`), and adds content headers.
fn merge_headers(
    configured: &[(String, String)],
    flags: &[String],
    json: bool,
    has_body: bool,
) -> Result<Vec<(String, String)>, Error> {
    let mut headers: Vec<(String, String)> = configured.to_vec();
    let mut defaults: Vec<(&str, &str)> = Vec::new();
    if json {
        defaults.push(("Accept", "application/json"));
        if has_body {
            defaults.push(("Content-Type", "application/json"));
        }
    } else if has_body {
        // The same default as curl's -d, so that scripts moved from curl
        // behave the same.
        defaults.push(("Content-Type", "application/x-www-form-urlencoded"));
    }
    for (name, value) in defaults {
        if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
            headers.push((name.to_string(), value.to_string()));
        }
    }

    for flag in flags {
        let (name, value) = http::parse_header_flag(flag).map_err(Error::usage)?;
        if let Some((_, why)) = RESERVED_HEADERS.iter().find(|(n, _)| name.eq_ignore_ascii_case(n))
        {
            return Err(Error::usage(format!("-H {name} is not allowed: {why}")));
        }
        headers.retain(|(n, _)| !n.eq_ignore_ascii_case(&name));
        if let Some(value) = value {
            headers.push((name, value));
        }
    }
    Ok(headers)
}

/// Sends the request and, with `follow`, the redirects that the policy in
/// [`redirect`] allows, and returns the last response.
fn send_following(
    client: &HttpClient,
    request: &Prepared,
    bearer: &Secret<String>,
    follow: bool,
) -> Result<Outcome, Error> {
    let origin = request.url.origin();
    let mut hop = Hop::first(request.method.clone(), request.url.clone());
    let mut followed = 0;
    loop {
        let response = send(client, request, &hop, bearer)?;
        if !follow {
            return Ok(Outcome { hop, response, refused: None });
        }
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("location")
            .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
        let has_body = request.body.is_some();
        match redirect::next(&origin, &hop, status, location.as_deref(), has_body, followed) {
            Step::Final => return Ok(Outcome { hop, response, refused: None }),
            Step::Refuse(reason) => return Ok(Outcome { hop, response, refused: Some(reason) }),
            Step::Follow(next) => {
                log::debug!(
                    "HTTP {status}: following to {} {} {}",
                    next.method,
                    http::origin_and_path(&next.url),
                    if next.with_credentials {
                        "with the credential"
                    } else {
                        "without the token or the credential's headers (another origin)"
                    }
                );
                hop = next;
                followed += 1;
            }
        }
    }
}

/// Sends one request of the chain, retrying as the client's policy allows.
fn send(
    client: &HttpClient,
    request: &Prepared,
    hop: &Hop,
    bearer: &Secret<String>,
) -> Result<Response<ureq::Body>, Error> {
    let authorization = format!("Bearer {}", bearer.expose());
    let view = request_view(request, hop, &authorization);
    http::check_head_size(view.method, &hop.url, &view.headers)?;
    let agent = client.agent_for(&hop.url)?;
    let retryable = client.retry.allows(&hop.method);
    if client.retry.retries > 0 && !retryable {
        log::warn!(
            "{} is not idempotent, so --retry does not apply to it; add --retry-all to retry it",
            hop.method
        );
    }
    let what = format!("{} {}", hop.method, http::origin_and_path(&hop.url));
    let started = Instant::now();
    let sent = client.retry.run(retryable, &what, || Ok(attempt(&agent, request, hop, bearer)))?;
    let response = sent.map_err(|e| client.transport_error(e, &hop.url))?;
    redact::log_response("the API", &response, started.elapsed());
    Ok(response)
}

/// Builds and sends one request: the bearer token and the credential's
/// headers only when the hop allows them, and the body only when kept.
fn attempt(agent: &Agent, request: &Prepared, hop: &Hop, bearer: &Secret<String>) -> Sent {
    let authorization = format!("Bearer {}", bearer.expose());
    let view = request_view(request, hop, &authorization);
    view.log();
    let mut builder = Request::builder().method(hop.method.clone()).uri(hop.url.as_str());
    for (name, value) in &view.headers {
        builder = builder.header(*name, *value);
    }
    let body = request.body.as_ref().filter(|_| hop.keeps_body);
    let sent = match body {
        Some(body) => builder.body(body.clone()).map(|r| agent.run(r)),
        None => builder.body(()).map(|r| agent.run(r)),
    };
    sent.unwrap_or_else(|e| Err(ureq::Error::Http(e)))
}

/// Streams the response to stdout, or to the `-o` file, which appears
/// only when the whole body has arrived.
fn write_response(
    response: Response<ureq::Body>,
    include: bool,
    output: Output,
    url: &Url,
) -> anyhow::Result<()> {
    match output {
        Output::Stdout => {
            let mut out = BufWriter::new(io::stdout().lock());
            match copy_response(response, include, &mut out, url) {
                Err(CopyError::Write(e)) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
                Err(CopyError::Write(e)) => Err(anyhow::anyhow!("cannot write to stdout: {e}")),
                Err(CopyError::Read(e)) => Err(e.into()),
                Ok(()) => Ok(()),
            }
        }
        Output::File(mut file) => {
            let shown = file.target().display().to_string();
            // A FIFO or process substitution whose reader stopped early ends
            // the output quietly, as stdout does.
            let broken_pipe = |e: &io::Error| e.kind() == io::ErrorKind::BrokenPipe;
            match copy_response(response, include, file.writer(), url) {
                Ok(()) => match file.commit() {
                    Err(e) if !broken_pipe(&e) => Err(anyhow::anyhow!("cannot write {shown}: {e}")),
                    _ => Ok(()),
                },
                Err(CopyError::Write(e)) if broken_pipe(&e) => Ok(()),
                Err(CopyError::Write(e)) => Err(anyhow::anyhow!("cannot write {shown}: {e}")),
                Err(CopyError::Read(e)) => Err(e.into()),
            }
        }
    }
}

/// Why copying a response failed: reading from the server or writing out.
enum CopyError {
    Read(Error),
    Write(io::Error),
}

/// Copies the optional head and the body to `out`, chunk by chunk, so the
/// body is never held in memory whole.
fn copy_response(
    response: Response<ureq::Body>,
    include: bool,
    out: &mut impl Write,
    url: &Url,
) -> Result<(), CopyError> {
    if include {
        http::write_head(out, &response).map_err(CopyError::Write)?;
    }
    let mut reader = response.into_body().into_reader();
    let mut chunk = vec![0u8; COPY_CHUNK];
    loop {
        let count = match reader.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(CopyError::Read(read_error(&e, url))),
        };
        out.write_all(&chunk[..count]).map_err(CopyError::Write)?;
    }
    out.flush().map_err(CopyError::Write)
}

/// Builds the error for a failed read of the response body. ureq wraps a
/// timeout there in an I/O error, which gets the same wording as a timeout
/// before the response.
fn read_error(error: &io::Error, url: &Url) -> Error {
    let shown = http::origin_and_path(url);
    let wrapped = error.get_ref().and_then(|inner| inner.downcast_ref::<ureq::Error>());
    if matches!(wrapped, Some(ureq::Error::Timeout(_))) || error.kind() == io::ErrorKind::TimedOut {
        return http::timeout_error(&shown, http::READING_BODY);
    }
    Error::network(format!("reading the response from {shown} failed: {error}"))
}

/// Describes one request of the chain: the headers the hop allows, with
/// `authorization` only when it keeps the credential, and the body only
/// when kept. The view is what is sent, and what `-v` logs redacted.
fn request_view<'a>(
    request: &'a Prepared,
    hop: &'a Hop,
    authorization: &'a str,
) -> RequestView<'a> {
    let body = request.body.as_deref().filter(|_| hop.keeps_body);
    let headers = if hop.with_credentials { &request.headers } else { &request.public_headers };
    let mut shown: Vec<(&str, &str)> = headers
        .iter()
        .filter(|(name, _)| body.is_some() || !name.eq_ignore_ascii_case("content-type"))
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    if hop.with_credentials {
        shown.push(("Authorization", authorization));
    }
    RequestView {
        method: hop.method.as_str(),
        url: hop.url.as_str(),
        headers: shown,
        body: body.map_or(BodyView::None, BodyView::Bytes),
    }
}

/// Prints the requests that `call` would send, secrets redacted, and sends
/// nothing: for jwt-exchange the token request first, unless `use_cache`
/// and a fresh cached token would make it unnecessary, then the API
/// request.
fn dry_run(
    credential: &Credential,
    request: &Prepared,
    path: &str,
    use_cache: bool,
) -> anyhow::Result<u8> {
    let mut parts = Vec::new();
    let mut cached = None;
    if let Protocol::JwtExchange(spec) = &credential.protocol {
        cached = if use_cache { fresh_token(credential, spec) } else { None };
        if cached.is_some() {
            eprintln!(
                "namedcred: a cached access token of `{}` would be reused, so no token request \
                 would be sent",
                credential.name
            );
        } else {
            parts.push(exchange::describe_request(spec, redact::REDACTED).dry_run_text());
        }
    }
    let mut url = request.url.clone();
    if credential.url_from_token_reply {
        // The cached token's instance_url is where the request would go.
        match cached.and_then(|entry| entry.instance_url) {
            Some(instance) => url = instance_request_url(Some(instance), path)?,
            None => eprintln!(
                "namedcred: `{}` sets no url, so the request would go to the instance_url of \
                 the token reply; {} below is a placeholder",
                credential.name,
                http::origin_and_path(&credential.url)
            ),
        }
    }
    let hop = Hop::first(request.method.clone(), url);
    let authorization = format!("Bearer {}", redact::REDACTED);
    parts.push(request_view(request, &hop, &authorization).dry_run_text());
    print_line(parts.join("\n\n").as_bytes())?;
    Ok(0)
}

/// Returns the cache entry that `call` would reuse now, if any. Reading
/// the cache takes no lock and sends nothing.
fn fresh_token(
    credential: &Credential,
    spec: &crate::credential::ExchangeSpec,
) -> Option<crate::cache::Entry> {
    let entry = super::bearer::slot_for(credential, spec).and_then(|slot| slot.read(false));
    entry.filter(|entry| entry.is_fresh(crate::token::now()))
}

//! Fetching shared by the Alertmanager and Prometheus pollers: timeouts, a response size
//! cap, bearer token (never logged), a custom CA, capped exponential backoff with jitter, and
//! errors that say what went wrong in words an on-call engineer can act on.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use serde::de::DeserializeOwned;

/// Where a bearer token comes from. The token itself is read once, at start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenSource {
    File(PathBuf),
    Env(String),
}

/// How to reach one kind of server.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpSettings {
    pub connect_timeout: Duration,
    /// The whole request, from sending to the last body byte.
    pub timeout: Duration,
    pub max_body_bytes: usize,
    pub token: Option<TokenSource>,
    pub ca_file: Option<PathBuf>,
    /// The first wait after a failure; doubles per failure up to `backoff_max`.
    pub backoff_min: Duration,
    pub backoff_max: Duration,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            connect_timeout: Duration::from_secs(3),
            timeout: Duration::from_secs(10),
            max_body_bytes: 16 * 1024 * 1024,
            token: None,
            ca_file: None,
            backoff_min: Duration::from_secs(1),
            backoff_max: Duration::from_secs(60),
        }
    }
}

/// Why a fetch failed. The `Display` text is what the console shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchError {
    Connect(String),
    Timeout,
    /// A 4xx answer, with the server's own message when it gave one.
    Client {
        status: u16,
        message: String,
    },
    /// A 5xx answer.
    Server {
        status: u16,
        message: String,
    },
    TooLarge {
        limit: usize,
    },
    /// An HTML page where JSON was expected: usually a proxy or login page.
    Html {
        status: u16,
    },
    /// The body is not the JSON expected (truncated, garbage, wrong shape).
    Decode(String),
    /// The server answered `"status": "error"` (Prometheus) with this message.
    Api(String),
    Setup(String),
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FetchError::Connect(m) => write!(f, "cannot connect: {m}"),
            FetchError::Timeout => f.write_str("timed out"),
            FetchError::Client { status, message } => write!(f, "HTTP {status}: {message}"),
            FetchError::Server { status, message } => write!(f, "server error {status}: {message}"),
            FetchError::TooLarge { limit } => {
                write!(f, "response larger than the {} KiB cap", limit / 1024)
            }
            FetchError::Html { status } => write!(
                f,
                "HTTP {status} answered with an HTML page instead of JSON (a proxy or login page?)"
            ),
            FetchError::Decode(m) => write!(f, "bad response: {m}"),
            FetchError::Api(m) => f.write_str(m),
            FetchError::Setup(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for FetchError {}

impl FetchError {
    /// Failures that mean "this SLO's query is wrong", not "the server is unwell".
    pub fn is_query_error(&self) -> bool {
        matches!(self, FetchError::Client { .. } | FetchError::Api(_))
    }
}

/// A body, already capped, with what the server said about it.
#[derive(Debug, Clone)]
pub struct Body {
    pub status: u16,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// Longest server message shown in the console.
const MESSAGE_MAX: usize = 300;

/// Turns a body into `T`, classifying what is wrong when it does not fit. Pure: fixtures
/// and the loopback tests feed it bodies directly.
pub fn decode<T: DeserializeOwned>(body: &Body) -> Result<T, FetchError> {
    decode_seed(body, std::marker::PhantomData)
}

/// [`decode`] with a seed, for a caller that converts while it reads.
pub fn decode_seed<T, S>(body: &Body, seed: S) -> Result<T, FetchError>
where
    S: for<'de> serde::de::DeserializeSeed<'de, Value = T>,
{
    let looks_html = body.content_type.contains("text/html")
        || body
            .bytes
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_some_and(|b| *b == b'<');
    if looks_html {
        return Err(FetchError::Html {
            status: body.status,
        });
    }
    let mut de = serde_json::Deserializer::from_slice(&body.bytes);
    let value = seed.deserialize(&mut de).and_then(|v| de.end().map(|()| v));
    value.map_err(json_error)
}

/// What is wrong with a body serde_json could not read, in words.
fn json_error(e: serde_json::Error) -> FetchError {
    let what = if e.is_eof() {
        "truncated JSON".to_string()
    } else if e.is_syntax() {
        "not JSON".to_string()
    } else {
        "unexpected JSON".to_string()
    };
    FetchError::Decode(crate::sanitize::escape_truncated(
        &format!("{what} ({e})"),
        MESSAGE_MAX,
    ))
}

/// A body's chunks as they arrive from the network, read by a decoder on a blocking
/// thread; the end of the channel is the end of the body.
struct ChunkReader<B> {
    rx: tokio::sync::mpsc::Receiver<B>,
    chunk: Option<B>,
    pos: usize,
}

impl<B: AsRef<[u8]>> std::io::Read for ChunkReader<B> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            if let Some(chunk) = &self.chunk {
                let rest = &chunk.as_ref()[self.pos..];
                if !rest.is_empty() {
                    let n = rest.len().min(buf.len());
                    buf[..n].copy_from_slice(&rest[..n]);
                    self.pos += n;
                    return Ok(n);
                }
            }
            match self.rx.blocking_recv() {
                Some(next) => {
                    self.chunk = Some(next);
                    self.pos = 0;
                }
                None => return Ok(0),
            }
        }
    }
}

/// Chunks in flight between the network and the decoder: one, so the body is never held
/// (hyper's chunks reach hundreds of KiB each; more in flight held megabytes at 10 000 alerts).
const CHUNKS_IN_FLIGHT: usize = 1;

/// The server's own words for an error status: the `error` field of a JSON body (Prometheus
/// and Alertmanager both use it), else the start of the text.
pub fn error_message(body: &Body) -> String {
    #[derive(serde::Deserialize)]
    struct ErrBody {
        error: Option<String>,
        #[serde(rename = "errorType")]
        error_type: Option<String>,
    }
    if let Ok(ErrBody {
        error: Some(e),
        error_type,
    }) = serde_json::from_slice::<ErrBody>(&body.bytes)
    {
        let text = match error_type {
            Some(t) => format!("{t}: {e}"),
            None => e,
        };
        return crate::sanitize::escape_truncated(&text, MESSAGE_MAX);
    }
    if body.content_type.contains("text/html") || body.bytes.trim_ascii_start().starts_with(b"<") {
        return "(an HTML page)".into();
    }
    let text = String::from_utf8_lossy(&body.bytes);
    let text = text.trim();
    if text.is_empty() {
        "(no message)".into()
    } else {
        crate::sanitize::escape_truncated(text, MESSAGE_MAX)
    }
}

/// Classifies a status: 2xx bodies pass, others become errors with the server's message.
pub fn check_status(body: Body) -> Result<Body, FetchError> {
    match body.status {
        200..=299 => Ok(body),
        s @ 400..=499 => Err(FetchError::Client {
            status: s,
            message: error_message(&body),
        }),
        s => Err(FetchError::Server {
            status: s,
            message: error_message(&body),
        }),
    }
}

/// An HTTP client with the settings applied. Its `Debug` never shows the token.
#[derive(Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    auth: Option<HeaderValue>,
    max_body: usize,
}

impl fmt::Debug for Fetcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fetcher")
            .field("auth", &self.auth.as_ref().map(|_| "<redacted>"))
            .field("max_body", &self.max_body)
            .finish()
    }
}

impl Fetcher {
    pub fn new(settings: &HttpSettings) -> Result<Fetcher, FetchError> {
        Fetcher::build(settings, false)
    }

    /// A fetcher for these URLs only. When none is `https`, the system's root certificates
    /// are not loaded: reading and parsing them all costs about a megabyte for the life of
    /// the console, for connections that never use TLS.
    pub fn for_urls<'a>(
        settings: &HttpSettings,
        urls: impl IntoIterator<Item = &'a str>,
    ) -> Result<Fetcher, FetchError> {
        Fetcher::build(settings, all_plain(urls))
    }

    fn build(settings: &HttpSettings, plain: bool) -> Result<Fetcher, FetchError> {
        let mut builder = reqwest::Client::builder()
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.timeout)
            .user_agent(concat!("warroom/", env!("CARGO_PKG_VERSION")));
        if let Some(ca) = &settings.ca_file {
            let pem = std::fs::read(ca).map_err(|e| {
                FetchError::Setup(format!("cannot read the CA file {}: {e}", ca.display()))
            })?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| FetchError::Setup(format!("bad CA file {}: {e}", ca.display())))?;
            if certs.is_empty() {
                return Err(FetchError::Setup(format!(
                    "no PEM certificate in the CA file {}",
                    ca.display()
                )));
            }
            builder = builder.tls_certs_merge(certs);
        } else if plain {
            builder = builder.tls_certs_only(Vec::new());
        }
        let auth = match &settings.token {
            None => None,
            Some(src) => Some(bearer_header(&read_token(src)?)?),
        };
        let client = builder
            .build()
            .map_err(|e| FetchError::Setup(format!("cannot build the HTTP client: {e}")))?;
        Ok(Fetcher {
            client,
            auth,
            max_body: settings.max_body_bytes,
        })
    }

    pub fn request(&self, method: reqwest::Method, url: &str) -> reqwest::RequestBuilder {
        let mut req = self.client.request(method, url);
        if let Some(h) = &self.auth {
            req = req.header(AUTHORIZATION, h.clone());
        }
        req
    }

    pub async fn get(&self, url: &str) -> Result<Body, FetchError> {
        self.send(self.request(reqwest::Method::GET, url)).await
    }

    /// Sends a request and decodes a JSON answer with `seed` while it arrives, on a blocking
    /// thread, so a large body (10 000 alerts are 6 MB) is never held whole: only a few
    /// chunks are in memory at once. Errors are those of [`Fetcher::send`], [`check_status`]
    /// and [`decode_seed`]: an error status or an HTML page is read whole (under the cap)
    /// for the server's message.
    pub async fn send_decoded<T, S>(
        &self,
        req: reqwest::RequestBuilder,
        seed: S,
    ) -> Result<T, FetchError>
    where
        S: for<'de> serde::de::DeserializeSeed<'de, Value = T> + Send + 'static,
        T: Send + 'static,
    {
        let (mut resp, status, content_type) = self.start(req).await?;
        if !(200..=299).contains(&status) || content_type.contains("text/html") {
            let bytes = self.read_body(&mut resp, Vec::new()).await?;
            let body = check_status(Body {
                status,
                content_type,
                bytes,
            })?;
            return decode_seed(&body, seed);
        }
        let (tx, rx) = tokio::sync::mpsc::channel(CHUNKS_IN_FLIGHT);
        let decoder = tokio::task::spawn_blocking(move || {
            let reader = std::io::BufReader::with_capacity(
                16 * 1024,
                ChunkReader {
                    rx,
                    chunk: None,
                    pos: 0,
                },
            );
            let mut de = serde_json::Deserializer::from_reader(reader);
            seed.deserialize(&mut de).and_then(|v| de.end().map(|()| v))
        });
        let mut total = 0usize;
        let mut started = false;
        let failed = loop {
            let chunk = match resp.chunk().await {
                Ok(Some(chunk)) => chunk,
                Ok(None) => break None,
                Err(e) => break Some(transport_error(e)),
            };
            total += chunk.len();
            if total > self.max_body {
                break Some(FetchError::TooLarge {
                    limit: self.max_body,
                });
            }
            if !started && let Some(b) = chunk.iter().find(|b| !b.is_ascii_whitespace()) {
                started = true;
                // A proxy's or login page's HTML, served as 200 and not as text/html.
                if *b == b'<' {
                    break Some(FetchError::Html { status });
                }
            }
            if tx.send(chunk).await.is_err() {
                // The decoder stopped early: its error says why.
                break None;
            }
        };
        drop(tx);
        let decoded = decoder
            .await
            .map_err(|e| FetchError::Decode(format!("the decoder stopped: {e}")))?;
        match failed {
            Some(e) => Err(e),
            None => decoded.map_err(json_error),
        }
    }

    /// Sends a request and takes the answer's status and content type, refusing a body
    /// announced over the cap before reading any of it.
    async fn start(
        &self,
        req: reqwest::RequestBuilder,
    ) -> Result<(reqwest::Response, u16, String), FetchError> {
        let resp = req.send().await.map_err(transport_error)?;
        if resp
            .content_length()
            .is_some_and(|n| n > self.max_body as u64)
        {
            return Err(FetchError::TooLarge {
                limit: self.max_body,
            });
        }
        let status = resp.status().as_u16();
        let content_type = content_type(&resp);
        Ok((resp, status, content_type))
    }

    /// Reads the rest of a body onto `bytes`, up to the cap.
    async fn read_body(
        &self,
        resp: &mut reqwest::Response,
        mut bytes: Vec<u8>,
    ) -> Result<Vec<u8>, FetchError> {
        while let Some(chunk) = resp.chunk().await.map_err(transport_error)? {
            if bytes.len() + chunk.len() > self.max_body {
                return Err(FetchError::TooLarge {
                    limit: self.max_body,
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    }

    /// Sends a request and reads the body up to the cap. Any status is returned as a body;
    /// use [`check_status`] to turn error statuses into errors.
    pub async fn send(&self, req: reqwest::RequestBuilder) -> Result<Body, FetchError> {
        let (mut resp, status, content_type) = self.start(req).await?;
        // Sized once from the announced length (already under the cap): grown by doubling,
        // a 6 MB body would take 8 MB.
        let bytes = Vec::with_capacity(resp.content_length().map_or(0, |n| n as usize));
        let bytes = self.read_body(&mut resp, bytes).await?;
        Ok(Body {
            status,
            content_type,
            bytes,
        })
    }
}

/// Whether every URL is plain `http` (so no connection of theirs needs a certificate).
fn all_plain<'a>(urls: impl IntoIterator<Item = &'a str>) -> bool {
    urls.into_iter().all(|u| {
        u.get(..7)
            .is_some_and(|s| s.eq_ignore_ascii_case("http://"))
    })
}

fn content_type(resp: &reqwest::Response) -> String {
    resp.headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase()
}

fn transport_error(e: reqwest::Error) -> FetchError {
    if e.is_timeout() {
        return FetchError::Timeout;
    }
    // The innermost cause says the most ("Connection refused"); the URL is left out since
    // the console already names the source.
    let e = e.without_url();
    let mut msg = e.to_string();
    let mut src: Option<&dyn std::error::Error> = std::error::Error::source(&e);
    while let Some(s) = src {
        msg = s.to_string();
        src = s.source();
    }
    if e.is_connect() {
        FetchError::Connect(crate::sanitize::escape_truncated(&msg, MESSAGE_MAX))
    } else if e.is_body() || e.is_decode() {
        FetchError::Decode(format!(
            "connection broke while reading: {}",
            crate::sanitize::escape_truncated(&msg, MESSAGE_MAX)
        ))
    } else {
        FetchError::Connect(crate::sanitize::escape_truncated(&msg, MESSAGE_MAX))
    }
}

/// `a=1&b=x%20y`: form-style query encoding of pairs (RFC 3986 unreserved kept).
pub fn query_string(pairs: &[(&str, &str)]) -> String {
    fn enc(s: &str, out: &mut String) {
        for b in s.bytes() {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                out.push(b as char);
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        enc(k, &mut out);
        out.push('=');
        enc(v, &mut out);
    }
    out
}

/// Reads the token. Errors name where it was looked for, never what it is.
pub fn read_token(src: &TokenSource) -> Result<String, FetchError> {
    let raw = match src {
        TokenSource::File(p) => std::fs::read_to_string(p).map_err(|e| {
            FetchError::Setup(format!("cannot read the token file {}: {e}", p.display()))
        })?,
        TokenSource::Env(name) => std::env::var(name).map_err(|_| {
            FetchError::Setup(format!(
                "the environment variable {name} holding the token is not set"
            ))
        })?,
    };
    let token = raw.trim().to_string();
    if token.is_empty() {
        return Err(FetchError::Setup("the bearer token is empty".into()));
    }
    Ok(token)
}

fn bearer_header(token: &str) -> Result<HeaderValue, FetchError> {
    let mut v = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
        FetchError::Setup("the bearer token has characters not allowed in a header".into())
    })?;
    v.set_sensitive(true);
    Ok(v)
}

/// The wait after `failures` consecutive failures (1 for the first): `min` doubled per
/// failure, capped at `max`, then spread by up to ±20 % using `jitter` (any u64; callers pass
/// something random-ish) so that many consoles do not retry in lockstep.
impl HttpSettings {
    /// How long a poller waits before its next try: its interval while things work, capped
    /// exponential backoff with jitter after `failures` failures in a row.
    pub fn next_wait(&self, failures: u32, interval: Duration) -> Duration {
        if failures == 0 {
            interval
        } else {
            backoff(failures, self.backoff_min, self.backoff_max, jitter_seed())
        }
    }
}

pub fn backoff(failures: u32, min: Duration, max: Duration, jitter: u64) -> Duration {
    let exp = failures.saturating_sub(1).min(20);
    let base = min.saturating_mul(1u32 << exp).min(max);
    // jitter factor in [0.8, 1.2]
    let frac = (jitter % 10_001) as f64 / 10_000.0;
    let spread = base.mul_f64(0.8 + 0.4 * frac);
    spread.min(max.mul_f64(1.2))
}

/// A cheap, non-cryptographic jitter seed from the clock.
pub fn jitter_seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as u64)
        .unwrap_or(0);
    nanos
        .wrapping_mul(6_364_136_223_846_793_005)
        .rotate_left(17)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(status: u16, ct: &str, text: &str) -> Body {
        Body {
            status,
            content_type: ct.into(),
            bytes: text.as_bytes().to_vec(),
        }
    }

    #[test]
    fn query_strings_are_encoded() {
        assert_eq!(
            query_string(&[("query", "sum(rate(x{a=\"b\"}[5m])) / 2"), ("time", "1.5")]),
            "query=sum%28rate%28x%7Ba%3D%22b%22%7D%5B5m%5D%29%29%20%2F%202&time=1.5"
        );
    }

    #[test]
    fn backoff_doubles_and_caps_with_jitter() {
        let s = Duration::from_secs(1);
        let cap = Duration::from_secs(30);
        let mid = 5_000; // jitter factor 1.0
        assert_eq!(backoff(1, s, cap, mid), Duration::from_secs(1));
        assert_eq!(backoff(2, s, cap, mid), Duration::from_secs(2));
        assert_eq!(backoff(4, s, cap, mid), Duration::from_secs(8));
        assert_eq!(backoff(40, s, cap, mid), cap);
        let lo = backoff(3, s, cap, 0);
        let hi = backoff(3, s, cap, 10_000);
        assert!(lo >= Duration::from_millis(3_199) && hi <= Duration::from_millis(4_801));
        assert!(lo < hi);
    }

    #[test]
    fn html_truncated_and_garbage_bodies_are_named() {
        #[derive(serde::Deserialize, Debug)]
        struct X {
            #[allow(dead_code)]
            a: u32,
        }
        let e = decode::<X>(&body(200, "text/html; charset=utf-8", "<html>")).unwrap_err();
        assert!(e.to_string().contains("HTML"), "{e}");
        let e = decode::<X>(&body(200, "application/json", "  <!doctype html>")).unwrap_err();
        assert!(matches!(e, FetchError::Html { .. }));
        let e = decode::<X>(&body(200, "application/json", "{\"a\": 1")).unwrap_err();
        assert!(e.to_string().contains("truncated JSON"), "{e}");
        let e = decode::<X>(&body(200, "application/json", "xx\u{1b}[31m")).unwrap_err();
        assert!(e.to_string().contains("not JSON"), "{e}");
        assert!(!e.to_string().contains('\u{1b}'));
    }

    #[test]
    fn error_statuses_carry_the_server_message() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/prom_query_error_bad_syntax.json"
        ))
        .unwrap();
        let e = check_status(body(400, "application/json", &text)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "HTTP 400: bad_data: invalid parameter \"query\": 1:32: parse error: unclosed left parenthesis"
        );
        assert!(e.is_query_error());
        let e = check_status(body(502, "text/html", "<h1>Bad gateway</h1>")).unwrap_err();
        assert_eq!(e.to_string(), "server error 502: (an HTML page)");
    }

    #[test]
    fn ca_file_problems_name_the_file() {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let e = Fetcher::new(&HttpSettings {
            ca_file: Some(missing),
            ..HttpSettings::default()
        })
        .unwrap_err();
        assert!(e.to_string().contains("missing.pem"), "{e}");
        let junk = dir.path().join("junk.pem");
        std::fs::write(&junk, "not a certificate\n").unwrap();
        let e = Fetcher::new(&HttpSettings {
            ca_file: Some(junk),
            ..HttpSettings::default()
        })
        .unwrap_err();
        assert!(e.to_string().contains("junk.pem"), "{e}");
    }

    #[test]
    fn certificates_are_skipped_only_when_no_url_is_https() {
        assert!(all_plain(["http://127.0.0.1:9093", "HTTP://am-2:9093"]));
        assert!(!all_plain(["http://am-1:9093", "https://am-2:9093"]));
        assert!(!all_plain(["https://prometheus"]));
        assert!(!all_plain(["httpx://odd"]));
        assert!(!all_plain(["http:/"]));
    }

    #[test]
    fn token_never_shows_in_debug() {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("token");
        std::fs::write(&p, "s3cr3t-token\n").unwrap();
        let f = Fetcher::new(&HttpSettings {
            token: Some(TokenSource::File(p)),
            ..HttpSettings::default()
        })
        .unwrap();
        let dbg = format!("{f:?}");
        assert!(!dbg.contains("s3cr3t"), "{dbg}");
        let e = read_token(&TokenSource::Env("WARROOM_TEST_NO_SUCH_VAR".into())).unwrap_err();
        assert!(e.to_string().contains("WARROOM_TEST_NO_SUCH_VAR"));
    }
}

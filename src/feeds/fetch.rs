//! One HTTP GET of a feed, with every limit of a polite, bounded client: conditional requests
//! (`If-None-Match`, `If-Modified-Since`), compressed responses (gzip, deflate, brotli; the size
//! cap applies to the decompressed bytes, so a small bomb cannot fill memory), a redirect limit
//! with loop detection and the address check on every hop, connect and total timeouts, a
//! response size cap, and a User-Agent that says who is asking.
//!
//! Every way a fetch can fail is a [`FetchFailure`] with a fixed [`FailureKind`] (the metrics
//! label) and a sentence a person can act on.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{StatusCode, Url};
use serde::Serialize;

use super::safety::{self, CheckedResolver, HopRefusal, ResolveFailure, UrlRefusal};

/// What the client may do (validated by the CLI layer; see the README's configuration table).
#[derive(Debug, Clone)]
pub struct FetchSettings {
    /// Fetch from loopback, private, link-local… addresses too (`--allow-private-feeds`).
    pub allow_private: bool,
    /// Time to establish a connection (`--feed-connect-timeout-secs`).
    pub connect_timeout: Duration,
    /// Time for the whole exchange, body included (`--feed-timeout-secs`).
    pub timeout: Duration,
    /// Largest response body, after decompression (`--feed-max-bytes`).
    pub max_bytes: usize,
    /// Redirects followed before giving up (`--feed-max-redirects`).
    pub max_redirects: usize,
    /// A URL or e-mail address for the User-Agent, so publishers can reach the operator
    /// (`--feed-contact`).
    pub contact: Option<String>,
}

impl Default for FetchSettings {
    fn default() -> Self {
        FetchSettings {
            allow_private: false,
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            max_bytes: 10 * 1024 * 1024,
            max_redirects: 5,
            contact: None,
        }
    }
}

/// The User-Agent newsdesk sends, e.g. `newsdesk/0.1.0 (news feed reader; +mailto:ops@example.org)`.
pub fn user_agent(contact: Option<&str>) -> String {
    let contact = contact
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| format!("; +{c}"))
        .unwrap_or_default();
    format!(
        "newsdesk/{} (news feed reader{contact})",
        env!("CARGO_PKG_VERSION")
    )
}

const ACCEPT: &str = "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, \
                      application/xml;q=0.8, text/xml;q=0.8, application/feed+json;q=0.7, \
                      application/json;q=0.7, */*;q=0.1";

/// Cache validators a server gave with the last body, sent back on the next request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    /// `ETag`, sent back as `If-None-Match`.
    pub etag: Option<String>,
    /// `Last-Modified`, sent back as `If-Modified-Since`.
    pub last_modified: Option<String>,
}

/// A body that came back.
#[derive(Debug, Clone)]
pub struct Body {
    /// HTTP status (2xx).
    pub status: u16,
    /// The (decompressed) bytes.
    pub bytes: Vec<u8>,
    /// `charset` of the `Content-Type`, if any.
    pub charset: Option<String>,
    /// The validators of this response.
    pub validators: Validators,
    /// The URL after redirects.
    pub final_url: Url,
}

/// What a successful fetch returned.
#[derive(Debug, Clone)]
pub enum Fetched {
    /// 304: unchanged since the validators were issued.
    NotModified,
    /// A new body.
    Body(Body),
}

/// The fixed set of ways a fetch (or what follows it) can fail: the `outcome` label of the
/// fetch counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// A 4xx/5xx answer other than 429/503.
    HttpError,
    /// 429 or 503: the server asks us to slow down.
    Throttled,
    /// Connect or total timeout.
    Timeout,
    /// The body passed `--feed-max-bytes`.
    TooLarge,
    /// Too many redirects, a loop, or a redirect to a URL newsdesk does not fetch.
    Redirect,
    /// A non-public address without `--allow-private-feeds`.
    Refused,
    /// DNS, connection, TLS, a broken or undecodable body.
    Network,
    /// The body is not a feed newsdesk can read.
    Unreadable,
    /// Storing the items failed (model overloaded, store error).
    IngestError,
}

impl FailureKind {
    /// Every kind, in a fixed order.
    pub const ALL: [FailureKind; 9] = [
        FailureKind::HttpError,
        FailureKind::Throttled,
        FailureKind::Timeout,
        FailureKind::TooLarge,
        FailureKind::Redirect,
        FailureKind::Refused,
        FailureKind::Network,
        FailureKind::Unreadable,
        FailureKind::IngestError,
    ];

    /// The label, as in the JSON and the metrics.
    pub fn label(self) -> &'static str {
        match self {
            FailureKind::HttpError => "http_error",
            FailureKind::Throttled => "throttled",
            FailureKind::Timeout => "timeout",
            FailureKind::TooLarge => "too_large",
            FailureKind::Redirect => "redirect",
            FailureKind::Refused => "refused",
            FailureKind::Network => "network",
            FailureKind::Unreadable => "unreadable",
            FailureKind::IngestError => "ingest_error",
        }
    }
}

/// A failed fetch.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FetchFailure {
    /// Which way it failed.
    pub kind: FailureKind,
    /// The HTTP status, when the server answered.
    pub status: Option<u16>,
    /// A sentence for people, e.g. "the server answered 500 Internal Server Error".
    pub message: String,
    /// How long the server asked us to wait (`Retry-After`).
    pub retry_after: Option<Duration>,
}

impl FetchFailure {
    /// A failure without status or Retry-After.
    pub fn new(kind: FailureKind, message: impl Into<String>) -> Self {
        FetchFailure {
            kind,
            status: None,
            message: message.into(),
            retry_after: None,
        }
    }
}

/// `Retry-After`: delay-seconds or an HTTP-date (read against `now`; a date in the past is
/// zero). `None` for anything else.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let v = value.trim();
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        // Absurdly long numbers saturate; the scheduler caps the wait anyway.
        return Some(Duration::from_secs(
            v.parse::<u64>().unwrap_or(u64::MAX / 4),
        ));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// The feed HTTP client. Cheap to share; one per service.
#[derive(Debug, Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    settings: Arc<FetchSettings>,
}

impl Fetcher {
    /// Builds the client: the checked resolver, the redirect policy, no proxy, the timeouts.
    pub fn new(settings: FetchSettings) -> Result<Fetcher, String> {
        let max = settings.max_redirects;
        let allow = settings.allow_private;
        let policy = reqwest::redirect::Policy::custom(move |attempt| {
            match safety::check_hop(attempt.url(), attempt.previous(), max, allow) {
                Ok(()) => attempt.follow(),
                Err(refusal) => attempt.error(refusal),
            }
        });
        let client = reqwest::Client::builder()
            .user_agent(user_agent(settings.contact.as_deref()))
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.timeout)
            .redirect(policy)
            .dns_resolver(Arc::new(CheckedResolver {
                allow_private: settings.allow_private,
                timeout: settings.connect_timeout,
            }))
            .no_proxy()
            .build()
            .map_err(|e| format!("cannot build the feed HTTP client: {e}"))?;
        Ok(Fetcher {
            client,
            settings: Arc::new(settings),
        })
    }

    /// The settings it was built with.
    pub fn settings(&self) -> &FetchSettings {
        &self.settings
    }

    /// GETs `url`, conditionally when `validators` has any, and reads at most `max_bytes`.
    pub async fn get(&self, url: &Url, validators: &Validators) -> Result<Fetched, FetchFailure> {
        safety::check_target(url, self.settings.allow_private).map_err(refusal)?;
        let mut req = self.client.get(url.clone()).header(header::ACCEPT, ACCEPT);
        if let Some(v) = validators.etag.as_deref().and_then(value) {
            req = req.header(header::IF_NONE_MATCH, v);
        }
        if let Some(v) = validators.last_modified.as_deref().and_then(value) {
            req = req.header(header::IF_MODIFIED_SINCE, v);
        }
        let mut resp = req.send().await.map_err(|e| self.failure(e))?;
        let status = resp.status();
        if status == StatusCode::NOT_MODIFIED {
            return Ok(Fetched::NotModified);
        }
        if !status.is_success() {
            return Err(status_failure(status, resp.headers(), SystemTime::now()));
        }
        let max = self.settings.max_bytes;
        let too_large = || FetchFailure {
            kind: FailureKind::TooLarge,
            status: Some(status.as_u16()),
            message: format!(
                "the response is larger than the {max}-byte limit (--feed-max-bytes); it was \
                 cut off and nothing was ingested"
            ),
            retry_after: None,
        };
        if resp.content_length().is_some_and(|n| n > max as u64) {
            return Err(too_large());
        }
        let headers = resp.headers().clone();
        let final_url = resp.url().clone();
        let mut bytes = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| self.failure(e))? {
            if bytes.len() + chunk.len() > max {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(Fetched::Body(Body {
            status: status.as_u16(),
            bytes,
            charset: charset_of(&headers),
            validators: Validators {
                etag: header_text(&headers, header::ETAG),
                last_modified: header_text(&headers, header::LAST_MODIFIED),
            },
            final_url,
        }))
    }

    /// Turns a client error into a failure a person can read.
    fn failure(&self, e: reqwest::Error) -> FetchFailure {
        if let Some(hop) = find::<HopRefusal>(&e) {
            let kind = match hop {
                HopRefusal::Refused {
                    why: UrlRefusal::Private(_),
                    ..
                } => FailureKind::Refused,
                _ => FailureKind::Redirect,
            };
            return FetchFailure::new(kind, format!("stopped: {hop}"));
        }
        if let Some(r) = find::<UrlRefusal>(&e) {
            return refusal(r.clone());
        }
        if let Some(r) = find::<ResolveFailure>(&e) {
            return FetchFailure::new(FailureKind::Network, r.to_string());
        }
        let s = &self.settings;
        if e.is_timeout() {
            let msg = if e.is_connect() {
                format!(
                    "could not connect within {} s (--feed-connect-timeout-secs)",
                    secs(s.connect_timeout)
                )
            } else {
                format!(
                    "no complete response within {} s (--feed-timeout-secs)",
                    secs(s.timeout)
                )
            };
            return FetchFailure::new(FailureKind::Timeout, msg);
        }
        let detail = innermost(&e);
        let msg = if e.is_connect() {
            format!("could not connect: {detail}")
        } else if e.is_decode() {
            format!("the response could not be decompressed: {detail}")
        } else if e.is_body() {
            format!("the response broke off: {detail}")
        } else {
            format!("the request failed: {detail}")
        };
        FetchFailure::new(FailureKind::Network, msg)
    }
}

fn secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.0}")
    } else {
        format!("{s:.1}")
    }
}

fn refusal(r: UrlRefusal) -> FetchFailure {
    match r {
        UrlRefusal::Private(m) => FetchFailure::new(FailureKind::Refused, m),
        UrlRefusal::Invalid(m) => FetchFailure::new(FailureKind::Redirect, m),
    }
}

/// A 4xx/5xx answer as a failure: 429 and 503 are throttling, with their `Retry-After`.
fn status_failure(status: StatusCode, headers: &HeaderMap, now: SystemTime) -> FetchFailure {
    let reason = status.canonical_reason().unwrap_or("");
    let throttled =
        status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::SERVICE_UNAVAILABLE;
    let retry_after = headers
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, now));
    let mut message = format!("the server answered {} {reason}", status.as_u16())
        .trim_end()
        .to_string();
    if let (true, Some(d)) = (throttled, retry_after) {
        message.push_str(&format!(" and asked to retry after {} s", d.as_secs()));
    }
    FetchFailure {
        kind: if throttled {
            FailureKind::Throttled
        } else {
            FailureKind::HttpError
        },
        status: Some(status.as_u16()),
        message,
        retry_after: if throttled { retry_after } else { None },
    }
}

fn value(s: &str) -> Option<HeaderValue> {
    HeaderValue::from_str(s).ok()
}

fn header_text(h: &HeaderMap, name: header::HeaderName) -> Option<String> {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// The `charset` parameter of the response's `Content-Type`.
fn charset_of(h: &HeaderMap) -> Option<String> {
    let ct = header_text(h, header::CONTENT_TYPE)?;
    ct.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches('"').to_string())
            .filter(|v| !v.is_empty())
    })
}

fn find<T: std::error::Error + 'static>(e: &reqwest::Error) -> Option<&T> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(t) = err.downcast_ref::<T>() {
            return Some(t);
        }
        cur = err.source();
    }
    None
}

/// The deepest cause's text ("Connection refused (os error 111)", "invalid peer certificate…").
fn innermost(e: &reqwest::Error) -> String {
    let mut cur: &(dyn std::error::Error + 'static) = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = httpdate::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:51:37 GMT", now),
            Some(Duration::from_secs(120))
        );
        // The obsolete forms HTTP still allows.
        assert_eq!(
            parse_retry_after("Sunday, 06-Nov-94 08:50:37 GMT", now),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            parse_retry_after("Sun Nov  6 08:49:47 1994", now),
            Some(Duration::from_secs(10))
        );
        // A date in the past means "now".
        assert_eq!(
            parse_retry_after("Sat, 05 Nov 1994 08:49:37 GMT", now),
            Some(Duration::ZERO)
        );
        for bad in ["", "soon", "-5", "1.5", "12 s"] {
            assert_eq!(parse_retry_after(bad, now), None, "{bad:?}");
        }
        assert!(parse_retry_after("99999999999999999999999", now).is_some());
    }

    #[test]
    fn statuses_become_sentences_and_throttling_keeps_retry_after() {
        let now = SystemTime::now();
        let f = status_failure(StatusCode::INTERNAL_SERVER_ERROR, &HeaderMap::new(), now);
        assert_eq!(f.kind, FailureKind::HttpError);
        assert_eq!(f.message, "the server answered 500 Internal Server Error");
        assert_eq!(f.status, Some(500));
        let mut h = HeaderMap::new();
        h.insert(header::RETRY_AFTER, HeaderValue::from_static("90"));
        let f = status_failure(StatusCode::TOO_MANY_REQUESTS, &h, now);
        assert_eq!(f.kind, FailureKind::Throttled);
        assert_eq!(f.retry_after, Some(Duration::from_secs(90)));
        assert!(f.message.contains("retry after 90 s"), "{}", f.message);
        // Retry-After on a 404 does not make it throttling.
        let f = status_failure(StatusCode::NOT_FOUND, &h, now);
        assert_eq!((f.kind, f.retry_after), (FailureKind::HttpError, None));
    }

    #[test]
    fn charset_and_user_agent() {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/rss+xml; Charset=\"ISO-8859-1\""),
        );
        assert_eq!(charset_of(&h).as_deref(), Some("ISO-8859-1"));
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
        assert_eq!(charset_of(&h), None);
        let ua = user_agent(Some("mailto:ops@example.org"));
        assert!(
            ua.starts_with(&format!("newsdesk/{} (", env!("CARGO_PKG_VERSION"))),
            "{ua}"
        );
        assert!(ua.ends_with("; +mailto:ops@example.org)"), "{ua}");
        assert_eq!(
            user_agent(None),
            format!("newsdesk/{} (news feed reader)", env!("CARGO_PKG_VERSION"))
        );
    }

    #[test]
    fn labels_are_fixed_and_distinct() {
        let labels: std::collections::HashSet<_> =
            FailureKind::ALL.iter().map(|k| k.label()).collect();
        assert_eq!(labels.len(), FailureKind::ALL.len());
        for k in FailureKind::ALL {
            assert_eq!(
                serde_json::to_value(k).unwrap(),
                serde_json::Value::String(k.label().into())
            );
        }
    }
}

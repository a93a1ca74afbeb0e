//! Ingest: bytes in any supported format → clean [`Article`]s.
//!
//! The path is: [`decode`] the bytes to UTF-8 (BOMs, UTF-16/32, declared or guessed legacy
//! encodings) → detect the format by content ([`detect_format`]) → parse (quick-xml streaming for
//! news records and RSS/RDF/Atom, a dateline reader for wire copy, serde_json for JSON/JSONL) →
//! map source fields through one synonym table → clean HTML to text → find the dateline and the
//! closing agency credit → give every article a stable id.

pub(crate) mod date;
mod decode;
mod fields;
mod json;
pub mod paths;
mod wire;
mod xml;

use chrono::{DateTime, Datelike, FixedOffset, Utc};
use serde::{Deserialize, Serialize};

pub use crate::article::{Article, Dateline, MAX_BODY_BYTES, MAX_ID_BYTES, MAX_TITLE_BYTES};
use crate::text::dateline;

pub use date::parse_date;
pub use fields::{canonical_url, hash_id};

/// The input formats newsdesk reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// News-record XML (one or many `<root>`-style records per file, CMS exports).
    NewsXml,
    /// RSS 0.9x/2.0, RSS 1.0/RDF, Atom.
    Feed,
    /// Plain-text wire copy with a dateline.
    Wire,
    /// One JSON object, an array of them, or an object wrapping an array.
    Json,
    /// One JSON object per line.
    Jsonl,
}

impl Format {
    /// Name as used on the command line and in messages.
    pub fn name(self) -> &'static str {
        match self {
            Format::NewsXml => "newsxml",
            Format::Feed => "feed",
            Format::Wire => "wire",
            Format::Json => "json",
            Format::Jsonl => "jsonl",
        }
    }

    /// Format named by an HTTP `Content-Type` (parameters ignored): `Ok(None)` means "sniff
    /// the bytes" (no type, generic XML, which may be a feed or a news record, or
    /// `application/octet-stream`); a type newsdesk does not read is
    /// [`IngestError::UnsupportedMediaType`].
    pub fn from_content_type(ct: &str) -> Result<Option<Format>, IngestError> {
        let mime = ct
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        Ok(match mime.as_str() {
            "application/rss+xml" | "application/atom+xml" | "application/rdf+xml" => {
                Some(Format::Feed)
            }
            "application/json" => Some(Format::Json),
            "application/x-ndjson"
            | "application/jsonl"
            | "application/x-jsonlines"
            | "application/jsonlines" => Some(Format::Jsonl),
            "text/plain" => Some(Format::Wire),
            "application/xml" | "text/xml" | "" | "application/octet-stream" => None,
            _ => return Err(IngestError::UnsupportedMediaType(mime)),
        })
    }
}

impl std::str::FromStr for Format {
    type Err = IngestError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "newsxml" | "news-xml" | "xml" | "record" | "records" => Ok(Format::NewsXml),
            "feed" | "rss" | "atom" | "rdf" => Ok(Format::Feed),
            "wire" | "text" | "txt" => Ok(Format::Wire),
            "json" => Ok(Format::Json),
            "jsonl" | "ndjson" => Ok(Format::Jsonl),
            other => Err(IngestError::Unsupported(format!(
                "unknown format name {other:?}"
            ))),
        }
    }
}

/// How to read dates and fill gaps.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// Zone for dates written without one (IST, +05:30, by default).
    pub default_tz: FixedOffset,
    /// Ingest time: a dateline date without a year resolves to the latest such date not after it.
    pub now: DateTime<FixedOffset>,
    /// Source name to use when the document names none (e.g. from the file name or the caller).
    pub source_hint: Option<String>,
    /// Source for items that name none of their own, ahead of what the surrounding feed says
    /// (its link's host, its title): the display name a subscriber gave a feed.
    pub feed_source: Option<String>,
    /// Category for items that name none.
    pub feed_category: Option<String>,
    /// Character encoding the transport declared (the `charset` of an HTTP `Content-Type`).
    /// It outranks the document's own XML declaration (RFC 7303); a byte-order mark outranks
    /// both. See `decode` for the two cases where a declared charset is overruled.
    pub charset: Option<String>,
    /// Most items one document may hold ([`MAX_ITEMS_PER_DOCUMENT`] by default, for bodies from
    /// the network; the CLI lifts it for local files).
    pub max_items: usize,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            default_tz: FixedOffset::east_opt(5 * 3600 + 1800).expect("valid offset"),
            now: Utc::now().fixed_offset(),
            source_hint: None,
            feed_source: None,
            feed_category: None,
            charset: None,
            max_items: MAX_ITEMS_PER_DOCUMENT,
        }
    }
}

/// Why a document could not be ingested.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// Nothing but whitespace (or comments).
    #[error("empty document")]
    Empty,
    /// Not a format newsdesk reads (binary data, an HTML page, a JSON scalar …).
    #[error("unsupported format: {0}")]
    Unsupported(String),
    /// An input path that cannot be expanded (missing file, bad glob, nothing matches).
    #[error("{0}")]
    Input(String),
    /// A declared media type newsdesk does not read.
    #[error(
        "cannot ingest {0:?}: send application/json, application/x-ndjson, application/xml, \
         application/rss+xml, application/atom+xml or text/plain"
    )]
    UnsupportedMediaType(String),
    /// XML that is not well-formed; the position is in the decoded UTF-8 text.
    #[error("malformed XML at line {line}, column {column} (byte {byte}): {message}")]
    Xml {
        line: usize,
        column: usize,
        byte: usize,
        message: String,
    },
    /// JSON that does not parse.
    #[error("malformed JSON at line {line}: {message}")]
    Json { line: usize, message: String },
    /// The document parsed but held no usable article.
    #[error("no articles found: {0}")]
    NoArticles(String),
    /// The document is over one of the input limits (XML entity expansion, items per document).
    #[error("document too large: {0}")]
    TooLarge(String),
}

/// Most items (feed items, records, array elements, JSONL lines) one document may hold.
pub const MAX_ITEMS_PER_DOCUMENT: usize = 10_000;

/// Everything one document produced: articles plus the problems that did not stop it.
#[derive(Debug)]
pub struct Parsed {
    pub format: Format,
    /// Encoding the bytes were decoded from, e.g. "UTF-8", "windows-1252", "UTF-16LE".
    pub encoding: &'static str,
    pub articles: Vec<Article>,
    /// Skipped items, unreadable dates, guessed encodings, duplicate ids.
    pub warnings: Vec<String>,
}

/// Local name of the first element, skipping the XML declaration, comments, PIs and DOCTYPE.
fn root_element(text: &str) -> Option<String> {
    let mut rest = text.trim_start();
    loop {
        if let Some(r) = rest.strip_prefix("<?") {
            rest = r.split_once("?>")?.1.trim_start();
        } else if let Some(r) = rest.strip_prefix("<!--") {
            rest = r.split_once("-->")?.1.trim_start();
        } else if rest.starts_with("<!") {
            // DOCTYPE, possibly with an internal subset in brackets
            let bytes = rest.as_bytes();
            let mut depth = 0i32;
            let mut end = None;
            for (i, &b) in bytes.iter().enumerate() {
                match b {
                    b'[' => depth += 1,
                    b']' => depth -= 1,
                    b'>' if depth <= 0 => {
                        end = Some(i);
                        break;
                    }
                    _ => {}
                }
            }
            rest = rest[end? + 1..].trim_start();
        } else if let Some(r) = rest.strip_prefix('<') {
            let name: String = r
                .chars()
                .take_while(|c| !c.is_whitespace() && *c != '>' && *c != '/')
                .collect();
            return (!name.is_empty()).then_some(name);
        } else {
            return None;
        }
    }
}

fn detect_text(text: &str) -> Option<Format> {
    let t = text.trim_start();
    if t.is_empty() {
        return None;
    }
    if t.starts_with('<') {
        let root = root_element(t)?;
        let local = root
            .rsplit(':')
            .next()
            .unwrap_or(&root)
            .to_ascii_lowercase();
        return match local.as_str() {
            "rss" | "rdf" | "feed" | "channel" => Some(Format::Feed),
            "html" => None,
            _ => Some(Format::NewsXml),
        };
    }
    if t.starts_with('[') {
        return Some(Format::Json);
    }
    if t.starts_with('{') {
        let mut it = serde_json::Deserializer::from_str(t).into_iter::<serde_json::Value>();
        return match (it.next(), it.next()) {
            (Some(Ok(_)), None) => Some(Format::Json),
            (Some(Ok(_)), Some(_)) => Some(Format::Jsonl),
            // a broken first object: JSONL if there are several lines that each open an object
            _ => {
                let lines: Vec<&str> = t.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
                if lines.len() > 1 && lines.iter().all(|l| l.starts_with('{')) {
                    Some(Format::Jsonl)
                } else {
                    Some(Format::Json)
                }
            }
        };
    }
    // Binary data is not wire copy.
    let sample: Vec<char> = t.chars().take(4096).collect();
    let bad = sample
        .iter()
        .filter(|c| (c.is_control() && !c.is_whitespace()) || **c == '\u{FFFD}')
        .count();
    if bad * 20 > sample.len() {
        return None;
    }
    Some(Format::Wire)
}

/// Bytes → UTF-8 text the way every document is decoded (BOM, UTF-16/32, the XML declaration,
/// a guess for undeclared legacy bytes), for readers of other XML such as OPML.
pub fn decode_text(bytes: &[u8]) -> String {
    decode::decode(bytes).text
}

/// Detects the format from the content alone; `None` for empty input, binary data or HTML pages.
pub fn detect_format(bytes: &[u8]) -> Option<Format> {
    let head = &bytes[..bytes.len().min(64 * 1024)];
    let d = decode::decode(head);
    // A JSON document cut at 64 KiB would not parse; judge JSON on the whole input.
    let t = d.text.trim_start();
    if t.starts_with('{') && bytes.len() > head.len() {
        return detect_text(&decode::decode(bytes).text);
    }
    detect_text(&d.text)
}

/// Parses one file/body into articles. Per-item problems inside a feed that still has good items
/// are skipped (see [`parse_document`] for the warnings); a wholly unparseable input is an `Err`.
pub fn parse_bytes(
    bytes: &[u8],
    format: Option<Format>,
    opts: &IngestOptions,
) -> Result<Vec<Article>, IngestError> {
    parse_document(bytes, format, opts).map(|p| p.articles)
}

/// Like [`parse_bytes`], also returning the detected format, the encoding and the warnings
/// (items that could not be read are among the warnings). A document none of whose items could
/// be read is an error, except a feed, which may be empty.
pub fn parse_document(
    bytes: &[u8],
    format: Option<Format>,
    opts: &IngestOptions,
) -> Result<Parsed, IngestError> {
    let Batch {
        format,
        encoding,
        articles,
        failed,
        mut warnings,
    } = parse_batch(bytes, format, opts)?;
    let what = match format {
        Format::Feed => "item",
        Format::NewsXml => "record",
        Format::Jsonl => "line",
        Format::Json | Format::Wire => "object",
    };
    for f in &failed {
        warnings.push(format!("{what} {} {}; skipped", f.index + 1, f.error));
    }
    if articles.is_empty() && format != Format::Feed {
        if let Some(f) = failed.first() {
            return Err(IngestError::NoArticles(format!(
                "{what} {} {}",
                f.index + 1,
                f.error
            )));
        }
        if format == Format::NewsXml {
            return Err(IngestError::NoArticles(
                "the document holds no element with article fields (title, \
                 body/fulldesc/description, date, …)"
                    .into(),
            ));
        }
        return Err(IngestError::Empty);
    }
    Ok(Parsed {
        format,
        encoding,
        articles,
        warnings,
    })
}

/// One item of a document: its position (from 0: array element, JSONL line, feed item, news
/// record) and the article it gave, or why it gave none.
pub(crate) type Item = (usize, Result<Article, String>);

/// An item of a batch that did not become an article; nothing of it is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ItemError {
    /// Position in the batch, from 0: the array element, the JSONL line, the feed item.
    pub index: usize,
    /// `document_too_large` (a body or headline over its limit) or `invalid_document`.
    pub code: &'static str,
    /// Why it was refused.
    pub error: String,
}

/// The code of an item refused for its size.
pub const TOO_LARGE: &str = "document_too_large";

/// What one body or file holds, item by item: the [`parse_batch`] result.
#[derive(Debug)]
pub struct Batch {
    /// The format it was read as.
    pub format: Format,
    /// Encoding the bytes were decoded from.
    pub encoding: &'static str,
    /// The articles, in document order, each checked (non-empty body, id within limits) and
    /// with ids unique within the batch.
    pub articles: Vec<Article>,
    /// Items that could not be read or were refused.
    pub failed: Vec<ItemError>,
    /// Problems that did not stop any item (guessed encodings, unreadable dates, duplicates).
    pub warnings: Vec<String>,
}

/// The one entry point that turns a body or a file into checked articles, item by item: each
/// item is parsed once; a bad item is reported in [`Batch::failed`] without losing the
/// others. Only a body that is not even the declared container (empty, malformed JSON, broken
/// XML, binary data) is an `Err`. HTTP and the CLI both call it.
pub fn parse_batch(
    bytes: &[u8],
    format: Option<Format>,
    opts: &IngestOptions,
) -> Result<Batch, IngestError> {
    let d = decode::decode_with(bytes, opts.charset.as_deref());
    let mut warnings = d.warnings;
    let text = d.text;
    if text.trim().is_empty() {
        return Err(IngestError::Empty);
    }
    if looks_binary(&text) {
        return Err(IngestError::Unsupported(
            "binary data (NUL or control bytes), not text".into(),
        ));
    }
    let format = match format {
        Some(f) => f,
        None => match detect_text(&text) {
            Some(f) => f,
            None => {
                let t = text.trim_start();
                return Err(if t.starts_with('<') && root_element(t).is_none() {
                    IngestError::Empty
                } else if t.starts_with('<') {
                    IngestError::Unsupported("an HTML page, not a feed or news record".into())
                } else {
                    IngestError::Unsupported("binary data".into())
                });
            }
        },
    };
    let items: Vec<Item> = match format {
        Format::Feed | Format::NewsXml => xml_items(&text, format, opts, &mut warnings)?,
        Format::Wire => vec![(0, Ok(wire::parse_wire(&text, opts)?))],
        Format::Json => json::json_items(&text, opts, &mut warnings)?,
        Format::Jsonl => json::jsonl_items(&text, opts, &mut warnings),
    };
    if items.len() > opts.max_items {
        return Err(IngestError::TooLarge(format!(
            "{} items in one document; the limit is {} (split it)",
            items.len(),
            opts.max_items
        )));
    }
    // Ids must be unique within a document. The same item twice is dropped; a publisher reusing
    // one guid for different items gets the later ones a derived, still stable id.
    let mut seen: std::collections::HashMap<String, (String, String)> =
        std::collections::HashMap::new();
    let mut articles = Vec::with_capacity(items.len());
    let mut failed = Vec::new();
    for (index, item) in items {
        let checked = item
            .map_err(|e| ("invalid_document", e))
            .and_then(|a| check_article(&a, opts.now).map(|()| a));
        let mut a = match checked {
            Ok(a) => a,
            Err((code, error)) => {
                failed.push(ItemError { index, code, error });
                continue;
            }
        };
        match seen.get(&a.id) {
            None => {}
            Some((t, b)) if *t == a.title && *b == a.body => {
                warnings.push(format!(
                    "duplicate item {:?} ({}); kept the first",
                    a.id,
                    fields::short(&a.title)
                ));
                continue;
            }
            Some(_) => {
                let new_id = format!("{}#{}", a.id, &hash_id(&[&a.title, &a.body])[..12]);
                warnings.push(format!(
                    "id {:?} is reused by different items; {:?} gets id {new_id:?}",
                    a.id,
                    fields::short(&a.title)
                ));
                a.id = new_id;
                if seen.contains_key(&a.id) {
                    warnings.push(format!(
                        "duplicate item {:?} ({}); kept the first",
                        a.id,
                        fields::short(&a.title)
                    ));
                    continue;
                }
            }
        }
        seen.insert(a.id.clone(), (a.title.clone(), a.body.clone()));
        articles.push(a);
    }
    Ok(Batch {
        format,
        encoding: d.encoding,
        articles,
        failed,
        warnings,
    })
}

/// Earliest publication year accepted (older dates are typos or placeholders like year 0).
pub const MIN_PUBLISHED_YEAR: i32 = 1800;
/// How far past the ingest time a publication date may lie (time zones, embargoed releases).
pub const MAX_FUTURE_DAYS: i64 = 2;

/// What every stored article must satisfy, checked at parse time so that a bad item is refused
/// before any work is spent on it.
fn check_article(a: &Article, now: DateTime<FixedOffset>) -> Result<(), (&'static str, String)> {
    let invalid = |m: String| Err(("invalid_document", m));
    if a.body.trim().is_empty() {
        return invalid("has no body text".into());
    }
    if a.id.trim().is_empty() {
        return invalid("has an empty id".into());
    }
    if a.id.len() > MAX_ID_BYTES {
        return invalid(format!(
            "has an id of {} bytes; the limit is {MAX_ID_BYTES}",
            a.id.len()
        ));
    }
    if let Some(p) = a.published {
        let latest = now + chrono::Duration::days(MAX_FUTURE_DAYS);
        if p.year() < MIN_PUBLISHED_YEAR || p > latest {
            return invalid(format!(
                "has a publication date {} outside {MIN_PUBLISHED_YEAR}-01-01 … the ingest \
                 time + {MAX_FUTURE_DAYS} days",
                p.to_rfc3339()
            ));
        }
    }
    let too_large = |what: &str, len: usize, limit: usize| {
        Err((
            TOO_LARGE,
            format!("has a {what} of {len} bytes after cleaning; the limit is {limit}"),
        ))
    };
    if a.title.len() > MAX_TITLE_BYTES {
        return too_large("headline", a.title.len(), MAX_TITLE_BYTES);
    }
    if a.body.len() > MAX_BODY_BYTES {
        return too_large("body", a.body.len(), MAX_BODY_BYTES);
    }
    Ok(())
}

/// Bytes that decoded to text but are not text: more than 1 in 50 characters being control
/// characters (NUL included) or replacement characters (a PNG or a zip sent as `text/plain`).
fn looks_binary(text: &str) -> bool {
    let (mut n, mut bad) = (0usize, 0usize);
    for c in text.chars().take(65_536) {
        n += 1;
        if (c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\x0c')) || c == '\u{FFFD}' {
            bad += 1;
        }
    }
    bad * 50 > n
}

fn xml_items(
    text: &str,
    format: Format,
    opts: &IngestOptions,
    warnings: &mut Vec<String>,
) -> Result<Vec<Item>, IngestError> {
    let mode = if format == Format::Feed {
        xml::Mode::Feed
    } else {
        xml::Mode::Records
    };
    let mut records = Vec::new();
    let root = xml::walk(text, mode, |n| records.push(n))?;
    let meta = fields::FeedMeta::from_root(&root);
    Ok(records
        .iter()
        .enumerate()
        .map(|(i, rec)| {
            let item = fields::record_to_article(rec, &meta, opts, warnings).map(|mut a| {
                // Many feeds carry only a headline and a link per item (RSS 0.9x, aggregators):
                // the headline is then the article's text, so it can be found and cited.
                if format == Format::Feed && a.body.trim().is_empty() && !a.title.is_empty() {
                    a.body = a.title.clone();
                }
                a
            });
            (i, item)
        })
        .collect())
}

/// Title for text that has none: the first sentence after any dateline, cut at a word boundary
/// to at most 120 characters (with "…").
pub(crate) fn title_from_body(body: &str) -> String {
    let start = dateline::parse_dateline(body).map(|d| d.end).unwrap_or(0);
    let rest = &body[start..];
    let first = crate::text::segment(rest)
        .into_iter()
        .next()
        .map(|s| &rest[s.start..s.end])
        .unwrap_or("");
    let first = first.split_whitespace().collect::<Vec<_>>().join(" ");
    const MAX: usize = 120;
    if first.chars().count() <= MAX {
        return first;
    }
    let mut cut = String::new();
    for w in first.split(' ') {
        if cut.chars().count() + w.chars().count() + 1 > MAX - 1 {
            break;
        }
        if !cut.is_empty() {
            cut.push(' ');
        }
        cut.push_str(w);
    }
    if cut.is_empty() {
        cut = first.chars().take(MAX - 1).collect();
    }
    let cut = cut
        .trim_end_matches([',', ';', ':', '-', '—', '–', ' '])
        .to_string();
    format!("{cut}…")
}

/// Finds the dateline and closing credit of a finished article and records them.
pub(crate) fn finish_article(a: &mut Article, _opts: &IngestOptions) {
    a.boilerplate.clear();
    if let Some(d) = dateline::parse_dateline(&a.body) {
        a.boilerplate.push(d.start..d.end);
        if a.dateline.is_none() {
            if let Some(place) = d.place {
                a.dateline = Some(Dateline {
                    place,
                    country: d.country,
                    agency: d.agency,
                });
            }
        }
    }
    if let Some(r) = dateline::trailing_credit(&a.body) {
        if a.boilerplate.iter().all(|b| b.end <= r.start) {
            a.boilerplate.push(r);
        }
    }
    a.title = a.title.trim().to_string();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_formats() {
        assert_eq!(
            detect_format(b"<?xml version=\"1.0\"?>\n<rss version=\"2.0\"></rss>"),
            Some(Format::Feed)
        );
        assert_eq!(
            detect_format(b"<!-- c --><rdf:RDF></rdf:RDF>"),
            Some(Format::Feed)
        );
        assert_eq!(
            detect_format(b"\xEF\xBB\xBF<feed xmlns=\"http://www.w3.org/2005/Atom\"/>"),
            Some(Format::Feed)
        );
        assert_eq!(
            detect_format(b"<root><title>x</title></root>"),
            Some(Format::NewsXml)
        );
        assert_eq!(detect_format(b"{\"title\": \"a\"}"), Some(Format::Json));
        assert_eq!(
            detect_format(b"{\"title\": \"a\"}\n{\"title\": \"b\"}\n"),
            Some(Format::Jsonl)
        );
        assert_eq!(detect_format(b"[{\"title\": \"a\"}]"), Some(Format::Json));
        assert_eq!(
            detect_format(b"New Delhi, Mar 18 (KNN) Text."),
            Some(Format::Wire)
        );
        assert_eq!(detect_format(b"   \n"), None);
        assert_eq!(
            detect_format(&[0u8, 1, 2, 3, 4, 5, 6, 7, 8, 200, 201, 17, 18, 19]),
            None
        );
        assert_eq!(
            detect_format(b"<!DOCTYPE html><html><body>x</body></html>"),
            None
        );
    }

    #[test]
    fn clear_errors() {
        let o = IngestOptions::default();
        assert_eq!(
            parse_bytes(b"", None, &o).unwrap_err().to_string(),
            "empty document"
        );
        assert_eq!(
            parse_bytes(b"<!-- nothing -->", None, &o)
                .unwrap_err()
                .to_string(),
            "empty document"
        );
        let e = parse_bytes(
            b"<rss><channel><item><title>a</title></channel></rss>",
            None,
            &o,
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("malformed XML at line 1"), "{e}");
        let e = parse_bytes(b"{\"title\": ", Some(Format::Json), &o)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("malformed JSON at line 1"), "{e}");
        let e = parse_bytes(b"<export><meta>x</meta></export>", None, &o)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("no articles found"), "{e}");
    }

    #[test]
    fn duplicate_ids_are_dropped_with_a_warning() {
        let xml = b"<rss><channel><item><guid>1</guid><title>a</title><description>A.</description></item><item><guid>1</guid><title>a</title><description>A.</description></item></channel></rss>";
        let p = parse_document(xml, None, &IngestOptions::default()).unwrap();
        assert_eq!(p.articles.len(), 1);
        assert!(p.warnings[0].contains("duplicate item"));
        let xml = b"<rss><channel><item><guid>1</guid><title>a</title><description>A.</description></item><item><guid>1</guid><title>b</title><description>B.</description></item><item><title>headline only</title></item><item><link>http://x.example/4</link></item></channel></rss>";
        let p = parse_document(xml, None, &IngestOptions::default()).unwrap();
        assert_eq!(p.articles.len(), 3);
        assert_eq!(p.articles[0].id, "1");
        assert!(p.articles[1].id.starts_with("1#"));
        assert_eq!(p.articles[2].body, "headline only", "a headline-only item");
        assert!(
            p.warnings
                .iter()
                .any(|w| w.starts_with("item 4 has neither")),
            "{:?}",
            p.warnings
        );
    }

    #[test]
    fn json_round_trip_of_own_output() {
        let o = IngestOptions::default();
        let src = b"[{\"headline\": \"SIDBI scheme\", \"content\": \"<p>New Delhi, Mar 18 (KNN) SIDBI launched it.</p><p>(KNN Bureau)</p>\", \"date\": \"2026-03-18 16:42:48\", \"link\": \"https://x.in/a?utm_source=t\", \"authors\": [{\"name\": \"ENA\"}]}]";
        let a = parse_bytes(src, None, &o).unwrap().remove(0);
        assert_eq!(a.title, "SIDBI scheme");
        assert_eq!(
            a.body,
            "New Delhi, Mar 18 (KNN) SIDBI launched it.\n\n(KNN Bureau)"
        );
        assert_eq!(a.author.as_deref(), Some("ENA"));
        assert_eq!(a.source.as_deref(), Some("x.in"));
        assert_eq!(a.id, hash_id(&["url", "https://x.in/a"]));
        assert_eq!(a.boilerplate.len(), 2);
        let line = serde_json::to_string(&a).unwrap();
        let b = parse_bytes(line.as_bytes(), None, &o).unwrap().remove(0);
        assert_eq!(a, b);
    }
}

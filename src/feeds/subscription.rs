//! A subscription: the feed's URL and settings, and its status a person can read. Stored as
//! JSON in the store's `feeds` table (`store/feeds.rs`), keyed by a short id derived from the
//! canonical URL, so subscribing to the same URL twice finds the same feed.

use chrono::{DateTime, Utc};
use reqwest::Url;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::fetch::Validators;
use super::FeedError;

/// Poll interval when a subscription names none (10 minutes).
pub const DEFAULT_INTERVAL_SECS: u64 = 600;
/// Longest poll interval accepted (7 days).
pub const MAX_INTERVAL_SECS: u64 = 7 * 24 * 3600;
/// Longest `source`, `category` or `title` of a subscription, in characters.
pub const MAX_LABEL_CHARS: usize = 200;

/// A subscription with its status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Feed {
    /// Short stable id: 12 hex digits of a hash of the canonical URL.
    pub id: String,
    /// The URL polled.
    pub url: String,
    /// Seconds between polls (± 10% jitter).
    pub interval_secs: u64,
    /// Source given to items that name none of their own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Category given to items that name none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// What the subscription list calls it (an OPML outline's text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// When it was subscribed.
    pub created_at: DateTime<Utc>,
    /// What happened on its fetches.
    pub status: FeedStatus,
}

/// What happened on a feed's fetches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FeedStatus {
    /// When the last fetch started (none yet: null).
    pub last_fetch_at: Option<DateTime<Utc>>,
    /// When a fetch last succeeded (a 304 counts).
    pub last_success_at: Option<DateTime<Utc>>,
    /// `ok`, `not_modified`, or a failure kind (`http_error`, `throttled`, `timeout`,
    /// `too_large`, `redirect`, `refused`, `network`, `unreadable`, `ingest_error`).
    pub last_outcome: Option<String>,
    /// HTTP status of the last answer, if the server answered.
    pub last_http_status: Option<u16>,
    /// Why the last fetch failed, as a sentence; null after a success.
    pub last_error: Option<String>,
    /// Failures since the last success (the backoff grows with it).
    pub consecutive_failures: u32,
    /// When the scheduler fetches it next.
    pub next_fetch_at: DateTime<Utc>,
    /// Items in the feed as last read.
    pub items_seen: usize,
    /// Of those, new to the store at the last fetch (0 after a 304 or a failure).
    pub items_new_last_fetch: usize,
    /// Of those, changed and replaced at the last fetch.
    pub items_updated_last_fetch: usize,
    /// Items of the last body that could not be stored (no text, id over the limit).
    pub items_skipped_last_fetch: usize,
    /// Articles this feed delivered that are still stored (computed when read).
    #[serde(default)]
    pub articles_total: u64,
    /// The last `ETag`, sent back as `If-None-Match`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// The last `Last-Modified`, sent back as `If-Modified-Since`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
}

impl FeedStatus {
    /// The status of a feed never fetched: due at `next`.
    pub fn new(next: DateTime<Utc>) -> Self {
        FeedStatus {
            last_fetch_at: None,
            last_success_at: None,
            last_outcome: None,
            last_http_status: None,
            last_error: None,
            consecutive_failures: 0,
            next_fetch_at: next,
            items_seen: 0,
            items_new_last_fetch: 0,
            items_updated_last_fetch: 0,
            items_skipped_last_fetch: 0,
            articles_total: 0,
            etag: None,
            last_modified: None,
        }
    }

    /// The validators to send with the next request.
    pub fn validators(&self) -> Validators {
        Validators {
            etag: self.etag.clone(),
            last_modified: self.last_modified.clone(),
        }
    }

    /// True when the last fetch failed.
    pub fn failing(&self) -> bool {
        self.consecutive_failures > 0
    }
}

/// `POST /v1/feeds` body.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFeed {
    /// http or https URL of an RSS, Atom, RDF or JSON feed.
    pub url: String,
    /// Seconds between polls; default 600, at least the server's minimum (60 by default).
    #[serde(default)]
    pub interval_secs: Option<u64>,
    /// Source for items that name none of their own.
    #[serde(default)]
    pub source: Option<String>,
    /// Category for items that name none.
    #[serde(default)]
    pub category: Option<String>,
    /// A name for the subscription.
    #[serde(default)]
    pub title: Option<String>,
}

/// The id of the feed at `url`: the same for every spelling the canonical form folds together
/// (host case, tracking parameters, a fragment).
pub fn feed_id(url: &Url) -> String {
    crate::ingest::hash_id(&["feed", &crate::ingest::canonical_url(url.as_str())])[..12].to_string()
}

/// Checks an interval against `[min, MAX_INTERVAL_SECS]`.
pub fn check_interval(secs: u64, min: u64) -> Result<u64, FeedError> {
    if secs < min || secs > MAX_INTERVAL_SECS {
        return Err(FeedError::IntervalOutOfRange {
            got: secs,
            min,
            max: MAX_INTERVAL_SECS,
        });
    }
    Ok(secs)
}

/// Trims a label; empty is none; longer than [`MAX_LABEL_CHARS`] is refused.
pub fn clean_label(what: &str, v: Option<String>) -> Result<Option<String>, FeedError> {
    let Some(v) = v else { return Ok(None) };
    let v = v.split_whitespace().collect::<Vec<_>>().join(" ");
    if v.is_empty() {
        return Ok(None);
    }
    if v.chars().count() > MAX_LABEL_CHARS {
        return Err(FeedError::InvalidField(format!(
            "{what} is longer than {MAX_LABEL_CHARS} characters"
        )));
    }
    Ok(Some(v))
}

/// Reads a human interval: `600`, `90s`, `10m`, `1h`, `1h30m`, `2d`.
pub fn parse_interval(s: &str) -> Result<u64, String> {
    let t = s.trim().to_ascii_lowercase();
    let bad = || format!("interval {s:?}: use seconds or a duration like 90s, 10m, 1h30m, 1d");
    if t.is_empty() {
        return Err(bad());
    }
    if t.bytes().all(|b| b.is_ascii_digit()) {
        return t.parse().map_err(|_| bad());
    }
    let mut total: u64 = 0;
    let mut num = String::new();
    for c in t.chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86400,
            _ => return Err(bad()),
        };
        let n: u64 = num.parse().map_err(|_| bad())?;
        num.clear();
        total = n
            .checked_mul(unit)
            .and_then(|x| total.checked_add(x))
            .ok_or_else(bad)?;
    }
    if !num.is_empty() {
        return Err(bad());
    }
    Ok(total)
}

/// `600` → `10m`, `5400` → `1h30m`.
pub fn format_interval(secs: u64) -> String {
    if secs == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    let mut rest = secs;
    for (unit, name) in [(86400, "d"), (3600, "h"), (60, "m"), (1, "s")] {
        if rest >= unit {
            out.push_str(&format!("{}{name}", rest / unit));
            rest %= unit;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_short_stable_and_fold_trivial_url_differences() {
        let u = |s: &str| Url::parse(s).unwrap();
        let a = feed_id(&u("https://Example.org/rss.xml"));
        assert_eq!(a.len(), 12);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(a, feed_id(&u("https://example.org/rss.xml#top")));
        assert_eq!(a, feed_id(&u("https://example.org/rss.xml?utm_source=x")));
        assert_ne!(a, feed_id(&u("https://example.org/atom.xml")));
    }

    #[test]
    fn intervals_parse_and_print() {
        assert_eq!(parse_interval("600"), Ok(600));
        assert_eq!(parse_interval("90s"), Ok(90));
        assert_eq!(parse_interval("10m"), Ok(600));
        assert_eq!(parse_interval("1h30m"), Ok(5400));
        assert_eq!(parse_interval("2D"), Ok(172800));
        for bad in ["", "10x", "m", "10m5", "1.5h", "-5"] {
            assert!(parse_interval(bad).is_err(), "{bad:?}");
        }
        assert_eq!(format_interval(600), "10m");
        assert_eq!(format_interval(5400), "1h30m");
        assert_eq!(format_interval(90061), "1d1h1m1s");
        assert!(check_interval(59, 60).is_err());
        assert!(check_interval(MAX_INTERVAL_SECS + 1, 60).is_err());
        assert_eq!(check_interval(60, 60).unwrap(), 60);
    }

    #[test]
    fn labels_are_trimmed_and_bounded() {
        assert_eq!(
            clean_label("source", Some("  BBC   News ".into()))
                .unwrap()
                .as_deref(),
            Some("BBC News")
        );
        assert_eq!(clean_label("source", Some("   ".into())).unwrap(), None);
        assert!(clean_label("source", Some("x".repeat(MAX_LABEL_CHARS + 1))).is_err());
    }

    #[test]
    fn status_round_trips_and_reads_older_json() {
        let s = FeedStatus::new(Utc::now());
        let back: FeedStatus = serde_json::from_value(serde_json::to_value(&s).unwrap()).unwrap();
        assert_eq!(back, s);
        let mut v = serde_json::to_value(&s).unwrap();
        v.as_object_mut().unwrap().remove("articles_total");
        let back: FeedStatus = serde_json::from_value(v).unwrap();
        assert_eq!(back.articles_total, 0);
    }
}

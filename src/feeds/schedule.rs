//! When feeds are fetched, and what one fetch does to the store and the status.
//!
//! * The scheduler is one tokio task: it reads the subscriptions, starts a poll for every feed
//!   that is due, and sleeps until the next one is due (or until a subscription changes).
//! * A feed is never fetched twice at once: each has a lock, taken by polls and refreshes
//!   alike, and a refresh that had to wait for a running poll returns that poll's outcome
//!   instead of fetching again ("joins" it).
//! * At most `--feed-concurrency` fetches run at once (a semaphore, taken after the feed's
//!   lock so the two cannot deadlock).
//! * After a success the next fetch is one interval away, ±10%; after `n` consecutive failures
//!   it is `interval × 2^n`, capped at `--feed-max-backoff-secs` (never below the interval),
//!   ±10%; a 429/503 with `Retry-After` waits at least that long.
//! * A fetch runs as its own task: a client that gives up on `POST …/refresh` does not cut it
//!   short, and its status is always recorded.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::fetch::{FailureKind, FetchFailure, Fetched};
use super::subscription::Feed;
use super::{FeedError, Feeds};
use crate::engine::IngestReport;
use crate::ingest::{self, Format, IngestOptions};
use crate::store::MAX_ARTICLE_ID_BYTES;

/// Longest wait a `Retry-After` can impose (7 days).
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(7 * 24 * 3600);

/// How long the scheduler sleeps at most between looks at the subscriptions.
const IDLE_LOOK: Duration = Duration::from_secs(60);

/// The delay before the fetch after `failures` consecutive failures (0: after a success),
/// before jitter: `interval × 2^failures`, capped at `max(max_backoff, interval)`.
pub fn backoff(interval: Duration, failures: u32, max_backoff: Duration) -> Duration {
    let cap = max_backoff.max(interval);
    let factor = 1u32.checked_shl(failures.min(31)).unwrap_or(u32::MAX);
    interval.checked_mul(factor).unwrap_or(cap).min(cap)
}

/// `d` scaled by a factor in [0.9, 1.1], `unit` being a uniform draw in [0, 1).
pub fn jitter(d: Duration, unit: f64) -> Duration {
    d.mul_f64(0.9 + 0.2 * unit.clamp(0.0, 1.0))
}

/// The delay until the next fetch: the backoff with jitter, and never sooner than a
/// `Retry-After` (itself capped at [`MAX_RETRY_AFTER`]).
pub fn next_delay(
    interval: Duration,
    failures: u32,
    retry_after: Option<Duration>,
    max_backoff: Duration,
    unit: f64,
) -> Duration {
    let d = jitter(backoff(interval, failures, max_backoff), unit);
    match retry_after {
        Some(ra) => d.max(ra.min(MAX_RETRY_AFTER)),
        None => d,
    }
}

/// What one fetch did: the answer of `POST /v1/feeds/{id}/refresh`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FetchReport {
    /// The feed.
    pub feed_id: String,
    /// `ok`, `not_modified`, or a failure kind (see `FeedStatus::last_outcome`).
    pub outcome: String,
    /// HTTP status, if the server answered.
    pub http_status: Option<u16>,
    /// Why it failed; null on success.
    pub error: Option<String>,
    /// Items in the body (0 after a 304 or a failure).
    pub items_seen: usize,
    /// New articles stored.
    pub items_new: usize,
    /// Changed articles replaced.
    pub items_updated: usize,
    /// Items already stored as they are (no embedding work).
    pub items_unchanged: usize,
    /// Items that could not be stored (no text, id over the limit).
    pub items_skipped: usize,
    /// When the feed is due next.
    pub next_fetch_at: DateTime<Utc>,
    /// Wall time of the fetch, parse and ingest.
    pub seconds: f64,
    /// True when this refresh waited for a poll already running and reports that poll.
    pub joined: bool,
}

/// Per-feed coordination: the lock that keeps fetches of one feed apart, and the last outcome
/// for a refresh that joins a running poll.
#[derive(Default)]
pub(super) struct Slot {
    lock: tokio::sync::Mutex<()>,
    done: AtomicU64,
    last: Mutex<Option<FetchReport>>,
}

/// The scheduler's and the fetches' shared bookkeeping.
#[derive(Default)]
pub(super) struct Runs {
    slots: Mutex<HashMap<String, Arc<Slot>>>,
    /// Feeds with a scheduled poll in flight (the scheduler starts at most one each).
    polling: Mutex<HashSet<String>>,
}

impl Runs {
    /// True when no scheduled poll is running.
    pub(super) fn idle(&self) -> bool {
        self.polling.lock().is_empty()
    }

    /// The feed's slot. Slots are kept after a feed is removed (a few bytes each): a poll
    /// still running for it and a new subscription to the same URL share one lock.
    fn slot(&self, id: &str) -> Arc<Slot> {
        self.slots.lock().entry(id.to_string()).or_default().clone()
    }
}

/// Counters for `/metrics`.
#[derive(Default)]
pub(super) struct Counters {
    ok: AtomicU64,
    not_modified: AtomicU64,
    failed: [AtomicU64; FailureKind::ALL.len()],
    items_new: AtomicU64,
}

/// A snapshot of the fetch counters.
#[derive(Debug, Clone, Serialize)]
pub struct FetchCounts {
    /// (outcome label, fetches), every label of the fixed set, in a fixed order.
    pub by_outcome: Vec<(&'static str, u64)>,
    /// Items new to the store, over every fetch.
    pub items_new: u64,
}

impl Counters {
    fn count(&self, outcome: Result<bool, FailureKind>, new: usize) {
        match outcome {
            Ok(true) => &self.not_modified,
            Ok(false) => &self.ok,
            Err(k) => {
                let i = FailureKind::ALL.iter().position(|x| *x == k).unwrap_or(0);
                &self.failed[i]
            }
        }
        .fetch_add(1, Ordering::Relaxed);
        self.items_new.fetch_add(new as u64, Ordering::Relaxed);
    }

    pub(super) fn snapshot(&self) -> FetchCounts {
        let mut by_outcome = vec![
            ("ok", self.ok.load(Ordering::Relaxed)),
            ("not_modified", self.not_modified.load(Ordering::Relaxed)),
        ];
        for (k, c) in FailureKind::ALL.iter().zip(&self.failed) {
            by_outcome.push((k.label(), c.load(Ordering::Relaxed)));
        }
        FetchCounts {
            by_outcome,
            items_new: self.items_new.load(Ordering::Relaxed),
        }
    }
}

/// What a successful read of a body gave.
struct Stored {
    report: IngestReport,
    seen: usize,
    skipped: usize,
    ids: Vec<String>,
}

/// Parses a feed body the way every document is parsed (format sniffing, the declared
/// charset, the feed's source and category for items naming none) and keeps the items that
/// can be stored. Plain text is refused when `feed_only` (a subscription's URL must give a
/// feed, not an error page served as text).
pub fn parse_items(
    bytes: &[u8],
    charset: Option<String>,
    source: Option<String>,
    category: Option<String>,
    feed_only: bool,
) -> Result<(Vec<ingest::Article>, usize), FetchFailure> {
    let opts = IngestOptions {
        charset,
        feed_source: source,
        feed_category: category,
        ..IngestOptions::default()
    };
    let unreadable = |m: String| {
        FetchFailure::new(
            FailureKind::Unreadable,
            format!("the feed could not be read: {m}"),
        )
    };
    let parsed =
        ingest::parse_document(bytes, None, &opts).map_err(|e| unreadable(e.to_string()))?;
    if feed_only && parsed.format == Format::Wire {
        return Err(unreadable(
            "the response is plain text, not an RSS, Atom, RDF or JSON feed".into(),
        ));
    }
    for w in &parsed.warnings {
        tracing::debug!(warning = %w, "feed item");
    }
    let total = parsed.articles.len();
    let articles: Vec<ingest::Article> = parsed
        .articles
        .into_iter()
        .filter(|a| !a.body.trim().is_empty() && a.id.len() <= MAX_ARTICLE_ID_BYTES)
        .collect();
    let skipped = total - articles.len();
    Ok((articles, skipped))
}

impl Feeds {
    /// The scheduler loop; ends when [`Feeds::stop`] is called.
    pub(super) async fn schedule(self: Arc<Self>) {
        let mut stop = self.stop_rx.clone();
        tracing::info!(
            concurrency = self.settings.concurrency,
            "feed scheduler started"
        );
        loop {
            if *stop.borrow() {
                break;
            }
            let now = Utc::now();
            let mut wake = now + chrono::Duration::from_std(IDLE_LOOK).expect("small");
            match self.load_all().await {
                Ok(feeds) => {
                    for f in feeds {
                        if f.status.next_fetch_at <= now {
                            if self.runs.polling.lock().insert(f.id.clone()) {
                                let me = self.clone();
                                tokio::spawn(async move {
                                    me.poll(&f.id).await;
                                    me.runs.polling.lock().remove(&f.id);
                                    me.wake.notify_one();
                                });
                            }
                        } else {
                            wake = wake.min(f.status.next_fetch_at);
                        }
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "feed scheduler cannot read the subscriptions")
                }
            }
            let sleep = (wake - Utc::now()).to_std().unwrap_or(Duration::ZERO);
            tokio::select! {
                _ = tokio::time::sleep(sleep) => {}
                _ = self.wake.notified() => {}
                _ = stop.changed() => {}
            }
        }
        tracing::info!("feed scheduler stopped");
    }

    /// One scheduled poll: skipped when a refresh fetched the feed while this poll waited.
    async fn poll(self: &Arc<Self>, id: &str) {
        let slot = self.runs.slot(id);
        let _feed_lock = slot.lock.lock().await;
        let feed = match self.load(id).await {
            Ok(Some(f)) if f.status.next_fetch_at <= Utc::now() => f,
            Ok(_) => return,
            Err(e) => {
                tracing::error!(feed = id, error = %e, "cannot read the feed");
                return;
            }
        };
        let _permit = self.permits.acquire().await;
        let report = self.fetch_locked(feed).await;
        *slot.last.lock() = Some(report);
        slot.done.fetch_add(1, Ordering::SeqCst);
    }

    /// Fetches one feed now, or joins the poll of it that is running. The fetch runs as its
    /// own task, so it completes (and records its status) even if the caller goes away.
    pub(super) async fn refresh_now(self: &Arc<Self>, id: &str) -> Result<FetchReport, FeedError> {
        let me = self.clone();
        let id = id.to_string();
        tokio::spawn(async move {
            let slot = me.runs.slot(&id);
            let seen = slot.done.load(Ordering::SeqCst);
            let _feed_lock = slot.lock.lock().await;
            if slot.done.load(Ordering::SeqCst) != seen {
                if let Some(mut r) = slot.last.lock().clone() {
                    r.joined = true;
                    return Ok(r);
                }
            }
            let feed = me
                .load(&id)
                .await?
                .ok_or_else(|| FeedError::NotFound(id.clone()))?;
            let _permit = me.permits.acquire().await;
            let report = me.fetch_locked(feed).await;
            *slot.last.lock() = Some(report.clone());
            slot.done.fetch_add(1, Ordering::SeqCst);
            Ok(report)
        })
        .await
        .map_err(|e| FeedError::Internal(format!("the fetch task failed: {e}")))?
    }

    /// Fetches, parses and ingests one feed and records its status. The caller holds the
    /// feed's lock and a fetch permit.
    async fn fetch_locked(self: &Arc<Self>, feed: Feed) -> FetchReport {
        let started = Instant::now();
        let at = Utc::now();
        let url = match reqwest::Url::parse(&feed.url) {
            Ok(u) => u,
            Err(e) => {
                return self
                    .record(
                        feed,
                        at,
                        started,
                        Err(FetchFailure::new(
                            FailureKind::Refused,
                            format!("the stored URL does not parse: {e}"),
                        )),
                    )
                    .await
            }
        };
        let result = match self.fetcher.get(&url, &feed.status.validators()).await {
            Ok(Fetched::NotModified) => Ok(None),
            Ok(Fetched::Body(body)) => {
                let engine = self.engine.clone();
                let (source, category) = (feed.source.clone(), feed.category.clone());
                let validators = body.validators.clone();
                let status = body.status;
                tokio::task::spawn_blocking(move || {
                    let (articles, skipped) =
                        parse_items(&body.bytes, body.charset.clone(), source, category, true)?;
                    let seen = articles.len() + skipped;
                    let ids = articles.iter().map(|a| a.id.clone()).collect();
                    let report = engine.ingest(articles, &mut |_| {}).map_err(|e| {
                        FetchFailure::new(
                            FailureKind::IngestError,
                            format!("the items could not be stored: {e}"),
                        )
                    })?;
                    Ok::<_, FetchFailure>(Some((
                        Stored {
                            report,
                            seen,
                            skipped,
                            ids,
                        },
                        validators,
                        status,
                    )))
                })
                .await
                .unwrap_or_else(|e| {
                    Err(FetchFailure::new(
                        FailureKind::IngestError,
                        format!("the ingest task failed: {e}"),
                    ))
                })
            }
            Err(f) => Err(f),
        };
        self.record(feed, at, started, result).await
    }

    /// Writes the new status (unless the feed was removed meanwhile), counts, logs.
    async fn record(
        self: &Arc<Self>,
        mut feed: Feed,
        at: DateTime<Utc>,
        started: Instant,
        result: Result<Option<(Stored, super::fetch::Validators, u16)>, FetchFailure>,
    ) -> FetchReport {
        let interval = Duration::from_secs(feed.interval_secs);
        let st = &mut feed.status;
        st.last_fetch_at = Some(at);
        let mut report = FetchReport {
            feed_id: feed.id.clone(),
            outcome: String::new(),
            http_status: None,
            error: None,
            items_seen: 0,
            items_new: 0,
            items_updated: 0,
            items_unchanged: 0,
            items_skipped: 0,
            next_fetch_at: at,
            seconds: 0.0,
            joined: false,
        };
        let mut ids = Vec::new();
        let counted;
        match result {
            Ok(stored) => {
                st.last_success_at = Some(at);
                st.consecutive_failures = 0;
                st.last_error = None;
                st.items_new_last_fetch = 0;
                st.items_updated_last_fetch = 0;
                st.items_skipped_last_fetch = 0;
                match stored {
                    None => {
                        report.outcome = "not_modified".into();
                        report.http_status = Some(304);
                        counted = Ok(true);
                    }
                    Some((s, validators, status)) => {
                        report.outcome = "ok".into();
                        report.http_status = Some(status);
                        report.items_seen = s.seen;
                        report.items_new = s.report.added;
                        report.items_updated = s.report.updated;
                        report.items_unchanged = s.report.unchanged;
                        report.items_skipped = s.skipped;
                        st.items_seen = s.seen;
                        st.items_new_last_fetch = s.report.added;
                        st.items_updated_last_fetch = s.report.updated;
                        st.items_skipped_last_fetch = s.skipped;
                        st.etag = validators.etag;
                        st.last_modified = validators.last_modified;
                        ids = s.ids;
                        counted = Ok(false);
                    }
                }
                st.last_http_status = report.http_status;
                let delay = next_delay(
                    interval,
                    0,
                    None,
                    self.settings.max_backoff,
                    fastrand::f64(),
                );
                st.next_fetch_at =
                    at + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::MAX);
            }
            Err(f) => {
                st.consecutive_failures = st.consecutive_failures.saturating_add(1);
                st.last_error = Some(f.message.clone());
                st.last_http_status = f.status;
                st.items_new_last_fetch = 0;
                st.items_updated_last_fetch = 0;
                st.items_skipped_last_fetch = 0;
                let delay = next_delay(
                    interval,
                    st.consecutive_failures,
                    f.retry_after,
                    self.settings.max_backoff,
                    fastrand::f64(),
                );
                st.next_fetch_at =
                    at + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::MAX);
                report.outcome = f.kind.label().into();
                report.http_status = f.status;
                report.error = Some(f.message);
                counted = Err(f.kind);
            }
        }
        st.last_outcome = Some(report.outcome.clone());
        report.next_fetch_at = st.next_fetch_at;
        report.seconds = started.elapsed().as_secs_f64();
        self.counters.count(counted, report.items_new);
        let store_result = self.save_status(feed.clone(), ids).await;
        match (&store_result, &report.error) {
            (Err(e), _) => {
                tracing::error!(feed = %feed.id, error = %e, "cannot record the feed's status")
            }
            (Ok(false), _) => {
                tracing::info!(feed = %feed.id, "feed removed during its fetch; status dropped")
            }
            (Ok(true), None) => tracing::info!(
                feed = %feed.id,
                url = %feed.url,
                outcome = %report.outcome,
                status = ?report.http_status,
                items = report.items_seen,
                new = report.items_new,
                updated = report.items_updated,
                unchanged = report.items_unchanged,
                skipped = report.items_skipped,
                ms = (report.seconds * 1000.0).round() as u64,
                "feed fetched"
            ),
            (Ok(true), Some(err)) => tracing::warn!(
                feed = %feed.id,
                url = %feed.url,
                outcome = %report.outcome,
                status = ?report.http_status,
                failures = feed.status.consecutive_failures,
                next = %feed.status.next_fetch_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                error = %err,
                "feed fetch failed"
            ),
        }
        report
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_secs(60);

    #[test]
    fn backoff_doubles_from_the_interval_up_to_the_cap_and_resets() {
        let cap = Duration::from_secs(3600);
        let got: Vec<u64> = (0..9).map(|n| backoff(MIN, n, cap).as_secs()).collect();
        assert_eq!(got, [60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]);
        // A success (0 failures) is back to the interval.
        assert_eq!(backoff(MIN, 0, cap), MIN);
        // An interval above the cap is never shortened by a failure.
        let day = Duration::from_secs(86400);
        assert_eq!(backoff(day, 3, cap), day);
        // No overflow, however long the failing streak.
        assert_eq!(backoff(MIN, u32::MAX, cap), cap);
        let huge = Duration::from_secs(u64::MAX / 2);
        assert_eq!(backoff(huge, 40, Duration::MAX), Duration::MAX);
    }

    #[test]
    fn jitter_stays_within_ten_percent() {
        let d = Duration::from_secs(600);
        assert_eq!(jitter(d, 0.0), Duration::from_secs(540));
        assert_eq!(jitter(d, 0.5), d);
        assert!(jitter(d, 0.999_999) <= Duration::from_secs(660));
        let mut lo = Duration::MAX;
        let mut hi = Duration::ZERO;
        for _ in 0..10_000 {
            let j = jitter(d, fastrand::f64());
            lo = lo.min(j);
            hi = hi.max(j);
        }
        assert!(
            lo >= Duration::from_secs(540) && hi <= Duration::from_secs(660),
            "{lo:?} {hi:?}"
        );
        // The draws spread over the range rather than sitting at one point.
        assert!(hi - lo > Duration::from_secs(100), "{lo:?} {hi:?}");
        // Out-of-range draws are clamped.
        assert_eq!(jitter(d, 7.0), Duration::from_secs(660));
    }

    #[test]
    fn retry_after_is_a_floor_and_is_capped() {
        let cap = Duration::from_secs(3600);
        let ra = Some(Duration::from_secs(7200));
        assert_eq!(next_delay(MIN, 1, ra, cap, 0.5), Duration::from_secs(7200));
        // A short Retry-After does not undercut the backoff.
        let short = Some(Duration::from_secs(1));
        assert_eq!(
            next_delay(MIN, 1, short, cap, 0.5),
            Duration::from_secs(120)
        );
        assert_eq!(
            next_delay(MIN, 1, Some(Duration::from_secs(u64::MAX / 4)), cap, 0.5),
            MAX_RETRY_AFTER
        );
        // Consecutive failures push the next fetch further out, despite jitter.
        let a = next_delay(MIN, 1, None, cap, 0.999);
        let b = next_delay(MIN, 2, None, cap, 0.0);
        assert!(b > a, "{a:?} {b:?}");
    }
}

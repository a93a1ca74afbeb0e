//! Feeds: subscriptions to live RSS/Atom/RDF/JSON feeds, polled on a schedule and ingested
//! through the engine's ordinary write path. This is the ingest side of the data path for a
//! stream: bytes come from a URL instead of a file or a POST, and go through the same
//! `ingest::parse_document` (format sniffing, the declared charset) and `Engine::ingest`
//! (upsert by stable id; an unchanged item costs a hash compare and no embedding).
//!
//! * [`subscription`]: the stored subscription and its status, ids, intervals.
//! * [`safety`]: which URLs and addresses may be fetched (http/https, public addresses only
//!   unless `--allow-private-feeds`, checked on the resolved address and every redirect).
//! * [`fetch`]: the HTTP client and its limits (conditional GET, compression, redirects,
//!   timeouts, size cap, `Retry-After`).
//! * [`schedule`]: the scheduler, one fetch at a time per feed, a bounded number at once,
//!   backoff with jitter, and what a fetch writes.
//! * [`opml`]: subscription lists from feed readers.
//!
//! [`Feeds`] is the service the HTTP layer and the CLI call. Subscriptions live in the store's
//! `feeds` table, so they survive restarts.

pub mod fetch;
pub mod opml;
pub mod safety;
pub mod schedule;
pub mod subscription;

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use fetch::{FailureKind, FetchFailure, FetchSettings, Fetcher};
pub use schedule::{FetchCounts, FetchReport};
pub use subscription::{
    Feed, FeedStatus, NewFeed, DEFAULT_INTERVAL_SECS, MAX_INTERVAL_SECS, MAX_LABEL_CHARS,
};

use crate::engine::Engine;
use crate::ingest::Article;
use crate::store::{FeedInsert, Store, StoreError};
use safety::UrlRefusal;

/// Everything the feed service may do (validated by the CLI layer).
#[derive(Debug, Clone)]
pub struct FeedSettings {
    /// The HTTP client's limits.
    pub fetch: FetchSettings,
    /// Fetches running at once (`--feed-concurrency`).
    pub concurrency: usize,
    /// Shortest poll interval a subscription may ask for (`--feed-min-interval-secs`).
    pub min_interval_secs: u64,
    /// Longest wait the failure backoff reaches (`--feed-max-backoff-secs`).
    pub max_backoff: Duration,
    /// Subscriptions the server keeps at most (`--max-feeds`).
    pub max_feeds: usize,
}

impl Default for FeedSettings {
    fn default() -> Self {
        FeedSettings {
            fetch: FetchSettings::default(),
            concurrency: 4,
            min_interval_secs: 60,
            max_backoff: Duration::from_secs(6 * 3600),
            max_feeds: 1000,
        }
    }
}

/// What the feeds layer refuses or fails at. Codes are stable (see [`FeedError::code`]).
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    /// Not a URL newsdesk fetches.
    #[error("{0}")]
    InvalidUrl(String),
    /// A non-public address without `--allow-private-feeds`.
    #[error("{0}")]
    PrivateAddress(String),
    /// `interval_secs` outside the accepted range.
    #[error("interval_secs must be between {min} and {max} seconds, not {got}")]
    IntervalOutOfRange {
        /// Asked for.
        got: u64,
        /// `--feed-min-interval-secs`.
        min: u64,
        /// [`MAX_INTERVAL_SECS`].
        max: u64,
    },
    /// A field that is too long or otherwise unacceptable.
    #[error("{0}")]
    InvalidField(String),
    /// No feed with this id.
    #[error("no feed with id {0:?}")]
    NotFound(String),
    /// `--max-feeds` subscriptions exist already.
    #[error("this server follows at most {0} feeds (--max-feeds); remove one first")]
    TooMany(usize),
    /// An OPML body that cannot be read.
    #[error("{0}")]
    InvalidOpml(String),
    /// A one-off fetch (`newsdesk ingest URL`) failed.
    #[error("{0}")]
    Fetch(FetchFailure),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Something outside the request went wrong (a task panicked, the client could not start).
    #[error("{0}")]
    Internal(String),
}

impl FeedError {
    /// The stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            FeedError::InvalidUrl(_) => "invalid_url",
            FeedError::PrivateAddress(_) => "private_address",
            FeedError::IntervalOutOfRange { .. } => "interval_out_of_range",
            FeedError::InvalidField(_) => "invalid_request",
            FeedError::NotFound(_) => "feed_not_found",
            FeedError::TooMany(_) => "too_many_feeds",
            FeedError::InvalidOpml(_) => "invalid_opml",
            FeedError::Fetch(_) => "feed_fetch_failed",
            FeedError::Store(_) => "store_error",
            FeedError::Internal(_) => "internal",
        }
    }
}

impl From<UrlRefusal> for FeedError {
    fn from(r: UrlRefusal) -> Self {
        match r {
            UrlRefusal::Invalid(m) => FeedError::InvalidUrl(m),
            UrlRefusal::Private(m) => FeedError::PrivateAddress(m),
        }
    }
}

/// The answer of an OPML import.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ImportReport {
    /// Feeds subscribed by this import.
    pub added: Vec<Feed>,
    /// Ids of outlines that were subscribed already (left as they were).
    pub existing: Vec<String>,
    /// Outlines that could not be subscribed, with why.
    pub failed: Vec<ImportFailure>,
}

/// One outline an import refused.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ImportFailure {
    /// Its `xmlUrl`.
    pub url: String,
    /// Its name, if it had one.
    pub title: Option<String>,
    /// Stable code (`invalid_url`, `private_address`, `too_many_feeds`, …).
    pub code: String,
    /// Why.
    pub error: String,
}

/// The answer of `POST /v1/feeds/{id}/refresh`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Refreshed {
    /// What the fetch did.
    pub fetch: FetchReport,
    /// The feed with its status after it.
    pub feed: Feed,
}

/// The feed service: subscriptions, the scheduler, refreshes.
pub struct Feeds {
    engine: Arc<Engine>,
    fetcher: Fetcher,
    settings: FeedSettings,
    runs: schedule::Runs,
    permits: tokio::sync::Semaphore,
    wake: tokio::sync::Notify,
    counters: schedule::Counters,
    stop_tx: tokio::sync::watch::Sender<bool>,
    stop_rx: tokio::sync::watch::Receiver<bool>,
}

impl std::fmt::Debug for Feeds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Feeds")
            .field("settings", &self.settings)
            .finish()
    }
}

impl Feeds {
    /// The service over an opened engine. Starts nothing: call [`Feeds::start`] for polling.
    pub fn new(engine: Arc<Engine>, settings: FeedSettings) -> Result<Arc<Feeds>, FeedError> {
        let fetcher = Fetcher::new(settings.fetch.clone()).map_err(FeedError::Internal)?;
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        Ok(Arc::new(Feeds {
            engine,
            fetcher,
            permits: tokio::sync::Semaphore::new(settings.concurrency.max(1)),
            settings,
            runs: Default::default(),
            wake: tokio::sync::Notify::new(),
            counters: Default::default(),
            stop_tx,
            stop_rx,
        }))
    }

    /// The settings it runs with.
    pub fn settings(&self) -> &FeedSettings {
        &self.settings
    }

    /// Starts the scheduler on the current tokio runtime. Feeds whose `next_fetch_at` has
    /// passed (a new subscription, or a restart after a pause) are fetched at once.
    pub fn start(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        tokio::spawn(self.clone().schedule())
    }

    /// Asks the scheduler to stop; fetches already running finish and record their status.
    pub fn stop(&self) {
        let _ = self.stop_tx.send(true);
    }

    /// Stops the scheduler and waits up to `grace` for the scheduled fetches already running
    /// to finish (their items stored, their status recorded). True when none was left running.
    pub async fn shutdown(&self, grace: std::time::Duration) -> bool {
        self.stop();
        let deadline = tokio::time::Instant::now() + grace;
        loop {
            if self.runs.idle() {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// Subscribes to a feed. The same URL again (in any spelling with the same canonical
    /// form) returns the existing feed untouched, with `false`.
    pub async fn add(self: &Arc<Self>, req: NewFeed) -> Result<(Feed, bool), FeedError> {
        let allow = self.settings.fetch.allow_private;
        let url = safety::parse_feed_url(&req.url, allow)?;
        let min = self.settings.min_interval_secs;
        let interval = subscription::check_interval(
            req.interval_secs.unwrap_or(DEFAULT_INTERVAL_SECS.max(min)),
            min,
        )?;
        let source = subscription::clean_label("source", req.source)?;
        let category = subscription::clean_label("category", req.category)?;
        let title = subscription::clean_label("title", req.title)?;
        if let (false, Some(url::Host::Domain(host))) = (allow, url.host()) {
            // A name that resolves only to private addresses is refused now; one that does not
            // resolve at all is kept (DNS may be down): its fetches will say so in its status.
            if let Err(e) =
                safety::resolve_checked(host, false, self.settings.fetch.connect_timeout).await
            {
                match e.downcast::<UrlRefusal>() {
                    Ok(refusal) => return Err((*refusal).into()),
                    Err(other) => {
                        tracing::info!(url = %url, error = %other, "subscribed to a feed whose host does not resolve now")
                    }
                }
            }
        }
        let now = Utc::now();
        let feed = Feed {
            id: subscription::feed_id(&url),
            url: url.to_string(),
            interval_secs: interval,
            source,
            category,
            title,
            created_at: now,
            status: FeedStatus::new(now),
        };
        let json = serde_json::to_vec(&feed).expect("a feed serialises");
        let (id, limit) = (feed.id.clone(), self.settings.max_feeds);
        let outcome = self
            .blocking(move |s| s.insert_feed(&id, &json, limit))
            .await?;
        match outcome {
            FeedInsert::Inserted => {
                tracing::info!(feed = %feed.id, url = %feed.url, interval = interval, "feed subscribed");
                self.wake.notify_one();
                Ok((feed, true))
            }
            FeedInsert::Exists(json) => {
                let mut existing = decode(&json)?;
                let id = existing.id.clone();
                existing.status.articles_total =
                    self.blocking(move |s| s.feed_article_count(&id)).await?;
                Ok((existing, false))
            }
            FeedInsert::Full => Err(FeedError::TooMany(limit)),
        }
    }

    /// Subscribes to every outline of an OPML document that has an `xmlUrl`.
    pub async fn import_opml(self: &Arc<Self>, bytes: &[u8]) -> Result<ImportReport, FeedError> {
        let outlines = opml::parse(bytes).map_err(|e| FeedError::InvalidOpml(e.to_string()))?;
        // Name checks resolve DNS: run a few at once so a long list does not take minutes.
        let gate = Arc::new(tokio::sync::Semaphore::new(8));
        let mut tasks = tokio::task::JoinSet::new();
        for (i, o) in outlines.iter().cloned().enumerate() {
            let me = self.clone();
            let gate = gate.clone();
            tasks.spawn(async move {
                let _g = gate.acquire().await;
                let req = NewFeed {
                    url: o.url.clone(),
                    interval_secs: None,
                    source: None,
                    category: o.category.clone(),
                    title: o.title.clone(),
                };
                (i, o, me.add(req).await)
            });
        }
        let mut results = Vec::new();
        while let Some(r) = tasks.join_next().await {
            results
                .push(r.map_err(|e| FeedError::Internal(format!("an import task failed: {e}")))?);
        }
        results.sort_by_key(|(i, _, _)| *i);
        let mut report = ImportReport {
            added: Vec::new(),
            existing: Vec::new(),
            failed: Vec::new(),
        };
        for (_, o, r) in results {
            match r {
                Ok((f, true)) => report.added.push(f),
                Ok((f, false)) => {
                    if !report.existing.contains(&f.id) {
                        report.existing.push(f.id)
                    }
                }
                Err(e @ (FeedError::Store(_) | FeedError::Internal(_))) => return Err(e),
                Err(e) => report.failed.push(ImportFailure {
                    url: o.url,
                    title: o.title,
                    code: e.code().to_string(),
                    error: e.to_string(),
                }),
            }
        }
        tracing::info!(
            added = report.added.len(),
            existing = report.existing.len(),
            failed = report.failed.len(),
            "OPML imported"
        );
        Ok(report)
    }

    /// Every feed with its status, in id order.
    pub async fn list(&self) -> Result<Vec<Feed>, FeedError> {
        self.blocking(|s| {
            let mut out = Vec::new();
            for (_, json) in s.feeds()? {
                let mut f = decode(&json).map_err(to_store)?;
                f.status.articles_total = s.feed_article_count(&f.id)?;
                out.push(f);
            }
            Ok(out)
        })
        .await
    }

    /// One feed with its status.
    pub async fn get(&self, id: &str) -> Result<Feed, FeedError> {
        let id = id.to_string();
        let found = self
            .blocking({
                let id = id.clone();
                move |s| {
                    let Some(json) = s.feed(&id)? else {
                        return Ok(None);
                    };
                    let mut f = decode(&json).map_err(to_store)?;
                    f.status.articles_total = s.feed_article_count(&id)?;
                    Ok(Some(f))
                }
            })
            .await?;
        found.ok_or(FeedError::NotFound(id))
    }

    /// Unsubscribes: polling stops; the articles it delivered stay.
    pub async fn remove(&self, id: &str) -> Result<(), FeedError> {
        let key = id.to_string();
        if !self.blocking(move |s| s.delete_feed(&key)).await? {
            return Err(FeedError::NotFound(id.to_string()));
        }
        self.wake.notify_one();
        tracing::info!(feed = id, "feed removed");
        Ok(())
    }

    /// Fetches a feed now (or joins the poll of it that is running) and answers with the
    /// outcome once it is stored.
    pub async fn refresh(self: &Arc<Self>, id: &str) -> Result<Refreshed, FeedError> {
        let fetch = self.refresh_now(id).await?;
        let feed = self.get(id).await?;
        Ok(Refreshed { fetch, feed })
    }

    /// Fetch counters since start.
    pub fn counts(&self) -> FetchCounts {
        self.counters.snapshot()
    }

    /// (feeds subscribed, feeds whose last fetch failed), read from the store.
    pub fn gauges(&self) -> Result<(u64, u64), FeedError> {
        let all = self.engine.store().feeds()?;
        let mut failing = 0;
        for (_, json) in &all {
            if decode(json)?.status.failing() {
                failing += 1;
            }
        }
        Ok((all.len() as u64, failing))
    }

    async fn load_all(&self) -> Result<Vec<Feed>, FeedError> {
        self.blocking(|s| {
            s.feeds()?
                .iter()
                .map(|(_, j)| decode(j).map_err(to_store))
                .collect()
        })
        .await
    }

    async fn load(&self, id: &str) -> Result<Option<Feed>, FeedError> {
        let id = id.to_string();
        self.blocking(move |s| {
            s.feed(&id)?
                .map(|j| decode(&j).map_err(to_store))
                .transpose()
        })
        .await
    }

    /// Stores a fetch's status and delivered ids; `false` when the feed was removed meanwhile.
    async fn save_status(&self, mut feed: Feed, ids: Vec<String>) -> Result<bool, FeedError> {
        feed.status.articles_total = 0;
        let json = serde_json::to_vec(&feed).expect("a feed serialises");
        self.blocking(move |s| {
            let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
            s.update_feed(&feed.id, &json, &refs)
        })
        .await
    }

    /// Runs store work on the blocking pool (redb commits fsync).
    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, FeedError> {
        let engine = self.engine.clone();
        tokio::task::spawn_blocking(move || f(engine.store()))
            .await
            .map_err(|e| FeedError::Internal(format!("a store task failed: {e}")))?
            .map_err(FeedError::Store)
    }
}

fn decode(json: &[u8]) -> Result<Feed, FeedError> {
    serde_json::from_slice(json)
        .map_err(|e| FeedError::Store(StoreError::Corrupt(format!("a feed record: {e}"))))
}

fn to_store(e: FeedError) -> StoreError {
    match e {
        FeedError::Store(s) => s,
        other => StoreError::Corrupt(other.to_string()),
    }
}

/// Fetches one URL once, without subscribing (`newsdesk ingest URL`): the same client, limits
/// and address checks as the scheduler, then the same parse. Any format newsdesk reads is
/// accepted, plain wire text included.
pub async fn fetch_articles(fetcher: &Fetcher, url: &str) -> Result<Vec<Article>, FeedError> {
    let url = safety::parse_feed_url(url, fetcher.settings().allow_private)?;
    let body = match fetcher
        .get(&url, &fetch::Validators::default())
        .await
        .map_err(FeedError::Fetch)?
    {
        fetch::Fetched::Body(b) => b,
        fetch::Fetched::NotModified => {
            return Err(FeedError::Fetch(FetchFailure::new(
                FailureKind::HttpError,
                "the server answered 304 Not Modified to an unconditional request",
            )))
        }
    };
    let (articles, skipped) = tokio::task::spawn_blocking(move || {
        schedule::parse_items(&body.bytes, body.charset, None, None, false)
    })
    .await
    .map_err(|e| FeedError::Internal(format!("the parse task failed: {e}")))?
    .map_err(FeedError::Fetch)?;
    if skipped > 0 {
        tracing::warn!(url = %url, skipped, "items without text (or with an overlong id) were skipped");
    }
    Ok(articles)
}

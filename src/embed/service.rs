//! [`EmbedService`]: model work off the async reactor, on dedicated threads.
//!
//! Two bounded queues, each drained by its own thread:
//! - **query**: short texts, taken in micro-batches (whatever is waiting, up to
//!   [`EmbedServiceOptions::query_micro_batch`]) and run on the [`Embedder`]'s query pool; while
//!   a query runs, bulk work pauses at its next task boundary, so a query never waits behind a
//!   bulk job (it waits at most for one matmul block, well under a millisecond).
//! - **bulk**: whole jobs (many texts), one at a time, on the bulk pool.
//!
//! While the service runs, the bulk threads also run at a lower OS priority
//! ([`EmbedServiceOptions::bulk_nice`], one-way: an unprivileged process cannot raise it back),
//! so the thread that picks up a query is scheduled at once even when bulk work keeps every
//! core busy.
//!
//! A query asked again is answered from a small LRU of recent query vectors
//! ([`EmbedServiceOptions::query_cache`]) without model work: analysts re-ask, pages re-search.
//!
//! A full queue answers [`EmbedError::Overloaded`] at once (HTTP maps it to 503 + Retry-After);
//! [`EmbedService::bulk_blocking_wait`] is the back-pressure alternative for pipelines that
//! would rather wait for room. Worker threads stop when the last clone of the service is dropped.
//!
//! A bulk job whose caller has gone (an async caller's future dropped, or the
//! [`CancellationToken`] of a blocking caller cancelled) is never started if it is still queued,
//! stops at its next batch boundary if it runs, and answers [`EmbedError::Cancelled`].

use super::{EmbedCounters, EmbedError, Embedder};
use crossbeam_channel::{bounded, Receiver, SendTimeoutError, Sender, TrySendError};
use lru::LruCache;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

#[derive(Clone, Debug)]
pub struct EmbedServiceOptions {
    /// Queries waiting (not yet running) before `Overloaded`.
    pub query_queue: usize,
    /// Bulk jobs waiting (not yet running) before `Overloaded`.
    pub bulk_queue: usize,
    /// Most queries run together in one forward pass.
    pub query_micro_batch: usize,
    /// OS priority (`nice`) for the embedder's bulk threads while the service runs, so that
    /// queries get a core at once (see [`Embedder::set_bulk_nice`]); `None` leaves it alone.
    pub bulk_nice: Option<i32>,
    /// Recent query vectors kept by query text (least recently used dropped first), so a
    /// question asked again costs no model work; 0 turns the cache off.
    pub query_cache: usize,
    /// Requests being answered now (the engine's open readers): while any is, a lone query
    /// embeds on one thread ([`Embedder::embed_queries_on`]); `None`: always on the whole pool.
    pub busy: Option<Arc<AtomicUsize>>,
}

/// Default of [`EmbedServiceOptions::query_cache`]: 1,024 vectors of 1.5 KB.
pub const DEFAULT_QUERY_CACHE: usize = 1024;

impl Default for EmbedServiceOptions {
    fn default() -> Self {
        EmbedServiceOptions {
            query_queue: 256,
            bulk_queue: 16,
            query_micro_batch: 16,
            bulk_nice: Some(5),
            query_cache: DEFAULT_QUERY_CACHE,
            busy: None,
        }
    }
}

/// Counters for `/metrics` and for tests ("zero embedding calls").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct EmbedStats {
    /// Model work done by the embedder (direct calls included).
    pub model: EmbedCounters,
    /// Query requests accepted by the service.
    pub query_requests: u64,
    /// Of those, answered from the query cache without model work.
    pub query_cache_hits: u64,
    /// Bulk jobs accepted by the service.
    pub bulk_jobs: u64,
    /// Requests refused with `Overloaded`.
    pub rejected: u64,
    /// Bulk jobs dropped (before or while running) because their caller had gone.
    pub cancelled: u64,
    /// Queries waiting now.
    pub query_queued: usize,
    /// Bulk jobs waiting now.
    pub bulk_queued: usize,
    /// Bulk jobs running now (0 or 1).
    pub bulk_running: usize,
}

type QueryReply = tokio::sync::oneshot::Sender<Result<Vec<f32>, EmbedError>>;

struct QueryJob {
    text: String,
    reply: QueryReply,
}

enum BulkReply {
    Async(tokio::sync::oneshot::Sender<Result<Vec<Vec<f32>>, EmbedError>>),
    Blocking(Sender<Result<Vec<Vec<f32>>, EmbedError>>),
}

struct BulkJob {
    texts: Vec<String>,
    reply: BulkReply,
    /// Cancelled when a blocking caller gives up.
    cancel: Option<CancellationToken>,
}

impl BulkJob {
    /// True once nobody waits for the result.
    fn gone(&self) -> bool {
        matches!(&self.reply, BulkReply::Async(tx) if tx.is_closed())
            || self.cancel.as_ref().is_some_and(|c| c.is_cancelled())
    }

    fn answer(self, res: Result<Vec<Vec<f32>>, EmbedError>) {
        match self.reply {
            BulkReply::Async(tx) => {
                let _ = tx.send(res);
            }
            BulkReply::Blocking(tx) => {
                let _ = tx.send(res);
            }
        }
    }
}

struct Shared {
    query_requests: AtomicU64,
    query_cache_hits: AtomicU64,
    bulk_jobs: AtomicU64,
    rejected: AtomicU64,
    bulk_running: AtomicUsize,
    /// Bulk jobs dropped because their caller had gone.
    cancelled: AtomicU64,
    /// Holds on bulk work ([`EmbedService::hold_bulk`]); the bulk worker waits while any is held.
    holds: parking_lot::Mutex<usize>,
    released: parking_lot::Condvar,
}

impl Shared {
    fn wait_unheld(&self) {
        let mut h = self.holds.lock();
        while *h > 0 {
            self.released.wait(&mut h);
        }
    }
}

/// While alive, the bulk worker runs no further batch (see [`EmbedService::hold_bulk`]).
#[must_use = "bulk work resumes when the hold is dropped"]
pub struct BulkHold {
    shared: Arc<Shared>,
}

impl Drop for BulkHold {
    fn drop(&mut self) {
        let mut h = self.shared.holds.lock();
        *h -= 1;
        if *h == 0 {
            self.shared.released.notify_all();
        }
    }
}

struct Inner {
    embedder: Arc<Embedder>,
    /// Recent query vectors by text (`None` when the cache is off).
    cache: Option<parking_lot::Mutex<LruCache<String, Arc<[f32]>>>>,
    query_tx: Sender<QueryJob>,
    bulk_tx: Sender<BulkJob>,
    shared: Arc<Shared>,
}

/// Cheap to clone; all clones share the workers.
#[derive(Clone)]
pub struct EmbedService {
    inner: Arc<Inner>,
}

impl EmbedService {
    pub fn start(embedder: Arc<Embedder>, opts: EmbedServiceOptions) -> EmbedService {
        if let Some(nice) = opts.bulk_nice {
            embedder.set_bulk_nice(nice);
        }
        let (query_tx, query_rx) = bounded::<QueryJob>(opts.query_queue.max(1));
        let (bulk_tx, bulk_rx) = bounded::<BulkJob>(opts.bulk_queue.max(1));
        let shared = Arc::new(Shared {
            query_requests: AtomicU64::new(0),
            query_cache_hits: AtomicU64::new(0),
            bulk_jobs: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
            bulk_running: AtomicUsize::new(0),
            cancelled: AtomicU64::new(0),
            holds: parking_lot::Mutex::new(0),
            released: parking_lot::Condvar::new(),
        });
        {
            let e = embedder.clone();
            let micro = opts.query_micro_batch.max(1);
            let busy = opts.busy.clone();
            std::thread::Builder::new()
                .name("embed-query-worker".into())
                .spawn(move || query_worker(e, query_rx, micro, busy))
                .expect("spawn embed query worker");
        }
        {
            let e = embedder.clone();
            let s = shared.clone();
            std::thread::Builder::new()
                .name("embed-bulk-worker".into())
                .spawn(move || bulk_worker(e, bulk_rx, s))
                .expect("spawn embed bulk worker");
        }
        EmbedService {
            inner: Arc::new(Inner {
                embedder,
                cache: NonZeroUsize::new(opts.query_cache)
                    .map(|n| parking_lot::Mutex::new(LruCache::new(n))),
                query_tx,
                bulk_tx,
                shared,
            }),
        }
    }

    pub fn embedder(&self) -> &Arc<Embedder> {
        &self.inner.embedder
    }

    /// Embed one query on the priority path (or answer it from the query cache).
    pub async fn query(&self, text: String) -> Result<Vec<f32>, EmbedError> {
        if let Some(v) = self.cached(&text) {
            return Ok(v);
        }
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.submit_query(QueryJob {
            text: text.clone(),
            reply: tx,
        })?;
        let v = rx.await.map_err(|_| EmbedError::ShutDown)??;
        self.remember(text, &v);
        Ok(v)
    }

    /// Embed one query from a non-async thread (or answer it from the query cache).
    pub fn query_blocking(&self, text: String) -> Result<Vec<f32>, EmbedError> {
        if let Some(v) = self.cached(&text) {
            return Ok(v);
        }
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.submit_query(QueryJob {
            text: text.clone(),
            reply: tx,
        })?;
        let v = rx.blocking_recv().map_err(|_| EmbedError::ShutDown)??;
        self.remember(text, &v);
        Ok(v)
    }

    /// The cached vector of a query text, counted as a request and a hit.
    fn cached(&self, text: &str) -> Option<Vec<f32>> {
        let v = self.inner.cache.as_ref()?.lock().get(text)?.to_vec();
        let shared = &self.inner.shared;
        shared.query_requests.fetch_add(1, Ordering::Relaxed);
        shared.query_cache_hits.fetch_add(1, Ordering::Relaxed);
        Some(v)
    }

    fn remember(&self, text: String, v: &[f32]) {
        if let Some(c) = &self.inner.cache {
            c.lock().put(text, v.into());
        }
    }

    /// Embed several short texts on the priority path from a non-async thread, 16 in the
    /// queue at a time (so one caller never fills it); `Overloaded` when the queue is full.
    pub fn queries_blocking(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, EmbedError> {
        let mut out = Vec::with_capacity(texts.len());
        let mut texts = texts.into_iter().peekable();
        while texts.peek().is_some() {
            let mut waiting = Vec::with_capacity(16);
            for text in texts.by_ref().take(16) {
                let (tx, rx) = tokio::sync::oneshot::channel();
                self.submit_query(QueryJob { text, reply: tx })?;
                waiting.push(rx);
            }
            for rx in waiting {
                out.push(rx.blocking_recv().map_err(|_| EmbedError::ShutDown)??);
            }
        }
        Ok(out)
    }

    fn submit_query(&self, job: QueryJob) -> Result<(), EmbedError> {
        match self.inner.query_tx.try_send(job) {
            Ok(()) => {
                self.inner
                    .shared
                    .query_requests
                    .fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
            Err(TrySendError::Full(_)) => {
                self.inner.shared.rejected.fetch_add(1, Ordering::Relaxed);
                Err(EmbedError::Overloaded)
            }
            Err(TrySendError::Disconnected(_)) => Err(EmbedError::ShutDown),
        }
    }

    fn submit_bulk(&self, mut job: BulkJob, wait: bool) -> Result<(), EmbedError> {
        let sent = if wait {
            // Waiting for room, a caller that gives up stops waiting.
            loop {
                if job.gone() {
                    self.inner.shared.cancelled.fetch_add(1, Ordering::Relaxed);
                    return Err(EmbedError::Cancelled);
                }
                match self
                    .inner
                    .bulk_tx
                    .send_timeout(job, Duration::from_millis(50))
                {
                    Ok(()) => break Ok(()),
                    Err(SendTimeoutError::Timeout(j)) => job = j,
                    Err(SendTimeoutError::Disconnected(_)) => break Err(EmbedError::ShutDown),
                }
            }
        } else {
            match self.inner.bulk_tx.try_send(job) {
                Ok(()) => Ok(()),
                Err(TrySendError::Full(_)) => {
                    self.inner.shared.rejected.fetch_add(1, Ordering::Relaxed);
                    Err(EmbedError::Overloaded)
                }
                Err(TrySendError::Disconnected(_)) => Err(EmbedError::ShutDown),
            }
        };
        if sent.is_ok() {
            self.inner.shared.bulk_jobs.fetch_add(1, Ordering::Relaxed);
        }
        sent
    }

    /// Bulk embedding from a non-async thread; `Overloaded` at once when the bulk queue is full.
    pub fn bulk_blocking(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, EmbedError> {
        self.bulk_blocking_job(texts, false, None)
    }

    /// Like [`EmbedService::bulk_blocking`], but waits for room in the queue instead of
    /// refusing (back-pressure for ingest pipelines).
    pub fn bulk_blocking_wait(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, EmbedError> {
        self.bulk_blocking_job(texts, true, None)
    }

    /// [`EmbedService::bulk_blocking_wait`] (or, without `wait_for_room`,
    /// [`EmbedService::bulk_blocking`]) for a caller that may give up: once `cancel` fires the
    /// job stops waiting for room, is dropped unrun if still queued, or stops at its next batch
    /// boundary, and the call answers [`EmbedError::Cancelled`].
    pub fn bulk_blocking_cancellable(
        &self,
        texts: Vec<String>,
        wait_for_room: bool,
        cancel: &CancellationToken,
    ) -> Result<Vec<Vec<f32>>, EmbedError> {
        self.bulk_blocking_job(texts, wait_for_room, Some(cancel.clone()))
    }

    fn bulk_blocking_job(
        &self,
        texts: Vec<String>,
        wait: bool,
        cancel: Option<CancellationToken>,
    ) -> Result<Vec<Vec<f32>>, EmbedError> {
        let (tx, rx) = bounded(1);
        self.submit_bulk(
            BulkJob {
                texts,
                reply: BulkReply::Blocking(tx),
                cancel,
            },
            wait,
        )?;
        rx.recv().map_err(|_| EmbedError::ShutDown)?
    }

    /// Bulk embedding for async callers; `Overloaded` at once when the bulk queue is full.
    pub async fn bulk(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, EmbedError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.submit_bulk(
            BulkJob {
                texts,
                reply: BulkReply::Async(tx),
                cancel: None,
            },
            false,
        )?;
        rx.await.map_err(|_| EmbedError::ShutDown)?
    }

    /// Stops bulk work at its next batch boundary until the returned hold is dropped; queries
    /// go on. A shutdown holds bulk work while it checkpoints; tests use it to put jobs in a
    /// known state.
    pub fn hold_bulk(&self) -> BulkHold {
        *self.inner.shared.holds.lock() += 1;
        BulkHold {
            shared: self.inner.shared.clone(),
        }
    }

    pub fn stats(&self) -> EmbedStats {
        let s = &self.inner.shared;
        EmbedStats {
            model: self.inner.embedder.counters(),
            query_requests: s.query_requests.load(Ordering::Relaxed),
            query_cache_hits: s.query_cache_hits.load(Ordering::Relaxed),
            bulk_jobs: s.bulk_jobs.load(Ordering::Relaxed),
            rejected: s.rejected.load(Ordering::Relaxed),
            cancelled: s.cancelled.load(Ordering::Relaxed),
            query_queued: self.inner.query_tx.len(),
            bulk_queued: self.inner.bulk_tx.len(),
            bulk_running: s.bulk_running.load(Ordering::Relaxed),
        }
    }
}

fn query_worker(
    embedder: Arc<Embedder>,
    rx: Receiver<QueryJob>,
    micro: usize,
    busy: Option<Arc<AtomicUsize>>,
) {
    let mut jobs: Vec<QueryJob> = Vec::with_capacity(micro);
    while let Ok(first) = rx.recv() {
        jobs.push(first);
        while jobs.len() < micro {
            match rx.try_recv() {
                Ok(j) => jobs.push(j),
                Err(_) => break,
            }
        }
        // Callers that gave up (dropped future) cost nothing.
        jobs.retain(|j| !j.reply.is_closed());
        if jobs.is_empty() {
            continue;
        }
        let texts: Vec<&str> = jobs.iter().map(|j| j.text.as_str()).collect();
        let serial =
            texts.len() == 1 && busy.as_ref().is_some_and(|b| b.load(Ordering::Relaxed) > 0);
        match embedder.embed_queries_on(&texts, serial) {
            Ok(vecs) => {
                for (job, v) in jobs.drain(..).zip(vecs) {
                    let _ = job.reply.send(Ok(v));
                }
            }
            Err(e) => {
                let msg = e.to_string();
                for job in jobs.drain(..) {
                    let _ = job.reply.send(Err(clone_err(&e, &msg)));
                }
            }
        }
    }
}

fn bulk_worker(embedder: Arc<Embedder>, rx: Receiver<BulkJob>, shared: Arc<Shared>) {
    while let Ok(job) = rx.recv() {
        // A job whose caller left while it was queued is not started (not even tokenised).
        if job.gone() {
            shared.cancelled.fetch_add(1, Ordering::Relaxed);
            job.answer(Err(EmbedError::Cancelled));
            continue;
        }
        shared.bulk_running.store(1, Ordering::Relaxed);
        let texts: Vec<&str> = job.texts.iter().map(|s| s.as_str()).collect();
        // Before each batch: wait while bulk work is held, and stop if the caller has gone
        // (a request that timed out or whose client disconnected).
        let res = embedder.embed_batch_checked(&texts, &mut || {
            shared.wait_unheld();
            !job.gone()
        });
        if matches!(res, Err(EmbedError::Cancelled)) {
            shared.cancelled.fetch_add(1, Ordering::Relaxed);
        }
        shared.bulk_running.store(0, Ordering::Relaxed);
        job.answer(res);
    }
}

fn clone_err(e: &EmbedError, msg: &str) -> EmbedError {
    match e {
        EmbedError::Tokenizer(m) => EmbedError::Tokenizer(m.clone()),
        EmbedError::Overloaded => EmbedError::Overloaded,
        EmbedError::ShutDown => EmbedError::ShutDown,
        _ => EmbedError::Backend(msg.to_string()),
    }
}

//! HTTP face of the engine (axum). `app(state)` builds the router; handlers are thin: a typed
//! extractor validates, the query embedding goes to the model's priority queue, the CPU work
//! runs on the blocking pool behind a concurrency limit, and the result maps to JSON.
//!
//! Layers, outside in: request id (tower-http: `x-request-id`, set when the client sent none,
//! echoed on the response) → panic catcher (tower-http; a panic becomes a JSON 500) → CORS
//! (tower-http, only with `--cors-origin`) → request timeout (ours: it answers with the API's
//! error shape and Retry-After) → body limit → per-route metrics → auth (writes; reads, including
//! `/metrics`, when a read key is set) → request decompression ([`decompress`]) → handler.
//!
//! A request that times out, or whose client disconnects, has its future dropped: the blocking
//! job it started is then skipped if it had not begun, and a write stops at its next chunk or
//! embedding batch boundary ([`crate::engine::Engine::ingest_until`]).

mod auth;
mod decompress;
pub mod error;
mod feeds;
mod metrics;
mod openapi;
mod routes;
pub mod server;
mod ui;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, FromRequest, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::de::DeserializeOwned;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};

use crate::engine::Engine;
use crate::error::Error;
use crate::feeds::Feeds;
pub use error::ApiError;
pub use metrics::Metrics;

/// HTTP-level settings (validated by the CLI layer).
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Bearer key required for `POST/DELETE /v1/documents` and the feed writes when set.
    pub api_key: Option<String>,
    /// Bearer key required for the read endpoints when set (the write key also works).
    pub read_key: Option<String>,
    /// Largest accepted request body.
    pub max_body_bytes: usize,
    /// A request that takes longer gets 503.
    pub request_timeout: Duration,
    /// Requests doing model or index work at once; more get 503 + Retry-After.
    pub max_in_flight: usize,
    /// Writes (document posts and deletes) running or waiting for the write lock at once,
    /// counted apart from reads so queued writes never take the slots reads need.
    pub max_in_flight_writes: usize,
    /// Origins a browser may call the API from (CORS); none by default.
    pub cors_origins: Vec<String>,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            api_key: None,
            read_key: None,
            max_body_bytes: 10 * 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            max_in_flight: 32,
            max_in_flight_writes: 4,
            cors_origins: Vec::new(),
        }
    }
}

/// Shared state of the router: the engine once loaded, readiness, settings, metrics.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    engine: metrics::EngineSlot,
    feeds: metrics::FeedsSlot,
    ready: AtomicBool,
    settings: HttpSettings,
    metrics: Metrics,
    limiter: Arc<Semaphore>,
    write_limiter: Arc<Semaphore>,
}

impl AppState {
    /// A state with no engine yet: `/health` answers, `/ready` and the API answer 503.
    pub fn new(settings: HttpSettings) -> Self {
        let engine: metrics::EngineSlot = Arc::new(OnceLock::new());
        let feeds: metrics::FeedsSlot = Arc::new(OnceLock::new());
        AppState {
            inner: Arc::new(Inner {
                metrics: Metrics::new(engine.clone(), feeds.clone()),
                engine,
                feeds,
                ready: AtomicBool::new(false),
                limiter: Arc::new(Semaphore::new(settings.max_in_flight.max(1))),
                write_limiter: Arc::new(Semaphore::new(settings.max_in_flight_writes.max(1))),
                settings,
            }),
        }
    }

    /// A ready state around an opened engine (tests, embedding in other programs).
    pub fn ready_with(engine: Arc<Engine>, settings: HttpSettings) -> Self {
        let s = AppState::new(settings);
        s.set_engine(engine);
        s.set_ready();
        s
    }

    /// A ready state around an opened engine and its feed service.
    pub fn ready_with_feeds(
        engine: Arc<Engine>,
        settings: HttpSettings,
        feeds: Arc<Feeds>,
    ) -> Self {
        let s = AppState::new(settings);
        s.set_engine(engine);
        s.set_feeds(feeds);
        s.set_ready();
        s
    }

    /// Hands the loaded engine to the router.
    pub fn set_engine(&self, engine: Arc<Engine>) {
        let _ = self.inner.engine.set(engine);
    }

    /// Hands the feed service to the router (`/v1/feeds`).
    pub fn set_feeds(&self, feeds: Arc<Feeds>) {
        let _ = self.inner.feeds.set(feeds);
    }

    /// The feed service: 503 while loading, 501 when this server runs without one.
    pub fn feeds(&self) -> Result<Arc<Feeds>, ApiError> {
        self.engine()?;
        self.inner.feeds.get().cloned().ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_IMPLEMENTED,
                "feeds_disabled",
                "this server does not follow feeds",
            )
        })
    }

    /// Marks the service ready (model and index loaded, demo corpus in).
    pub fn set_ready(&self) {
        self.inner.ready.store(true, Ordering::SeqCst);
    }

    /// True once ready.
    pub fn is_ready(&self) -> bool {
        self.inner.ready.load(Ordering::SeqCst) && self.inner.engine.get().is_some()
    }

    /// The engine once opened, ready or not (shutdown checkpoints it even mid-demo-ingest).
    pub fn engine_loaded(&self) -> Result<Arc<Engine>, ApiError> {
        self.inner
            .engine
            .get()
            .cloned()
            .ok_or_else(|| ApiError::unavailable("not_ready", "the engine is not loaded", 2))
    }

    /// The engine, or 503 while it loads.
    pub fn engine(&self) -> Result<Arc<Engine>, ApiError> {
        match self.inner.engine.get() {
            Some(e) if self.is_ready() => Ok(e.clone()),
            _ => Err(ApiError::unavailable(
                "not_ready",
                "newsdesk is still loading the model and index",
                2,
            )),
        }
    }

    /// The settings.
    pub fn settings(&self) -> &HttpSettings {
        &self.inner.settings
    }

    /// The metrics registry.
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// Runs CPU work on the blocking pool, behind the in-flight limit: an overloaded server
    /// answers 503 + Retry-After at once instead of queueing without end. Work whose request
    /// has gone (timed out, client disconnected) before it started is skipped.
    pub async fn blocking<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce() -> Result<T, Error> + Send + 'static,
    {
        limited(&self.inner.limiter, "too many requests in flight", |_| f()).await
    }

    /// Like [`AppState::blocking`] for writes, behind their own limit (`--max-in-flight-writes`):
    /// a write waits for the write lock while holding a write slot, never a read slot. `f` gets
    /// a token that is cancelled when the request goes; a long write checks it between steps.
    pub async fn blocking_write<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&CancellationToken) -> Result<T, Error> + Send + 'static,
    {
        limited(&self.inner.write_limiter, "too many writes in flight", f).await
    }
}

/// Runs `f` on the blocking pool holding a permit of `limiter`. Dropping the returned future
/// (the request timed out or its client went away) cancels the token `f` gets, and `f` is not
/// run at all when that happened before a blocking thread picked it up.
async fn limited<T, F>(limiter: &Arc<Semaphore>, busy: &str, f: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&CancellationToken) -> Result<T, Error> + Send + 'static,
{
    let permit = limiter
        .clone()
        .try_acquire_owned()
        .map_err(|_| ApiError::unavailable("overloaded", busy, 1))?;
    let cancel = CancellationToken::new();
    let _cancel_on_drop = cancel.clone().drop_guard();
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        if cancel.is_cancelled() {
            return Err(Error::Cancelled);
        }
        f(&cancel)
    })
    .await
    .map_err(|e| Error::internal("a request's worker thread stopped", e))?
    .map_err(ApiError::from)
}

/// JSON body extractor whose rejections use the API's error shape.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let axum::Json(v) = axum::Json::<T>::from_request(req, state).await?;
        Ok(ApiJson(v))
    }
}

/// Builds the router.
pub fn app(state: AppState) -> Router {
    let reads = Router::new()
        .route("/v1/ask", post(routes::ask))
        .route("/v1/brief", post(routes::brief))
        .route("/v1/search", post(routes::search))
        .route("/v1/summarize", post(routes::summarize))
        .route("/v1/documents/{id}", get(routes::get_document))
        .route("/v1/facets", get(routes::facets))
        .route("/v1/stories", get(routes::list_stories))
        .route("/v1/stories/{id}", get(routes::get_story))
        .route("/v1/feeds", get(feeds::list_feeds))
        .route("/v1/feeds/{id}", get(feeds::get_feed))
        .route("/metrics", get(routes::metrics))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            decompress::request_body,
        ))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_read_key,
        ));
    let writes = Router::new()
        .route("/v1/documents", post(routes::post_documents))
        .route(
            "/v1/documents/{id}",
            axum::routing::delete(routes::delete_document),
        )
        .route("/v1/feeds", post(feeds::post_feeds))
        .route("/v1/feeds/{id}", axum::routing::delete(feeds::delete_feed))
        .route("/v1/feeds/{id}/refresh", post(feeds::refresh_feed))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            decompress::request_body,
        ))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_write_key,
        ));
    let ops = Router::new()
        .route("/", get(ui::index))
        .route("/ui/app.css", get(ui::css))
        .route("/ui/app.js", get(ui::js))
        .route("/favicon.svg", get(ui::favicon))
        .route("/favicon.ico", get(ui::favicon))
        .route("/health", get(routes::health))
        .route("/ready", get(routes::ready))
        .route("/openapi.json", get(openapi::openapi_json));
    Router::new()
        .merge(reads)
        .merge(writes)
        .merge(ops)
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .fallback(routes::not_found)
        .layer(DefaultBodyLimit::max(state.settings().max_body_bytes))
        .layer(middleware::from_fn_with_state(state.clone(), timeout))
        .layer(auth::cors(&state.settings().cors_origins))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(middleware::from_fn(scope_request_id))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

/// Serves the request with its id in the task-local [`error::REQUEST_ID`], for 500 bodies and
/// logs.
async fn scope_request_id(req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(|s| s.chars().take(64).collect::<String>())
        .unwrap_or_default();
    error::REQUEST_ID.scope(id, next.run(req)).await
}

/// A handler that panicked: a JSON 500 with a generic message; the panic is logged.
fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let what = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    tracing::error!(panic = what, "a request handler panicked");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "newsdesk failed to serve this request (a handler panicked); the server log has the details",
    )
    .into_response()
}

async fn timeout(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let limit = state.settings().request_timeout;
    match tokio::time::timeout(limit, next.run(req)).await {
        Ok(resp) => resp,
        Err(_) => ApiError::unavailable(
            "request_timeout",
            format!("the request took longer than {} s", limit.as_secs_f32()),
            1,
        )
        .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;

    /// A runtime with one blocking thread, so a test can keep it busy.
    fn one_blocking_thread() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .max_blocking_threads(1)
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn a_job_whose_request_went_before_it_started_is_skipped() {
        one_blocking_thread().block_on(async {
            let limiter = Arc::new(Semaphore::new(4));
            let (release, wait) = std::sync::mpsc::channel::<()>();
            let busy = tokio::task::spawn_blocking(move || wait.recv().ok());
            let ran = Arc::new(AtomicBool::new(false));
            let r = ran.clone();
            // The only blocking thread is busy, so the job waits; the request then goes.
            let job = limited(&limiter, "busy", move |_| {
                r.store(true, Ordering::SeqCst);
                Ok(())
            });
            let gone = tokio::time::timeout(Duration::from_millis(50), job).await;
            assert!(gone.is_err(), "the job cannot have finished");
            release.send(()).unwrap();
            busy.await.unwrap();
            // The pool takes jobs in order: once this one ran, the skipped one was handled.
            tokio::task::spawn_blocking(|| ()).await.unwrap();
            assert!(
                !ran.load(Ordering::SeqCst),
                "the job ran for a request that had gone"
            );
            assert_eq!(limiter.available_permits(), 4, "its slot came back");
        });
    }

    #[test]
    fn a_running_job_sees_its_request_go() {
        one_blocking_thread().block_on(async {
            let limiter = Arc::new(Semaphore::new(4));
            let (started_tx, started) = tokio::sync::oneshot::channel::<()>();
            let (saw_tx, saw) = std::sync::mpsc::channel::<bool>();
            let mut job = Box::pin(limited(&limiter, "busy", move |cancel| {
                let _ = started_tx.send(());
                // A long write checks its token between steps.
                let t = std::time::Instant::now();
                while !cancel.is_cancelled() && t.elapsed() < Duration::from_secs(60) {
                    std::thread::sleep(Duration::from_millis(1));
                }
                let _ = saw_tx.send(cancel.is_cancelled());
                Err::<(), _>(Error::Cancelled)
            }));
            tokio::select! {
                _ = &mut job => panic!("the job finished on its own"),
                _ = started => {}
            }
            // What a timeout or a disconnect does to the request's future.
            drop(job);
            let saw = tokio::task::spawn_blocking(move || saw.recv().unwrap())
                .await
                .unwrap();
            assert!(saw, "the job did not see its request go");
        });
    }
}

//! HTTP face of the engine (axum). `app(state)` builds the router; handlers are thin: a typed
//! extractor validates, the query embedding goes to the model's priority queue, the CPU work
//! runs on the blocking pool behind a concurrency limit, and the result maps to JSON.
//!
//! Layers, outside in: request timeout → body limit → per-route metrics → auth (writes, and
//! reads when a read key is set) → handler.

pub mod error;
mod feeds;
mod metrics;
mod openapi;
mod routes;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, FromRequest, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::de::DeserializeOwned;
use tokio::sync::Semaphore;

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
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            api_key: None,
            read_key: None,
            max_body_bytes: 10 * 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            max_in_flight: 32,
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
    /// answers 503 + Retry-After at once instead of queueing without end.
    pub async fn blocking<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce() -> Result<T, Error> + Send + 'static,
    {
        let permit = self
            .inner
            .limiter
            .clone()
            .try_acquire_owned()
            .map_err(|_| ApiError::unavailable("overloaded", "too many requests in flight", 1))?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            f()
        })
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string()))?
        .map_err(ApiError::from)
    }
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
        .route("/v1/feeds", get(feeds::list_feeds))
        .route("/v1/feeds/{id}", get(feeds::get_feed))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            require_read_key,
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
            require_write_key,
        ));
    let ops = Router::new()
        .route("/", get(routes::index_page))
        .route("/health", get(routes::health))
        .route("/ready", get(routes::ready))
        .route("/metrics", get(routes::metrics))
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
        .with_state(state)
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

fn bearer(req: &Request) -> Option<&str> {
    req.headers()
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// Constant-time comparison, so a key cannot be guessed byte by byte from timings.
fn same_key(given: &str, expected: &str) -> bool {
    let (a, b) = (given.as_bytes(), expected.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn unauthorized(what: &str) -> Response {
    let mut resp = ApiError::new(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        format!("{what} need Authorization: Bearer <key>"),
    )
    .into_response();
    resp.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        header::HeaderValue::from_static("Bearer"),
    );
    resp
}

async fn require_write_key(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if let Some(key) = &state.settings().api_key {
        if !bearer(&req).is_some_and(|b| same_key(b, key)) {
            return unauthorized("writes");
        }
    }
    next.run(req).await
}

async fn require_read_key(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if let Some(key) = &state.settings().read_key {
        let ok = bearer(&req).is_some_and(|b| {
            same_key(b, key)
                || state
                    .settings()
                    .api_key
                    .as_deref()
                    .is_some_and(|w| same_key(b, w))
        });
        if !ok {
            return unauthorized("reads");
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_compare_exactly() {
        assert!(same_key("secret", "secret"));
        assert!(!same_key("secret", "secreT"));
        assert!(!same_key("secret", "secret2"));
        assert!(!same_key("", "secret"));
    }
}

//! Test helpers: engines over temp data dirs with fixture articles, the router in process,
//! and JSON request helpers.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use newsdesk::engine::{Engine, EngineConfig};
use newsdesk::http::{app, AppState, HttpSettings};
use serde_json::Value;
use tower::ServiceExt;

/// The repository's fixtures folder.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// The two seed articles.
pub fn seed_paths() -> Vec<String> {
    vec![
        fixtures()
            .join("seeds/000_04ca5ce55ea2a8ae.txt")
            .display()
            .to_string(),
        fixtures()
            .join("seeds/002_aaa6ff34f85beb0e.txt")
            .display()
            .to_string(),
    ]
}

/// The first `n` Wikinews demo articles as one JSONL file in `dir`.
pub fn wikinews_slice(dir: &Path, n: usize) -> String {
    let all = std::fs::read_to_string(fixtures().join("demo/wikinews-meantime.jsonl")).unwrap();
    let path = dir.join("wikinews-slice.jsonl");
    let lines: Vec<&str> = all.lines().take(n).collect();
    std::fs::write(&path, lines.join("\n")).unwrap();
    path.display().to_string()
}

/// A fresh engine in a new temp dir holding the seeds and `wikinews` demo articles.
pub fn engine_with(wikinews: usize) -> (tempfile::TempDir, Arc<Engine>) {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(EngineConfig::new(dir.path().join("data"))).unwrap();
    let mut paths = seed_paths();
    if wikinews > 0 {
        paths.push(wikinews_slice(dir.path(), wikinews));
    }
    let out = newsdesk::cli::ingest::ingest_paths(
        &engine,
        &paths,
        &newsdesk::ingest::IngestOptions::default(),
        false,
    )
    .unwrap();
    assert!(out.failures.is_empty(), "{:?}", out.failures);
    (dir, engine)
}

/// One engine shared by the read-only tests of a test binary (built once).
pub fn shared_engine() -> Arc<Engine> {
    static SHARED: OnceLock<(tempfile::TempDir, Arc<Engine>)> = OnceLock::new();
    SHARED.get_or_init(|| engine_with(30)).1.clone()
}

/// The router over an engine with default settings.
pub fn router(engine: Arc<Engine>) -> Router {
    app(AppState::ready_with(engine, HttpSettings::default()))
}

/// The router with custom settings.
pub fn router_with(engine: Arc<Engine>, settings: HttpSettings) -> Router {
    app(AppState::ready_with(engine, settings))
}

/// Sends a request and returns status and JSON body (Null when not JSON).
pub async fn send(router: &Router, req: Request<Body>) -> (StatusCode, Value) {
    let resp = router.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, json)
}

/// POST JSON.
pub async fn post_json(router: &Router, path: &str, body: Value) -> (StatusCode, Value) {
    let req = Request::post(path)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    send(router, req).await
}

/// POST raw bytes with a content type.
pub async fn post_raw(
    router: &Router,
    path: &str,
    content_type: Option<&str>,
    body: impl Into<Body>,
) -> (StatusCode, Value) {
    let mut b = Request::post(path);
    if let Some(ct) = content_type {
        b = b.header("content-type", ct);
    }
    send(router, b.body(body.into()).unwrap()).await
}

/// GET.
pub async fn get(router: &Router, path: &str) -> (StatusCode, Value) {
    send(router, Request::get(path).body(Body::empty()).unwrap()).await
}

/// DELETE.
pub async fn delete(router: &Router, path: &str) -> (StatusCode, Value) {
    send(router, Request::delete(path).body(Body::empty()).unwrap()).await
}

/// Asserts an error body with the given status and code.
pub fn assert_error(got: &(StatusCode, Value), status: StatusCode, code: &str) {
    assert_eq!(got.0, status, "body: {}", got.1);
    assert_eq!(got.1["error"]["code"], code, "body: {}", got.1);
    assert!(
        got.1["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "error without message: {}",
        got.1
    );
}

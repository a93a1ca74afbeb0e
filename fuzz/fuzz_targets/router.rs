//! Arbitrary bytes with arbitrary content types, methods and paths through the real router in
//! process (model, store and indexes in a temporary data dir, seeded with the two founding
//! articles): never a panic, never a 5xx other than 503,.
#![no_main]

use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use libfuzzer_sys::fuzz_target;
use newsdesk::engine::{Engine, EngineConfig};
use newsdesk::feeds::{FeedSettings, Feeds};
use newsdesk::http::{app, AppState, HttpSettings};
use tower::ServiceExt;

struct World {
    rt: tokio::runtime::Runtime,
    router: axum::Router,
    _dir: tempfile::TempDir,
}

fn world() -> &'static World {
    static W: OnceLock<World> = OnceLock::new();
    W.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::open(EngineConfig::new(dir.path().join("data"))).unwrap();
        let seeds = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/seeds");
        engine
            .ingest_paths(&[seeds.to_string()], &Default::default(), &mut |_| {})
            .unwrap();
        let state = AppState::new(HttpSettings::default());
        // Subscriptions work (the scheduler is not started: nothing is fetched on its own).
        let feeds = Feeds::new(engine.clone(), FeedSettings::default()).unwrap();
        state.set_feeds(feeds);
        state.set_engine(engine);
        state.set_ready();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        World {
            rt,
            router: app(state),
            _dir: dir,
        }
    })
}

const METHODS: [&str; 5] = ["GET", "POST", "DELETE", "PUT", "PATCH"];
const PATHS: [&str; 9] = [
    "/v1/documents",
    "/v1/ask",
    "/v1/search",
    "/v1/brief",
    "/v1/summarize",
    "/v1/feeds",
    "/v1/documents/45506",
    "/v1/facets",
    "/metrics",
];
const TYPES: [&str; 8] = [
    "application/json",
    "application/x-ndjson",
    "application/rss+xml",
    "application/atom+xml",
    "application/xml",
    "text/plain",
    "text/html",
    "application/octet-stream",
];

fuzz_target!(|data: &[u8]| {
    let Some((&sel, body)) = data.split_first() else {
        return;
    };
    let w = world();
    let method = METHODS[sel as usize % METHODS.len()];
    let path = PATHS[(sel as usize / 5) % PATHS.len()];
    let ctype = TYPES[(sel as usize / 45) % TYPES.len()];
    let req = Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", ctype)
        .body(Body::from(body.to_vec()))
        .unwrap();
    let status =
        w.rt.block_on(w.router.clone().oneshot(req))
            .unwrap()
            .status();
    let upstream = path.starts_with("/v1/feeds") && status == StatusCode::BAD_GATEWAY;
    assert!(
        !status.is_server_error() || status == StatusCode::SERVICE_UNAVAILABLE || upstream,
        "{method} {path} ({ctype}) -> {status}"
    );
});

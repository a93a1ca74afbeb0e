//! One read snapshot per request: while one id is re-posted over and over with a long and a
//! short body, answers about it never mix the two versions. Every quote a response returns is
//! exactly `body[start..end]` of one stored version of the article it names, and no request
//! fails.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::http::StatusCode;
use common::*;
use serde_json::{json, Value};

const LONG: &str = "Kaveri Steel announced a new rolling mill in Salem on Monday. The mill will \
cost Rs 1,200 crore and employ 900 people. Production is planned for March 2027. The company \
said demand from carmakers in Chennai drove the decision. Its chairman, R. Venkatesan, called \
Salem a natural home for the plant. Local MSME suppliers expect new orders for dies and \
castings. The state government offered land at a concessional rate. Kaveri Steel shares rose \
4 per cent after the announcement.";

const SHORT: &str = "Kaveri Steel announced a smaller expansion. It will hire 40 people in Salem.";

/// Checks every quote of a response against the two versions; returns how many it checked.
fn check_quotes(v: &Value, what: &str) -> usize {
    let mut checked = 0;
    let mut check = |text: &str, c: &Value| {
        if c["article_id"] != "kaveri" {
            return;
        }
        let (s, e) = (
            c["start"].as_u64().unwrap() as usize,
            c["end"].as_u64().unwrap() as usize,
        );
        let ok = [LONG, SHORT]
            .iter()
            .any(|body| body.get(s..e) == Some(text));
        assert!(
            ok,
            "{what}: {text:?} at {s}..{e} is not a slice of either version"
        );
        checked += 1;
    };
    for a in v["answer"].as_array().into_iter().flatten() {
        check(a["text"].as_str().unwrap(), &a["citation"]);
    }
    for p in v["passages"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(v["hits"].as_array().into_iter().flatten())
    {
        check(p["text"].as_str().unwrap(), &p["citation"]);
        if let Some(h) = p.get("highlight") {
            let mut c = p["citation"].clone();
            c["start"] = h["start"].clone();
            c["end"] = h["end"].clone();
            check(h["text"].as_str().unwrap(), &c);
        }
    }
    checked
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reposting_while_asking_never_mixes_versions() {
    const MIN_POSTS: usize = 150;
    const MIN_READS: usize = 300;
    let (_dir, engine) = engine_with(0);
    let r = router(engine);
    let posts = Arc::new(AtomicUsize::new(0));
    let reads = Arc::new(AtomicUsize::new(0));
    let done = {
        let (posts, reads) = (posts.clone(), reads.clone());
        move || {
            posts.load(Ordering::SeqCst) >= MIN_POSTS && reads.load(Ordering::SeqCst) >= MIN_READS
        }
    };

    let writer = {
        let (r, posts, done) = (r.clone(), posts.clone(), done.clone());
        tokio::spawn(async move {
            let mut n = 0usize;
            while !done() {
                let body = if n.is_multiple_of(2) { LONG } else { SHORT };
                let doc = json!({"id": "kaveri", "title": "Kaveri Steel expands in Salem",
                                 "body": body, "source": "example.org",
                                 "published": "2026-04-06T10:00:00+05:30"});
                let (s, b) = post_json(&r, "/v1/documents", doc).await;
                assert_eq!(s, StatusCode::OK, "post {n}: {b}");
                n += 1;
                posts.store(n, Ordering::SeqCst);
            }
            n
        })
    };
    let reader = {
        let (r, reads, done) = (r.clone(), reads.clone(), done.clone());
        tokio::spawn(async move {
            let mut quotes = 0usize;
            let mut n = 0usize;
            while !done() {
                let (path, body) = match n % 3 {
                    0 => (
                        "/v1/ask",
                        json!({"question": "What did Kaveri Steel announce?"}),
                    ),
                    1 => (
                        "/v1/ask",
                        json!({"question": "How many people will the Salem plant employ?"}),
                    ),
                    _ => (
                        "/v1/search",
                        json!({"query": "Kaveri Steel Salem plant", "k": 5}),
                    ),
                };
                let (s, v) = post_json(&r, path, body).await;
                assert_eq!(s, StatusCode::OK, "read {n} on {path}: {v}");
                quotes += check_quotes(&v, path);
                n += 1;
                reads.store(n, Ordering::SeqCst);
            }
            quotes
        })
    };
    let posted = writer.await.unwrap();
    let quotes = reader.await.unwrap();
    assert!(posted >= MIN_POSTS);
    assert!(
        quotes > MIN_READS,
        "the reads quoted the re-posted article ({quotes} quotes)"
    );
}

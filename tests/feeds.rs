//! Feeds against a real HTTP server: a small axum "publisher" on 127.0.0.1:0 inside the test
//! serves the fixture feeds of `fixtures/feeds-live/` (changing between fetches, failing,
//! slow, oversized, redirecting in a loop, gzip-compressed, in Latin-1), and newsdesk's feed
//! service (the real engine and model) follows them through the real router.

mod common;

use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, Utc};
use common::{assert_error, get as http_get, post_json, post_raw, send};
use newsdesk::engine::{Engine, EngineConfig};
use newsdesk::feeds::{FeedSettings, Feeds, FetchSettings};
use newsdesk::http::{app, AppState, HttpSettings};
use parking_lot::Mutex;
use serde_json::{json, Value};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(common::fixtures().join("feeds-live").join(name)).unwrap()
}

/// What the publisher serves and what it saw.
struct Publisher {
    /// Which version of `/wikinews.xml` is live (1 or 2).
    version: AtomicUsize,
    /// `/flaky.xml` answers 500 while set.
    failing: AtomicBool,
    /// Requests per path.
    hits: Mutex<HashMap<String, usize>>,
    /// Request headers of interest, per path, last request.
    seen: Mutex<HashMap<String, HeaderMap>>,
    /// `/gated-*.xml` answer once a permit is added here.
    gate: tokio::sync::Semaphore,
    /// Gated requests being served now, and the most at once.
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

impl Publisher {
    fn hits(&self, path: &str) -> usize {
        self.hits.lock().get(path).copied().unwrap_or(0)
    }
    fn header(&self, path: &str, name: &str) -> Option<String> {
        self.seen
            .lock()
            .get(path)
            .and_then(|h| h.get(name))
            .map(|v| v.to_str().unwrap().to_string())
    }
}

fn rss(body: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, "application/rss+xml")], body).into_response()
}

async fn serve_path(
    State(p): State<Arc<Publisher>>,
    Path(path): Path<String>,
    headers: HeaderMap,
) -> Response {
    *p.hits.lock().entry(path.clone()).or_default() += 1;
    p.seen.lock().insert(path.clone(), headers.clone());
    match path.as_str() {
        "wikinews.xml" => {
            let v = p.version.load(Ordering::SeqCst);
            let etag = format!("\"v{v}\"");
            if headers
                .get(header::IF_NONE_MATCH)
                .and_then(|h| h.to_str().ok())
                == Some(&etag)
            {
                return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
            }
            let body = fixture(&format!("wikinews-{v}.xml"));
            (
                [
                    (
                        header::CONTENT_TYPE,
                        "application/rss+xml; charset=utf-8".to_string(),
                    ),
                    (header::ETAG, etag),
                ],
                body,
            )
                .into_response()
        }
        // The same bytes every time and no validators: only the content hash can tell.
        "static.xml" => rss(fixture("wikinews-1.xml")),
        "events.xml" => rss(fixture("events.xml")),
        "flaky.xml" if p.failing.load(Ordering::SeqCst) => {
            (StatusCode::INTERNAL_SERVER_ERROR, "database is down").into_response()
        }
        "flaky.xml" => rss(fixture("events.xml")),
        "slow.xml" => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            rss(fixture("events.xml"))
        }
        "big.xml" => {
            // A well-formed feed of 300 KB, past the test's 64 KiB cap.
            let filler = "Filler text for an oversized feed. ".repeat(9000);
            let doc = format!(
                "<rss version=\"2.0\"><channel><title>big</title><item><guid>big-1</guid>\
                 <title>Big</title><description>{filler}</description></item></channel></rss>"
            );
            rss(doc.into_bytes())
        }
        g if g.starts_with("gated-") => {
            let now = p.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            p.max_in_flight.fetch_max(now, Ordering::SeqCst);
            p.gate.acquire().await.unwrap().forget();
            p.in_flight.fetch_sub(1, Ordering::SeqCst);
            rss(fixture("events.xml"))
        }
        "loop-a" => redirect("/loop-b"),
        "loop-b" => redirect("/loop-a"),
        "gzip.atom" => {
            let accepts = headers
                .get(header::ACCEPT_ENCODING)
                .and_then(|h| h.to_str().ok())
                .is_some_and(|h| h.contains("gzip"));
            if !accepts {
                return (StatusCode::NOT_ACCEPTABLE, "gzip only").into_response();
            }
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            enc.write_all(&fixture("aviation.atom")).unwrap();
            (
                [
                    (header::CONTENT_TYPE, "application/atom+xml"),
                    (header::CONTENT_ENCODING, "gzip"),
                ],
                enc.finish().unwrap(),
            )
                .into_response()
        }
        "latin1.xml" => (
            [(
                header::CONTENT_TYPE,
                "application/rss+xml; charset=ISO-8859-1",
            )],
            fixture("ipod-latin1.xml"),
        )
            .into_response(),
        "throttled.xml" => (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, "3600")],
            "slow down",
        )
            .into_response(),
        "page.html" => (
            [(header::CONTENT_TYPE, "text/html")],
            "<!DOCTYPE html><html><body><h1>Not a feed</h1></body></html>",
        )
            .into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

fn redirect(to: &str) -> Response {
    (StatusCode::FOUND, [(header::LOCATION, to.to_string())]).into_response()
}

/// Starts the publisher; returns its base URL.
async fn publisher() -> (String, Arc<Publisher>) {
    let p = Arc::new(Publisher {
        version: AtomicUsize::new(1),
        failing: AtomicBool::new(false),
        hits: Mutex::default(),
        seen: Mutex::default(),
        gate: tokio::sync::Semaphore::new(0),
        in_flight: AtomicUsize::new(0),
        max_in_flight: AtomicUsize::new(0),
    });
    let router = Router::new()
        .route("/{path}", get(serve_path))
        .with_state(p.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (base, p)
}

/// Short limits so the unhappy paths are quick; private addresses allowed (the publisher is
/// on the loopback).
fn test_settings() -> FeedSettings {
    FeedSettings {
        fetch: FetchSettings {
            allow_private: true,
            connect_timeout: Duration::from_secs(1),
            timeout: Duration::from_secs(1),
            max_bytes: 64 * 1024,
            max_redirects: 3,
            contact: Some("mailto:newsdesk-tests@example.org".into()),
        },
        concurrency: 2,
        ..FeedSettings::default()
    }
}

fn open(dir: &std::path::Path) -> Arc<Engine> {
    Engine::open(EngineConfig::new(dir.join("data"))).unwrap()
}

fn router_for(engine: &Arc<Engine>, settings: FeedSettings) -> (Router, Arc<Feeds>) {
    let feeds = Feeds::new(engine.clone(), settings).unwrap();
    let state = AppState::ready_with_feeds(engine.clone(), HttpSettings::default(), feeds.clone());
    (app(state), feeds)
}

async fn subscribe(router: &Router, url: &str) -> Value {
    let (s, body) = post_json(
        router,
        "/v1/feeds",
        json!({ "url": url, "interval_secs": 60 }),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    body
}

async fn refresh(router: &Router, id: &str) -> Value {
    let (s, body) = post_json(router, &format!("/v1/feeds/{id}/refresh"), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    body
}

fn bulk_texts(engine: &Engine) -> u64 {
    let m = engine.embed_service().stats().model;
    m.texts - m.queries
}

fn time(v: &Value) -> DateTime<Utc> {
    v.as_str().unwrap().parse().unwrap()
}

/// Seconds between the last fetch and the next one.
fn gap(feed: &Value) -> f64 {
    let s = &feed["status"];
    (time(&s["next_fetch_at"]) - time(&s["last_fetch_at"])).num_milliseconds() as f64 / 1000.0
}

async fn top_title(router: &Router, query: &str) -> Option<String> {
    let (s, body) = post_json(router, "/v1/search", json!({"query": query, "k": 3})).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    body["hits"][0]["citation"]["title"]
        .as_str()
        .map(String::from)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changing_feed_is_followed_with_conditional_gets_and_hash_compares() {
    let (base, publ) = publisher().await;
    let dir = tempfile::tempdir().unwrap();
    let engine = open(dir.path());
    let (router, _feeds) = router_for(&engine, test_settings());

    let feed = subscribe(&router, &format!("{base}/wikinews.xml")).await;
    let id = feed["id"].as_str().unwrap().to_string();
    assert_eq!(feed["status"]["last_fetch_at"], Value::Null);
    assert_eq!(feed["interval_secs"], 60);
    // The same URL again is the same feed, untouched: 200, not a second subscription.
    let (s, again) = post_json(
        &router,
        "/v1/feeds",
        json!({"url": format!("{base}/wikinews.xml#x")}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{again}");
    assert_eq!(again["id"], id.as_str());
    assert_eq!(again["interval_secs"], 60);

    assert_eq!(
        top_title(&router, "Intel processors in Apple computers").await,
        None
    );
    let r = refresh(&router, &id).await;
    assert_eq!(r["fetch"]["outcome"], "ok", "{r}");
    assert_eq!(r["fetch"]["http_status"], 200);
    assert_eq!(r["fetch"]["items_new"], 3);
    assert_eq!(r["feed"]["status"]["items_seen"], 3);
    assert_eq!(r["feed"]["status"]["articles_total"], 3);
    assert_eq!(r["feed"]["status"]["etag"], "\"v1\"");
    assert_eq!(
        top_title(&router, "Intel processors in Apple computers")
            .await
            .as_deref(),
        Some("Apple unveils new Intel-based Mac")
    );
    let ua = publ.header("wikinews.xml", "user-agent").unwrap();
    assert!(
        ua.starts_with("newsdesk/") && ua.contains("mailto:newsdesk-tests@example.org"),
        "{ua}"
    );

    // The publisher adds an item: only it is embedded; the others cost a hash compare.
    publ.version.store(2, Ordering::SeqCst);
    let before = bulk_texts(&engine);
    let r = refresh(&router, &id).await;
    assert_eq!(r["fetch"]["outcome"], "ok", "{r}");
    assert_eq!(
        publ.header("wikinews.xml", "if-none-match").as_deref(),
        Some("\"v1\"")
    );
    assert_eq!(
        (
            r["fetch"]["items_new"].as_u64(),
            r["fetch"]["items_unchanged"].as_u64()
        ),
        (Some(1), Some(3))
    );
    let embedded = bulk_texts(&engine) - before;
    assert!(
        embedded > 0 && embedded < 40,
        "one short article's passages and sentences: {embedded}"
    );
    assert_eq!(
        top_title(&router, "China Eastern Airlines orders Airbus A320 jets")
            .await
            .as_deref(),
        Some("China Eastern Airlines to purchase twenty new Airbus A320 jets")
    );

    // Unchanged: the validator comes back, the server answers 304, nothing is parsed or embedded.
    let before = bulk_texts(&engine);
    let r = refresh(&router, &id).await;
    assert_eq!(r["fetch"]["outcome"], "not_modified", "{r}");
    assert_eq!(r["fetch"]["http_status"], 304);
    assert_eq!(
        publ.header("wikinews.xml", "if-none-match").as_deref(),
        Some("\"v2\"")
    );
    assert_eq!(bulk_texts(&engine), before);
    let st = &r["feed"]["status"];
    assert_eq!(st["last_http_status"], 304);
    assert_eq!(st["items_seen"], 4, "the feed as last read");
    assert_eq!(st["items_new_last_fetch"], 0);
    assert_eq!(st["articles_total"], 4);
    assert_eq!(st["consecutive_failures"], 0);
    assert_eq!(st["last_error"], Value::Null);
    let g = gap(&r["feed"]);
    assert!((54.0..=66.0).contains(&g), "interval ±10%: {g}");

    // A server without validators sends the same bytes again: 200, but every item is a hash
    // compare and nothing is embedded.
    let stat = subscribe(&router, &format!("{base}/static.xml")).await;
    let sid = stat["id"].as_str().unwrap().to_string();
    let before = bulk_texts(&engine);
    for _ in 0..2 {
        let r = refresh(&router, &sid).await;
        assert_eq!(r["fetch"]["outcome"], "ok", "{r}");
        assert_eq!(r["fetch"]["items_unchanged"], 3, "{r}");
        assert_eq!(r["fetch"]["items_new"], 0, "{r}");
    }
    assert_eq!(
        bulk_texts(&engine),
        before,
        "an unchanged refetch embeds nothing"
    );
    assert_eq!(publ.hits("static.xml"), 2);

    // Status and metrics a person (or Prometheus) can read.
    let (s, list) = http_get(&router, "/v1/feeds").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list["feeds"].as_array().unwrap().len(), 2);
    let (_, one) = http_get(&router, &format!("/v1/feeds/{id}")).await;
    assert_eq!(one["status"]["last_outcome"], "not_modified");
    let resp = tower::ServiceExt::oneshot(
        router.clone(),
        axum::http::Request::get("/metrics")
            .body(axum::body::Body::empty())
            .unwrap(),
    )
    .await
    .unwrap();
    let text = String::from_utf8(
        http_body_util::BodyExt::collect(resp.into_body())
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
    .unwrap();
    for line in [
        "newsdesk_feed_fetches_total{outcome=\"ok\"} 4",
        "newsdesk_feed_fetches_total{outcome=\"not_modified\"} 1",
        "newsdesk_feed_fetches_total{outcome=\"timeout\"} 0",
        "newsdesk_feed_items_new_total 4",
        "newsdesk_feeds 2",
        "newsdesk_feeds_failing 0",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing {line:?} in\n{text}"
        );
    }

    // Unsubscribing stops polling; the articles stay.
    let (s, body) = common::delete(&router, &format!("/v1/feeds/{id}")).await;
    assert_eq!(
        (s, &body["deleted"]),
        (StatusCode::OK, &json!(true)),
        "{body}"
    );
    assert_error(
        &http_get(&router, &format!("/v1/feeds/{id}")).await,
        StatusCode::NOT_FOUND,
        "feed_not_found",
    );
    assert_error(
        &post_json(&router, &format!("/v1/feeds/{id}/refresh"), json!({})).await,
        StatusCode::NOT_FOUND,
        "feed_not_found",
    );
    assert_eq!(
        top_title(&router, "China Eastern Airlines orders Airbus A320 jets")
            .await
            .as_deref(),
        Some("China Eastern Airlines to purchase twenty new Airbus A320 jets")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_feeds_get_their_error_back_off_and_recover() {
    let (base, publ) = publisher().await;
    let dir = tempfile::tempdir().unwrap();
    let engine = open(dir.path());
    let (router, _feeds) = router_for(&engine, test_settings());

    // 500: the error in words, a growing backoff, then recovery resets it.
    publ.failing.store(true, Ordering::SeqCst);
    let id = subscribe(&router, &format!("{base}/flaky.xml")).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = refresh(&router, &id).await;
    assert_eq!(r["fetch"]["outcome"], "http_error", "{r}");
    let st = &r["feed"]["status"];
    assert_eq!(
        st["last_error"],
        "the server answered 500 Internal Server Error"
    );
    assert_eq!(st["last_http_status"], 500);
    assert_eq!(st["consecutive_failures"], 1);
    assert_eq!(st["last_success_at"], Value::Null);
    let g1 = gap(&r["feed"]);
    assert!((108.0..=132.0).contains(&g1), "2 × 60 s ± 10%: {g1}");
    let r = refresh(&router, &id).await;
    assert_eq!(r["feed"]["status"]["consecutive_failures"], 2);
    let g2 = gap(&r["feed"]);
    assert!(
        (216.0..=264.0).contains(&g2) && g2 > g1,
        "4 × 60 s ± 10%: {g2} after {g1}"
    );
    publ.failing.store(false, Ordering::SeqCst);
    let r = refresh(&router, &id).await;
    assert_eq!(r["fetch"]["outcome"], "ok", "{r}");
    let st = &r["feed"]["status"];
    assert_eq!(st["consecutive_failures"], 0);
    assert_eq!(st["last_error"], Value::Null);
    assert_eq!(st["last_http_status"], 200);
    assert_eq!(st["items_new_last_fetch"], 1);
    assert!(
        gap(&r["feed"]) <= 66.0,
        "back to the interval: {}",
        gap(&r["feed"])
    );

    let articles_before = engine.stats().unwrap().articles;
    let outcome = |path: &'static str| {
        let router = router.clone();
        let base = base.clone();
        async move {
            let id = subscribe(&router, &format!("{base}/{path}")).await["id"]
                .as_str()
                .unwrap()
                .to_string();
            let started = Instant::now();
            let r = refresh(&router, &id).await;
            (r, started.elapsed())
        }
    };

    // A slow server times out at the configured total timeout.
    let (r, took) = outcome("slow.xml").await;
    assert_eq!(r["fetch"]["outcome"], "timeout", "{r}");
    assert_eq!(
        r["fetch"]["error"],
        "no complete response within 1 s (--feed-timeout-secs)"
    );
    assert!(
        took < Duration::from_millis(2900),
        "cut at 1 s, not after the server's 3 s: {took:?}"
    );

    // An oversize body is cut off, with a clear status, and nothing of it is stored.
    let (r, _) = outcome("big.xml").await;
    assert_eq!(r["fetch"]["outcome"], "too_large", "{r}");
    let err = r["fetch"]["error"].as_str().unwrap();
    assert!(
        err.contains("larger than the 65536-byte limit") && err.contains("nothing was ingested"),
        "{err}"
    );
    assert_eq!(r["feed"]["status"]["last_http_status"], 200);

    // A redirect loop stops.
    let (r, _) = outcome("loop-a").await;
    assert_eq!(r["fetch"]["outcome"], "redirect", "{r}");
    assert!(
        r["fetch"]["error"]
            .as_str()
            .unwrap()
            .contains("redirect loop"),
        "{r}"
    );
    assert!(publ.hits("loop-a") + publ.hits("loop-b") <= 3);

    // 429 with Retry-After: the next fetch waits at least that long.
    let (r, _) = outcome("throttled.xml").await;
    assert_eq!(r["fetch"]["outcome"], "throttled", "{r}");
    assert!(gap(&r["feed"]) >= 3600.0, "{}", gap(&r["feed"]));
    assert!(
        r["fetch"]["error"]
            .as_str()
            .unwrap()
            .contains("retry after 3600 s"),
        "{r}"
    );

    // A page that is not a feed: its error in the status, nothing stored.
    let (r, _) = outcome("page.html").await;
    assert_eq!(r["fetch"]["outcome"], "unreadable", "{r}");
    assert!(
        r["fetch"]["error"].as_str().unwrap().contains("HTML page"),
        "{r}"
    );
    assert_eq!(engine.stats().unwrap().articles, articles_before);

    // None of that stopped the others: gzip and a declared Latin-1 charset work.
    let (r, _) = outcome("gzip.atom").await;
    assert_eq!(r["fetch"]["outcome"], "ok", "{r}");
    assert_eq!(r["fetch"]["items_new"], 1);
    assert!(publ
        .header("gzip.atom", "accept-encoding")
        .unwrap()
        .contains("gzip"));
    assert_eq!(
        top_title(&router, "Qatar Airways order for Airbus A350 aircraft")
            .await
            .as_deref(),
        Some("Airbus wins Qatar Airways order worth $15bn")
    );
    let (r, _) = outcome("latin1.xml").await;
    assert_eq!(r["fetch"]["outcome"], "ok", "{r}");
    let (s, doc) = http_get(
        &router,
        "/v1/documents/https:%2F%2Fen.wikinews.org%2Fwiki%3Fcurid=78899",
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{doc}");
    let body = doc["body"].as_str().unwrap();
    assert!(body.contains('£') && !body.contains('\u{FFFD}'), "{body}");

    let (_, list) = http_get(&router, "/v1/feeds").await;
    let mut failing: Vec<&str> = list["feeds"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["status"]["consecutive_failures"].as_u64() > Some(0))
        .map(|f| f["status"]["last_outcome"].as_str().unwrap())
        .collect();
    failing.sort_unstable();
    assert_eq!(
        failing,
        [
            "redirect",
            "throttled",
            "timeout",
            "too_large",
            "unreadable"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scheduler_polls_due_feeds_and_subscriptions_survive_a_restart() {
    let (base, publ) = publisher().await;
    let dir = tempfile::tempdir().unwrap();
    let ids: Vec<String>;
    {
        let engine = open(dir.path());
        let (router, feeds) = router_for(&engine, test_settings());
        let opml = String::from_utf8(fixture("subscriptions.opml"))
            .unwrap()
            .replace("{{BASE}}", &base);
        let (s, report) = post_raw(&router, "/v1/feeds", Some("text/x-opml"), opml.clone()).await;
        assert_eq!(s, StatusCode::OK, "{report}");
        let added = report["added"].as_array().unwrap();
        assert_eq!(added.len(), 3, "{report}");
        assert_eq!(added[0]["category"], "Technology");
        assert_eq!(added[0]["title"], "Wikinews: Apple");
        assert_eq!(added[2]["title"], "Aviation");
        assert_eq!(report["failed"][0]["code"], "invalid_url", "{report}");
        assert_eq!(report["failed"][0]["url"], "ftp://example.org/feed.xml");
        // Importing the same list again adds nothing.
        let (_, again) = post_raw(&router, "/v1/feeds", Some("application/xml"), opml).await;
        assert_eq!(again["added"].as_array().unwrap().len(), 0, "{again}");
        assert_eq!(again["existing"].as_array().unwrap().len(), 3, "{again}");

        // New subscriptions are due at once: the scheduler fetches all three by itself.
        let scheduler = feeds.start();
        let started = Instant::now();
        loop {
            let (_, list) = http_get(&router, "/v1/feeds").await;
            let done = list["feeds"]
                .as_array()
                .unwrap()
                .iter()
                .all(|f| f["status"]["last_outcome"] == "ok");
            if done {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "not polled: {list}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert_eq!(publ.hits("wikinews.xml"), 1);
        assert_eq!(publ.hits("events.xml"), 1);
        assert_eq!(publ.hits("gzip.atom"), 1);
        assert_eq!(
            top_title(&router, "Apple special event announcement")
                .await
                .as_deref(),
            Some("Apple plans another special event")
        );
        // The OPML folder became the feed's category, given to its items (they name none).
        let (s, doc) = http_get(
            &router,
            "/v1/documents/https:%2F%2Fen.wikinews.org%2Fwiki%3Fcurid=23468",
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{doc}");
        assert_eq!(doc["category"], "Technology", "{doc}");
        // The next polls are an interval away: nothing more is fetched meanwhile.
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(publ.hits("wikinews.xml"), 1);
        feeds.stop();
        tokio::time::timeout(Duration::from_secs(5), scheduler)
            .await
            .unwrap()
            .unwrap();
        let (_, list) = http_get(&router, "/v1/feeds").await;
        ids = list["feeds"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_str().unwrap().to_string())
            .collect();
        drop((router, feeds, engine));
    }
    // Reopen the data dir: the subscriptions and their status are still there.
    let engine = open(dir.path());
    let (router, _feeds) = router_for(&engine, test_settings());
    let (_, list) = http_get(&router, "/v1/feeds").await;
    let after: Vec<String> = list["feeds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(after, ids);
    for f in list["feeds"].as_array().unwrap() {
        assert_eq!(f["status"]["last_outcome"], "ok", "{f}");
        assert!(f["status"]["articles_total"].as_u64() >= Some(1), "{f}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_fetch_per_feed_at_a_time_and_a_bounded_number_at_once() {
    let (base, publ) = publisher().await;
    let dir = tempfile::tempdir().unwrap();
    let engine = open(dir.path());
    let mut settings = test_settings();
    settings.fetch.timeout = Duration::from_secs(30);
    let (router, feeds) = router_for(&engine, settings);
    let mut ids = HashMap::new();
    for i in 1..=3 {
        let path = format!("gated-{i}.xml");
        let id = subscribe(&router, &format!("{base}/{path}")).await["id"]
            .as_str()
            .unwrap()
            .to_string();
        ids.insert(path, id);
    }
    let scheduler = feeds.start();
    // Three feeds are due, two fetches may run (--feed-concurrency 2): two requests arrive and
    // the third waits for a permit.
    let started = Instant::now();
    while publ.in_flight.load(Ordering::SeqCst) < 2 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the polls did not start"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let hit: Vec<String> = ids.keys().filter(|p| publ.hits(p) == 1).cloned().collect();
    assert_eq!(hit.len(), 2, "{hit:?}");
    // A refresh of a feed whose poll is running waits for that poll and reports it.
    let polled = ids[&hit[0]].clone();
    let r2 = router.clone();
    let refresh_task = tokio::spawn(async move {
        post_json(&r2, &format!("/v1/feeds/{polled}/refresh"), json!({})).await
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !refresh_task.is_finished(),
        "the refresh waits for the running poll"
    );
    publ.gate.add_permits(100);
    let (s, r) = refresh_task.await.unwrap();
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["fetch"]["joined"], true, "{r}");
    assert_eq!(r["fetch"]["outcome"], "ok", "{r}");
    let started = Instant::now();
    loop {
        let (_, list) = http_get(&router, "/v1/feeds").await;
        if list["feeds"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["status"]["last_outcome"] == "ok")
        {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "{list}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for p in ids.keys() {
        assert_eq!(publ.hits(p), 1, "{p} fetched once");
    }
    assert_eq!(publ.max_in_flight.load(Ordering::SeqCst), 2);
    feeds.stop();
    scheduler.await.unwrap();

    // The API is described in the OpenAPI document.
    let (_, spec) = http_get(&router, "/openapi.json").await;
    for (path, method) in [
        ("/v1/feeds", "post"),
        ("/v1/feeds", "get"),
        ("/v1/feeds/{id}", "get"),
        ("/v1/feeds/{id}", "delete"),
        ("/v1/feeds/{id}/refresh", "post"),
    ] {
        assert!(
            spec["paths"][path][method].is_object(),
            "{method} {path} missing from OpenAPI"
        );
    }
    assert!(spec["components"]["schemas"]["FeedStatus"].is_object());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_allow_private_feeds_loopback_urls_are_refused() {
    let (base, _publ) = publisher().await;
    let port = base.rsplit(':').next().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let engine = open(dir.path());
    let mut settings = test_settings();
    settings.fetch.allow_private = false;
    let (router, feeds) = router_for(&engine, settings.clone());

    let got = post_json(
        &router,
        "/v1/feeds",
        json!({"url": format!("{base}/wikinews.xml")}),
    )
    .await;
    assert_error(&got, StatusCode::BAD_REQUEST, "private_address");
    assert!(
        got.1["error"]["message"]
            .as_str()
            .unwrap()
            .contains("--allow-private-feeds"),
        "{}",
        got.1
    );
    // A name is judged by what it resolves to.
    let got = post_json(
        &router,
        "/v1/feeds",
        json!({"url": format!("http://localhost:{port}/wikinews.xml")}),
    )
    .await;
    assert_error(&got, StatusCode::BAD_REQUEST, "private_address");
    assert!(
        got.1["error"]["message"]
            .as_str()
            .unwrap()
            .contains("localhost resolves to"),
        "{}",
        got.1
    );
    // And at fetch time too (the client's resolver), e.g. for a one-off `newsdesk ingest URL`.
    let fetcher = newsdesk::feeds::Fetcher::new(settings.fetch.clone()).unwrap();
    let e =
        newsdesk::feeds::fetch_articles(&fetcher, &format!("http://localhost:{port}/wikinews.xml"))
            .await
            .unwrap_err();
    match e {
        newsdesk::feeds::FeedError::Fetch(f) => {
            assert_eq!(f.kind, newsdesk::feeds::FailureKind::Refused, "{f:?}")
        }
        other => panic!("{other:?}"),
    }
    let (_, list) = http_get(&router, "/v1/feeds").await;
    assert_eq!(list["feeds"], json!([]));
    assert_eq!(feeds.gauges().unwrap(), (0, 0));

    // The other refusals keep their codes.
    for (body, status, code) in [
        (
            json!({"url": "ftp://example.org/rss"}),
            StatusCode::BAD_REQUEST,
            "invalid_url",
        ),
        (
            json!({"url": "no url"}),
            StatusCode::BAD_REQUEST,
            "invalid_url",
        ),
        (
            json!({"url": "https://example.org/rss", "interval_secs": 30}),
            StatusCode::BAD_REQUEST,
            "interval_out_of_range",
        ),
        (
            json!({"url": "https://example.org/rss", "every": 30}),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
    ] {
        assert_error(&post_json(&router, "/v1/feeds", body).await, status, code);
    }
    assert_error(
        &post_raw(&router, "/v1/feeds", Some("application/json"), "{\"url\": ").await,
        StatusCode::BAD_REQUEST,
        "malformed_json",
    );
    assert_error(
        &post_raw(&router, "/v1/feeds", Some("application/xml"), "<rss/>").await,
        StatusCode::BAD_REQUEST,
        "invalid_opml",
    );
    assert_error(
        &post_raw(&router, "/v1/feeds", Some("text/csv"), "a,b").await,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    );
    assert_error(
        &http_get(&router, "/v1/feeds/000000000000").await,
        StatusCode::NOT_FOUND,
        "feed_not_found",
    );

    // The subscription limit.
    let mut small = test_settings();
    small.max_feeds = 1;
    let (limited, _) = router_for(&engine, small);
    subscribe(&limited, &format!("{base}/events.xml")).await;
    let got = post_json(
        &limited,
        "/v1/feeds",
        json!({"url": format!("{base}/static.xml")}),
    )
    .await;
    assert_error(&got, StatusCode::CONFLICT, "too_many_feeds");
    // Subscribing to the same URL again is still fine at the limit.
    let (s, _) = post_json(
        &limited,
        "/v1/feeds",
        json!({"url": format!("{base}/events.xml")}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);

    // Feed writes need the write key; reads follow the read key.
    let keyed = app(AppState::ready_with_feeds(
        engine.clone(),
        HttpSettings {
            api_key: Some("w".into()),
            read_key: Some("r".into()),
            ..HttpSettings::default()
        },
        feeds.clone(),
    ));
    assert_error(
        &post_json(
            &keyed,
            "/v1/feeds",
            json!({"url": "https://example.org/rss"}),
        )
        .await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    );
    assert_error(
        &http_get(&keyed, "/v1/feeds").await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    );
    let req = axum::http::Request::get("/v1/feeds")
        .header("authorization", "Bearer r")
        .body(axum::body::Body::empty())
        .unwrap();
    assert_eq!(send(&keyed, req).await.0, StatusCode::OK);
    let req = axum::http::Request::post("/v1/feeds/000000000000/refresh")
        .header("authorization", "Bearer r")
        .body(axum::body::Body::empty())
        .unwrap();
    assert_error(
        &send(&keyed, req).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    );
}

#[test]
fn the_cli_ingests_a_url_once_and_manages_subscriptions() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let (base, publ) = rt.block_on(publisher());
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let newsdesk = |args: &[&str], private: bool| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_newsdesk"));
        c.arg("--data")
            .arg(&data)
            .args(args)
            .env_remove("NEWSDESK_ALLOW_PRIVATE_FEEDS");
        if private {
            c.env("NEWSDESK_ALLOW_PRIVATE_FEEDS", "1");
        }
        let out = c.output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let url = format!("{base}/events.xml");
    // Without the flag, the loopback publisher is refused and nothing is stored.
    let (code, out, err) = newsdesk(&["ingest", "--quiet", &url], false);
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(err.contains("--allow-private-feeds"), "{err}");
    assert_eq!(publ.hits("events.xml"), 0);
    let (code, out, err) = newsdesk(&["ingest", "--quiet", &url], true);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.starts_with("added 1 "), "{out}");
    assert_eq!(publ.hits("events.xml"), 1);

    // Subscriptions in the local data dir.
    let (code, out, err) = newsdesk(
        &[
            "feeds",
            "add",
            &format!("{base}/wikinews.xml"),
            "--interval",
            "15m",
            "--source",
            "Wikinews",
        ],
        true,
    );
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(
        out.contains("subscribed: feed")
            && out.contains("every 15m")
            && out.contains("source Wikinews"),
        "{out}"
    );
    let (code, out, err) = newsdesk(&["feeds", "list", "--json"], false);
    assert_eq!(code, Some(0), "{out}{err}");
    let list: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(list[0]["interval_secs"], 900);
    let id = list[0]["id"].as_str().unwrap().to_string();
    let (code, out, err) = newsdesk(&["feeds", "refresh", &id], true);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains(": ok — 3 items: 3 new"), "{out}");
    let (code, out, _) = newsdesk(
        &[
            "search",
            "--json",
            "--source",
            "Wikinews",
            "Intel processors",
        ],
        false,
    );
    assert_eq!(code, Some(0));
    let hits: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        hits["hits"][0]["citation"]["source"], "Wikinews",
        "the feed's source for items naming none"
    );
    let (code, out, err) = newsdesk(&["feeds", "remove", &id], false);
    assert_eq!(code, Some(0), "{out}{err}");
    let (code, out, _) = newsdesk(&["feeds", "list"], false);
    assert_eq!((code, out.trim()), (Some(0), "no feeds"));

    // A real `serve` on the same data dir: its scheduler polls what `feeds --url` subscribes.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server_url = format!("http://127.0.0.1:{port}");
    let mut server = std::process::Command::new(env!("CARGO_BIN_EXE_newsdesk"))
        .arg("--data")
        .arg(&data)
        .args([
            "--log",
            "warn",
            "serve",
            "--no-demo",
            "--allow-private-feeds",
            "--api-key",
            "k",
        ])
        .args(["--addr", &format!("127.0.0.1:{port}")])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let remote = |args: &[&str]| {
        let mut all = vec!["feeds", "--url", server_url.as_str(), "--key", "k"];
        all.extend_from_slice(args);
        newsdesk(&all, false)
    };
    let started = Instant::now();
    let ready = loop {
        let (code, _, err) = remote(&["list"]);
        if code == Some(0) {
            break true;
        }
        if started.elapsed() > Duration::from_secs(60) {
            eprintln!("{err}");
            break false;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        assert!(ready, "the server did not come up");
        let opml = dir.path().join("subscriptions.opml");
        std::fs::write(
            &opml,
            String::from_utf8(fixture("subscriptions.opml"))
                .unwrap()
                .replace("{{BASE}}", &base),
        )
        .unwrap();
        let (code, out, err) = remote(&["import", opml.to_str().unwrap()]);
        // One outline is an ftp URL: reported, and the exit status says so.
        assert_eq!(code, Some(1), "{out}{err}");
        assert!(
            out.starts_with("imported 3 feeds · 0 already subscribed · 1 refused"),
            "{out}"
        );
        let started = Instant::now();
        loop {
            let (code, out, err) = remote(&["list", "--json"]);
            assert_eq!(code, Some(0), "{out}{err}");
            let list: Value = serde_json::from_str(&out).unwrap();
            if list
                .as_array()
                .unwrap()
                .iter()
                .all(|f| f["status"]["last_outcome"] == "ok")
            {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "not polled: {list}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        let (code, out, err) = remote(&["list", "--json"]);
        assert_eq!(code, Some(0), "{out}{err}");
        let list: Value = serde_json::from_str(&out).unwrap();
        let id = list[0]["id"].as_str().unwrap();
        let (code, out, err) = remote(&["refresh", id]);
        assert_eq!(code, Some(0), "{out}{err}");
        assert!(
            out.contains(": not_modified") || out.contains(": ok"),
            "{out}"
        );
        // Writes need the server's write key.
        let (code, out, err) = newsdesk(&["feeds", "--url", &server_url, "remove", id], false);
        assert_eq!(code, Some(2), "{out}{err}");
        assert!(err.contains("401 unauthorized"), "{err}");
    }));
    server.kill().unwrap();
    server.wait().unwrap();
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
    drop(rt);
}

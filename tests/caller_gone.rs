//! Work whose caller has gone is not done: over a real socket, document posts whose client
//! disconnects or whose request times out leave their bulk embedding jobs unrun (queued) or
//! stopped at the next batch boundary (running); a write stopped mid-way keeps whole chunks
//! only; and the server answers the next question.
//!
//! The bulk queue is held ([`EmbedService::hold_bulk`]) while the client goes, so that each job
//! is at a known place (waiting at a batch boundary, or queued) when its request is given up.

mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use newsdesk::embed::EmbedStats;
use newsdesk::engine::Engine;
use newsdesk::http::server::{serve, ServerLimits};
use newsdesk::http::{app, AppState, HttpSettings};

/// Sentences per test article (each is embedded on its own, with the passages).
const SENTENCES: usize = 5;

fn article(id: &str, i: usize) -> serde_json::Value {
    let body = format!(
        "The harbour office in district {i} counted {n} ships on Monday. Pilots waited for the \
         tide near berth {i}. A crane operator said cargo volumes were the highest since {y}. \
         The port authority expects {m} more arrivals this week. Fishermen in district {i} \
         reported calm water.",
        n = 10 + i,
        y = 1990 + i % 30,
        m = 3 + i % 7,
    );
    serde_json::json!({"id": id, "title": format!("Harbour report {i}"), "body": body})
}

fn batch(prefix: &str, n: usize) -> Vec<u8> {
    let items: Vec<_> = (0..n)
        .map(|i| article(&format!("{prefix}-{i}"), i))
        .collect();
    serde_json::to_vec(&items).unwrap()
}

fn request(method: &str, path: &str, content_type: Option<&str>, body: &[u8]) -> Vec<u8> {
    let mut r = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
    if let Some(ct) = content_type {
        r.push_str(&format!("Content-Type: {ct}\r\n"));
    }
    r.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut r = r.into_bytes();
    r.extend_from_slice(body);
    r
}

/// Sends a request and leaves the connection open, unread.
fn send_only(addr: SocketAddr, request: &[u8]) -> TcpStream {
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(request).unwrap();
    s
}

/// One exchange: status and body (the server closes after `Connection: close`).
fn exchange(addr: SocketAddr, request: &[u8]) -> (u16, Vec<u8>) {
    let mut s = send_only(addr, request);
    s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let head_end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("an HTTP response");
    let head = String::from_utf8_lossy(&raw[..head_end]).to_string();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    assert!(
        !head.to_ascii_lowercase().contains("chunked"),
        "unexpected chunked answer"
    );
    (status, raw[head_end + 4..].to_vec())
}

fn json(body: &[u8]) -> serde_json::Value {
    serde_json::from_slice(body).unwrap_or(serde_json::Value::Null)
}

/// The value of one series on `/metrics` (0 when absent).
fn metric(addr: SocketAddr, series: &str) -> f64 {
    let (s, body) = exchange(addr, &request("GET", "/metrics", None, b""));
    assert_eq!(s, 200);
    String::from_utf8_lossy(&body)
        .lines()
        .find_map(|l| {
            l.strip_prefix(series)?
                .strip_prefix(' ')?
                .trim()
                .parse()
                .ok()
        })
        .unwrap_or(0.0)
}

/// Waits (generously) until `cond` holds.
fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let started = Instant::now();
    while !cond() {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn stats(engine: &Engine) -> EmbedStats {
    engine.embed_service().stats()
}

fn quiet(engine: &Engine) -> bool {
    let s = stats(engine);
    s.bulk_running == 0 && s.bulk_queued == 0
}

const ABANDONED_POSTS: &str = "newsdesk_http_requests_abandoned_total{route=\"/v1/documents\"}";
const BATCHES: &str = "newsdesk_embed_batches_total";
const CANCELLED: &str = "newsdesk_embed_jobs_cancelled_total";
const ARTICLES: &str = "newsdesk_articles";
const INGESTS_CANCELLED: &str = "newsdesk_ingests_cancelled_total";

async fn start(engine: Arc<Engine>, request_timeout: Duration) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let settings = HttpSettings {
        request_timeout,
        ..HttpSettings::default()
    };
    let router = app(AppState::ready_with(engine, settings));
    tokio::spawn(serve(
        listener,
        router,
        ServerLimits::default(),
        std::future::pending(),
    ));
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn work_whose_caller_has_gone_is_not_done() {
    let (_dir, engine) = engine_with(0);
    // Two servers over one engine: one that waits as long as it takes, one that gives up on a
    // request after 2 s.
    let patient = start(engine.clone(), Duration::from_secs(600)).await;
    let hasty = start(engine.clone(), Duration::from_secs(2)).await;

    tokio::task::spawn_blocking(move || {
        let articles0 = metric(patient, ARTICLES);
        let batches0 = metric(patient, BATCHES);
        assert!(articles0 >= 2.0, "the seeds are stored");
        assert_eq!(metric(patient, CANCELLED), 0.0);

        // 1. Two posts, one running (waiting at its first batch boundary), one queued behind
        //    it; both clients hang up.
        let hold = engine.embed_service().hold_bulk();
        let running = send_only(
            patient,
            &request(
                "POST",
                "/v1/documents",
                Some("application/json"),
                &batch("running", 20),
            ),
        );
        wait_for("the first job to run", || stats(&engine).bulk_running == 1);
        let queued = send_only(
            patient,
            &request(
                "POST",
                "/v1/documents",
                Some("application/json"),
                &batch("queued", 20),
            ),
        );
        wait_for("the second job to queue", || {
            stats(&engine).bulk_queued == 1
        });
        for s in [running, queued] {
            s.shutdown(Shutdown::Both).unwrap();
        }
        wait_for("the server to give both posts up", || {
            metric(patient, ABANDONED_POSTS) == 2.0
        });
        drop(hold);
        wait_for("both posts to stop", || {
            metric(patient, INGESTS_CANCELLED) == 2.0
        });
        assert!(quiet(&engine));
        assert_eq!(metric(patient, CANCELLED), 2.0, "both jobs were dropped");
        assert_eq!(
            metric(patient, BATCHES),
            batches0,
            "a batch of a gone caller ran"
        );
        assert_eq!(metric(patient, ARTICLES), articles0);
        for id in ["running-0", "queued-0"] {
            let (s, _) = exchange(
                patient,
                &request("GET", &format!("/v1/documents/{id}"), None, b""),
            );
            assert_eq!(s, 404, "{id} was stored");
        }

        // 2. A post that times out while its job waits: 503 to the client, and the job is
        //    dropped at its batch boundary.
        let hold = engine.embed_service().hold_bulk();
        let (s, body) = exchange(
            hasty,
            &request(
                "POST",
                "/v1/documents",
                Some("application/json"),
                &batch("late", 20),
            ),
        );
        assert_eq!(s, 503, "{}", String::from_utf8_lossy(&body));
        assert_eq!(json(&body)["error"]["code"], "request_timeout");
        assert_eq!(metric(hasty, ABANDONED_POSTS), 1.0);
        drop(hold);
        wait_for("the timed-out post to stop", || {
            metric(patient, INGESTS_CANCELLED) == 3.0
        });
        assert!(quiet(&engine));
        assert_eq!(metric(patient, CANCELLED), 3.0, "its job was dropped");
        assert_eq!(metric(patient, BATCHES), batches0);
        assert_eq!(metric(patient, ARTICLES), articles0);

        // 3. A long post whose client hangs up after its first chunk was stored: the rest
        //    stops at the next batch boundary; what was stored is whole chunks of whole
        //    articles, each with every sentence, in both indexes.
        let total = 320;
        let client = send_only(
            patient,
            &request(
                "POST",
                "/v1/documents",
                Some("application/json"),
                &batch("long", total),
            ),
        );
        wait_for("the first chunk to commit", || {
            metric(patient, ARTICLES) >= articles0 + 32.0
        });
        let hold = engine.embed_service().hold_bulk();
        client.shutdown(Shutdown::Both).unwrap();
        wait_for("the server to give the long post up", || {
            metric(patient, ABANDONED_POSTS) == 3.0
        });
        drop(hold);
        // It stops either in its embedding job, or before the next chunk's.
        wait_for("the long post to stop", || {
            metric(patient, INGESTS_CANCELLED) == 4.0
        });
        assert!(quiet(&engine));
        let stored = (metric(patient, ARTICLES) - articles0) as usize;
        assert!(
            (32..total).contains(&stored) && stored.is_multiple_of(32),
            "{stored} articles stored: not whole chunks of an unfinished post"
        );
        let mut found = 0;
        for i in 0..total {
            let (s, body) = exchange(
                patient,
                &request("GET", &format!("/v1/documents/long-{i}"), None, b""),
            );
            match s {
                200 => {
                    found += 1;
                    let sentences = json(&body)["sentences"].as_array().map_or(0, Vec::len);
                    assert_eq!(sentences, SENTENCES, "long-{i} is not whole");
                }
                404 => {}
                other => panic!("GET long-{i}: {other}"),
            }
        }
        assert_eq!(found, stored);
        assert_eq!(
            metric(patient, "newsdesk_passages"),
            metric(patient, "newsdesk_index_points"),
            "store and vector index disagree"
        );

        // The server is free at once: a question is answered, and a new post is stored.
        let (s, body) = exchange(
            patient,
            &request(
                "POST",
                "/v1/ask",
                Some("application/json"),
                br#"{"question":"What did SIDBI announce?","k":3}"#,
            ),
        );
        assert_eq!(s, 200, "{}", String::from_utf8_lossy(&body));
        assert_eq!(json(&body)["answered"], true);
        let (s, body) = exchange(
            patient,
            &request(
                "POST",
                "/v1/documents",
                Some("application/json"),
                &batch("after", 1),
            ),
        );
        assert_eq!(s, 200, "{}", String::from_utf8_lossy(&body));
        assert_eq!(json(&body)["added"], 1);
    })
    .await
    .unwrap();
}

//! The service as a user runs it: a real bound socket, the real loader, and restarts.

mod common;

use std::time::{Duration, Instant};

use common::*;
use newsdesk::cli::serve::{serve_listener, ServeSettings};
use newsdesk::engine::{Engine, EngineConfig};
use newsdesk::http::HttpSettings;
use serde_json::{json, Value};

fn call(method: &str, url: &str, body: Option<Value>) -> (u16, Value) {
    let req = ureq::request(method, url);
    let res = match body {
        Some(b) => req.send_json(b),
        None => req.call(),
    };
    let resp = match res {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{url}: {e}"),
    };
    let status = resp.status();
    (status, resp.into_json().unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_over_a_real_socket_from_an_empty_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let settings = ServeSettings {
        addr: listener.local_addr().unwrap(),
        http: HttpSettings::default(),
        engine: EngineConfig::new(dir.path().join("data")),
        demo: Some(fixtures()),
        feeds: newsdesk::feeds::FeedSettings::default(),
        shutdown_grace: Duration::from_secs(5),
        server: newsdesk::http::server::ServerLimits::default(),
    };
    // A demo corpus of just the seeds keeps this test quick.
    let demo = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(demo.path().join("seeds")).unwrap();
    for p in seed_paths() {
        let p = std::path::PathBuf::from(p);
        std::fs::copy(&p, demo.path().join("seeds").join(p.file_name().unwrap())).unwrap();
    }
    let settings = ServeSettings {
        demo: Some(demo.path().to_path_buf()),
        ..settings
    };
    tokio::spawn(serve_listener(listener, settings));

    let b = base.clone();
    tokio::task::spawn_blocking(move || {
        let (s, _) = call("GET", &format!("{b}/health"), None);
        assert_eq!(s, 200);
        let started = Instant::now();
        loop {
            let (s, body) = call("GET", &format!("{b}/ready"), None);
            if s == 200 {
                assert_eq!(body["articles"], 2, "demo seeds loaded: {body}");
                break;
            }
            assert_eq!(s, 503);
            assert!(
                started.elapsed() < Duration::from_secs(300),
                "never became ready"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let (s, body) = call(
            "POST",
            &format!("{b}/v1/ask"),
            Some(json!({"question": "What did SIDBI announce?"})),
        );
        assert_eq!(s, 200, "{body}");
        assert_eq!(body["answered"], true);
        assert!(body["answer"][0]["text"]
            .as_str()
            .unwrap()
            .starts_with("The Small Industries Development Bank of India (SIDBI) has launched"));
        let (s, body) = call(
            "POST",
            &format!("{b}/v1/ask"),
            Some(json!({"question": ""})),
        );
        assert_eq!(s, 400);
        assert_eq!(body["error"]["code"], "empty_question");
    })
    .await
    .unwrap();
}

#[test]
fn a_restart_keeps_everything_and_embeds_nothing() {
    let (dir, engine) = engine_with(5);
    let question = "What did SIDBI announce?";
    let req = newsdesk::answer::AskRequest {
        question: question.into(),
        k: Some(5),
        filters: None,
        mode: None,
        as_of: None,
    };
    let qv = engine.embed_query_blocking(question).unwrap();
    let before = newsdesk::answer::ask(&mut engine.reader().unwrap(), &req, &qv).unwrap();
    let stats_before = engine.stats().unwrap();
    let data = engine.data_dir().to_path_buf();
    drop(engine);

    let started = Instant::now();
    let engine = Engine::open(EngineConfig::new(&data)).unwrap();
    let reopen = started.elapsed();
    let after = newsdesk::answer::ask(&mut engine.reader().unwrap(), &req, &qv).unwrap();
    assert_eq!(engine.stats().unwrap().articles, stats_before.articles);
    assert_eq!(engine.stats().unwrap().passages, stats_before.passages);
    assert_eq!(
        engine.stats().unwrap().index_points,
        stats_before.index_points
    );
    let ids = |r: &newsdesk::answer::AskResponse| -> Vec<(String, usize)> {
        r.answer
            .iter()
            .map(|a| (a.citation.article_id.clone(), a.citation.start))
            .collect()
    };
    assert_eq!(ids(&before), ids(&after));
    let pids = |r: &newsdesk::answer::AskResponse| -> Vec<u64> {
        r.passages.iter().map(|p| p.passage_id).collect()
    };
    assert_eq!(pids(&before), pids(&after));
    // Re-ingesting the same files after the restart does no embedding work.
    let out = newsdesk::cli::ingest::ingest_paths(
        &engine,
        &seed_paths(),
        &newsdesk::ingest::IngestOptions::default(),
        false,
    )
    .unwrap();
    assert_eq!(out.report.unchanged, 2);
    assert_eq!(out.report.tokens, 0);
    assert_eq!(
        engine.embed_service().stats().model.texts,
        0,
        "nothing embedded in bulk after restart"
    );
    eprintln!("reopen took {reopen:?}");
    drop(dir);
}

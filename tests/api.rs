//! The HTTP API, in process: the real router over real engines built from the fixtures.

mod common;

use axum::http::StatusCode;
use common::*;
use newsdesk::http::HttpSettings;
use serde_json::{json, Value};

const SIDBI_LEAD: &str = "The Small Industries Development Bank of India (SIDBI) has launched";

fn seed_ids(engine: &newsdesk::engine::Engine) -> (String, String) {
    // Seed 000 carries its own id; seed 002 (wire copy) gets a content id: find it by text.
    let knn = "45506".to_string();
    assert!(
        engine.reader().unwrap().article(&knn).unwrap().is_some(),
        "KNN seed stored under its id"
    );
    let req = newsdesk::answer::SearchRequest {
        query: "SIDBI Development of Industry Associations scheme".into(),
        k: Some(5),
        filters: None,
        group_by_article: true,
        group_by: None,
        mode: Some(newsdesk::answer::Mode::Bm25),
        entities: Vec::new(),
        facets: Vec::new(),
    };
    let qv = engine.embed_query_blocking(&req.query).unwrap();
    let hits = newsdesk::answer::search(&mut engine.reader().unwrap(), &req, &qv).unwrap();
    let ani = hits
        .hits
        .iter()
        .find(|h| h.text.contains("Development of Industry Associations"))
        .expect("ANI seed found")
        .citation
        .article_id
        .clone();
    (knn, ani)
}

#[tokio::test]
async fn ask_sidbi_is_answered_from_the_wire_story_lead_with_exact_citation() {
    let engine = shared_engine();
    let (_, ani) = seed_ids(&engine);
    let r = router(engine.clone());
    let (status, body) = post_json(
        &r,
        "/v1/ask",
        json!({"question": "What did SIDBI announce?"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["answered"], true, "{body:#}");
    let first = &body["answer"][0];
    assert!(
        first["text"].as_str().unwrap().starts_with(SIDBI_LEAD),
        "{body:#}"
    );
    let c = &first["citation"];
    assert_eq!(c["article_id"], ani.as_str());
    assert!(c["published"].as_str().unwrap().contains("-09-25T"), "{c}");
    // The offsets point at exactly the quoted text in the stored body.
    let (_, doc) = get(&r, &format!("/v1/documents/{ani}")).await;
    let body_text = doc["body"].as_str().unwrap();
    let (s, e) = (
        c["start"].as_u64().unwrap() as usize,
        c["end"].as_u64().unwrap() as usize,
    );
    assert_eq!(&body_text[s..e], first["text"].as_str().unwrap());
    // The dateline is not part of the quote.
    assert!(!first["text"].as_str().unwrap().contains("(ANI)"));
    assert!(body["answer"].as_array().unwrap().len() <= 3);
    assert!(!body["passages"].as_array().unwrap().is_empty());
    let conf = body["confidence"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&conf));
}

#[tokio::test]
async fn a_question_the_corpus_cannot_answer_is_not_answered() {
    let r = router(shared_engine());
    for q in [
        "What is the boiling point of liquid nitrogen?",
        "Who won the 1966 FIFA World Cup final?",
    ] {
        let (status, body) = post_json(&r, "/v1/ask", json!({"question": q})).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["answered"], false, "{q}: {body:#}");
        assert!(body["answer"].as_array().unwrap().is_empty());
        assert!(body["explanation"].as_str().is_some_and(|s| !s.is_empty()));
    }
}

#[tokio::test]
async fn brief_on_clusters_cites_both_seeds_and_repeats_nothing() {
    let engine = shared_engine();
    let (knn, ani) = seed_ids(&engine);
    let r = router(engine);
    let (status, body) = post_json(
        &r,
        "/v1/brief",
        json!({"topic": "industrial cluster development for MSMEs"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let sources: Vec<&str> = body["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["article_id"].as_str().unwrap())
        .collect();
    assert!(sources.contains(&knn.as_str()), "{body:#}");
    assert!(sources.contains(&ani.as_str()), "{body:#}");
    let bullets = body["bullets"].as_array().unwrap();
    assert!(bullets.len() >= 2);
    let mut texts: Vec<&str> = bullets
        .iter()
        .map(|b| b["text"].as_str().unwrap())
        .collect();
    let n = texts.len();
    texts.sort();
    texts.dedup();
    assert_eq!(texts.len(), n, "a sentence repeats: {body:#}");
    for b in bullets {
        let cites = b["citations"].as_array().unwrap();
        assert!(!cites.is_empty());
        for c in cites {
            let k = c.as_u64().unwrap() as usize;
            assert!(k >= 1 && k <= sources.len());
        }
    }
    assert!(body["words"].as_u64().unwrap() <= 200);
    let md = body["markdown"].as_str().unwrap();
    assert!(md.starts_with("# Briefing: industrial cluster development for MSMEs"));
    assert!(md.contains("## Sources"));
    assert!(md.contains("2026-03-18"), "sources are dated: {md}");
}

#[tokio::test]
async fn search_highlights_filters_and_groups() {
    let r = router(shared_engine());
    let (status, body) = post_json(
        &r,
        "/v1/search",
        json!({"query": "export clusters consultation", "k": 5}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let hits = body["hits"].as_array().unwrap();
    assert!(!hits.is_empty() && hits.len() <= 5);
    for h in hits {
        let text = h["text"].as_str().unwrap();
        assert!(text.contains(h["highlight"]["text"].as_str().unwrap()));
        assert!(h["scores"]["score"].as_f64().is_some());
    }
    assert_eq!(hits[0]["citation"]["article_id"], "45506", "{body:#}");

    let (_, grouped) = post_json(
        &r,
        "/v1/search",
        json!({"query": "cluster development", "k": 10, "group_by_article": true}),
    )
    .await;
    let ids: Vec<&str> = grouped["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["citation"]["article_id"].as_str().unwrap())
        .collect();
    let mut uniq = ids.clone();
    uniq.sort();
    uniq.dedup();
    assert_eq!(uniq.len(), ids.len(), "one hit per article: {ids:?}");

    let (_, filtered) = post_json(
        &r,
        "/v1/search",
        json!({"query": "cluster development", "k": 3, "filters": {"sources": ["KNNINDIA.co.in"]}}),
    )
    .await;
    let hits = filtered["hits"].as_array().unwrap();
    assert_eq!(hits.len(), 3, "k still met under a filter: {filtered:#}");
    assert!(hits
        .iter()
        .all(|h| h["citation"]["source"] == "knnindia.co.in"));

    let (_, dated) = post_json(
        &r,
        "/v1/search",
        json!({"query": "cluster development", "k": 10,
               "filters": {"published_after": "2026-01-01", "published_before": "2026-06-30"}}),
    )
    .await;
    let hits = dated["hits"].as_array().unwrap();
    assert!(!hits.is_empty());
    assert!(hits.iter().all(|h| h["citation"]["published"]
        .as_str()
        .unwrap()
        .starts_with("2026-03")));

    for mode in ["dense", "bm25", "hybrid"] {
        let (s, b) = post_json(&r, "/v1/search", json!({"query": "SIDBI", "mode": mode})).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(b["mode"], mode);
    }
}

#[tokio::test]
async fn summarize_stored_and_raw_text() {
    let r = router(shared_engine());
    let (status, body) = post_json(
        &r,
        "/v1/summarize",
        json!({"article_id": "45506", "max_sentences": 2}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let sents = body["sentences"].as_array().unwrap();
    assert_eq!(sents.len(), 2);
    let (_, doc) = get(&r, "/v1/documents/45506").await;
    let text = doc["body"].as_str().unwrap();
    let mut last = 0;
    for s in sents {
        let (a, b) = (
            s["start"].as_u64().unwrap() as usize,
            s["end"].as_u64().unwrap() as usize,
        );
        assert_eq!(&text[a..b], s["text"].as_str().unwrap());
        assert!(a >= last, "summary sentences come in article order");
        last = b;
    }
    let raw = "Tata Motors reported higher sales. The company sold 50,000 cars in March. \
               Sales of electric cars doubled. Analysts expect growth to continue.";
    let (status, body) = post_json(
        &r,
        "/v1/summarize",
        json!({"text": raw, "max_sentences": 1}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["sentences"].as_array().unwrap().len(), 1);
    let (status, _) = post_json(&r, "/v1/summarize", json!({"article_id": "nope"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn every_error_case_has_a_code_and_status() {
    let engine = shared_engine();
    let before = engine.stats().unwrap();
    let r = router_with(
        engine.clone(),
        HttpSettings {
            max_body_bytes: 4096,
            ..HttpSettings::default()
        },
    );
    let bad_json = post_raw(&r, "/v1/ask", Some("application/json"), "{\"question\": ").await;
    assert_error(&bad_json, StatusCode::BAD_REQUEST, "malformed_json");
    let no_type = post_raw(&r, "/v1/ask", Some("text/plain"), "{\"question\":\"x\"}").await;
    assert_error(
        &no_type,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    );
    let empty = post_json(&r, "/v1/ask", json!({"question": "   "})).await;
    assert_error(&empty, StatusCode::BAD_REQUEST, "empty_question");
    let k0 = post_json(&r, "/v1/search", json!({"query": "SIDBI", "k": 0})).await;
    assert_error(&k0, StatusCode::BAD_REQUEST, "k_out_of_range");
    let k_big = post_json(&r, "/v1/ask", json!({"question": "SIDBI?", "k": 1000})).await;
    assert_error(&k_big, StatusCode::BAD_REQUEST, "k_out_of_range");
    let unknown_field = post_json(&r, "/v1/ask", json!({"question": "SIDBI?", "kk": 3})).await;
    assert_error(&unknown_field, StatusCode::BAD_REQUEST, "invalid_request");
    let bad_filter = post_json(
        &r,
        "/v1/search",
        json!({"query": "SIDBI", "filters": {"published_after": "yesterday"}}),
    )
    .await;
    assert_error(&bad_filter, StatusCode::BAD_REQUEST, "invalid_filter");
    let big = post_json(&r, "/v1/ask", json!({"question": "x".repeat(5000)})).await;
    assert_error(&big, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    let big_doc = post_raw(
        &r,
        "/v1/documents",
        Some("text/plain"),
        "word ".repeat(2000),
    )
    .await;
    assert_error(&big_doc, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    let missing = get(&r, "/v1/documents/no-such-id").await;
    assert_error(&missing, StatusCode::NOT_FOUND, "document_not_found");
    let missing_del = delete(&r, "/v1/documents/no-such-id").await;
    assert_error(&missing_del, StatusCode::NOT_FOUND, "document_not_found");
    let broken_xml = post_raw(
        &r,
        "/v1/documents",
        Some("application/rss+xml"),
        "<rss><channel><item><title>x</ti",
    )
    .await;
    assert!(broken_xml.0.is_client_error(), "{broken_xml:?}");
    assert_eq!(broken_xml.1["error"]["code"], "invalid_document");
    let bad_json_doc = post_raw(
        &r,
        "/v1/documents",
        Some("application/json"),
        "[{\"title\": ",
    )
    .await;
    assert_error(&bad_json_doc, StatusCode::BAD_REQUEST, "malformed_json");
    let png = post_raw(
        &r,
        "/v1/documents",
        Some("image/png"),
        vec![0x89u8, b'P', b'N', b'G'],
    )
    .await;
    assert_error(
        &png,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    );
    let empty_doc = post_raw(&r, "/v1/documents", Some("application/json"), "  ").await;
    assert_error(&empty_doc, StatusCode::BAD_REQUEST, "empty_body");
    let no_route = get(&r, "/v2/nothing").await;
    assert_error(&no_route, StatusCode::NOT_FOUND, "not_found");
    // Nothing stored changed.
    let after = engine.stats().unwrap();
    assert_eq!(before.articles, after.articles);
    assert_eq!(before.passages, after.passages);
}

#[tokio::test]
async fn documents_upsert_get_and_delete_everywhere() {
    let (_dir, engine) = engine_with(0);
    let r = router(engine.clone());
    let doc = json!({
        "id": "test-tata-1",
        "title": "Tata Steel commissions green hydrogen plant in Jamshedpur",
        "body": "Tata Steel on Monday commissioned a green hydrogen plant at its Jamshedpur works. \
                 The plant will produce 500 tonnes of hydrogen a year for steelmaking. \
                 The company said the project cost Rs 120 crore.",
        "published": "2026-04-06T10:00:00+05:30",
        "source": "example.org",
        "url": "https://example.org/tata-hydrogen"
    });
    let (s, b) = post_json(&r, "/v1/documents", doc.clone()).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["added"], 1);
    let (_, b) = post_json(&r, "/v1/documents", doc.clone()).await;
    assert_eq!(b["unchanged"], 1, "{b}");
    let mut changed = doc.clone();
    changed["body"] = json!(format!(
        "{} It is the first such plant in India.",
        doc["body"].as_str().unwrap()
    ));
    let (_, b) = post_json(&r, "/v1/documents", changed).await;
    assert_eq!(b["updated"], 1, "{b}");

    let (s, got) = get(&r, "/v1/documents/test-tata-1").await;
    assert_eq!(s, StatusCode::OK);
    assert!(got["body"].as_str().unwrap().contains("first such plant"));

    let ask = json!({"question": "How much hydrogen will the Tata Steel plant produce?"});
    let (_, a) = post_json(&r, "/v1/ask", ask.clone()).await;
    assert_eq!(a["answered"], true, "{a:#}");
    assert_eq!(a["answer"][0]["citation"]["article_id"], "test-tata-1");
    assert!(a["answer"][0]["text"]
        .as_str()
        .unwrap()
        .contains("500 tonnes"));

    let (s, d) = delete(&r, "/v1/documents/test-tata-1").await;
    assert_eq!(s, StatusCode::OK, "{d}");
    let (_, a) = post_json(&r, "/v1/ask", ask).await;
    assert!(
        !a.to_string().contains("test-tata-1"),
        "deleted doc still answers: {a:#}"
    );
    let (_, sr) = post_json(
        &r,
        "/v1/search",
        json!({"query": "Tata Steel green hydrogen Jamshedpur", "k": 20}),
    )
    .await;
    assert!(!sr.to_string().contains("test-tata-1"), "{sr:#}");
    let (_, br) = post_json(
        &r,
        "/v1/brief",
        json!({"topic": "green hydrogen steel plant"}),
    )
    .await;
    assert!(!br.to_string().contains("test-tata-1"), "{br:#}");
    let (s, _) = get(&r, "/v1/documents/test-tata-1").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn batches_report_each_bad_item_and_keep_the_good_ones() {
    let (_dir, engine) = engine_with(0);
    let r = router(engine);
    let batch = json!([
        {"id": "b-1", "title": "Coal output rises", "body": "Coal India raised output by 8 per cent in July.", "published": "2026-08-01"},
        {"title": "No body here"},
        {"id": "b-3", "title": "Port traffic grows", "body": "Cargo at major ports grew 5 per cent in July.", "published": "2026-08-02"}
    ]);
    let (s, b) = post_json(&r, "/v1/documents", batch).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["added"], 2, "{b}");
    assert_eq!(b["failed"].as_array().unwrap().len(), 1);
    assert_eq!(b["failed"][0]["index"], 1);

    let jsonl = "{\"id\":\"l-1\",\"title\":\"Steel exports\",\"body\":\"Steel exports fell in June.\"}\nnot json\n";
    let (s, b) = post_raw(&r, "/v1/documents", Some("application/x-ndjson"), jsonl).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["added"], 1);
    assert_eq!(b["failed"][0]["index"], 1);

    let seed = std::fs::read(fixtures().join("seeds/000_04ca5ce55ea2a8ae.txt")).unwrap();
    let (s, b) = post_raw(&r, "/v1/documents", None, seed).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["unchanged"], 1, "sniffed XML record already stored: {b}");
}

#[tokio::test]
async fn writes_need_the_api_key_when_set_and_reads_the_read_key() {
    let (_dir, engine) = engine_with(0);
    let r = router_with(
        engine,
        HttpSettings {
            api_key: Some("w-key".into()),
            read_key: Some("r-key".into()),
            ..HttpSettings::default()
        },
    );
    let doc = json!({"id": "k-1", "title": "A", "body": "Exports of tea rose in May."});
    let (s, b) = post_json(&r, "/v1/documents", doc.clone()).await;
    assert_error(&(s, b), StatusCode::UNAUTHORIZED, "unauthorized");
    let req = |key: &str, path: &str, body: &Value| {
        axum::http::Request::post(path)
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {key}"))
            .body(axum::body::Body::from(body.to_string()))
            .unwrap()
    };
    let (s, _) = send(&r, req("r-key", "/v1/documents", &doc)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "the read key cannot write");
    let (s, _) = send(&r, req("w-key", "/v1/documents", &doc)).await;
    assert_eq!(s, StatusCode::OK);
    let q = json!({"query": "tea exports"});
    let (s, _) = post_json(&r, "/v1/search", q.clone()).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = send(&r, req("r-key", "/v1/search", &q)).await;
    assert_eq!(s, StatusCode::OK);
    // The scheme is case-insensitive; a wrong key is told apart from a missing one.
    let lower = axum::http::Request::post("/v1/search")
        .header("content-type", "application/json")
        .header("authorization", "bearer r-key")
        .body(axum::body::Body::from(q.to_string()))
        .unwrap();
    assert_eq!(
        send(&r, lower).await.0,
        StatusCode::OK,
        "bearer in lower case"
    );
    let (s, b) = send(&r, req("nope", "/v1/search", &q)).await;
    assert_error(&(s, b.clone()), StatusCode::UNAUTHORIZED, "unauthorized");
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not accepted"),
        "{b}"
    );
    // Every read is covered: documents and metrics too.
    let (s, _) = get(&r, "/v1/documents/k-1").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "documents need the read key");
    let (s, _) = get(&r, "/metrics").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "metrics need the read key");
    let with_key = |path: &str| {
        axum::http::Request::get(path)
            .header("authorization", "Bearer r-key")
            .body(axum::body::Body::empty())
            .unwrap()
    };
    assert_eq!(
        send(&r, with_key("/v1/documents/k-1")).await.0,
        StatusCode::OK
    );
    assert_eq!(send(&r, with_key("/metrics")).await.0, StatusCode::OK);
    let (s, _) = get(&r, "/health").await;
    assert_eq!(s, StatusCode::OK, "health stays open");
    let (s, b) = get(&r, "/ready").await;
    assert_eq!(s, StatusCode::OK, "ready stays open");
    assert!(
        b.get("articles").is_none(),
        "no counts without the key: {b}"
    );
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let r = router(shared_engine());
    let resp = tower::ServiceExt::oneshot(
        r.clone(),
        axum::http::Request::get("/health")
            .body(axum::body::Body::empty())
            .unwrap(),
    )
    .await
    .unwrap();
    let id = resp.headers().get("x-request-id").expect("an id is made");
    assert!(id.len() >= 16, "{id:?}");
    let resp = tower::ServiceExt::oneshot(
        r,
        axum::http::Request::get("/health")
            .header("x-request-id", "client-chosen-1")
            .body(axum::body::Body::empty())
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(
        resp.headers()["x-request-id"],
        "client-chosen-1",
        "a client's id is kept"
    );
}

#[tokio::test]
async fn ops_endpoints() {
    let r = router(shared_engine());
    let (s, b) = get(&r, "/health").await;
    assert_eq!((s, b["status"].as_str()), (StatusCode::OK, Some("ok")));
    let (s, b) = get(&r, "/ready").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        b["articles"].as_u64().unwrap() >= 2,
        "counts without a read key: {b}"
    );
    let (s, spec) = get(&r, "/openapi.json").await;
    assert_eq!(s, StatusCode::OK);
    for p in [
        "/v1/ask",
        "/v1/brief",
        "/v1/search",
        "/v1/summarize",
        "/v1/documents",
        "/v1/documents/{id}",
    ] {
        assert!(spec["paths"][p].is_object(), "{p} missing from OpenAPI");
    }
    post_json(&r, "/v1/search", json!({"query": "SIDBI"})).await;
    let resp = tower::ServiceExt::oneshot(
        r.clone(),
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
    assert!(text.contains("newsdesk_http_requests_total{"), "{text}");
    assert!(text.contains("route=\"/v1/search\""), "{text}");
    assert!(text.contains("newsdesk_passages "), "{text}");
    assert!(text.contains("newsdesk_embed_batches"), "{text}");
}

#[tokio::test]
async fn not_ready_until_the_engine_is_loaded() {
    let state = newsdesk::http::AppState::new(HttpSettings::default());
    let r = newsdesk::http::app(state);
    let (s, _) = get(&r, "/health").await;
    assert_eq!(s, StatusCode::OK);
    let got = get(&r, "/ready").await;
    assert_error(&got, StatusCode::SERVICE_UNAVAILABLE, "not_ready");
    let got = post_json(
        &r,
        "/v1/ask",
        json!({"question": "What did SIDBI announce?"}),
    )
    .await;
    assert_error(&got, StatusCode::SERVICE_UNAVAILABLE, "not_ready");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_writes_take_write_slots_not_the_slots_reads_need() {
    let (_dir, engine) = engine_with(0);
    let settings = HttpSettings {
        max_in_flight: 1,
        max_in_flight_writes: 1,
        ..HttpSettings::default()
    };
    let router = router_with(engine.clone(), settings);
    // Bulk embedding held: the first post parks inside the ingest, holding its write slot.
    let hold = engine.embed_service().hold_bulk();
    let doc = |id: &str| json!({"id": id, "title": "Orders rise", "body": "Cluster orders rose this quarter, the association said."});
    let first = {
        let r = router.clone();
        let d = doc("parked-1");
        tokio::spawn(async move { post_json(&r, "/v1/documents", d).await })
    };
    // Wait until the first post is parked in the embedder.
    let started = std::time::Instant::now();
    while engine.embed_service().stats().bulk_queued + engine.embed_service().stats().bulk_running
        == 0
    {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "post never queued"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // A second write is refused at once; a read still gets the only read slot.
    let second = post_json(&router, "/v1/documents", doc("parked-2")).await;
    assert_error(&second, StatusCode::SERVICE_UNAVAILABLE, "overloaded");
    let (s, ask) = post_json(
        &router,
        "/v1/ask",
        json!({"question": "What did SIDBI announce?"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{ask}");
    assert_eq!(ask["answered"], true);
    drop(hold);
    let (s, body) = first.await.unwrap();
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["added"], 1);
}

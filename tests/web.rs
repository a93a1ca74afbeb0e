//! The web page in process: the page and its assets come from the binary with their content
//! types and a strict CSP, reference nothing outside this origin, carry the test ids the
//! browser tests rely on, and `GET /v1/facets` counts what the corpus holds.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::{assert_error, engine_with, get, post_raw, router, router_with, send};
use http_body_util::BodyExt;
use newsdesk::http::HttpSettings;
use serde_json::{json, Value};
use tower::ServiceExt;

async fn fetch(r: &axum::Router, path: &str) -> (StatusCode, axum::http::HeaderMap, String) {
    let resp = r
        .clone()
        .oneshot(Request::get(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (status, headers, String::from_utf8(bytes.to_vec()).unwrap())
}

/// Values of `attr="..."` in an HTML text.
fn attr_values<'a>(html: &'a str, attr: &str) -> Vec<&'a str> {
    let pat = format!("{attr}=\"");
    html.match_indices(&pat)
        .map(|(i, _)| {
            let rest = &html[i + pat.len()..];
            &rest[..rest.find('"').unwrap()]
        })
        .collect()
}

#[tokio::test]
async fn page_and_every_asset_it_names_are_served_with_types_and_csp() {
    let (_d, engine) = engine_with(0);
    let r = router(engine);
    let (status, headers, html) = fetch(&r, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "text/html; charset=utf-8");
    let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(csp.starts_with("default-src 'none'"), "{csp}");
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe"),
        "{csp}"
    );
    assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");

    // Every script, style and icon comes from this origin.
    let srcs = attr_values(&html, "src");
    let hrefs = attr_values(&html, "href");
    assert!(
        srcs.iter()
            .chain(&hrefs)
            .all(|u| u.starts_with('/') || u.starts_with('#')),
        "{srcs:?} {hrefs:?}"
    );
    let mut local: Vec<&str> = srcs;
    local.extend(hrefs.into_iter().filter(|h| h.starts_with('/')));
    assert_eq!(local, ["/ui/app.js", "/favicon.svg", "/ui/app.css"]);
    for (path, ty) in [
        ("/ui/app.js", "text/javascript; charset=utf-8"),
        ("/ui/app.css", "text/css; charset=utf-8"),
        ("/favicon.svg", "image/svg+xml"),
        ("/favicon.ico", "image/svg+xml"),
    ] {
        let (status, headers, body) = fetch(&r, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(headers[header::CONTENT_TYPE], ty, "{path}");
        assert!(
            headers.contains_key(header::CONTENT_SECURITY_POLICY),
            "{path}"
        );
        assert!(!body.is_empty(), "{path}");
    }
    // No inline script or style (the CSP would block them) and nothing from another origin.
    assert!(!html.contains("<script>") && !html.contains("<style") && !html.contains("style="));
    let (_, _, js) = fetch(&r, "/ui/app.js").await;
    let (_, _, css) = fetch(&r, "/ui/app.css").await;
    for text in [&js, &css] {
        assert!(!text.contains("http://") && !text.contains("https://"));
        assert!(!text.contains("@import"));
    }
}

#[tokio::test]
async fn page_carries_the_test_ids_the_issue_names() {
    let (_d, engine) = engine_with(0);
    let r = router(engine);
    let (_, _, html) = fetch(&r, "/").await;
    let (_, _, js) = fetch(&r, "/ui/app.js").await;
    let in_html = attr_values(&html, "data-testid");
    for id in [
        "question",
        "ask",
        "answer",
        "article-view",
        "search-query",
        "search",
        "filter-from",
        "filter-to",
        "filter-source",
        "brief-topic",
        "brief",
        "brief-output",
        "add-document",
        "add-document-submit",
        "copy-markdown",
        "read-key",
        "write-key",
        "status",
    ] {
        assert!(
            in_html.contains(&id),
            "data-testid={id} missing from the page"
        );
    }
    // Rendered by the script: citations, the highlight, hits.
    for id in ["citation", "highlight", "hit"] {
        assert!(
            js.contains(&format!("testid: '{id}'")) || js.contains(&format!(", '{id}')")),
            "{id} missing from app.js"
        );
    }
}

#[tokio::test]
async fn facets_count_sources_categories_and_dates() {
    let (_d, engine) = engine_with(0);
    let r = router(engine);
    let docs = [
        json!({"id": "f-1", "title": "Tea exports", "body": "Exports of tea rose in May.",
               "source": "Daily Leaf", "category": "Trade", "published": "2024-05-02T08:00:00Z"}),
        json!({"id": "f-2", "title": "Coffee exports", "body": "Exports of coffee fell in June.",
               "source": "Daily Leaf", "category": "Trade", "published": "2024-06-10T08:00:00Z"}),
        json!({"id": "f-3", "title": "Rain", "body": "It rained across the plains on Sunday.",
               "source": "Weather Desk"}),
    ];
    let (_, before) = get(&r, "/v1/facets").await;
    for d in &docs {
        let (s, b) = post_raw(&r, "/v1/documents", Some("application/json"), d.to_string()).await;
        assert_eq!(s, StatusCode::OK, "{b}");
    }
    let (s, f) = get(&r, "/v1/facets").await;
    assert_eq!(s, StatusCode::OK, "{f}");
    assert_eq!(f["articles"], before["articles"].as_u64().unwrap() + 3);
    let count = |list: &Value, name: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == name)
            .map(|v| v["count"].as_u64().unwrap())
    };
    assert_eq!(count(&f["sources"], "Daily Leaf"), Some(2));
    assert_eq!(count(&f["sources"], "Weather Desk"), Some(1));
    assert_eq!(count(&f["categories"], "Trade"), Some(2));
    // Most articles first.
    let counts: Vec<u64> = f["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["count"].as_u64().unwrap())
        .collect();
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "{counts:?}");
    // Every article is counted once per facet.
    let total = |list: &Value| -> u64 {
        list.as_array()
            .unwrap()
            .iter()
            .map(|v| v["count"].as_u64().unwrap())
            .sum()
    };
    assert_eq!(
        total(&f["sources"]) + f["unsourced"].as_u64().unwrap(),
        f["articles"]
    );
    assert_eq!(
        total(&f["categories"]) + f["uncategorized"].as_u64().unwrap(),
        f["articles"]
    );
    assert!(f["undated"].as_u64().unwrap() >= 1);
    let earliest = f["published"]["earliest"].as_str().unwrap();
    let latest = f["published"]["latest"].as_str().unwrap();
    assert!(earliest <= "2024-05-02T08:00:00+00:00", "{earliest}");
    assert!(latest >= "2024-06-10T08:00:00+00:00", "{latest}");

    // A deleted article leaves the counts.
    let (s, _) = common::delete(&r, "/v1/documents/f-3").await;
    assert_eq!(s, StatusCode::OK);
    let (_, f) = get(&r, "/v1/facets").await;
    assert_eq!(count(&f["sources"], "Weather Desk"), None);
    assert_eq!(count(&f["sources"], "Daily Leaf"), Some(2));
}

#[tokio::test]
async fn facets_are_a_read_behind_the_read_key_and_in_the_openapi() {
    let (_d, engine) = engine_with(0);
    let settings = HttpSettings {
        read_key: Some("reader".into()),
        ..HttpSettings::default()
    };
    let r = router_with(engine, settings);
    assert_error(
        &get(&r, "/v1/facets").await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    );
    let req = Request::get("/v1/facets")
        .header("authorization", "Bearer reader")
        .body(Body::empty())
        .unwrap();
    let (s, f) = send(&r, req).await;
    assert_eq!(s, StatusCode::OK, "{f}");
    assert!(f["articles"].as_u64().unwrap() >= 2);
    // The page itself needs no key.
    let (s, _, _) = fetch(&r, "/").await;
    assert_eq!(s, StatusCode::OK);
    let (_, doc) = get(&r, "/openapi.json").await;
    assert!(doc["paths"]["/v1/facets"]["get"].is_object());
    assert!(doc["components"]["schemas"]["Facets"].is_object());
}

//! Stories through the real router: reprints of one wire story posted under different ids fold
//! into one story, one search hit and one brief bullet citing all of them; stories survive a
//! restart and follow a deletion; the demo seeds brief by story; bad requests get clear errors.

mod common;

use std::collections::HashSet;

use axum::http::StatusCode;
use common::*;
use newsdesk::engine::{Engine, EngineConfig};
use serde_json::{json, Value};

/// A real wire story from the demo corpus ("Airbus announces job cuts of 10,000", Wikinews),
/// and three reprints of it: as filed, with a new dateline and a credit line, and with its two
/// halves swapped and an "Also read" footer.
fn reprints() -> Vec<Value> {
    let all = std::fs::read_to_string(fixtures().join("demo/wikinews-meantime.jsonl")).unwrap();
    let wire: Value = all
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|a| a["id"] == "wikinews-meantime-61389")
        .expect("the wire story is in the demo corpus");
    let body = wire["body"].as_str().unwrap();
    let cut = body[body.len() / 2..].find(". ").unwrap() + body.len() / 2 + 2;
    let (first, second) = body.split_at(cut);
    vec![
        json!({"id": "wire-a", "title": wire["title"], "body": body, "source": "Wire A",
               "date": "2007-02-28T09:00:00Z"}),
        json!({"id": "wire-b", "title": "Airbus to cut 10,000 jobs over four years",
               "body": format!("TOULOUSE, Feb 28 (Wire B) - {body}\n\n(Reporting by the Paris desk; editing by staff)"),
               "source": "Wire B", "date": "2007-02-28T11:30:00Z"}),
        json!({"id": "wire-c", "title": "Airbus job cuts: 10,000 posts to go",
               "body": format!("{}\n\n{}\n\nAlso read: Boeing orders rise.", second.trim(), first.trim()),
               "source": "Daily C", "date": "2007-03-01T06:00:00Z"}),
    ]
}

async fn post_doc(r: &axum::Router, doc: &Value) {
    let (status, body) = post_raw(
        r,
        "/v1/documents",
        Some("application/json"),
        doc.to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

fn ids(v: &Value, key: &str) -> HashSet<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|m| m[key].as_str().unwrap().to_string())
        .collect()
}

/// The story holding `article`, from the list.
async fn story_of(r: &axum::Router, article: &str) -> Value {
    let (status, list) = get(r, "/v1/stories?k=100").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    for s in list["stories"].as_array().unwrap() {
        let (_, detail) = get(r, &format!("/v1/stories/{}", s["id"])).await;
        if ids(&detail["members"], "article_id").contains(article) {
            return detail;
        }
    }
    panic!("{article} is in no story: {list:#}");
}

#[tokio::test]
async fn three_reprints_are_one_story_one_hit_and_one_bullet() {
    let (dir, engine) = engine_with(0);
    let r = router(engine.clone());
    for doc in reprints() {
        post_doc(&r, &doc).await;
    }
    let wire: HashSet<String> = ["wire-a", "wire-b", "wire-c"].map(String::from).into();

    // One story of three, two of them reprints of the first.
    let story = story_of(&r, "wire-a").await;
    assert_eq!(ids(&story["members"], "article_id"), wire, "{story:#}");
    assert_eq!(story["story"]["articles"], 3);
    assert_eq!(story["story"]["sources"], 3);
    assert_eq!(story["story"]["duplicates"], 2);
    for m in story["members"].as_array().unwrap() {
        let want = if m["article_id"] == "wire-a" {
            Value::Null
        } else {
            json!("wire-a")
        };
        assert_eq!(m["duplicate_of"], want, "{m}");
    }
    let rep = &story["story"]["representative"];
    assert!(
        wire.contains(rep["citation"]["article_id"].as_str().unwrap()),
        "{rep}"
    );
    assert_eq!(
        story["timeline"].as_array().unwrap().len(),
        2,
        "two days: {story:#}"
    );

    // One search hit for the three, citing the other two where they carry the sentence.
    let (status, res) = post_json(
        &r,
        "/v1/search",
        json!({"query": "Airbus job cuts 10,000", "k": 10}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{res}");
    let hits = res["hits"].as_array().unwrap();
    let wire_hits: Vec<&Value> = hits
        .iter()
        .filter(|h| wire.contains(h["citation"]["article_id"].as_str().unwrap()))
        .collect();
    // Every passage shown is the original's: the copies are folded into its hits.
    assert!(
        wire_hits
            .iter()
            .all(|h| h["citation"]["article_id"] == "wire-a"),
        "{res:#}"
    );
    // One hit per article: one for the three copies.
    let (_, res) = post_json(
        &r,
        "/v1/search",
        json!({"query": "Airbus job cuts 10,000", "k": 10, "group_by": "article"}),
    )
    .await;
    let hits = res["hits"].as_array().unwrap();
    let wire_hits: Vec<&Value> = hits
        .iter()
        .filter(|h| wire.contains(h["citation"]["article_id"].as_str().unwrap()))
        .collect();
    assert_eq!(wire_hits.len(), 1, "folded into one hit: {res:#}");
    let hit = wire_hits[0];
    assert_eq!(
        hits[0]["citation"]["article_id"],
        hit["citation"]["article_id"]
    );
    let mut cited: HashSet<String> = ids(&hit["also_published_by"], "article_id");
    cited.insert(hit["citation"]["article_id"].as_str().unwrap().to_string());
    assert_eq!(cited, wire, "{hit:#}");
    for c in hit["also_published_by"].as_array().unwrap() {
        let (_, doc) = get(
            &r,
            &format!("/v1/documents/{}", c["article_id"].as_str().unwrap()),
        )
        .await;
        let text = doc["body"].as_str().unwrap();
        let quoted =
            &text[c["start"].as_u64().unwrap() as usize..c["end"].as_u64().unwrap() as usize];
        assert_eq!(quoted, hit["highlight"]["text"].as_str().unwrap(), "{c}");
    }
    // Grouped by story: still one hit, with its story.
    let (_, grouped) = post_json(
        &r,
        "/v1/search",
        json!({"query": "Airbus job cuts 10,000", "k": 10, "group_by": "story"}),
    )
    .await;
    let stories: Vec<u64> = grouped["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["story"]["id"].as_u64().unwrap())
        .collect();
    assert_eq!(
        stories.len(),
        stories.iter().collect::<HashSet<_>>().len(),
        "{grouped:#}"
    );
    assert_eq!(grouped["hits"][0]["story"]["id"], story["story"]["id"]);

    // One brief bullet citing all three.
    let (status, brief) = post_json(&r, "/v1/brief", json!({"topic": "Airbus job cuts"})).await;
    assert_eq!(status, StatusCode::OK, "{brief}");
    let sources = brief["sources"].as_array().unwrap();
    let source_id = |n: &Value| {
        sources[n.as_u64().unwrap() as usize - 1]["article_id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let cuts: Vec<&Value> = brief["bullets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["text"].as_str().unwrap().contains("10,000 job cuts"))
        .collect();
    assert_eq!(cuts.len(), 1, "{brief:#}");
    let cites: HashSet<String> = cuts[0]["citations"]
        .as_array()
        .unwrap()
        .iter()
        .map(source_id)
        .collect();
    assert_eq!(cites, wire, "{brief:#}");
    let section = &brief["sections"][0];
    assert_eq!(section["story_id"], story["story"]["id"], "{brief:#}");
    assert_eq!(section["reported_by"], 3);
    assert!(brief["markdown"]
        .as_str()
        .unwrap()
        .contains("Reported by 3 sources"));
    assert!(
        brief["key_figures"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["text"] == "10,000 job cuts" || f["text"] == "10,000"),
        "{:#}",
        brief["key_figures"]
    );

    // Stories survive a restart unchanged.
    let before = story.clone();
    drop(r);
    drop(engine);
    let engine = Engine::open(EngineConfig::new(dir.path().join("data"))).unwrap();
    let r = router(engine.clone());
    let (_, after) = get(&r, &format!("/v1/stories/{}", before["story"]["id"])).await;
    assert_eq!(after["members"], before["members"]);

    // Deleting the original: its earliest reprint takes its place, and search still folds.
    let (status, _) = delete(&r, "/v1/documents/wire-a").await;
    assert_eq!(status, StatusCode::OK);
    let story = story_of(&r, "wire-b").await;
    assert_eq!(story["story"]["articles"], 2, "{story:#}");
    for m in story["members"].as_array().unwrap() {
        let want = if m["article_id"] == "wire-b" {
            Value::Null
        } else {
            json!("wire-b")
        };
        assert_eq!(m["duplicate_of"], want, "{m}");
    }
    let (_, res) = post_json(
        &r,
        "/v1/search",
        json!({"query": "Airbus job cuts 10,000", "k": 10, "group_by": "article"}),
    )
    .await;
    let wire_hits = res["hits"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| wire.contains(h["citation"]["article_id"].as_str().unwrap()))
        .count();
    assert_eq!(wire_hits, 1, "{res:#}");
    // And the deletion, too, survives a restart.
    drop(r);
    drop(engine);
    let engine = Engine::open(EngineConfig::new(dir.path().join("data"))).unwrap();
    assert_eq!(
        engine
            .stories()
            .link("wire-c")
            .unwrap()
            .duplicate_of
            .as_deref(),
        Some("wire-b")
    );
}

#[tokio::test]
async fn a_repost_about_something_else_leaves_its_story() {
    let (_dir, engine) = engine_with(0);
    let r = router(engine);
    for doc in reprints().into_iter().take(2) {
        post_doc(&r, &doc).await;
    }
    let before = story_of(&r, "wire-b").await;
    assert_eq!(before["story"]["articles"], 2);
    // wire-b is re-posted with other content: a seed's text.
    let seed = std::fs::read_to_string(&seed_paths()[0]).unwrap();
    let (status, body) = post_raw(&r, "/v1/documents", Some("application/json"),
        json!({"id": "wire-b", "title": "NICDC consults industry", "body": seed, "source": "Wire B",
               "date": "2026-03-18T10:00:00Z"}).to_string()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, old) = get(&r, &format!("/v1/stories/{}", before["story"]["id"])).await;
    assert_eq!(
        ids(&old["members"], "article_id"),
        HashSet::from(["wire-a".to_string()])
    );
    let moved = story_of(&r, "wire-b").await;
    assert_ne!(moved["story"]["id"], before["story"]["id"]);
}

#[tokio::test]
async fn the_demo_brief_has_one_section_per_story_and_leads_with_the_dia_launch() {
    let r = router(shared_engine());
    let (status, brief) = post_json(
        &r,
        "/v1/brief",
        json!({"topic": "industrial cluster development for MSMEs"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{brief}");
    let sections = brief["sections"].as_array().unwrap();
    let story_ids: Vec<&Value> = sections.iter().map(|s| &s["story_id"]).collect();
    assert_eq!(
        story_ids.len(),
        story_ids.iter().collect::<HashSet<_>>().len(),
        "one section per story: {brief:#}"
    );
    let cited: HashSet<&str> = brief["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["article_id"].as_str().unwrap())
        .collect();
    let (_, docs) = get(&r, "/v1/facets").await;
    let _ = docs;
    assert!(cited.len() >= 2, "{brief:#}");
    let bullets = brief["bullets"].as_array().unwrap();
    let dia = bullets
        .iter()
        .position(|b| {
            b["text"]
                .as_str()
                .unwrap()
                .starts_with("The Small Industries Development Bank of India (SIDBI) has launched")
        })
        .unwrap_or_else(|| panic!("the DIA launch sentence: {brief:#}"));
    // It leads its section.
    assert!(sections.iter().any(|s| s["bullets"][0] == dia), "{brief:#}");
    // Both seeds are cited (their ids come from their text: ANI's and KNN's).
    let seeds_cited = brief["sources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| {
            let src = s["source"].as_str().unwrap_or("");
            src == "ANI" || src.contains("knnindia")
        })
        .count();
    assert_eq!(seeds_cited, 2, "{brief:#}");
    // A timeline is the same kind of note, dated and oldest first.
    let (_, timeline) = post_json(
        &r,
        "/v1/brief",
        json!({"topic": "industrial cluster development for MSMEs", "format": "timeline"}),
    )
    .await;
    let dates: Vec<&str> = timeline["bullets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["date"].as_str().unwrap())
        .collect();
    let mut sorted = dates.clone();
    sorted.sort();
    assert_eq!(dates, sorted, "{timeline:#}");
    assert!(timeline["sections"].as_array().unwrap().is_empty());
    // "What is new since" a date after both seeds: nothing.
    let (_, since) = post_json(
        &r,
        "/v1/brief",
        json!({"topic": "industrial cluster development for MSMEs", "since": "2026-10-01"}),
    )
    .await;
    assert!(since["bullets"].as_array().unwrap().is_empty(), "{since:#}");
}

#[tokio::test]
async fn the_demo_stories_list_wikinews_events_with_their_members() {
    let r = router(shared_engine());
    let (status, list) = get(&r, "/v1/stories?k=100").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let stories = list["stories"].as_array().unwrap();
    assert_eq!(list["total"].as_u64().unwrap() as usize, stories.len());
    // Most covered first.
    let coverage: Vec<(u64, u64)> = stories
        .iter()
        .map(|s| {
            (
                s["sources"].as_u64().unwrap(),
                s["articles"].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(coverage.windows(2).all(|w| w[0] >= w[1]), "{coverage:?}");
    // Every article is in exactly one story.
    let mut seen = HashSet::new();
    let mut total = 0;
    for s in stories {
        let (status, d) = get(&r, &format!("/v1/stories/{}", s["id"])).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            d["members"].as_array().unwrap().len() as u64,
            s["articles"].as_u64().unwrap()
        );
        for id in ids(&d["members"], "article_id") {
            assert!(seen.insert(id.clone()), "{id} in two stories");
            total += 1;
        }
        if let Some(q) = s.get("representative") {
            let id = q["citation"]["article_id"].as_str().unwrap();
            let (_, doc) = get(&r, &format!("/v1/documents/{id}")).await;
            let body = doc["body"].as_str().unwrap();
            let (a, b) = (
                q["citation"]["start"].as_u64().unwrap() as usize,
                q["citation"]["end"].as_u64().unwrap() as usize,
            );
            assert_eq!(&body[a..b], q["text"].as_str().unwrap());
        }
    }
    let (_, facets) = get(&r, "/v1/facets").await;
    assert_eq!(total, facets["articles"].as_u64().unwrap(), "{facets}");
    assert_eq!(facets["stories"], list["total"], "{facets}");
    // Names are facets: SIDBI, spelled out in the seed's lead, counts under its acronym.
    let entities = facets["entities"].as_array().unwrap();
    assert!(
        entities
            .iter()
            .any(|e| e["name"] == "SIDBI" && e["count"].as_u64().unwrap() >= 1),
        "{facets:#}"
    );
    assert!(entities
        .iter()
        .all(|e| e["name"] != "The Small Industries Development Bank"));
    // Several Wikinews articles on one event form a story of more than one.
    assert!(coverage[0].1 >= 2, "{list:#}");
    // A query narrows the list to stories about it.
    let (_, cisco) = get(&r, "/v1/stories?q=Cisco%20iPhone%20trademark%20lawsuit&k=5").await;
    let headlines: Vec<&str> = cisco["stories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["headline"].as_str().unwrap())
        .collect();
    assert!(
        headlines
            .iter()
            .any(|h| h.contains("Cisco") && h.contains("iPhone")),
        "{cisco:#}"
    );
    assert!(cisco["total"].as_u64().unwrap() < list["total"].as_u64().unwrap());
}

#[tokio::test]
async fn bad_story_requests_get_clear_errors() {
    let r = router(shared_engine());
    assert_error(
        &get(&r, "/v1/stories/999999").await,
        StatusCode::NOT_FOUND,
        "story_not_found",
    );
    assert_error(
        &get(&r, "/v1/stories/abc").await,
        StatusCode::NOT_FOUND,
        "story_not_found",
    );
    assert_error(
        &get(&r, "/v1/stories?since=last%20week").await,
        StatusCode::BAD_REQUEST,
        "invalid_time",
    );
    assert_error(
        &get(&r, "/v1/stories?since=2026-05-01&until=2026-01-01").await,
        StatusCode::BAD_REQUEST,
        "invalid_time",
    );
    assert_error(
        &get(&r, "/v1/stories?k=0").await,
        StatusCode::BAD_REQUEST,
        "k_out_of_range",
    );
    assert_error(
        &get(&r, "/v1/stories?k=ten").await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    );
    assert_error(
        &get(&r, "/v1/stories?colour=red").await,
        StatusCode::BAD_REQUEST,
        "invalid_query",
    );
    assert_error(
        &post_json(&r, "/v1/brief", json!({"topic": "MSMEs", "since": "soon"})).await,
        StatusCode::BAD_REQUEST,
        "invalid_time",
    );
    assert_error(
        &post_json(&r, "/v1/brief", json!({"topic": "MSMEs", "format": "poem"})).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    );
    // An age in the future of every article: no story.
    let (status, list) = get(&r, "/v1/stories?since=1h").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["total"], 0, "{list}");
}

#[tokio::test]
async fn search_filters_by_entity_and_counts_facets_over_its_hits() {
    let r = router(shared_engine());
    let (status, res) = post_json(
        &r,
        "/v1/search",
        json!({"query": "cluster development for MSMEs", "k": 10, "group_by": "article",
               "facets": ["source", "entity"]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{res}");
    let facets = &res["facets"];
    assert!(
        facets.get("category").is_none(),
        "only what was asked: {facets}"
    );
    let articles: HashSet<&str> = res["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["citation"]["article_id"].as_str().unwrap())
        .collect();
    let sourced: u64 = facets["source"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["count"].as_u64().unwrap())
        .sum();
    assert!(
        sourced as usize <= articles.len() && sourced >= 2,
        "{res:#}"
    );
    assert!(
        facets["entity"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["name"] == "SIDBI"),
        "{facets:#}"
    );
    // Only the articles naming SIDBI (in headline or lead): the DIA seed.
    let (_, sidbi) = post_json(
        &r,
        "/v1/search",
        json!({"query": "cluster development for MSMEs", "k": 10, "entities": ["sidbi"]}),
    )
    .await;
    let hits = sidbi["hits"].as_array().unwrap();
    assert!(!hits.is_empty(), "{sidbi:#}");
    assert!(
        hits.iter().all(|h| h["citation"]["source"] == "ANI"),
        "{sidbi:#}"
    );
    let (_, none) = post_json(
        &r,
        "/v1/search",
        json!({"query": "cluster development", "entities": ["No Such Organisation"]}),
    )
    .await;
    assert_eq!(none["hits"].as_array().unwrap().len(), 0, "{none:#}");
    let bad = post_json(
        &r,
        "/v1/search",
        json!({"query": "cluster development", "facets": ["colour"]}),
    )
    .await;
    assert_error(&bad, StatusCode::BAD_REQUEST, "invalid_request");
}

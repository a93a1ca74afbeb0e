//! BM25 (tantivy): acronyms, fiscal-year codes and rupee amounts are findable, titles boost,
//! filters, upserts/deletes, catch-up and rebuild.

mod store_support;

use newsdesk::index::{Bm25Index, Bm25Params, Bm25Query, Filters, IndexSource};
use newsdesk::store::Store;
use store_support::*;

fn business() -> Vec<newsdesk::ingest::Article> {
    vec![
        article(
            "sidbi-1",
            "SIDBI opens cluster fund for small firms",
            "The Small Industries Development Bank of India (SIDBI) will lend ₹1.5 crore per \
             cluster to MSMEs in FY2026-27. The bank said industry associations can apply from \
             April.",
            "KNN",
            "2026-03-18",
        ),
        article(
            "budget-2",
            "Skilling budget raised",
            "The ministry earmarked Rs 1.5 crore for skilling in FY 2026-27, and asked each MSME \
             association to nominate trainers.",
            "ANI",
            "2026-02-01",
        ),
        article(
            "exports-3",
            "Exporters seek tariff relief",
            "Garment makers in Tiruppur asked the government for help with freight costs and \
             delayed payments.",
            "PTI",
            "2025-11-20",
        ),
        article(
            "exports-4",
            "Port traffic update",
            "Garment makers in Tiruppur asked the government for help with tariff costs and \
             delayed payments.",
            "PTI",
            "2025-11-21",
        ),
    ]
}

fn setup(dir: &std::path::Path) -> (Store, Bm25Index) {
    let store = open_store(dir);
    let mut items: Vec<_> = wikinews().iter().map(chunk).collect();
    items.extend(business().iter().map(chunk));
    store.upsert(&items).unwrap();
    let (idx, rep) = Bm25Index::open(&dir.join("bm25"), &store, Bm25Params::default()).unwrap();
    assert!(matches!(rep.source, IndexSource::Rebuilt { .. }));
    assert_eq!(idx.len(), store.counts().unwrap().passages);
    (store, idx)
}

fn articles_of(store: &Store, hits: &[(u64, f32)]) -> Vec<String> {
    hits.iter()
        .map(|(p, _)| store.passage(*p).unwrap().unwrap().article_id)
        .collect()
}

#[test]
fn acronyms_codes_and_amounts_are_findable() {
    let dir = tempfile::tempdir().unwrap();
    let (store, idx) = setup(dir.path());
    let none = Filters::default();
    let top = |q: &str| articles_of(&store, &idx.search(q, 5, &none).unwrap());
    assert_eq!(top("SIDBI")[0], "sidbi-1");
    assert_eq!(top("sidbi's loans")[0], "sidbi-1");
    let msme = top("MSME");
    assert!(
        msme.contains(&"sidbi-1".to_string()) && msme.contains(&"budget-2".to_string()),
        "{msme:?}"
    );
    // Written as one code or with a space, both found; the exact spelling first.
    let fy = top("FY2026-27");
    assert_eq!(fy[0], "sidbi-1", "{fy:?}");
    assert!(fy.contains(&"budget-2".to_string()), "{fy:?}");
    assert_eq!(
        top("FY 2026-27")[..2]
            .iter()
            .filter(|a| a.as_str() == "budget-2" || a.as_str() == "sidbi-1")
            .count(),
        2
    );
    let rupees = top("₹1.5 crore");
    assert!(
        rupees[..2].contains(&"sidbi-1".to_string())
            && rupees[..2].contains(&"budget-2".to_string()),
        "{rupees:?}"
    );
    let rs = top("Rs 1.5 crore");
    assert!(rs[..2].contains(&"sidbi-1".to_string()), "{rs:?}");
    // Stop words alone find nothing; nonsense finds nothing.
    assert!(idx.search("the of and", 5, &none).unwrap().is_empty());
    assert!(idx.search("qwxzzy", 5, &none).unwrap().is_empty());
    // Query syntax characters are just text.
    assert!(idx
        .search("SIDBI AND (\"cluster\" OR -fund:*)", 5, &none)
        .is_ok());
}

#[test]
fn a_title_match_outranks_the_same_body_match() {
    let dir = tempfile::tempdir().unwrap();
    let (store, idx) = setup(dir.path());
    // exports-3 has "tariff" in its title, exports-4 the same word once in an equal-length body.
    let hits = articles_of(
        &store,
        &idx.search("tariff", 2, &Filters::default()).unwrap(),
    );
    assert_eq!(hits, vec!["exports-3", "exports-4"]);
}

#[test]
fn filters_restrict_bm25_results() {
    let dir = tempfile::tempdir().unwrap();
    let (store, idx) = setup(dir.path());
    let f = Filters {
        sources: vec!["ani".into()],
        ..Default::default()
    };
    assert_eq!(
        articles_of(&store, &idx.search("MSME crore", 10, &f).unwrap()),
        vec!["budget-2"]
    );
    let f = Filters {
        published_after: Some(
            chrono::DateTime::parse_from_rfc3339("2026-03-01T00:00:00+05:30").unwrap(),
        ),
        ..Default::default()
    };
    assert_eq!(
        articles_of(&store, &idx.search("MSME crore", 10, &f).unwrap()),
        vec!["sidbi-1"]
    );
    let f = Filters {
        categories: vec!["Apple".into()],
        ..Default::default()
    };
    let hits = idx.search("iPhone", 10, &f).unwrap();
    assert_eq!(hits.len(), 10);
    for (p, _) in hits {
        let a = store
            .article(&store.passage(p).unwrap().unwrap().article_id)
            .unwrap()
            .unwrap();
        assert_eq!(a.category.as_deref(), Some("apple"));
    }
}

#[test]
fn upserts_and_deletes_change_what_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let (store, idx) = setup(dir.path());
    let none = Filters::default();
    let mut a = business().remove(0);
    a.body = "The bank will lend to cooperatives in Assam from next year.".into();
    let o = store.upsert(&[chunk(&a)]).unwrap();
    idx.apply(&store, &o, store.high_water().unwrap().seq)
        .unwrap();
    assert!(idx
        .search("SIDBI", 5, &none)
        .unwrap()
        .iter()
        .all(|(p, _)| !o[0].removed.contains(p)));
    assert_eq!(
        articles_of(&store, &idx.search("Assam cooperatives", 1, &none).unwrap()),
        vec!["sidbi-1"]
    );
    let gone = store.delete("budget-2").unwrap().unwrap();
    idx.remove_article("budget-2", store.high_water().unwrap().seq)
        .unwrap();
    assert!(idx
        .search("skilling trainers", 10, &none)
        .unwrap()
        .iter()
        .all(|(p, _)| !gone.contains(p)));
    assert_eq!(idx.len(), store.counts().unwrap().passages);
}

#[test]
fn restart_catches_up_with_the_store_and_rebuilds_when_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let bm25_dir = dir.path().join("bm25");
    let store = {
        let (store, idx) = setup(dir.path());
        drop(idx);
        store
    };
    // The store moves on without the index (crash before the index heard of it).
    let extra = article(
        "late-5",
        "DPIIT notifies new startup norms",
        "DPIIT notified revised norms for startup recognition on Friday.",
        "KNN",
        "2026-04-02",
    );
    store.upsert(&[chunk(&extra)]).unwrap();
    let gone = store.delete("exports-4").unwrap().unwrap();
    let (idx, rep) = Bm25Index::open(&bm25_dir, &store, Bm25Params::default()).unwrap();
    assert_eq!(rep.source, IndexSource::Loaded);
    // Caught up from the store's change log (one upsert, one delete), not by a full reconcile.
    assert_eq!(rep.replayed_changes, 2, "{rep:?}");
    assert_eq!((rep.caught_up_articles, rep.dropped_passages), (0, 0));
    assert!(idx
        .search("exports", 50, &Filters::default())
        .unwrap()
        .iter()
        .all(|(p, _)| !gone.contains(p)));
    assert_eq!(
        articles_of(
            &store,
            &idx.search("DPIIT", 1, &Filters::default()).unwrap()
        ),
        vec!["late-5"]
    );
    assert_eq!(idx.len(), store.counts().unwrap().passages);
    // The article level caught up too.
    assert_eq!(idx.article_count(), store.counts().unwrap().articles);
    let late = idx
        .search_articles(
            &Bm25Query::parse("DPIIT startup norms"),
            1,
            &Filters::default(),
        )
        .unwrap();
    assert_eq!(
        store.passage(late[0].pids[0]).unwrap().unwrap().article_id,
        "late-5"
    );
    drop(idx);
    // Corrupt a segment file: the checksum catches it and the index is rebuilt.
    let victim = std::fs::read_dir(bm25_dir.join("passages"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.extension()
                .is_some_and(|e| e == "idx" || e == "term" || e == "store")
        })
        .max_by_key(|p| std::fs::metadata(p).unwrap().len())
        .expect("a segment file");
    let mut bytes = std::fs::read(&victim).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&victim, &bytes).unwrap();
    let (idx, rep) = Bm25Index::open(&bm25_dir, &store, Bm25Params::default()).unwrap();
    match &rep.source {
        IndexSource::Rebuilt { reason } => assert!(reason.contains("corrupt"), "{reason}"),
        other => panic!("expected rebuild, got {other:?}"),
    }
    assert_eq!(
        articles_of(
            &store,
            &idx.search("SIDBI", 1, &Filters::default()).unwrap()
        ),
        vec!["sidbi-1"]
    );
    drop(idx);
    // An index directory from another store is never reused.
    let side = bm25_dir.join("NEWSDESK.json");
    let m = std::fs::read_to_string(&side).unwrap();
    let other = m.replace(store.store_id(), "0123456789abcdef0123456789abcdef");
    std::fs::write(&side, other).unwrap();
    let (_, rep) = Bm25Index::open(&bm25_dir, &store, Bm25Params::default()).unwrap();
    assert!(
        matches!(rep.source, IndexSource::Rebuilt { ref reason } if reason.contains("another store"))
    );
}

/// Articles whose passages each hold part of a query, and one passage that holds most of it.
fn spread() -> Vec<newsdesk::ingest::Article> {
    // Long enough for several passages each (the chunker packs about 128 word pieces).
    let filler = |topic: &str, n: usize| -> String {
        (0..n)
            .map(|i| {
                format!("Officials reviewed the {topic} paperwork for district {i} on the day. ")
            })
            .collect()
    };
    vec![
        article(
            "spread-1",
            "Cluster scheme in Ludhiana",
            &format!(
                "SIDBI opened a cluster office in Ludhiana. {}The bicycle makers asked for \
                 working capital. {}Loans for tooling were approved for the hosiery units.",
                filler("cluster", 12),
                filler("lending", 12)
            ),
            "KNN",
            "2026-03-01",
        ),
        article(
            "dense-2",
            "Assorted notes",
            &format!(
                "{}SIDBI tooling loans for bicycle makers were discussed at a Delhi meeting. {}",
                filler("weather", 12),
                filler("transport", 12)
            ),
            "PTI",
            "2026-03-02",
        ),
    ]
}

#[test]
fn article_level_search_scores_whole_articles_and_lists_their_passages() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path());
    let items: Vec<_> = spread().iter().map(chunk).collect();
    let outcomes = store.upsert(&items).unwrap();
    let (idx, _) =
        Bm25Index::open(&dir.path().join("bm25"), &store, Bm25Params::default()).unwrap();
    assert_eq!(idx.article_count(), 2);
    let none = Filters::default();
    let q = Bm25Query::parse("SIDBI Ludhiana bicycle working capital tooling hosiery");
    let arts = idx.search_articles(&q, 5, &none).unwrap();
    assert_eq!(arts.len(), 2);
    // The article that covers every term across its passages leads at the article level ...
    let mut want = outcomes[0].added.clone();
    want.sort_unstable();
    let mut got = arts[0].pids.clone();
    got.sort_unstable();
    assert_eq!(got, want, "the hit lists every passage of spread-1");
    assert!(
        want.len() >= 3,
        "the fixture spans several passages: {want:?}"
    );
    assert!(arts[0].score > arts[1].score);
    // ... while the passage level sees no single passage of it covering them all.
    let q2 = Bm25Query::parse("SIDBI tooling loans bicycle makers");
    let best_passage = idx.search_query(&q2, 1, &none).unwrap();
    assert!(
        outcomes[1].added.contains(&best_passage[0].0),
        "the passage holding all of them is in dense-2"
    );
    // Filters apply at the article level too; a term taken out of the query no longer matches.
    let f = Filters {
        sources: vec!["pti".into()],
        ..Default::default()
    };
    let only = idx.search_articles(&q, 5, &f).unwrap();
    assert_eq!(only.len(), 1);
    assert!(outcomes[1].added.contains(&only[0].pids[0]));
    let mut fewer = Bm25Query::parse("Ludhiana weather");
    fewer.terms.retain(|t| t != "ludhiana");
    let w = idx.search_articles(&fewer, 5, &none).unwrap();
    assert_eq!(w.len(), 1, "only dense-2 mentions the weather");
    // Deleting an article removes it from both levels.
    let gone = store.delete("spread-1").unwrap().unwrap();
    idx.remove_article("spread-1", store.high_water().unwrap().seq)
        .unwrap();
    assert_eq!(idx.article_count(), 1);
    assert!(idx
        .search_articles(&q, 5, &none)
        .unwrap()
        .iter()
        .all(|h| h.pids.iter().all(|p| !gone.contains(p))));
}

#[test]
fn an_index_of_the_old_single_level_layout_is_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let bm25_dir = dir.path().join("bm25");
    let (store, idx) = setup(dir.path());
    drop(idx);
    let side = bm25_dir.join("NEWSDESK.json");
    let m = std::fs::read_to_string(&side).unwrap();
    let v: serde_json::Value = serde_json::from_str(&m).unwrap();
    let old = m.replace(
        &format!("\"format_version\": {}", v["format_version"]),
        "\"format_version\": 1",
    );
    assert_ne!(old, m);
    std::fs::write(&side, old).unwrap();
    let (idx, rep) = Bm25Index::open(&bm25_dir, &store, Bm25Params::default()).unwrap();
    assert!(
        matches!(rep.source, IndexSource::Rebuilt { ref reason } if reason.contains("format 1")),
        "{:?}",
        rep.source
    );
    assert_eq!(idx.len(), store.counts().unwrap().passages);
    assert_eq!(idx.article_count(), store.counts().unwrap().articles);
}

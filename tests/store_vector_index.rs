//! The HNSW index: restart without rebuild, catch-up, rebuild on missing/corrupt/incompatible
//! files, tombstones, filters inside the search with k still returned, compaction.

mod store_support;

use std::collections::HashSet;
use std::time::Instant;

use chrono::{DateTime, FixedOffset};
use newsdesk::index::{Filters, HnswParams, IndexSource, VectorIndex};
use newsdesk::store::Store;
use store_support::*;

fn open(dir: &std::path::Path, store: &Store) -> (VectorIndex, newsdesk::index::VectorOpenReport) {
    VectorIndex::open(&dir.join("hnsw"), store, HnswParams::default()).unwrap()
}

fn queries(store: &Store, n: usize) -> Vec<Vec<f32>> {
    // Perturbed copies of stored passage vectors: realistic near-neighbour queries.
    store
        .iter_passage_vectors(0)
        .unwrap()
        .step_by(7)
        .take(n)
        .map(|r| {
            let (_, v) = r.unwrap();
            let noise = pseudo_embed(&format!("{}", v[0]));
            let mut q: Vec<f32> = v.iter().zip(&noise).map(|(a, b)| a + 0.6 * b).collect();
            let norm = q.iter().map(|x| x * x).sum::<f32>().sqrt();
            q.iter_mut().for_each(|x| *x /= norm);
            q
        })
        .collect()
}

fn ids(r: &[(u64, f32)]) -> Vec<u64> {
    r.iter().map(|x| x.0).collect()
}

#[test]
fn restart_loads_the_saved_graph_and_answers_with_the_same_ids() {
    let dir = tempfile::tempdir().unwrap();
    let store = populated(dir.path());
    let qs = queries(&store, 20);
    let before: Vec<Vec<u64>>;
    {
        let (idx, rep) = open(dir.path(), &store);
        assert!(matches!(rep.source, IndexSource::Rebuilt { .. }), "{rep:?}");
        assert_eq!(idx.live() as u64, store.counts().unwrap().passages);
        before = qs
            .iter()
            .map(|q| ids(&idx.search(q, 10, &Filters::default()).unwrap()))
            .collect();
        assert!(before.iter().all(|r| r.len() == 10));
    }
    drop(store);
    let t = Instant::now();
    let store = open_store(dir.path());
    let (idx, rep) = open(dir.path(), &store);
    let startup = t.elapsed();
    eprintln!(
        "restart: store+index open {:.1} ms ({} points, load {:.1} ms)",
        startup.as_secs_f64() * 1e3,
        rep.points,
        rep.load_seconds * 1e3
    );
    assert_eq!(rep.source, IndexSource::Loaded, "must load, not rebuild");
    assert_eq!(rep.caught_up, 0);
    assert_eq!(rep.rebuild_seconds, 0.0);
    let after: Vec<Vec<u64>> = qs
        .iter()
        .map(|q| ids(&idx.search(q, 10, &Filters::default()).unwrap()))
        .collect();
    assert_eq!(before, after);
}

#[test]
fn an_index_behind_the_store_catches_up_and_honours_deletes() {
    let dir = tempfile::tempdir().unwrap();
    let arts = wikinews();
    let store = open_store(dir.path());
    store
        .upsert(&arts[..100].iter().map(chunk).collect::<Vec<_>>())
        .unwrap();
    {
        let (idx, _) = open(dir.path(), &store);
        idx.save().unwrap();
        // "Crash": the store commits more work but the index never hears of it.
        store
            .upsert(&arts[100..].iter().map(chunk).collect::<Vec<_>>())
            .unwrap();
    }
    let deleted = store.delete(&arts[0].id).unwrap().unwrap();
    let new_info = store.article_info(&arts[150].id).unwrap().unwrap();
    let (idx, rep) = open(dir.path(), &store);
    assert_eq!(rep.source, IndexSource::Loaded);
    let added: usize = arts[100..]
        .iter()
        .map(|a| {
            store
                .article_info(&a.id)
                .unwrap()
                .unwrap()
                .passage_ids
                .len()
        })
        .sum();
    // Caught up from the store's change log, so the consistency check found nothing missing.
    assert_eq!(
        (rep.replayed_passages, rep.caught_up),
        (added, 0),
        "{rep:?}"
    );
    assert_eq!(idx.live() as u64, store.counts().unwrap().passages);
    // A caught-up passage is found by its own vector; a deleted one never is.
    let v = store
        .passage_vector(new_info.passage_ids[0])
        .unwrap()
        .unwrap();
    assert_eq!(
        idx.search(&v, 1, &Filters::default()).unwrap()[0].0,
        new_info.passage_ids[0]
    );
    for pid in &deleted {
        let v = pseudo_embed(&{
            let a = &arts[0];
            let c = chunk(a);
            let i = deleted.iter().position(|p| p == pid).unwrap();
            a.body[c.passages[i].start..c.passages[i].end].to_string()
        });
        let r = idx.search(&v, 10, &Filters::default()).unwrap();
        assert_eq!(r.len(), 10);
        assert!(
            !r.iter().any(|(p, _)| deleted.contains(p)),
            "tombstone returned"
        );
    }
}

#[test]
fn missing_corrupt_or_incompatible_files_are_rebuilt_never_trusted() {
    let dir = tempfile::tempdir().unwrap();
    let store = populated(dir.path());
    let q = queries(&store, 1).remove(0);
    let reference = {
        let (idx, _) = open(dir.path(), &store);
        idx.exact_search(&q, 10)
    };
    let hnsw = dir.path().join("hnsw");
    let gen_dir = || {
        std::fs::read_dir(&hnsw)
            .unwrap()
            .flatten()
            .find(|e| e.file_name().to_string_lossy().starts_with("gen-"))
            .unwrap()
            .path()
    };
    let check = |why: &str| {
        let (idx, rep) = open(dir.path(), &store);
        match &rep.source {
            IndexSource::Rebuilt { reason } => {
                assert!(
                    reason.contains(why),
                    "reason {reason:?} should mention {why:?}"
                )
            }
            other => panic!("expected a rebuild ({why}), got {other:?}"),
        }
        let got = idx.search(&q, 10, &Filters::default()).unwrap();
        let overlap = ids(&got)
            .iter()
            .filter(|p| ids(&reference).contains(p))
            .count();
        assert!(overlap >= 9, "rebuilt index must answer like exact search");
        // and the rebuild was saved: next open loads
        drop(idx);
        let (_, rep) = open(dir.path(), &store);
        assert_eq!(rep.source, IndexSource::Loaded);
    };
    // Corrupt: flip bytes in the middle of the vector data.
    let data = gen_dir().join("graph.hnsw.data");
    let mut bytes = std::fs::read(&data).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    bytes[mid + 1] ^= 0x55;
    std::fs::write(&data, &bytes).unwrap();
    check("corrupt");
    // Truncated graph file.
    let graph = gen_dir().join("graph.hnsw.graph");
    let len = std::fs::metadata(&graph).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&graph)
        .unwrap()
        .set_len(len / 3)
        .unwrap();
    check("corrupt");
    // Manifest from another model.
    let mpath = hnsw.join("MANIFEST.json");
    let m = std::fs::read_to_string(&mpath).unwrap();
    std::fs::write(&mpath, m.replace("53aa51172d14", "ffffffffffff")).unwrap();
    check("incompatible");
    // Garbage manifest.
    std::fs::write(&mpath, "{not json").unwrap();
    check("unreadable");
    // Missing directory.
    std::fs::remove_dir_all(&hnsw).unwrap();
    check("no saved index");
}

#[test]
fn updated_and_deleted_passages_are_never_returned() {
    let dir = tempfile::tempdir().unwrap();
    let arts = wikinews();
    let store = open_store(dir.path());
    store
        .upsert(&arts.iter().map(chunk).collect::<Vec<_>>())
        .unwrap();
    let (idx, _) = open(dir.path(), &store);
    // Update: new body, same id.
    let mut changed = arts[10].clone();
    changed.body = format!("{} Correction appended later.", changed.body);
    let old = chunk(&arts[10]);
    let o = store.upsert(&[chunk(&changed)]).unwrap();
    idx.apply(&store, &o).unwrap();
    assert!(!o[0].removed.is_empty());
    let removed: HashSet<u64> = o[0].removed.iter().copied().collect();
    // Delete another.
    let gone = store.delete(&arts[20].id).unwrap().unwrap();
    idx.remove_article(&arts[20].id, &gone, store.high_water().unwrap().seq);
    let gone_chunk = chunk(&arts[20]);
    for v in old
        .passage_vectors
        .iter()
        .chain(&gone_chunk.passage_vectors)
    {
        let r = idx.search(v, 10, &Filters::default()).unwrap();
        assert_eq!(
            r.len(),
            10,
            "k results even when the nearest are tombstones"
        );
        for (p, _) in &r {
            assert!(
                !removed.contains(p) && !gone.contains(p),
                "tombstone {p} returned"
            );
            assert!(store.passage(*p).unwrap().is_some());
        }
    }
    // The replacement passages are found.
    let newest = store
        .article_info(&changed.id)
        .unwrap()
        .unwrap()
        .passage_ids;
    let v = store.passage_vector(newest[0]).unwrap().unwrap();
    assert_eq!(
        idx.search(&v, 1, &Filters::default()).unwrap()[0].0,
        newest[0]
    );
    // Applying the same outcome twice changes nothing.
    let pts = idx.points();
    idx.apply(&store, &o).unwrap();
    assert_eq!(idx.points(), pts);
    assert!(idx.tombstones() >= removed.len() + gone.len());
}

fn day(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(&format!("{s}T00:00:00+00:00")).unwrap()
}

#[test]
fn filters_apply_inside_the_search_and_k_is_still_returned() {
    let dir = tempfile::tempdir().unwrap();
    let store = populated(dir.path());
    let arts = wikinews();
    let meta: std::collections::HashMap<String, newsdesk::ingest::Article> =
        arts.iter().map(|a| (a.id.clone(), a.clone())).collect();
    let qs = queries(&store, 15);
    // Force the graph walk for every filter (exact_below 0), then the exact path (huge).
    for exact_below in [0usize, usize::MAX] {
        let p = HnswParams {
            exact_below,
            adaptive_exact: false,
            ..HnswParams::default()
        };
        let (idx, _) = VectorIndex::open(&dir.path().join("hnsw"), &store, p).unwrap();
        let cases = vec![
            Filters {
                sources: vec!["wikinews (meantime corpus, topic=apple)".into()],
                ..Default::default()
            },
            Filters {
                categories: vec!["NEWS".into(), "interview".into()],
                ..Default::default()
            },
            Filters {
                published_after: Some(day("2007-01-01")),
                published_before: Some(day("2008-12-31")),
                ..Default::default()
            },
            // Very selective: a single article's passages.
            Filters {
                published_after: Some(day("2008-03-06")),
                published_before: Some(
                    DateTime::parse_from_rfc3339("2008-03-06T23:59:59+00:00").unwrap(),
                ),
                sources: vec!["Wikinews (MEANTIME corpus, topic=apple)".into()],
                ..Default::default()
            },
        ];
        for f in &cases {
            let ok = |pid: u64| {
                let p = store.passage(pid).unwrap().unwrap();
                let a = &meta[&p.article_id];
                let src = a.source.as_deref().unwrap().to_lowercase();
                let cat = a.category.as_deref().unwrap_or("").to_lowercase();
                (f.sources.is_empty() || f.sources.iter().any(|s| s.to_lowercase() == src))
                    && (f.categories.is_empty()
                        || f.categories.iter().any(|c| c.to_lowercase() == cat))
                    && f.published_after.is_none_or(|d| a.published.unwrap() >= d)
                    && f.published_before.is_none_or(|d| a.published.unwrap() <= d)
            };
            let matching: Vec<u64> = {
                let mut v = Vec::new();
                store.scan_passages(0, |p, _| v.push(p)).unwrap();
                v.into_iter().filter(|p| ok(*p)).collect()
            };
            assert!(!matching.is_empty(), "test filter matches nothing: {f:?}");
            let mut walked = 0;
            for q in &qs {
                let (r, path) = idx.search_traced(q, 10, f).unwrap();
                assert_eq!(r.len(), 10.min(matching.len()), "{f:?} via {path}");
                assert!(
                    r.iter().all(|(p, _)| ok(*p)),
                    "non-matching result for {f:?}"
                );
                if exact_below == usize::MAX {
                    assert_eq!(path, "exact");
                }
                walked += (path == "hnsw+filter") as usize;
                // Same answer as an exact scan of the matching set.
                let want: Vec<(u64, Vec<f32>)> = matching
                    .iter()
                    .map(|p| (*p, store.passage_vector(*p).unwrap().unwrap()))
                    .collect();
                let exact = newsdesk::index::exact_search(
                    want.iter().map(|(p, v)| (*p, v.as_slice())),
                    q,
                    10,
                );
                let hit = ids(&r).iter().filter(|p| ids(&exact).contains(p)).count();
                assert!(
                    hit >= 9.min(exact.len()),
                    "{f:?} via {path}: {hit}/10 of exact"
                );
            }
            if exact_below == 0 && matching.len() > 100 {
                // The filter works inside the graph walk, not only through the fallback.
                assert!(
                    walked * 10 >= qs.len() * 8,
                    "{f:?}: only {walked} of {} walked",
                    qs.len()
                );
            }
        }
        let none = Filters {
            sources: vec!["No Such Wire".into()],
            ..Default::default()
        };
        assert!(idx.search(&qs[0], 10, &none).unwrap().is_empty());
    }
}

#[test]
fn many_tombstones_trigger_compaction_on_save() {
    let dir = tempfile::tempdir().unwrap();
    let store = populated(dir.path());
    let (idx, _) = open(dir.path(), &store);
    let arts = wikinews();
    for a in &arts[..70] {
        let gone = store.delete(&a.id).unwrap().unwrap();
        idx.remove_article(&a.id, &gone, store.high_water().unwrap().seq);
    }
    assert!(idx.tombstones() > 0);
    let rep = idx.save().unwrap();
    assert!(rep.compacted);
    assert_eq!(idx.tombstones(), 0);
    assert_eq!(idx.points(), idx.live());
    let q = queries(&store, 1).remove(0);
    assert_eq!(idx.search(&q, 10, &Filters::default()).unwrap().len(), 10);
}

#[test]
fn concurrent_searches_while_applying_writes() {
    let dir = tempfile::tempdir().unwrap();
    let arts = wikinews();
    let store = open_store(dir.path());
    store
        .upsert(&arts[..60].iter().map(chunk).collect::<Vec<_>>())
        .unwrap();
    let (idx, _) = open(dir.path(), &store);
    let qs = queries(&store, 8);
    std::thread::scope(|s| {
        for t in 0..3 {
            let idx = &idx;
            let qs = &qs;
            s.spawn(move || {
                for i in 0..200 {
                    let r = idx
                        .search(&qs[(i + t) % qs.len()], 10, &Filters::default())
                        .unwrap();
                    assert_eq!(r.len(), 10);
                }
            });
        }
        for batch in arts[60..].chunks(20) {
            let o = store
                .upsert(&batch.iter().map(chunk).collect::<Vec<_>>())
                .unwrap();
            idx.apply(&store, &o).unwrap();
        }
    });
    assert_eq!(idx.live() as u64, store.counts().unwrap().passages);
}

#[test]
fn a_wrong_query_dimension_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let store = populated(dir.path());
    let (idx, _) = open(dir.path(), &store);
    assert!(idx.search(&[0.1; 10], 5, &Filters::default()).is_err());
}

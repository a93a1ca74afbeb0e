//! Both indexes together, driven the way the ingest pipeline drives them: upsert into the
//! store, then apply the in-memory items (no store reads), save, restart.

mod store_support;

use newsdesk::index::{Bm25Params, Filters, HnswParams, IndexSource, Indexes};
use store_support::*;

#[test]
fn pipeline_apply_save_and_restart_keep_both_indexes_equal_to_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let arts = wikinews();
    let q_text = "Boeing 787 Dreamliner delivery delay";
    let (dense_before, bm25_before, q) = {
        let store = open_store(dir.path());
        let (idx, rep) = Indexes::open(
            dir.path(),
            &store,
            HnswParams::default(),
            Bm25Params::default(),
        )
        .unwrap();
        assert!(matches!(rep.vector.source, IndexSource::Rebuilt { .. }));
        for batch in arts.chunks(32) {
            let items: Vec<_> = batch.iter().map(chunk).collect();
            let outcomes = store.upsert(&items).unwrap();
            idx.apply_items(&items, &outcomes, store.high_water().unwrap().seq)
                .unwrap();
        }
        // An update and a delete through the same path.
        let mut changed = arts[1].clone();
        changed.title = "Renamed headline".into();
        changed.body.push_str(" Updated at noon.");
        let items = vec![chunk(&changed)];
        let o = store.upsert(&items).unwrap();
        idx.apply_items(&items, &o, store.high_water().unwrap().seq)
            .unwrap();
        let gone = store.delete(&arts[2].id).unwrap().unwrap();
        idx.remove_article(&arts[2].id, &gone, store.high_water().unwrap().seq)
            .unwrap();
        idx.save().unwrap();
        let n = store.counts().unwrap().passages;
        assert_eq!(idx.vector.live() as u64, n);
        assert_eq!(idx.bm25.len(), n);
        let q = store
            .passage_vector(
                store
                    .article_info(&arts[40].id)
                    .unwrap()
                    .unwrap()
                    .passage_ids[0],
            )
            .unwrap()
            .unwrap();
        let d = idx.vector.search(&q, 10, &Filters::default()).unwrap();
        let b = idx.bm25.search(q_text, 10, &Filters::default()).unwrap();
        assert_eq!(d.len(), 10);
        assert!(!b.is_empty());
        for (p, _) in d.iter().chain(&b) {
            assert!(
                store.passage(*p).unwrap().is_some(),
                "index returned a dead passage"
            );
            assert!(!gone.contains(p));
        }
        (d, b, q)
    };
    let store = open_store(dir.path());
    let (idx, rep) = Indexes::open(
        dir.path(),
        &store,
        HnswParams::default(),
        Bm25Params::default(),
    )
    .unwrap();
    assert_eq!(rep.vector.source, IndexSource::Loaded);
    assert_eq!(rep.vector.caught_up, 0);
    assert_eq!(rep.bm25.source, IndexSource::Loaded);
    assert_eq!(rep.bm25.caught_up_articles, 0);
    assert_eq!(
        idx.vector.search(&q, 10, &Filters::default()).unwrap(),
        dense_before
    );
    assert_eq!(
        idx.bm25.search(q_text, 10, &Filters::default()).unwrap(),
        bm25_before
    );
}

#[test]
fn per_passage_insert_and_remove_keep_filters_right() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path());
    let (idx, _) = Indexes::open(
        dir.path(),
        &store,
        HnswParams::default(),
        Bm25Params::default(),
    )
    .unwrap();
    let arts = wikinews();
    let items: Vec<_> = arts.iter().map(chunk).collect();
    let outcomes = store.upsert(&items).unwrap();
    for (item, o) in items.iter().zip(&outcomes) {
        for (pid, v) in o.added.iter().zip(&item.passage_vectors) {
            idx.vector.insert(*pid, v, &item.article).unwrap();
        }
    }
    let f = Filters {
        categories: vec!["boeing".into()],
        ..Default::default()
    };
    let boeing: Vec<u64> = items
        .iter()
        .zip(&outcomes)
        .filter(|(i, _)| i.article.category.as_deref() == Some("boeing"))
        .flat_map(|(_, o)| o.added.clone())
        .collect();
    let q = &items[0].passage_vectors[0];
    let r = idx.vector.search(q, 10, &f).unwrap();
    assert_eq!(r.len(), 10.min(boeing.len()));
    assert!(r.iter().all(|(p, _)| boeing.contains(p)));
    // Remove half the Boeing passages one call at a time: never returned, k still met.
    let (dead, alive) = boeing.split_at(boeing.len() / 2);
    idx.vector.remove(dead);
    let r = idx.vector.search(q, 10, &f).unwrap();
    assert_eq!(r.len(), 10.min(alive.len()));
    assert!(r.iter().all(|(p, _)| alive.contains(p)));
    assert!(idx
        .vector
        .insert(999_999, &[0.5; 3], &items[0].article)
        .is_err());
}

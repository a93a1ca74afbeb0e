//! The store's change sequence and the indexes that follow it: every commit gets the next
//! sequence number and records what it upserted and deleted; an index checkpoint records the
//! sequence it covers, and an index that is behind replays the log from there (and never needs
//! a checkpoint per write).

mod store_support;

use newsdesk::index::{Bm25Params, Bm25Query, Filters, HnswParams, IndexSource, Indexes};
use newsdesk::store::ChangesSince;
use store_support::*;

fn open(
    dir: &std::path::Path,
    store: &newsdesk::store::Store,
) -> (Indexes, newsdesk::index::IndexesOpenReport) {
    Indexes::open(dir, store, HnswParams::default(), Bm25Params::default()).unwrap()
}

#[test]
fn every_commit_gets_the_next_sequence_and_lists_what_it_changed() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(dir.path());
    let arts = wikinews();
    let o1 = store.upsert(&[chunk(&arts[0]), chunk(&arts[1])]).unwrap();
    // The same content again changes nothing and takes no sequence number.
    store.upsert(&[chunk(&arts[0])]).unwrap();
    let mut changed = arts[0].clone();
    changed.body.push_str(" A late paragraph.");
    let o2 = store.upsert(&[chunk(&changed)]).unwrap();
    let gone = store.delete(&arts[1].id).unwrap().unwrap();
    assert!(store.delete("no-such-id").unwrap().is_none());
    assert_eq!(store.high_water().unwrap().seq, 3);

    let ChangesSince::Complete(all) = store.changes_since(0).unwrap() else {
        panic!("the log reaches back to the start")
    };
    let seqs: Vec<u64> = all.iter().map(|c| c.seq).collect();
    assert_eq!(seqs, vec![1, 2, 3]);
    assert_eq!(all[0].upserted.len(), 2);
    assert_eq!(all[0].upserted[0].added, o1[0].added);
    assert_eq!(all[1].upserted[0].id, arts[0].id);
    assert_eq!(all[1].upserted[0].removed, o1[0].added, "the old passages");
    assert_eq!(all[1].upserted[0].added, o2[0].added);
    assert!(all[2].upserted.is_empty());
    assert_eq!(all[2].deleted[0].id, arts[1].id);
    assert_eq!(all[2].deleted[0].removed, gone);
    let ChangesSince::Complete(tail) = store.changes_since(2).unwrap() else {
        panic!()
    };
    assert_eq!(tail.len(), 1);
    assert_eq!(
        store.changes_since(3).unwrap(),
        ChangesSince::Complete(Vec::new())
    );
}

#[test]
fn indexes_behind_the_store_replay_the_log_at_open() {
    let dir = tempfile::tempdir().unwrap();
    let arts = wikinews();
    {
        let store = open_store(dir.path());
        let (idx, _) = open(dir.path(), &store);
        let items: Vec<_> = arts[..20].iter().map(chunk).collect();
        let o = store.upsert(&items).unwrap();
        idx.apply_items(&items, &o, store.high_water().unwrap().seq)
            .unwrap();
        let rep = idx.save().unwrap();
        assert_eq!(rep.covers_seq, 1);
        // Written after the checkpoint, and applied in memory only: a crash before the next
        // checkpoint. Then a commit the indexes never saw at all (a crash between the store's
        // commit and the index update), and a delete.
        let items: Vec<_> = arts[20..30].iter().map(chunk).collect();
        let o = store.upsert(&items).unwrap();
        idx.apply_items(&items, &o, store.high_water().unwrap().seq)
            .unwrap();
        store.upsert(&[chunk(&arts[30])]).unwrap();
        store.delete(&arts[0].id).unwrap().unwrap();
        assert_eq!(store.high_water().unwrap().seq, 4);
        // Dropped without a checkpoint.
    }
    let store = open_store(dir.path());
    let (idx, rep) = open(dir.path(), &store);
    assert_eq!(
        rep.vector.source,
        IndexSource::Loaded,
        "the checkpoint is used"
    );
    assert_eq!(rep.vector.replayed_changes, 3, "changes 2, 3 and 4");
    assert_eq!(rep.vector.caught_up, 0, "the log alone caught it up");
    assert_eq!(rep.bm25.replayed_changes, 2, "BM25 had committed change 2");
    let live = store.counts().unwrap().passages;
    assert_eq!(idx.vector.live() as u64, live);
    assert_eq!(idx.bm25.len(), live);
    // The article only the store had is found by both searches; the deleted one by neither.
    let late = &arts[30];
    let q = Bm25Query::parse(&late.title);
    let hits = idx.bm25.search_query(&q, 3, &Filters::default()).unwrap();
    let late_pids = store.article_info(&late.id).unwrap().unwrap().passage_ids;
    assert!(hits.iter().any(|(p, _)| late_pids.contains(p)), "{hits:?}");
    let v = pseudo_embed(&late.body[..late.body.len().min(200)]);
    let _ = idx.vector.search(&v, 5, &Filters::default()).unwrap();
    for p in &late_pids {
        assert!(idx.vector.contains(*p), "passage {p} of the late article");
    }
    let deleted = Bm25Query::parse(&arts[0].title);
    let first_pids: Vec<u64> = idx
        .bm25
        .search_query(&deleted, 50, &Filters::default())
        .unwrap()
        .into_iter()
        .map(|h| h.0)
        .collect();
    assert!(first_pids
        .iter()
        .all(|p| store.passage(*p).unwrap().is_some()));
    assert_eq!(idx.vector.covered_seq(), 4);
    assert_eq!(idx.bm25.covered_seq(), 4);
}

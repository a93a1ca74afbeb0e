//! The store: manifest refusal, acknowledged-after-commit durability across a crash, round trips.

mod store_support;

use newsdesk::store::{Store, StoreError, Upsert};
use store_support::*;

#[test]
fn a_store_built_with_another_model_or_chunker_is_refused_and_left_intact() {
    let dir = tempfile::tempdir().unwrap();
    let n = {
        let s = populated(dir.path());
        s.counts().unwrap()
    };
    for change in 0..4 {
        let mut m = manifest();
        match change {
            0 => m.model_sha256 = "00".repeat(32),
            1 => m.dim = 768,
            2 => m.passage_budget = 256,
            _ => m.format_version += 1,
        }
        let err = Store::open(dir.path(), &m).unwrap_err();
        let StoreError::ManifestMismatch { stored, wanted, .. } = &err else {
            panic!("expected ManifestMismatch, got {err}");
        };
        assert_ne!(stored, wanted);
        assert!(err.to_string().contains("fresh data"), "{err}");
    }
    // Refusal wrote nothing: the original opens and holds the same data.
    let s = open_store(dir.path());
    assert_eq!(s.counts().unwrap(), n);
}

#[test]
fn round_trip_of_articles_sentences_passages_and_vectors() {
    let dir = tempfile::tempdir().unwrap();
    let arts = wikinews();
    let first = chunk(&arts[0]);
    {
        let s = open_store(dir.path());
        let o = s.upsert(std::slice::from_ref(&first)).unwrap();
        assert_eq!(o[0].status, Upsert::Added);
        assert_eq!(o[0].added.len(), first.passages.len());
    }
    let s = open_store(dir.path());
    let a = s.article(&arts[0].id).unwrap().unwrap();
    assert_eq!(a, arts[0]);
    assert_eq!(
        s.content_hash(&arts[0].id).unwrap().as_deref(),
        Some(first.content_hash.as_str())
    );
    assert_eq!(s.content_hash("no-such-article").unwrap(), None);
    let sents = s.sentences(&arts[0].id).unwrap();
    assert_eq!(sents.len(), first.sentences.len());
    for ((span, v), (want_span, want_v)) in sents
        .iter()
        .zip(first.sentences.iter().zip(&first.sentence_vectors))
    {
        assert_eq!(span, want_span);
        assert_eq!(v, want_v);
    }
    // A range of sentence vectors read in place gives the same vectors, in order, and only
    // that range; past the end it gives none.
    let snap = s.snapshot().unwrap();
    let (from, to) = (1, sents.len().min(4));
    let mut got: Vec<Vec<f32>> = Vec::new();
    let n = snap
        .for_sentence_vectors(&arts[0].id, from, to, |v| got.push(v.to_vec()))
        .unwrap();
    assert_eq!(n, to - from);
    assert_eq!(got, first.sentence_vectors[from..to].to_vec());
    let past = snap
        .for_sentence_vectors(&arts[0].id, sents.len(), sents.len() + 3, |_| ())
        .unwrap();
    assert_eq!(past, 0);
    drop(snap);
    let info = s.article_info(&arts[0].id).unwrap().unwrap();
    for (pid, p) in info.passage_ids.iter().zip(&first.passages) {
        let (sp, text) = s.passage_text(*pid).unwrap().unwrap();
        assert_eq!((sp.start, sp.end), (p.start, p.end));
        assert_eq!(text, &a.body[p.start..p.end]);
        assert_eq!(sp.article_id, a.id);
    }
    let v = s.passage_vector(info.passage_ids[0]).unwrap().unwrap();
    assert_eq!(v, first.passage_vectors[0]);
    let streamed: Vec<u64> = s
        .iter_passage_vectors(0)
        .unwrap()
        .map(|r| r.unwrap().0)
        .collect();
    assert_eq!(streamed, info.passage_ids);
}

#[test]
fn delete_removes_everything_and_ids_are_never_reused() {
    let dir = tempfile::tempdir().unwrap();
    let s = populated(dir.path());
    let before = s.counts().unwrap();
    let hw = s.high_water().unwrap();
    let id = wikinews()[3].id.clone();
    let info = s.article_info(&id).unwrap().unwrap();
    let removed = s.delete(&id).unwrap().unwrap();
    assert_eq!(removed, info.passage_ids);
    assert_eq!(s.delete(&id).unwrap(), None, "second delete is a no-op");
    assert!(s.article(&id).unwrap().is_none());
    assert!(s.sentences(&id).unwrap().is_empty());
    for p in &removed {
        assert!(s.passage(*p).unwrap().is_none());
        assert!(s.passage_vector(*p).unwrap().is_none());
    }
    let after = s.counts().unwrap();
    assert_eq!(after.articles, before.articles - 1);
    assert_eq!(after.passages, before.passages - removed.len() as u64);
    // Re-adding gets fresh ids above the old high-water mark.
    let o = s.upsert(&[chunk(&wikinews()[3])]).unwrap();
    assert!(o[0].added.iter().all(|p| *p > hw.last_pid));
}

/// A write is acknowledged only after commit: a process that aborts right after `upsert`
/// returns (no destructors, no flush) leaves the data readable.
#[test]
fn acknowledged_writes_survive_a_process_abort() {
    if let Ok(dir) = std::env::var("NEWSDESK_TEST_ABORT_DIR") {
        let s = open_store(std::path::Path::new(&dir));
        let arts = wikinews();
        s.upsert(&arts[..20].iter().map(chunk).collect::<Vec<_>>())
            .unwrap();
        s.delete(&arts[5].id).unwrap();
        std::process::abort();
    }
    let dir = tempfile::tempdir().unwrap();
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "acknowledged_writes_survive_a_process_abort",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("NEWSDESK_TEST_ABORT_DIR", dir.path())
        .status()
        .unwrap();
    assert!(!status.success(), "the child must have aborted");
    let s = open_store(dir.path());
    let c = s.counts().unwrap();
    assert_eq!(c.articles, 19);
    let arts = wikinews();
    assert!(s.article(&arts[5].id).unwrap().is_none());
    assert_eq!(s.article(&arts[19].id).unwrap().unwrap(), arts[19]);
}

#[test]
fn a_second_process_cannot_open_the_same_store() {
    let dir = tempfile::tempdir().unwrap();
    let _s = open_store(dir.path());
    match Store::open(dir.path(), &manifest()) {
        Err(StoreError::Locked(_)) => {}
        other => panic!("expected Locked, got {other:?}"),
    }
}

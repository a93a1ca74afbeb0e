//! Headline context in the vectors: a new data dir embeds every passage and sentence with its
//! article's headline; a data dir built before that keeps embedding without it, so its old and
//! new vectors stay comparable.

mod common;

use newsdesk::engine::{Engine, EngineConfig, FORMAT_VERSION};
use newsdesk::index::Filters;
use newsdesk::ingest::IngestOptions;
use newsdesk::store::{read_manifest, EmbedContext, Store, StoreManifest};

/// Ingests the KNN seed and returns, for its best "SIDBI" passage and its first sentence, the
/// cosine of the stored vector with a fresh embedding of (headline + text) and of the text alone.
fn stored_vs_fresh(engine: &Engine) -> [(f32, f32); 2] {
    let seed = std::fs::read(&common::seed_paths()[0]).unwrap();
    let r = engine
        .ingest_bytes(&seed, None, &IngestOptions::default())
        .unwrap();
    assert_eq!(r.added, 1, "{r:?}");
    let mut reader = engine.reader().unwrap();
    let q = newsdesk::index::Bm25Query::parse("SIDBI");
    let (pid, _) = reader.bm25(&q, 1, &Filters::default()).unwrap()[0];
    let p = reader.passage(pid).unwrap().unwrap();
    let title = p.article.title.clone();
    assert!(!title.is_empty());
    let ptext = p.article.body[p.span.start..p.span.end].to_string();
    let sentences = reader.sentences(&p.article.id).unwrap();
    let s0 = &sentences[0];
    let stext = p.article.body[s0.span.start..s0.span.end].to_string();
    let v = engine
        .embed_texts_blocking(vec![
            format!("{title}\n{ptext}"),
            ptext,
            format!("{title}\n{stext}"),
            stext,
        ])
        .unwrap();
    let sims = reader
        .similarities(&v[0], &[pid])
        .unwrap()
        .into_iter()
        .chain(reader.similarities(&v[1], &[pid]).unwrap())
        .map(Option::unwrap)
        .collect::<Vec<_>>();
    let dot = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>();
    [
        (sims[0], sims[1]),
        (dot(&s0.vector, &v[2]), dot(&s0.vector, &v[3])),
    ]
}

#[test]
fn a_new_data_dir_embeds_passages_and_sentences_with_their_headline() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let engine = Engine::open(EngineConfig::new(&data)).unwrap();
    for (with, without) in stored_vs_fresh(&engine) {
        assert!(with > 0.999, "stored vector is headline + text: {with}");
        assert!(without < 0.99, "and not the text alone: {without}");
    }
    drop(engine);
    assert_eq!(
        read_manifest(&data).unwrap().unwrap().context,
        EmbedContext::Title
    );
}

#[test]
fn a_data_dir_built_without_context_keeps_embedding_without_it() {
    let dir = tempfile::tempdir().unwrap();
    let probe = Engine::open(EngineConfig::new(dir.path().join("probe"))).unwrap();
    let info = probe.model().clone();
    drop(probe);
    // A store as an older newsdesk wrote it: same model, no headline context.
    let data = dir.path().join("old");
    let old = StoreManifest {
        model_name: info.name,
        model_sha256: info.sha256,
        dim: info.dim,
        passage_budget: EngineConfig::new(&data).passage_budget,
        format_version: FORMAT_VERSION,
        context: EmbedContext::None,
    };
    drop(Store::open(&data, &old).unwrap());
    let engine = Engine::open(EngineConfig::new(&data)).unwrap();
    for (with, without) in stored_vs_fresh(&engine) {
        assert!(
            without > 0.999,
            "stored vector is the text alone: {without}"
        );
        assert!(with < 0.99, "{with}");
    }
    drop(engine);
    assert_eq!(
        read_manifest(&data).unwrap().unwrap().context,
        EmbedContext::None
    );
}

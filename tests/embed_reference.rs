//! The fast encoder reproduces sentence-transformers' all-MiniLM-L6-v2 (fp32, PyTorch) on the
//! 226 reference texts in fixtures/minilm-reference.jsonl: cosine ≥ 0.999 on every row, with the
//! same truncation (256 word pieces including [CLS]/[SEP]).

use newsdesk::embed::{cosine, default_model_dir, kernels::Isa, Embedder, DIM};
use std::sync::OnceLock;

struct Row {
    kind: String,
    text: String,
    word_pieces_with_specials: usize,
    truncated_to: usize,
    embedding: Vec<f32>,
}

fn rows() -> &'static [Row] {
    static ROWS: OnceLock<Vec<Row>> = OnceLock::new();
    ROWS.get_or_init(|| {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/minilm-reference.jsonl"
        );
        let text = std::fs::read_to_string(path).expect("fixtures/minilm-reference.jsonl");
        text.lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                Row {
                    kind: v["kind"].as_str().unwrap().to_string(),
                    text: v["text"].as_str().unwrap().to_string(),
                    word_pieces_with_specials: v["word_pieces_with_specials"].as_u64().unwrap()
                        as usize,
                    truncated_to: v["truncated_to"].as_u64().unwrap() as usize,
                    embedding: v["embedding"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|x| x.as_f64().unwrap() as f32)
                        .collect(),
                }
            })
            .collect()
    })
}

fn embedder() -> &'static Embedder {
    static E: OnceLock<Embedder> = OnceLock::new();
    E.get_or_init(|| Embedder::load(&default_model_dir()).expect("model loads"))
}

#[test]
fn fixture_is_complete() {
    let rows = rows();
    assert_eq!(rows.len(), 226);
    assert!(rows.iter().all(|r| r.embedding.len() == DIM));
    assert!(
        rows.iter()
            .filter(|r| r.truncated_to < r.word_pieces_with_specials)
            .count()
            >= 29
    );
    assert!(rows.iter().any(|r| r.kind == "edge" && r.text.is_empty()));
}

#[test]
fn every_reference_row_matches_bulk_path() {
    let rows = rows();
    let e = embedder();
    let texts: Vec<&str> = rows.iter().map(|r| r.text.as_str()).collect();
    let got = e.embed_batch(&texts).unwrap();
    assert_eq!(got.len(), rows.len());
    let mut worst = (f32::MAX, 0usize);
    for (i, (r, v)) in rows.iter().zip(&got).enumerate() {
        assert_eq!(v.len(), DIM);
        let norm: f32 = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "row {i} not normalised: {norm}");
        let c = cosine(v, &r.embedding);
        if c < worst.0 {
            worst = (c, i);
        }
        assert!(c >= 0.999, "row {i} ({}, {:?}): cosine {c}", r.kind, r.text);
    }
    eprintln!(
        "min cosine over {} rows: {:.7} (row {}, {}) on {}",
        rows.len(),
        worst.0,
        worst.1,
        rows[worst.1].kind,
        e.isa().name()
    );
}

#[test]
fn truncation_and_word_piece_counts_match_reference() {
    let e = embedder();
    for r in rows() {
        let ids = e.tokenize(&r.text).unwrap();
        assert_eq!(ids.len(), r.truncated_to, "{:?}", r.text);
        assert_eq!(ids.len(), r.truncated_to.min(256));
        assert_eq!(
            e.count_word_pieces(&r.text) + 2,
            r.word_pieces_with_specials,
            "{:?}",
            r.text
        );
    }
}

#[test]
fn query_path_matches_reference() {
    let e = embedder();
    for r in rows()
        .iter()
        .filter(|r| r.kind.contains("question") || r.kind == "query" || r.kind == "edge")
    {
        let v = e.embed_query(&r.text).unwrap();
        let c = cosine(&v, &r.embedding);
        assert!(c >= 0.999, "{:?}: cosine {c}", r.text);
    }
}

#[test]
fn other_instruction_sets_match_reference() {
    let e = embedder();
    let picks: Vec<&Row> = rows().iter().step_by(9).collect();
    let texts: Vec<&str> = picks.iter().map(|r| r.text.as_str()).collect();
    let mut isas = vec![Isa::Portable];
    if e.isa() == Isa::Avx512 {
        isas.push(Isa::Avx2);
    }
    for isa in isas {
        let got = e.embed_batch_with_isa(&texts, isa).unwrap();
        for (r, v) in picks.iter().zip(&got) {
            let c = cosine(v, &r.embedding);
            assert!(c >= 0.999, "{isa:?} {:?}: cosine {c}", r.text);
        }
    }
}

#[test]
fn candle_reference_path_agrees() {
    let e = embedder();
    let picks: Vec<&Row> = rows().iter().step_by(15).collect();
    let texts: Vec<&str> = picks.iter().map(|r| r.text.as_str()).collect();
    let reference = e.embed_batch_reference(&texts).unwrap();
    let fast = e.embed_batch(&texts).unwrap();
    for ((r, a), b) in picks.iter().zip(&reference).zip(&fast) {
        assert!(cosine(a, &r.embedding) >= 0.999, "candle path {:?}", r.text);
        assert!(cosine(a, b) >= 0.9999, "fast vs candle {:?}", r.text);
    }
}

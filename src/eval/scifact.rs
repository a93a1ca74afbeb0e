//! `newsdesk eval scifact DIR`: BEIR SciFact (or any BEIR folder). Every document becomes an
//! article (title + abstract); every judged query is run through the vector index alone, BM25
//! alone and newsdesk's hybrid retrieval ([`crate::answer::retrieve`]). Passages are mapped to
//! their documents, a document ranking where its best passage does; nDCG@10, recall@100 and
//! MRR@10 follow the BEIR definitions ([`super::ir`]).

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use anyhow::Result;
use serde_json::json;

use super::common::{
    embed_all, eval_article, ingest_all, open_workspace, print_table, r4, Workspace,
};
use super::data::{load_beir, take_limit};
use super::ir::{dedup_ranked, evaluate, IrScores, Run};
use crate::answer::retrieve::{retrieve, Mode};
use crate::index::Filters;

/// Documents ranked per query (the cut of recall@100).
const DOCS: usize = 100;
/// Passages read per list to fill `DOCS` documents (abstracts hold a few passages each).
const PASSAGES: usize = 400;

/// Runs the evaluation and prints a table and one JSON line:
/// `{"dense": {"ndcg@10", "recall@100", "mrr@10"}, "bm25": {…}, "hybrid": {…}}`.
pub fn run_eval_scifact(
    dir: &Path,
    data: Option<&Path>,
    limit: Option<usize>,
    model_dir: &Path,
) -> Result<()> {
    let beir = load_beir(dir)?;
    let total_queries = beir.queries.len();
    let queries = take_limit(beir.queries.clone(), limit);
    eprintln!(
        "scifact: {} documents, {} of {} judged queries ({} split)",
        beir.corpus.len(),
        queries.len(),
        total_queries,
        beir.split
    );
    let ws = open_workspace(data, model_dir)?;
    let articles = beir
        .corpus
        .iter()
        .map(|d| eval_article(&d.id, &d.title, &d.text, None))
        .collect::<Result<Vec<_>>>()?;
    ingest_all(&ws, articles, "corpus")?;

    let texts: Vec<String> = queries.iter().map(|q| q.text.clone()).collect();
    let started = Instant::now();
    let vecs = embed_all(&ws, &texts, "queries")?;
    let mut docs = DocOf::default();
    let filters = Filters::default();
    let mut runs: [Run; 3] = Default::default();
    for (q, v) in queries.iter().zip(&vecs) {
        let dense = ws.engine.dense(v, PASSAGES, &filters)?;
        let bm25 = ws.engine.bm25(&q.text, PASSAGES, &filters)?;
        let hybrid = retrieve(&ws.engine, &q.text, v, PASSAGES, &filters, Mode::Hybrid)?;
        let hybrid: Vec<(u64, f32)> = hybrid.iter().map(|h| (h.pid, h.score)).collect();
        for (run, list) in runs.iter_mut().zip([&dense, &bm25, &hybrid]) {
            run.insert(q.id.clone(), docs.rank(&ws, list)?);
        }
    }
    let per_query_ms = started.elapsed().as_secs_f64() * 1000.0 / queries.len().max(1) as f64;
    let [dense, bm25, hybrid] = runs.map(|r| evaluate(&r, &beir.qrels));
    report(
        &beir.split,
        queries.len(),
        per_query_ms,
        &dense,
        &bm25,
        &hybrid,
    );
    Ok(())
}

/// Passage id → document id, read once per passage.
#[derive(Default)]
struct DocOf(HashMap<u64, String>);

impl DocOf {
    fn rank(&mut self, ws: &Workspace, passages: &[(u64, f32)]) -> Result<Vec<String>> {
        let mut ids = Vec::with_capacity(passages.len());
        for &(pid, _) in passages {
            if let Some(d) = self.0.get(&pid) {
                ids.push(d.clone());
                continue;
            }
            if let Some(p) = ws.engine.passage(pid)? {
                self.0.insert(pid, p.article.id.clone());
                ids.push(p.article.id.clone());
            }
        }
        let mut ranked = dedup_ranked(ids);
        ranked.truncate(DOCS);
        Ok(ranked)
    }
}

fn report(
    split: &str,
    n: usize,
    per_query_ms: f64,
    dense: &IrScores,
    bm25: &IrScores,
    hybrid: &IrScores,
) {
    let row = |name: &str, s: &IrScores| {
        vec![
            name.to_string(),
            format!("{:.4}", s.ndcg10),
            format!("{:.4}", s.recall100),
            format!("{:.4}", s.mrr10),
        ]
    };
    print_table(
        &format!(
            "SciFact ({split} queries: {n}; {per_query_ms:.1} ms/query for all three retrievers)"
        ),
        &["system", "nDCG@10", "recall@100", "MRR@10"],
        &[
            row("dense", dense),
            row("bm25", bm25),
            row("hybrid", hybrid),
        ],
    );
    let obj = |s: &IrScores| json!({"ndcg@10": r4(s.ndcg10), "recall@100": r4(s.recall100), "mrr@10": r4(s.mrr10)});
    println!(
        "{}",
        json!({"dense": obj(dense), "bm25": obj(bm25), "hybrid": obj(hybrid)})
    );
}

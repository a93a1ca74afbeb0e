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
use crate::answer::retrieve::{fuse, retrieve, Fusion, Mode};
use crate::answer::ArticleCache;
use crate::index::Filters;

/// Documents ranked per query (the cut of recall@100).
const DOCS: usize = 100;
/// Passages read per list to fill `DOCS` documents (abstracts hold a few passages each).
const PASSAGES: usize = 400;

/// What one SciFact run measured.
#[derive(Debug, Clone)]
pub struct ScifactReport {
    /// The qrels split evaluated.
    pub split: String,
    /// Queries run.
    pub queries: usize,
    /// Vector index alone.
    pub dense: IrScores,
    /// BM25 alone.
    pub bm25: IrScores,
    /// newsdesk's hybrid retrieval.
    pub hybrid: IrScores,
    /// Plain reciprocal rank fusion (k = 60) of the same two lists, for reference (table only).
    pub rrf: IrScores,
    /// Wall time per query for the three retrievers together.
    pub ms_per_query: f64,
}

impl ScifactReport {
    /// The final JSON line: `{"dense": {"ndcg@10", "recall@100", "mrr@10"}, "bm25": {…},
    /// "hybrid": {…}}`.
    pub fn to_json(&self) -> serde_json::Value {
        let obj = |s: &IrScores| json!({"ndcg@10": r4(s.ndcg10), "recall@100": r4(s.recall100), "mrr@10": r4(s.mrr10)});
        json!({"dense": obj(&self.dense), "bm25": obj(&self.bm25), "hybrid": obj(&self.hybrid)})
    }

    /// Prints the table, then the JSON line.
    pub fn print(&self) {
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
                "SciFact ({} queries: {}; {:.1} ms/query for the retrievers)",
                self.split, self.queries, self.ms_per_query
            ),
            &["system", "nDCG@10", "recall@100", "MRR@10"],
            &[
                row("dense", &self.dense),
                row("bm25", &self.bm25),
                row("hybrid", &self.hybrid),
                row("(plain RRF k=60)", &self.rrf),
            ],
        );
        println!("{}", self.to_json());
    }
}

/// Runs the evaluation and prints a table and one JSON line (see [`ScifactReport::to_json`]).
pub fn run_eval_scifact(
    dir: &Path,
    data: Option<&Path>,
    limit: Option<usize>,
    model_dir: &Path,
) -> Result<()> {
    scifact_report(dir, data, limit, model_dir)?.print();
    Ok(())
}

/// Runs the evaluation and returns what it measured.
pub fn scifact_report(
    dir: &Path,
    data: Option<&Path>,
    limit: Option<usize>,
    model_dir: &Path,
) -> Result<ScifactReport> {
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
    let mut runs: [Run; 4] = Default::default();
    for (q, v) in queries.iter().zip(&vecs) {
        let dense = ws.engine.dense(v, PASSAGES, &filters)?;
        let bm25 = ws.engine.bm25(&q.text, PASSAGES, &filters)?;
        let hybrid = retrieve(
            &ws.engine,
            &mut ArticleCache::default(),
            &q.text,
            v,
            PASSAGES,
            &filters,
            Mode::Hybrid,
        )?;
        let hybrid: Vec<(u64, f32)> = hybrid.iter().map(|h| (h.pid, h.score)).collect();
        let rrf: Vec<(u64, f32)> = fuse(&dense, &bm25, PASSAGES, Mode::Hybrid, Fusion::rrf())
            .iter()
            .map(|h| (h.pid, h.score))
            .collect();
        for (run, list) in runs.iter_mut().zip([&dense, &bm25, &hybrid, &rrf]) {
            run.insert(q.id.clone(), docs.rank(&ws, list)?);
        }
    }
    let ms_per_query = started.elapsed().as_secs_f64() * 1000.0 / queries.len().max(1) as f64;
    let [dense, bm25, hybrid, rrf] = runs.map(|r| evaluate(&r, &beir.qrels));
    Ok(ScifactReport {
        split: beir.split.clone(),
        queries: queries.len(),
        dense,
        bm25,
        hybrid,
        rrf,
        ms_per_query,
    })
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

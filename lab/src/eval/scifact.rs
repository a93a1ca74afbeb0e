//! `newsdesk-lab eval scifact DIR`: BEIR SciFact (or any BEIR folder). Every document becomes an
//! article (title + abstract); every judged query is run through the vector index alone, BM25
//! alone and newsdesk's hybrid retrieval ([`newsdesk::answer::retrieve`]). Passages are mapped to
//! their documents, a document ranking where its best passage does; nDCG@10, recall@100 and
//! MRR@10 follow the BEIR definitions ([`super::ir`]).

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::time::Instant;

use anyhow::Result;
use serde_json::json;

use super::common::{
    embed_all, eval_article, ingest_all, open_workspace, print_table, r4, RankingArgs,
};
use super::data::{load_beir, take_limit};
use super::ir::{dedup_ranked, evaluate, IrScores, Run};
use newsdesk::answer::explain::{rank, retrieval_evidence};
use newsdesk::answer::{Fusion, Mode, RetrievedPassage};
use newsdesk::engine::Reader;
use newsdesk::index::Filters;

/// Documents ranked per query (the cut of recall@100).
const DOCS: usize = 100;
/// Passages ranked to fill `DOCS` documents (abstracts hold a few passages each), and the depth
/// each list is read to.
const PASSAGES: usize = 400;

/// What one SciFact run measured.
#[derive(Debug, Clone)]
pub struct ScifactReport {
    /// The qrels split evaluated.
    pub split: String,
    /// Queries run.
    pub queries: usize,
    /// Vectors only: passage and sentence vectors ([`Mode::Dense`]).
    pub dense: IrScores,
    /// BM25 only: passages and whole articles ([`Mode::Bm25`]).
    pub bm25: IrScores,
    /// newsdesk's hybrid retrieval (the default).
    pub hybrid: IrScores,
    /// The HNSW passage list alone, for reference (table only).
    pub hnsw_passages: IrScores,
    /// The tantivy passage list alone, for reference (table only).
    pub bm25_passages: IrScores,
    /// Plain reciprocal rank fusion (k = 60) of those two lists, for reference (table only).
    pub rrf: IrScores,
    /// Wall time per query for all the retrievers together.
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
                "SciFact ({} queries: {}; {:.1} ms/query for all retrievers)",
                self.split, self.queries, self.ms_per_query
            ),
            &["system", "nDCG@10", "recall@100", "MRR@10"],
            &[
                row("dense", &self.dense),
                row("bm25", &self.bm25),
                row("hybrid", &self.hybrid),
                row("(HNSW passages only)", &self.hnsw_passages),
                row("(tantivy passages only)", &self.bm25_passages),
                row("(plain RRF k=60 of those two)", &self.rrf),
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
    ranking: &RankingArgs,
) -> Result<()> {
    scifact_report(dir, data, limit, model_dir, ranking)?.print();
    Ok(())
}

/// Runs the evaluation and returns what it measured.
pub fn scifact_report(
    dir: &Path,
    data: Option<&Path>,
    limit: Option<usize>,
    model_dir: &Path,
    ranking: &RankingArgs,
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
    let params = ranking.params()?;
    let ws = open_workspace(data, model_dir, &params)?;
    let articles = beir
        .corpus
        .iter()
        .map(|d| eval_article(&d.id, &d.title, &d.text, None))
        .collect::<Result<Vec<_>>>()?;
    ingest_all(&ws, articles, "corpus")?;

    let texts: Vec<String> = queries.iter().map(|q| q.text.clone()).collect();
    let started = Instant::now();
    let vecs = embed_all(&ws, &texts, "queries")?;
    let fusion = params.fusion;
    let mut dump = ranking.dump_file()?;
    let mut docs = DocOf::default();
    let filters = Filters::default();
    let mut runs: [Run; 6] = Default::default();
    for (q, v) in queries.iter().zip(&vecs) {
        let mut reader = ws.engine.reader()?;
        let cands = retrieval_evidence(&mut reader, &q.text, v, PASSAGES, &filters, Mode::Hybrid)?;
        if let Some(out) = dump.as_mut() {
            let rels = beir.qrels.get(&q.id);
            for c in &cands {
                let doc = docs.of(&mut reader, c.pid)?.unwrap_or_default();
                let grade = rels.and_then(|r| r.get(&doc)).copied().unwrap_or(0);
                writeln!(
                    out,
                    "{}",
                    json!({"q": q.id, "doc": doc, "grade": grade, "pid": c.pid,
                           "dense": c.dense, "sentence": c.sentence, "bm25": c.bm25,
                           "article": c.article, "dense_rank": c.dense_rank,
                           "bm25_rank": c.bm25_rank})
                )?;
            }
        }
        let ranked = |mode: Mode, f: &Fusion| {
            let mut c = cands.clone();
            rank(&mut c, f, mode, PASSAGES);
            c.into_iter().map(|h| (h.pid, h.score)).collect::<Vec<_>>()
        };
        let list_only = |pick: fn(&RetrievedPassage) -> Option<(usize, f32)>| {
            let mut l: Vec<(usize, u64, f32)> = cands
                .iter()
                .filter_map(|c| pick(c).map(|(r, s)| (r, c.pid, s)))
                .collect();
            l.sort_unstable_by_key(|x| x.0);
            l.into_iter().map(|(_, p, s)| (p, s)).collect::<Vec<_>>()
        };
        let lists = [
            ranked(Mode::Dense, &fusion),
            ranked(Mode::Bm25, &fusion),
            ranked(Mode::Hybrid, &fusion),
            list_only(|c| c.dense_rank.zip(c.dense)),
            list_only(|c| c.bm25_rank.zip(c.bm25)),
            ranked(Mode::Hybrid, &Fusion::rrf()),
        ];
        for (run, list) in runs.iter_mut().zip(&lists) {
            run.insert(q.id.clone(), docs.rank(&mut reader, list)?);
        }
    }
    if let Some(mut out) = dump {
        out.flush()?;
    }
    let ms_per_query = started.elapsed().as_secs_f64() * 1000.0 / queries.len().max(1) as f64;
    let [dense, bm25, hybrid, hnsw_passages, bm25_passages, rrf] =
        runs.map(|r| evaluate(&r, &beir.qrels));
    Ok(ScifactReport {
        split: beir.split.clone(),
        queries: queries.len(),
        dense,
        bm25,
        hybrid,
        hnsw_passages,
        bm25_passages,
        rrf,
        ms_per_query,
    })
}

/// Passage id → document id, read once per passage.
#[derive(Default)]
struct DocOf(HashMap<u64, String>);

impl DocOf {
    fn of(&mut self, r: &mut Reader, pid: u64) -> Result<Option<String>> {
        if let Some(d) = self.0.get(&pid) {
            return Ok(Some(d.clone()));
        }
        Ok(r.passage(pid)?.map(|p| {
            self.0.insert(pid, p.article.id.clone());
            p.article.id.clone()
        }))
    }

    fn rank(&mut self, r: &mut Reader, passages: &[(u64, f32)]) -> Result<Vec<String>> {
        let mut ids = Vec::with_capacity(passages.len());
        for &(pid, _) in passages {
            if let Some(d) = self.of(r, pid)? {
                ids.push(d);
            }
        }
        let mut ranked = dedup_ranked(ids);
        ranked.truncate(DOCS);
        Ok(ranked)
    }
}

//! `newsdesk-lab eval squad FILE`: SQuAD v1.1. Every paragraph becomes an article (its Wikipedia
//! title as the headline); every question is asked the way `/v1/ask` answers it
//! ([`newsdesk::answer::ask`], default weights, hybrid retrieval).
//!
//! Measures, per question, averaged:
//! * `answer_sentence_hit@1`: the first answer sentence contains a gold answer string
//!   (case-folded, whitespace-normalised). A question newsdesk declines to answer
//!   (`answered: false`) counts as a miss: every SQuAD question has an answer in the corpus.
//! * `paragraph_hit@1`, `paragraph_hit@5`: the question's paragraph is among the first 1 or 5
//!   distinct paragraphs of the system's ranked evidence (newsdesk: its supporting passages;
//!   the baselines: their ranked sentences).
//!
//! Baselines over the same sentences (the product's segmentation) and the same sentence
//! vectors: BM25 over single sentences and an exact dense ranking of sentence vectors.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use anyhow::{bail, Result};
use serde_json::json;

use super::baselines::{DenseSentences, SentenceBm25};
use super::common::{
    contains_answer, embed_all, eval_article, ingest_all, open_workspace, print_table, r4,
    RankingArgs,
};
use super::data::{load_squad, take_limit, SquadQuestion};
use super::ir::dedup_ranked;
use newsdesk::answer::explain::{answer_kind, ask_sentences, retrieval_depth, retrieval_evidence};
use newsdesk::answer::{ask, AskRequest, Mode};
use newsdesk::index::Filters;

/// Sentences a baseline ranks per question (enough to find 5 distinct paragraphs).
const SENTENCES: usize = 60;

/// Hit counts of one system.
#[derive(Debug, Default, Clone, Copy)]
struct Hits {
    p1: usize,
    p5: usize,
    s1: usize,
    answered: usize,
}

impl Hits {
    fn add(
        &mut self,
        q: &SquadQuestion,
        paragraphs: &[String],
        first: Option<&str>,
        gold_id: &str,
    ) {
        self.p1 += paragraphs.first().is_some_and(|p| p == gold_id) as usize;
        self.p5 += paragraphs.iter().take(5).any(|p| p == gold_id) as usize;
        if let Some(s) = first {
            self.answered += 1;
            self.s1 += contains_answer(s, &q.answers) as usize;
        }
    }
}

/// What one SQuAD run measured (shares of questions, in [0, 1]).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct QaScores {
    /// The question's paragraph is the first one.
    pub paragraph_hit1: f64,
    /// The question's paragraph is among the first five.
    pub paragraph_hit5: f64,
    /// The first answer sentence holds a gold answer.
    pub answer_sentence_hit1: f64,
    /// Questions answered at all.
    pub answered: f64,
}

impl QaScores {
    fn of(h: &Hits, n: usize) -> QaScores {
        let n = n.max(1) as f64;
        QaScores {
            paragraph_hit1: h.p1 as f64 / n,
            paragraph_hit5: h.p5 as f64 / n,
            answer_sentence_hit1: h.s1 as f64 / n,
            answered: h.answered as f64 / n,
        }
    }

    fn json(&self) -> serde_json::Value {
        json!({
            "paragraph_hit@1": r4(self.paragraph_hit1),
            "paragraph_hit@5": r4(self.paragraph_hit5),
            "answer_sentence_hit@1": r4(self.answer_sentence_hit1),
        })
    }
}

/// The three systems side by side.
#[derive(Debug, Clone)]
pub struct SquadReport {
    /// Questions asked.
    pub questions: usize,
    /// Paragraphs indexed.
    pub paragraphs: usize,
    /// Sentences the baselines ranked.
    pub sentences: usize,
    /// newsdesk `ask`.
    pub newsdesk: QaScores,
    /// BM25 over sentences.
    pub bm25: QaScores,
    /// Exact dense ranking of sentences.
    pub dense_exact: QaScores,
    /// Wall time of one `ask`.
    pub ms_per_ask: f64,
}

impl SquadReport {
    /// The final JSON line: `{"newsdesk": {"paragraph_hit@1", "paragraph_hit@5",
    /// "answer_sentence_hit@1"}, "bm25": {…}, "dense_exact": {…}}`.
    pub fn to_json(&self) -> serde_json::Value {
        json!({"newsdesk": self.newsdesk.json(), "bm25": self.bm25.json(), "dense_exact": self.dense_exact.json()})
    }

    /// Prints the table, then the JSON line.
    pub fn print(&self) {
        let row = |name: &str, s: &QaScores| {
            vec![
                name.to_string(),
                format!("{:.4}", s.paragraph_hit1),
                format!("{:.4}", s.paragraph_hit5),
                format!("{:.4}", s.answer_sentence_hit1),
                format!("{:.4}", s.answered),
            ]
        };
        print_table(
            &format!(
                "SQuAD v1.1 ({} questions over {} paragraphs, {} sentences; newsdesk ask {:.1} ms/question)",
                self.questions, self.paragraphs, self.sentences, self.ms_per_ask
            ),
            &["system", "paragraph_hit@1", "paragraph_hit@5", "answer_sentence_hit@1", "answered"],
            &[
                row("newsdesk", &self.newsdesk),
                row("bm25", &self.bm25),
                row("dense_exact", &self.dense_exact),
            ],
        );
        println!("{}", self.to_json());
    }
}

/// Runs the evaluation and prints a table and one JSON line (see [`SquadReport::to_json`]).
pub fn run_eval_squad(
    file: &Path,
    data: Option<&Path>,
    limit: Option<usize>,
    model_dir: &Path,
    ranking: &RankingArgs,
) -> Result<()> {
    squad_report(file, data, limit, model_dir, ranking)?.print();
    Ok(())
}

/// Runs the evaluation and returns what it measured.
pub fn squad_report(
    file: &Path,
    data: Option<&Path>,
    limit: Option<usize>,
    model_dir: &Path,
    ranking: &RankingArgs,
) -> Result<SquadReport> {
    let squad = load_squad(file)?;
    let total = squad.questions.len();
    let questions = take_limit(squad.questions.clone(), limit);
    eprintln!(
        "squad: {} paragraphs, {} of {} questions",
        squad.paragraphs.len(),
        questions.len(),
        total
    );
    let params = ranking.params()?;
    let ws = open_workspace(data, model_dir, &params)?;
    let articles = squad
        .paragraphs
        .iter()
        .map(|p| eval_article(&p.id, &p.title, &p.context, None))
        .collect::<Result<Vec<_>>>()?;
    ingest_all(&ws, articles, "paragraphs")?;

    // Every stored sentence with its paragraph and vector, for the baselines.
    let mut sent_text: Vec<String> = Vec::new();
    let mut sent_owner: Vec<usize> = Vec::new();
    let mut sent_vecs: Vec<Vec<f32>> = Vec::new();
    let mut reader = ws.engine.reader()?;
    for (pi, p) in squad.paragraphs.iter().enumerate() {
        let Some(article) = reader.article(&p.id)? else {
            bail!("paragraph {} was not stored", p.id);
        };
        for s in reader.sentences(&p.id)?.iter() {
            sent_text.push(article.body[s.span.start..s.span.end].to_string());
            sent_owner.push(pi);
            sent_vecs.push(s.vector.clone());
        }
    }
    drop(reader);
    eprintln!("squad: {} sentences", sent_text.len());
    let bm25 = SentenceBm25::build(sent_text.iter().map(String::as_str))?;
    let dense = DenseSentences::new(sent_vecs);

    let texts: Vec<String> = questions.iter().map(|q| q.question.clone()).collect();
    let qvecs = embed_all(&ws, &texts, "questions")?;
    let mut dump = ranking.dump_file()?;
    let (mut nd, mut bm, mut de) = (Hits::default(), Hits::default(), Hits::default());
    let mut ask_secs = 0.0;
    for (q, v) in questions.iter().zip(&qvecs) {
        let gold = &squad.paragraphs[q.paragraph].id;
        // newsdesk: what /v1/ask returns, reading 10 passages.
        let t = Instant::now();
        let req = AskRequest {
            question: q.question.clone(),
            k: Some(10),
            filters: None,
            mode: None,
            as_of: None,
        };
        let resp = ask(&mut ws.engine.reader()?, &req, v)?;
        ask_secs += t.elapsed().as_secs_f64();
        if let Some(out) = dump.as_mut() {
            let mut reader = ws.engine.reader()?;
            let filters = Filters::default();
            let evidence = retrieval_evidence(
                &mut reader,
                &q.question,
                v,
                retrieval_depth(10),
                &filters,
                Mode::Hybrid,
            )?;
            for c in evidence {
                let para = reader
                    .passage(c.pid)?
                    .map(|p| p.article.id.clone())
                    .unwrap_or_default();
                writeln!(
                    out,
                    "{}",
                    json!({"q": q.id, "passage": c.pid, "para": para, "gold_para": para == *gold,
                           "dense": c.dense, "sentence": c.sentence, "bm25": c.bm25,
                           "article": c.article})
                )?;
            }
            let sentences = ask_sentences(
                &mut reader,
                &q.question,
                v,
                10,
                &filters,
                Mode::Hybrid,
                &params.ask.weights,
            )?;
            for c in sentences {
                writeln!(
                    out,
                    "{}",
                    json!({"q": q.id, "para": c.article_id, "gold_para": c.article_id == *gold,
                           "hit": contains_answer(&c.text, &q.answers), "index": c.index,
                           "asked": answer_kind(&q.question), "f": c.features})
                )?;
            }
        }
        let paras = dedup_ranked(resp.passages.iter().map(|p| p.citation.article_id.clone()));
        let first = resp
            .answered
            .then(|| resp.answer.first().map(|a| a.text.as_str()))
            .flatten();
        nd.add(q, &paras, first, gold);
        // The sentence baselines: BM25 and exact dense over all sentences. A sentence ranking
        // gives the paragraph ranking (by each paragraph's best sentence) and the first sentence.
        let score_sentences = |acc: &mut Hits, hits: &[(usize, f32)]| {
            let paras = dedup_ranked(
                hits.iter()
                    .map(|h| squad.paragraphs[sent_owner[h.0]].id.clone()),
            );
            acc.add(
                q,
                &paras,
                hits.first().map(|h| sent_text[h.0].as_str()),
                gold,
            );
        };
        score_sentences(&mut bm, &bm25.search(&q.question, SENTENCES)?);
        score_sentences(&mut de, &dense.search(v, SENTENCES));
    }
    if let Some(mut out) = dump {
        out.flush()?;
    }
    let n = questions.len();
    Ok(SquadReport {
        questions: n,
        paragraphs: squad.paragraphs.len(),
        sentences: sent_text.len(),
        newsdesk: QaScores::of(&nd, n),
        bm25: QaScores::of(&bm, n),
        dense_exact: QaScores::of(&de, n),
        ms_per_ask: ask_secs * 1000.0 / n.max(1) as f64,
    })
}

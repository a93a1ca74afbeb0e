//! `newsdesk-lab eval newsqa FILE --corpus FILES…`: analyst questions over real news.
//!
//! The corpus (news JSONL files, the seed folder: anything `newsdesk ingest` reads) goes
//! through the product's own ingest into a temp or `--index-dir` data dir; every question is
//! asked through [`newsdesk::answer::ask`] as `/v1/ask` asks it. Measured:
//! * `hit@1`: on answerable questions, the first answer sentence contains a gold string
//!   (case-folded); a decline is a miss. `hit@3`: any of the first three does.
//! * `exact_sentence_hit@1`: the first answer sentence is the gold sentence
//!   (whitespace-normalised).
//! * `declined_unanswerable`, `declined_answerable`: shares of each group answered
//!   `answered: false`.
//! * `ece`: expected calibration error of the confidence over all questions (ten equal bins;
//!   the outcome is "the first sentence answers it", so an unanswerable question is always a
//!   miss), with the per-bin table.
//!
//! Baselines over the same stored sentences and vectors: BM25 over sentences and exact dense
//! over sentences. They never decline and have no confidence.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::Deserialize;
use serde_json::json;

use super::baselines::{DenseSentences, SentenceBm25};
use super::common::{
    contains_answer, embed_all, ingest_all, open_workspace, print_table, r4, RankingArgs,
};
use super::data::take_limit;
use newsdesk::answer::explain::ask_sentences;
use newsdesk::answer::{ask, AskRequest, Mode};
use newsdesk::index::Filters;

/// Confidence bins of the calibration table.
const BINS: usize = 10;

/// One question of the set (see the set's README).
#[derive(Debug, Clone, Deserialize)]
pub struct NewsQuestion {
    /// Question id.
    pub id: String,
    /// The question.
    pub question: String,
    /// False when the corpus does not answer it.
    pub answerable: bool,
    /// Gold answer strings.
    #[serde(default)]
    pub answers: Vec<String>,
    /// The gold answer sentence.
    #[serde(default)]
    pub sentence: Option<String>,
    /// Question type (who, which, how_many, …).
    #[serde(default, rename = "type")]
    pub kind: String,
}

/// Reads the question file (JSON lines).
pub fn load_newsqa(path: &Path) -> Result<Vec<NewsQuestion>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l)
                .with_context(|| format!("{} line {}: not a question", path.display(), i + 1))
        })
        .collect()
}

fn norm(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// What one system did with one question.
#[derive(Debug, Clone)]
struct Outcome {
    answerable: bool,
    declined: bool,
    hit1: bool,
    hit3: bool,
    exact1: bool,
    confidence: Option<f64>,
}

fn outcome(q: &NewsQuestion, sentences: &[&str], declined: bool, conf: Option<f64>) -> Outcome {
    let given = if declined { &[][..] } else { sentences };
    let hit = |s: &&str| q.answerable && contains_answer(s, &q.answers);
    Outcome {
        answerable: q.answerable,
        declined,
        hit1: given.first().is_some_and(hit),
        hit3: given.iter().take(3).any(hit),
        exact1: q.answerable
            && given
                .first()
                .zip(q.sentence.as_deref())
                .is_some_and(|(s, g)| norm(s) == norm(g)),
        confidence: conf,
    }
}

/// Scores of one system over the set (fractions).
#[derive(Debug, Clone, Default)]
pub struct NewsScores {
    /// Answerable questions whose first sentence holds a gold string.
    pub hit1: f64,
    /// ... among the first three.
    pub hit3: f64,
    /// The first sentence is the gold sentence.
    pub exact1: f64,
    /// Unanswerable questions declined.
    pub declined_unanswerable: f64,
    /// Answerable questions declined.
    pub declined_answerable: f64,
    /// Expected calibration error (none for systems without a confidence).
    pub ece: Option<f64>,
    /// (bin low, questions, mean confidence, accuracy) per non-empty bin.
    pub bins: Vec<(f64, usize, f64, f64)>,
}

fn scores(outs: &[Outcome]) -> NewsScores {
    let share = |f: &dyn Fn(&Outcome) -> bool, of: &dyn Fn(&Outcome) -> bool| {
        let n = outs.iter().filter(|o| of(o)).count().max(1) as f64;
        outs.iter().filter(|o| of(o) && f(o)).count() as f64 / n
    };
    let mut s = NewsScores {
        hit1: share(&|o| o.hit1, &|o| o.answerable),
        hit3: share(&|o| o.hit3, &|o| o.answerable),
        exact1: share(&|o| o.exact1, &|o| o.answerable),
        declined_unanswerable: share(&|o| o.declined, &|o| !o.answerable),
        declined_answerable: share(&|o| o.declined, &|o| o.answerable),
        ..NewsScores::default()
    };
    if outs.iter().all(|o| o.confidence.is_some()) && !outs.is_empty() {
        let mut acc = vec![(0usize, 0.0f64, 0usize); BINS];
        for o in outs {
            let c = o.confidence.unwrap_or(0.0).clamp(0.0, 1.0);
            let b = ((c * BINS as f64) as usize).min(BINS - 1);
            acc[b].0 += 1;
            acc[b].1 += c;
            acc[b].2 += o.hit1 as usize;
        }
        let total = outs.len() as f64;
        let mut ece = 0.0;
        for (b, &(n, sum, right)) in acc.iter().enumerate() {
            if n == 0 {
                continue;
            }
            let (mean, rate) = (sum / n as f64, right as f64 / n as f64);
            ece += n as f64 / total * (mean - rate).abs();
            s.bins.push((b as f64 / BINS as f64, n, mean, rate));
        }
        s.ece = Some(ece);
    }
    s
}

impl NewsScores {
    fn json(&self) -> serde_json::Value {
        json!({
            "hit@1": r4(self.hit1),
            "hit@3": r4(self.hit3),
            "exact_sentence_hit@1": r4(self.exact1),
            "declined_unanswerable": r4(self.declined_unanswerable),
            "declined_answerable": r4(self.declined_answerable),
            "ece": self.ece.map(r4),
        })
    }
}

/// Runs the evaluation: a table per system, the calibration table, then one JSON line.
pub fn run_eval_newsqa(
    file: &Path,
    corpus: &[PathBuf],
    data: Option<&Path>,
    limit: Option<usize>,
    model_dir: &Path,
    ranking: &RankingArgs,
    verbose: bool,
) -> Result<()> {
    let all = load_newsqa(file)?;
    let questions = take_limit(all.clone(), limit);
    let params = ranking.params()?;
    let ws = open_workspace(data, model_dir, &params)?;
    let inputs: Vec<String> = corpus
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let batch = newsdesk::ingest::paths::read_paths(&inputs, &Default::default());
    if let Some(f) = batch.failures.first() {
        bail!("corpus: {f}");
    }
    let ids: Vec<String> = batch.articles.iter().map(|a| a.id.clone()).collect();
    ingest_all(&ws, batch.articles, "corpus")?;

    let mut sent_text: Vec<String> = Vec::new();
    let mut sent_vecs: Vec<Vec<f32>> = Vec::new();
    let mut reader = ws.engine.reader()?;
    for id in &ids {
        let Some(article) = reader.article(id)? else {
            bail!("article {id} was not stored");
        };
        for s in reader.sentences(id)?.iter() {
            sent_text.push(article.body[s.span.start..s.span.end].to_string());
            sent_vecs.push(s.vector.clone());
        }
    }
    drop(reader);
    eprintln!(
        "newsqa: {} of {} questions over {} articles, {} sentences",
        questions.len(),
        all.len(),
        ids.len(),
        sent_text.len()
    );
    let bm25 = SentenceBm25::build(sent_text.iter().map(String::as_str))?;
    let dense = DenseSentences::new(sent_vecs);
    let texts: Vec<String> = questions.iter().map(|q| q.question.clone()).collect();
    let qvecs = embed_all(&ws, &texts, "questions")?;

    let mut dump = ranking.dump_file()?;
    let (mut nd, mut bm, mut de) = (Vec::new(), Vec::new(), Vec::new());
    for (q, v) in questions.iter().zip(&qvecs) {
        let req = AskRequest {
            question: q.question.clone(),
            k: Some(10),
            filters: None,
            mode: None,
            as_of: None,
        };
        let resp = ask(&mut ws.engine.reader()?, &req, v)?;
        let given: Vec<&str> = resp.answer.iter().map(|a| a.text.as_str()).collect();
        let o = outcome(q, &given, !resp.answered, Some(resp.confidence as f64));
        if verbose {
            eprintln!(
                "{} [{}] {} answered={} conf={:.2} hit={} | {}",
                q.id,
                q.kind,
                q.question,
                resp.answered,
                resp.confidence,
                o.hit1,
                resp.answer
                    .first()
                    .map(|a| a.text.as_str())
                    .or(resp.explanation.as_deref())
                    .unwrap_or("")
            );
        }
        if let Some(out) = dump.as_mut() {
            // Every candidate sentence with its evidence, for fitting the ask weights and the
            // confidence offline (EVAL.md, newsqa).
            let sentences = ask_sentences(
                &mut ws.engine.reader()?,
                &q.question,
                v,
                10,
                &Filters::default(),
                Mode::Hybrid,
                &params.ask.weights,
            )?;
            for c in sentences {
                writeln!(
                    out,
                    "{}",
                    json!({"q": q.id, "type": q.kind, "answerable": q.answerable,
                           "article": c.article_id, "index": c.index,
                           "hit": q.answerable && contains_answer(&c.text, &q.answers),
                           "exact": q.sentence.as_deref().is_some_and(|g| norm(g) == norm(&c.text)),
                           "f": c.features})
                )?;
            }
        }
        nd.push(o);
        let top = |hits: &[(usize, f32)]| -> Vec<&str> {
            hits.iter().map(|h| sent_text[h.0].as_str()).collect()
        };
        bm.push(outcome(q, &top(&bm25.search(&q.question, 3)?), false, None));
        de.push(outcome(q, &top(&dense.search(v, 3)), false, None));
    }
    if let Some(mut out) = dump {
        out.flush()?;
    }
    let (nd, bm, de) = (scores(&nd), scores(&bm), scores(&de));
    let row = |name: &str, s: &NewsScores| {
        vec![
            name.to_string(),
            format!("{:.4}", s.hit1),
            format!("{:.4}", s.hit3),
            format!("{:.4}", s.exact1),
            format!("{:.4}", s.declined_unanswerable),
            format!("{:.4}", s.declined_answerable),
            s.ece
                .map(|e| format!("{e:.4}"))
                .unwrap_or_else(|| "-".into()),
        ]
    };
    let answerable = questions.iter().filter(|q| q.answerable).count();
    print_table(
        &format!(
            "newsqa ({} questions, {} answerable; {} articles, {} sentences)",
            questions.len(),
            answerable,
            ids.len(),
            sent_text.len()
        ),
        &[
            "system",
            "hit@1",
            "hit@3",
            "exact_sentence_hit@1",
            "declined_unanswerable",
            "declined_answerable",
            "ece",
        ],
        &[
            row("newsdesk", &nd),
            row("bm25", &bm),
            row("dense_exact", &de),
        ],
    );
    let bins: Vec<Vec<String>> = nd
        .bins
        .iter()
        .map(|&(lo, n, mean, rate)| {
            vec![
                format!("{lo:.1}–{:.1}", lo + 1.0 / BINS as f64),
                n.to_string(),
                format!("{mean:.3}"),
                format!("{rate:.3}"),
            ]
        })
        .collect();
    print_table(
        "newsdesk calibration (all questions; right = first sentence holds a gold string)",
        &["confidence", "questions", "mean confidence", "accuracy"],
        &bins,
    );
    println!(
        "{}",
        json!({"newsdesk": nd.json(), "bm25": bm.json(), "dense_exact": de.json()})
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(answerable: bool) -> NewsQuestion {
        NewsQuestion {
            id: "q".into(),
            question: "Who chaired it?".into(),
            answerable,
            answers: if answerable {
                vec!["Bhatia".into()]
            } else {
                vec![]
            },
            sentence: answerable.then(|| "It was chaired by  Bhatia.".into()),
            kind: "who".into(),
        }
    }

    #[test]
    fn hits_declines_and_calibration() {
        let right = outcome(&q(true), &["It was chaired by Bhatia."], false, Some(0.95));
        assert!(right.hit1 && right.hit3 && right.exact1);
        let second = outcome(&q(true), &["Other.", "By bhatia."], false, Some(0.55));
        assert!(!second.hit1 && second.hit3 && !second.exact1);
        let declined = outcome(&q(true), &["It was chaired by Bhatia."], true, Some(0.2));
        assert!(declined.declined && !declined.hit1);
        let none = outcome(&q(false), &["Anything."], true, Some(0.05));
        let s = scores(&[right, second, declined, none]);
        assert!((s.hit1 - 1.0 / 3.0).abs() < 1e-9);
        assert!((s.hit3 - 2.0 / 3.0).abs() < 1e-9);
        assert_eq!(s.declined_unanswerable, 1.0);
        assert!((s.declined_answerable - 1.0 / 3.0).abs() < 1e-9);
        // Bins: 0.0 (0.05, miss), 0.2 (0.2, miss), 0.5 (0.55, miss), 0.9 (0.95, right).
        let ece = (0.05 + 0.2 + 0.55 + 0.05) / 4.0;
        assert!((s.ece.unwrap() - ece).abs() < 1e-9, "{:?}", s.ece);
        assert_eq!(s.bins.len(), 4);
    }
}

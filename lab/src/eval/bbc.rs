//! `newsdesk-lab eval bbc FILE`: BBC News Summary. Every article is ingested; its stored sentences
//! (the product's segmentation) and sentence vectors are summarised three ways at the
//! reference's length:
//!
//! * newsdesk: the ranking behind `/v1/summarize` ([`newsdesk::answer::summarize::rank_sentences`],
//!   default weights), sentences taken best first;
//! * Lead: the first sentences;
//! * TextRank on word overlap.
//!
//! Each system takes sentences until it has the reference's word count, puts them in article
//! order and is cut at that word count ([`super::baselines::fill_and_cut`]); ROUGE-1/2/L F1
//! against the reference ([`super::rouge`]), averaged over articles.

use std::path::Path;
use std::time::Instant;

use anyhow::{bail, Result};
use serde_json::json;

use super::baselines::{fill_and_cut, lead, textrank};
use super::common::{eval_article, ingest_all, open_workspace, print_table, r4, RankingArgs};
use super::data::{load_bbc, reference_words, take_limit};
use super::rouge::{Rouge, RougeScores};
use newsdesk::answer::explain::summary_scores;

/// The three systems side by side (mean F1 in [0, 1]).
#[derive(Debug, Clone)]
pub struct BbcReport {
    /// Articles summarised.
    pub articles: usize,
    /// newsdesk's summary ranking.
    pub newsdesk: RougeScores,
    /// Lead-N.
    pub lead: RougeScores,
    /// TextRank.
    pub textrank: RougeScores,
    /// Wall time of one ranking by newsdesk.
    pub ms_per_article: f64,
}

impl BbcReport {
    /// The final JSON line (F1 in [0, 1]): `{"newsdesk": {"rouge1", "rouge2", "rougeL"},
    /// "lead": {…}, "textrank": {…}}`.
    pub fn to_json(&self) -> serde_json::Value {
        let obj = |s: &RougeScores| json!({"rouge1": r4(s.rouge1), "rouge2": r4(s.rouge2), "rougeL": r4(s.rouge_l)});
        json!({"newsdesk": obj(&self.newsdesk), "lead": obj(&self.lead), "textrank": obj(&self.textrank)})
    }

    /// Prints the table (×100), then the JSON line.
    pub fn print(&self) {
        let row = |name: &str, s: &RougeScores| {
            let p = s.percent();
            vec![
                name.to_string(),
                format!("{:.2}", p.rouge1),
                format!("{:.2}", p.rouge2),
                format!("{:.2}", p.rouge_l),
            ]
        };
        print_table(
            &format!(
                "BBC News Summary ({} articles; ROUGE F1 ×100, stemmed, cut at the reference's word count; newsdesk ranking {:.2} ms/article)",
                self.articles, self.ms_per_article
            ),
            &["system", "ROUGE-1", "ROUGE-2", "ROUGE-L"],
            &[
                row("newsdesk", &self.newsdesk),
                row("lead", &self.lead),
                row("textrank", &self.textrank),
            ],
        );
        println!("{}", self.to_json());
    }
}

/// Runs the evaluation and prints a table and one JSON line (see [`BbcReport::to_json`]).
pub fn run_eval_bbc(
    file: &Path,
    data: Option<&Path>,
    limit: Option<usize>,
    model_dir: &Path,
    ranking: &RankingArgs,
) -> Result<()> {
    bbc_report(file, data, limit, model_dir, ranking)?.print();
    Ok(())
}

/// Runs the evaluation and returns what it measured.
pub fn bbc_report(
    file: &Path,
    data: Option<&Path>,
    limit: Option<usize>,
    model_dir: &Path,
    ranking: &RankingArgs,
) -> Result<BbcReport> {
    let rows = take_limit(load_bbc(file)?, limit);
    eprintln!("bbc: {} articles", rows.len());
    let params = ranking.params()?;
    let ws = open_workspace(data, model_dir, &params)?;
    let articles = rows
        .iter()
        .map(|r| eval_article(&r.id, &r.title, &r.article, Some(&r.category)))
        .collect::<Result<Vec<_>>>()?;
    ingest_all(&ws, articles, "articles")?;

    let rouge = Rouge::default();
    let mut scores: [Vec<RougeScores>; 3] = Default::default();
    let mut rank_secs = 0.0;
    for r in &rows {
        let mut reader = ws.engine.reader()?;
        let Some(article) = reader.article(&r.id)? else {
            bail!("article {} was not stored", r.id);
        };
        let sents = reader.sentences(&r.id)?;
        let texts: Vec<&str> = sents
            .iter()
            .map(|s| &article.body[s.span.start..s.span.end])
            .collect();
        let words = reference_words(&r.summary);

        let t = Instant::now();
        let mut picked = summary_scores(&mut reader, &r.id)?;
        rank_secs += t.elapsed().as_secs_f64();
        picked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let order: Vec<usize> = picked.iter().map(|p| p.0).collect();
        let systems = [
            fill_and_cut(&texts, &order, words),
            lead(&texts, words),
            textrank(&rouge, &texts, words),
        ];
        for (acc, summary) in scores.iter_mut().zip(&systems) {
            acc.push(rouge.score(summary, &r.summary));
        }
    }
    let [newsdesk, lead, textrank] = scores.map(|s| RougeScores::mean(&s));
    Ok(BbcReport {
        articles: rows.len(),
        newsdesk,
        lead,
        textrank,
        ms_per_article: rank_secs * 1000.0 / rows.len().max(1) as f64,
    })
}

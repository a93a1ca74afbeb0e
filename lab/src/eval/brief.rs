//! `newsdesk-lab eval brief FILE`: briefing notes on BBC News Summary, against a simple
//! baseline, side by side.
//!
//! The BBC set gives every article an extractive reference summary: the sentences an editor
//! kept. Every article is ingested; a sample of them (every `n`th) gives a topic, its headline.
//! For each topic two notes of the same word budget are written over the whole corpus:
//!
//! * newsdesk: the product's `brief` (stories, reprint folding, lead sentences, source cap);
//! * top sentences: the sentences of the same retrieved passages (the product's `search` at the
//!   brief's depth) ranked by cosine to the topic, taken best first under the budget.
//!
//! Measured per note, then averaged over topics:
//!
//! * **summary-worthy**: the share of bullets that are sentences of some article's reference
//!   summary — did the note pick what editors kept?
//! * **topic recall**: ROUGE-2 recall of the topic article's own reference summary by the
//!   note — does the note say what the article the topic came from says?
//! * **repeats**: the share of bullets saying again what an earlier bullet said (ROUGE-1 F1
//!   ≥ 0.6 against it) — how much the note repeats itself;
//! * **articles** and **stories**: distinct articles cited, and distinct stories (the product's
//!   story assignment) among them — how much ground the note covers.

use std::collections::HashSet;
use std::path::Path;

use anyhow::Result;
use serde_json::json;

use super::common::{eval_article, ingest_all, open_workspace, print_table, r4, RankingArgs};
use super::data::{load_bbc, unglue_sentences};
use super::rouge::{rouge_n, Rouge};
use newsdesk::answer::{self, BriefRequest, SearchRequest};

/// A bullet repeats an earlier one at this ROUGE-1 F1.
const REPEAT_ROUGE1: f64 = 0.6;

/// One note's measures.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoteScores {
    pub summary_worthy: f64,
    pub topic_recall: f64,
    pub repeats: f64,
    pub articles: f64,
    pub stories: f64,
    pub bullets: f64,
}

impl NoteScores {
    fn mean(all: &[NoteScores]) -> NoteScores {
        let n = all.len().max(1) as f64;
        let sum = |f: fn(&NoteScores) -> f64| all.iter().map(f).sum::<f64>() / n;
        NoteScores {
            summary_worthy: sum(|s| s.summary_worthy),
            topic_recall: sum(|s| s.topic_recall),
            repeats: sum(|s| s.repeats),
            articles: sum(|s| s.articles),
            stories: sum(|s| s.stories),
            bullets: sum(|s| s.bullets),
        }
    }

    fn json(&self) -> serde_json::Value {
        json!({"summary_worthy": r4(self.summary_worthy), "topic_recall": r4(self.topic_recall),
               "repeats": r4(self.repeats), "articles": r4(self.articles),
               "stories": r4(self.stories), "bullets": r4(self.bullets)})
    }
}

/// Whitespace-normalised text, for matching a bullet inside a reference summary.
fn norm(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Scores one note: `bullets` as (article id, sentence text).
pub fn score_note(
    rouge: &Rouge,
    bullets: &[(String, String)],
    summaries: &std::collections::HashMap<String, String>,
    topic_summary: &str,
    story_of: impl Fn(&str) -> Option<u64>,
) -> NoteScores {
    if bullets.is_empty() {
        return NoteScores::default();
    }
    let n = bullets.len() as f64;
    let worthy = bullets
        .iter()
        .filter(|(id, text)| summaries.get(id).is_some_and(|s| s.contains(&norm(text))))
        .count() as f64;
    let note: String = bullets
        .iter()
        .map(|b| b.1.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    let recall = rouge_n(&rouge.tokens(&note), &rouge.tokens(topic_summary), 2).recall;
    let toks: Vec<Vec<String>> = bullets.iter().map(|b| rouge.tokens(&b.1)).collect();
    let repeats = (1..toks.len())
        .filter(|&i| (0..i).any(|j| rouge_n(&toks[i], &toks[j], 1).f1 >= REPEAT_ROUGE1))
        .count() as f64;
    let articles: HashSet<&str> = bullets.iter().map(|b| b.0.as_str()).collect();
    let stories: HashSet<u64> = articles.iter().filter_map(|a| story_of(a)).collect();
    NoteScores {
        summary_worthy: worthy / n,
        topic_recall: recall,
        repeats: repeats / n,
        articles: articles.len() as f64,
        stories: stories.len() as f64,
        bullets: n,
    }
}

/// Runs the evaluation: every `every`th article gives a topic (at most `limit` topics).
pub fn run_eval_brief(
    file: &Path,
    data: Option<&Path>,
    limit: Option<usize>,
    every: usize,
    max_words: usize,
    model_dir: &Path,
    ranking: &RankingArgs,
) -> Result<()> {
    let rows = load_bbc(file)?;
    let params = ranking.params()?;
    let ws = open_workspace(data, model_dir, &params)?;
    let articles = rows
        .iter()
        .map(|r| eval_article(&r.id, &r.title, &r.article, Some(&r.category)))
        .collect::<Result<Vec<_>>>()?;
    ingest_all(&ws, articles, "articles")?;
    let summaries: std::collections::HashMap<String, String> = rows
        .iter()
        .map(|r| (r.id.clone(), norm(&unglue_sentences(&r.summary))))
        .collect();
    let topics: Vec<_> = rows
        .iter()
        .step_by(every.max(1))
        .take(limit.unwrap_or(usize::MAX))
        .collect();
    eprintln!(
        "brief: {} topics from {} articles",
        topics.len(),
        rows.len()
    );
    let rouge = Rouge::default();
    let depth = params.brief.depth;
    let (mut ours, mut base) = (Vec::new(), Vec::new());
    let mut cites_topic = [0usize; 2];
    for t in &topics {
        let topic = t.title.trim().to_string();
        let qv = ws.engine.embed_query_blocking(&topic)?;
        let mut reader = ws.engine.reader()?;
        let note = answer::brief(
            &mut reader,
            &BriefRequest {
                topic: topic.clone(),
                max_words: Some(max_words),
                filters: None,
                mode: None,
                format: None,
                since: None,
                as_of: None,
            },
            &qv,
        )?;
        let bullets: Vec<(String, String)> = note
            .bullets
            .iter()
            .map(|b| {
                let id = note.sources[b.citations[0] - 1].article_id.clone();
                (id, b.text.clone())
            })
            .collect();

        // The baseline: the retrieved passages' sentences by cosine to the topic.
        let hits = answer::search(
            &mut reader,
            &SearchRequest {
                query: topic.clone(),
                k: Some(depth.min(answer::MAX_K)),
                filters: None,
                group_by_article: false,
                group_by: None,
                mode: None,
                entities: Vec::new(),
                facets: Vec::new(),
            },
            &qv,
        )?;
        let mut pool: Vec<(f32, String, String)> = Vec::new();
        let mut seen = HashSet::new();
        for h in &hits.hits {
            let id = &h.citation.article_id;
            let Some(a) = reader.article(id)? else {
                continue;
            };
            for s in reader.sentences(id)?.iter() {
                let inside = s.span.start < h.citation.end && s.span.end > h.citation.start;
                if inside && seen.insert((id.clone(), s.span.start)) {
                    let text = a.body[s.span.start..s.span.end].to_string();
                    if text.split_whitespace().count() >= params.brief.min_words {
                        pool.push((newsdesk::index::dot(&qv, &s.vector), id.clone(), text));
                    }
                }
            }
        }
        pool.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut words = 0;
        let mut top = Vec::new();
        for (_, id, text) in pool {
            let w = text.split_whitespace().count();
            if words + w > max_words {
                continue;
            }
            words += w;
            top.push((id, text));
        }
        let book = ws.engine.stories();
        let story_of = |id: &str| book.story_of(id);
        let topic_summary = &summaries[&t.id];
        ours.push(score_note(
            &rouge,
            &bullets,
            &summaries,
            topic_summary,
            story_of,
        ));
        base.push(score_note(
            &rouge,
            &top,
            &summaries,
            topic_summary,
            story_of,
        ));
        cites_topic[0] += bullets.iter().any(|b| b.0 == t.id) as usize;
        cites_topic[1] += top.iter().any(|b| b.0 == t.id) as usize;
    }
    let (o, b) = (NoteScores::mean(&ours), NoteScores::mean(&base));
    let n = topics.len().max(1) as f64;
    let row = |name: &str, s: &NoteScores, cites: usize| {
        vec![
            name.to_string(),
            format!("{:.3}", s.summary_worthy),
            format!("{:.3}", s.topic_recall),
            format!("{:.3}", s.repeats),
            format!("{:.3}", cites as f64 / n),
            format!("{:.2}", s.articles),
            format!("{:.2}", s.stories),
            format!("{:.2}", s.bullets),
        ]
    };
    print_table(
        &format!(
            "Briefs on BBC News Summary ({} topics = headlines of every {}th article, {} articles ingested, {max_words} words per note)",
            topics.len(),
            every,
            rows.len()
        ),
        &["system", "summary-worthy", "topic R2 recall", "repeats", "cites topic", "articles", "stories", "bullets"],
        &[row("newsdesk brief", &o, cites_topic[0]), row("top sentences", &b, cites_topic[1])],
    );
    println!(
        "{}",
        json!({"newsdesk": o.json(), "top_sentences": b.json(), "topics": topics.len(),
               "cites_topic": {"newsdesk": r4(cites_topic[0] as f64 / n), "top_sentences": r4(cites_topic[1] as f64 / n)}})
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_note_is_scored_on_worthy_bullets_repeats_and_spread() {
        let rouge = Rouge::default();
        let mut summaries = std::collections::HashMap::new();
        summaries.insert(
            "a".to_string(),
            norm("Profits rose 76%. The firm owns 8% of Google."),
        );
        let bullets = vec![
            ("a".to_string(), "Profits rose 76%.".to_string()),
            ("b".to_string(), "Profits rose by 76%.".to_string()),
            ("b".to_string(), "Shares fell in early trading.".to_string()),
        ];
        let s = score_note(&rouge, &bullets, &summaries, "Profits rose 76%.", |id| {
            Some(if id == "a" { 1 } else { 2 })
        });
        assert!((s.summary_worthy - 1.0 / 3.0).abs() < 1e-9);
        assert!(
            (s.repeats - 1.0 / 3.0).abs() < 1e-9,
            "the second repeats the first"
        );
        assert_eq!((s.articles, s.stories, s.bullets), (2.0, 2.0, 3.0));
        assert!(s.topic_recall > 0.99);
        let empty = score_note(&rouge, &[], &summaries, "x", |_| None);
        assert_eq!(empty.bullets, 0.0);
    }
}

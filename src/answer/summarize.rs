//! `summarize`: an extractive summary of one article (stored, by id) or of a raw text.
//!
//! Sentences are ranked by centrality — PageRank over a sentence graph whose edges mix vector
//! similarity and TextRank's word-overlap similarity — times a lead/position prior; the top ones
//! are taken without redundancy and returned in article order, with their spans.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::dot;
use super::lexical::Lexicon;
use super::params::SummaryParams;
use crate::article::Span;
use crate::engine::Reader;
use crate::error::{Error, Result};

/// Longest raw text accepted by `summarize`, in bytes.
pub const MAX_TEXT_BYTES: usize = 200_000;
/// Most sentences a raw text to `summarize` may have: they are embedded on the query path,
/// ahead of ingest, so their number is bounded (about 1 s of encoder time at the limit).
pub const MAX_TEXT_SENTENCES: usize = 400;

/// `POST /v1/summarize` body: exactly one of `article_id` and `text`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SummarizeRequest {
    /// A stored article.
    #[serde(default)]
    pub article_id: Option<String>,
    /// Or a raw text.
    #[serde(default)]
    pub text: Option<String>,
    /// At most this many sentences (1–20, default 3).
    #[serde(default)]
    pub max_sentences: Option<usize>,
    /// Stop before this many words (optional).
    #[serde(default)]
    pub max_words: Option<usize>,
}

/// One summary sentence.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SummarySentence {
    /// The sentence (`text[start..end]` of the source).
    pub text: String,
    /// Byte offset in the article body (or the given text).
    pub start: usize,
    /// Byte offset just past it.
    pub end: usize,
    /// Centrality score.
    pub score: f32,
}

/// `POST /v1/summarize` response.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SummarizeResponse {
    /// The article summarised, when given by id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub article_id: Option<String>,
    /// Its title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Summary sentences in source order.
    pub sentences: Vec<SummarySentence>,
    /// The sentences joined.
    pub summary: String,
}

/// Summarises a stored article or a raw text.
pub fn summarize(r: &mut Reader, req: &SummarizeRequest) -> Result<SummarizeResponse> {
    let max_sentences = req.max_sentences.unwrap_or(3);
    if !(1..=20).contains(&max_sentences) {
        return Err(Error::invalid(
            "max_sentences_out_of_range",
            format!("max_sentences must be between 1 and 20, got {max_sentences}"),
        ));
    }
    let (article_id, title, body, spans, vectors) = match (&req.article_id, &req.text) {
        (Some(id), None) => {
            let article = r.article(id)?.ok_or_else(|| Error::NotFound(id.clone()))?;
            let sents = r.sentences(id)?;
            let spans: Vec<Span> = sents.iter().map(|s| s.span).collect();
            let vectors: Vec<Vec<f32>> = sents.iter().map(|s| s.vector.clone()).collect();
            (
                Some(article.id.clone()),
                Some(article.title.clone()),
                article.body.clone(),
                spans,
                vectors,
            )
        }
        (None, Some(text)) => {
            if text.trim().is_empty() {
                return Err(Error::invalid(
                    "empty_text",
                    "the text to summarise is empty",
                ));
            }
            if text.len() > MAX_TEXT_BYTES {
                return Err(Error::invalid(
                    "text_too_long",
                    format!(
                        "text is {} bytes; the limit is {MAX_TEXT_BYTES}",
                        text.len()
                    ),
                ));
            }
            let spans = crate::text::segment(text);
            if spans.len() > MAX_TEXT_SENTENCES {
                return Err(Error::invalid(
                    "text_too_long",
                    format!(
                        "text has {} sentences; the limit is {MAX_TEXT_SENTENCES}",
                        spans.len()
                    ),
                ));
            }
            let texts = spans
                .iter()
                .map(|s| text[s.start..s.end].to_string())
                .collect();
            let vectors = r.engine().embed_queries_many_blocking(texts)?;
            (None, None, text.clone(), spans, vectors)
        }
        _ => {
            return Err(Error::invalid(
                "bad_summarize_request",
                "give exactly one of article_id and text",
            ))
        }
    };
    let picked = rank_sentences(
        &body,
        &spans,
        &vectors,
        max_sentences,
        req.max_words,
        &r.ranking().summary,
    );
    let sentences: Vec<SummarySentence> = picked
        .into_iter()
        .map(|(i, score)| SummarySentence {
            text: body[spans[i].start..spans[i].end].to_string(),
            start: spans[i].start,
            end: spans[i].end,
            score,
        })
        .collect();
    let summary = sentences
        .iter()
        .map(|s| s.text.trim())
        .collect::<Vec<_>>()
        .join(" ");
    Ok(SummarizeResponse {
        article_id,
        title,
        sentences,
        summary,
    })
}

/// Picks summary sentences: returns `(sentence index, score)` in source order.
pub(crate) fn rank_sentences(
    body: &str,
    spans: &[Span],
    vectors: &[Vec<f32>],
    max_sentences: usize,
    max_words: Option<usize>,
    w: &SummaryParams,
) -> Vec<(usize, f32)> {
    let n = spans.len();
    if n == 0 {
        return Vec::new();
    }
    let lex = Lexicon::default();
    let sets: Vec<HashSet<String>> = spans
        .iter()
        .map(|s| lex.term_set(&body[s.start..s.end]))
        .collect();
    // Edge weights.
    let mut sim = vec![0.0f32; n * n];
    for i in 0..n {
        for j in (i + 1)..n {
            let overlap = sets[i].intersection(&sets[j]).count() as f32;
            let denom =
                ((sets[i].len().max(1) as f32).ln() + (sets[j].len().max(1) as f32).ln()).max(1.0);
            let lexical = overlap / denom;
            let vector = dot(&vectors[i], &vectors[j]).max(0.0);
            let s = w.vector_share * vector + (1.0 - w.vector_share) * lexical;
            sim[i * n + j] = s;
            sim[j * n + i] = s;
        }
    }
    // PageRank.
    let out_weight: Vec<f32> = (0..n)
        .map(|i| sim[i * n..(i + 1) * n].iter().sum())
        .collect();
    let mut rank = vec![1.0 / n as f32; n];
    for _ in 0..40 {
        let mut next = vec![(1.0 - w.damping) / n as f32; n];
        for j in 0..n {
            if out_weight[j] <= 0.0 {
                continue;
            }
            let share = w.damping * rank[j] / out_weight[j];
            for i in 0..n {
                next[i] += share * sim[j * n + i];
            }
        }
        rank = next;
    }
    let max = rank
        .iter()
        .cloned()
        .fold(f32::MIN, f32::max)
        .max(f32::EPSILON);
    let score: Vec<f32> = rank
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let short = sets[i].len() < 3;
            let base = r / max * (1.0 + w.lead / (1.0 + i as f32));
            if short {
                base * w.short_penalty
            } else {
                base
            }
        })
        .collect();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| score[b].total_cmp(&score[a]));
    let mut chosen: Vec<usize> = Vec::new();
    let mut words = 0;
    for i in order {
        if chosen.len() == max_sentences {
            break;
        }
        if chosen
            .iter()
            .any(|&j| dot(&vectors[i], &vectors[j]) >= w.redundancy)
        {
            continue;
        }
        let wc = body[spans[i].start..spans[i].end]
            .split_whitespace()
            .count();
        if let Some(limit) = max_words {
            if words + wc > limit && !chosen.is_empty() {
                continue;
            }
        }
        words += wc;
        chosen.push(i);
    }
    chosen.sort();
    chosen.into_iter().map(|i| (i, score[i])).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(v: &[f32]) -> Vec<f32> {
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter().map(|x| x / n).collect()
    }

    #[test]
    fn central_sentences_win_and_come_back_in_order() {
        let body =
            "Cats purr. SIDBI funds clusters of MSMEs. SIDBI clusters help MSMEs grow. Rain fell.";
        let spans = crate::text::segment(body);
        assert_eq!(spans.len(), 4);
        let vectors = vec![
            unit(&[0.0, 0.0, 1.0]),
            unit(&[1.0, 0.5, 0.0]),
            unit(&[1.0, -0.3, 0.2]),
            unit(&[0.0, 1.0, 0.0]),
        ];
        let picked = rank_sentences(body, &spans, &vectors, 2, None, &SummaryParams::default());
        let idx: Vec<usize> = picked.iter().map(|p| p.0).collect();
        assert_eq!(idx, vec![1, 2]);
    }

    #[test]
    fn word_budget_is_respected_after_the_first_sentence() {
        let body = "One two three four five. Six seven eight nine ten eleven. Twelve.";
        let spans = crate::text::segment(body);
        let vectors = vec![unit(&[1.0, 0.0]); spans.len()];
        let w = SummaryParams {
            redundancy: 2.0,
            ..Default::default()
        };
        let picked = rank_sentences(body, &spans, &vectors, 3, Some(6), &w);
        let words: usize = picked
            .iter()
            .map(|(i, _)| {
                body[spans[*i].start..spans[*i].end]
                    .split_whitespace()
                    .count()
            })
            .sum();
        assert!(words <= 6, "{picked:?}");
    }
}

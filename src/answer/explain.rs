//! What the answer stage weighs, for measuring it: the evidence behind a retrieval ranking and
//! behind ask's choice of sentence, and the summary ranking of a stored article.
//!
//! This is the evaluation lab's window into ranking (`newsdesk-lab eval …` compares retrievers,
//! dumps evidence for weight fits and scores summaries with it). Every function runs the same
//! code the product runs — the same candidates, features and ranking — through a request's
//! [`Reader`], with the parameters of the reader's engine unless a function takes them.

use serde::Serialize;

use super::ask::{ask_evidence, Features};
use super::params::{AskWeights, Fusion};
use super::retrieve::{candidates, depth_for, rank as rank_candidates};
use super::summarize::rank_sentences;
use super::{Mode, RetrievedPassage};
use crate::article::Span;
use crate::engine::Reader;
use crate::error::{Error, Result};
use crate::index::Filters;

pub use super::lexical::{answer_kind, AnswerKind};

/// How deep retrieval reads each list for `k` results (what [`super::search`] and
/// [`super::ask`] use).
pub fn retrieval_depth(k: usize) -> usize {
    depth_for(k)
}

/// Every candidate passage for a query with its evidence, unranked (`score` 0): the union of
/// the dense list, the BM25 passage list and the passages of the BM25 article list, each
/// `depth` deep. Rank them with [`rank`].
pub fn retrieval_evidence(
    r: &mut Reader,
    query: &str,
    query_vec: &[f32],
    depth: usize,
    filters: &Filters,
    mode: Mode,
) -> Result<Vec<RetrievedPassage>> {
    candidates(r, query, query_vec, depth, filters, mode)
}

/// Scores and orders candidates with `fusion` restricted to `mode`'s evidence, keeping the
/// best `k` (pure: what retrieval does after gathering evidence).
pub fn rank(cands: &mut Vec<RetrievedPassage>, fusion: &Fusion, mode: Mode, k: usize) {
    rank_candidates(cands, &fusion.for_mode(mode), k);
}

/// One sentence ask considered, with its evidence.
#[derive(Debug, Clone, Serialize)]
pub struct SentenceEvidence {
    /// The sentence's article.
    pub article_id: String,
    /// Position in the article.
    pub index: usize,
    /// Byte span in the body.
    pub span: Span,
    /// The sentence text.
    pub text: String,
    /// The evidence ask weighs.
    pub features: Features,
    /// Its ask score under `weights` given to [`ask_sentences`].
    pub score: f32,
}

/// Every sentence ask would consider for a question (reading `depth` passages, as ask does
/// with `k` ≤ 10), with its evidence and its score under `weights`, best first.
pub fn ask_sentences(
    r: &mut Reader,
    question: &str,
    query_vec: &[f32],
    depth: usize,
    filters: &Filters,
    mode: Mode,
    weights: &AskWeights,
) -> Result<Vec<SentenceEvidence>> {
    let ev = ask_evidence(r, question, query_vec, depth, filters, mode)?;
    let mut out: Vec<SentenceEvidence> = ev
        .candidates
        .iter()
        .zip(ev.features)
        .map(|(c, f)| SentenceEvidence {
            article_id: c.article.id.clone(),
            index: c.index,
            span: c.span,
            text: c.text().to_string(),
            score: f.score(weights),
            features: f,
        })
        .collect();
    out.sort_by(|a, b| b.score.total_cmp(&a.score));
    Ok(out)
}

/// Every sentence of a stored article with its summary score, in article order (summarize
/// returns the best few of these). Uses the reader's engine's summary parameters.
pub fn summary_scores(r: &mut Reader, article_id: &str) -> Result<Vec<(usize, f32)>> {
    let article = r
        .article(article_id)?
        .ok_or_else(|| Error::NotFound(article_id.to_string()))?;
    let sents = r.sentences(article_id)?;
    let spans: Vec<Span> = sents.iter().map(|s| s.span).collect();
    let vectors: Vec<Vec<f32>> = sents.iter().map(|s| s.vector.clone()).collect();
    Ok(rank_sentences(
        &article.body,
        &spans,
        &vectors,
        spans.len(),
        None,
        &r.ranking().summary,
    ))
}

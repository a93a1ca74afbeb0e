//! Hybrid retrieval. Three searches bring candidate passages together, each with filters
//! applied inside it: the vector index (passages nearest the query), BM25 over passages and BM25
//! over whole articles (every passage of a matching article is a candidate). Every candidate
//! then gets the same four pieces of evidence, whichever search found it:
//!
//! * `dense`: cosine of the query with the passage vector (exact, from the vector index);
//! * `sentence`: the best cosine among the passage's sentences — a passage with one sentence
//!   that matches closely is lifted even when the passage as a whole is diluted;
//! * `bm25`: the passage's BM25 score (0 when BM25 did not return it);
//! * `article`: the BM25 score of its whole article (0 when not returned) — a question's terms
//!   are often spread over an article rather than packed into one passage.
//!
//! The fused score is a weighted sum of the four. The BM25 scores are divided by their best
//! value among the candidates, so the fusion does not depend on the scale of BM25 scores (which
//! grows with the query's length); the cosines are used as they are, so a query the vectors
//! match only weakly leans on BM25 more. The weights were learned on the SciFact train queries (`newsdesk eval scifact`,
//! EVAL.md); they live in [`super::RankingParams`]. Reciprocal rank fusion of the passage lists
//! stays available as [`FusionMethod::Rrf`], the textbook baseline.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::params::{Fusion, FusionMethod};
use crate::engine::Reader;
use crate::error::Result;
use crate::index::{Bm25Query, Filters};

/// Which retriever answers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Vectors only (passage and sentence vectors).
    Dense,
    /// BM25 only (passages and whole articles).
    Bm25,
    /// Both, fused (the default).
    #[default]
    Hybrid,
}

impl Fusion {
    /// The same weights with one retriever family switched off (single-mode retrieval).
    pub fn for_mode(self, mode: Mode) -> Fusion {
        match mode {
            Mode::Hybrid => self,
            Mode::Dense => Fusion {
                bm25: 0.0,
                article: 0.0,
                ..self
            },
            Mode::Bm25 => Fusion {
                dense: 0.0,
                sentence: 0.0,
                ..self
            },
        }
    }
}

/// One retrieved passage with the evidence behind its rank.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct RetrievedPassage {
    /// Passage id.
    pub pid: u64,
    /// Fused score (higher is better).
    pub score: f32,
    /// Cosine similarity of the passage to the query.
    pub dense: Option<f32>,
    /// Best cosine among the passage's sentences.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sentence: Option<f32>,
    /// BM25 score of the passage, when BM25 returned it.
    pub bm25: Option<f32>,
    /// BM25 score of the passage's article, when the article search returned it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub article: Option<f32>,
    /// Rank in the dense passage list (0 = first), when it was there.
    #[serde(skip)]
    pub dense_rank: Option<usize>,
    /// Rank in the BM25 passage list, when it was there.
    #[serde(skip)]
    pub bm25_rank: Option<usize>,
}

/// How deep each list is read for `k` results.
pub(crate) fn depth_for(k: usize) -> usize {
    (k * 2).max(50)
}

/// Retrieves up to `k` passages for a query, each list read [`depth_for`]`(k)` deep, ranked by
/// the engine's fusion parameters. Articles and sentences read here stay in the reader for the
/// answer stage of the same request.
pub(crate) fn retrieve(
    r: &mut Reader,
    query: &str,
    query_vec: &[f32],
    k: usize,
    filters: &Filters,
    mode: Mode,
) -> Result<Vec<RetrievedPassage>> {
    let mut cands = candidates(r, query, query_vec, depth_for(k), filters, mode)?;
    rank(&mut cands, &r.ranking().fusion.for_mode(mode), k);
    Ok(cands)
}

/// Every candidate passage with its evidence (unranked, `score` 0): the union of the dense
/// list, the BM25 passage list and the passages of the BM25 article list, each `depth` deep.
/// Single modes gather only their own family's candidates and evidence.
pub(crate) fn candidates(
    r: &mut Reader,
    query: &str,
    query_vec: &[f32],
    depth: usize,
    filters: &Filters,
    mode: Mode,
) -> Result<Vec<RetrievedPassage>> {
    let bq = Bm25Query::parse(query);
    let use_dense = mode != Mode::Bm25;
    let use_bm25 = mode != Mode::Dense;
    let dense = if use_dense {
        r.dense(query_vec, depth, filters)?
    } else {
        Vec::new()
    };
    let (bm25, articles) = if use_bm25 {
        (
            r.bm25(&bq, depth, filters)?,
            r.bm25_articles(&bq, depth, filters)?,
        )
    } else {
        (Vec::new(), Vec::new())
    };
    let mut by_pid: HashMap<u64, RetrievedPassage> = HashMap::new();
    fn entry(by_pid: &mut HashMap<u64, RetrievedPassage>, pid: u64) -> &mut RetrievedPassage {
        by_pid.entry(pid).or_insert(RetrievedPassage {
            pid,
            ..Default::default()
        })
    }
    for (rank, &(pid, s)) in dense.iter().enumerate() {
        let e = entry(&mut by_pid, pid);
        e.dense = Some(s);
        e.dense_rank = Some(rank);
    }
    for (rank, &(pid, s)) in bm25.iter().enumerate() {
        let e = entry(&mut by_pid, pid);
        e.bm25 = Some(s);
        e.bm25_rank = Some(rank);
    }
    for hit in &articles {
        for &pid in &hit.pids {
            entry(&mut by_pid, pid).article = Some(hit.score);
        }
    }
    let mut out: Vec<RetrievedPassage> = by_pid.into_values().collect();
    out.sort_by_key(|c| c.pid);
    if !use_dense {
        return Ok(out);
    }
    // Dense evidence for passages the vector search did not return, read from the index.
    let missing: Vec<u64> = out
        .iter()
        .filter(|c| c.dense.is_none())
        .map(|c| c.pid)
        .collect();
    if !missing.is_empty() {
        let sims = r.similarities(query_vec, &missing)?;
        let sims: HashMap<u64, Option<f32>> = missing.into_iter().zip(sims).collect();
        for c in out.iter_mut().filter(|c| c.dense.is_none()) {
            c.dense = sims.get(&c.pid).copied().flatten();
        }
    }
    // Sentence evidence: the best cosine among the passage's sentences.
    let pids: Vec<u64> = out.iter().map(|c| c.pid).collect();
    for (c, best) in out
        .iter_mut()
        .zip(r.best_sentence_cosines(&pids, query_vec)?)
    {
        c.sentence = best;
    }
    // A passage deleted between the searches and now has no evidence left: drop it. (One the
    // request's snapshot does not hold is skipped by the answer stage.)
    out.retain(|c| c.dense.is_some());
    Ok(out)
}

/// Scores and orders candidates (pure; unit-tested), keeping the best `k`.
pub(crate) fn rank(cands: &mut Vec<RetrievedPassage>, fusion: &Fusion, k: usize) {
    match fusion.method {
        FusionMethod::Score => {
            let top = |f: fn(&RetrievedPassage) -> Option<f32>| {
                cands
                    .iter()
                    .filter_map(f)
                    .fold(0.0f32, f32::max)
                    .max(f32::EPSILON)
            };
            let (b, a) = (top(|c| c.bm25), top(|c| c.article));
            for c in cands.iter_mut() {
                let part = |v: Option<f32>, scale: f32, w: f32| {
                    if w == 0.0 {
                        0.0
                    } else {
                        w * v.unwrap_or(0.0).max(0.0) / scale
                    }
                };
                c.score = part(c.dense, 1.0, fusion.dense)
                    + part(c.sentence, 1.0, fusion.sentence)
                    + part(c.bm25, b, fusion.bm25)
                    + part(c.article, a, fusion.article);
            }
            // A single-family ranking keeps only what that family found.
            if fusion.bm25 == 0.0 && fusion.article == 0.0 {
                cands.retain(|c| c.dense_rank.is_some());
            } else if fusion.dense == 0.0 && fusion.sentence == 0.0 {
                cands.retain(|c| c.bm25.is_some() || c.article.is_some());
            }
        }
        FusionMethod::Rrf => {
            let rrf = |rank: Option<usize>, w: f32| {
                rank.map(|r| w / (fusion.rrf_k + r as f32 + 1.0))
                    .unwrap_or(0.0)
            };
            for c in cands.iter_mut() {
                c.score = rrf(c.dense_rank, fusion.dense) + rrf(c.bm25_rank, fusion.bm25);
            }
            cands.retain(|c| c.dense_rank.is_some() || c.bm25_rank.is_some());
        }
    }
    cands.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.pid.cmp(&b.pid)));
    cands.truncate(k);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(pid: u64, dense: f32, sentence: f32, bm25: Option<f32>) -> RetrievedPassage {
        RetrievedPassage {
            pid,
            dense: Some(dense),
            sentence: Some(sentence),
            bm25,
            ..Default::default()
        }
    }

    fn ids(v: &[RetrievedPassage]) -> Vec<u64> {
        v.iter().map(|h| h.pid).collect()
    }

    #[test]
    fn fusion_rewards_agreement() {
        // 1 is best by vector and decent by BM25; 3 tops BM25 but is far by vector.
        let mut c = vec![
            cand(1, 0.9, 0.9, Some(9.0)),
            cand(2, 0.8, 0.8, None),
            cand(3, 0.4, 0.4, Some(12.0)),
            cand(4, 0.3, 0.3, Some(10.0)),
        ];
        rank(&mut c, &Fusion::default(), 10);
        assert_eq!(ids(&c)[0], 1, "{c:?}");
        assert_eq!(c.len(), 4);
    }

    #[test]
    fn single_modes_keep_their_own_evidence_and_lists() {
        let mut c = vec![
            RetrievedPassage {
                dense_rank: Some(0),
                ..cand(1, 0.9, 0.5, None)
            },
            RetrievedPassage {
                bm25_rank: Some(0),
                ..cand(2, 0.2, 0.2, Some(5.0))
            },
        ];
        let mut dense = c.clone();
        rank(&mut dense, &Fusion::default().for_mode(Mode::Dense), 10);
        assert_eq!(ids(&dense), vec![1], "only what the vector search found");
        rank(&mut c, &Fusion::default().for_mode(Mode::Bm25), 10);
        assert_eq!(ids(&c), vec![2]);
    }

    #[test]
    fn rank_fusion_is_still_available() {
        let mk = |pid, d: Option<usize>, b: Option<usize>| RetrievedPassage {
            pid,
            dense: Some(0.5),
            dense_rank: d,
            bm25_rank: b,
            ..Default::default()
        };
        let mut c = vec![
            mk(1, Some(0), Some(2)),
            mk(2, Some(1), None),
            mk(3, Some(2), Some(0)),
            mk(4, None, Some(1)),
            mk(5, None, None),
        ];
        rank(&mut c, &Fusion::rrf(), 10);
        assert_eq!(ids(&c), vec![1, 3, 2, 4], "5 was in neither list");
        let want = 1.0 / 61.0 + 1.0 / 63.0;
        assert!((c[0].score - want).abs() < 1e-6);
    }

    #[test]
    fn score_fusion_uses_score_gaps_and_ignores_scale() {
        let c = vec![
            cand(1, 0.80, 0.80, Some(1.0)),
            cand(2, 0.78, 0.78, Some(9.9)),
            cand(3, 0.30, 0.30, Some(10.0)),
        ];
        let mut a = c.clone();
        rank(&mut a, &Fusion::default(), 10);
        assert_eq!(a[0].pid, 2, "{a:?}");
        // Scaling BM25 changes nothing: evidence is max-normalised.
        let mut b: Vec<RetrievedPassage> = c
            .iter()
            .map(|x| RetrievedPassage {
                bm25: x.bm25.map(|s| s * 7.0),
                ..x.clone()
            })
            .collect();
        rank(&mut b, &Fusion::default(), 10);
        assert_eq!(ids(&a), ids(&b));
        let mut short = c.clone();
        rank(&mut short, &Fusion::default(), 2);
        assert_eq!(short.len(), 2);
    }

    #[test]
    fn sentence_and_article_evidence_lift_their_passages() {
        let base = vec![
            cand(1, 0.60, 0.50, Some(5.0)),
            cand(2, 0.55, 0.80, Some(5.0)),
        ];
        let mut with = base.clone();
        rank(&mut with, &Fusion::default(), 10);
        assert_eq!(
            with[0].pid, 2,
            "one close sentence lifts passage 2: {with:?}"
        );
        let mut without = base.clone();
        let off = Fusion {
            sentence: 0.0,
            ..Fusion::default()
        };
        rank(&mut without, &off, 10);
        assert_eq!(without[0].pid, 1, "the passage vector decides: {without:?}");
        // The same two passages, now 1's article matches the query as a whole.
        let mut art = base.clone();
        art[0].article = Some(20.0);
        art[1].article = Some(2.0);
        rank(&mut art, &Fusion::default(), 10);
        assert_eq!(art[0].pid, 1, "{art:?}");
    }
}

//! `search`: ranked passages (or one best passage per article) with article metadata and the
//! passage's best sentence as highlight.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::lexical::{Lexicon, PoolIdf};
use super::retrieve::{retrieve, Mode};
use super::{check_k, check_query, dot, Citation, FilterSpec};
use crate::engine::Reader;
use crate::error::Result;

/// `POST /v1/search` body.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchRequest {
    /// What to look for.
    pub query: String,
    /// Number of hits (1–100, default 10).
    #[serde(default)]
    pub k: Option<usize>,
    /// Restrict to some sources, categories or dates.
    #[serde(default)]
    pub filters: Option<FilterSpec>,
    /// One hit per article (its best passage).
    #[serde(default)]
    pub group_by_article: bool,
    /// Retriever to use (default hybrid).
    #[serde(default)]
    pub mode: Option<Mode>,
}

/// A highlighted span inside the hit's article.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Highlight {
    /// The sentence text.
    pub text: String,
    /// Byte offset in the article body.
    pub start: usize,
    /// Byte offset just past it.
    pub end: usize,
}

/// Scores behind a hit.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Scores {
    /// The fused (or single-mode) score that ranks hits.
    pub score: f32,
    /// Cosine similarity, when the dense list found it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dense: Option<f32>,
    /// BM25 score, when the BM25 list found it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bm25: Option<f32>,
}

/// One search hit.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SearchHit {
    /// Passage id.
    pub passage_id: u64,
    /// Article and the passage's span in it.
    pub citation: Citation,
    /// The article's category.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// The passage text.
    pub text: String,
    /// The passage's best sentence for the query.
    pub highlight: Highlight,
    /// Ranking evidence.
    pub scores: Scores,
}

/// `POST /v1/search` response.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SearchResponse {
    /// The query as given.
    pub query: String,
    /// Retriever used.
    pub mode: Mode,
    /// Hits, best first.
    pub hits: Vec<SearchHit>,
}

/// Runs a search. `query_vec` is the query's embedding.
pub fn search(r: &mut Reader, req: &SearchRequest, query_vec: &[f32]) -> Result<SearchResponse> {
    check_query(&req.query, "query")?;
    let k = check_k(req.k.unwrap_or(10))?;
    let filters = req.filters.clone().unwrap_or_default().to_filters()?;
    let mode = req.mode.unwrap_or_default();
    let sp = r.ranking().search;
    // Grouping needs a deeper list: several passages of one article may lead it.
    let depth = if req.group_by_article {
        k * sp.group_depth_factor
    } else {
        k
    };
    let hits = retrieve(r, &req.query, query_vec, depth, &filters, mode)?;
    let lex = Lexicon::default();
    let q_terms = lex.terms(&req.query);
    let mut seen_articles = HashSet::new();
    let mut out = Vec::new();
    for h in hits {
        if out.len() == k {
            break;
        }
        let Some(p) = r.passage(h.pid)? else {
            continue;
        };
        if req.group_by_article && !seen_articles.insert(p.article.id.clone()) {
            continue;
        }
        let sentences = r.sentences(&p.article.id)?;
        let inside: Vec<_> = sentences
            .iter()
            .filter(|s| s.span.start < p.span.end && s.span.end > p.span.start)
            .collect();
        let sets: Vec<HashSet<String>> = inside
            .iter()
            .map(|s| lex.term_set(&p.article.body[s.span.start..s.span.end]))
            .collect();
        let idf = PoolIdf::new(sets.iter());
        let best = inside
            .iter()
            .zip(&sets)
            .map(|(s, set)| {
                let score = sp.highlight_dense * dot(query_vec, &s.vector)
                    + sp.highlight_lexical * idf.coverage(&q_terms, set);
                (score, s.span)
            })
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, span)| span)
            .unwrap_or(p.span);
        // A sentence split across passages: highlight only the part inside this passage.
        let (hs, he) = (best.start.max(p.span.start), best.end.min(p.span.end));
        out.push(SearchHit {
            passage_id: h.pid,
            citation: Citation::of(&p.article, p.span.start, p.span.end),
            category: p.article.category.clone(),
            text: p.text().to_string(),
            highlight: Highlight {
                text: p.article.body[hs..he].to_string(),
                start: hs,
                end: he,
            },
            scores: Scores {
                score: h.score,
                dense: h.dense,
                bm25: h.bm25,
            },
        });
    }
    Ok(SearchResponse {
        query: req.query.clone(),
        mode,
        hits: out,
    })
}

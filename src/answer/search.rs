//! `search`: ranked passages (or one best passage per article) with article metadata and the
//! passage's best sentence as highlight.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::lexical::{Lexicon, PoolIdf};
use super::retrieve::{retrieve, Mode};
use super::{check_k, check_query, dot, Citation, FilterSpec};
use crate::article::Span;
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
    /// One hit per article (its best passage); the same as `group_by: "article"`.
    #[serde(default)]
    pub group_by_article: bool,
    /// One hit per article or per story (its best passage).
    #[serde(default)]
    pub group_by: Option<GroupBy>,
    /// Retriever to use (default hybrid).
    #[serde(default)]
    pub mode: Option<Mode>,
    /// Only hits whose article names all of these in its headline or lead (organisations,
    /// people, places, schemes as `GET /v1/facets` lists them; case-insensitive).
    #[serde(default)]
    pub entities: Vec<String>,
    /// Counts to return over the hits' articles: any of `source`, `category`, `entity`.
    #[serde(default)]
    pub facets: Vec<FacetName>,
}

/// A facet search can count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum FacetName {
    Source,
    Category,
    Entity,
}

/// Counts of one facet over the hits' articles (each article once), most first.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct HitFacets {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Vec<crate::engine::FacetValue>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<Vec<crate::engine::FacetValue>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity: Option<Vec<crate::engine::FacetValue>>,
}

/// What search groups hits by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum GroupBy {
    /// One hit per article.
    Article,
    /// One hit per story: the best passage of the story's best article.
    Story,
}

/// The story a hit belongs to.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HitStory {
    /// Story id (`GET /v1/stories/{id}`).
    pub id: u64,
    /// Articles in the story.
    pub articles: usize,
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
    /// Reprints of this text by other outlets (near-copies folded into this hit), each cited
    /// where it carries the highlighted sentence (else its lead).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also_published_by: Vec<Citation>,
    /// The story the article belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub story: Option<HitStory>,
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
    /// The counts asked for with `facets`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facets: Option<HitFacets>,
}

/// Runs a search. `query_vec` is the query's embedding.
pub fn search(r: &mut Reader, req: &SearchRequest, query_vec: &[f32]) -> Result<SearchResponse> {
    check_query(&req.query, "query")?;
    let k = check_k(req.k.unwrap_or(10))?;
    let filters = req.filters.clone().unwrap_or_default().to_filters()?;
    let mode = req.mode.unwrap_or_default();
    let sp = r.ranking().search;
    let group = req
        .group_by
        .or(req.group_by_article.then_some(GroupBy::Article));
    // Grouping needs a deeper list: several passages of one article (or story) may lead it;
    // folding reprints, a little deeper.
    let wanted: Vec<String> = req
        .entities
        .iter()
        .map(|e| e.trim().to_lowercase())
        .collect();
    let depth = if group.is_some() || !wanted.is_empty() {
        k * sp.group_depth_factor
    } else {
        k + k.div_ceil(2)
    };
    let hits = retrieve(r, &req.query, query_vec, depth, &filters, mode)?;
    let lex = Lexicon::default();
    let q_terms = lex.terms(&req.query);
    let mut seen_articles = HashSet::new();
    let mut seen_stories = HashSet::new();
    // (canonical article, article) of every hit so far: a passage of another copy of a shown
    // text is folded into the hit that shows it.
    let mut shown: Vec<(String, String)> = Vec::new();
    let mut out = Vec::new();
    for h in hits {
        if out.len() == k {
            break;
        }
        let Some(p) = r.passage(h.pid)? else {
            continue;
        };
        let (canonical, story) = {
            let book = r.engine().stories();
            if !wanted.is_empty() {
                let names: Vec<String> = book
                    .link(&p.article.id)
                    .map(|l| l.features.names.iter().map(|n| n.to_lowercase()).collect())
                    .unwrap_or_default();
                if !wanted.iter().all(|w| names.contains(w)) {
                    continue;
                }
            }
            let story = book
                .story_of(&p.article.id)
                .and_then(|id| book.size(id).map(|articles| HitStory { id, articles }));
            (book.canonical(&p.article.id).to_string(), story)
        };
        let first_of_group = match (group, &story) {
            (Some(GroupBy::Story), Some(s)) => seen_stories.insert(s.id),
            (Some(_), _) => seen_articles.insert(canonical.clone()),
            (None, _) => !shown
                .iter()
                .any(|(c, a)| *c == canonical && *a != p.article.id),
        };
        if !first_of_group {
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
        let also_published_by =
            copies_citing(r, &canonical, &p.article.id, &p.article.body[hs..he])?;
        shown.push((canonical.clone(), p.article.id.clone()));
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
            also_published_by,
            story,
        });
    }
    let facets = (!req.facets.is_empty()).then(|| hit_facets(r, &out, &req.facets));
    Ok(SearchResponse {
        query: req.query.clone(),
        mode,
        hits: out,
        facets,
    })
}

/// Counts the asked facets over the distinct articles of `hits`.
fn hit_facets(r: &Reader, hits: &[SearchHit], asked: &[FacetName]) -> HitFacets {
    use std::collections::BTreeMap;
    let mut seen = HashSet::new();
    let mut sources = BTreeMap::<String, u64>::new();
    let mut categories = BTreeMap::<String, u64>::new();
    let mut entities = BTreeMap::<String, u64>::new();
    let book = r.engine().stories();
    for h in hits {
        let id = &h.citation.article_id;
        if !seen.insert(id.clone()) {
            continue;
        }
        if let Some(s) = &h.citation.source {
            *sources.entry(s.clone()).or_default() += 1;
        }
        if let Some(c) = &h.category {
            *categories.entry(c.clone()).or_default() += 1;
        }
        for n in book
            .link(id)
            .map(|l| l.features.names.as_slice())
            .unwrap_or(&[])
        {
            *entities.entry(n.clone()).or_default() += 1;
        }
    }
    let want = |f: FacetName, m: BTreeMap<String, u64>| {
        asked
            .contains(&f)
            .then(|| crate::engine::ranked_facet_values(m))
    };
    HitFacets {
        source: want(FacetName::Source, sources),
        category: want(FacetName::Category, categories),
        entity: want(FacetName::Entity, entities),
    }
}

/// Citations of the other copies of a text (the original `canonical` and its reprints, less
/// `shown`): where each carries `sentence`, else its lead sentence.
pub(crate) fn copies_citing(
    r: &mut Reader,
    canonical: &str,
    shown: &str,
    sentence: &str,
) -> Result<Vec<Citation>> {
    let (ids, leads): (Vec<String>, Vec<Option<Span>>) = {
        let book = r.engine().stories();
        let mut ids: Vec<&str> = std::iter::once(canonical)
            .chain(book.copies_of(canonical))
            .filter(|id| *id != shown)
            .collect();
        ids.dedup();
        ids.iter()
            .map(|id| {
                let lead = book.link(id).and_then(|l| l.features.lead);
                (id.to_string(), lead)
            })
            .unzip()
    };
    let needle = sentence.trim();
    let mut out = Vec::with_capacity(ids.len());
    for (id, lead) in ids.iter().zip(leads) {
        let Some(a) = r.article(id)? else {
            continue;
        };
        let span = match (!needle.is_empty()).then(|| a.body.find(needle)).flatten() {
            Some(at) => Span::new(at, at + needle.len()),
            None => lead.unwrap_or(Span::new(0, 0)),
        };
        out.push(Citation::of(&a, span.start, span.end));
    }
    Ok(out)
}

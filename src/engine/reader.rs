//! [`Reader`]: everything one request reads, from one store snapshot.
//!
//! A request (an ask, a search, a brief, a document view) takes one reader at its start. Every
//! store read of the request — passage records, article bodies, sentence spans and vectors —
//! goes through the reader's single redb read transaction, so a request never mixes two
//! versions of an article that is being re-posted meanwhile (old sentence offsets applied to a
//! new body). The reader also caches what it has read: each article and its sentences are
//! decoded once per request, however many candidates point at them.
//!
//! The indexes (HNSW, BM25) are not part of the snapshot: they may name a passage the snapshot
//! does not hold (committed after it, or deleted before it). Such a passage reads as `None`
//! and the request simply skips it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use super::{Engine, PassageView, SentenceView};
use crate::answer::lexical::{ArticleTerms, Lexicon};
use crate::answer::RankingParams;
use crate::article::Article;
use crate::article::Span;
use crate::error::Result;
use crate::index::{dot, ArticleHit, Bm25Query, Filters};
use crate::store::{Snapshot, StoredPassage};

/// One request's view of the engine: a store snapshot plus the articles and sentences read so
/// far. Not shared between requests; cheap to create.
pub struct Reader<'e> {
    engine: &'e Engine,
    snap: Snapshot,
    articles: HashMap<String, Option<Arc<Article>>>,
    passages: HashMap<u64, Option<StoredPassage>>,
    sentences: HashMap<String, Arc<Vec<SentenceView>>>,
    terms: HashMap<String, Arc<ArticleTerms>>,
    _open: OpenReader,
}

/// An open reader counts as a request being answered (the embedding service embeds a lone query
/// on one thread while any is open); the count drops with the reader.
struct OpenReader(Arc<AtomicUsize>);

impl OpenReader {
    fn count(readers: &Arc<AtomicUsize>) -> OpenReader {
        readers.fetch_add(1, Ordering::Relaxed);
        OpenReader(readers.clone())
    }
}

impl Drop for OpenReader {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl<'e> Reader<'e> {
    pub(super) fn new(engine: &'e Engine) -> Result<Reader<'e>> {
        Ok(Reader {
            engine,
            snap: engine.store.snapshot()?,
            articles: HashMap::new(),
            passages: HashMap::new(),
            sentences: HashMap::new(),
            terms: HashMap::new(),
            _open: OpenReader::count(&engine.readers),
        })
    }

    /// The engine this reader reads.
    pub fn engine(&self) -> &'e Engine {
        self.engine
    }

    /// The ranking parameters of the engine.
    pub fn ranking(&self) -> &'e RankingParams {
        &self.engine.config().ranking
    }

    /// The article with this id, as of the snapshot (read once per request).
    pub fn article(&mut self, id: &str) -> Result<Option<Arc<Article>>> {
        if let Some(a) = self.articles.get(id) {
            return Ok(a.clone());
        }
        let a = self.snap.article(id)?.map(Arc::new);
        self.articles.insert(id.to_string(), a.clone());
        Ok(a)
    }

    /// A passage's stored record (read once per request), without its article.
    fn passage_record(&mut self, pid: u64) -> Result<Option<StoredPassage>> {
        if let Some(p) = self.passages.get(&pid) {
            return Ok(p.clone());
        }
        let p = self.snap.passage(pid)?;
        self.passages.insert(pid, p.clone());
        Ok(p)
    }

    /// A passage with its article, or `None` when the snapshot does not hold it.
    pub fn passage(&mut self, pid: u64) -> Result<Option<PassageView>> {
        let Some(StoredPassage {
            article_id,
            start,
            end,
            first_sentence,
            last_sentence,
            ..
        }) = self.passage_record(pid)?
        else {
            return Ok(None);
        };
        let Some(article) = self.article(&article_id)? else {
            return Ok(None);
        };
        Ok(Some(PassageView {
            pid,
            article,
            span: Span { start, end },
            first_sentence,
            last_sentence,
        }))
    }

    /// All sentences of an article with their vectors, in order (read once per request).
    pub fn sentences(&mut self, article_id: &str) -> Result<Arc<Vec<SentenceView>>> {
        if let Some(s) = self.sentences.get(article_id) {
            return Ok(s.clone());
        }
        let s: Vec<SentenceView> = self
            .snap
            .sentences(article_id)?
            .into_iter()
            .enumerate()
            .map(|(index, (span, vector))| SentenceView {
                index,
                span,
                vector,
            })
            .collect();
        let s = Arc::new(s);
        self.sentences.insert(article_id.to_string(), s.clone());
        Ok(s)
    }

    /// The stems of an article's title, body and each sentence (see [`ArticleTerms`]): from
    /// the engine's cache of recently read articles when this version of the article is in
    /// it, else made now and kept there.
    pub fn article_terms(&mut self, lex: &Lexicon, article: &Article) -> Result<Arc<ArticleTerms>> {
        if let Some(t) = self.terms.get(&article.id) {
            return Ok(t.clone());
        }
        let spans: Vec<Span> = self
            .sentences(&article.id)?
            .iter()
            .map(|s| s.span)
            .collect();
        let t = self.engine.terms.get(lex, article, &spans);
        self.terms.insert(article.id.clone(), t.clone());
        Ok(t)
    }

    /// For each passage, the best cosine of a (unit) query vector with its sentences (`None`
    /// when the snapshot does not hold the passage or it has no sentence). The passages of one
    /// article are served by one read of the sentence vectors they span, and nothing of the
    /// article itself is read unless the request has read its sentences already.
    pub fn best_sentence_cosines(
        &mut self,
        pids: &[u64],
        query: &[f32],
    ) -> Result<Vec<Option<f32>>> {
        let mut out = vec![None; pids.len()];
        // article → (first, last) sentence range of each of its passages, by position in `pids`.
        let mut by_article: HashMap<String, Vec<(usize, usize, usize)>> = HashMap::new();
        for (i, &pid) in pids.iter().enumerate() {
            if let Some(p) = self.passage_record(pid)? {
                by_article.entry(p.article_id).or_default().push((
                    i,
                    p.first_sentence,
                    p.last_sentence,
                ));
            }
        }
        for (article_id, ranges) in by_article {
            let lo = ranges.iter().map(|r| r.1).min().unwrap_or(0);
            let hi = ranges.iter().map(|r| r.2).max().unwrap_or(0);
            let cosines: Vec<f32> = match self.sentences.get(&article_id) {
                Some(s) => s
                    .iter()
                    .skip(lo)
                    .take(hi.saturating_sub(lo))
                    .map(|s| dot(query, &s.vector))
                    .collect(),
                None => {
                    let mut c = Vec::with_capacity(hi.saturating_sub(lo));
                    self.snap
                        .for_sentence_vectors(&article_id, lo, hi, |v| c.push(dot(query, v)))?;
                    c
                }
            };
            for (i, first, last) in ranges {
                let from = first - lo;
                let to = last.saturating_sub(lo).min(cosines.len()).max(from);
                out[i] = cosines
                    .get(from..to)
                    .and_then(|c| c.iter().copied().reduce(f32::max));
            }
        }
        Ok(out)
    }

    /// Nearest passages by vector, filters applied inside the search.
    pub fn dense(&self, query: &[f32], k: usize, filters: &Filters) -> Result<Vec<(u64, f32)>> {
        Ok(self.engine.indexes.vector.search(query, k, filters)?)
    }

    /// Best passages for an analyzed BM25 query, filters applied inside the search.
    pub fn bm25(&self, query: &Bm25Query, k: usize, filters: &Filters) -> Result<Vec<(u64, f32)>> {
        Ok(self.engine.indexes.bm25.search_query(query, k, filters)?)
    }

    /// Best articles by BM25 over whole articles, filters applied inside the search.
    pub fn bm25_articles(
        &self,
        query: &Bm25Query,
        k: usize,
        filters: &Filters,
    ) -> Result<Vec<ArticleHit>> {
        Ok(self
            .engine
            .indexes
            .bm25
            .search_articles(query, k, filters)?)
    }

    /// BM25 idf of terms over articles.
    pub fn bm25_idf(&self, terms: &[String]) -> Result<Vec<f32>> {
        Ok(self.engine.indexes.bm25.article_idf(terms)?)
    }

    /// Exact cosine of a query with stored passages (`None` for a passage no longer live).
    pub fn similarities(&self, query: &[f32], pids: &[u64]) -> Result<Vec<Option<f32>>> {
        Ok(self.engine.indexes.vector.similarities(query, pids)?)
    }
}

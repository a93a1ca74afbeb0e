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
use std::sync::Arc;

use super::{Engine, PassageView, SentenceView};
use crate::answer::RankingParams;
use crate::article::Article;
use crate::article::Span;
use crate::error::Result;
use crate::index::{ArticleHit, Bm25Query, Filters};
use crate::store::{Snapshot, StoredPassage};

/// One request's view of the engine: a store snapshot plus the articles and sentences read so
/// far. Not shared between requests; cheap to create.
pub struct Reader<'e> {
    engine: &'e Engine,
    snap: Snapshot,
    articles: HashMap<String, Option<Arc<Article>>>,
    sentences: HashMap<String, Arc<Vec<SentenceView>>>,
}

impl<'e> Reader<'e> {
    pub(super) fn new(engine: &'e Engine) -> Result<Reader<'e>> {
        Ok(Reader {
            engine,
            snap: engine.store.snapshot()?,
            articles: HashMap::new(),
            sentences: HashMap::new(),
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

    /// A passage with its article, or `None` when the snapshot does not hold it.
    pub fn passage(&mut self, pid: u64) -> Result<Option<PassageView>> {
        let Some(StoredPassage {
            article_id,
            start,
            end,
            first_sentence,
            last_sentence,
            ..
        }) = self.snap.passage(pid)?
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

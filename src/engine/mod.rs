//! The engine ties the data path together: it owns the model, the durable store and the derived
//! indexes, runs the write path (parse → chunk → embed → store → index) and offers the read
//! primitives (`dense`, `bm25`, `passage`, `sentences`) that `answer` builds on.
//!
//! Writes are serialised by one mutex and acknowledged only after the store has committed; the
//! indexes follow the store and are caught up from it on start if a crash left them behind.
//! Reads never take the write lock. A write whose caller gives up ([`Engine::ingest_until`])
//! stops between chunks and at the embedding's next batch boundary, keeping only whole chunks.

mod checkpoint;
mod facets;
mod reader;

use checkpoint::Checkpointer;
pub(crate) use facets::ranked as ranked_facet_values;
pub use facets::{DateRange, FacetValue, Facets};
pub use reader::Reader;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use parking_lot::{Mutex, RwLock, RwLockReadGuard};
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use crate::answer::lexical::TermsCache;
use crate::answer::RankingParams;
use crate::embed::{EmbedError, EmbedService, EmbedServiceOptions, Embedder, EmbedderOptions};
use crate::error::{Error, Result};
use crate::index::{Bm25Params, HnswParams, Indexes, VectorSaveReport};
use crate::ingest::{self, Article, Format, IngestOptions};
use crate::store::{
    article_content_hash, EmbedContext, NewArticle, NewPassage, Store, StoreManifest, Upsert,
};
use crate::stories::{story_text, StoryBook, StoryFeatures, StoryLink, StoryParams};
use crate::text::{self, PassageSpan, Span, WordPieceCounter};

/// Bumped whenever what the store holds changes meaning (chunking rules, vector kinds…).
pub const FORMAT_VERSION: u32 = 1;

/// Everything the engine needs to open a data dir.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Where the store and the indexes live.
    pub data_dir: PathBuf,
    /// The model folder with its MANIFEST.
    pub model_dir: PathBuf,
    /// Word-piece budget of a passage.
    pub passage_budget: usize,
    /// Bulk embedding jobs that may wait before the service answers "overloaded".
    pub embed_queue: usize,
    /// Recent query vectors kept for questions asked again (0: off).
    pub query_cache: usize,
    /// Articles whose stems are kept across requests (0: stem on every read).
    pub terms_cache: usize,
    /// Every ranking weight of the answer stage.
    pub ranking: RankingParams,
    /// Checkpoint the vector index after this many passages were inserted since the last
    /// checkpoint…
    pub checkpoint_passages: usize,
    /// … or this long after a change, whichever comes first (and at shutdown).
    pub checkpoint_interval: std::time::Duration,
    /// Encoder threads, instruction set and model verification.
    pub embed: EmbedderOptions,
    /// How articles are grouped into stories and reprints recognised.
    pub stories: StoryParams,
}

impl EngineConfig {
    /// Defaults for a data dir: the bundled model, 128-word-piece passages.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        EngineConfig {
            data_dir: data_dir.into(),
            model_dir: crate::embed::default_model_dir(),
            passage_budget: 128,
            embed_queue: 16,
            query_cache: crate::embed::DEFAULT_QUERY_CACHE,
            terms_cache: crate::answer::lexical::DEFAULT_TERMS_CACHE,
            ranking: RankingParams::default(),
            checkpoint_passages: 2_000,
            checkpoint_interval: std::time::Duration::from_secs(60),
            embed: EmbedderOptions::default(),
            stories: StoryParams::default(),
        }
    }
}

/// Articles embedded and committed together: one bulk embedding call and one store commit.
const INGEST_CHUNK: usize = 32;

/// Where the store and the indexes stand in the change sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Sequences {
    /// The store's last committed change.
    pub store: u64,
    /// The change the vector index reflects in memory.
    pub vector: u64,
    /// The change the BM25 index reflects (committed).
    pub bm25: u64,
    /// Passages in the vector index since its last checkpoint.
    pub unsaved_vector_inserts: usize,
}

/// What one ingest call did.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct IngestReport {
    /// Articles new to the store.
    pub added: usize,
    /// Articles whose content changed and were replaced.
    pub updated: usize,
    /// Articles already stored with identical content (no embedding work done).
    pub unchanged: usize,
    /// Passages written.
    pub passages: usize,
    /// Sentences written.
    pub sentences: usize,
    /// Word pieces embedded (passages and sentences).
    pub tokens: usize,
    /// Wall time of the call.
    pub seconds: f64,
}

impl IngestReport {
    /// Adds another report's counts into this one.
    pub fn merge(&mut self, other: &IngestReport) {
        self.added += other.added;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
        self.passages += other.passages;
        self.sentences += other.sentences;
        self.tokens += other.tokens;
        self.seconds += other.seconds;
    }
}

/// What [`Engine::ingest_paths`] did.
#[derive(Debug, Default)]
pub struct PathsOutcome {
    /// What the engine did with the articles read.
    pub report: IngestReport,
    /// `file: reason` for every file of which nothing could be read.
    pub failures: Vec<String>,
    /// `file item N: reason` for items skipped inside files that gave other articles.
    pub skipped: Vec<String>,
}

/// Progress of [`Engine::ingest_paths`].
#[derive(Debug, Clone, Copy)]
pub enum PathsProgress {
    /// Every file is parsed: this many articles to store.
    Parsed {
        /// Articles read from the files.
        articles: usize,
    },
    /// This many more articles are stored (or found unchanged).
    Stored(usize),
}

/// A passage with its article, ready for answers.
#[derive(Debug, Clone)]
pub struct PassageView {
    /// Global passage id.
    pub pid: u64,
    /// The article it belongs to (with body).
    pub article: Arc<Article>,
    /// Byte span in the body.
    pub span: Span,
    /// Index of the first sentence it touches.
    pub first_sentence: usize,
    /// One past the last sentence it touches.
    pub last_sentence: usize,
}

impl PassageView {
    /// The passage text, a slice of the article body.
    pub fn text(&self) -> &str {
        &self.article.body[self.span.start..self.span.end]
    }
}

/// A sentence of a stored article with its vector.
#[derive(Debug, Clone)]
pub struct SentenceView {
    /// Position in the article.
    pub index: usize,
    /// Byte span in the body.
    pub span: Span,
    /// L2-normalised embedding.
    pub vector: Vec<f32>,
}

/// Counters for `/metrics` and the logs.
#[derive(Debug, Clone, Serialize)]
pub struct EngineStats {
    /// Articles stored.
    pub articles: u64,
    /// Passages stored.
    pub passages: u64,
    /// Points in the vector index (live).
    pub index_points: u64,
    /// Ingest calls served.
    pub ingests: u64,
    /// Ingest calls stopped because their caller had gone.
    pub ingests_cancelled: u64,
}

/// The engine: model + store + indexes.
pub struct Engine {
    cfg: EngineConfig,
    embedder: Arc<Embedder>,
    embed: EmbedService,
    counter: WordPieceCounter,
    store: Store,
    indexes: Arc<Indexes>,
    /// Every article's story; changed only under `write`.
    stories: RwLock<StoryBook>,
    write: Mutex<()>,
    ingests: AtomicU64,
    ingests_cancelled: AtomicU64,
    checkpointer: Checkpointer,
    /// Stems of recently read articles, shared by every request.
    terms: TermsCache,
    /// Readers open now (requests being answered).
    readers: Arc<AtomicUsize>,
}

impl Engine {
    /// Opens (or creates) a data dir: verifies the model, opens the store, loads the indexes and
    /// catches them up from the store (or rebuilds them) so that they never disagree with it.
    pub fn open(cfg: EngineConfig) -> Result<Arc<Engine>> {
        std::fs::create_dir_all(&cfg.data_dir)?;
        let embedder = Arc::new(Embedder::load_with(&cfg.model_dir, cfg.embed.clone())?);
        let counter = WordPieceCounter::from_model_dir(&cfg.model_dir)?;
        let info = embedder.info();
        // A new store embeds with the headline as context; an existing one keeps what it was
        // built with (the store adopts it: its vectors only compare with vectors made the same
        // way).
        let manifest = StoreManifest {
            model_name: info.name.clone(),
            model_sha256: info.sha256.clone(),
            dim: info.dim,
            passage_budget: cfg.passage_budget,
            format_version: FORMAT_VERSION,
            context: EmbedContext::Title,
        };
        let store = Store::open(&cfg.data_dir, &manifest)?;
        if store.manifest().context == EmbedContext::None {
            tracing::warn!(
                data = %cfg.data_dir.display(),
                "this data dir embeds passages and sentences without their headline (built by an \
                 older newsdesk); answers improve when it is re-ingested into a fresh data dir"
            );
        }
        let (indexes, report) = Indexes::open(
            &cfg.data_dir,
            &store,
            HnswParams::default(),
            Bm25Params::default(),
        )?;
        tracing::debug!(?report, "indexes opened");
        let stories = open_stories(&store, &embedder, cfg.stories)?;
        let readers = Arc::new(AtomicUsize::new(0));
        let embed = EmbedService::start(
            embedder.clone(),
            EmbedServiceOptions {
                bulk_queue: cfg.embed_queue,
                query_cache: cfg.query_cache,
                busy: Some(readers.clone()),
                ..Default::default()
            },
        );
        let indexes = Arc::new(indexes);
        let checkpointer = Checkpointer::start(
            indexes.clone(),
            cfg.checkpoint_passages,
            cfg.checkpoint_interval,
        );
        let terms = TermsCache::new(cfg.terms_cache);
        Ok(Arc::new(Engine {
            cfg,
            embedder,
            embed,
            counter,
            store,
            indexes,
            stories: RwLock::new(stories),
            write: Mutex::new(()),
            ingests: AtomicU64::new(0),
            ingests_cancelled: AtomicU64::new(0),
            checkpointer,
            terms,
            readers,
        }))
    }

    /// The configuration it was opened with.
    pub fn config(&self) -> &EngineConfig {
        &self.cfg
    }

    /// The model's identity.
    pub fn model(&self) -> &crate::embed::ModelInfo {
        self.embedder.info()
    }

    /// The embedding service (for queries from async code, and its counters).
    pub fn embed_service(&self) -> &EmbedService {
        &self.embed
    }

    /// Parses bytes in any supported format and ingests what they hold.
    pub fn ingest_bytes(
        &self,
        bytes: &[u8],
        format: Option<Format>,
        opts: &IngestOptions,
    ) -> Result<IngestReport> {
        let articles = ingest::parse_bytes(bytes, format, opts)?;
        self.ingest(articles, &mut |_| {})
    }

    /// Reads files, directories, globs (or `-`, stdin) and ingests every article they hold in
    /// one call; `progress` as for [`Engine::ingest`]. Files that could not be read are listed
    /// in the outcome, not an error.
    pub fn ingest_paths(
        &self,
        inputs: &[String],
        opts: &IngestOptions,
        progress: &mut dyn FnMut(PathsProgress),
    ) -> Result<PathsOutcome> {
        let batch = ingest::paths::read_paths(inputs, opts);
        let total = batch.articles.len();
        progress(PathsProgress::Parsed { articles: total });
        let report = self.ingest(batch.articles, &mut |n| progress(PathsProgress::Stored(n)))?;
        Ok(PathsOutcome {
            report,
            failures: batch.failures,
            skipped: batch.skipped,
        })
    }

    /// Ingests articles: unchanged ones cost one store read each; the rest are chunked,
    /// embedded (passages and sentences), committed, then indexed. `progress` is told the
    /// number of articles finished after each chunk.
    pub fn ingest(
        &self,
        articles: Vec<Article>,
        progress: &mut dyn FnMut(usize),
    ) -> Result<IngestReport> {
        self.ingest_until(articles, progress, &CancellationToken::new())
    }

    /// [`Engine::ingest`] for a caller that may give up (an HTTP request that timed out or
    /// whose client went away): once `cancel` fires, no further chunk starts and the embedding
    /// stops at its next batch boundary, and the call answers [`Error::Cancelled`]. Chunks
    /// committed before stay; each chunk commits whole or not at all, so no article is ever
    /// half written.
    pub fn ingest_until(
        &self,
        articles: Vec<Article>,
        progress: &mut dyn FnMut(usize),
        cancel: &CancellationToken,
    ) -> Result<IngestReport> {
        let res = self.ingest_chunks(articles, progress, cancel);
        if matches!(res, Err(Error::Cancelled)) {
            self.ingests_cancelled.fetch_add(1, Ordering::Relaxed);
        }
        res
    }

    fn ingest_chunks(
        &self,
        articles: Vec<Article>,
        progress: &mut dyn FnMut(usize),
        cancel: &CancellationToken,
    ) -> Result<IngestReport> {
        let started = Instant::now();
        let mut report = IngestReport::default();
        // De-duplicate within the call: the last copy of an id wins, like a sequence of upserts.
        let articles = dedup_last(articles);
        for (i, chunk) in articles.chunks(INGEST_CHUNK).enumerate() {
            if cancel.is_cancelled() {
                return Err(Error::Cancelled);
            }
            // Outside the write lock: the content-hash check, chunking and embedding. Small
            // writes and deletes from other requests commit between this request's chunks.
            let mut prepared = Vec::new();
            for a in chunk {
                let hash = article_content_hash(a);
                if self.store.content_hash(&a.id)?.as_deref() == Some(hash.as_str()) {
                    report.unchanged += 1;
                    continue;
                }
                prepared.push(self.prepare(a.clone(), hash));
            }
            if !prepared.is_empty() {
                // The first chunk is refused at once when the model is overloaded (nothing is
                // stored yet); later chunks wait for room, so that a request finishes what it
                // started.
                let (mut items, features) = self.embed(prepared, &mut report, i > 0, cancel)?;
                self.commit(&mut items, features, &mut report)?;
            }
            progress(chunk.len());
        }
        self.ingests.fetch_add(1, Ordering::Relaxed);
        report.seconds = started.elapsed().as_secs_f64();
        Ok(report)
    }

    fn prepare(&self, article: Article, hash: String) -> Prepared {
        let sentences = text::sentences(&article);
        let passages = text::passages(
            &article.body,
            &sentences,
            &self.counter,
            self.cfg.passage_budget,
        );
        Prepared {
            article,
            hash,
            sentences,
            passages,
        }
    }

    /// Embeds a chunk's passages, sentences and story texts (no lock held) into store items
    /// and the story evidence of each.
    fn embed(
        &self,
        prepared: Vec<Prepared>,
        report: &mut IngestReport,
        wait_for_room: bool,
        cancel: &CancellationToken,
    ) -> Result<(Vec<NewArticle>, Vec<StoryFeatures>)> {
        // One bulk call for the whole chunk: passages first, then sentences, each with the
        // store's context (the headline), then one story text (headline and lead) per article.
        let ctx = self.store.manifest().context;
        let mut texts = Vec::new();
        for p in &prepared {
            for ps in &p.passages {
                texts.push(ctx.apply(&p.article.title, &p.article.body[ps.start..ps.end]));
            }
        }
        let n_passage_texts = texts.len();
        for p in &prepared {
            for s in &p.sentences {
                texts.push(ctx.apply(&p.article.title, &p.article.body[s.start..s.end]));
            }
        }
        let n_sentence_texts = texts.len() - n_passage_texts;
        for p in &prepared {
            texts.push(story_text(&p.article, &p.sentences));
        }
        report.tokens += texts
            .iter()
            .map(|t| self.embedder.count_word_pieces(t) + 2)
            .sum::<usize>();
        let vectors = self
            .embed
            .bulk_blocking_cancellable(texts, wait_for_room, cancel)
            .map_err(|e| match e {
                EmbedError::Cancelled => Error::Cancelled,
                e => e.into(),
            })?;
        let (passage_vecs, rest) = vectors.split_at(n_passage_texts);
        let (sentence_vecs, story_vecs) = rest.split_at(n_sentence_texts);
        let mut pv = passage_vecs.iter();
        let mut sv = sentence_vecs.iter();
        let now = chrono::Utc::now().timestamp();
        let mut items = Vec::with_capacity(prepared.len());
        let mut features = Vec::with_capacity(prepared.len());
        for (p, story_vec) in prepared.into_iter().zip(story_vecs) {
            features.push(StoryFeatures::of(
                &p.article,
                &p.sentences,
                story_vec.clone(),
                now,
            ));
            report.passages += p.passages.len();
            report.sentences += p.sentences.len();
            let passages = p
                .passages
                .iter()
                .map(|ps| NewPassage {
                    start: ps.start,
                    end: ps.end,
                    word_pieces: ps.word_pieces,
                    first_sentence: ps.first_sentence,
                    last_sentence: ps.last_sentence,
                })
                .collect();
            items.push(NewArticle {
                passage_vectors: pv.by_ref().take(p.passages.len()).cloned().collect(),
                sentence_vectors: sv.by_ref().take(p.sentences.len()).cloned().collect(),
                article: p.article,
                content_hash: p.hash,
                sentences: p.sentences,
                passages,
                story: None,
            });
        }
        Ok((items, features))
    }

    /// Under the write lock: each article is assigned its story (and recognised as a reprint),
    /// then one store commit writes the articles with their story links (acknowledged once
    /// durable), then the indexes apply it, so they see commits in the store's order. The
    /// vector graph is checkpointed later, in the background.
    fn commit(
        &self,
        items: &mut [NewArticle],
        features: Vec<StoryFeatures>,
        report: &mut IngestReport,
    ) -> Result<()> {
        let _guard = self.write.lock();
        // In order, so an article sees the ones before it in the same chunk. Readers may see
        // the new links just before the commit lands: they only ever fold into stored
        // articles.
        let relinks: Vec<(String, StoryLink)> = {
            let mut book = self.stories.write();
            let mut moved = Vec::new();
            for (item, f) in items.iter().zip(features) {
                moved.extend(book.assign(&item.article.id, f).moved);
            }
            // Final links: a later article of the chunk may have merged an earlier one's story.
            for item in items.iter_mut() {
                item.story = book.link(&item.article.id).cloned();
            }
            moved.sort();
            moved.dedup();
            moved
                .into_iter()
                .filter(|id| !items.iter().any(|i| i.article.id == *id))
                .filter_map(|id| book.link(&id).cloned().map(|l| (id, l)))
                .collect()
        };
        let outcomes = match self.store.upsert_with_links(items, &relinks) {
            Ok(o) => o,
            Err(e) => {
                self.reload_stories();
                return Err(e.into());
            }
        };
        // An article another request stored meanwhile with the same content kept its stored
        // link: the book goes back to what the store holds.
        if outcomes.iter().any(|o| o.status == Upsert::Unchanged) {
            self.reload_stories();
        }
        for o in &outcomes {
            match o.status {
                Upsert::Added => report.added += 1,
                Upsert::Updated => report.updated += 1,
                Upsert::Unchanged => report.unchanged += 1,
            }
        }
        // No other writer commits while the lock is held: this is the commit's sequence.
        let seq = self.store.high_water()?.seq;
        self.indexes.apply_items(items, &outcomes, seq)?;
        drop(_guard);
        self.checkpointer.nudge();
        Ok(())
    }

    /// Rebuilds the story book from the store's links, after a commit that did not store what
    /// the book planned.
    fn reload_stories(&self) {
        match self.store.story_links() {
            Ok((links, next)) => {
                *self.stories.write() = StoryBook::from_links(self.cfg.stories, links, next);
            }
            Err(e) => tracing::error!(error = %e, "cannot reload stories from the store"),
        }
    }

    /// Deletes a document from the store and, at once, from every index and its story.
    pub fn delete(&self, id: &str) -> Result<bool> {
        let _guard = self.write.lock();
        // The reprints of a deleted original stay folded: the earliest takes its place.
        let (in_book, relinks): (bool, Vec<(String, StoryLink)>) = {
            let mut book = self.stories.write();
            match book.delete(id) {
                Some(changed) => (
                    true,
                    changed
                        .into_iter()
                        .filter_map(|c| book.link(&c).cloned().map(|l| (c, l)))
                        .collect(),
                ),
                None => (false, Vec::new()),
            }
        };
        let deleted = self.store.delete_with_links(id, &relinks);
        let agree = matches!((&deleted, in_book), (Ok(Some(_)), true) | (Ok(None), false));
        if !agree {
            // The delete failed, or the book and the store disagreed: the book goes back to
            // what the store holds.
            self.reload_stories();
        }
        match deleted? {
            Some(removed) => {
                let seq = self.store.high_water()?.seq;
                self.indexes.remove_article(id, &removed, seq)?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Writes a checkpoint of the derived indexes now (when anything changed since the last
    /// one), waiting for it. Shutdown calls it; otherwise it happens in the background.
    pub fn checkpoint(&self) -> Result<Option<VectorSaveReport>> {
        self.checkpointer.run_now(&self.indexes)
    }

    /// The store's change sequence, and the ones the indexes reflect in memory and on disk.
    pub fn sequences(&self) -> Result<Sequences> {
        Ok(Sequences {
            store: self.store.high_water()?.seq,
            vector: self.indexes.vector.covered_seq(),
            bm25: self.indexes.bm25.covered_seq(),
            unsaved_vector_inserts: self.indexes.vector.unsaved_inserts(),
        })
    }

    /// Embeds a query on the priority path, from a blocking context (CLI, evaluations).
    pub fn embed_query_blocking(&self, text: &str) -> Result<Vec<f32>> {
        Ok(self.embedder.embed_query(text)?)
    }

    /// Embeds a query on the priority path, from async code.
    pub async fn embed_query(&self, text: &str) -> Result<Vec<f32>> {
        Ok(self.embed.query(text.to_string()).await?)
    }

    /// Embeds a few short texts on the query path (`summarize` on raw text: a request that
    /// waits for its answer, so it must not queue behind an ingest).
    pub fn embed_queries_many_blocking(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>> {
        Ok(self.embed.queries_blocking(texts)?)
    }

    /// Embeds texts in bulk, behind any ingest already queued.
    pub fn embed_texts_blocking(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>> {
        Ok(self.embed.bulk_blocking(texts)?)
    }

    /// A read view of one request: one store snapshot for every read it makes.
    pub fn reader(&self) -> Result<Reader<'_>> {
        Reader::new(self)
    }

    /// Segments raw text the way stored articles are segmented.
    pub fn segment(&self, text: &str) -> Vec<Span> {
        text::segment(text)
    }

    /// Counts for metrics and logs.
    pub fn stats(&self) -> Result<EngineStats> {
        let c = self.store.counts()?;
        Ok(EngineStats {
            articles: c.articles,
            passages: c.passages,
            index_points: self.indexes.vector.live() as u64,
            ingests: self.ingests.load(Ordering::Relaxed),
            ingests_cancelled: self.ingests_cancelled.load(Ordering::Relaxed),
        })
    }

    /// True when the store holds no article (first start). A store that cannot be read is an
    /// error, never "empty".
    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.store.counts()?.articles == 0)
    }

    /// Where the data lives.
    pub fn data_dir(&self) -> &Path {
        &self.cfg.data_dir
    }

    /// Every story, for reading (held briefly: ingest waits for it to assign stories).
    pub fn stories(&self) -> RwLockReadGuard<'_, StoryBook> {
        self.stories.read()
    }

    /// The store, for the layers that keep their own records in it (feed subscriptions).
    pub(crate) fn store(&self) -> &Store {
        &self.store
    }
}

impl Drop for Engine {
    /// Stops the background checkpoints and writes a last one, so that a clean close never
    /// leaves a replay for the next open.
    fn drop(&mut self) {
        self.checkpointer.stop();
        if let Err(e) = self.checkpointer.run_now(&self.indexes) {
            tracing::error!(error = %e.chain(), "final index checkpoint failed");
        }
    }
}

struct Prepared {
    article: Article,
    hash: String,
    sentences: Vec<Span>,
    passages: Vec<PassageSpan>,
}

/// The story book of a store: its stored links, then links for the articles that have none
/// (stored before stories existed), assigned in time order and stored.
fn open_stories(store: &Store, embedder: &Embedder, params: StoryParams) -> Result<StoryBook> {
    let (links, next) = store.story_links()?;
    let have: std::collections::HashSet<String> = links.iter().map(|(id, _)| id.clone()).collect();
    let mut book = StoryBook::from_links(params, links, next);
    let missing: Vec<String> = store
        .all_article_ids()?
        .into_iter()
        .filter(|id| !have.contains(id))
        .collect();
    if missing.is_empty() {
        return Ok(book);
    }
    tracing::info!(
        articles = missing.len(),
        "assigning stories to articles stored without one"
    );
    let now = chrono::Utc::now().timestamp();
    let mut pending = Vec::with_capacity(missing.len());
    for chunk in missing.chunks(INGEST_CHUNK) {
        let mut arts = Vec::new();
        for id in chunk {
            if let Some(a) = store.article(id)? {
                let sentences = text::sentences(&a);
                arts.push((a, sentences));
            }
        }
        let texts: Vec<String> = arts.iter().map(|(a, s)| story_text(a, s)).collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let vecs = embedder.embed_batch(&refs)?;
        for ((a, s), v) in arts.into_iter().zip(vecs) {
            pending.push((a.id.clone(), StoryFeatures::of(&a, &s, v, now)));
        }
    }
    pending.sort_by(|a, b| a.1.ts.cmp(&b.1.ts).then(a.0.cmp(&b.0)));
    let mut touched = Vec::with_capacity(pending.len());
    for (id, f) in pending {
        touched.extend(book.assign(&id, f).moved);
        touched.push(id);
    }
    touched.sort();
    touched.dedup();
    let out: Vec<(String, StoryLink)> = touched
        .into_iter()
        .filter_map(|id| book.link(&id).cloned().map(|l| (id, l)))
        .collect();
    store.put_story_links(&out)?;
    Ok(book)
}

fn dedup_last(articles: Vec<Article>) -> Vec<Article> {
    let mut last = std::collections::HashMap::new();
    for (i, a) in articles.iter().enumerate() {
        last.insert(a.id.clone(), i);
    }
    articles
        .into_iter()
        .enumerate()
        .filter(|(i, a)| last[&a.id] == *i)
        .map(|(_, a)| a)
        .collect()
}

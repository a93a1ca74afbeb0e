//! Embed: text in, L2-normalised 384-d all-MiniLM-L6-v2 vectors out, on the CPU.
//!
//! - [`Embedder`]: the verified model (see [`manifest`]), its tokenizer (truncation at 256 word
//!   pieces including [CLS]/[SEP], no padding) and a fast inference-only encoder
//!   ([`encoder`], [`kernels`]). Bulk work ([`Embedder::embed_batch`]) sorts by length, batches by
//!   a token budget and runs on its own thread pool; queries ([`Embedder::embed_query`]) run on a
//!   second pool and pause bulk work at its next task boundary while they run.
//! - [`EmbedService`]: dedicated worker threads with bounded queues in front of an `Embedder`,
//!   for async callers (HTTP) and the ingest pipeline.
//! - [`reference`]: the same model on plain candle tensor ops, as a baseline and cross-check.

pub mod encoder;
pub mod kernels;
pub mod manifest;
pub mod reference;
pub mod service;

pub use service::{EmbedService, EmbedServiceOptions, EmbedStats, DEFAULT_QUERY_CACHE};

use encoder::{Encoder, Gate, Workspace};
pub use kernels::Isa;
use parking_lot::Mutex;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use tokenizers::{Tokenizer, TruncationParams};

/// Output dimension of all-MiniLM-L6-v2.
pub const DIM: usize = 384;

/// Name of the model directory under `models/`.
pub const MODEL_NAME: &str = "all-MiniLM-L6-v2";

/// Word pieces per input, [CLS] and [SEP] included, as in sentence-transformers.
pub const MAX_WORD_PIECES: usize = 256;

/// Where the model lives by default: `<CARGO_MANIFEST_DIR>/models/all-MiniLM-L6-v2` when that
/// exists (a build from this checkout), else `./models/all-MiniLM-L6-v2` relative to the working
/// directory.
pub fn default_model_dir() -> PathBuf {
    let built = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("models")
        .join(MODEL_NAME);
    if built.is_dir() {
        built
    } else {
        PathBuf::from("models").join(MODEL_NAME)
    }
}

/// Errors of the embedding layer.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    #[error("model directory {dir} is missing or incomplete: {reason}")]
    ModelMissing { dir: PathBuf, reason: String },
    #[error("model file {file} is corrupt or not the expected one: {reason}")]
    ModelCorrupt { file: PathBuf, reason: String },
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    #[error("inference backend: {0}")]
    Backend(String),
    #[error("embedding service overloaded: queue full, retry later")]
    Overloaded,
    #[error("embedding service has shut down")]
    ShutDown,
    /// The caller stopped waiting for a bulk job; its remaining batches were not run.
    #[error("the embedding job was cancelled: its caller has gone")]
    Cancelled,
}

/// What was loaded.
#[derive(Clone, Debug)]
pub struct ModelInfo {
    pub name: String,
    /// sha256 of `model.safetensors`, verified against the MANIFEST.
    pub sha256: String,
    pub dim: usize,
    /// Truncation length in word pieces, [CLS] and [SEP] included.
    pub max_word_pieces: usize,
}

/// Load-time options.
#[derive(Clone, Debug)]
pub struct EmbedderOptions {
    /// Threads per pool (bulk and query). Default: every core.
    pub threads: Option<usize>,
    /// Tokens per bulk forward pass.
    pub token_budget: usize,
    /// Instruction set; `None` = best available (see [`Isa::detect`]); one the CPU lacks falls
    /// back to the best it has ([`Isa::at_most`]).
    pub isa: Option<Isa>,
    pub verify: manifest::VerifyOptions,
}

impl Default for EmbedderOptions {
    fn default() -> Self {
        EmbedderOptions {
            threads: None,
            token_budget: 4096,
            isa: None,
            verify: Default::default(),
        }
    }
}

#[derive(Default)]
struct Counters {
    batches: AtomicU64,
    texts: AtomicU64,
    tokens: AtomicU64,
    queries: AtomicU64,
}

/// Counters of model work done by an [`Embedder`] since load.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct EmbedCounters {
    /// Forward passes (bulk batches and query calls).
    pub batches: u64,
    /// Texts embedded, bulk and query.
    pub texts: u64,
    /// Word pieces embedded (specials included).
    pub tokens: u64,
    /// Texts embedded on the query (priority) path.
    pub queries: u64,
}

/// The model, ready to embed. `Send + Sync`: share it in an `Arc`.
pub struct Embedder {
    info: ModelInfo,
    dir: PathBuf,
    tokenizer: Tokenizer,
    tokenizer_plain: Tokenizer,
    encoder: Encoder,
    bulk_pool: rayon::ThreadPool,
    query_pool: rayon::ThreadPool,
    /// One thread: a lone query while the process is busy with other requests (parallel
    /// kernels speed up one query on an idle machine, but on a busy one they take cores the
    /// other requests need and spend CPU handing work between threads).
    query_serial_pool: rayon::ThreadPool,
    bulk_ws: Mutex<Vec<Workspace>>,
    query_ws: Mutex<Vec<Workspace>>,
    gate: Gate,
    counters: Counters,
    token_budget: usize,
    threads: usize,
    reference: OnceLock<reference::ReferenceModel>,
}

fn tok_err(e: impl std::fmt::Display) -> EmbedError {
    EmbedError::Tokenizer(e.to_string())
}

impl Embedder {
    /// Verify `model_dir` against its MANIFEST and load it with default options.
    pub fn load(model_dir: &Path) -> Result<Embedder, EmbedError> {
        Self::load_with(model_dir, EmbedderOptions::default())
    }

    pub fn load_with(model_dir: &Path, opts: EmbedderOptions) -> Result<Embedder, EmbedError> {
        let verified = manifest::verify(model_dir, &opts.verify)?;
        let tok_path = model_dir.join("tokenizer.json");
        let mut tokenizer =
            Tokenizer::from_file(&tok_path).map_err(|e| EmbedError::ModelCorrupt {
                file: tok_path.clone(),
                reason: e.to_string(),
            })?;
        // The shipped tokenizer.json truncates at 128 and pads to a fixed 128: override both.
        tokenizer.with_padding(None);
        let mut tokenizer_plain = tokenizer.clone();
        tokenizer_plain.with_truncation(None).map_err(tok_err)?;
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MAX_WORD_PIECES,
                ..Default::default()
            }))
            .map_err(tok_err)?;

        let isa = opts.isa.map_or_else(Isa::detect, Isa::at_most);
        let encoder = Encoder::load(&model_dir.join(manifest::WEIGHTS_FILE), isa)?;
        let threads = opts
            .threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
            .max(1);
        let pool_of = |name: &'static str, threads: usize| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .thread_name(move |i| format!("{name}-{i}"))
                .build()
                .map_err(|e| EmbedError::Backend(format!("thread pool: {e}")))
        };
        let pool = |name: &'static str| pool_of(name, threads);
        let name = verified
            .manifest
            .get("name")
            .unwrap_or(MODEL_NAME)
            .to_string();
        Ok(Embedder {
            info: ModelInfo {
                name,
                sha256: verified.weights_sha256,
                dim: DIM,
                max_word_pieces: MAX_WORD_PIECES,
            },
            dir: model_dir.to_path_buf(),
            tokenizer,
            tokenizer_plain,
            encoder,
            bulk_pool: pool("embed-bulk")?,
            query_pool: pool("embed-query")?,
            query_serial_pool: pool_of("embed-query-serial", 1)?,
            bulk_ws: Mutex::new(Vec::new()),
            query_ws: Mutex::new(Vec::new()),
            gate: Gate::default(),
            counters: Counters::default(),
            token_budget: opts.token_budget.max(MAX_WORD_PIECES),
            threads,
            reference: OnceLock::new(),
        })
    }

    pub fn info(&self) -> &ModelInfo {
        &self.info
    }

    /// The instruction set the encoder runs on.
    pub fn isa(&self) -> Isa {
        self.encoder.isa
    }

    /// Set the OS scheduling priority (`nice`, 0..=19, higher = lower priority) of the bulk
    /// pool's threads, so that a query thread waking up gets a core at once while bulk work
    /// keeps both busy. Returns whether every thread took it (Linux only; elsewhere a no-op
    /// that returns false).
    pub fn set_bulk_nice(&self, nice: i32) -> bool {
        let nice = nice.clamp(0, 19);
        let ok = std::sync::atomic::AtomicUsize::new(0);
        self.bulk_pool.broadcast(|_| {
            if set_current_thread_nice(nice) {
                ok.fetch_add(1, Ordering::Relaxed);
            }
        });
        ok.load(Ordering::Relaxed) == self.threads
    }

    /// Seconds spent per forward-pass phase since load (see [`encoder::Phase`]).
    pub fn phase_seconds(&self) -> Vec<(&'static str, f64)> {
        self.encoder.phase_seconds()
    }

    /// Threads per pool.
    pub fn threads(&self) -> usize {
        self.threads
    }

    pub fn model_dir(&self) -> &Path {
        &self.dir
    }

    pub fn counters(&self) -> EmbedCounters {
        let c = &self.counters;
        EmbedCounters {
            batches: c.batches.load(Ordering::Relaxed),
            texts: c.texts.load(Ordering::Relaxed),
            tokens: c.tokens.load(Ordering::Relaxed),
            queries: c.queries.load(Ordering::Relaxed),
        }
    }

    /// Token ids with [CLS]/[SEP], truncated to [`MAX_WORD_PIECES`].
    pub fn tokenize(&self, text: &str) -> Result<Vec<u32>, EmbedError> {
        let enc = self.tokenizer.encode_fast(text, true).map_err(tok_err)?;
        Ok(enc.get_ids().to_vec())
    }

    fn tokenize_many(&self, texts: &[&str]) -> Result<Vec<Vec<u32>>, EmbedError> {
        let encs = self
            .tokenizer
            .encode_batch_fast(texts.to_vec(), true)
            .map_err(tok_err)?;
        Ok(encs.into_iter().map(|e| e.get_ids().to_vec()).collect())
    }

    /// Word pieces of `text` without [CLS]/[SEP] and without truncation.
    pub fn count_word_pieces(&self, text: &str) -> usize {
        self.tokenizer_plain
            .encode_fast(text, false)
            .map(|e| e.len())
            .unwrap_or_else(|_| text.split_whitespace().count())
    }

    /// Bulk: sort by length, batch by a token budget, all cores of the bulk pool. Returns one
    /// L2-normalised vector of [`DIM`] floats per input, in input order.
    pub fn embed_batch(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        self.embed_batch_checked(texts, &mut || true)
    }

    /// [`Embedder::embed_batch`] that asks `proceed` before each token-budget batch and stops
    /// with [`EmbedError::Cancelled`] when it says no (a caller that has gone; a service that
    /// holds bulk work waits inside it).
    pub fn embed_batch_checked(
        &self,
        texts: &[&str],
        proceed: &mut (dyn FnMut() -> bool + Send),
    ) -> Result<Vec<Vec<f32>>, EmbedError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        self.bulk_pool.install(|| {
            let ids = self.tokenize_many(texts)?;
            self.run_sorted(&ids, &self.bulk_ws, Some(&self.gate), false, proceed)
        })
    }

    /// Bulk over already-tokenised inputs (ids with specials, as from [`Embedder::tokenize`]).
    pub fn embed_tokenized(&self, ids: &[Vec<u32>]) -> Result<Vec<Vec<f32>>, EmbedError> {
        self.bulk_pool
            .install(|| self.run_sorted(ids, &self.bulk_ws, Some(&self.gate), false, &mut || true))
    }

    /// A single short query, lowest latency: runs on the query pool and pauses bulk work.
    pub fn embed_query(&self, text: &str) -> Result<Vec<f32>, EmbedError> {
        let mut v = self.embed_queries(&[text])?;
        Ok(v.pop().expect("one vector per query"))
    }

    /// Several queries at once on the priority path (the service's micro-batches).
    pub fn embed_queries(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        self.embed_queries_on(texts, false)
    }

    /// Like [`Embedder::embed_queries`], on one thread when `serial` (same vectors).
    pub fn embed_queries_on(
        &self,
        texts: &[&str],
        serial: bool,
    ) -> Result<Vec<Vec<f32>>, EmbedError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let ids = texts
            .iter()
            .map(|t| self.tokenize(t))
            .collect::<Result<Vec<_>, _>>()?;
        let _priority = self.gate.enter_priority();
        let pool = if serial {
            &self.query_serial_pool
        } else {
            &self.query_pool
        };
        pool.install(|| self.run_sorted(&ids, &self.query_ws, None, true, &mut || true))
    }

    /// Length-sort, cut into token-budget batches, run, restore input order.
    fn run_sorted(
        &self,
        ids: &[Vec<u32>],
        pool: &Mutex<Vec<Workspace>>,
        gate: Option<&Gate>,
        query: bool,
        proceed: &mut (dyn FnMut() -> bool + Send),
    ) -> Result<Vec<Vec<f32>>, EmbedError> {
        let mut order: Vec<usize> = (0..ids.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(ids[i].len()));
        let mut ws = pool
            .lock()
            .pop()
            .unwrap_or_else(|| Workspace::new(self.threads));
        let mut out = vec![Vec::new(); ids.len()];
        let mut flat = Vec::new();
        let mut start = 0;
        while start < order.len() {
            if !proceed() {
                pool.lock().push(ws);
                return Err(EmbedError::Cancelled);
            }
            let mut end = start;
            let mut tokens = 0;
            while end < order.len() {
                let len = ids[order[end]].len();
                if end > start && tokens + len > self.token_budget {
                    break;
                }
                tokens += len;
                end += 1;
            }
            let seqs: Vec<&[u32]> = order[start..end].iter().map(|&i| &ids[i][..]).collect();
            for s in &seqs {
                if s.is_empty() || s.len() > encoder::MAX_POS {
                    return Err(EmbedError::Tokenizer(format!(
                        "sequence of {} word pieces (expected 1..={})",
                        s.len(),
                        encoder::MAX_POS
                    )));
                }
            }
            flat.clear();
            flat.resize(seqs.len() * DIM, 0.0);
            self.encoder.forward(&seqs, &mut ws, gate, &mut flat);
            for (j, &i) in order[start..end].iter().enumerate() {
                out[i] = flat[j * DIM..(j + 1) * DIM].to_vec();
            }
            let c = &self.counters;
            c.batches.fetch_add(1, Ordering::Relaxed);
            c.texts.fetch_add(seqs.len() as u64, Ordering::Relaxed);
            c.tokens.fetch_add(tokens as u64, Ordering::Relaxed);
            if query {
                c.queries.fetch_add(seqs.len() as u64, Ordering::Relaxed);
            }
            start = end;
        }
        pool.lock().push(ws);
        Ok(out)
    }

    /// The plain-candle reference path (loaded on first use; padded batches of 32,
    /// length-sorted). For benchmarks and fidelity checks, not for serving.
    pub fn embed_batch_reference(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let model = match self.reference.get() {
            Some(m) => m,
            None => {
                let m = reference::ReferenceModel::load(&self.dir.join(manifest::WEIGHTS_FILE))?;
                let _ = self.reference.set(m);
                self.reference.get().expect("just set")
            }
        };
        let ids = self.tokenize_many(texts)?;
        let mut order: Vec<usize> = (0..ids.len()).collect();
        order.sort_by_key(|&i| std::cmp::Reverse(ids[i].len()));
        let mut out = vec![Vec::new(); ids.len()];
        for chunk in order.chunks(32) {
            let seqs: Vec<&[u32]> = chunk.iter().map(|&i| &ids[i][..]).collect();
            let flat = model.forward(&seqs)?;
            for (j, &i) in chunk.iter().enumerate() {
                out[i] = flat[j * DIM..(j + 1) * DIM].to_vec();
            }
        }
        Ok(out)
    }

    /// The fast encoder on another instruction set, single pool, for cross-checks.
    pub fn embed_batch_with_isa(
        &self,
        texts: &[&str],
        isa: Isa,
    ) -> Result<Vec<Vec<f32>>, EmbedError> {
        let enc = self.encoder.with_isa(isa);
        let ids = self.tokenize_many(texts)?;
        let mut ws = Workspace::new(self.threads);
        self.bulk_pool.install(|| {
            let mut out = Vec::with_capacity(ids.len());
            for s in &ids {
                let mut v = vec![0.0; DIM];
                enc.forward(&[&s[..]], &mut ws, None, &mut v);
                out.push(v);
            }
            Ok(out)
        })
    }
}

// The rest of the system shares these across threads.
const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Embedder>();
    assert_send_sync::<EmbedService>();
};

/// Lower the calling thread's priority to `nice` (Linux: `setpriority` on a thread id affects
/// that thread only).
#[cfg(target_os = "linux")]
fn set_current_thread_nice(nice: i32) -> bool {
    // SAFETY: plain syscalls on the calling thread's own id.
    unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
        libc::setpriority(libc::PRIO_PROCESS, tid, nice) == 0
    }
}

#[cfg(not(target_os = "linux"))]
fn set_current_thread_nice(_nice: i32) -> bool {
    false
}

/// Cosine similarity of two vectors.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| *x as f64 * *y as f64).sum();
    let na: f64 = a.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    (dot / (na * nb).max(1e-30)) as f32
}

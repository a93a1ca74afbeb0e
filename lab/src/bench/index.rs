//! `newsdesk-lab bench index`: HNSW recall@k against exact search, query latency, start-up time
//! (load vs rebuild) and bytes per stored passage (on disk and RSS), on a real data directory.
//!
//! Two steps, so the slow one runs once:
//! * build: `--corpus FILE…` reads evaluation files (BEIR `corpus.jsonl`, SQuAD JSON, BBC
//!   JSONL, news JSONL; `eval::data::corpus_articles`) and ingests them through the product's
//!   engine (chunk, embed passages and sentences, store, index) into `--work DIR`;
//! * measure: `--from DIR` (a built dir, or one made by `newsdesk ingest`) opens the store and
//!   the saved indexes, and measures.
//!
//! Queries: `--queries FILE` (BEIR `queries.jsonl`, SQuAD questions, JSONL or plain lines),
//! embedded with the model; without it, stored sentence vectors sampled across the corpus.
//! `--random N` builds from N random unit vectors instead (development only: the numbers are
//! not representative of real embeddings, and the output says so).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context};
use clap::Args;
use serde_json::{json, Value};

use newsdesk::engine::{Engine, EngineConfig};
use newsdesk::index::{
    dir_bytes, exact_search, Bm25Index, Bm25Params, Filters, HnswParams, IndexSource, Indexes,
    VectorIndex,
};
use newsdesk::ingest::Article;
use newsdesk::store::{
    article_content_hash, EmbedContext, NewArticle, NewPassage, Store, StoreManifest,
    FORMAT_VERSION,
};

/// `newsdesk-lab bench index`.
#[derive(Debug, Clone, Args)]
pub struct BenchIndexArgs {
    /// Measure an existing data directory (built by `--corpus` or by `newsdesk ingest`).
    #[arg(long, value_name = "DIR", conflicts_with_all = ["corpus", "random"])]
    pub from: Option<PathBuf>,
    /// Build a data directory from these evaluation files first (slow: embeds everything).
    #[arg(long, num_args = 1.., value_name = "FILE")]
    pub corpus: Vec<PathBuf>,
    /// Build from N random unit vectors (development only).
    #[arg(long, value_name = "N")]
    pub random: Option<usize>,
    /// Where to build (kept afterwards); default: a temporary directory, removed at the end.
    #[arg(long, value_name = "DIR")]
    pub work: Option<PathBuf>,
    /// Passage budget in word pieces when building.
    #[arg(long, default_value_t = 128)]
    pub budget: usize,
    /// Query texts to embed (BEIR queries.jsonl, SQuAD JSON, JSONL or plain lines).
    #[arg(long, value_name = "FILE")]
    pub queries: Option<PathBuf>,
    /// Number of queries.
    #[arg(long, default_value_t = 1000)]
    pub n_queries: usize,
    /// Neighbours per query.
    #[arg(long, default_value_t = 10)]
    pub k: usize,
    /// ef_search values to sweep.
    #[arg(long, value_delimiter = ',', default_value = "32,64,96,128,192")]
    pub ef_search: Vec<usize>,
    /// Also build fresh graphs with these M values (and time the builds); default: measure the
    /// saved graph only.
    #[arg(long, value_delimiter = ',')]
    pub m: Vec<usize>,
    /// ef_construction for fresh graphs.
    #[arg(long, default_value_t = 200)]
    pub ef_construction: usize,
    /// Limit the number of corpus articles read (quick runs).
    #[arg(long)]
    pub limit: Option<usize>,
    /// Filtered searches matching at most this many passages scan exactly.
    #[arg(long, default_value_t = HnswParams::default().exact_below)]
    pub exact_below: usize,
    /// Never pick an exact scan from the selectivity estimate (walk the graph instead).
    #[arg(long)]
    pub no_adaptive_exact: bool,
    /// Compact the store file before measuring its size.
    #[arg(long)]
    pub compact: bool,
    /// Only chunk the corpus and print how many passages and sentences it gives.
    #[arg(long)]
    pub count_only: bool,
}

struct Built {
    dir: PathBuf,
    _tmp: Option<tempfile::TempDir>,
    synthetic: bool,
}

/// Runs the benchmark; prints a table and a final JSON line.
pub fn run_bench_index(args: &BenchIndexArgs, model_dir: &Path) -> anyhow::Result<()> {
    let built = if let Some(d) = &args.from {
        Built {
            dir: d.clone(),
            _tmp: None,
            synthetic: false,
        }
    } else {
        let (dir, tmp) = match &args.work {
            Some(w) => (w.clone(), None),
            None => {
                let t = tempfile::tempdir()?;
                (t.path().to_path_buf(), Some(t))
            }
        };
        if let Some(n) = args.random {
            build_random(&dir, n)?;
            Built {
                dir,
                _tmp: tmp,
                synthetic: true,
            }
        } else if !args.corpus.is_empty() {
            build_corpus(&dir, &args.corpus, args, model_dir)?;
            Built {
                dir,
                _tmp: tmp,
                synthetic: false,
            }
        } else {
            bail!("give --from DIR, --corpus FILE…, or --random N");
        }
    };
    measure(&built, args, model_dir)
}

fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}

fn random_manifest() -> StoreManifest {
    StoreManifest {
        model_name: "random-unit-vectors".into(),
        model_sha256: "0".repeat(64),
        dim: newsdesk::embed::DIM,
        passage_budget: 0,
        format_version: FORMAT_VERSION,
        context: EmbedContext::None,
    }
}

/// Opens an existing data dir with whatever manifest it was built with.
fn open_existing(dir: &Path) -> anyhow::Result<Store> {
    let m = newsdesk::store::read_manifest(dir)?
        .with_context(|| format!("{} holds no newsdesk store", dir.display()))?;
    Ok(Store::open(dir, &m)?)
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn unit(&mut self, dim: usize) -> Vec<f32> {
        let mut v: Vec<f32> = (0..dim)
            .map(|_| {
                // Sum of uniforms ~ normal enough for direction sampling.
                let s: f64 = (0..4)
                    .map(|_| (self.next() >> 11) as f64 / (1u64 << 53) as f64)
                    .sum();
                (s - 2.0) as f32
            })
            .collect();
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter_mut().for_each(|x| *x /= n);
        v
    }
}

fn build_random(dir: &Path, n: usize) -> anyhow::Result<()> {
    let store = Store::open(dir, &random_manifest())?;
    let (idx, _) = Indexes::open(dir, &store, HnswParams::default(), Bm25Params::default())?;
    let mut rng = Rng(0x9E3779B97F4A7C15);
    let t = Instant::now();
    let per_article = 5;
    let mut items = Vec::new();
    for a in 0..n.div_ceil(per_article) {
        let body: String = (0..per_article)
            .map(|i| format!("Passage {i} of article {a}. "))
            .collect();
        let mut passages = Vec::new();
        let mut pos = 0;
        for i in 0..per_article {
            let len = format!("Passage {i} of article {a}. ").len();
            passages.push(NewPassage {
                start: pos,
                end: pos + len - 1,
                word_pieces: 8,
                first_sentence: i,
                last_sentence: i + 1,
            });
            pos += len;
        }
        let article: Article = serde_json::from_value(json!({
            "id": format!("random-{a}"), "title": format!("Random {a}"), "body": body,
            "source": format!("source-{}", a % 10),
        }))?;
        items.push(NewArticle {
            content_hash: article_content_hash(&article),
            sentences: passages
                .iter()
                .map(|p| newsdesk::store::Span {
                    start: p.start,
                    end: p.end,
                })
                .collect(),
            sentence_vectors: (0..per_article)
                .map(|_| rng.unit(newsdesk::embed::DIM))
                .collect(),
            passage_vectors: (0..per_article)
                .map(|_| rng.unit(newsdesk::embed::DIM))
                .collect(),
            passages,
            article,
            story: None,
        });
        if items.len() == 512 {
            let o = store.upsert(&items)?;
            idx.apply_items(&items, &o, store.high_water()?.seq)?;
            items.clear();
        }
    }
    if !items.is_empty() {
        let o = store.upsert(&items)?;
        idx.apply_items(&items, &o, store.high_water()?.seq)?;
    }
    idx.save()?;
    eprintln!(
        "built {} random passages in {:.1} s (SYNTHETIC: not representative of real embeddings)",
        store.counts()?.passages,
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Builds a data dir from evaluation files through the product's own write path (parse →
/// chunk → embed → store → index), as `newsdesk ingest` would.
fn build_corpus(
    dir: &Path,
    files: &[PathBuf],
    args: &BenchIndexArgs,
    model_dir: &Path,
) -> anyhow::Result<()> {
    let articles = read_corpus(files, args.limit)?;
    if args.count_only {
        let counter = newsdesk::text::WordPieceCounter::from_model_dir(model_dir)
            .map_err(|e| anyhow::anyhow!("tokenizer: {e}"))?;
        let (mut np, mut ns, mut wp) = (0usize, 0usize, 0usize);
        for a in &articles {
            let ss = newsdesk::text::sentences(a);
            let ps = newsdesk::text::passages(&a.body, &ss, &counter, args.budget);
            np += ps.len();
            ns += ss.len();
            wp += ps.iter().map(|p| p.word_pieces).sum::<usize>();
        }
        println!(
            "{} articles -> {np} passages ({wp} word pieces), {ns} sentences at budget {}",
            articles.len(),
            args.budget
        );
        return Ok(());
    }
    ingest_corpus(dir, articles, args.budget, model_dir)
}

/// The articles of evaluation files (see [`crate::eval::data::corpus_articles`]), the first
/// `limit` of each.
pub(crate) fn read_corpus(files: &[PathBuf], limit: Option<usize>) -> anyhow::Result<Vec<Article>> {
    let mut articles = Vec::new();
    for f in files {
        let mut a = crate::eval::data::corpus_articles(f)?;
        if let Some(l) = limit {
            a.truncate(l);
        }
        eprintln!("{}: {} articles", f.display(), a.len());
        articles.extend(a);
    }
    Ok(articles)
}

/// Ingests articles into a data dir through the product's engine (chunk, embed passages and
/// sentences, store, index), with progress on stderr.
pub(crate) fn ingest_corpus(
    dir: &Path,
    articles: Vec<Article>,
    budget: usize,
    model_dir: &Path,
) -> anyhow::Result<()> {
    let mut cfg = EngineConfig::new(dir);
    cfg.model_dir = model_dir.to_path_buf();
    cfg.passage_budget = budget;
    let engine = Engine::open(cfg)?;
    let t0 = Instant::now();
    let total = articles.len();
    let mut done = 0usize;
    let report = engine.ingest(articles, &mut |n| {
        done += n;
        if done % 640 < n {
            eprintln!(
                "  {done}/{total} articles, {:.0} s",
                t0.elapsed().as_secs_f64()
            );
        }
    })?;
    let s = t0.elapsed().as_secs_f64();
    eprintln!(
        "built {} passages, {} sentences ({} word pieces) in {:.0} s: {:.0} word pieces/s end-to-end",
        report.passages,
        report.sentences,
        report.tokens,
        s,
        report.tokens as f64 / s.max(1e-9)
    );
    Ok(())
}

/// Query texts from a file.
fn read_queries(path: &Path) -> anyhow::Result<Vec<String>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let t = text.trim_start();
    if t.starts_with('{')
        && !text
            .lines()
            .nth(1)
            .is_some_and(|l| l.trim_start().starts_with('{'))
    {
        let v: Value = serde_json::from_str(&text)?;
        let mut out = Vec::new();
        for a in v
            .get("data")
            .and_then(|d| d.as_array())
            .into_iter()
            .flatten()
        {
            for p in a
                .get("paragraphs")
                .and_then(|p| p.as_array())
                .into_iter()
                .flatten()
            {
                for q in p
                    .get("qas")
                    .and_then(|q| q.as_array())
                    .into_iter()
                    .flatten()
                {
                    if let Some(s) = q.get("question").and_then(|s| s.as_str()) {
                        out.push(s.to_string());
                    }
                }
            }
        }
        return Ok(out);
    }
    Ok(text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| match serde_json::from_str::<Value>(l) {
            Ok(Value::String(s)) => s,
            Ok(v) => ["text", "query", "question"]
                .iter()
                .find_map(|k| v.get(*k).and_then(|x| x.as_str()))
                .unwrap_or("")
                .to_string(),
            Err(_) => l.to_string(),
        })
        .filter(|s| !s.is_empty())
        .collect())
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

#[derive(serde::Serialize)]
struct Row {
    m: usize,
    ef_search: usize,
    recall: f64,
    p50_ms: f64,
    p99_ms: f64,
    mean_ms: f64,
}

fn measure(built: &Built, args: &BenchIndexArgs, model_dir: &Path) -> anyhow::Result<()> {
    let dir = &built.dir;
    let k = args.k;
    // Start-up: store + saved vector index, as a restart does.
    if args.compact {
        let mut s = open_existing(dir)?;
        let before = s.file_bytes();
        s.compact()?;
        eprintln!(
            "compacted the store: {} -> {} bytes",
            before,
            s.file_bytes()
        );
    }
    let rss0 = rss_bytes();
    let t = Instant::now();
    let store = open_existing(dir)?;
    let store_ms = t.elapsed().as_secs_f64() * 1e3;
    let (mut vidx, vrep) = VectorIndex::open(&dir.join("hnsw"), &store, HnswParams::default())?;
    let startup_ms = t.elapsed().as_secs_f64() * 1e3;
    let rss_vec = rss_bytes();
    let tb = Instant::now();
    let (bm25, brep) = Bm25Index::open(&dir.join("bm25"), &store, Bm25Params::default())?;
    let bm25_ms = tb.elapsed().as_secs_f64() * 1e3;
    let rss_all = rss_bytes();
    let counts = store.counts()?;
    let n = counts.passages.max(1);
    eprintln!(
        "start-up: store {:.1} ms, vector index {} in {:.1} ms (sha256 check {:.1} ms, load {:.1} ms, caught up {}), bm25 {} in {:.1} ms",
        store_ms,
        match &vrep.source {
            IndexSource::Loaded => "loaded".to_string(),
            IndexSource::Rebuilt { reason } => format!("REBUILT ({reason})"),
        },
        startup_ms - store_ms,
        vrep.verify_seconds * 1e3,
        vrep.load_seconds * 1e3,
        vrep.caught_up,
        match &brep.source {
            IndexSource::Loaded => "loaded".to_string(),
            IndexSource::Rebuilt { reason } => format!("REBUILT ({reason})"),
        },
        bm25_ms
    );

    // Queries.
    let mut rng = Rng(0x2545F4914F6CDD1D);
    let (queries, query_kind): (Vec<Vec<f32>>, String) = match &args.queries {
        Some(f) => {
            let mut texts = read_queries(f)?;
            // Deterministic sample.
            let mut picked = Vec::new();
            while !texts.is_empty() && picked.len() < args.n_queries {
                let i = (rng.next() % texts.len() as u64) as usize;
                picked.push(texts.swap_remove(i));
            }
            let emb = newsdesk::embed::Embedder::load(model_dir)?;
            let refs: Vec<&str> = picked.iter().map(|s| s.as_str()).collect();
            (
                emb.embed_batch(&refs)?,
                format!("{} embedded texts from {}", refs.len(), f.display()),
            )
        }
        None => {
            let ids = store.all_article_ids()?;
            let mut qs = Vec::new();
            let mut tries = 0;
            while qs.len() < args.n_queries && tries < args.n_queries * 20 && !ids.is_empty() {
                tries += 1;
                let id = &ids[(rng.next() % ids.len() as u64) as usize];
                let s = store.sentences(id)?;
                if s.is_empty() {
                    continue;
                }
                qs.push(s[(rng.next() % s.len() as u64) as usize].1.clone());
            }
            if qs.is_empty() {
                // No sentence vectors stored: perturbed passage vectors.
                let all: Vec<Vec<f32>> = store
                    .iter_passage_vectors(0)?
                    .filter_map(|r| r.ok().map(|x| x.1))
                    .step_by((n as usize / args.n_queries.max(1)).max(1))
                    .take(args.n_queries)
                    .collect();
                for v in all {
                    let noise = rng.unit(v.len());
                    let mut q: Vec<f32> = v.iter().zip(&noise).map(|(a, b)| a + 0.5 * b).collect();
                    let m = q.iter().map(|x| x * x).sum::<f32>().sqrt();
                    q.iter_mut().for_each(|x| *x /= m);
                    qs.push(q);
                }
                (qs, "perturbed stored passage vectors".to_string())
            } else {
                (qs, "stored sentence vectors".to_string())
            }
        }
    };
    eprintln!("{} queries ({query_kind}), k = {k}", queries.len());

    // Exact reference.
    let te = Instant::now();
    let exact: Vec<Vec<u64>> = queries
        .iter()
        .map(|q| vidx.exact_search(q, k).into_iter().map(|x| x.0).collect())
        .collect();
    let exact_ms = te.elapsed().as_secs_f64() * 1e3 / queries.len().max(1) as f64;

    let run = |idx: &VectorIndex,
               filters: &Filters,
               refs: &[Vec<u64>]|
     -> anyhow::Result<(f64, Vec<f64>)> {
        let mut lat = Vec::with_capacity(queries.len());
        let mut hit = 0usize;
        let mut want = 0usize;
        for (q, r) in queries.iter().zip(refs) {
            let t = Instant::now();
            let got = idx.search(q, k, filters)?;
            lat.push(t.elapsed().as_secs_f64() * 1e3);
            want += r.len();
            hit += got.iter().filter(|(p, _)| r.contains(p)).count();
        }
        lat.sort_by(f64::total_cmp);
        Ok((hit as f64 / want.max(1) as f64, lat))
    };

    let mut rows = Vec::new();
    let saved_m = vidx.params().max_nb_connection;
    let ex_below = args.exact_below;
    let adaptive = !args.no_adaptive_exact;
    // One table row per ef_search value for an index built with M = `m`.
    let sweep = |idx: &mut VectorIndex, m: usize, rows: &mut Vec<Row>| -> anyhow::Result<()> {
        for &ef in &args.ef_search {
            idx.set_search_params(ef, ex_below, adaptive);
            let (recall, lat) = run(idx, &Filters::default(), &exact)?;
            let row = Row {
                m,
                ef_search: ef,
                recall,
                p50_ms: pct(&lat, 0.5),
                p99_ms: pct(&lat, 0.99),
                mean_ms: lat.iter().sum::<f64>() / lat.len().max(1) as f64,
            };
            println!(
                "{:>4} {:>9} {:>10.4} {:>9.3} {:>9.3} {:>9.3}",
                row.m, row.ef_search, row.recall, row.p50_ms, row.p99_ms, row.mean_ms
            );
            rows.push(row);
        }
        Ok(())
    };
    println!(
        "\nHNSW recall@{k} vs exact search over {} live passages ({} points in graph)",
        vidx.live(),
        vidx.points()
    );
    println!(
        "{:>4} {:>9} {:>10} {:>9} {:>9} {:>9}",
        "M", "ef_search", "recall", "p50 ms", "p99 ms", "mean ms"
    );
    sweep(&mut vidx, saved_m, &mut rows)?;
    println!("exact scan: {exact_ms:.3} ms per query");

    // Filtered search: the most common source.
    let mut by_source: HashMap<String, usize> = HashMap::new();
    store.scan_article_info(|_, info| {
        if let Some(s) = &info.source {
            *by_source.entry(s.to_lowercase()).or_default() += info.passage_ids.len();
        }
    })?;
    let mut filtered = Vec::new();
    let mut srcs: Vec<(String, usize)> = by_source.into_iter().collect();
    srcs.sort_by_key(|s| std::cmp::Reverse(s.1));
    let default_ef = HnswParams::default().ef_search;
    vidx.set_search_params(default_ef, ex_below, adaptive);
    for (src, cnt) in srcs.iter().take(3) {
        let f = Filters {
            sources: vec![src.clone()],
            ..Default::default()
        };
        let matching: Vec<u64> = {
            let mut ids = Vec::new();
            store.scan_article_info(|_, info| {
                if info.source.as_deref().map(|s| s.to_lowercase()).as_deref() == Some(src.as_str())
                {
                    ids.extend(info.passage_ids.iter().copied());
                }
            })?;
            ids
        };
        let vecs = store.passage_vectors(&matching)?;
        let refs: Vec<Vec<u64>> = queries
            .iter()
            .map(|q| {
                exact_search(vecs.iter().map(|(p, v)| (*p, v.as_slice())), q, k)
                    .into_iter()
                    .map(|x| x.0)
                    .collect()
            })
            .collect();
        let (recall, lat) = run(&vidx, &f, &refs)?;
        println!(
            "filter source={src:?} ({cnt} passages, {:.1}%): recall@{k} {recall:.4}, p50 {:.3} ms, p99 {:.3} ms",
            100.0 * *cnt as f64 / n as f64,
            pct(&lat, 0.5),
            pct(&lat, 0.99)
        );
        filtered.push(json!({"source": src, "passages": cnt, "recall": recall, "p50_ms": pct(&lat, 0.5), "p99_ms": pct(&lat, 0.99)}));
    }

    // Correlated filters: each query restricted to the source of its exact nearest passage
    // (the usual case: an analyst filters to where the answer lives).
    {
        let mut src_of: HashMap<String, Option<String>> = HashMap::new();
        let mut by_src: HashMap<String, Vec<usize>> = HashMap::new();
        for (qi, r) in exact.iter().enumerate() {
            let Some(&top) = r.first() else { continue };
            let Some(p) = store.passage(top)? else {
                continue;
            };
            let src = match src_of.get(&p.article_id) {
                Some(s) => s.clone(),
                None => {
                    let s = store.article_info(&p.article_id)?.and_then(|i| i.source);
                    src_of.insert(p.article_id.clone(), s.clone());
                    s
                }
            };
            if let Some(s) = src {
                by_src.entry(s.to_lowercase()).or_default().push(qi);
            }
        }
        let mut lat = Vec::new();
        let (mut hit, mut want) = (0usize, 0usize);
        for (src, qis) in &by_src {
            let mut ids = Vec::new();
            store.scan_article_info(|_, info| {
                if info.source.as_deref().map(|s| s.to_lowercase()).as_deref() == Some(src.as_str())
                {
                    ids.extend(info.passage_ids.iter().copied());
                }
            })?;
            let vecs = store.passage_vectors(&ids)?;
            let f = Filters {
                sources: vec![src.clone()],
                ..Default::default()
            };
            for &qi in qis {
                let q = &queries[qi];
                let r: Vec<u64> = exact_search(vecs.iter().map(|(p, v)| (*p, v.as_slice())), q, k)
                    .into_iter()
                    .map(|x| x.0)
                    .collect();
                let t = Instant::now();
                let got = vidx.search(q, k, &f)?;
                lat.push(t.elapsed().as_secs_f64() * 1e3);
                want += r.len();
                hit += got.iter().filter(|(p, _)| r.contains(p)).count();
            }
        }
        lat.sort_by(f64::total_cmp);
        let recall = hit as f64 / want.max(1) as f64;
        println!(
            "filter source=<source of the query's nearest passage> ({} sources): recall@{k} {recall:.4}, p50 {:.3} ms, p99 {:.3} ms",
            by_src.len(),
            pct(&lat, 0.5),
            pct(&lat, 0.99)
        );
        filtered.push(json!({"source": "<own source>", "recall": recall, "p50_ms": pct(&lat, 0.5), "p99_ms": pct(&lat, 0.99)}));
    }

    // Fresh builds with other M values.
    for &m in &args.m {
        let tmp = tempfile::tempdir_in(dir)?;
        let p = HnswParams {
            max_nb_connection: m,
            ef_construction: args.ef_construction,
            ..HnswParams::default()
        };
        let tb = Instant::now();
        let (mut idx, rep) = VectorIndex::open(&tmp.path().join("hnsw"), &store, p)?;
        let build_s = tb.elapsed().as_secs_f64();
        let bytes = dir_bytes(&tmp.path().join("hnsw"));
        eprintln!(
            "M={m} ef_construction={}: built {} points in {:.1} s (rebuild {:.1} s), {} bytes on disk",
            args.ef_construction, rep.points, build_s, rep.rebuild_seconds, bytes
        );
        sweep(&mut idx, m, &mut rows)?;
    }

    // Sizes.
    let redb = store.file_bytes();
    let hnsw = dir_bytes(&dir.join("hnsw"));
    let bm25_b = dir_bytes(&dir.join("bm25"));
    let per = |b: u64| b as f64 / n as f64;
    println!(
        "\non disk: store {:.1} MB, hnsw {:.1} MB, bm25 {:.1} MB = {:.0} bytes per passage ({:.0} store + {:.0} hnsw + {:.0} bm25); {} articles, {} passages, {} sentences",
        redb as f64 / 1e6,
        hnsw as f64 / 1e6,
        bm25_b as f64 / 1e6,
        per(redb + hnsw + bm25_b),
        per(redb),
        per(hnsw),
        per(bm25_b),
        counts.articles,
        counts.passages,
        counts.sentences
    );
    if args.from.is_none() {
        println!("(RSS deltas are only meaningful with --from, in a fresh process)");
    }
    println!(
        "RSS: +{:.1} MB for store + vector index ({:.0} bytes per passage), +{:.1} MB for bm25; start-up to a searchable vector index {:.0} ms",
        (rss_vec.saturating_sub(rss0)) as f64 / 1e6,
        per(rss_vec.saturating_sub(rss0)),
        (rss_all.saturating_sub(rss_vec)) as f64 / 1e6,
        startup_ms
    );
    if built.synthetic {
        println!("NOTE: synthetic random vectors; recall and latency are not representative.");
    }
    let summary = json!({
        "synthetic": built.synthetic,
        "articles": counts.articles, "passages": counts.passages, "sentences": counts.sentences,
        "k": k, "queries": queries.len(), "query_kind": query_kind,
        "startup_ms": startup_ms, "vector_index": format!("{:?}", vrep.source), "bm25_open_ms": bm25_ms,
        "exact_ms": exact_ms,
        "rows": rows, "filtered": filtered,
        "disk_bytes": {"store": redb, "hnsw": hnsw, "bm25": bm25_b, "per_passage": per(redb + hnsw + bm25_b)},
        "rss_bytes": {"store_and_vector_index": rss_vec.saturating_sub(rss0), "bm25": rss_all.saturating_sub(rss_vec),
                       "per_passage": per(rss_vec.saturating_sub(rss0))},
    });
    drop(bm25);
    println!("{summary}");
    Ok(())
}

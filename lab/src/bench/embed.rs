//! `newsdesk-lab bench embed`: embedding throughput and query latency on a fixed workload
//! (`{"passages": [...], "queries": [...]}`, e.g. ../shared/bench/embed-workload.json).
//!
//! Phases, all in one process on the same machine:
//! 1. FMA ceiling: a register-only fused-multiply-add loop on every pool thread at once.
//! 2. Bulk: all passages through [`Embedder::embed_batch`] (length-sorted, token-budget
//!    batches): passage-tokens/s (word pieces incl. [CLS]/[SEP]) and the fp32 FLOP rate that
//!    implies (dense layers + attention, counted per sequence).
//! 3. Queries, idle: one [`Embedder::embed_query`] call per query: p50/p99.
//! 4. Baseline side by side: the plain-candle reference path and the fast path on the same
//!    subset of passages (and queries): the speed ratio and the fidelity (min cosine).
//! 5. Queries under bulk load: an [`EmbedService`] runs a bulk job while queries arrive every
//!    20 ms through the service: p50/p99, and the bulk rate meanwhile.
//!
//! Human-readable lines go to stderr; the last line on stdout is one JSON object with every
//! number. The load average is recorded before and after, since other work on the machine
//! skews the numbers.

use anyhow::{bail, Context};
use clap::Args;
use newsdesk::embed::encoder::Encoder;
use newsdesk::embed::kernels;
use newsdesk::embed::{cosine, EmbedService, EmbedServiceOptions, Embedder, EmbedderOptions, Isa};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// `newsdesk-lab bench embed`.
#[derive(Debug, Clone, Args)]
pub struct BenchEmbedArgs {
    /// Workload JSON with `passages` and `queries` arrays of strings.
    #[arg(long, default_value = "../shared/bench/embed-workload.json")]
    pub workload: PathBuf,
    #[command(flatten)]
    pub opts: BenchEmbedOptions,
}

/// Knobs of the embedding benchmark.
#[derive(Debug, Clone, Args)]
pub struct BenchEmbedOptions {
    /// Passages for the bulk phase (default: all).
    #[arg(long)]
    pub passages: Option<usize>,
    /// Queries for the latency phases.
    #[arg(long, default_value_t = 500)]
    pub queries: usize,
    /// Passages run through the candle baseline and, side by side, the fast path (0 = skip).
    #[arg(long, default_value_t = 200)]
    pub baseline_passages: usize,
    /// Passages in the bulk job of the queries-under-load phase (0 = skip the phase).
    #[arg(long, default_value_t = 600)]
    pub load_passages: usize,
    /// Threads per embedding pool (default: every core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Tokens per bulk forward pass.
    #[arg(long, default_value_t = EmbedderOptions::default().token_budget)]
    pub token_budget: usize,
    /// Force a lower instruction set: avx512, avx2 or portable (default: the best the CPU has).
    #[arg(long, value_parser = parse_isa)]
    pub isa: Option<Isa>,
}

fn parse_isa(s: &str) -> Result<Isa, String> {
    match s {
        "avx512" => Ok(Isa::Avx512),
        "avx2" => Ok(Isa::Avx2),
        "portable" => Ok(Isa::Portable),
        other => Err(format!(
            "unknown instruction set {other:?}: avx512, avx2 or portable"
        )),
    }
}

impl Default for BenchEmbedOptions {
    fn default() -> Self {
        BenchEmbedOptions {
            passages: None,
            queries: 500,
            baseline_passages: 200,
            load_passages: 600,
            threads: None,
            token_budget: EmbedderOptions::default().token_budget,
            isa: None,
        }
    }
}

/// `newsdesk-lab bench embed` with parsed arguments.
pub fn run(args: &BenchEmbedArgs, model_dir: &Path) -> anyhow::Result<()> {
    run_bench_embed(&args.workload, model_dir, &args.opts)
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn percentile(sorted_ms: &[f64], p: f64) -> f64 {
    if sorted_ms.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted_ms.len() as f64 - 1.0) * p).round() as usize;
    sorted_ms[i.min(sorted_ms.len() - 1)]
}

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(|a, b| a.total_cmp(b));
    v
}

fn round(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}

pub fn run_bench_embed(
    workload: &Path,
    model_dir: &Path,
    opts: &BenchEmbedOptions,
) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(workload)
        .with_context(|| format!("reading the workload {}", workload.display()))?;
    let w: serde_json::Value = serde_json::from_str(&text).context("workload is not JSON")?;
    let strings = |key: &str| -> anyhow::Result<Vec<String>> {
        let arr = w[key]
            .as_array()
            .with_context(|| format!("workload has no `{key}` array"))?;
        Ok(arr
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect())
    };
    let mut passages = strings("passages")?;
    let mut queries = strings("queries")?;
    if let Some(n) = opts.passages {
        passages.truncate(n);
    }
    queries.truncate(opts.queries);
    if passages.is_empty() {
        bail!("workload has no passages");
    }
    let load_before = loadavg();

    let t = Instant::now();
    let embedder = Arc::new(
        Embedder::load_with(
            model_dir,
            EmbedderOptions {
                threads: opts.threads,
                token_budget: opts.token_budget,
                isa: opts.isa,
                ..Default::default()
            },
        )
        .with_context(|| format!("loading the model from {}", model_dir.display()))?,
    );
    let load_s = t.elapsed().as_secs_f64();
    let threads = embedder.threads();
    let isa = embedder.isa();
    eprintln!(
        "model {} ({}), {} threads, {}; loaded in {:.2}s; load average {}",
        embedder.info().name,
        &embedder.info().sha256[..12],
        threads,
        isa.name(),
        load_s,
        load_before
    );

    // 1. FMA ceiling on every thread at once.
    let peak_gflops: f64 = std::thread::scope(|s| {
        let hs: Vec<_> = (0..threads)
            .map(|_| s.spawn(move || kernels::fma_peak_gflops(isa, 0.4)))
            .collect();
        hs.into_iter().map(|h| h.join().unwrap_or(0.0)).sum()
    });

    // 2. Bulk.
    let p_refs: Vec<&str> = passages.iter().map(|s| s.as_str()).collect();
    let lens: Vec<usize> = p_refs
        .iter()
        .map(|p| embedder.tokenize(p).map(|ids| ids.len()))
        .collect::<Result<_, _>>()?;
    let tokens: usize = lens.iter().sum();
    let flops: f64 = lens.iter().map(|&l| Encoder::flops(l)).sum();
    let flops_per_token = flops / tokens as f64;
    embedder.embed_batch(&p_refs[..p_refs.len().min(64)])?; // warm-up
    let phases_before = embedder.phase_seconds();
    let t = Instant::now();
    let bulk_vecs = embedder.embed_batch(&p_refs)?;
    let bulk_s = t.elapsed().as_secs_f64();
    let phases: Vec<(&str, f64)> = embedder
        .phase_seconds()
        .into_iter()
        .zip(phases_before)
        .map(|((name, after), (_, before))| (name, after - before))
        .collect();
    let tok_s = tokens as f64 / bulk_s;
    let gflops = flops / bulk_s / 1e9;
    eprintln!(
        "bulk: {} passages, {} tokens (mean {:.0}), {:.2}s: {:.0} passage-tokens/s, {:.1} GFLOP/s \
         ({:.0}% of the {:.0} GFLOP/s FMA ceiling; ceiling = {:.0} tokens/s)",
        passages.len(),
        tokens,
        tokens as f64 / passages.len() as f64,
        bulk_s,
        tok_s,
        gflops,
        100.0 * gflops / peak_gflops,
        peak_gflops,
        peak_gflops * 1e9 / flops_per_token
    );

    // Where the bulk time went. Dense-layer FLOPs per phase: 2·tokens·in·out·layers.
    let t = tokens as f64;
    let h = newsdesk::embed::encoder::HIDDEN as f64;
    let f = newsdesk::embed::encoder::FFN as f64;
    let layers = newsdesk::embed::encoder::LAYERS as f64;
    let attn_flops: f64 = lens
        .iter()
        .map(|&l| 4.0 * (l * l) as f64 * h * layers)
        .sum();
    let phase_flops = |name: &str| -> f64 {
        match name {
            "qkv matmul" => 2.0 * t * h * 3.0 * h * layers,
            "attention" => attn_flops,
            "out matmul+residual+ln" => 2.0 * t * h * h * layers,
            "ffn up matmul+gelu" | "ffn down matmul+residual+ln" => 2.0 * t * h * f * layers,
            _ => 0.0,
        }
    };
    let phase_sum: f64 = phases.iter().map(|p| p.1).sum();
    let mut phase_json = serde_json::Map::new();
    for (name, secs) in &phases {
        let fl = phase_flops(name);
        eprintln!(
            "  {:<28} {:>6.1}% {:>8.3}s {}",
            name,
            100.0 * secs / phase_sum.max(1e-9),
            secs,
            if fl > 0.0 {
                format!("{:.1} GFLOP/s", fl / secs / 1e9)
            } else {
                String::new()
            }
        );
        phase_json.insert(
            name.to_string(),
            json!({"seconds": round(*secs, 3), "gflops": if fl > 0.0 { round(fl / secs / 1e9, 1) } else { 0.0 }}),
        );
    }

    // 3. Queries, idle.
    let q_refs: Vec<&str> = queries.iter().map(|s| s.as_str()).collect();
    let mut idle_ms = Vec::with_capacity(q_refs.len());
    for q in q_refs.iter().take(20) {
        embedder.embed_query(q)?;
    }
    let q_tokens: usize = q_refs
        .iter()
        .map(|q| embedder.tokenize(q).map(|v| v.len()).unwrap_or(0))
        .sum();
    for q in &q_refs {
        let t = Instant::now();
        embedder.embed_query(q)?;
        idle_ms.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let idle_ms = sorted(idle_ms);
    let (q50, q99) = (percentile(&idle_ms, 0.5), percentile(&idle_ms, 0.99));
    eprintln!(
        "queries (idle): {} queries (mean {:.1} tokens): p50 {:.2} ms, p99 {:.2} ms",
        q_refs.len(),
        q_tokens as f64 / q_refs.len().max(1) as f64,
        q50,
        q99
    );

    // 4. Baseline side by side (before the service lowers the bulk threads' priority).
    let mut baseline_json = serde_json::Value::Null;
    let nb = opts.baseline_passages.min(passages.len());
    if nb > 0 {
        let sub = &p_refs[..nb];
        let sub_tokens: usize = lens[..nb].iter().sum();
        embedder.embed_batch_reference(&sub[..sub.len().min(8)])?; // load + warm-up
        let t = Instant::now();
        let base = embedder.embed_batch_reference(sub)?;
        let base_s = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let fast = embedder.embed_batch(sub)?;
        let fast_s = t.elapsed().as_secs_f64();
        let mut min_cos = f32::MAX;
        for ((a, b), c) in base.iter().zip(&fast).zip(&bulk_vecs) {
            min_cos = min_cos.min(cosine(a, b)).min(cosine(a, c));
        }
        let mut base_q_ms = Vec::new();
        for q in q_refs.iter().take(50) {
            let t = Instant::now();
            let r = embedder.embed_batch_reference(&[q])?;
            base_q_ms.push(t.elapsed().as_secs_f64() * 1e3);
            let f = embedder.embed_query(q)?;
            min_cos = min_cos.min(cosine(&r[0], &f));
        }
        let base_q_ms = sorted(base_q_ms);
        let base_tok_s = sub_tokens as f64 / base_s;
        let fast_tok_s = sub_tokens as f64 / fast_s;
        eprintln!(
            "baseline (plain candle ops, padded batches of 32) on {nb} passages: {:.0} tokens/s; \
             fast path on the same: {:.0} tokens/s: {:.2}x; baseline query p50 {:.2} ms ({:.1}x); \
             min cosine fast vs baseline {:.6}",
            base_tok_s,
            fast_tok_s,
            fast_tok_s / base_tok_s,
            percentile(&base_q_ms, 0.5),
            percentile(&base_q_ms, 0.5) / q50,
            min_cos
        );
        baseline_json = json!({
            "passages": nb,
            "baseline_tokens_per_s": round(base_tok_s, 0),
            "fast_tokens_per_s": round(fast_tok_s, 0),
            "speedup": round(fast_tok_s / base_tok_s, 2),
            "baseline_query_p50_ms": round(percentile(&base_q_ms, 0.5), 3),
            "min_cosine_fast_vs_baseline": min_cos,
        });
    }

    // 5. Queries under bulk load, through the service.
    let mut load_json = serde_json::Value::Null;
    if opts.load_passages > 0 && !q_refs.is_empty() {
        let service = EmbedService::start(embedder.clone(), EmbedServiceOptions::default());
        let job: Vec<String> = passages
            .iter()
            .cycle()
            .take(opts.load_passages)
            .cloned()
            .collect();
        let job_tokens: usize = job
            .iter()
            .map(|p| embedder.tokenize(p).map(|v| v.len()).unwrap_or(0))
            .sum();
        let s2 = service.clone();
        let bulk = std::thread::spawn(move || {
            let t = Instant::now();
            let r = s2.bulk_blocking(job);
            (r.map(|v| v.len()), t.elapsed().as_secs_f64())
        });
        while service.stats().bulk_running == 0 && !bulk.is_finished() {
            std::thread::sleep(Duration::from_millis(1));
        }
        let mut ms = Vec::new();
        let mut i = 0;
        while !bulk.is_finished() {
            let q = queries[i % queries.len()].clone();
            let t = Instant::now();
            service.query_blocking(q)?;
            ms.push(t.elapsed().as_secs_f64() * 1e3);
            i += 1;
            std::thread::sleep(Duration::from_millis(20));
        }
        let (n, secs) = bulk
            .join()
            .map_err(|_| anyhow::anyhow!("bulk thread panicked"))?;
        n?;
        let ms = sorted(ms);
        let (l50, l99) = (percentile(&ms, 0.5), percentile(&ms, 0.99));
        eprintln!(
            "queries under bulk load: {} queries during a {}-passage job: p50 {:.2} ms, p99 {:.2} ms; \
             bulk meanwhile {:.0} tokens/s",
            ms.len(),
            opts.load_passages,
            l50,
            l99,
            job_tokens as f64 / secs
        );
        load_json = json!({
            "queries": ms.len(),
            "p50_ms": round(l50, 3),
            "p99_ms": round(l99, 3),
            "bulk_tokens_per_s": round(job_tokens as f64 / secs, 0),
        });
    }

    let load_after = loadavg();
    eprintln!("load average after: {load_after}");
    let out = json!({
        "bench": "embed",
        "model": embedder.info().name,
        "model_sha256": embedder.info().sha256,
        "isa": isa.name(),
        "threads": threads,
        "token_budget": opts.token_budget,
        "load_average_before": load_before,
        "load_average_after": load_after,
        "model_load_s": round(load_s, 3),
        "passages": passages.len(),
        "passage_tokens": tokens,
        "bulk_seconds": round(bulk_s, 3),
        "passage_tokens_per_s": round(tok_s, 0),
        "gflops": round(gflops, 1),
        "mflop_per_token": round(flops_per_token / 1e6, 2),
        "fma_ceiling_gflops": round(peak_gflops, 1),
        "fraction_of_ceiling": round(gflops / peak_gflops, 3),
        "bulk_phases": phase_json,
        "queries": q_refs.len(),
        "query_p50_ms": round(q50, 3),
        "query_p99_ms": round(q99, 3),
        "query_mean_ms": round(idle_ms.iter().sum::<f64>() / idle_ms.len().max(1) as f64, 3),
        "queries_under_load": load_json,
        "baseline": baseline_json,
    });
    println!("{out}");
    Ok(())
}

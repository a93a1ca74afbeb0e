//! `newsdesk-lab bench write`: what one write costs on a small and on a large data dir, side by
//! side in one run, and whether a stream of feed writes hurts reads.
//!
//! Both dirs are served by real `newsdesk serve` processes on loopback (the release binary next
//! to this one, or `--newsdesk`). The write phase posts the same real articles, one per
//! request, alternately to the small and the large server (so drift on a noisy machine hits
//! both alike), timing each POST and reading the server's `write_bytes` from `/proc/<pid>/io`
//! before and after it; then it deletes them again, measured the same way, so both dirs end as
//! they began. At the end each server is stopped with SIGTERM, and the bytes of its shutdown
//! checkpoint are reported too: that is the index-save cost the request path no longer pays.
//!
//! The read phase runs on the large server: `--clients` threads ask questions for
//! `--read-secs`, first with no writes (the baseline), then while a local publisher serves
//! real feed files that change on every fetch and writer threads refresh the subscribed feeds
//! back to back. It reports `/v1/ask` p50/p99 and throughput for both, and what the stream
//! stored.
//!
//! Dirs that do not exist yet are built first from `--small-corpus` / `--large-corpus`
//! (evaluation files or HTML folders, see `eval::data::corpus_articles`) through the product's
//! engine; that is slow for a large corpus, and done once.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Args;
use serde_json::{json, Value};

use super::index::{ingest_corpus, read_corpus};
use super::server::{mean, newsdesk_bin, pct, read_questions, Cost, Server};

/// `newsdesk-lab bench write`.
#[derive(Debug, Clone, Args)]
pub struct BenchWriteArgs {
    /// The small data dir (about 1k passages), built from `--small-corpus` if missing.
    #[arg(long, value_name = "DIR")]
    pub small: PathBuf,
    /// The large data dir (50k passages or more), built from `--large-corpus` if missing.
    #[arg(long, value_name = "DIR")]
    pub large: PathBuf,
    /// Files to build the small dir from.
    #[arg(long, num_args = 1.., value_name = "FILE")]
    pub small_corpus: Vec<PathBuf>,
    /// Files or HTML folders to build the large dir from.
    #[arg(long, num_args = 1.., value_name = "PATH")]
    pub large_corpus: Vec<PathBuf>,
    /// Real articles to post, one per request (news JSONL or any corpus file); each gets a
    /// fresh id and is deleted again at the end.
    #[arg(long, value_name = "FILE")]
    pub docs: PathBuf,
    /// Posts per dir.
    #[arg(long, default_value_t = 100)]
    pub posts: usize,
    /// Questions for the read phase (JSONL with `question`, or one per line).
    #[arg(long, value_name = "FILE")]
    pub questions: PathBuf,
    /// A folder of feed files (RSS/Atom/RDF) the local publisher serves in rotation.
    #[arg(long, value_name = "DIR")]
    pub feeds: PathBuf,
    /// Feeds subscribed during the stream (each a different rotation of the files).
    #[arg(long, default_value_t = 4)]
    pub stream_feeds: usize,
    /// Concurrent asking clients.
    #[arg(long, default_value_t = 8)]
    pub clients: usize,
    /// Seconds of each read phase (baseline, then during the stream).
    #[arg(long, default_value_t = 120)]
    pub read_secs: u64,
    /// Skip the read phases (write costs only).
    #[arg(long)]
    pub no_reads: bool,
    /// The newsdesk binary (default: the one next to this executable).
    #[arg(long, value_name = "PATH")]
    pub newsdesk: Option<PathBuf>,
    /// Passage budget when building.
    #[arg(long, default_value_t = 128)]
    pub budget: usize,
}

/// Runs the benchmark; prints tables and a final JSON line.
pub fn run_bench_write(args: &BenchWriteArgs, model_dir: &Path) -> anyhow::Result<()> {
    let bin = newsdesk_bin(args.newsdesk.as_deref())?;
    for (dir, corpus, name) in [
        (&args.small, &args.small_corpus, "small"),
        (&args.large, &args.large_corpus, "large"),
    ] {
        if !dir.exists() {
            if corpus.is_empty() {
                bail!(
                    "{} does not exist: pass --{name}-corpus to build it",
                    dir.display()
                );
            }
            eprintln!("building the {name} dir {}", dir.display());
            ingest_corpus(dir, read_corpus(corpus, None)?, args.budget, model_dir)?;
        }
    }
    let docs = read_corpus(std::slice::from_ref(&args.docs), None)?;
    if docs.is_empty() {
        bail!("{}: no article to post", args.docs.display());
    }
    let run_tag = format!(
        "{:x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_secs()
    );
    let posts: Vec<Value> = (0..args.posts)
        .map(|i| {
            let a = &docs[i % docs.len()];
            json!({
                "id": format!("bench-write-{run_tag}-{i}"),
                "title": a.title,
                "body": a.body,
                "source": a.source.clone().unwrap_or_else(|| "bench".into()),
                "published": a.published.map(|d| d.to_rfc3339()),
            })
        })
        .collect();

    let mut small = Server::start(&bin, &args.small, "small")?;
    let mut large = Server::start(&bin, &args.large, "large")?;
    let small_passages = small.passages()?;
    let large_passages = large.passages()?;
    eprintln!("small: {small_passages} passages; large: {large_passages} passages");

    // Write phase: one POST each, alternating, then the deletes.
    let (mut ps, mut pl) = (Costs::default(), Costs::default());
    for p in &posts {
        ps.push(small.timed("POST", "/v1/documents", Some(p))?);
        pl.push(large.timed("POST", "/v1/documents", Some(p))?);
    }
    let (mut ds, mut dl) = (Costs::default(), Costs::default());
    for p in &posts {
        let path = format!("/v1/documents/{}", p["id"].as_str().unwrap_or_default());
        ds.push(small.timed("DELETE", &path, None)?);
        dl.push(large.timed("DELETE", &path, None)?);
    }

    let reads = if args.no_reads {
        None
    } else {
        Some(read_phases(args, &large)?)
    };

    let ckpt_small = small.stop()?;
    let ckpt_large = large.stop()?;

    println!();
    println!(
        "one-document writes, {} real articles, alternating small ({small_passages} passages) and large ({large_passages} passages)",
        posts.len()
    );
    println!(
        "{:<22} {:>10} {:>10} {:>10} {:>14} {:>14}",
        "", "p50 ms", "p99 ms", "mean ms", "p50 bytes", "mean bytes"
    );
    let rows = [
        ("POST small", &ps),
        ("POST large", &pl),
        ("DELETE small", &ds),
        ("DELETE large", &dl),
    ];
    for (name, c) in rows {
        println!(
            "{:<22} {:>10.1} {:>10.1} {:>10.1} {:>14.0} {:>14.0}",
            name,
            c.ms(0.50),
            c.ms(0.99),
            c.mean_ms(),
            c.bytes(0.50),
            c.mean_bytes()
        );
    }
    let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { f64::NAN };
    println!(
        "large / small: POST p50 {:.2}x, p99 {:.2}x, bytes p50 {:.2}x, mean bytes {:.2}x; DELETE p50 {:.2}x, bytes p50 {:.2}x",
        ratio(pl.ms(0.5), ps.ms(0.5)),
        ratio(pl.ms(0.99), ps.ms(0.99)),
        ratio(pl.bytes(0.5), ps.bytes(0.5)),
        ratio(pl.mean_bytes(), ps.mean_bytes()),
        ratio(dl.ms(0.5), ds.ms(0.5)),
        ratio(dl.bytes(0.5), ds.bytes(0.5)),
    );
    println!(
        "shutdown checkpoint (SIGTERM, after the run): small {} bytes, large {} bytes",
        ckpt_small, ckpt_large
    );
    if let Some(r) = &reads {
        println!();
        println!(
            "/v1/ask on the large dir, {} clients, {} s per phase",
            args.clients, args.read_secs
        );
        println!(
            "{:<22} {:>10} {:>10} {:>10} {:>8} {:>8}",
            "", "p50 ms", "p99 ms", "req/s", "errors", "stored"
        );
        for (name, p) in [("idle", &r.idle), ("during feed stream", &r.stream)] {
            println!(
                "{:<22} {:>10.1} {:>10.1} {:>10.2} {:>8} {:>8}",
                name,
                p.ms(0.5),
                p.ms(0.99),
                p.throughput(),
                p.errors,
                p.stored
            );
        }
        println!(
            "stream / idle: p50 {:.2}x, p99 {:.2}x, throughput {:.2}x; the stream made {} feed fetches storing {} new articles",
            ratio(r.stream.ms(0.5), r.idle.ms(0.5)),
            ratio(r.stream.ms(0.99), r.idle.ms(0.99)),
            ratio(r.stream.throughput(), r.idle.throughput()),
            r.fetches,
            r.stream.stored
        );
    }
    let cost = |c: &Costs| {
        json!({"p50_ms": c.ms(0.5), "p99_ms": c.ms(0.99), "p50_bytes": c.bytes(0.5),
               "mean_bytes": c.mean_bytes(), "n": c.ms_v.len()})
    };
    let mut out = json!({
        "small_passages": small_passages,
        "large_passages": large_passages,
        "post": {"small": cost(&ps), "large": cost(&pl)},
        "delete": {"small": cost(&ds), "large": cost(&dl)},
        "shutdown_checkpoint_bytes": {"small": ckpt_small, "large": ckpt_large},
    });
    if let Some(r) = &reads {
        let phase = |p: &Phase| {
            json!({"p50_ms": p.ms(0.5), "p99_ms": p.ms(0.99), "rps": p.throughput(),
                   "errors": p.errors, "requests": p.ms_v.len()})
        };
        out["ask"] = json!({"idle": phase(&r.idle), "stream": phase(&r.stream),
                             "stream_fetches": r.fetches, "stream_new_articles": r.stream.stored});
    }
    println!("{out}");
    Ok(())
}

#[derive(Default)]
struct Costs {
    ms_v: Vec<f64>,
    bytes_v: Vec<f64>,
}

impl Costs {
    fn push(&mut self, c: Cost) {
        self.ms_v.push(c.ms);
        self.bytes_v.push(c.bytes as f64);
    }
    fn ms(&self, p: f64) -> f64 {
        pct(&self.ms_v, p)
    }
    fn bytes(&self, p: f64) -> f64 {
        pct(&self.bytes_v, p)
    }
    fn mean_ms(&self) -> f64 {
        mean(&self.ms_v)
    }
    fn mean_bytes(&self) -> f64 {
        mean(&self.bytes_v)
    }
}

/// One read phase: every `/v1/ask` latency, errors, and the articles the stream stored.
#[derive(Default)]
struct Phase {
    ms_v: Vec<f64>,
    errors: usize,
    seconds: f64,
    stored: usize,
}

impl Phase {
    fn ms(&self, p: f64) -> f64 {
        pct(&self.ms_v, p)
    }
    fn throughput(&self) -> f64 {
        self.ms_v.len() as f64 / self.seconds.max(1e-9)
    }
}

struct Reads {
    idle: Phase,
    stream: Phase,
    fetches: usize,
}

fn read_phases(args: &BenchWriteArgs, server: &Server) -> anyhow::Result<Reads> {
    let questions = Arc::new(read_questions(&args.questions)?);
    let feeds = feed_files(&args.feeds)?;
    eprintln!(
        "read phase: {} questions, {} clients, {} s idle then {} s during a stream of {} feed files",
        questions.len(),
        args.clients,
        args.read_secs,
        args.read_secs,
        feeds.len()
    );
    let idle = ask_load(server, &questions, args.clients, args.read_secs)?;

    let publisher = Publisher::start(feeds, args.stream_feeds.max(1))?;
    let mut ids = Vec::new();
    for j in 0..args.stream_feeds {
        let v: Value = server
            .agent
            .post(&format!("{}/v1/feeds", server.base))
            .send_json(
                json!({"url": format!("{}/feed/{j}", publisher.base), "interval_secs": 3600,
                               "source": format!("stream-{j}")}),
            )?
            .into_json()?;
        ids.push(v["id"].as_str().context("feed without id")?.to_string());
    }
    let stop = Arc::new(AtomicBool::new(false));
    let stored = Arc::new(AtomicUsize::new(0));
    let fetches = Arc::new(AtomicUsize::new(0));
    let mut writers = Vec::new();
    for chunk in ids.chunks(ids.len().div_ceil(2).max(1)) {
        let (chunk, stop, stored, fetches) = (
            chunk.to_vec(),
            stop.clone(),
            stored.clone(),
            fetches.clone(),
        );
        let (agent, base) = (server.agent.clone(), server.base.clone());
        writers.push(std::thread::spawn(move || {
            let mut i = 0usize;
            while !stop.load(Ordering::SeqCst) {
                let id = &chunk[i % chunk.len()];
                i += 1;
                if let Ok(r) = agent
                    .post(&format!("{base}/v1/feeds/{id}/refresh"))
                    .send_json(json!({}))
                {
                    if let Ok(v) = r.into_json::<Value>() {
                        fetches.fetch_add(1, Ordering::SeqCst);
                        let n = v["fetch"]["items_new"].as_u64().unwrap_or(0) as usize;
                        stored.fetch_add(n, Ordering::SeqCst);
                    }
                } else {
                    std::thread::sleep(Duration::from_millis(200));
                }
            }
        }));
    }
    let mut stream = ask_load(server, &questions, args.clients, args.read_secs)?;
    stop.store(true, Ordering::SeqCst);
    for w in writers {
        let _ = w.join();
    }
    for id in &ids {
        let _ = server
            .agent
            .delete(&format!("{}/v1/feeds/{id}", server.base))
            .call();
    }
    stream.stored = stored.load(Ordering::SeqCst);
    publisher.stop();
    Ok(Reads {
        idle,
        stream,
        fetches: fetches.load(Ordering::SeqCst),
    })
}

/// `clients` threads asking questions round-robin for `secs` seconds.
fn ask_load(
    server: &Server,
    questions: &Arc<Vec<String>>,
    clients: usize,
    secs: u64,
) -> anyhow::Result<Phase> {
    let next = Arc::new(AtomicUsize::new(0));
    let results = Arc::new(Mutex::new(Phase::default()));
    let t0 = Instant::now();
    let deadline = t0 + Duration::from_secs(secs);
    let mut handles = Vec::new();
    for _ in 0..clients {
        let (agent, base) = (server.agent.clone(), server.base.clone());
        let (questions, next, results) = (questions.clone(), next.clone(), results.clone());
        handles.push(std::thread::spawn(move || {
            while Instant::now() < deadline {
                let q = &questions[next.fetch_add(1, Ordering::Relaxed) % questions.len()];
                let t = Instant::now();
                let r = agent
                    .post(&format!("{base}/v1/ask"))
                    .send_json(json!({"question": q}));
                let ms = t.elapsed().as_secs_f64() * 1e3;
                let mut res = results.lock().unwrap_or_else(|e| e.into_inner());
                match r {
                    Ok(_) => res.ms_v.push(ms),
                    Err(_) => res.errors += 1,
                }
            }
        }));
    }
    for h in handles {
        let _ = h.join();
    }
    let mut phase = std::mem::take(&mut *results.lock().unwrap_or_else(|e| e.into_inner()));
    phase.seconds = t0.elapsed().as_secs_f64();
    Ok(phase)
}

fn feed_files(dir: &Path) -> anyhow::Result<Vec<Vec<u8>>> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
        for e in std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
            let p = e?.path();
            if p.is_dir() {
                walk(&p, out)?;
            } else if p
                .extension()
                .and_then(|x| x.to_str())
                .is_some_and(|x| matches!(x, "xml" | "rss" | "atom" | "rdf"))
            {
                out.push(p);
            }
        }
        Ok(())
    }
    let mut files = Vec::new();
    walk(dir, &mut files)?;
    files.sort();
    if files.is_empty() {
        bail!("{}: no feed file", dir.display());
    }
    files
        .iter()
        .map(|f| std::fs::read(f).with_context(|| format!("reading {}", f.display())))
        .collect()
}

/// A local feed publisher: `/feed/{j}` (j < `feeds`) serves files j, j + feeds, j + 2·feeds…
/// on its successive fetches, so every refresh brings items the store has not seen until the
/// files run out (then the rotation repeats and items are unchanged).
struct Publisher {
    base: String,
    stop: Arc<AtomicBool>,
}

impl Publisher {
    fn start(files: Vec<Vec<u8>>, feeds: usize) -> anyhow::Result<Publisher> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let base = format!("http://{}", listener.local_addr()?);
        let stop = Arc::new(AtomicBool::new(false));
        let served: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
        let files = Arc::new(files);
        let total = Arc::new(AtomicU64::new(0));
        let s = stop.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                let (files, served, total) = (files.clone(), served.clone(), total.clone());
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(&stream);
                    let mut request_line = String::new();
                    let _ = reader.read_line(&mut request_line);
                    let mut line = String::new();
                    while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                        line.clear();
                    }
                    let path = request_line
                        .split_whitespace()
                        .nth(1)
                        .unwrap_or("/")
                        .to_string();
                    let j: usize = path
                        .rsplit('/')
                        .next()
                        .and_then(|x| x.parse().ok())
                        .unwrap_or(0);
                    let k = {
                        let mut m = served.lock().unwrap_or_else(|e| e.into_inner());
                        let c = m.entry(path).or_insert(0);
                        *c += 1;
                        *c - 1
                    };
                    total.fetch_add(1, Ordering::Relaxed);
                    let body = &files[(k * feeds + j) % files.len()];
                    let mut s = &stream;
                    let _ = write!(
                        s,
                        "HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = s.write_all(body);
                });
            }
        });
        Ok(Publisher { base, stop })
    }

    fn stop(self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = std::net::TcpStream::connect(self.base.trim_start_matches("http://"));
    }
}

//! `newsdesk-lab bench serve`: what the read path costs on a real `newsdesk serve` process.
//!
//! The data dir is built first from `--corpus` through the product's engine when it holds no
//! store. Then the server is started on loopback (the release binary next to this one, or
//! `--newsdesk`; no keys) and the time from spawn to the first `200` from `/ready` is the cold
//! start. For `/v1/ask` then `/v1/search`, at each `--clients` level, that many closed-loop
//! client threads (one keep-alive agent each) send requests back to back for `--secs`; every
//! latency and status is kept. Each row reports requests, errors (non-200, 503s apart),
//! throughput, p50/p99 of the `200`s, the server's CPU time per served request (utime + stime
//! of `/proc/<pid>/stat` over the phase) and its resident memory after the phase.
//!
//! With `--ingest-docs`, the 8-client `/v1/ask` phase is repeated while a writer thread posts
//! those articles (fresh ids, one per request) back to back; the posted ids are deleted
//! afterwards so the dir ends as it began. The server is stopped with SIGTERM at the end.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Args;
use newsdesk::ingest::Article;
use serde_json::{json, Value};

use super::index::{ingest_corpus, read_corpus};
use super::server::{newsdesk_bin, pct, read_questions, Server};

/// `newsdesk-lab bench serve`.
#[derive(Debug, Clone, Args)]
pub struct BenchServeArgs {
    /// The data dir; built from `--corpus` if it holds no store.
    #[arg(long, value_name = "DIR")]
    pub data: PathBuf,
    /// Files or folders to build the dir from (evaluation files, news JSONL, HTML folders, or
    /// anything `newsdesk ingest` reads, such as the seed folder).
    #[arg(long, num_args = 1.., value_name = "PATH")]
    pub corpus: Vec<PathBuf>,
    /// Questions for `/v1/ask` (JSONL with `question`, or one per line), in rotation.
    #[arg(long, value_name = "FILE")]
    pub questions: PathBuf,
    /// Queries for `/v1/search` (same format); default: the questions.
    #[arg(long, value_name = "FILE")]
    pub queries: Option<PathBuf>,
    /// Concurrency levels, comma-separated.
    #[arg(long, default_value = "1,8,64", value_parser = parse_clients)]
    pub clients: Clients,
    /// Seconds of each phase.
    #[arg(long, default_value_t = 20)]
    pub secs: u64,
    /// News JSONL (or any corpus file) to post during an extra 8-client `/v1/ask` phase.
    #[arg(long, value_name = "FILE")]
    pub ingest_docs: Option<PathBuf>,
    /// The newsdesk binary (default: the one next to this executable).
    #[arg(long, value_name = "PATH")]
    pub newsdesk: Option<PathBuf>,
    /// Passage budget when building (and the server's `--passage-budget`).
    #[arg(long, default_value_t = 128)]
    pub budget: usize,
    /// The server's query-vector cache (`NEWSDESK_QUERY_CACHE`). The questions rotate, so any
    /// cache would answer every one after the first round from memory; the default 0 embeds
    /// each request's query, as a stream of new questions would.
    #[arg(long, default_value_t = 0)]
    pub query_cache: usize,
}

/// Concurrency levels (`--clients 1,8,64`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clients(pub Vec<usize>);

/// Parses `1,8,64`: positive integers, comma-separated, at least one.
pub fn parse_clients(s: &str) -> Result<Clients, String> {
    let mut out = Vec::new();
    for part in s.split(',') {
        let p = part.trim();
        let n: usize = p
            .parse()
            .map_err(|_| format!("`{p}` is not a number of clients"))?;
        if n == 0 {
            return Err("a concurrency level must be at least 1".into());
        }
        out.push(n);
    }
    Ok(Clients(out))
}

/// utime and stime (fields 14 and 15, clock ticks) of a `/proc/<pid>/stat` line. The command
/// name (field 2) is in parentheses and may hold spaces and parentheses itself, so the fields
/// are counted after the last `)`.
pub fn parse_stat_cpu(line: &str) -> Option<(u64, u64)> {
    let rest = &line[line.rfind(')')? + 1..];
    // `rest` starts at field 3 (state).
    let f: Vec<&str> = rest.split_whitespace().collect();
    Some((f.get(11)?.parse().ok()?, f.get(12)?.parse().ok()?))
}

/// CPU time of a process so far, in ms (utime + stime).
fn proc_cpu_ms(pid: u32) -> anyhow::Result<f64> {
    let line = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .with_context(|| format!("reading /proc/{pid}/stat"))?;
    let (u, s) = parse_stat_cpu(&line).context("unreadable /proc/<pid>/stat")?;
    // SAFETY: sysconf has no preconditions.
    let tck = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    let tck = if tck > 0 { tck as f64 } else { 100.0 };
    Ok((u + s) as f64 * 1e3 / tck)
}

/// Resident memory of a process (`VmRSS` of `/proc/<pid>/status`), in bytes.
fn proc_rss_bytes(pid: u32) -> anyhow::Result<u64> {
    let st = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("reading /proc/{pid}/status"))?;
    st.lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .context("no VmRSS in /proc/<pid>/status")
}

/// Corpus files: through the lab's reader (evaluation files, news JSONL, HTML folders), and
/// what that does not take (the seed folder's `.txt`/`.xml`) through the product's own reader.
fn load_articles(paths: &[PathBuf]) -> anyhow::Result<Vec<Article>> {
    let mut out = Vec::new();
    for p in paths {
        match read_corpus(std::slice::from_ref(p), None) {
            Ok(a) => out.extend(a),
            Err(_) => {
                let b = newsdesk::ingest::paths::read_paths(
                    &[p.display().to_string()],
                    &newsdesk::ingest::IngestOptions::default(),
                );
                if b.articles.is_empty() {
                    bail!("{}: no article ({})", p.display(), b.failures.join("; "));
                }
                eprintln!("{}: {} articles", p.display(), b.articles.len());
                out.extend(b.articles);
            }
        }
    }
    Ok(out)
}

/// One phase: every latency (ms) with its status (0: no HTTP answer), CPU and memory.
#[derive(Debug, Default, Clone)]
struct Phase {
    endpoint: &'static str,
    clients: usize,
    ingest: bool,
    lat: Vec<(f64, u16)>,
    seconds: f64,
    cpu_ms: f64,
    rss: u64,
    posted: usize,
    post_errors: usize,
    post_ms: Vec<f64>,
    added: usize,
}

/// What the writer thread did: ids posted, failed posts, each post's ms, articles added.
type Posted = (Vec<String>, usize, Vec<f64>, usize);

impl Phase {
    fn ok_ms(&self) -> Vec<f64> {
        self.lat
            .iter()
            .filter(|(_, s)| *s == 200)
            .map(|(m, _)| *m)
            .collect()
    }
    fn served(&self) -> usize {
        self.lat.iter().filter(|(_, s)| *s == 200).count()
    }
    fn errors(&self) -> usize {
        self.lat.len() - self.served()
    }
    fn s503(&self) -> usize {
        self.lat.iter().filter(|(_, s)| *s == 503).count()
    }
    fn rps(&self) -> f64 {
        self.served() as f64 / self.seconds.max(1e-9)
    }
    fn cpu_per_req(&self) -> f64 {
        self.cpu_ms / self.served().max(1) as f64
    }
    fn json(&self, passages: u64) -> Value {
        let ok = self.ok_ms();
        json!({
            "endpoint": self.endpoint, "clients": self.clients, "ingest": self.ingest,
            "requests": self.lat.len(), "ok": self.served(), "errors": self.errors(),
            "errors_503": self.s503(), "seconds": self.seconds, "rps": self.rps(),
            "p50_ms": pct(&ok, 0.5), "p99_ms": pct(&ok, 0.99), "max_ms": pct(&ok, 1.0),
            "cpu_ms": self.cpu_ms, "cpu_ms_per_request": self.cpu_per_req(),
            "rss_bytes": self.rss,
            "rss_bytes_per_passage": self.rss as f64 / passages.max(1) as f64,
            "documents_stored": self.posted, "post_errors": self.post_errors,
            "documents_added": self.added, "post_p50_ms": pct(&self.post_ms, 0.5), "post_p99_ms": pct(&self.post_ms, 0.99),
        })
    }
}

/// `clients` closed-loop threads sending `body(item)` to `path` for `secs`.
fn load(
    server: &Server,
    endpoint: &'static str,
    items: &Arc<Vec<String>>,
    clients: usize,
    secs: u64,
) -> anyhow::Result<Phase> {
    let pid = server.child.id();
    let next = Arc::new(AtomicUsize::new(0));
    let url = format!("{}{endpoint}", server.base);
    let cpu0 = proc_cpu_ms(pid)?;
    let t0 = Instant::now();
    let deadline = t0 + Duration::from_secs(secs);
    let mut handles = Vec::new();
    for _ in 0..clients {
        let (items, next, url) = (items.clone(), next.clone(), url.clone());
        handles.push(std::thread::spawn(move || {
            let agent = ureq::AgentBuilder::new()
                .timeout(Duration::from_secs(120))
                .build();
            let mut lat = Vec::new();
            while Instant::now() < deadline {
                let q = &items[next.fetch_add(1, Ordering::Relaxed) % items.len()];
                let body = if endpoint == "/v1/search" {
                    json!({"query": q, "k": 10})
                } else {
                    json!({"question": q})
                };
                let t = Instant::now();
                // Read every body to the end so the connection goes back to the pool.
                let status = match agent.post(&url).send_json(body) {
                    Ok(r) => {
                        let s = r.status();
                        let _ = r.into_string();
                        s
                    }
                    Err(ureq::Error::Status(s, r)) => {
                        let _ = r.into_string();
                        s
                    }
                    Err(_) => 0,
                };
                lat.push((t.elapsed().as_secs_f64() * 1e3, status));
                if status == 0 {
                    std::thread::sleep(Duration::from_millis(10));
                }
            }
            lat
        }));
    }
    let mut phase = Phase {
        endpoint,
        clients,
        ..Phase::default()
    };
    for h in handles {
        phase.lat.extend(h.join().unwrap_or_default());
    }
    phase.seconds = t0.elapsed().as_secs_f64();
    phase.cpu_ms = proc_cpu_ms(pid)? - cpu0;
    phase.rss = proc_rss_bytes(pid)?;
    Ok(phase)
}

/// The 8-client `/v1/ask` phase while a writer posts `docs` back to back; deletes them after.
fn ingest_phase(
    server: &Server,
    questions: &Arc<Vec<String>>,
    docs: Vec<Article>,
    secs: u64,
) -> anyhow::Result<Phase> {
    let tag = format!(
        "{:x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_secs()
    );
    let stop = Arc::new(AtomicBool::new(false));
    let posted: Arc<Mutex<Posted>> = Arc::default();
    let writer = {
        let (stop, posted, base) = (stop.clone(), posted.clone(), server.base.clone());
        std::thread::spawn(move || {
            let agent = ureq::AgentBuilder::new()
                .timeout(Duration::from_secs(120))
                .build();
            let mut i = 0usize;
            while !stop.load(Ordering::SeqCst) {
                let a = &docs[i % docs.len()];
                let id = format!("bench-serve-{tag}-{i}");
                i += 1;
                let t = Instant::now();
                let r = agent
                    .post(&format!("{base}/v1/documents"))
                    .send_json(json!({
                        "id": id, "title": a.title, "body": a.body,
                        "source": a.source.clone().unwrap_or_else(|| "bench".into()),
                        "published": a.published.map(|d| d.to_rfc3339()),
                    }));
                let mut p = posted.lock().unwrap_or_else(|e| e.into_inner());
                match r {
                    Ok(r) => {
                        let added = r
                            .into_json::<Value>()
                            .ok()
                            .and_then(|v| v["added"].as_u64())
                            .unwrap_or(0);
                        p.2.push(t.elapsed().as_secs_f64() * 1e3);
                        p.3 += added as usize;
                        p.0.push(id);
                    }
                    Err(_) => {
                        p.1 += 1;
                        drop(p);
                        std::thread::sleep(Duration::from_millis(50));
                    }
                }
            }
        })
    };
    let mut phase = load(server, "/v1/ask", questions, 8, secs);
    stop.store(true, Ordering::SeqCst);
    let _ = writer.join();
    let (ids, post_errors, post_ms, added) =
        std::mem::take(&mut *posted.lock().unwrap_or_else(|e| e.into_inner()));
    eprintln!("deleting the {} posted documents", ids.len());
    let mut failed = 0usize;
    for id in &ids {
        if server
            .agent
            .delete(&format!("{}/v1/documents/{id}", server.base))
            .call()
            .is_err()
        {
            failed += 1;
        }
    }
    if failed > 0 {
        eprintln!("warning: {failed} posted documents could not be deleted");
    }
    if let Ok(p) = &mut phase {
        p.ingest = true;
        p.posted = ids.len();
        p.post_errors = post_errors;
        p.post_ms = post_ms;
        p.added = added;
    }
    phase
}

fn machine_facts() -> (usize, String, u64) {
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|v| v.trim_start_matches([' ', '\t', ':']).trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .unwrap_or(0)
        * 1024;
    (cores, cpu, mem)
}

/// Runs the benchmark; prints a table and a final JSON line.
pub fn run_bench_serve(args: &BenchServeArgs, model_dir: &Path) -> anyhow::Result<()> {
    let bin = newsdesk_bin(args.newsdesk.as_deref())?;
    let empty = !args.data.exists() || args.data.read_dir()?.next().is_none();
    let mut built = false;
    if empty {
        if args.corpus.is_empty() {
            bail!(
                "{} holds no store: pass --corpus to build it",
                args.data.display()
            );
        }
        eprintln!("building {}", args.data.display());
        ingest_corpus(
            &args.data,
            load_articles(&args.corpus)?,
            args.budget,
            model_dir,
        )?;
        built = true;
    }
    let questions = Arc::new(read_questions(&args.questions)?);
    let queries = match &args.queries {
        Some(q) => Arc::new(read_questions(q)?),
        None => questions.clone(),
    };
    let docs = match &args.ingest_docs {
        Some(f) => {
            let d = load_articles(std::slice::from_ref(f))?;
            if d.is_empty() {
                bail!("{}: no article to post", f.display());
            }
            Some(d)
        }
        None => None,
    };

    let (mut server, cold) = Server::start_timed(
        &bin,
        &args.data,
        "serve",
        Duration::from_millis(10),
        &[
            ("NEWSDESK_PASSAGE_BUDGET", args.budget.to_string()),
            ("NEWSDESK_QUERY_CACHE", args.query_cache.to_string()),
        ],
    )?;
    let ready = server.ready()?;
    let articles = ready["articles"].as_u64().unwrap_or(0);
    let passages = ready["passages"].as_u64().unwrap_or(0);
    let rss_ready = proc_rss_bytes(server.child.id())?;
    eprintln!(
        "cold start {:.0} ms; {articles} articles, {passages} passages; RSS {:.1} MiB",
        cold.as_secs_f64() * 1e3,
        rss_ready as f64 / 1048576.0
    );

    let mut phases = Vec::new();
    let run = (|| -> anyhow::Result<()> {
        for (endpoint, items) in [("/v1/ask", &questions), ("/v1/search", &queries)] {
            for &c in &args.clients.0 {
                eprintln!("{endpoint}, {c} clients, {} s", args.secs);
                phases.push(load(&server, endpoint, items, c, args.secs)?);
            }
        }
        if let Some(d) = docs {
            eprintln!("/v1/ask, 8 clients, {} s, during posts", args.secs);
            phases.push(ingest_phase(&server, &questions, d, args.secs)?);
        }
        Ok(())
    })();
    let passages_end = server.passages().unwrap_or(0);
    let stopped = server.stop();
    run?;
    let shutdown_bytes = stopped?;

    let (cores, cpu, mem) = machine_facts();
    println!();
    println!(
        "bench serve: {cores} cores ({cpu}), {:.1} GiB RAM; {} ({articles} articles, {passages} passages{}); cold start {:.0} ms to /ready, RSS {:.1} MiB when ready; {} s per phase; query cache {}",
        mem as f64 / (1u64 << 30) as f64,
        args.data.display(),
        if built { ", built now" } else { "" },
        cold.as_secs_f64() * 1e3,
        rss_ready as f64 / 1048576.0,
        args.secs,
        args.query_cache
    );
    println!(
        "{:<24} {:>8} {:>7} {:>6} {:>9} {:>8} {:>8} {:>8} {:>9} {:>11} {:>7}",
        "endpoint",
        "requests",
        "errors",
        "503s",
        "req/s",
        "p50 ms",
        "p99 ms",
        "p99/p50",
        "CPU ms/req",
        "RSS MiB",
        "stored"
    );
    for p in &phases {
        let ok = p.ok_ms();
        let (p50, p99) = (pct(&ok, 0.5), pct(&ok, 0.99));
        let name = format!(
            "{} x{}{}",
            p.endpoint,
            p.clients,
            if p.ingest { " +posts" } else { "" }
        );
        println!(
            "{:<24} {:>8} {:>7} {:>6} {:>9.1} {:>8.1} {:>8.1} {:>8.2} {:>9.1} {:>11.1} {:>7}",
            name,
            p.lat.len(),
            p.errors(),
            p.s503(),
            p.rps(),
            p50,
            p99,
            p99 / p50,
            p.cpu_per_req(),
            p.rss as f64 / 1048576.0,
            if p.ingest {
                p.posted.to_string()
            } else {
                "-".into()
            }
        );
    }
    for p in phases.iter().filter(|p| p.ingest) {
        println!(
            "during the posts: {} POST /v1/documents ({} added as new, {} failed), POST p50 {:.0} ms, p99 {:.0} ms; all deleted afterwards",
            p.posted,
            p.added,
            p.post_errors,
            pct(&p.post_ms, 0.5),
            pct(&p.post_ms, 0.99)
        );
    }
    let rss_last = phases.last().map(|p| p.rss).unwrap_or(rss_ready);
    println!(
        "RSS per stored passage: {:.0} bytes when ready, {:.0} bytes after the last phase; passages at the end {passages_end} (start {passages}); shutdown checkpoint {shutdown_bytes} bytes",
        rss_ready as f64 / passages.max(1) as f64,
        rss_last as f64 / passages.max(1) as f64,
    );
    let out = json!({
        "machine": {"cores": cores, "cpu": cpu, "mem_bytes": mem},
        "data": args.data.display().to_string(), "built": built,
        "articles": articles, "passages": passages, "passages_end": passages_end,
        "cold_start_ms": cold.as_secs_f64() * 1e3,
        "rss_ready_bytes": rss_ready,
        "rss_ready_bytes_per_passage": rss_ready as f64 / passages.max(1) as f64,
        "secs": args.secs, "questions": questions.len(), "queries": queries.len(),
        "query_cache": args.query_cache,
        "shutdown_checkpoint_bytes": shutdown_bytes,
        "phases": phases.iter().map(|p| p.json(passages)).collect::<Vec<_>>(),
    });
    println!("{out}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serve_percentile_is_nearest_rank() {
        let v: Vec<f64> = (1..=100).rev().map(f64::from).collect();
        assert_eq!(pct(&v, 0.5), 50.0);
        assert_eq!(pct(&v, 0.99), 99.0);
        assert_eq!(pct(&v, 1.0), 100.0);
        assert_eq!(pct(&v, 0.0), 1.0);
        assert_eq!(pct(&[7.0], 0.99), 7.0);
        assert_eq!(pct(&[1.0, 2.0, 3.0], 0.5), 2.0);
        assert!(pct(&[], 0.5).is_nan());
    }

    #[test]
    fn serve_stat_cpu_is_read_after_the_last_paren() {
        let line = "4242 (newsdesk) S 1 4242 4242 0 -1 4194560 9000 0 3 0 1234 567 0 0 20 0 9 0 100 2000000 5000 18446744073709551615";
        assert_eq!(parse_stat_cpu(line), Some((1234, 567)));
        // A command name with spaces and parentheses does not shift the fields.
        let odd =
            "77 (tokio (rt) w 1) R 1 77 77 0 -1 4194560 10 0 0 0 42 8 0 0 20 0 4 0 5 100 50 0";
        assert_eq!(parse_stat_cpu(odd), Some((42, 8)));
        assert_eq!(parse_stat_cpu("12 (x) S 1 2"), None);
        assert_eq!(parse_stat_cpu("no paren at all"), None);
    }

    #[test]
    fn serve_clients_list_parses() {
        assert_eq!(parse_clients("1,8,64"), Ok(Clients(vec![1, 8, 64])));
        assert_eq!(parse_clients(" 2 , 4"), Ok(Clients(vec![2, 4])));
        assert_eq!(parse_clients("16"), Ok(Clients(vec![16])));
        assert!(parse_clients("").is_err());
        assert!(parse_clients("1,,8").is_err());
        assert!(parse_clients("0").is_err());
        assert!(parse_clients("one").is_err());
    }
}

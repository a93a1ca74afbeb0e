//! `newsdesk ingest`: files, directories and globs → parse → chunk → embed → store → index,
//! with a progress bar and a final summary. A file that cannot be parsed is reported and
//! skipped; the exit status is non-zero when any file failed. An argument starting with
//! `http://` or `https://` is fetched once with the feed client (its limits and address checks,
//! see `newsdesk::feeds`) and not subscribed to.

use std::io::Read;
use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressStyle};

use super::IngestArgs;
use crate::engine::{Engine, EngineConfig, IngestReport};
use crate::ingest::{self, Article, IngestOptions};

/// The result of ingesting a set of paths.
#[derive(Debug, Default)]
pub struct PathsOutcome {
    /// What the engine did.
    pub report: IngestReport,
    /// `file: reason` for every file that could not be read or parsed.
    pub failures: Vec<String>,
}

/// Expands files, directories (recursively, sorted, article files only) and globs; `-` stays
/// as is (stdin).
pub fn expand_paths(inputs: &[String]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for input in inputs {
        if input == "-" {
            out.push(PathBuf::from("-"));
            continue;
        }
        let p = Path::new(input);
        if p.is_dir() {
            walk(p, &mut out);
        } else if p.exists() {
            out.push(p.to_path_buf());
        } else if input.contains(['*', '?', '[']) {
            let matches = glob::glob(input).map_err(|e| format!("{input}: bad glob: {e}"))?;
            let before = out.len();
            for m in matches.flatten() {
                if m.is_dir() {
                    walk(&m, &mut out);
                } else {
                    out.push(m);
                }
            }
            if out.len() == before {
                return Err(format!("{input}: no file matches"));
            }
        } else {
            return Err(format!("{input}: no such file or directory"));
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd.flatten().map(|e| e.path()).collect(),
        Err(_) => return,
    };
    entries.sort();
    for p in entries {
        let hidden = p
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        if p.is_dir() {
            walk(&p, out);
        } else if is_article_file(&p) {
            out.push(p);
        }
    }
}

/// Inside a directory, only files that may hold articles are read (no README.md, images…);
/// a file named explicitly is always read.
fn is_article_file(p: &Path) -> bool {
    match p.extension().and_then(|e| e.to_str()) {
        None => true,
        Some(e) => matches!(
            e.to_ascii_lowercase().as_str(),
            "xml" | "rss" | "atom" | "rdf" | "feed" | "json" | "jsonl" | "ndjson" | "txt"
        ),
    }
}

/// Reads one input (a path or `-`).
pub fn read_input(path: &Path) -> std::io::Result<Vec<u8>> {
    if path == Path::new("-") {
        let mut buf = Vec::new();
        std::io::stdin().read_to_end(&mut buf)?;
        Ok(buf)
    } else {
        std::fs::read(path)
    }
}

/// Parses every file, then ingests all articles in one engine call.
pub fn ingest_paths(
    engine: &Engine,
    inputs: &[String],
    opts: &IngestOptions,
    progress: bool,
) -> anyhow::Result<PathsOutcome> {
    let files = expand_paths(inputs).map_err(|e| anyhow::anyhow!(e))?;
    let mut outcome = PathsOutcome::default();
    let mut articles: Vec<Article> = Vec::new();
    for f in &files {
        let bytes = match read_input(f) {
            Ok(b) => b,
            Err(e) => {
                outcome.failures.push(format!("{}: {e}", f.display()));
                continue;
            }
        };
        let mut o = opts.clone();
        o.source_hint = f.file_name().map(|n| n.to_string_lossy().into_owned());
        match ingest::parse_bytes(&bytes, None, &o) {
            Ok(a) => articles.extend(a),
            Err(e) => outcome.failures.push(format!("{}: {e}", f.display())),
        }
    }
    let bar = if progress {
        let bar = ProgressBar::new(articles.len() as u64);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} ingest [{bar:30}] {pos}/{len} articles {per_sec} eta {eta}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    outcome.report = engine.ingest(articles, &mut |n| bar.inc(n as u64))?;
    bar.finish_and_clear();
    Ok(outcome)
}

/// True for an argument that names a URL to fetch rather than a path.
pub fn is_url(arg: &str) -> bool {
    let a = arg.trim_start().to_ascii_lowercase();
    a.starts_with("http://") || a.starts_with("https://")
}

/// Runs `newsdesk ingest`.
pub fn run(data: &Path, model: &Path, args: IngestArgs) -> anyhow::Result<i32> {
    let tz = super::parse_offset(&args.tz)?;
    let mut cfg = EngineConfig::new(data);
    cfg.model_dir = model.to_path_buf();
    let engine = Engine::open(cfg)?;
    let opts = IngestOptions {
        default_tz: tz,
        ..IngestOptions::default()
    };
    let (urls, paths): (Vec<String>, Vec<String>) =
        args.paths.iter().cloned().partition(|p| is_url(p));
    let mut out = if paths.is_empty() {
        PathsOutcome::default()
    } else {
        ingest_paths(&engine, &paths, &opts, !args.quiet)?
    };
    if !urls.is_empty() {
        let settings = args.feeds.validate()?;
        let fetcher = crate::feeds::Fetcher::new(settings.fetch).map_err(anyhow::Error::msg)?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let mut articles = Vec::new();
        for u in &urls {
            match rt.block_on(crate::feeds::fetch_articles(&fetcher, u)) {
                Ok(a) => articles.extend(a),
                Err(e) => out.failures.push(format!("{u}: {e}")),
            }
        }
        let report = engine.ingest(articles, &mut |_| {})?;
        out.report.merge(&report);
    }
    for f in &out.failures {
        eprintln!("newsdesk: {f}");
    }
    let r = &out.report;
    let rate = if r.seconds > 0.0 {
        r.tokens as f64 / r.seconds
    } else {
        0.0
    };
    println!(
        "added {} · updated {} · unchanged {} · failed {} files · {} passages · {} sentences · \
         {} tokens · {:.1} s · {:.0} tokens/s",
        r.added,
        r.updated,
        r.unchanged,
        out.failures.len(),
        r.passages,
        r.sentences,
        r.tokens,
        r.seconds,
        rate
    );
    Ok(if out.failures.is_empty() { 0 } else { 1 })
}

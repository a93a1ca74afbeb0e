//! `newsdesk ingest`: files, directories and globs → parse → chunk → embed → store → index,
//! with a progress bar and a final summary. A file that cannot be parsed is reported and
//! skipped; the exit status is non-zero when any file failed. An argument starting with
//! `http://` or `https://` is fetched once with the feed client (its limits and address checks,
//! see `newsdesk::feeds`) and not subscribed to.

use indicatif::{ProgressBar, ProgressStyle};

use super::IngestArgs;
use crate::engine::{Engine, EngineConfig, PathsOutcome, PathsProgress};
use crate::ingest::IngestOptions;

/// Ingests paths with a progress bar on stderr when `progress` is set.
pub fn ingest_paths(
    engine: &Engine,
    inputs: &[String],
    opts: &IngestOptions,
    progress: bool,
) -> anyhow::Result<PathsOutcome> {
    let bar = if progress {
        let bar = ProgressBar::new(0);
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
    let out = engine.ingest_paths(inputs, opts, &mut |p| match p {
        PathsProgress::Parsed { articles } => bar.set_length(articles as u64),
        PathsProgress::Stored(n) => bar.inc(n as u64),
    })?;
    bar.finish_and_clear();
    Ok(out)
}

/// True for an argument that names a URL to fetch rather than a path.
pub fn is_url(arg: &str) -> bool {
    let a = arg.trim_start().to_ascii_lowercase();
    a.starts_with("http://") || a.starts_with("https://")
}

/// Runs `newsdesk ingest`.
pub fn run(base: &EngineConfig, args: IngestArgs) -> anyhow::Result<i32> {
    let tz = super::parse_offset(&args.tz)?;
    let engine = Engine::open(base.clone())?;
    let opts = IngestOptions {
        default_tz: tz,
        // Local files are the operator's own: any number of items (a URL fetch is bounded by
        // its body size).
        max_items: usize::MAX,
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
    for f in &out.skipped {
        eprintln!("newsdesk: skipped {f}");
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

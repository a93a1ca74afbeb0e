//! Command-line face: clap derive with `NEWSDESK_*` env on every flag, validated once into
//! settings, then one function per subcommand. `main.rs` only calls [`main_with`].

pub mod feeds;
pub mod query;
pub mod serve;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::answer::RankingParams;
use crate::embed::Isa;
use crate::engine::EngineConfig;

/// newsdesk — news articles in, cited answers out.
#[derive(Debug, Parser)]
#[command(name = "newsdesk", version, about, long_about = None)]
pub struct Cli {
    /// Data directory (store and indexes).
    #[arg(
        long,
        global = true,
        env = "NEWSDESK_DATA",
        default_value = "./newsdesk-data"
    )]
    pub data: PathBuf,
    /// Model directory (all-MiniLM-L6-v2 with its MANIFEST); defaults to the bundled model.
    #[arg(long, global = true, env = "NEWSDESK_MODEL")]
    pub model: Option<PathBuf>,
    /// Log filter (tracing EnvFilter syntax), e.g. `info`, `newsdesk=debug`.
    #[arg(
        long,
        global = true,
        env = "NEWSDESK_LOG",
        default_value = "info,hnsw_rs=warn,tantivy=warn"
    )]
    pub log: String,
    /// Ranking parameters file (TOML or JSON; see README "Ranking"); defaults are built in.
    #[arg(long, global = true, env = "NEWSDESK_RANKING", value_name = "FILE")]
    pub ranking: Option<PathBuf>,
    /// Threads per embedding pool (bulk and queries); default: every core.
    #[arg(long, global = true, env = "NEWSDESK_EMBED_THREADS")]
    pub embed_threads: Option<usize>,
    /// Recent query vectors kept so a question asked again costs no model work (0: off).
    #[arg(long, global = true, env = "NEWSDESK_QUERY_CACHE", default_value_t = crate::embed::DEFAULT_QUERY_CACHE)]
    pub query_cache: usize,
    /// Articles whose stems are kept across requests, so answering does not stem the same
    /// articles again (0: stem on every read).
    #[arg(long, global = true, env = "NEWSDESK_TERMS_CACHE", default_value_t = crate::answer::lexical::DEFAULT_TERMS_CACHE)]
    pub terms_cache: usize,
    /// Force a lower instruction set for the encoder (comparisons); default: the best the CPU has.
    #[arg(long, global = true, env = "NEWSDESK_EMBED_ISA", value_enum)]
    pub embed_isa: Option<IsaArg>,
    /// Where the model's verified hash is cached; default `$XDG_CACHE_HOME/newsdesk`, else
    /// `~/.cache/newsdesk`.
    #[arg(long, global = true, env = "NEWSDESK_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

/// `--embed-isa` values.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum IsaArg {
    /// AVX-512 kernels.
    Avx512,
    /// AVX2 + FMA kernels.
    Avx2,
    /// Portable Rust (no SIMD intrinsics).
    Portable,
}

impl Cli {
    /// The engine configuration every command starts from: data dir, model, embedding
    /// options, ranking parameters.
    pub fn engine_config(&self) -> anyhow::Result<EngineConfig> {
        let mut cfg = EngineConfig::new(&self.data);
        cfg.model_dir = self
            .model
            .clone()
            .unwrap_or_else(crate::embed::default_model_dir);
        cfg.embed.threads = self.embed_threads.filter(|&n| n > 0);
        cfg.query_cache = self.query_cache;
        cfg.terms_cache = self.terms_cache;
        cfg.embed.isa = self.embed_isa.map(|i| match i {
            IsaArg::Avx512 => Isa::Avx512,
            IsaArg::Avx2 => Isa::Avx2,
            IsaArg::Portable => Isa::Portable,
        });
        cfg.embed.verify.cache_dir = Some(self.cache_dir.clone().unwrap_or_else(user_cache_dir));
        if let Some(f) = &self.ranking {
            cfg.ranking = RankingParams::from_file(f)?;
        }
        Ok(cfg)
    }
}

/// `$XDG_CACHE_HOME/newsdesk`, else `~/.cache/newsdesk`, else the system temp dir.
fn user_cache_dir() -> PathBuf {
    let non_empty = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    if let Some(d) = non_empty("XDG_CACHE_HOME") {
        return PathBuf::from(d).join("newsdesk");
    }
    if let Some(h) = non_empty("HOME") {
        return PathBuf::from(h).join(".cache").join("newsdesk");
    }
    crate::embed::manifest::default_cache_dir()
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the HTTP service (ingests the demo corpus on first start).
    Serve(serve::ServeArgs),
    /// Ingest files, directories, globs (`-` for stdin) or http(s) URLs into the data dir.
    Ingest(IngestArgs),
    /// Follow live feeds: add, list, remove, import OPML, refresh.
    Feeds(feeds::FeedsArgs),
    /// Parse articles and print one JSON object per article (no store involved).
    Parse(ParseArgs),
    /// Embed texts from stdin, one JSON array of 384 floats per line.
    Embed(EmbedArgs),
    /// Answer a question with cited sentences.
    Ask(query::AskArgs),
    /// Search passages.
    Search(query::SearchArgs),
    /// Write a briefing note on a topic.
    Brief(query::BriefArgs),
    /// List the stories the corpus follows, or show one.
    Stories(query::StoriesArgs),
    /// Summarise a stored article (by id) or a text file.
    Summarize(query::SummarizeArgs),
}

/// `newsdesk ingest`.
#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Files, directories (recursively), globs, `-` for stdin, or http(s) URLs fetched once.
    #[arg(required = true)]
    pub paths: Vec<String>,
    /// Default time zone for dates without one, as an offset like +05:30.
    #[arg(long, env = "NEWSDESK_DEFAULT_TZ", default_value = "+05:30")]
    pub tz: String,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
    /// How URLs are fetched.
    #[command(flatten)]
    pub feeds: feeds::FeedFlags,
}

/// `newsdesk parse`.
#[derive(Debug, Args)]
pub struct ParseArgs {
    /// Files, directories, globs, or `-` for stdin.
    #[arg(required = true)]
    pub paths: Vec<String>,
    /// Include sentence spans.
    #[arg(long)]
    pub sentences: bool,
    /// Include passage spans with word-piece counts.
    #[arg(long)]
    pub passages: bool,
}

/// `newsdesk embed`.
#[derive(Debug, Args)]
pub struct EmbedArgs {
    /// Read one JSON string per line instead of raw lines.
    #[arg(long)]
    pub jsonl: bool,
}

pub mod embed;
pub mod ingest;
pub mod parse;

/// Parses the command line and runs it; returns the process exit code.
pub fn main_with(cli: Cli) -> anyhow::Result<i32> {
    init_logging(&cli.log);
    let base = cli.engine_config()?;
    match cli.command {
        Command::Serve(args) => serve::run(&base, args),
        Command::Ingest(args) => ingest::run(&base, args),
        Command::Feeds(args) => feeds::run(&base, args),
        Command::Parse(args) => {
            parse::run_parse(&args.paths, args.sentences, args.passages, &base.model_dir)
        }
        Command::Embed(args) => embed::run_embed(args.jsonl, &base).map(|_| 0),
        Command::Ask(args) => query::ask(&base, args),
        Command::Search(args) => query::search(&base, args),
        Command::Brief(args) => query::brief(&base, args),
        Command::Stories(args) => query::stories(&base, args),
        Command::Summarize(args) => query::summarize(&base, args),
    }
}

fn init_logging(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Parses an offset like `+05:30`, `-0400` or `Z`.
pub fn parse_offset(s: &str) -> anyhow::Result<chrono::FixedOffset> {
    let t = s.trim();
    if t.eq_ignore_ascii_case("z") || t.eq_ignore_ascii_case("utc") {
        return Ok(chrono::FixedOffset::east_opt(0).expect("zero"));
    }
    let (sign, rest) = match t.as_bytes().first() {
        Some(b'+') => (1, &t[1..]),
        Some(b'-') => (-1, &t[1..]),
        _ => anyhow::bail!("time zone {s:?}: use an offset like +05:30"),
    };
    let digits: String = rest.chars().filter(|c| c.is_ascii_digit()).collect();
    if digits.len() != 4 && digits.len() != 2 {
        anyhow::bail!("time zone {s:?}: use an offset like +05:30");
    }
    let h: i32 = digits[..2].parse()?;
    let m: i32 = if digits.len() == 4 {
        digits[2..].parse()?
    } else {
        0
    };
    if h > 14 || m > 59 {
        anyhow::bail!("time zone {s:?} is out of range");
    }
    chrono::FixedOffset::east_opt(sign * (h * 3600 + m * 60))
        .ok_or_else(|| anyhow::anyhow!("time zone {s:?} is out of range"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_parse() {
        assert_eq!(parse_offset("+05:30").unwrap().local_minus_utc(), 19800);
        assert_eq!(parse_offset("-0400").unwrap().local_minus_utc(), -14400);
        assert_eq!(parse_offset("Z").unwrap().local_minus_utc(), 0);
        assert!(parse_offset("IST").is_err());
        assert!(parse_offset("+25:00").is_err());
    }

    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}

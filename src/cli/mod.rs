//! Command-line face: clap derive with `NEWSDESK_*` env on every flag, validated once into
//! settings, then one function per subcommand. `main.rs` only calls [`main_with`].

pub mod feeds;
pub mod query;
pub mod serve;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

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
    #[command(subcommand)]
    pub command: Command,
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
    let model_dir = cli
        .model
        .clone()
        .unwrap_or_else(crate::embed::default_model_dir);
    match cli.command {
        Command::Serve(args) => serve::run(&cli.data, &model_dir, args),
        Command::Ingest(args) => ingest::run(&cli.data, &model_dir, args),
        Command::Feeds(args) => feeds::run(&cli.data, &model_dir, args),
        Command::Parse(args) => {
            parse::run_parse(&args.paths, args.sentences, args.passages, &model_dir)
        }
        Command::Embed(args) => embed::run_embed(args.jsonl, &model_dir).map(|_| 0),
        Command::Ask(args) => query::ask(&cli.data, &model_dir, args),
        Command::Search(args) => query::search(&cli.data, &model_dir, args),
        Command::Brief(args) => query::brief(&cli.data, &model_dir, args),
        Command::Summarize(args) => query::summarize(&cli.data, &model_dir, args),
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

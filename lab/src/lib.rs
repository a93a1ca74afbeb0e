//! The evaluation and benchmark lab of newsdesk.
//!
//! * [`eval`]: quality on public sets (sentence boundaries, SciFact, SQuAD, BBC): each command
//!   builds (or reuses) a data dir through the product's own ingest, asks through the product's
//!   own answer API, and prints a table then one JSON line.
//! * [`bench`]: speed (the encoder, the vector index, the write path).
//!
//! The data sets are read by path (`../shared/data/...`), never copied into the repository.

pub mod bench;
pub mod eval;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// newsdesk-lab — measure newsdesk's quality and speed.
#[derive(Debug, Parser)]
#[command(name = "newsdesk-lab", version, about, long_about = None)]
pub struct Cli {
    /// Model directory (all-MiniLM-L6-v2 with its MANIFEST); defaults to the bundled model.
    #[arg(long, global = true)]
    pub model: Option<PathBuf>,
    /// Log filter (tracing EnvFilter syntax).
    #[arg(long, global = true, default_value = "warn")]
    pub log: String,
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Measure quality on a public evaluation set.
    #[command(subcommand)]
    Eval(EvalCommand),
    /// Measure speed.
    #[command(subcommand)]
    Bench(BenchCommand),
}

/// `newsdesk-lab eval …`.
#[derive(Debug, Subcommand)]
pub enum EvalCommand {
    /// Sentence boundaries against gold sentences (JSONL with body + sentences).
    Sentences {
        /// The gold file, e.g. ../shared/data/sentences/gum-wikinews-sentences.jsonl.
        file: PathBuf,
        /// List every missed and spurious boundary.
        #[arg(long)]
        verbose: bool,
    },
    /// BEIR SciFact (train queries): nDCG@10, recall@100, MRR@10 for dense, BM25 and hybrid.
    Scifact(EvalArgs),
    /// SQuAD v1.1: paragraph hit@1/@5 and answer-sentence hit@1 vs BM25 and exact dense.
    Squad(EvalArgs),
    /// BBC News Summary: ROUGE-1/2/L of summarize vs Lead-N and TextRank.
    Bbc(EvalArgs),
    /// Analyst questions over news: answer-sentence hit@1/@3, declines and calibration vs
    /// BM25 and exact dense over sentences.
    Newsqa {
        /// The question file, e.g. ../shared/data/newsqa/newsqa-dev.jsonl.
        #[command(flatten)]
        args: EvalArgs,
        /// Files or folders to ingest as the corpus (news JSONL, the seed folder).
        #[arg(long, num_args = 1.., required = true)]
        corpus: Vec<PathBuf>,
        /// Print every question with newsdesk's first sentence.
        #[arg(long)]
        verbose: bool,
    },
    /// Briefing notes on BBC News Summary: summary-worthy bullets, topic recall, repeats and
    /// spread, newsdesk's brief vs top sentences by cosine.
    Brief {
        /// The BBC News Summary file, e.g. ../shared/data/bbc-summary/bbc-summary-dev.jsonl.
        #[command(flatten)]
        args: EvalArgs,
        /// Every Nth article's headline is a topic.
        #[arg(long, default_value_t = 13)]
        every: usize,
        /// Word budget of each note.
        #[arg(long, default_value_t = 200)]
        max_words: usize,
    },
    /// Story clusters: headlines replayed in time order through the product's online story
    /// assignment; B-cubed, ARI, NMI vs singletons and offline average linkage.
    Stories {
        /// The labelled headlines, e.g. ../shared/data/stories/stories-dev.jsonl.
        file: PathBuf,
        /// Also print the online scores over a grid of settings.
        #[arg(long)]
        sweep: bool,
    },
    /// Reprint detection: precision/recall of near-duplicate pairs built from real text, with
    /// the threshold curve.
    Duplicates {
        /// News JSONL files (`id`, `title`, the text in `body` or `article`), e.g.
        /// ../shared/data/news/pib-2026-08.jsonl.
        #[arg(num_args = 1.., required = true)]
        files: Vec<PathBuf>,
        /// Print the hardest positives, the closest negatives and the overlaps in the data.
        #[arg(long)]
        verbose: bool,
    },
}

/// Arguments shared by the evaluation sets.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// The data set (a folder for SciFact, a file otherwise).
    pub path: PathBuf,
    /// Build or reuse the evaluation index in this data dir instead of a temp dir.
    #[arg(long = "index-dir")]
    pub index_dir: Option<PathBuf>,
    /// Only the first N queries / questions / articles (quick runs).
    #[arg(long)]
    pub limit: Option<usize>,
    /// Ranking parameters (defaults: the product's).
    #[command(flatten)]
    pub ranking: eval::common::RankingArgs,
}

/// `newsdesk-lab bench …`.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Embedding throughput and query latency on a fixed workload.
    Embed(bench::embed::BenchEmbedArgs),
    /// HNSW recall@10 against exact search, latency, bytes per passage.
    Index(bench::index::BenchIndexArgs),
    /// One-document POST/DELETE latency and bytes written, small vs large data dir; /v1/ask
    /// latency during a feed stream.
    Write(bench::write::BenchWriteArgs),
    /// The read path on a real server: cold start, /v1/ask and /v1/search latency,
    /// throughput, CPU per request and memory at several concurrency levels.
    Serve(bench::serve::BenchServeArgs),
}

/// Runs a parsed command line; returns the exit code.
pub fn run(cli: Cli) -> anyhow::Result<i32> {
    let filter = tracing_subscriber::EnvFilter::try_new(&cli.log)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
    let model_dir = cli
        .model
        .clone()
        .unwrap_or_else(newsdesk::embed::default_model_dir);
    match cli.command {
        Command::Eval(EvalCommand::Sentences { file, verbose }) => {
            eval::sentences::run_eval_sentences(&file, verbose)?
        }
        Command::Eval(EvalCommand::Scifact(a)) => eval::scifact::run_eval_scifact(
            &a.path,
            a.index_dir.as_deref(),
            a.limit,
            &model_dir,
            &a.ranking,
        )?,
        Command::Eval(EvalCommand::Squad(a)) => eval::squad::run_eval_squad(
            &a.path,
            a.index_dir.as_deref(),
            a.limit,
            &model_dir,
            &a.ranking,
        )?,
        Command::Eval(EvalCommand::Bbc(a)) => eval::bbc::run_eval_bbc(
            &a.path,
            a.index_dir.as_deref(),
            a.limit,
            &model_dir,
            &a.ranking,
        )?,
        Command::Eval(EvalCommand::Newsqa {
            args,
            corpus,
            verbose,
        }) => eval::newsqa::run_eval_newsqa(
            &args.path,
            &corpus,
            args.index_dir.as_deref(),
            args.limit,
            &model_dir,
            &args.ranking,
            verbose,
        )?,
        Command::Eval(EvalCommand::Brief {
            args,
            every,
            max_words,
        }) => eval::brief::run_eval_brief(
            &args.path,
            args.index_dir.as_deref(),
            args.limit,
            every,
            max_words,
            &model_dir,
            &args.ranking,
        )?,
        Command::Eval(EvalCommand::Stories { file, sweep }) => {
            eval::stories::run_eval_stories(&file, &model_dir, sweep)?
        }
        Command::Eval(EvalCommand::Duplicates { files, verbose }) => {
            eval::duplicates::run_eval_duplicates(&files, verbose)?
        }
        Command::Bench(BenchCommand::Embed(args)) => {
            bench::embed::run_bench_embed(&args.workload, &model_dir, &args.opts)?
        }
        Command::Bench(BenchCommand::Index(args)) => {
            bench::index::run_bench_index(&args, &model_dir)?
        }
        Command::Bench(BenchCommand::Write(args)) => {
            bench::write::run_bench_write(&args, &model_dir)?
        }
        Command::Bench(BenchCommand::Serve(args)) => {
            bench::serve::run_bench_serve(&args, &model_dir)?
        }
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}

//! `newsdesk serve`: bind first (so `/health` answers at once), then load the model and the
//! index in the background, ingest the demo corpus on a first start, and turn `/ready` green.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;

use crate::engine::{Engine, EngineConfig};
use crate::feeds::{FeedSettings, Feeds};
use crate::http::server::{ServerLimits, MIN_HEADER_BYTES};
use crate::http::{app, AppState, HttpSettings};

/// `newsdesk serve` flags.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "NEWSDESK_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: String,
    /// Do not ingest the demo corpus into an empty data dir.
    #[arg(long, env = "NEWSDESK_NO_DEMO")]
    pub no_demo: bool,
    /// Demo corpus directory (defaults to the bundled fixtures/).
    #[arg(long, env = "NEWSDESK_DEMO_DIR")]
    pub demo_dir: Option<PathBuf>,
    /// Bearer key required for writes (POST/DELETE /v1/documents).
    #[arg(long, env = "NEWSDESK_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    /// Bearer key required for reads (the write key also works).
    #[arg(long, env = "NEWSDESK_READ_KEY", hide_env_values = true)]
    pub read_key: Option<String>,
    /// Largest request body accepted, in bytes.
    #[arg(long, env = "NEWSDESK_MAX_BODY_BYTES", default_value_t = 10 * 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Requests running longer get 503.
    #[arg(long, env = "NEWSDESK_REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    pub request_timeout_secs: u64,
    /// Requests doing model/index work at once; more get 503 + Retry-After.
    #[arg(long, env = "NEWSDESK_MAX_IN_FLIGHT", default_value_t = 32)]
    pub max_in_flight: usize,
    /// Document writes at once (posts and deletes, running or waiting for the write lock);
    /// more get 503 + Retry-After. Counted apart from reads.
    #[arg(long, env = "NEWSDESK_MAX_IN_FLIGHT_WRITES", default_value_t = 4)]
    pub max_in_flight_writes: usize,
    /// Word-piece budget of a passage (a data dir keeps the value it was built with).
    #[arg(long, env = "NEWSDESK_PASSAGE_BUDGET", default_value_t = 128)]
    pub passage_budget: usize,
    /// Origin allowed to call the API from a browser page on another origin (CORS); repeat
    /// or comma-separate for several. None by default.
    #[arg(
        long = "cors-origin",
        env = "NEWSDESK_CORS_ORIGIN",
        value_delimiter = ','
    )]
    pub cors_origin: Vec<String>,
    /// Checkpoint the vector index after this many new passages…
    #[arg(long, env = "NEWSDESK_CHECKPOINT_PASSAGES", default_value_t = 2_000)]
    pub checkpoint_passages: usize,
    /// … or this many seconds after a write, whichever comes first (and at shutdown).
    #[arg(long, env = "NEWSDESK_CHECKPOINT_SECS", default_value_t = 60)]
    pub checkpoint_secs: u64,
    /// At shutdown, seconds running feed fetches may take to finish.
    #[arg(long, env = "NEWSDESK_SHUTDOWN_GRACE_SECS", default_value_t = 20)]
    pub shutdown_grace_secs: u64,
    /// Seconds a client has to send a request's headers (also the idle keep-alive timeout).
    #[arg(long, env = "NEWSDESK_HEADER_READ_TIMEOUT_SECS", default_value_t = 10)]
    pub header_read_timeout_secs: u64,
    /// Largest request header block in bytes (431 above); at least 8192.
    #[arg(long, env = "NEWSDESK_MAX_HEADER_BYTES", default_value_t = 65_536)]
    pub max_header_bytes: usize,
    /// Open connections at most; more wait in the listen backlog.
    #[arg(long, env = "NEWSDESK_MAX_CONNECTIONS", default_value_t = 1_024)]
    pub max_connections: usize,
    /// Serve writes without a write key on a non-loopback address (refused otherwise).
    #[arg(long, env = "NEWSDESK_INSECURE_OPEN_WRITES")]
    pub insecure_open_writes: bool,
    /// Feed client and scheduler.
    #[command(flatten)]
    pub feeds: super::feeds::FeedFlags,
}

/// Validated serve settings.
#[derive(Debug, Clone)]
pub struct ServeSettings {
    /// Where to listen.
    pub addr: SocketAddr,
    /// HTTP limits and keys.
    pub http: HttpSettings,
    /// Engine paths and parameters.
    pub engine: EngineConfig,
    /// Demo corpus to load into an empty data dir, if any.
    pub demo: Option<PathBuf>,
    /// Feed client and scheduler limits.
    pub feeds: FeedSettings,
    /// At shutdown, how long running feed fetches may take to finish.
    pub shutdown_grace: Duration,
    /// Connection limits.
    pub server: ServerLimits,
}

impl ServeArgs {
    /// Checks every flag once.
    pub fn validate(self, base: &EngineConfig) -> anyhow::Result<ServeSettings> {
        let addr: SocketAddr = self
            .addr
            .parse()
            .with_context(|| format!("--addr {:?} is not host:port", self.addr))?;
        anyhow::ensure!(
            self.max_body_bytes >= 1024,
            "--max-body-bytes must be at least 1024"
        );
        anyhow::ensure!(
            self.request_timeout_secs >= 1,
            "--request-timeout-secs must be ≥ 1"
        );
        anyhow::ensure!(self.max_in_flight >= 1, "--max-in-flight must be ≥ 1");
        anyhow::ensure!(
            self.max_in_flight_writes >= 1,
            "--max-in-flight-writes must be ≥ 1"
        );
        anyhow::ensure!(
            (16..=256).contains(&self.passage_budget),
            "--passage-budget must be between 16 and 256 word pieces"
        );
        anyhow::ensure!(
            self.header_read_timeout_secs >= 1,
            "--header-read-timeout-secs must be ≥ 1"
        );
        anyhow::ensure!(
            self.max_header_bytes >= MIN_HEADER_BYTES,
            "--max-header-bytes must be at least {MIN_HEADER_BYTES}"
        );
        anyhow::ensure!(self.max_connections >= 1, "--max-connections must be ≥ 1");
        let feeds = self.feeds.validate()?;
        let nonempty = |k: Option<String>| k.filter(|s| !s.trim().is_empty());
        let api_key = nonempty(self.api_key);
        if api_key.is_none() {
            anyhow::ensure!(
                addr.ip().is_loopback() || self.insecure_open_writes,
                "--addr {addr} is reachable from other machines and no write key is set: anyone \
                 could add or delete documents and feeds. Set --api-key (NEWSDESK_API_KEY), or \
                 pass --insecure-open-writes to serve open writes anyway"
            );
            tracing::warn!(
                "no write key is set (--api-key / NEWSDESK_API_KEY): anyone who can reach {addr} \
                 can add and delete documents and feeds"
            );
        }
        for o in &self.cors_origin {
            anyhow::ensure!(
                o.starts_with("http://") || o.starts_with("https://"),
                "--cors-origin {o:?}: give an origin like https://desk.example.org"
            );
        }
        anyhow::ensure!(
            self.checkpoint_passages >= 1 && self.checkpoint_secs >= 1,
            "--checkpoint-passages and --checkpoint-secs must be at least 1"
        );
        let mut engine = base.clone();
        engine.passage_budget = self.passage_budget;
        engine.checkpoint_passages = self.checkpoint_passages;
        engine.checkpoint_interval = Duration::from_secs(self.checkpoint_secs);
        Ok(ServeSettings {
            addr,
            http: HttpSettings {
                api_key,
                read_key: nonempty(self.read_key),
                max_body_bytes: self.max_body_bytes,
                request_timeout: Duration::from_secs(self.request_timeout_secs),
                max_in_flight: self.max_in_flight,
                max_in_flight_writes: self.max_in_flight_writes,
                cors_origins: self.cors_origin,
            },
            engine,
            demo: if self.no_demo {
                None
            } else {
                Some(self.demo_dir.unwrap_or_else(default_demo_dir))
            },
            feeds,
            shutdown_grace: Duration::from_secs(self.shutdown_grace_secs),
            server: ServerLimits {
                header_read_timeout: Duration::from_secs(self.header_read_timeout_secs),
                max_header_bytes: self.max_header_bytes,
                max_connections: self.max_connections,
            },
        })
    }
}

/// The bundled demo corpus: `<crate>/fixtures` when present, else `./fixtures`.
pub fn default_demo_dir() -> PathBuf {
    let bundled = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    if bundled.is_dir() {
        bundled
    } else {
        PathBuf::from("fixtures")
    }
}

/// The files of the demo corpus: the two seed articles and the Wikinews JSONL files.
pub fn demo_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for (sub, exts) in [("seeds", &["txt", "xml"][..]), ("demo", &["jsonl"][..])] {
        if let Ok(rd) = std::fs::read_dir(dir.join(sub)) {
            for e in rd.flatten() {
                let p = e.path();
                if p.extension()
                    .and_then(|x| x.to_str())
                    .is_some_and(|x| exts.contains(&x))
                {
                    files.push(p);
                }
            }
        }
    }
    files.sort();
    files
}

/// Runs the server until Ctrl-C or SIGTERM.
pub fn run(base: &EngineConfig, args: ServeArgs) -> anyhow::Result<i32> {
    let settings = args.validate(base)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(serve(settings))?;
    Ok(0)
}

/// Binds the configured address and serves.
pub async fn serve(settings: ServeSettings) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(settings.addr)
        .await
        .with_context(|| format!("cannot listen on {}", settings.addr))?;
    serve_listener(listener, settings).await
}

/// Serves on a bound listener (tests bind port 0): `/health` answers at once, the engine loads
/// in the background and `/ready` turns 200 when it and the demo corpus are in.
pub async fn serve_listener(
    listener: tokio::net::TcpListener,
    settings: ServeSettings,
) -> anyhow::Result<()> {
    let state = AppState::new(settings.http.clone());
    tracing::info!(
        "newsdesk listening on http://{} (data dir {})",
        listener.local_addr()?,
        settings.engine.data_dir.display()
    );
    let loader = state.clone();
    let engine_cfg = settings.engine.clone();
    let demo = settings.demo.clone();
    let feeds = settings.feeds.clone();
    tokio::task::spawn_blocking(move || {
        if let Err(e) = load(engine_cfg, demo.as_deref(), feeds, &loader) {
            tracing::error!("could not load the engine: {e:#}");
            std::process::exit(1);
        }
    });
    // First SIGTERM/SIGINT: stop accepting and let in-flight requests finish; a second one
    // exits at once.
    let (first_tx, first_rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("shutting down: no new connections; finishing requests in flight");
        let _ = first_tx.send(());
        shutdown_signal().await;
        tracing::warn!("second signal: exiting at once");
        std::process::exit(130);
    });
    crate::http::server::serve(listener, app(state.clone()), settings.server, async {
        let _ = first_rx.await;
    })
    .await?;
    finish(&state, settings.shutdown_grace).await;
    tracing::info!("newsdesk stopped");
    Ok(())
}

/// After the last request: let running feed fetches finish their items, then checkpoint the
/// indexes, so the next start has nothing to replay.
async fn finish(state: &AppState, grace: Duration) {
    if let Ok(feeds) = state.feeds() {
        if !feeds.shutdown(grace).await {
            tracing::warn!(
                "feed fetches still running after {} s; their items are stored as far as they got",
                grace.as_secs()
            );
        }
    }
    if let Ok(engine) = state.engine_loaded() {
        match tokio::task::spawn_blocking(move || engine.checkpoint()).await {
            Ok(Ok(Some(r))) => tracing::info!(
                points = r.points,
                covers_seq = r.covers_seq,
                "indexes checkpointed"
            ),
            Ok(Ok(None)) => tracing::info!("indexes already checkpointed"),
            Ok(Err(e)) => tracing::error!(error = %e.chain(), "final checkpoint failed"),
            Err(e) => tracing::error!(error = %e, "final checkpoint task failed"),
        }
    }
}

fn load(
    cfg: EngineConfig,
    demo: Option<&Path>,
    feeds: FeedSettings,
    state: &AppState,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let engine = Engine::open(cfg)?;
    let stats = engine.stats()?;
    tracing::info!(
        "loaded model {} and index: {} articles, {} passages ({:.2} s)",
        engine.model().name,
        stats.articles,
        stats.passages,
        started.elapsed().as_secs_f64()
    );
    state.set_engine(engine.clone());
    let feeds = Feeds::new(engine.clone(), feeds)?;
    state.set_feeds(feeds.clone());
    if let Some(dir) = demo {
        if engine.is_empty()? {
            let files = demo_files(dir);
            tracing::info!(
                "empty data dir: ingesting the demo corpus ({} files from {})",
                files.len(),
                dir.display()
            );
            let paths: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
            let out = crate::cli::ingest::ingest_paths(
                &engine,
                &paths,
                &crate::ingest::IngestOptions::default(),
                false,
            )?;
            for f in &out.failures {
                tracing::warn!("demo file not ingested: {f}");
            }
            tracing::info!(
                "demo corpus loaded: {} articles, {} passages, {:.1} s",
                out.report.added,
                out.report.passages,
                out.report.seconds
            );
        }
    }
    state.set_ready();
    // Polling starts once the engine is ready; this runs on the runtime's blocking pool, so
    // the scheduler task lands on the runtime.
    feeds.start();
    tracing::info!("ready");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

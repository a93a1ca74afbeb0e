//! `newsdesk feeds add | list | show | remove | import | refresh`: subscriptions in the local data
//! dir, or on a running server with `--url`; and the feed flags shared by `serve`, `ingest` and
//! `feeds` ([`FeedFlags`]).

use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Subcommand};

use crate::engine::{Engine, EngineConfig};
use crate::feeds::subscription::{format_interval, parse_interval};
use crate::feeds::{Feed, FeedSettings, Feeds, FetchReport, FetchSettings, ImportReport, NewFeed};

/// Feed client and scheduler flags (one set for `serve`, `ingest URL` and `feeds`).
#[derive(Debug, Args, Clone)]
pub struct FeedFlags {
    /// Fetch feeds from loopback, private, link-local and other non-public addresses too
    /// (the env var takes true/false, 1/0, yes/no, on/off).
    #[arg(long, global = true, env = "NEWSDESK_ALLOW_PRIVATE_FEEDS",
          value_parser = clap::builder::BoolishValueParser::new())]
    pub allow_private_feeds: bool,
    /// Feed fetches running at once.
    #[arg(
        long,
        global = true,
        env = "NEWSDESK_FEED_CONCURRENCY",
        default_value_t = 4
    )]
    pub feed_concurrency: usize,
    /// Seconds to establish a connection to a feed's server.
    #[arg(
        long,
        global = true,
        env = "NEWSDESK_FEED_CONNECT_TIMEOUT_SECS",
        default_value_t = 10
    )]
    pub feed_connect_timeout_secs: u64,
    /// Seconds for a whole feed fetch, body included.
    #[arg(
        long,
        global = true,
        env = "NEWSDESK_FEED_TIMEOUT_SECS",
        default_value_t = 30
    )]
    pub feed_timeout_secs: u64,
    /// Largest feed body read (after decompression), in bytes; larger ones fail.
    #[arg(long, global = true, env = "NEWSDESK_FEED_MAX_BYTES", default_value_t = 10 * 1024 * 1024)]
    pub feed_max_bytes: usize,
    /// Redirects followed per fetch.
    #[arg(
        long,
        global = true,
        env = "NEWSDESK_FEED_MAX_REDIRECTS",
        default_value_t = 5
    )]
    pub feed_max_redirects: usize,
    /// Longest wait between fetches of a failing feed, in seconds.
    #[arg(long, global = true, env = "NEWSDESK_FEED_MAX_BACKOFF_SECS", default_value_t = 6 * 3600)]
    pub feed_max_backoff_secs: u64,
    /// Shortest poll interval a subscription may ask for, in seconds.
    #[arg(
        long,
        global = true,
        env = "NEWSDESK_FEED_MIN_INTERVAL_SECS",
        default_value_t = 60
    )]
    pub feed_min_interval_secs: u64,
    /// Subscriptions kept at most.
    #[arg(
        long,
        global = true,
        env = "NEWSDESK_MAX_FEEDS",
        default_value_t = 1000
    )]
    pub max_feeds: usize,
    /// URL or e-mail address put in the User-Agent, so publishers can reach you.
    #[arg(long, global = true, env = "NEWSDESK_FEED_CONTACT")]
    pub feed_contact: Option<String>,
}

impl FeedFlags {
    /// Checks every flag once.
    pub fn validate(&self) -> anyhow::Result<FeedSettings> {
        anyhow::ensure!(
            (1..=64).contains(&self.feed_concurrency),
            "--feed-concurrency must be between 1 and 64"
        );
        anyhow::ensure!(
            self.feed_connect_timeout_secs >= 1,
            "--feed-connect-timeout-secs must be ≥ 1"
        );
        anyhow::ensure!(
            self.feed_timeout_secs >= 1,
            "--feed-timeout-secs must be ≥ 1"
        );
        anyhow::ensure!(
            self.feed_max_bytes >= 1024,
            "--feed-max-bytes must be at least 1024"
        );
        anyhow::ensure!(
            self.feed_max_redirects <= 20,
            "--feed-max-redirects must be at most 20"
        );
        anyhow::ensure!(
            self.feed_min_interval_secs >= 1
                && self.feed_min_interval_secs <= crate::feeds::MAX_INTERVAL_SECS,
            "--feed-min-interval-secs must be between 1 and {}",
            crate::feeds::MAX_INTERVAL_SECS
        );
        anyhow::ensure!(
            self.feed_max_backoff_secs >= self.feed_min_interval_secs,
            "--feed-max-backoff-secs must be at least --feed-min-interval-secs"
        );
        anyhow::ensure!(self.max_feeds >= 1, "--max-feeds must be ≥ 1");
        Ok(FeedSettings {
            fetch: FetchSettings {
                allow_private: self.allow_private_feeds,
                connect_timeout: Duration::from_secs(self.feed_connect_timeout_secs),
                timeout: Duration::from_secs(self.feed_timeout_secs),
                max_bytes: self.feed_max_bytes,
                max_redirects: self.feed_max_redirects,
                contact: self.feed_contact.clone().filter(|c| !c.trim().is_empty()),
            },
            concurrency: self.feed_concurrency,
            min_interval_secs: self.feed_min_interval_secs,
            max_backoff: Duration::from_secs(self.feed_max_backoff_secs),
            max_feeds: self.max_feeds,
        })
    }
}

/// `newsdesk feeds`.
#[derive(Debug, Args)]
pub struct FeedsArgs {
    #[command(subcommand)]
    pub command: FeedsCommand,
    /// Manage the feeds of a running server (e.g. http://127.0.0.1:8080) instead of the data dir.
    #[arg(long, global = true, env = "NEWSDESK_URL")]
    pub url: Option<String>,
    /// Bearer key for the server: its write key (which also reads).
    #[arg(long, global = true, env = "NEWSDESK_API_KEY", hide_env_values = true)]
    pub key: Option<String>,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(flatten)]
    pub flags: FeedFlags,
}

/// `newsdesk feeds …` subcommands.
#[derive(Debug, Subcommand)]
pub enum FeedsCommand {
    /// Subscribe to a feed.
    Add {
        /// The feed's http(s) URL.
        feed_url: String,
        /// Poll interval: seconds or 90s, 10m, 1h30m, 1d (default 10m).
        #[arg(long)]
        interval: Option<String>,
        /// Source for items that name none.
        #[arg(long)]
        source: Option<String>,
        /// Category for items that name none.
        #[arg(long)]
        category: Option<String>,
    },
    /// List the subscriptions with their status.
    List,
    /// One subscription with its status.
    Show {
        /// Feed id.
        id: String,
    },
    /// Unsubscribe (the articles stay).
    Remove {
        /// Feed id.
        id: String,
    },
    /// Subscribe to every feed of an OPML file (feed readers export one).
    Import {
        /// The OPML file (`-` for stdin).
        file: std::path::PathBuf,
    },
    /// Fetch a feed now and print the outcome.
    Refresh {
        /// Feed id.
        id: String,
    },
}

/// Runs `newsdesk feeds`.
pub fn run(base: &EngineConfig, args: FeedsArgs) -> anyhow::Result<i32> {
    let settings = args.flags.validate()?;
    match &args.url {
        Some(base) => remote(base, args.key.as_deref(), args.json, args.command),
        None => {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()?;
            anyhow::ensure!(
                base.data_dir.join(crate::store::STORE_FILE).exists()
                    || matches!(args.command, FeedsCommand::Add { .. } | FeedsCommand::Import { .. }),
                "no data in {} — run `newsdesk serve` or `newsdesk feeds add URL` first, or pass --url",
                base.data_dir.display()
            );
            let engine = Engine::open(base.clone())?;
            let feeds = Feeds::new(engine, settings)?;
            rt.block_on(local(&feeds, args.json, args.command))
        }
    }
}

fn new_feed(
    feed_url: String,
    interval: Option<String>,
    source: Option<String>,
    category: Option<String>,
) -> anyhow::Result<NewFeed> {
    let interval_secs = interval
        .map(|i| parse_interval(&i))
        .transpose()
        .map_err(|e| anyhow::anyhow!(e))?;
    Ok(NewFeed {
        url: feed_url,
        interval_secs,
        source,
        category,
        title: None,
    })
}

async fn local(feeds: &Arc<Feeds>, json: bool, cmd: FeedsCommand) -> anyhow::Result<i32> {
    match cmd {
        FeedsCommand::Add {
            feed_url,
            interval,
            source,
            category,
        } => {
            let (feed, created) = feeds
                .add(new_feed(feed_url, interval, source, category)?)
                .await?;
            print_added(json, &feed, created)
        }
        FeedsCommand::List => print_list(json, &feeds.list().await?),
        FeedsCommand::Show { id } => print_list(json, &[feeds.get(&id).await?]),
        FeedsCommand::Remove { id } => {
            feeds.remove(&id).await?;
            println!("removed feed {id} (its articles stay)");
            Ok(0)
        }
        FeedsCommand::Import { file } => {
            let bytes = crate::ingest::paths::read_input(&file)?;
            print_import(json, &feeds.import_opml(&bytes).await?)
        }
        FeedsCommand::Refresh { id } => {
            let r = feeds.refresh(&id).await?;
            print_refresh(json, &r.fetch, &r.feed)
        }
    }
}

fn remote(base: &str, key: Option<&str>, json: bool, cmd: FeedsCommand) -> anyhow::Result<i32> {
    let base = base.trim_end_matches('/');
    let call = |method: &str, path: &str| {
        let mut r = ureq::request(method, &format!("{base}{path}"));
        if let Some(k) = key {
            r = r.set("Authorization", &format!("Bearer {k}"));
        }
        r
    };
    let done = |res: Result<ureq::Response, ureq::Error>| -> anyhow::Result<serde_json::Value> {
        match res {
            Ok(resp) => Ok(resp.into_json()?),
            Err(ureq::Error::Status(code, resp)) => {
                let body: serde_json::Value = resp.into_json().unwrap_or_default();
                anyhow::bail!(
                    "server answered {code} {}: {}",
                    body["error"]["code"].as_str().unwrap_or(""),
                    body["error"]["message"].as_str().unwrap_or("")
                )
            }
            Err(e) => anyhow::bail!("cannot reach {base}: {e}"),
        }
    };
    match cmd {
        FeedsCommand::Add {
            feed_url,
            interval,
            source,
            category,
        } => {
            let req = new_feed(feed_url, interval, source, category)?;
            let body = serde_json::json!({"url": req.url, "interval_secs": req.interval_secs,
                "source": req.source, "category": req.category});
            let resp = call("POST", "/v1/feeds").send_json(body);
            let created = matches!(&resp, Ok(r) if r.status() == 201);
            let feed: Feed = serde_json::from_value(done(resp)?)?;
            print_added(json, &feed, created)
        }
        FeedsCommand::List => {
            let v = done(call("GET", "/v1/feeds").call())?;
            let feeds: Vec<Feed> = serde_json::from_value(v["feeds"].clone())?;
            print_list(json, &feeds)
        }
        FeedsCommand::Show { id } => {
            let v = done(call("GET", &format!("/v1/feeds/{id}")).call())?;
            print_list(json, &[serde_json::from_value(v)?])
        }
        FeedsCommand::Remove { id } => {
            done(call("DELETE", &format!("/v1/feeds/{id}")).call())?;
            println!("removed feed {id} (its articles stay)");
            Ok(0)
        }
        FeedsCommand::Import { file } => {
            let bytes = crate::ingest::paths::read_input(&file)?;
            let v = done(
                call("POST", "/v1/feeds")
                    .set("Content-Type", "text/x-opml")
                    .send_bytes(&bytes),
            )?;
            print_import(json, &serde_json::from_value(v)?)
        }
        FeedsCommand::Refresh { id } => {
            let v = done(call("POST", &format!("/v1/feeds/{id}/refresh")).call())?;
            let fetch: FetchReport = serde_json::from_value(v["fetch"].clone())?;
            let feed: Feed = serde_json::from_value(v["feed"].clone())?;
            print_refresh(json, &fetch, &feed)
        }
    }
}

fn when(t: Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_else(|| "never".into())
}

/// A feed as a few readable lines.
pub fn describe(f: &Feed) -> String {
    let s = &f.status;
    let mut out = format!(
        "{}  {}  every {}",
        f.id,
        f.url,
        format_interval(f.interval_secs)
    );
    for (k, v) in [
        ("source", &f.source),
        ("category", &f.category),
        ("title", &f.title),
    ] {
        if let Some(v) = v {
            out.push_str(&format!(" · {k} {v}"));
        }
    }
    out.push('\n');
    match &s.last_outcome {
        None => out.push_str("    not fetched yet\n"),
        Some(o) => out.push_str(&format!(
            "    last fetch {}: {o}{}; {} items, {} new; {} articles stored\n",
            when(s.last_fetch_at),
            s.last_http_status
                .map(|c| format!(" (HTTP {c})"))
                .unwrap_or_default(),
            s.items_seen,
            s.items_new_last_fetch,
            s.articles_total
        )),
    }
    if let Some(e) = &s.last_error {
        out.push_str(&format!(
            "    failing ({} in a row, last success {}): {e}\n",
            s.consecutive_failures,
            when(s.last_success_at)
        ));
    }
    out.push_str(&format!("    next fetch {}\n", when(Some(s.next_fetch_at))));
    out
}

fn print_added(json: bool, f: &Feed, created: bool) -> anyhow::Result<i32> {
    if json {
        println!("{}", serde_json::to_string_pretty(f)?);
    } else {
        println!(
            "{} feed {}\n{}",
            if created {
                "subscribed:"
            } else {
                "already subscribed:"
            },
            f.id,
            describe(f)
        );
    }
    Ok(0)
}

fn print_list(json: bool, feeds: &[Feed]) -> anyhow::Result<i32> {
    if json {
        println!("{}", serde_json::to_string_pretty(feeds)?);
    } else if feeds.is_empty() {
        println!("no feeds");
    } else {
        for f in feeds {
            print!("{}", describe(f));
        }
    }
    Ok(0)
}

fn print_import(json: bool, r: &ImportReport) -> anyhow::Result<i32> {
    if json {
        println!("{}", serde_json::to_string_pretty(r)?);
    } else {
        println!(
            "imported {} feeds · {} already subscribed · {} refused",
            r.added.len(),
            r.existing.len(),
            r.failed.len()
        );
        for f in &r.added {
            print!("{}", describe(f));
        }
        for f in &r.failed {
            println!("refused {}: {} ({})", f.url, f.error, f.code);
        }
    }
    Ok(if r.failed.is_empty() { 0 } else { 1 })
}

fn print_refresh(json: bool, r: &FetchReport, f: &Feed) -> anyhow::Result<i32> {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({"fetch": r, "feed": f}))?
        );
    } else {
        match &r.error {
            None => println!(
                "{}: {} — {} items: {} new, {} updated, {} unchanged, {} skipped ({:.2} s)",
                r.feed_id,
                r.outcome,
                r.items_seen,
                r.items_new,
                r.items_updated,
                r.items_unchanged,
                r.items_skipped,
                r.seconds
            ),
            Some(e) => println!("{}: {} — {e}", r.feed_id, r.outcome),
        }
        print!("{}", describe(f));
    }
    Ok(if r.error.is_none() { 0 } else { 1 })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn flags_validate_into_settings() {
        let cli = crate::cli::Cli::parse_from([
            "newsdesk",
            "feeds",
            "--allow-private-feeds",
            "--feed-timeout-secs",
            "5",
            "add",
            "https://example.org/rss",
            "--interval",
            "15m",
        ]);
        let crate::cli::Command::Feeds(args) = cli.command else {
            panic!("not feeds")
        };
        let s = args.flags.validate().unwrap();
        assert!(s.fetch.allow_private);
        assert_eq!(s.fetch.timeout, Duration::from_secs(5));
        assert_eq!(s.min_interval_secs, 60);
        let FeedsCommand::Add { interval, .. } = args.command else {
            panic!("not add")
        };
        assert_eq!(parse_interval(&interval.unwrap()), Ok(900));
        let mut bad = args.flags.clone();
        bad.feed_max_backoff_secs = 10;
        assert!(bad.validate().is_err());
    }
}

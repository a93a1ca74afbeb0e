//! Shared by the benchmarks that drive a real `newsdesk serve` process (`bench write`,
//! `bench serve`): the child process on a loopback port, `/proc/<pid>` readings, percentiles
//! and the question file.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use serde_json::Value;

/// The `newsdesk` binary: `explicit`, else the one next to this executable.
pub(crate) fn newsdesk_bin(explicit: Option<&Path>) -> anyhow::Result<PathBuf> {
    let bin = match explicit {
        Some(p) => p.to_path_buf(),
        None => std::env::current_exe()?
            .parent()
            .context("no folder for this executable")?
            .join("newsdesk"),
    };
    if !bin.exists() {
        bail!(
            "{} not found: build it (`cargo build --release`) or pass --newsdesk",
            bin.display()
        );
    }
    Ok(bin)
}

/// A `newsdesk serve` child process on a free loopback port.
pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) base: String,
    pub(crate) agent: ureq::Agent,
    pub(crate) name: &'static str,
}

impl Server {
    /// Starts the server and waits for `/ready` (polled every 100 ms).
    pub(crate) fn start(bin: &Path, data: &Path, name: &'static str) -> anyhow::Result<Server> {
        Ok(Self::start_timed(bin, data, name, Duration::from_millis(100), &[])?.0)
    }

    /// Starts the server with `env` set, polls `/ready` every `poll`, and returns it with the
    /// time from spawn to the first `200`.
    pub(crate) fn start_timed(
        bin: &Path,
        data: &Path,
        name: &'static str,
        poll: Duration,
        env: &[(&str, String)],
    ) -> anyhow::Result<(Server, Duration)> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let base = format!("http://127.0.0.1:{port}");
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(120))
            .build();
        let t0 = Instant::now();
        let mut child = Command::new(bin)
            .args(["--data", &data.to_string_lossy(), "--log", "warn"])
            .args(["serve", "--no-demo", "--addr", &format!("127.0.0.1:{port}")])
            .arg("--allow-private-feeds")
            .env_remove("NEWSDESK_API_KEY")
            .env_remove("NEWSDESK_READ_KEY")
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let ready = loop {
            if let Ok(r) = agent.get(&format!("{base}/ready")).call() {
                if r.status() == 200 {
                    break t0.elapsed();
                }
            }
            if let Some(status) = child.try_wait()? {
                bail!("the {name} server exited before it was ready: {status}");
            }
            if t0.elapsed() > Duration::from_secs(600) {
                let _ = child.kill();
                bail!("the {name} server was not ready within 10 minutes");
            }
            std::thread::sleep(poll);
        };
        Ok((
            Server {
                child,
                base,
                agent,
                name,
            },
            ready,
        ))
    }

    /// `GET /ready` as JSON (`articles`, `passages`, `model`).
    pub(crate) fn ready(&self) -> anyhow::Result<Value> {
        Ok(self
            .agent
            .get(&format!("{}/ready", self.base))
            .call()?
            .into_json()?)
    }

    pub(crate) fn passages(&self) -> anyhow::Result<u64> {
        Ok(self.ready()?["passages"].as_u64().unwrap_or(0))
    }

    /// The server's bytes sent to storage so far (`write_bytes` of `/proc/<pid>/io`).
    pub(crate) fn write_bytes(&self) -> anyhow::Result<u64> {
        proc_write_bytes(self.child.id())
    }

    /// One request: its latency and the bytes the server wrote while it ran.
    pub(crate) fn timed(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<Cost> {
        let url = format!("{}{path}", self.base);
        let before = self.write_bytes()?;
        let t0 = Instant::now();
        let req = self.agent.request(method, &url);
        let res = match body {
            Some(b) => req.send_json(b.clone()),
            None => req.call(),
        };
        let ms = t0.elapsed().as_secs_f64() * 1e3;
        let after = self.write_bytes()?;
        match res {
            Ok(_) => Ok(Cost {
                ms,
                bytes: after.saturating_sub(before),
            }),
            Err(ureq::Error::Status(s, r)) => bail!(
                "{} {method} {path}: {s} {}",
                self.name,
                r.into_string().unwrap_or_default()
            ),
            Err(e) => bail!("{} {method} {path}: {e}", self.name),
        }
    }

    /// SIGTERM (finish, checkpoint, exit 0); returns the bytes written during shutdown.
    pub(crate) fn stop(&mut self) -> anyhow::Result<u64> {
        let before = self.write_bytes()?;
        let pid = self.child.id();
        let mut last = before;
        // SAFETY: kill(2) on our own child's pid.
        unsafe {
            libc::kill(pid as i32, libc::SIGTERM);
        }
        let t0 = Instant::now();
        loop {
            if let Ok(b) = proc_write_bytes(pid) {
                last = b;
            }
            if let Some(status) = self.child.try_wait()? {
                if !status.success() {
                    bail!("the {} server exited with {status}", self.name);
                }
                break;
            }
            if t0.elapsed() > Duration::from_secs(120) {
                let _ = self.child.kill();
                bail!("the {} server did not stop within 2 minutes", self.name);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        Ok(last.saturating_sub(before))
    }
}

pub(crate) fn proc_write_bytes(pid: u32) -> anyhow::Result<u64> {
    let io = std::fs::read_to_string(format!("/proc/{pid}/io"))
        .with_context(|| format!("reading /proc/{pid}/io"))?;
    io.lines()
        .find_map(|l| l.strip_prefix("write_bytes:"))
        .and_then(|v| v.trim().parse().ok())
        .context("no write_bytes in /proc/<pid>/io")
}

/// One request's latency and the bytes the server wrote while it ran.
pub(crate) struct Cost {
    pub(crate) ms: f64,
    pub(crate) bytes: u64,
}

pub(crate) fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.iter().sum::<f64>() / v.len() as f64
}

/// Nearest-rank percentile (`p` in 0..=1); NaN for no value.
pub(crate) fn pct(v: &[f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let i = ((p * s.len() as f64).ceil() as usize).clamp(1, s.len()) - 1;
    s[i]
}

/// Questions: JSONL with `question`, or one per line.
pub(crate) fn read_questions(path: &Path) -> anyhow::Result<Vec<String>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let qs: Vec<String> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| match serde_json::from_str::<Value>(l) {
            Ok(v) => v["question"].as_str().unwrap_or_default().to_string(),
            Err(_) => l.trim().to_string(),
        })
        .filter(|q| !q.is_empty())
        .collect();
    if qs.is_empty() {
        bail!("{}: no question", path.display());
    }
    Ok(qs)
}

//! `newsdesk embed`: texts on stdin, one JSON array of 384 floats per line on stdout.
//!
//! Input is one text per line (a trailing `\r` is dropped; an empty line is the empty text, so
//! output line N always belongs to input line N), or with `--jsonl` one JSON string per line
//! (blank lines skipped). Lines are embedded in chunks, so memory stays flat on long input.

use crate::embed::Embedder;
use crate::engine::EngineConfig;
use anyhow::Context;
use std::io::{BufRead, Write};

/// Texts embedded per forward call.
const CHUNK: usize = 256;

pub fn run_embed(jsonl: bool, base: &EngineConfig) -> anyhow::Result<()> {
    let model_dir = &base.model_dir;
    let embedder = Embedder::load_with(model_dir, base.embed.clone())
        .with_context(|| format!("loading the model from {}", model_dir.display()))?;
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    embed_stream(&embedder, jsonl, stdin.lock(), &mut stdout.lock())
}

/// The body of `newsdesk embed`, on any reader and writer.
pub fn embed_stream(
    embedder: &Embedder,
    jsonl: bool,
    input: impl BufRead,
    output: &mut impl Write,
) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::new(output);
    let mut pending: Vec<String> = Vec::with_capacity(CHUNK);
    for (i, line) in input.lines().enumerate() {
        let line = line.with_context(|| format!("reading line {}", i + 1))?;
        let text = if jsonl {
            if line.trim().is_empty() {
                continue;
            }
            serde_json::from_str::<String>(&line).with_context(|| {
                format!("line {}: --jsonl expects one JSON string per line", i + 1)
            })?
        } else {
            line.strip_suffix('\r').unwrap_or(&line).to_string()
        };
        pending.push(text);
        if pending.len() == CHUNK {
            flush(embedder, &mut pending, &mut out)?;
        }
    }
    flush(embedder, &mut pending, &mut out)?;
    out.flush()?;
    Ok(())
}

fn flush(
    embedder: &Embedder,
    pending: &mut Vec<String>,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    if pending.is_empty() {
        return Ok(());
    }
    let texts: Vec<&str> = pending.iter().map(|s| s.as_str()).collect();
    for v in embedder.embed_batch(&texts)? {
        serde_json::to_writer(&mut *out, &v)?;
        out.write_all(b"\n")?;
    }
    pending.clear();
    Ok(())
}

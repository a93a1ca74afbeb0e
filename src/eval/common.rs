//! What the three evaluation commands share: a throwaway (or reused) data dir with an engine,
//! bulk ingest with a progress bar, batched embedding, tables and the final JSON line.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

use crate::engine::{Engine, EngineConfig, IngestReport};
use crate::ingest::Article;

/// An engine over a data dir that lives as long as the evaluation (a temp dir) or longer
/// (`--data DIR`, so that a rerun skips the embedding).
pub struct Workspace {
    /// The engine.
    pub engine: Arc<Engine>,
    /// Where its data lives.
    pub dir: PathBuf,
    _tmp: Option<tempfile::TempDir>,
}

/// Opens the engine on `data` (created if missing) or on a fresh temp dir.
pub fn open_workspace(data: Option<&Path>, model_dir: &Path) -> Result<Workspace> {
    let (dir, tmp) = match data {
        Some(d) => (d.to_path_buf(), None),
        None => {
            let t = tempfile::Builder::new()
                .prefix("newsdesk-eval-")
                .tempdir()
                .context("cannot create a temp dir for the evaluation index")?;
            (t.path().to_path_buf(), Some(t))
        }
    };
    let mut cfg = EngineConfig::new(&dir);
    cfg.model_dir = model_dir.to_path_buf();
    let engine =
        Engine::open(cfg).with_context(|| format!("cannot open an engine on {}", dir.display()))?;
    eprintln!(
        "index: {} ({})",
        dir.display(),
        if tmp.is_some() {
            "temporary; pass --index-dir DIR to keep it for reruns"
        } else {
            "kept"
        }
    );
    Ok(Workspace {
        engine,
        dir,
        _tmp: tmp,
    })
}

/// An article for an evaluation document (no date, no source: the sets have none).
pub fn eval_article(id: &str, title: &str, body: &str, category: Option<&str>) -> Result<Article> {
    let body = if body.trim().is_empty() { title } else { body };
    let mut v = json!({ "id": id, "title": title.trim(), "body": body });
    if let Some(c) = category.filter(|c| !c.is_empty()) {
        v["category"] = json!(c);
    }
    serde_json::from_value(v).with_context(|| format!("document {id}: not an article"))
}

/// Ingests articles with a progress bar on stderr; already stored, unchanged ones cost one
/// store read each (a rerun with `--data` embeds nothing). Warns when the data dir holds other
/// articles too (they would compete in retrieval).
pub fn ingest_all(ws: &Workspace, articles: Vec<Article>, what: &str) -> Result<IngestReport> {
    let n = articles.len();
    let bar = ProgressBar::new(n as u64);
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "ingest {what}: {{bar:40}} {{pos}}/{{len}} [{{elapsed_precise}} < {{eta_precise}}]"
        ))
        .expect("valid template"),
    );
    let started = Instant::now();
    let report = ws
        .engine
        .ingest(articles, &mut |done| bar.inc(done as u64))
        .with_context(|| format!("ingesting {what}"))?;
    bar.finish_and_clear();
    eprintln!(
        "ingest {what}: {} added, {} updated, {} unchanged; {} passages, {} sentences, {} word pieces embedded in {:.1}s",
        report.added,
        report.updated,
        report.unchanged,
        report.passages,
        report.sentences,
        report.tokens,
        started.elapsed().as_secs_f64()
    );
    let stored = ws.engine.stats().articles as usize;
    if stored > n {
        eprintln!(
            "warning: {} holds {stored} articles, {} more than this set; they take part in retrieval",
            ws.dir.display(),
            stored - n
        );
    }
    Ok(report)
}

/// Embeds texts in batches (a progress bar on stderr for long lists).
pub fn embed_all(ws: &Workspace, texts: &[String], what: &str) -> Result<Vec<Vec<f32>>> {
    const BATCH: usize = 128;
    let bar = ProgressBar::new(texts.len() as u64);
    bar.set_style(
        ProgressStyle::with_template(&format!("embed {what}: {{bar:40}} {{pos}}/{{len}}"))
            .expect("valid template"),
    );
    let mut out = Vec::with_capacity(texts.len());
    for chunk in texts.chunks(BATCH) {
        out.extend(
            ws.engine
                .embed_texts_blocking(chunk.to_vec())
                .with_context(|| format!("embedding {what}"))?,
        );
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    Ok(out)
}

/// Prints a table: a header row and rows of cells, columns padded to their widest cell.
pub fn print_table(title: &str, header: &[&str], rows: &[Vec<String>]) {
    let cols = header.len();
    let mut width: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate().take(cols) {
            width[i] = width[i].max(c.chars().count());
        }
    }
    println!("{title}");
    let line = |cells: Vec<&str>| {
        let s: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if i == 0 {
                    format!("{c:<w$}", w = width[i])
                } else {
                    format!("{c:>w$}", w = width[i])
                }
            })
            .collect();
        println!("  {}", s.join("  "));
    };
    line(header.to_vec());
    println!(
        "  {}",
        width
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .join("  ")
    );
    for r in rows {
        line(r.iter().map(String::as_str).collect());
    }
}

/// A metric rounded to 4 decimals for the JSON line.
pub fn r4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// Case-folded, whitespace-normalised containment: does `sentence` contain any gold answer?
pub fn contains_answer(sentence: &str, answers: &[String]) -> bool {
    let norm = |s: &str| {
        s.to_lowercase()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let s = norm(sentence);
    answers.iter().any(|a| {
        let a = norm(a);
        !a.is_empty() && s.contains(&a)
    })
}

/// Applies `name=value,…` overrides from a tuning variable (`var` names it in errors) to the
/// named weights; unnamed ones keep their values.
pub fn parse_overrides(var: &str, spec: &str, slots: &mut [(&str, &mut f32)]) -> Result<()> {
    for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((name, value)) = part.split_once('=') else {
            anyhow::bail!("{var}: expected name=value, got {part:?}");
        };
        let v: f32 = value
            .trim()
            .parse()
            .map_err(|_| anyhow::anyhow!("{var}: {name} is not a number: {value:?}"))?;
        let names: Vec<&str> = slots.iter().map(|(n, _)| *n).collect();
        let Some((_, slot)) = slots.iter_mut().find(|(n, _)| *n == name.trim()) else {
            anyhow::bail!(
                "{var}: unknown weight {name:?} (known: {})",
                names.join(", ")
            );
        };
        **slot = v;
    }
    Ok(())
}

/// Environment variable naming a JSONL file to which `eval scifact` and `eval squad` write, per
/// query, every candidate with its evidence and whether it is judged relevant: the input of an
/// offline weight fit.
pub const DUMP_ENV: &str = "NEWSDESK_EVAL_DUMP";

/// The evidence dump named by [`DUMP_ENV`], when set.
pub fn dump_file() -> Result<Option<std::io::BufWriter<std::fs::File>>> {
    let Some(p) = std::env::var_os(DUMP_ENV) else {
        return Ok(None);
    };
    let f = std::fs::File::create(&p)
        .with_context(|| format!("{DUMP_ENV}: cannot create {}", Path::new(&p).display()))?;
    Ok(Some(std::io::BufWriter::new(f)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answer_containment_is_case_folded() {
        let golds = vec!["Denver Broncos".to_string(), "Denver".to_string()];
        assert!(contains_answer("The DENVER  broncos won.", &golds));
        assert!(!contains_answer("Carolina lost.", &golds));
        assert!(!contains_answer("anything", &[String::new()]));
    }

    #[test]
    fn eval_articles_carry_id_title_and_body() {
        let a = eval_article("d1", " A title ", "Body text.", Some("business")).unwrap();
        assert_eq!(
            (a.id.as_str(), a.title.as_str(), a.body.as_str()),
            ("d1", "A title", "Body text.")
        );
        assert_eq!(a.category.as_deref(), Some("business"));
        // An empty body falls back to the title (a document must have text).
        let b = eval_article("d2", "Only a title", "  ", None).unwrap();
        assert_eq!(b.body, "Only a title");
    }

    #[test]
    fn rounding() {
        assert_eq!(r4(0.123456), 0.1235);
    }
}

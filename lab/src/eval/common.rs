//! What the three evaluation commands share: a throwaway (or reused) data dir with an engine,
//! bulk ingest with a progress bar, batched embedding, tables and the final JSON line.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

use newsdesk::answer::RankingParams;
use newsdesk::engine::{Engine, EngineConfig, IngestReport};
use newsdesk::ingest::Article;

/// An engine over a data dir that lives as long as the evaluation (a temp dir) or longer
/// (`--data DIR`, so that a rerun skips the embedding).
pub struct Workspace {
    /// The engine.
    pub engine: Arc<Engine>,
    /// Where its data lives.
    pub dir: PathBuf,
    _tmp: Option<tempfile::TempDir>,
}

/// Opens the engine on `data` (created if missing) or on a fresh temp dir, ranking with
/// `ranking`.
pub fn open_workspace(
    data: Option<&Path>,
    model_dir: &Path,
    ranking: &RankingParams,
) -> Result<Workspace> {
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
    cfg.ranking = ranking.clone();
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
    let stored = ws.engine.stats()?.articles as usize;
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

/// Applies `name=value,…` overrides (`flag` names the option in errors) to the named
/// weights; unnamed ones keep their values.
pub fn parse_overrides(flag: &str, spec: &str, slots: &mut [(&str, &mut f32)]) -> Result<()> {
    for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((name, value)) = part.split_once('=') else {
            anyhow::bail!("{flag}: expected name=value, got {part:?}");
        };
        let v: f32 = value
            .trim()
            .parse()
            .map_err(|_| anyhow::anyhow!("{flag}: {name} is not a number: {value:?}"))?;
        let names: Vec<&str> = slots.iter().map(|(n, _)| *n).collect();
        let Some((_, slot)) = slots.iter_mut().find(|(n, _)| *n == name.trim()) else {
            anyhow::bail!(
                "{flag}: unknown weight {name:?} (known: {})",
                names.join(", ")
            );
        };
        **slot = v;
    }
    Ok(())
}

/// Ranking parameters of an evaluation run: the product's defaults, or a file, with
/// overrides from flags for sweeps.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct RankingArgs {
    /// Start from this ranking file (TOML or JSON, as `newsdesk serve --ranking`).
    #[arg(long, value_name = "FILE")]
    pub ranking: Option<PathBuf>,
    /// Fusion weight overrides, e.g. `dense=0.3,article=0.2` (dense, sentence, bm25, article).
    #[arg(long, value_name = "SPEC")]
    pub fusion: Option<String>,
    /// Ask weight overrides, e.g. `dense=1.2,lexical=0.4` (dense, lexical, lexical_title,
    /// lexical_context, article_lexical, bigram, entity, passage, lead, kind_quantity,
    /// kind_time, kind_person, kind_place, kind_action, typed, typed_related, untyped_lead, threshold). The confidence stays the one fitted for the
    /// starting weights: its declines are then approximate (a warning says so).
    #[arg(long, value_name = "SPEC")]
    pub ask_weights: Option<String>,
    /// Summary weight overrides, e.g. `vector_share=0.2,lead=0.05` (vector_share, lead,
    /// redundancy, short_penalty, damping).
    #[arg(long, value_name = "SPEC")]
    pub summary_weights: Option<String>,
    /// Write every candidate with its evidence, one JSON object per line (input for an
    /// offline weight fit).
    #[arg(long, value_name = "FILE")]
    pub dump: Option<PathBuf>,
}

impl RankingArgs {
    /// The parameters these flags describe.
    pub fn params(&self) -> Result<RankingParams> {
        let mut p = match &self.ranking {
            Some(f) => RankingParams::from_file(f)?,
            None => RankingParams::default(),
        };
        if let Some(spec) = &self.fusion {
            let f = &mut p.fusion;
            parse_overrides(
                "--fusion",
                spec,
                &mut [
                    ("dense", &mut f.dense),
                    ("sentence", &mut f.sentence),
                    ("bm25", &mut f.bm25),
                    ("article", &mut f.article),
                ],
            )?;
        }
        if let Some(spec) = &self.ask_weights {
            let w = &mut p.ask.weights;
            parse_overrides(
                "--ask-weights",
                spec,
                &mut [
                    ("dense", &mut w.dense),
                    ("lexical", &mut w.lexical),
                    ("lexical_title", &mut w.lexical_title),
                    ("lexical_context", &mut w.lexical_context),
                    ("article_lexical", &mut w.article_lexical),
                    ("bigram", &mut w.bigram),
                    ("entity", &mut w.entity),
                    ("passage", &mut w.passage),
                    ("lead", &mut w.lead),
                    ("kind_quantity", &mut w.kind.quantity),
                    ("kind_time", &mut w.kind.time),
                    ("kind_person", &mut w.kind.person),
                    ("kind_place", &mut w.kind.place),
                    ("kind_action", &mut w.kind.action),
                    ("typed", &mut w.typed),
                    ("typed_related", &mut w.typed_related),
                    ("untyped_lead", &mut w.untyped_lead),
                    ("threshold", &mut p.ask.confidence.threshold),
                ],
            )?;
            if p.ask.weights != p.ask.confidence.fitted_for {
                eprintln!(
                    "warning: --ask-weights changes the ask score; the confidence was fitted for                      the starting weights, so declines are approximate until it is refitted"
                );
                p.ask.confidence.fitted_for = p.ask.weights;
            }
        }
        if let Some(spec) = &self.summary_weights {
            let s = &mut p.summary;
            parse_overrides(
                "--summary-weights",
                spec,
                &mut [
                    ("vector_share", &mut s.vector_share),
                    ("lead", &mut s.lead),
                    ("redundancy", &mut s.redundancy),
                    ("short_penalty", &mut s.short_penalty),
                    ("damping", &mut s.damping),
                ],
            )?;
        }
        p.validate()?;
        if p != RankingParams::default() {
            eprintln!(
                "ranking: {}",
                serde_json::to_string(&p).expect("params serialise")
            );
        }
        Ok(p)
    }

    /// The evidence dump, when `--dump` was given.
    pub fn dump_file(&self) -> Result<Option<std::io::BufWriter<std::fs::File>>> {
        let Some(p) = &self.dump else {
            return Ok(None);
        };
        let f = std::fs::File::create(p)
            .with_context(|| format!("--dump: cannot create {}", p.display()))?;
        Ok(Some(std::io::BufWriter::new(f)))
    }
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
    fn ranking_flags_override_the_defaults_and_refuse_nonsense() {
        let args = RankingArgs {
            fusion: Some("dense=0.3, article = 0.25".into()),
            ask_weights: Some("passage=0.2,threshold=0.4".into()),
            ..Default::default()
        };
        let p = args.params().unwrap();
        let d = RankingParams::default();
        assert_eq!((p.fusion.dense, p.fusion.article), (0.3, 0.25));
        assert_eq!(p.fusion.bm25, d.fusion.bm25);
        assert_eq!(p.ask.weights.passage, 0.2);
        assert_eq!(p.ask.confidence.threshold, 0.4);
        assert_eq!(p.ask.weights.lexical, d.ask.weights.lexical);
        for bad in ["dense", "dense=x", "speed=1"] {
            let a = RankingArgs {
                fusion: Some(bad.into()),
                ..Default::default()
            };
            assert!(a.params().is_err(), "{bad}");
        }
        assert_eq!(RankingArgs::default().params().unwrap(), d);
    }

    #[test]
    fn rounding() {
        assert_eq!(r4(0.123456), 0.1235);
    }
}

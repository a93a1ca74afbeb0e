//! `newsdesk-lab eval stories FILE`: story assignment on real headlines labelled with the news
//! aggregator's story clusters (`../shared/data/stories/`).
//!
//! The file is replayed in time order through the product's own online assignment
//! ([`newsdesk::stories::StoryBook`], headline-only articles embedded with the product's
//! [`newsdesk::stories::story_text`]) and scored with B-cubed precision/recall/F1, ARI and NMI
//! against the labels. Side by side in the same run: every headline alone, and the offline
//! baseline (the same vectors, average-linkage agglomerative clustering, cut at the threshold
//! best for this file). `--sweep` also prints the online scores over a grid of settings (how the
//! product's defaults were chosen).

use std::collections::HashMap;
use std::path::Path;

use anyhow::{bail, Context};
use serde::Deserialize;

use super::cluster::{average_linkage, best_cut, score, PairScores};
use newsdesk::ingest::Article;
use newsdesk::stories::{story_text, StoryBook, StoryFeatures, StoryParams};

/// One labelled headline.
#[derive(Debug, Deserialize)]
struct Headline {
    id: String,
    title: String,
    #[serde(default)]
    source: Option<String>,
    published: String,
    story: String,
}

/// The labelled headlines as articles (title only), oldest first, with gold labels.
fn load(file: &Path) -> anyhow::Result<(Vec<Article>, Vec<u64>)> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let mut rows: Vec<Headline> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        rows.push(serde_json::from_str(line).with_context(|| format!("line {}", n + 1))?);
    }
    if rows.is_empty() {
        bail!("{} holds no headlines", file.display());
    }
    rows.sort_by(|a, b| a.published.cmp(&b.published).then(a.id.cmp(&b.id)));
    let mut labels: HashMap<String, u64> = HashMap::new();
    let mut gold = Vec::with_capacity(rows.len());
    let mut articles = Vec::with_capacity(rows.len());
    for r in rows {
        let next = labels.len() as u64;
        gold.push(*labels.entry(r.story.clone()).or_insert(next));
        let published = chrono::DateTime::parse_from_rfc3339(&r.published)
            .with_context(|| format!("date of {}", r.id))?;
        articles.push(Article {
            id: r.id,
            title: r.title,
            body: String::new(),
            source: r.source,
            url: None,
            author: None,
            category: None,
            published: Some(published),
            date_inferred: false,
            dateline: None,
            boilerplate: Vec::new(),
        });
    }
    Ok((articles, gold))
}

/// Replays the articles through a story book with `params`; returns the story of each.
pub fn replay(params: StoryParams, articles: &[Article], features: &[StoryFeatures]) -> Vec<u64> {
    let mut book = StoryBook::new(params);
    for (a, f) in articles.iter().zip(features) {
        book.assign(&a.id, f.clone());
    }
    // Stories merge as evidence arrives: what counts is where each article ends up.
    articles
        .iter()
        .map(|a| book.story_of(&a.id).expect("every article has a story"))
        .collect()
}

fn row(name: &str, s: &PairScores, note: &str) {
    println!(
        "{name:<34} {:>7.4} {:>7.4} {:>7.4} {:>7.4} {:>7.4} {:>8}  {note}",
        s.bcubed_precision, s.bcubed_recall, s.bcubed_f1, s.ari, s.nmi, s.clusters
    );
}

/// Runs the evaluation.
pub fn run_eval_stories(file: &Path, model_dir: &Path, sweep: bool) -> anyhow::Result<()> {
    let (articles, gold) = load(file)?;
    let embedder = newsdesk::embed::Embedder::load(model_dir)?;
    let texts: Vec<String> = articles.iter().map(|a| story_text(a, &[])).collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let started = std::time::Instant::now();
    let mut vectors = Vec::with_capacity(refs.len());
    for chunk in refs.chunks(256) {
        vectors.extend(embedder.embed_batch(chunk)?);
    }
    let embed_s = started.elapsed().as_secs_f64();
    let features: Vec<StoryFeatures> = articles
        .iter()
        .zip(&vectors)
        .map(|(a, v)| StoryFeatures::of(a, &[], v.clone(), 0))
        .collect();

    let params = StoryParams::default();
    let started = std::time::Instant::now();
    let online = replay(params, &articles, &features);
    let assign_ms = started.elapsed().as_secs_f64() * 1e3;
    let newsdesk = score(&gold, &online);
    let singletons: Vec<u64> = (0..gold.len() as u64).collect();
    let alone = score(&gold, &singletons);
    let dendrogram = average_linkage(&vectors);
    let (cut, offline) = best_cut(&dendrogram, &gold, 101);

    let n_gold = gold.iter().collect::<std::collections::HashSet<_>>().len();
    println!(
        "{} headlines, {n_gold} labelled stories ({}); embedded in {embed_s:.1} s, assigned online in {assign_ms:.0} ms",
        gold.len(),
        file.display()
    );
    println!(
        "{:<34} {:>7} {:>7} {:>7} {:>7} {:>7} {:>8}",
        "method", "B3 P", "B3 R", "B3 F1", "ARI", "NMI", "clusters"
    );
    row(
        "newsdesk (online, product)",
        &newsdesk,
        &format!(
            "join {:.2}, lexical {:.2}, window {} d",
            params.join_threshold,
            params.lexical_weight,
            params.window_secs / 86_400
        ),
    );
    row("every headline alone", &alone, "");
    row(
        "average linkage (offline, best)",
        &offline,
        &format!("cosine >= {cut:.2}, chosen on this file"),
    );

    if sweep {
        println!("\nonline sweep (B-cubed F1 at the best join threshold in 0.10..0.60):");
        let mut best = (0.0, params);
        let merge_offsets: Vec<f32> = std::env::var("STORY_SWEEP_MERGE")
            .ok()
            .map(|v| v.split(',').filter_map(|x| x.parse().ok()).collect())
            .unwrap_or_else(|| vec![0.0, 0.05, 10.0]);
        for mo in merge_offsets {
            for lw in [0.0f32, 0.5, 1.0, 1.5] {
                let mut line_best = (0.0, 0.0);
                for jt in (0..=20).map(|i| 0.12 + 0.02 * i as f32) {
                    let p = StoryParams {
                        join_threshold: jt,
                        lexical_weight: lw,
                        merge_threshold: jt + mo,
                        ..params
                    };
                    let s = score(&gold, &replay(p, &articles, &features));
                    if s.bcubed_f1 > line_best.0 {
                        line_best = (s.bcubed_f1, jt);
                    }
                    if s.bcubed_f1 > best.0 {
                        best = (s.bcubed_f1, p);
                    }
                }
                println!(
                    "  merge +{mo:.2} lexical {lw:.2}: {:.4} at join {:.2}",
                    line_best.0, line_best.1
                );
            }
        }
        println!("best: B3 F1 {:.4} with {:?}", best.0, best.1);
    }
    println!(
        "{}",
        serde_json::json!({
            "newsdesk": newsdesk,
            "singletons": alone,
            "average_linkage": {"scores": offline, "threshold": cut},
            "headlines": gold.len(),
        })
    );
    Ok(())
}

//! `brief`: a briefing note on a topic, extractive and cited.
//!
//! Retrieve widely → candidate sentences → collapse near-duplicates (the same wire copy printed
//! by several outlets becomes one bullet citing all of them) → pick bullets greedily by
//! relevance, centrality among the relevant sentences, and novelty against the bullets already
//! chosen, spreading over articles, under a word budget → order by date, then by position →
//! JSON with numbered sources and the same note as Markdown.

use std::collections::HashMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ask::{gather_candidates, Candidate};
use super::lexical::{jaccard, Lexicon, PoolIdf};
use super::retrieve::{retrieve, Mode};
use super::{check_query, dot, FilterSpec};
use crate::engine::Reader;
use crate::error::{Error, Result};

/// `POST /v1/brief` body.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BriefRequest {
    /// What the note is about.
    pub topic: String,
    /// Word budget for the bullets (30–2000, default 200).
    #[serde(default)]
    pub max_words: Option<usize>,
    /// Restrict to some sources, categories or dates.
    #[serde(default)]
    pub filters: Option<FilterSpec>,
    /// Retriever to use (default hybrid).
    #[serde(default)]
    pub mode: Option<Mode>,
}

/// One bullet: a sentence quoted from an article, with the sources that carry it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Bullet {
    /// The sentence as written in the first cited article.
    pub text: String,
    /// Numbers into `sources` (1-based); more than one when near-identical copies were merged.
    pub citations: Vec<usize>,
    /// Byte span of the sentence in the first cited article.
    pub start: usize,
    /// End of that span.
    pub end: usize,
}

/// A numbered source of the note.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BriefSource {
    /// The number bullets cite.
    pub n: usize,
    /// Article id.
    pub article_id: String,
    /// Headline.
    pub title: String,
    /// Publisher.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// RFC 3339 publication time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    /// Link.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// `POST /v1/brief` response.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BriefResponse {
    /// Title of the note.
    pub title: String,
    /// The topic as given.
    pub topic: String,
    /// When the note was made (RFC 3339).
    pub generated_at: String,
    /// The bullets, in date order.
    pub bullets: Vec<Bullet>,
    /// Cited articles, numbered.
    pub sources: Vec<BriefSource>,
    /// Words in the bullets.
    pub words: usize,
    /// The same note as Markdown.
    pub markdown: String,
}

/// Writes a briefing note on a topic. `topic_vec` is the topic's embedding.
pub fn brief(r: &mut Reader, req: &BriefRequest, topic_vec: &[f32]) -> Result<BriefResponse> {
    check_query(&req.topic, "topic")?;
    let max_words = req.max_words.unwrap_or(200);
    if !(30..=2000).contains(&max_words) {
        return Err(Error::invalid(
            "max_words_out_of_range",
            format!("max_words must be between 30 and 2000, got {max_words}"),
        ));
    }
    let filters = req.filters.clone().unwrap_or_default().to_filters()?;
    let p = r.ranking().brief;
    let hits = retrieve(
        r,
        &req.topic,
        topic_vec,
        p.depth,
        &filters,
        req.mode.unwrap_or_default(),
    )?;
    let lex = Lexicon::default();
    let candidates: Vec<Candidate> = gather_candidates(r, &lex, &hits, topic_vec)?
        .into_iter()
        .filter(|c| c.text().split_whitespace().count() >= p.min_words)
        .collect();
    let q_terms = lex.terms(&req.topic);
    let idf = PoolIdf::new(candidates.iter().map(|c| &c.terms));
    let relevance: Vec<f32> = candidates
        .iter()
        .map(|c| {
            p.relevance_dense * c.dense
                + p.relevance_lexical * idf.coverage(&q_terms, &c.terms)
                + p.relevance_passage * c.passage_score
        })
        .collect();

    // Near-duplicate clusters: union sentences that say the same thing.
    let n = candidates.len();
    let mut cluster: Vec<usize> = (0..n).collect();
    fn root(c: &mut [usize], mut i: usize) -> usize {
        while c[i] != i {
            c[i] = c[c[i]];
            i = c[i];
        }
        i
    }
    for i in 0..n {
        for j in (i + 1)..n {
            if candidates[i].article.id == candidates[j].article.id {
                continue;
            }
            let same = dot(&candidates[i].vector, &candidates[j].vector) >= p.duplicate_cosine
                || jaccard(&candidates[i].terms, &candidates[j].terms) >= p.duplicate_jaccard;
            if same {
                let (a, b) = (root(&mut cluster, i), root(&mut cluster, j));
                cluster[a] = b;
            }
        }
    }
    let mut members: HashMap<usize, Vec<usize>> = HashMap::new();
    for i in 0..n {
        let r = root(&mut cluster, i);
        members.entry(r).or_default().push(i);
    }
    // Representative of each cluster: its most relevant member; earliest article first on ties.
    let mut reps: Vec<(usize, Vec<usize>)> = members
        .into_values()
        .map(|mut m| {
            m.sort_by(|&a, &b| relevance[b].total_cmp(&relevance[a]));
            (m[0], m)
        })
        .collect();
    reps.sort_by(|a, b| relevance[b.0].total_cmp(&relevance[a.0]));

    // Centrality among the relevant: mean similarity to the top representatives.
    let pool: Vec<usize> = reps.iter().take(p.centrality_pool).map(|r| r.0).collect();
    let centrality = |i: usize| -> f32 {
        if pool.len() < 2 {
            return 0.0;
        }
        pool.iter()
            .filter(|&&j| j != i)
            .map(|&j| dot(&candidates[i].vector, &candidates[j].vector))
            .sum::<f32>()
            / (pool.len() - 1) as f32
    };
    let central: HashMap<usize, f32> = reps.iter().map(|r| (r.0, centrality(r.0))).collect();

    let best_relevance = reps.first().map(|r| relevance[r.0]).unwrap_or(0.0);
    let mut chosen: Vec<usize> = Vec::new(); // indexes into reps
    let mut per_article: HashMap<&str, usize> = HashMap::new();
    let mut words = 0;
    loop {
        let mut best: Option<(f32, usize)> = None;
        for (ri, (i, _)) in reps.iter().enumerate() {
            if chosen.contains(&ri) || relevance[*i] < p.min_relevance_share * best_relevance {
                continue;
            }
            let c = &candidates[*i];
            let w = c.text().split_whitespace().count();
            if words + w > max_words {
                continue;
            }
            let redundancy = chosen
                .iter()
                .map(|&rj| dot(&c.vector, &candidates[reps[rj].0].vector))
                .fold(0.0f32, f32::max);
            if redundancy >= p.duplicate_cosine {
                continue;
            }
            let spread =
                p.per_article_spread * *per_article.get(c.article.id.as_str()).unwrap_or(&0) as f32;
            let score = p.pick_relevance * relevance[*i] + p.pick_centrality * central[i]
                - p.pick_redundancy * redundancy
                - spread;
            if best.is_none_or(|(s, _)| score > s) {
                best = Some((score, ri));
            }
        }
        let Some((_, ri)) = best else { break };
        let i = reps[ri].0;
        words += candidates[i].text().split_whitespace().count();
        *per_article
            .entry(candidates[i].article.id.as_str())
            .or_insert(0) += 1;
        chosen.push(ri);
    }

    // Date order (oldest first), then position in the article.
    chosen.sort_by(|&a, &b| {
        let (ca, cb) = (&candidates[reps[a].0], &candidates[reps[b].0]);
        ca.article
            .published
            .cmp(&cb.article.published)
            .then(ca.article.id.cmp(&cb.article.id))
            .then(ca.index.cmp(&cb.index))
    });

    let mut sources: Vec<BriefSource> = Vec::new();
    let mut number: HashMap<String, usize> = HashMap::new();
    let mut bullets = Vec::new();
    for &ri in &chosen {
        let (rep, ref group) = reps[ri];
        let mut cites = Vec::new();
        let mut order = vec![rep];
        order.extend(group.iter().copied().filter(|&m| m != rep));
        for m in order {
            let a = &candidates[m].article;
            let k = *number.entry(a.id.clone()).or_insert_with(|| {
                sources.push(BriefSource {
                    n: sources.len() + 1,
                    article_id: a.id.clone(),
                    title: a.title.clone(),
                    source: a.source.clone(),
                    published: a.published.map(|d| d.to_rfc3339()),
                    url: a.url.clone(),
                });
                sources.len()
            });
            if !cites.contains(&k) {
                cites.push(k);
            }
        }
        let c = &candidates[rep];
        bullets.push(Bullet {
            text: c.text().to_string(),
            citations: cites,
            start: c.span.start,
            end: c.span.end,
        });
    }
    let title = format!("Briefing: {}", req.topic.trim());
    let generated_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let markdown = markdown(&title, &generated_at, &bullets, &sources);
    Ok(BriefResponse {
        title,
        topic: req.topic.clone(),
        generated_at,
        bullets,
        sources,
        words,
        markdown,
    })
}

fn markdown(
    title: &str,
    generated_at: &str,
    bullets: &[Bullet],
    sources: &[BriefSource],
) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# {title}\n");
    let _ = writeln!(
        md,
        "_{} bullet(s) from {} source(s), generated {generated_at}._\n",
        bullets.len(),
        sources.len()
    );
    if bullets.is_empty() {
        let _ = writeln!(md, "Nothing in the corpus matches this topic.");
    }
    for b in bullets {
        let refs: String = b.citations.iter().map(|n| format!("[{n}]")).collect();
        let _ = writeln!(md, "- {} {refs}", b.text.trim());
    }
    if !sources.is_empty() {
        let _ = writeln!(md, "\n## Sources\n");
        for s in sources {
            let date = s
                .published
                .as_deref()
                .map(|d| d.get(..10).unwrap_or(d))
                .unwrap_or("undated");
            let src = s.source.as_deref().unwrap_or("unknown source");
            match &s.url {
                Some(u) => {
                    let _ = writeln!(md, "{}. [{}]({u}) — {src}, {date}", s.n, s.title);
                }
                None => {
                    let _ = writeln!(md, "{}. {} — {src}, {date}", s.n, s.title);
                }
            }
        }
    }
    md
}

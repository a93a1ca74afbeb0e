//! `brief`: a briefing note on a topic, extractive and cited.
//!
//! Retrieve widely → candidate sentences (only from articles since `since`, when given) →
//! collapse near-duplicates (the same wire copy printed by several outlets becomes one bullet
//! citing all of them) → pick bullets greedily by relevance, centrality among the relevant
//! sentences, and novelty against the bullets already chosen, spreading over articles and
//! capping one publisher's share, under a word budget → group them by story, each section led
//! by the lead sentence of one of its articles when that is relevant, with how many sources
//! report it → key figures pulled out of the bullets → JSON with numbered sources and the same
//! note as Markdown, by story or as a dated timeline.

use std::collections::HashMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ask::{gather_candidates, Candidate};
use super::lexical::{jaccard, Lexicon, PoolIdf};
use super::retrieve::{retrieve, Mode};
use super::typed::{key_figures as key_figures_in, FigureKind};
use super::when::TimeScope;
use super::{check_query, dot, FilterSpec};
use crate::article::Span;
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
    /// `stories` (default: one section per story) or `timeline` (dated bullets, oldest first).
    #[serde(default)]
    pub format: Option<BriefFormat>,
    /// Only what is new since then (RFC 3339, `YYYY-MM-DD` or an age like `2d`): only stories
    /// with articles since, and only those articles' sentences.
    #[serde(default)]
    pub since: Option<String>,
    /// Write the note as of this time (RFC 3339 or `YYYY-MM-DD`, that whole day): only articles
    /// published by then; "last month", "this week" in the topic read from it (default: now).
    #[serde(default)]
    pub as_of: Option<String>,
}

/// How a note is laid out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum BriefFormat {
    /// One section per story: its lead, then supporting sentences from other outlets.
    #[default]
    Stories,
    /// Every bullet with its date, oldest first.
    Timeline,
}

/// One section of a note: the bullets of one story.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BriefSection {
    /// The story (`GET /v1/stories/{id}`), when the articles have one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub story_id: Option<u64>,
    /// The story's headline (its most central article's).
    pub headline: String,
    /// Distinct publishers carrying the story.
    pub reported_by: usize,
    /// Articles in the story.
    pub articles: usize,
    /// Indexes into `bullets`: the lead first, then the supporting ones.
    pub bullets: Vec<usize>,
}

/// A figure stated in a bullet.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct KeyFigure {
    /// As written ("₹500 crore", "90 industry associations").
    pub text: String,
    pub kind: FigureKind,
    /// The bullet stating it (index into `bullets`).
    pub bullet: usize,
    /// Numbers into `sources`.
    pub citations: Vec<usize>,
    /// Byte span in the first cited article.
    pub start: usize,
    /// End of that span.
    pub end: usize,
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
    /// Publication date of the first cited article (`YYYY-MM-DD`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
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
    /// `stories` or `timeline`.
    pub format: BriefFormat,
    /// The bullets: by section in `stories`, oldest first in `timeline`.
    pub bullets: Vec<Bullet>,
    /// The bullets by story, the best covered and most relevant first (empty in `timeline`).
    pub sections: Vec<BriefSection>,
    /// Amounts, shares and counts the bullets state, with their citations.
    pub key_figures: Vec<KeyFigure>,
    /// Cited articles, numbered.
    pub sources: Vec<BriefSource>,
    /// Words in the bullets.
    pub words: usize,
    /// The same note as Markdown.
    pub markdown: String,
    /// The dates the topic or `as_of` spoke of, as applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_scope: Option<TimeScope>,
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
    let mut filters = req.filters.clone().unwrap_or_default().to_filters()?;
    let format = req.format.unwrap_or_default();
    let time = super::when::request_time(&req.topic, req.as_of.as_deref(), &mut filters)?;
    if let Some(since) = req.since.as_deref() {
        let ts = super::stories::parse_time_bound(since, false, chrono::Utc::now().timestamp())?;
        let at = chrono::DateTime::from_timestamp(ts, 0)
            .map(|d| d.fixed_offset())
            .ok_or_else(|| Error::invalid("invalid_time", "since is out of range"))?;
        filters = filters.within(Some(at), None);
    }
    let p = r.ranking().brief;
    let lex = Lexicon::default();
    let mode = req.mode.unwrap_or_default();
    let gather =
        |r: &mut Reader, filters: &crate::index::Filters| -> Result<(usize, Vec<Candidate>)> {
            let hits = retrieve(r, &req.topic, topic_vec, p.depth, filters, mode)?;
            let all = gather_candidates(r, &lex, &hits, topic_vec)?;
            let read = all.len();
            let kept = all
                .into_iter()
                .filter(|c| c.text().split_whitespace().count() >= p.min_words)
                .filter(|c| time.window.admits(c.article.published))
                .collect();
            Ok((read, kept))
        };
    let (read, mut candidates) = gather(r, &filters)?;
    // Every sentence read lies outside the period the topic names: read again among that
    // period's articles only.
    if candidates.is_empty() && read > 0 {
        if let Some(narrowed) = time.window.narrow(&filters) {
            candidates = gather(r, &narrowed)?.1;
        }
    }
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
    let source_of = |i: usize| {
        candidates[i]
            .article
            .source
            .as_deref()
            .map(crate::index::normalize_label)
            .unwrap_or_else(|| candidates[i].article.id.clone())
    };
    let several_sources = reps
        .iter()
        .map(|r| source_of(r.0))
        .collect::<std::collections::HashSet<_>>()
        .len()
        > 1;
    let source_cap = (p.max_source_share * max_words as f32) as usize;
    let mut per_source: HashMap<String, usize> = HashMap::new();
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
            if several_sources
                && per_source.get(&source_of(*i)).unwrap_or(&0) + w > source_cap.max(w)
            {
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
        let w = candidates[i].text().split_whitespace().count();
        words += w;
        *per_source.entry(source_of(i)).or_insert(0) += w;
        *per_article
            .entry(candidates[i].article.id.as_str())
            .or_insert(0) += 1;
        chosen.push(ri);
    }

    // Stories of the chosen bullets, read once (the story lock is not held across reads).
    let (story_of, story_info): (HashMap<String, u64>, HashMap<u64, StoryInfo>) = {
        let book = r.engine().stories();
        let mut of = HashMap::new();
        let mut info = HashMap::new();
        for c in &candidates {
            if let Some(sid) = book.story_of(&c.article.id) {
                of.insert(c.article.id.clone(), sid);
                info.entry(sid).or_insert_with(|| {
                    let s = book.summary(sid);
                    let leads = book.member_leads(sid);
                    match s {
                        Some(s) => (s.headline, s.sources, s.articles, leads),
                        None => (String::new(), 1, 1, leads),
                    }
                });
            }
        }
        (of, info)
    };
    let story_key = |i: usize| -> StoryKey {
        match story_of.get(&candidates[i].article.id) {
            Some(&sid) => StoryKey::Story(sid),
            None => StoryKey::Article(candidates[i].article.id.clone()),
        }
    };

    // Each story's section leads with the lead sentence of one of its articles when that is a
    // relevant candidate: the sentence that says what happened.
    let mut stories_chosen: Vec<StoryKey> = Vec::new();
    for &ri in &chosen {
        let key = story_key(reps[ri].0);
        if !stories_chosen.contains(&key) {
            stories_chosen.push(key);
        }
    }
    let mut lead_of: HashMap<StoryKey, usize> = HashMap::new(); // story → index into reps
    for key in &stories_chosen {
        let StoryKey::Story(sid) = key else { continue };
        let leads = &story_info[sid].3;
        let lead_rep = reps.iter().enumerate().find(|(_, (i, group))| {
            relevance[*i] >= p.min_relevance_share * best_relevance
                && std::iter::once(i).chain(group.iter()).any(|&m| {
                    leads.iter().any(|(id, span)| {
                        *id == candidates[m].article.id && *span == candidates[m].span
                    })
                })
        });
        if let Some((ri, (i, _))) = lead_rep {
            if !chosen.contains(&ri) {
                let w = candidates[*i].text().split_whitespace().count();
                // Make room by dropping the section's weakest bullet when the lead does not fit.
                if words + w > max_words {
                    let weakest = chosen
                        .iter()
                        .enumerate()
                        .filter(|(_, &c)| story_key(reps[c].0) == *key)
                        .min_by(|a, b| relevance[reps[*a.1].0].total_cmp(&relevance[reps[*b.1].0]))
                        .map(|(pos, _)| pos);
                    match weakest {
                        Some(pos)
                            if words
                                - candidates[reps[chosen[pos]].0]
                                    .text()
                                    .split_whitespace()
                                    .count()
                                + w
                                <= max_words =>
                        {
                            words -= candidates[reps[chosen[pos]].0]
                                .text()
                                .split_whitespace()
                                .count();
                            chosen.remove(pos);
                        }
                        _ => continue,
                    }
                }
                words += w;
                chosen.push(ri);
            }
            lead_of.insert(key.clone(), ri);
        }
    }

    // Sections: the best relevance among their bullets orders them; inside, the lead, then the
    // rest by relevance. A timeline is every bullet oldest first.
    let date_order = |a: &usize, b: &usize| {
        let (ca, cb) = (&candidates[reps[*a].0], &candidates[reps[*b].0]);
        ca.article
            .published
            .cmp(&cb.article.published)
            .then(ca.article.id.cmp(&cb.article.id))
            .then(ca.index.cmp(&cb.index))
    };
    let mut groups: Vec<(StoryKey, Vec<usize>)> = Vec::new();
    for &ri in &chosen {
        let key = story_key(reps[ri].0);
        match groups.iter_mut().find(|g| g.0 == key) {
            Some(g) => g.1.push(ri),
            None => groups.push((key, vec![ri])),
        }
    }
    for (key, members) in &mut groups {
        let lead = lead_of.get(key).copied();
        members.sort_by(|a, b| {
            (Some(*b) == lead)
                .cmp(&(Some(*a) == lead))
                .then(relevance[reps[*b].0].total_cmp(&relevance[reps[*a].0]))
                .then(date_order(a, b))
        });
    }
    let best_of = |g: &(StoryKey, Vec<usize>)| {
        g.1.iter()
            .map(|&ri| relevance[reps[ri].0])
            .fold(f32::MIN, f32::max)
    };
    groups.sort_by(|a, b| best_of(b).total_cmp(&best_of(a)));
    let order: Vec<usize> = match format {
        BriefFormat::Stories => groups.iter().flat_map(|g| g.1.iter().copied()).collect(),
        BriefFormat::Timeline => {
            let mut v = chosen.clone();
            v.sort_by(date_order);
            v
        }
    };

    let mut sources: Vec<BriefSource> = Vec::new();
    let mut number: HashMap<String, usize> = HashMap::new();
    let mut bullets = Vec::new();
    let mut bullet_of: HashMap<usize, usize> = HashMap::new();
    for &ri in &order {
        let (rep, ref group) = reps[ri];
        let mut cites = Vec::new();
        let mut members = vec![rep];
        members.extend(group.iter().copied().filter(|&m| m != rep));
        for m in members {
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
        bullet_of.insert(ri, bullets.len());
        bullets.push(Bullet {
            text: c.text().to_string(),
            citations: cites,
            start: c.span.start,
            end: c.span.end,
            date: c
                .article
                .published
                .map(|d| d.format("%Y-%m-%d").to_string()),
        });
    }
    let sections = match format {
        BriefFormat::Timeline => Vec::new(),
        BriefFormat::Stories => groups
            .iter()
            .map(|(key, members)| {
                let first = &candidates[reps[members[0]].0];
                let (story_id, headline, reported_by, articles) = match key {
                    StoryKey::Story(sid) => {
                        let (h, s, a, _) = &story_info[sid];
                        (Some(*sid), h.clone(), *s, *a)
                    }
                    StoryKey::Article(_) => (None, first.article.title.clone(), 1, 1),
                };
                BriefSection {
                    story_id,
                    headline,
                    reported_by,
                    articles,
                    bullets: members.iter().map(|ri| bullet_of[ri]).collect(),
                }
            })
            .collect(),
    };
    let mut key_figures: Vec<KeyFigure> = Vec::new();
    for (bi, b) in bullets.iter().enumerate() {
        for (range, kind) in key_figures_in(&b.text) {
            let text = b.text[range.clone()].to_string();
            if key_figures.iter().any(|f| f.text == text) {
                continue;
            }
            key_figures.push(KeyFigure {
                text,
                kind,
                bullet: bi,
                citations: b.citations.clone(),
                start: b.start + range.start,
                end: b.start + range.end,
            });
        }
    }
    let title = format!("Briefing: {}", req.topic.trim());
    let generated_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let markdown = markdown(
        &title,
        &generated_at,
        format,
        &bullets,
        &sections,
        &key_figures,
        &sources,
    );
    Ok(BriefResponse {
        title,
        topic: req.topic.clone(),
        generated_at,
        format,
        bullets,
        sections,
        key_figures,
        sources,
        words,
        markdown,
        time_scope: time.scope,
    })
}

/// What a note shows of a story: headline, sources, articles, and its members' lead spans.
type StoryInfo = (String, usize, usize, Vec<(String, Span)>);

/// What a bullet is grouped under: its article's story, or the article alone when it has none.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum StoryKey {
    Story(u64),
    Article(String),
}

fn markdown(
    title: &str,
    generated_at: &str,
    format: BriefFormat,
    bullets: &[Bullet],
    sections: &[BriefSection],
    figures: &[KeyFigure],
    sources: &[BriefSource],
) -> String {
    let refs = |c: &[usize]| -> String { c.iter().map(|n| format!("[{n}]")).collect() };
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
    match format {
        BriefFormat::Stories => {
            for s in sections {
                let _ = writeln!(md, "## {}\n", s.headline.trim());
                let outlets = if s.reported_by == 1 {
                    "source"
                } else {
                    "sources"
                };
                let _ = writeln!(md, "_Reported by {} {outlets}._\n", s.reported_by);
                for &bi in &s.bullets {
                    let b = &bullets[bi];
                    let _ = writeln!(md, "- {} {}", b.text.trim(), refs(&b.citations));
                }
                let _ = writeln!(md);
            }
        }
        BriefFormat::Timeline => {
            for b in bullets {
                let date = b.date.as_deref().unwrap_or("undated");
                let _ = writeln!(
                    md,
                    "- **{date}** — {} {}",
                    b.text.trim(),
                    refs(&b.citations)
                );
            }
            let _ = writeln!(md);
        }
    }
    if !figures.is_empty() {
        let _ = writeln!(md, "## Key figures\n");
        for f in figures {
            let _ = writeln!(md, "- {} {}", f.text, refs(&f.citations));
        }
        let _ = writeln!(md);
    }
    if !sources.is_empty() {
        let _ = writeln!(md, "## Sources\n");
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

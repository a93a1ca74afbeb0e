//! Stories: one event followed across outlets. Each article, as it arrives, is checked for
//! being a reprint of a stored one ([`signature`]) and then joins the story it is closest to, or
//! starts a new one.
//!
//! An article's story evidence ([`StoryFeatures`]) is the embedding of its headline and lead
//! sentence, the analyzer terms of both, the names they mention, its MinHash signature and its
//! time. A story is the set of its members: the mean of their vectors, how many members use each
//! term, and the span of their times. A new article is scored against every story active within
//! [`StoryParams::window_secs`] of its time: mean cosine to the members (average linkage, online)
//! plus [`StoryParams::lexical_weight`] times the idf-weighted share of its terms that the
//! members use; it joins the best story scoring at least [`StoryParams::join_threshold`]. A
//! reprint joins its original's story and is recorded as `duplicate_of` it.
//!
//! The assignment of every article ([`StoryLink`]) is written by the store in the same
//! transaction as the article, so stories survive restarts unchanged; [`StoryBook`] is the
//! in-memory view rebuilt from those links at open. A re-posted article is taken out of its story
//! and assigned again; a deleted one leaves its story (an empty story is gone).

pub mod signature;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use crate::article::{Article, Span};
use crate::index::analyzer::query_terms;
use signature::{LshTable, Signature, DUPLICATE_JACCARD};

/// The settings of story assignment (fitted with `newsdesk-lab eval stories`, EVAL.md).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StoryParams {
    /// Lowest score at which an article joins a story rather than starting one.
    pub join_threshold: f32,
    /// Weight of the shared-terms share against the cosine.
    pub lexical_weight: f32,
    /// Two stories whose similarity (mean cosine between their members plus `lexical_weight`
    /// times the overlap of their terms) reaches this merge into one: the first reports of an
    /// event often start two stories that later articles show to be one.
    pub merge_threshold: f32,
    /// An article joins only stories with a member within this many seconds of its time.
    pub window_secs: i64,
    /// Estimated shingle Jaccard at or above which an article is a reprint.
    pub duplicate_jaccard: f32,
}

impl Default for StoryParams {
    fn default() -> Self {
        StoryParams {
            join_threshold: 0.35,
            lexical_weight: 1.0,
            merge_threshold: 0.33,
            window_secs: 3 * 86_400,
            duplicate_jaccard: DUPLICATE_JACCARD,
        }
    }
}

/// What story assignment knows of one article.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoryFeatures {
    /// L2-normalised embedding of [`story_text`].
    pub vector: Vec<f32>,
    /// Distinct analyzer terms of the headline and lead.
    pub terms: Vec<String>,
    /// Names the headline and lead mention (organisations, people, places, schemes), an
    /// acronym standing for its spelled-out form.
    pub names: Vec<String>,
    /// MinHash of the body, when it is long enough to judge reprints.
    pub signature: Option<Signature>,
    /// Publication time (Unix seconds), else when it was first stored.
    pub ts: i64,
    /// Headline.
    pub title: String,
    /// Publisher.
    pub source: Option<String>,
    /// The lead sentence's span in the body.
    pub lead: Option<Span>,
}

/// An article's place among stories, stored with the article.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoryLink {
    /// The story it belongs to.
    pub story: u64,
    /// The earlier article it reprints, if it is a near-copy.
    pub duplicate_of: Option<String>,
    /// The evidence it was assigned with.
    pub features: StoryFeatures,
}

/// The text whose embedding stands for an article in story assignment: the headline and the
/// lead sentence (the headline alone when there is no body).
pub fn story_text(article: &Article, sentences: &[Span]) -> String {
    match lead_span(article, sentences) {
        Some(s) => format!("{}\n{}", article.title.trim(), s.text(&article.body).trim()),
        None => article.title.trim().to_string(),
    }
}

/// The first sentence that reads as prose: at least five words, two of them lower-case (not a
/// dateline such as "Sunday, May 28, 2006" or a photo credit).
fn lead_span(article: &Article, sentences: &[Span]) -> Option<Span> {
    let prose = |s: &Span| {
        let words: Vec<&str> = s.text(&article.body).split_whitespace().collect();
        words.len() >= 5
            && words
                .iter()
                .filter(|w| w.chars().next().is_some_and(char::is_lowercase))
                .count()
                >= 2
    };
    sentences
        .iter()
        .copied()
        .find(prose)
        .or_else(|| sentences.first().copied())
}

impl StoryFeatures {
    /// The features of an article from its sentences and the embedding of its [`story_text`].
    /// `now` (Unix seconds) stands in for an unknown publication time.
    pub fn of(article: &Article, sentences: &[Span], vector: Vec<f32>, now: i64) -> Self {
        let lead = lead_span(article, sentences);
        let lead_text = lead.map_or("", |s| s.text(&article.body));
        let mut terms: Vec<String> = query_terms(&format!("{}\n{lead_text}", article.title));
        let mut seen = BTreeSet::new();
        terms.retain(|t| seen.insert(t.clone()));
        let mut names = names(lead_text);
        for n in names_in_headline(&article.title) {
            if !names.contains(&n) {
                names.push(n);
            }
        }
        StoryFeatures {
            vector,
            terms,
            names,
            signature: Signature::of(&article.body),
            ts: article.published.map_or(now, |d| d.timestamp()),
            title: article.title.clone(),
            source: article.source.clone(),
            lead,
        }
    }
}

/// Words that start a capitalised run without being part of a name.
const NOT_NAMES: &[&str] = &[
    "A",
    "An",
    "The",
    "This",
    "That",
    "These",
    "Those",
    "It",
    "Its",
    "He",
    "She",
    "They",
    "We",
    "In",
    "On",
    "At",
    "For",
    "With",
    "By",
    "From",
    "As",
    "After",
    "Before",
    "During",
    "And",
    "But",
    "Or",
    "Of",
    "To",
    "If",
    "When",
    "While",
    "According",
    "Also",
    "However",
    "Meanwhile",
    "Mr",
    "Ms",
    "Dr",
    "Shri",
    "Smt",
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// Lower-case words allowed inside a name ("Bank of India", "Ministry of Micro, Small and
/// Medium Enterprises").
const NAME_JOINERS: &[&str] = &["of", "for", "and", "&", "de", "la"];

fn is_capitalised(w: &str) -> bool {
    w.chars().next().is_some_and(char::is_uppercase)
}

fn is_acronym(w: &str) -> bool {
    w.chars().filter(|c| c.is_uppercase()).count() >= 2 && !w.chars().any(char::is_lowercase)
        || w.chars().filter(|c| c.is_uppercase()).count() >= 3
}

/// Names in prose: runs of capitalised words (with "of", "and" inside), acronyms; a run
/// followed by its acronym in brackets ("Small Industries Development Bank of India (SIDBI)")
/// is one name, the acronym.
pub fn names(text: &str) -> Vec<String> {
    let words: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | ':' | '"' | '“' | '”'))
        .filter(|w| !w.is_empty())
        .collect();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let w = words[i].trim_matches(|c: char| !c.is_alphanumeric() && c != '&');
        if !is_capitalised(w) || NOT_NAMES.contains(&w) {
            i += 1;
            continue;
        }
        let mut run = vec![w];
        let mut j = i + 1;
        let ends_here = |raw: &str| raw.ends_with(['.', ')', '?', '!']);
        let mut closed = ends_here(words[i]);
        while j < words.len() && !closed {
            let raw = words[j];
            let v = raw.trim_matches(|c: char| !c.is_alphanumeric() && c != '&');
            if raw.starts_with('(') {
                break;
            }
            let name_word = is_capitalised(v) && !NOT_NAMES.contains(&v);
            let joiner = NAME_JOINERS.contains(&v)
                && words
                    .get(j + 1)
                    .is_some_and(|n| is_capitalised(n.trim_start_matches(['(', '"'])));
            if !(name_word || joiner) {
                break;
            }
            run.push(v);
            closed = ends_here(raw);
            j += 1;
        }
        while run.last().is_some_and(|w| NAME_JOINERS.contains(w)) {
            run.pop();
        }
        // "… Bank of India (SIDBI)": the acronym names the run.
        let bracket = words
            .get(j)
            .filter(|raw| raw.starts_with('('))
            .map(|raw| raw.trim_matches(|c: char| !c.is_alphanumeric()));
        let initials: String = run
            .iter()
            .filter(|w| !NAME_JOINERS.contains(w))
            .filter_map(|w| w.chars().next())
            .collect();
        let name = match bracket {
            Some(acr) if is_acronym(acr) && initials.starts_with(&acr[..1]) && run.len() >= 2 => {
                j += 1;
                acr.to_string()
            }
            _ => run.join(" "),
        };
        // A lone capitalised word at the start of the text is just the first word.
        let lone_start = i == 0 && run.len() == 1 && !is_acronym(&name);
        if !lone_start && name.chars().count() >= 2 && !out.contains(&name) {
            out.push(name);
        }
        i = j.max(i + 1);
    }
    out
}

/// Names in a headline: a headline in title case capitalises every word, so only its acronyms
/// count; one in sentence case is read like prose.
fn names_in_headline(title: &str) -> Vec<String> {
    let words: Vec<&str> = title.split_whitespace().collect();
    let caps = words.iter().filter(|w| is_capitalised(w)).count();
    if words.len() >= 3 && caps * 10 >= words.len() * 7 {
        let mut out = Vec::new();
        for w in words {
            let w = w.trim_matches(|c: char| !c.is_alphanumeric());
            if is_acronym(w) && !out.iter().any(|x: &String| x == w) {
                out.push(w.to_string());
            }
        }
        out
    } else {
        names(title)
    }
}

/// One story in memory.
#[derive(Debug, Clone)]
struct Story {
    members: BTreeSet<String>,
    /// Sum of the members' vectors.
    sum: Vec<f32>,
    /// Members using each term.
    terms: HashMap<String, u32>,
    first: i64,
    last: i64,
}

/// What [`StoryBook::assign`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct Assigned {
    /// The article's link.
    pub link: StoryLink,
    /// Other articles whose story changed because two stories merged.
    pub moved: Vec<String>,
}

/// Where an article goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    /// The story (an existing one, or a new id).
    pub story: u64,
    /// The article it reprints.
    pub duplicate_of: Option<String>,
}

/// A story as listed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StorySummary {
    /// Story id.
    pub id: u64,
    /// The most central member (closest to the story's mean vector; earliest on ties).
    pub central: String,
    /// Its headline.
    pub headline: String,
    /// Earliest member time (Unix seconds).
    pub first_seen: i64,
    /// Latest member time.
    pub last_seen: i64,
    /// Members.
    pub articles: usize,
    /// Distinct publishers among the members.
    pub sources: usize,
    /// Members that are reprints of another member.
    pub duplicates: usize,
    /// The names most members mention, with how many do.
    pub entities: Vec<(String, usize)>,
}

/// A member of a story.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoryMember {
    pub article_id: String,
    pub title: String,
    pub source: Option<String>,
    /// Unix seconds.
    pub ts: i64,
    pub duplicate_of: Option<String>,
    /// Cosine to the story's mean vector.
    pub centrality: f32,
}

/// The in-memory view of every story. Not synchronised: the engine holds it behind a lock and
/// changes it only under its write lock.
#[derive(Debug)]
pub struct StoryBook {
    params: StoryParams,
    stories: BTreeMap<u64, Story>,
    links: HashMap<String, StoryLink>,
    /// Articles using each term (for idf).
    df: HashMap<String, u32>,
    lsh: LshTable,
    /// Reprints of each article.
    copies: HashMap<String, BTreeSet<String>>,
    next_id: u64,
}

impl StoryBook {
    /// An empty book.
    pub fn new(params: StoryParams) -> Self {
        StoryBook {
            params,
            stories: BTreeMap::new(),
            links: HashMap::new(),
            df: HashMap::new(),
            lsh: LshTable::default(),
            copies: HashMap::new(),
            next_id: 1,
        }
    }

    /// The book of stored links; story ids continue after `next_id` (the store's counter) and
    /// after every stored one.
    pub fn from_links(
        params: StoryParams,
        links: impl IntoIterator<Item = (String, StoryLink)>,
        next_id: u64,
    ) -> Self {
        let mut book = StoryBook::new(params);
        book.next_id = next_id.max(1);
        for (id, link) in links {
            book.insert(&id, link);
        }
        book
    }

    /// Number of stories.
    pub fn len(&self) -> usize {
        self.stories.len()
    }

    /// True when there is no story.
    pub fn is_empty(&self) -> bool {
        self.stories.is_empty()
    }

    /// The next story id a new story would get.
    pub fn next_id(&self) -> u64 {
        self.next_id
    }

    fn idf(&self, term: &str) -> f32 {
        let n = self.links.len() as f32;
        let df = *self.df.get(term).unwrap_or(&0) as f32;
        (1.0 + (n + 1.0) / (df + 1.0)).ln()
    }

    /// Weighted share of `weighted` terms that the story's members use, each term counting by
    /// the share of members using it.
    fn member_share<'t>(weighted: impl Iterator<Item = (&'t str, f32)>, story: &Story) -> f32 {
        let n = story.members.len().max(1) as f32;
        let (mut total, mut hit) = (0.0, 0.0);
        for (t, w) in weighted {
            total += w;
            hit += w * (*story.terms.get(t).unwrap_or(&0) as f32 / n).min(1.0);
        }
        if total > 0.0 {
            hit / total
        } else {
            0.0
        }
    }

    /// Idf-weighted share of `terms` that the story's members use.
    fn lexical(&self, terms: &[String], story: &Story) -> f32 {
        Self::member_share(terms.iter().map(|t| (t.as_str(), self.idf(t))), story)
    }

    /// How well an article fits a story: mean cosine to the members plus the weighted share of
    /// its terms they use.
    fn fit(&self, f: &StoryFeatures, story: &Story) -> f32 {
        let n = story.members.len().max(1) as f32;
        crate::index::dot(&f.vector, &story.sum) / n
            + self.params.lexical_weight * self.lexical(&f.terms, story)
    }

    /// The stored article `f` reprints, if any: the closest signature at or above the
    /// threshold, earliest on ties; always the original, never a reprint of it.
    fn original_of(&self, id: &str, f: &StoryFeatures) -> Option<String> {
        let sig = f.signature.as_ref()?;
        let mut best: Option<(f32, i64, &str)> = None;
        for cand in self.lsh.candidates(sig) {
            if cand == id {
                continue;
            }
            let Some(link) = self.links.get(cand) else {
                continue;
            };
            let Some(other) = &link.features.signature else {
                continue;
            };
            let s = sig.similarity(other);
            if s < self.params.duplicate_jaccard {
                continue;
            }
            let better = match best {
                None => true,
                Some((bs, bt, bid)) => s > bs || (s == bs && (link.features.ts, cand) < (bt, bid)),
            };
            if better {
                best = Some((s, link.features.ts, cand));
            }
        }
        best.map(|(_, _, cand)| self.canonical(cand).to_string())
    }

    /// Where article `id` with features `f` would go now (the book is not changed).
    pub fn plan(&self, id: &str, f: &StoryFeatures) -> Assignment {
        if let Some(orig) = self.original_of(id, f) {
            if let Some(link) = self.links.get(&orig) {
                return Assignment {
                    story: link.story,
                    duplicate_of: Some(orig),
                };
            }
        }
        let w = self.params.window_secs;
        let best = self
            .stories
            .iter()
            .filter(|(_, s)| f.ts >= s.first - w && f.ts <= s.last + w)
            .map(|(&sid, s)| (self.fit(f, s), sid))
            .max_by(|a, b| a.0.total_cmp(&b.0).then(b.1.cmp(&a.1)));
        match best {
            Some((score, sid)) if score >= self.params.join_threshold => Assignment {
                story: sid,
                duplicate_of: None,
            },
            _ => Assignment {
                story: self.next_id,
                duplicate_of: None,
            },
        }
    }

    /// Plans and inserts in one step, then merges the article's story with any story it now
    /// shows to be the same event. An article already in the book is taken out first (a
    /// re-post is assigned again). Returns the article's link and the other articles whose
    /// story changed in a merge (their links must be stored again).
    pub fn assign(&mut self, id: &str, features: StoryFeatures) -> Assigned {
        self.remove(id);
        let a = self.plan(id, &features);
        let link = StoryLink {
            story: a.story,
            duplicate_of: a.duplicate_of,
            features,
        };
        self.insert(id, link);
        let mut moved = self.merge_around(a.story);
        moved.retain(|m| m != id);
        Assigned {
            link: self.links[id].clone(),
            moved,
        }
    }

    /// Similarity of two stories: the mean cosine over member pairs, plus `lexical_weight`
    /// times the mean of the two directed term overlaps.
    fn story_similarity(&self, a: &Story, b: &Story) -> f32 {
        let (na, nb) = (a.members.len().max(1) as f32, b.members.len().max(1) as f32);
        let cos = crate::index::dot(&a.sum, &b.sum) / (na * nb);
        // The terms of `x`, weighted by idf and by the share of x's members using them.
        let directed = |x: &Story, nx: f32, y: &Story| {
            let weighted = x
                .terms
                .iter()
                .map(|(t, &c)| (t.as_str(), self.idf(t) * c as f32 / nx));
            Self::member_share(weighted, y)
        };
        let lex = 0.5 * (directed(a, na, b) + directed(b, nb, a));
        cos + self.params.lexical_weight * lex
    }

    /// Merges story `sid` with every story in its time window similar enough, most similar
    /// first, keeping the older (smaller) id; returns the members whose story changed.
    fn merge_around(&mut self, mut sid: u64) -> Vec<String> {
        let mut moved = Vec::new();
        let w = self.params.window_secs;
        while let Some(s) = self.stories.get(&sid) {
            let best = self
                .stories
                .iter()
                .filter(|(&t, o)| t != sid && o.first <= s.last + w && o.last >= s.first - w)
                .map(|(&t, o)| (self.story_similarity(s, o), t))
                .filter(|(sim, _)| *sim >= self.params.merge_threshold)
                .max_by(|a, b| a.0.total_cmp(&b.0).then(b.1.cmp(&a.1)));
            let Some((_, other)) = best else {
                break;
            };
            let (keep, gone) = (sid.min(other), sid.max(other));
            moved.extend(self.merge(keep, gone));
            sid = keep;
        }
        moved.sort();
        moved.dedup();
        moved
    }

    /// Moves every member of story `gone` into story `keep`; returns them.
    fn merge(&mut self, keep: u64, gone: u64) -> Vec<String> {
        let Some(g) = self.stories.remove(&gone) else {
            return Vec::new();
        };
        let k = self.stories.get_mut(&keep).expect("merge target exists");
        for (s, x) in k.sum.iter_mut().zip(&g.sum) {
            *s += x;
        }
        for (t, c) in g.terms {
            *k.terms.entry(t).or_insert(0) += c;
        }
        k.first = k.first.min(g.first);
        k.last = k.last.max(g.last);
        let moved: Vec<String> = g.members.into_iter().collect();
        for m in &moved {
            k.members.insert(m.clone());
            if let Some(l) = self.links.get_mut(m) {
                l.story = keep;
            }
        }
        moved
    }

    /// Adds an article with its link.
    pub fn insert(&mut self, id: &str, link: StoryLink) {
        self.remove(id);
        let f = &link.features;
        let story = self.stories.entry(link.story).or_insert_with(|| Story {
            members: BTreeSet::new(),
            sum: vec![0.0; f.vector.len()],
            terms: HashMap::new(),
            first: f.ts,
            last: f.ts,
        });
        story.members.insert(id.to_string());
        if story.sum.len() == f.vector.len() {
            for (s, x) in story.sum.iter_mut().zip(&f.vector) {
                *s += x;
            }
        }
        for t in &f.terms {
            *story.terms.entry(t.clone()).or_insert(0) += 1;
            *self.df.entry(t.clone()).or_insert(0) += 1;
        }
        story.first = story.first.min(f.ts);
        story.last = story.last.max(f.ts);
        if let Some(sig) = &f.signature {
            self.lsh.insert(id, sig);
        }
        if let Some(orig) = &link.duplicate_of {
            self.copies
                .entry(orig.clone())
                .or_default()
                .insert(id.to_string());
        }
        self.next_id = self.next_id.max(link.story + 1);
        self.links.insert(id.to_string(), link);
    }

    /// Takes an article out of its story; returns its link.
    pub fn remove(&mut self, id: &str) -> Option<StoryLink> {
        let link = self.links.remove(id)?;
        let f = &link.features;
        for t in &f.terms {
            if let Some(c) = self.df.get_mut(t) {
                *c -= 1;
                if *c == 0 {
                    self.df.remove(t);
                }
            }
        }
        if let Some(sig) = &f.signature {
            self.lsh.remove(id, sig);
        }
        if let Some(orig) = &link.duplicate_of {
            if let Some(set) = self.copies.get_mut(orig) {
                set.remove(id);
                if set.is_empty() {
                    self.copies.remove(orig);
                }
            }
        }
        let mut empty = false;
        if let Some(story) = self.stories.get_mut(&link.story) {
            story.members.remove(id);
            if story.sum.len() == f.vector.len() {
                for (s, x) in story.sum.iter_mut().zip(&f.vector) {
                    *s -= x;
                }
            }
            for t in &f.terms {
                if let Some(c) = story.terms.get_mut(t) {
                    *c -= 1;
                    if *c == 0 {
                        story.terms.remove(t);
                    }
                }
            }
            empty = story.members.is_empty();
            if !empty {
                let times = story.members.iter().filter_map(|m| self.links.get(m));
                let (lo, hi) = times.fold((i64::MAX, i64::MIN), |(lo, hi), l| {
                    (lo.min(l.features.ts), hi.max(l.features.ts))
                });
                story.first = lo;
                story.last = hi;
            }
        }
        if empty {
            self.stories.remove(&link.story);
        }
        Some(link)
    }

    /// Deletes an article from the book. Its reprints, if it was an original, stay: the
    /// earliest becomes the original of the others. Returns the articles whose link changed
    /// (to be stored again), or `None` when the article was not in the book.
    pub fn delete(&mut self, id: &str) -> Option<Vec<String>> {
        self.remove(id)?;
        let Some(copies) = self.copies.remove(id) else {
            return Some(Vec::new());
        };
        let mut copies: Vec<String> = copies
            .into_iter()
            .filter(|c| self.links.contains_key(c))
            .collect();
        copies.sort_by_key(|c| (self.links[c].features.ts, c.clone()));
        let Some((first, rest)) = copies.split_first() else {
            return Some(Vec::new());
        };
        if let Some(l) = self.links.get_mut(first) {
            l.duplicate_of = None;
        }
        for c in rest {
            if let Some(l) = self.links.get_mut(c) {
                l.duplicate_of = Some(first.clone());
            }
        }
        if !rest.is_empty() {
            self.copies
                .insert(first.clone(), rest.iter().cloned().collect());
        }
        Some(copies)
    }

    /// An article's link.
    pub fn link(&self, article_id: &str) -> Option<&StoryLink> {
        self.links.get(article_id)
    }

    /// The story of an article.
    pub fn story_of(&self, article_id: &str) -> Option<u64> {
        self.links.get(article_id).map(|l| l.story)
    }

    /// The article a hit on `article_id` folds into: its original when it is a reprint of a
    /// stored article, else itself.
    pub fn canonical<'a>(&'a self, article_id: &'a str) -> &'a str {
        match self
            .links
            .get(article_id)
            .and_then(|l| l.duplicate_of.as_deref())
        {
            Some(orig) if self.links.contains_key(orig) => orig,
            _ => article_id,
        }
    }

    /// The stored reprints of an article, oldest first.
    pub fn copies_of(&self, article_id: &str) -> Vec<&str> {
        if !self.links.contains_key(article_id) {
            return Vec::new();
        }
        let mut v: Vec<&str> = self
            .copies
            .get(article_id)
            .into_iter()
            .flatten()
            .filter(|c| self.links.contains_key(c.as_str()))
            .map(String::as_str)
            .collect();
        v.sort_by_key(|c| (self.links[*c].features.ts, *c));
        v
    }

    /// Cosine of a query vector to a story's mean, and the share of the query's terms its
    /// members use; `None` for an unknown story.
    pub fn query_fit(&self, story: u64, q: &[f32], terms: &[String]) -> Option<(f32, f32)> {
        let s = self.stories.get(&story)?;
        let norm = s.sum.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-6);
        let cos = crate::index::dot(q, &s.sum) / norm;
        Some((cos, self.lexical(terms, s)))
    }

    /// How many articles mention each name (in their headline or lead).
    pub fn entity_counts(&self) -> BTreeMap<String, u64> {
        let mut out = BTreeMap::new();
        for link in self.links.values() {
            for n in &link.features.names {
                *out.entry(n.clone()).or_insert(0) += 1;
            }
        }
        out
    }

    /// Number of articles in a story.
    pub fn size(&self, story: u64) -> Option<usize> {
        self.stories.get(&story).map(|s| s.members.len())
    }

    /// The lead sentence of each member of a story that has one (in id order).
    pub fn member_leads(&self, story: u64) -> Vec<(String, Span)> {
        let Some(s) = self.stories.get(&story) else {
            return Vec::new();
        };
        s.members
            .iter()
            .filter_map(|id| Some((id.clone(), self.links.get(id)?.features.lead?)))
            .collect()
    }

    /// Members of a story, oldest first.
    pub fn members(&self, story: u64) -> Vec<StoryMember> {
        let Some(s) = self.stories.get(&story) else {
            return Vec::new();
        };
        let norm = s.sum.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-6);
        let mut out: Vec<StoryMember> = s
            .members
            .iter()
            .filter_map(|id| {
                let l = self.links.get(id)?;
                Some(StoryMember {
                    article_id: id.clone(),
                    title: l.features.title.clone(),
                    source: l.features.source.clone(),
                    ts: l.features.ts,
                    duplicate_of: l.duplicate_of.clone(),
                    centrality: crate::index::dot(&l.features.vector, &s.sum) / norm,
                })
            })
            .collect();
        out.sort_by(|a, b| a.ts.cmp(&b.ts).then(a.article_id.cmp(&b.article_id)));
        out
    }

    /// The summary of one story.
    pub fn summary(&self, story: u64) -> Option<StorySummary> {
        let s = self.stories.get(&story)?;
        let members = self.members(story);
        let central = members
            .iter()
            .max_by(|a, b| {
                a.centrality
                    .total_cmp(&b.centrality)
                    .then(b.ts.cmp(&a.ts))
                    .then(b.article_id.cmp(&a.article_id))
            })?
            .clone();
        let sources: BTreeSet<String> = members
            .iter()
            .map(|m| {
                m.source
                    .as_deref()
                    .map(crate::index::normalize_label)
                    .unwrap_or_else(|| format!("article:{}", m.article_id))
            })
            .collect();
        let mut names: HashMap<&str, usize> = HashMap::new();
        for m in &s.members {
            if let Some(l) = self.links.get(m) {
                for n in &l.features.names {
                    *names.entry(n.as_str()).or_insert(0) += 1;
                }
            }
        }
        let mut entities: Vec<(String, usize)> =
            names.into_iter().map(|(n, c)| (n.to_string(), c)).collect();
        entities.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        entities.truncate(8);
        Some(StorySummary {
            id: story,
            headline: central.title.clone(),
            central: central.article_id.clone(),
            first_seen: s.first,
            last_seen: s.last,
            articles: members.len(),
            sources: sources.len(),
            duplicates: members.iter().filter(|m| m.duplicate_of.is_some()).count(),
            entities,
        })
    }

    /// Every story with a member in `[since, until]` (Unix seconds, inclusive; `None` is
    /// open), most covered first (sources, then articles), then most recent.
    pub fn list(&self, since: Option<i64>, until: Option<i64>) -> Vec<StorySummary> {
        self.list_where(since, until, |_| true)
    }

    /// [`StoryBook::list`] of the stories `keep` accepts (asked before any summary is made).
    pub fn list_where(
        &self,
        since: Option<i64>,
        until: Option<i64>,
        keep: impl Fn(u64) -> bool,
    ) -> Vec<StorySummary> {
        let mut out: Vec<StorySummary> = self
            .stories
            .iter()
            .filter(|(&id, _)| keep(id))
            .filter(|(_, s)| {
                s.members.iter().any(|m| {
                    self.links.get(m).is_some_and(|l| {
                        since.is_none_or(|t| l.features.ts >= t)
                            && until.is_none_or(|t| l.features.ts <= t)
                    })
                })
            })
            .filter_map(|(&id, _)| self.summary(id))
            .collect();
        out.sort_by(|a, b| {
            b.sources
                .cmp(&a.sources)
                .then(b.articles.cmp(&a.articles))
                .then(b.last_seen.cmp(&a.last_seen))
                .then(a.id.cmp(&b.id))
        });
        out
    }
}

#[cfg(test)]
mod tests;

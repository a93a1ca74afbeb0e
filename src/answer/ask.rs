//! `ask`: a question in, 1–3 quoted sentences out, each cited; or `answered: false` with a
//! reason when the corpus does not answer it.
//!
//! Retrieve passages (hybrid) → score every sentence they hold against the question (sentence
//! vector, idf-weighted coverage of the question's key terms, the question's named entities,
//! the passage's rank, position in the article) → take the best, then up to two more by MMR
//! while they stay close in score and add something new → a calibrated confidence decides
//! whether to answer at all.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::lexical::{
    answer_kind, bigrams_of, has_answer_kind, jaccard, share_present, weighted_share, AnswerKind,
    ArticleTerms, Lexicon, PoolIdf,
};
use super::params::{AskParams, AskWeights, KindWeights};
use super::retrieve::{retrieve, Mode, RetrievedPassage};
use super::typed::{
    classify, find_answer, key_figures, resolve_date, FigureKind, QuestionShape, QuestionType,
    TypedAnswer,
};
use super::when::TimeScope;
use super::{check_k, check_query, dot, Citation, FilterSpec};
use crate::article::Article;
use crate::article::Span;
use crate::engine::Reader;
use crate::error::Result;
use crate::index::Filters;

/// The least typed-answer strength (`answer::typed`) for which a supporting (second or third)
/// answer sentence carries an `answer_span`.
const SUPPORT_SPAN_STRENGTH: f32 = 0.9;

/// `POST /v1/ask` body.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AskRequest {
    /// The question, in plain words.
    pub question: String,
    /// How many supporting passages to read and return (1–100, default 5).
    #[serde(default)]
    pub k: Option<usize>,
    /// Restrict to some sources, categories or dates.
    #[serde(default)]
    pub filters: Option<FilterSpec>,
    /// Retriever to use (default hybrid).
    #[serde(default)]
    pub mode: Option<Mode>,
    /// Answer as of this time (RFC 3339 or `YYYY-MM-DD`, that whole day): only articles
    /// published by then, and "last year", "this week" read from it (default: now).
    #[serde(default)]
    pub as_of: Option<String>,
}

/// One answer sentence, quoted exactly from an article.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AnswerSentence {
    /// The sentence as it stands in the article (`body[start..end]`).
    pub text: String,
    /// Where it comes from.
    pub citation: Citation,
    /// Its score against the question (higher is better).
    pub score: f32,
    /// For a question that wants a person, a list, an amount, a date or a place: the answer
    /// inside the sentence (byte offsets into the article body, like the citation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer_span: Option<AnswerSpan>,
    /// A relative date in the sentence ("on Wednesday", "yesterday", "last month") resolved
    /// against the article's date: ISO 8601 (`2026-03-18`, or `2026-02` for a month).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_date: Option<String>,
}

/// The answer within an answer sentence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AnswerSpan {
    /// Start byte in the article body.
    pub start: usize,
    /// End byte in the article body (exclusive).
    pub end: usize,
    /// `body[start..end]`.
    pub text: String,
}

/// A passage the answer was drawn from.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SupportingPassage {
    /// Passage id.
    pub passage_id: u64,
    /// The passage text.
    pub text: String,
    /// The passage's span in its article.
    pub citation: Citation,
    /// Retrieval score.
    pub score: f32,
}

/// `POST /v1/ask` response.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AskResponse {
    /// The question as asked.
    pub question: String,
    /// False when the corpus does not answer the question.
    pub answered: bool,
    /// Calibrated confidence in [0, 1] that the first sentence answers the question.
    pub confidence: f32,
    /// Why nothing was answered (only when `answered` is false).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<String>,
    /// 1–3 answer sentences, best first (empty when not answered).
    pub answer: Vec<AnswerSentence>,
    /// The passages read, best first.
    pub passages: Vec<SupportingPassage>,
    /// The dates the question spoke of ("in March 2026", "last year", "latest"), as applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_scope: Option<TimeScope>,
    /// When two reports give different figures for the same thing: which is the most recent
    /// (quoted first) and which is older.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disagreement: Option<String>,
}

/// Two sentences of different articles at least this close (cosine) that state different
/// amounts or shares of the same kind report the same figure differently.
pub const DISAGREE_COSINE: f32 = 0.75;

/// A sentence considered for an answer or a brief.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    /// Its article.
    pub article: Arc<Article>,
    /// Position in the article.
    pub index: usize,
    /// Span in the body.
    pub span: Span,
    /// Sentence vector.
    pub vector: Arc<[f32]>,
    /// Content stems, in order (word pairs are read off them).
    pub stems: Vec<String>,
    /// The same stems as a set.
    pub terms: HashSet<String>,
    /// Content stems of the sentence before it in its article (empty for a first sentence):
    /// an answer often follows the sentence that names its subject ("… convened a meeting. The
    /// meeting, chaired by X, …").
    pub previous: HashSet<String>,
    /// Score of the best passage holding it relative to the first passage's, in [0, 1].
    pub passage_score: f32,
    /// Cosine with the query.
    pub dense: f32,
}

impl Candidate {
    /// The sentence text.
    pub fn text(&self) -> &str {
        &self.article.body[self.span.start..self.span.end]
    }
}

/// The sentences of the retrieved passages, each once, with per-request features.
pub(crate) fn gather_candidates(
    r: &mut Reader,
    lex: &Lexicon,
    hits: &[RetrievedPassage],
    query_vec: &[f32],
) -> Result<Vec<Candidate>> {
    let mut out: Vec<Candidate> = Vec::new();
    let mut seen: HashMap<(String, usize), usize> = HashMap::new();
    let top = hits
        .first()
        .map(|h| h.score)
        .unwrap_or(1.0)
        .max(f32::EPSILON);
    for hit in hits {
        let Some(p) = r.passage(hit.pid)? else {
            continue;
        };
        let sentences = r.sentences(&p.article.id)?;
        let terms = r.article_terms(lex, &p.article)?;
        let passage_score = (hit.score / top).clamp(0.0, 1.0);
        for s in sentences
            .iter()
            .skip(p.first_sentence)
            .take(p.last_sentence.saturating_sub(p.first_sentence))
        {
            let key = (p.article.id.clone(), s.index);
            if let Some(&i) = seen.get(&key) {
                out[i].passage_score = out[i].passage_score.max(passage_score);
                continue;
            }
            let stems = terms.sentences.get(s.index).cloned().unwrap_or_default();
            let previous: HashSet<String> = s
                .index
                .checked_sub(1)
                .and_then(|i| terms.sentences.get(i))
                .map(|q| q.iter().cloned().collect())
                .unwrap_or_default();
            seen.insert(key, out.len());
            out.push(Candidate {
                article: p.article.clone(),
                index: s.index,
                span: s.span,
                dense: dot(query_vec, &s.vector),
                vector: s.vector.clone().into(),
                terms: stems.iter().cloned().collect(),
                stems,
                previous,
                passage_score,
            });
        }
    }
    Ok(out)
}

/// Everything `ask` weighs before choosing: the retrieved passages, their sentences and each
/// sentence's evidence (`features[i]` is `candidates[i]`'s).
pub(crate) struct AskEvidence {
    /// Retrieved passages, best first.
    pub hits: Vec<RetrievedPassage>,
    /// The sentences of those passages, each once.
    pub candidates: Vec<Candidate>,
    /// Evidence per candidate.
    pub features: Vec<Features>,
    /// The question's named entities (stems).
    pub entities: Vec<String>,
    /// What the question asks for.
    pub shape: QuestionShape,
    /// The typed answer each candidate holds, if any (`typed[i]` is `candidates[i]`'s).
    pub typed: Vec<Option<TypedAnswer>>,
}

/// Retrieves and gathers the evidence for a question (see [`AskEvidence`]); `depth` passages
/// are read.
pub(crate) fn ask_evidence(
    r: &mut Reader,
    question: &str,
    query_vec: &[f32],
    depth: usize,
    filters: &Filters,
    mode: Mode,
) -> Result<AskEvidence> {
    let hits = retrieve(r, question, query_vec, depth, filters, mode)?;
    let lex = Lexicon::default();
    let candidates = gather_candidates(r, &lex, &hits, query_vec)?;
    let q_terms = lex.terms(question);
    // The words naming a period ("in February 2026") are a date window, not names the answer
    // must contain.
    let (scope, _) = super::when::time_scope(question, chrono::Utc::now().fixed_offset());
    let time_words: HashSet<String> = scope.phrases.iter().flat_map(|p| lex.entities(p)).collect();
    let q_entities: Vec<String> = lex
        .entities(question)
        .into_iter()
        .filter(|e| !time_words.contains(e))
        .collect();
    let idf = PoolIdf::new(candidates.iter().map(|c| &c.terms));
    let corpus_idf: HashMap<&str, f32> = q_terms
        .iter()
        .map(String::as_str)
        .zip(r.bm25_idf(&q_terms)?)
        .collect();
    let bigrams = lex.bigrams(question);
    let shape = classify(question);
    // "What were India's imports …" asks for an amount though no "how much" says so.
    let kind = answer_kind(question).or(match shape.qtype {
        QuestionType::HowMany | QuestionType::HowMuch => Some(AnswerKind::Quantity),
        _ => None,
    });
    let typed: Vec<Option<TypedAnswer>> = candidates
        .iter()
        .map(|c| find_answer(&shape, c.text()))
        .collect();

    // A sentence inside an article about the question's entities is about them too, even when
    // it says "the plant" rather than "Tata Steel's plant".
    let mut article_entities: HashMap<String, f32> = HashMap::new();
    let mut article_terms: HashMap<String, f32> = HashMap::new();
    let mut article_words: HashMap<String, Arc<ArticleTerms>> = HashMap::new();
    let corpus_weight = |t: &str| corpus_idf.get(t).copied().unwrap_or(0.0);
    for c in &candidates {
        if article_entities.contains_key(&c.article.id) {
            continue;
        }
        let words = r.article_terms(&lex, &c.article)?;
        article_entities.insert(c.article.id.clone(), share_present(&q_entities, &words.all));
        article_terms.insert(
            c.article.id.clone(),
            weighted_share(&q_terms, |t| words.all.contains(t), corpus_weight),
        );
        article_words.insert(c.article.id.clone(), words);
    }
    let features = candidates
        .iter()
        .zip(&typed)
        .map(|(c, t)| {
            let strength = t.as_ref().map_or(0.0, |t| t.strength);
            let sentence_bigrams = bigrams_of(&c.stems);
            let title = &article_words[&c.article.id].title;
            Features {
                dense: c.dense,
                lexical: idf.coverage(&q_terms, &c.terms),
                lexical_title: weighted_share(
                    &q_terms,
                    |t| c.terms.contains(t) || title.contains(t),
                    |t| idf.idf(t),
                ),
                lexical_context: weighted_share(
                    &q_terms,
                    |t| c.terms.contains(t) || c.previous.contains(t) || title.contains(t),
                    |t| idf.idf(t),
                ),
                article_lexical: article_terms[&c.article.id],
                bigram: if bigrams.is_empty() {
                    0.0
                } else {
                    bigrams
                        .iter()
                        .filter(|b| sentence_bigrams.contains(*b))
                        .count() as f32
                        / bigrams.len() as f32
                },
                entity: 0.5 * share_present(&q_entities, &c.terms)
                    + 0.5 * article_entities[&c.article.id],
                entity_missing: if q_entities.is_empty() {
                    0.0
                } else {
                    1.0 - article_entities[&c.article.id]
                },
                passage: c.passage_score,
                lead: 1.0 / (1.0 + c.index as f32),
                kind: kind.filter(|&k| has_answer_kind(k, c.text(), question)),
                typed: strength,
                typed_related: f32::from(u8::from(t.as_ref().is_some_and(|t| t.related))),
                typed_gap: if shape.typed() { 1.0 - strength } else { 0.0 },
                untyped_lead: if shape.typed() && t.is_none() && c.index == 0 {
                    1.0
                } else {
                    0.0
                },
            }
        })
        .collect();
    Ok(AskEvidence {
        hits,
        candidates,
        features,
        entities: q_entities,
        shape,
        typed,
    })
}

/// How far below the best sentence's score one naming the asked office ("Manoj Mittal, CMD" for
/// "Who is the chairman and managing director …") may be and still come first.
const OFFICE_MARGIN: f32 = 0.15;

/// The answer to a question the corpus does not answer: no sentence, the reason, and the
/// passages read.
fn declined(
    req: &AskRequest,
    confidence: f32,
    explanation: String,
    passages: Vec<SupportingPassage>,
) -> AskResponse {
    AskResponse {
        question: req.question.clone(),
        answered: false,
        confidence,
        explanation: Some(explanation),
        answer: Vec::new(),
        passages,
        time_scope: None,
        disagreement: None,
    }
}

/// Answers a question, reading through the request's reader with the engine's ranking
/// parameters. `query_vec` is the question's embedding.
pub fn ask(r: &mut Reader, req: &AskRequest, query_vec: &[f32]) -> Result<AskResponse> {
    check_query(&req.question, "question")?;
    let mut filters = req.filters.clone().unwrap_or_default().to_filters()?;
    let time = super::when::request_time(&req.question, req.as_of.as_deref(), &mut filters)?;
    let mut resp = ask_within(r, req, query_vec, &filters, &time)?;
    resp.time_scope = time.scope;
    Ok(resp)
}

fn ask_within(
    r: &mut Reader,
    req: &AskRequest,
    query_vec: &[f32],
    filters: &Filters,
    time: &super::when::RequestTime,
) -> Result<AskResponse> {
    let k = check_k(req.k.unwrap_or(5))?;
    let filters = filters.clone();
    let mode = req.mode.unwrap_or_default();
    let p: &AskParams = &r.ranking().ask;
    let w = &p.weights;
    // Read a few more passages than are returned: the answer may sit in the sixth.
    let AskEvidence {
        hits,
        candidates,
        features,
        entities: q_entities,
        shape,
        typed,
    } = ask_evidence(r, &req.question, query_vec, k.max(10), &filters, mode)?;
    let scored: Vec<(f32, Features)> = features.into_iter().map(|f| (f.score(w), f)).collect();
    // Sentences of articles published outside the period the question names do not answer
    // it (undated articles stay).
    let mut order: Vec<usize> = (0..candidates.len())
        .filter(|&i| time.window.admits(candidates[i].article.published))
        .collect();
    order.sort_by(|&a, &b| scored[b].0.total_cmp(&scored[a].0));
    // "The latest …": among the sentences close to the best, the newest report comes first.
    if time.window.latest {
        if let Some(&top) = order.first() {
            let floor = scored[top].0 - super::when::LATEST_MARGIN;
            let newest = order
                .iter()
                .enumerate()
                .filter(|(_, &i)| scored[i].0 >= floor)
                .max_by_key(|(pos, &i)| (candidates[i].article.published, std::cmp::Reverse(*pos)))
                .map(|(pos, _)| pos);
            if let Some(pos) = newest {
                let i = order.remove(pos);
                order.insert(0, i);
            }
        }
    }

    // "Who is the chairman of …": a sentence that names the asked office and a person, close
    // to the best, comes before a best sentence that names neither the office nor its initials;
    // when there is none, the question is declined below.
    let office =
        |i: usize| shape.names_asked_office(&candidates[i].article.title, candidates[i].text());
    let mut office_missing = false;
    if let Some(&top) = order.first() {
        if office(top) == Some(false) {
            let floor = scored[top].0 - OFFICE_MARGIN;
            let holder = order.iter().position(|&i| {
                scored[i].0 >= floor && typed[i].is_some() && office(i) == Some(true)
            });
            match holder {
                Some(pos) => {
                    let i = order.remove(pos);
                    order.insert(0, i);
                }
                None => office_missing = true,
            }
        }
    }

    let passages = supporting(r, &hits, k)?;
    let Some(&best) = order.first() else {
        // Every passage read lies outside the period the question names: read again among the
        // articles of that period only (the window as a filter inside the searches).
        if !candidates.is_empty() {
            if let Some(narrowed) = time.window.narrow(&filters) {
                if narrowed != filters {
                    return ask_within(r, req, query_vec, &narrowed, time);
                }
            }
        }
        let why = match time.scope.as_ref().filter(|s| !s.phrases.is_empty()) {
            Some(s) => format!(
                "Nothing stored from the time the question names ({}) matches it.",
                s.phrases.join(", ")
            ),
            None => "No stored passage matches this question.".into(),
        };
        return Ok(declined(req, 0.0, why, passages));
    };
    let best_features = scored[best].1;
    let confidence = p.confidence.of(scored[best].0, &best_features);
    let threshold = p.confidence.threshold;
    // A best sentence that cannot be the answer, whatever its score: declined with a
    // confidence below the threshold's half.
    let ruled_out = if time.rules_out(candidates[best].text()) {
        // "April 2000 to March 2026" for "in April–June 2026": the corpus holds a figure, not
        // the one asked for.
        Some(format!(
            "The closest sentence is about another time than the one the question names ({}).",
            time.scope
                .as_ref()
                .map(|s| s.phrases.join(", "))
                .unwrap_or_default()
        ))
    } else if office_missing {
        // "Who is the chairperson of LIC?" answered with another body's managing director.
        Some("The closest sentence does not name the office the question asks about.".into())
    } else if shape.declines_without_answer(typed[best].as_ref()) {
        Some(format!(
            "The closest sentence holds no {} and so does not answer this question.",
            shape.wanted()
        ))
    } else {
        None
    };
    if let Some(why) = ruled_out {
        return Ok(declined(
            req,
            confidence.min(threshold * 0.5),
            why,
            passages,
        ));
    }
    if confidence < threshold {
        let missing: Vec<&str> = q_entities
            .iter()
            .filter(|e| !candidates.iter().any(|c| c.terms.contains(*e)))
            .map(|s| s.as_str())
            .collect();
        let mut why = format!(
            "The corpus does not seem to answer this question: the closest sentence matches it \
             with confidence {confidence:.2} (threshold {threshold:.2})."
        );
        if !missing.is_empty() {
            why.push_str(&format!(
                " No retrieved article mentions: {}.",
                missing.join(", ")
            ));
        }
        return Ok(declined(req, confidence, why, passages));
    }

    // Sources that disagree on a figure: the most recent report comes first and the older one
    // is quoted too, unless the question named its own period.
    let named_period = time.window.after.is_some() || time.window.before.is_some();
    let differ = if named_period {
        None
    } else {
        figure_disagreement(&candidates, &scored, &order, best)
    };
    let best = differ.as_ref().map_or(best, |d| d.newer);

    // MMR for the second and third sentences: close in score, not a restatement.
    let mut chosen = vec![best];
    let top_score = scored[best].0;
    for &i in order.iter().skip(1) {
        if chosen.len() == 3 || scored[i].0 < p.mmr.min_share * top_score {
            break;
        }
        // A restatement is a very close vector or mostly the same words (see `Mmr`).
        let redundancy = chosen
            .iter()
            .map(|&j| dot(&candidates[i].vector, &candidates[j].vector))
            .fold(f32::MIN, f32::max);
        let same_words = chosen.iter().any(|&j| {
            jaccard(&candidates[i].terms, &candidates[j].terms) >= p.mmr.restatement_jaccard
        });
        let mmr = p.mmr.relevance * scored[i].0 - p.mmr.redundancy * redundancy;
        if redundancy < p.mmr.restatement_cosine && !same_words && mmr > 0.0 {
            chosen.push(i);
        }
    }
    if let Some(d) = &differ {
        if !chosen.contains(&d.older) {
            chosen.truncate(2);
            chosen.insert(1, d.older);
        }
    }
    let answer = chosen
        .iter()
        .enumerate()
        .map(|(rank, &i)| {
            let c = &candidates[i];
            // The first sentence is the answer, so its typed span is the best guess at the
            // answer inside it. A further sentence is support: a span there is shown only when
            // it answers plainly (a name with its role, an amount next to the question's noun),
            // not any capitalised phrase ("Union Budget" for "who chaired").
            let shown = typed[i]
                .as_ref()
                .filter(|t| rank == 0 || t.strength >= SUPPORT_SPAN_STRENGTH);
            let answer_span = shown.map(|t| {
                let (start, end) = (c.span.start + t.range.start, c.span.start + t.range.end);
                AnswerSpan {
                    start,
                    end,
                    text: c.article.body[start..end].to_string(),
                }
            });
            AnswerSentence {
                text: c.text().to_string(),
                citation: Citation::of(&c.article, c.span.start, c.span.end),
                score: scored[i].0,
                answer_span,
                resolved_date: c
                    .article
                    .published
                    .and_then(|d| resolve_date(c.text(), d.date_naive())),
            }
        })
        .collect();
    Ok(AskResponse {
        question: req.question.clone(),
        answered: true,
        confidence,
        explanation: None,
        answer,
        passages,
        time_scope: None,
        disagreement: differ.map(|d| d.note),
    })
}

/// Two reports of one figure, the newer and the older, and the sentence that says so.
struct Disagreement {
    newer: usize,
    older: usize,
    note: String,
}

/// Among the sentences scoring within [`super::when::LATEST_MARGIN`] of the best, one from
/// another dated article that says the same thing (cosine ≥ [`DISAGREE_COSINE`]) with a
/// different first amount or share of the same kind.
fn figure_disagreement(
    c: &[Candidate],
    scored: &[(f32, Features)],
    order: &[usize],
    best: usize,
) -> Option<Disagreement> {
    let figure = |i: usize| {
        let text = c[i].text();
        key_figures(text)
            .into_iter()
            .find(|(_, k)| matches!(k, FigureKind::Money | FigureKind::Percent))
            .map(|(r, k)| (k, text[r].to_string()))
    };
    let (kind, fig) = figure(best)?;
    let published_best = c[best].article.published?;
    let floor = scored[best].0 - super::when::LATEST_MARGIN;
    for &j in order.iter().take(10) {
        if j == best || scored[j].0 < floor || c[j].article.id == c[best].article.id {
            continue;
        }
        let Some((kj, fj)) = figure(j) else { continue };
        let Some(published_j) = c[j].article.published else {
            continue;
        };
        if kj != kind || fj == fig || published_j == published_best {
            continue;
        }
        if dot(&c[j].vector, &c[best].vector) < DISAGREE_COSINE {
            continue;
        }
        let (newer, older, newer_fig, older_fig) = if published_j > published_best {
            (j, best, &fj, &fig)
        } else {
            (best, j, &fig, &fj)
        };
        let who = |i: usize| {
            let a = &c[i].article;
            let date = a
                .published
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default();
            match &a.source {
                Some(s) => format!("{s}, {date}"),
                None => date,
            }
        };
        return Some(Disagreement {
            newer,
            older,
            note: format!(
                "Sources differ: {newer_fig} ({}) is the most recent report; {older_fig} ({}) is older.",
                who(newer),
                who(older)
            ),
        });
    }
    None
}

/// Per-sentence evidence for a question.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Features {
    /// Cosine with the question.
    pub dense: f32,
    /// Idf-weighted term coverage (idf over the candidate sentences).
    pub lexical: f32,
    /// The same over the sentence and its headline.
    pub lexical_title: f32,
    /// The same over the sentence, the sentence before it and the headline.
    pub lexical_context: f32,
    /// Corpus-idf coverage of the question by the sentence's whole article.
    pub article_lexical: f32,
    /// Share of the question's adjacent content-word pairs found adjacent in the sentence.
    pub bigram: f32,
    /// Entity coverage (half the sentence's, half its article's).
    pub entity: f32,
    /// Share of the question's named entities its article never mentions (0 when the question
    /// names none): used by the confidence.
    pub entity_missing: f32,
    /// Passage score.
    pub passage: f32,
    /// Lead prior.
    pub lead: f32,
    /// The kind of thing asked for, when the sentence holds one.
    pub kind: Option<AnswerKind>,
    /// How plainly the sentence holds an answer of the question's type (0 when it holds none,
    /// see `answer::typed`).
    pub typed: f32,
    /// 1 when that answer stands next to what the question asks about (`TypedAnswer::related`).
    pub typed_related: f32,
    /// For a typed question, 1 − the strength of the sentence's typed answer (1 when it holds
    /// none); 0 for other questions. Used by the confidence.
    pub typed_gap: f32,
    /// 1 for an article's first sentence that holds no answer of the wanted type (a lead that
    /// restates the question's topic), else 0.
    pub untyped_lead: f32,
}

impl KindWeights {
    /// The weight for one kind.
    pub fn of(&self, kind: AnswerKind) -> f32 {
        match kind {
            AnswerKind::Quantity => self.quantity,
            AnswerKind::Time => self.time,
            AnswerKind::Person => self.person,
            AnswerKind::Place => self.place,
            AnswerKind::Action => self.action,
        }
    }
}

impl Features {
    /// The ranking score.
    pub fn score(&self, w: &AskWeights) -> f32 {
        w.dense * self.dense
            + w.lexical * self.lexical
            + w.lexical_title * self.lexical_title
            + w.lexical_context * self.lexical_context
            + w.article_lexical * self.article_lexical
            + w.bigram * self.bigram
            + w.entity * self.entity
            + w.passage * self.passage
            + w.lead * self.lead
            + self.kind.map(|k| w.kind.of(k)).unwrap_or(0.0)
            + w.typed * self.typed
            + w.typed_related * self.typed_related
            - w.untyped_lead * self.untyped_lead
    }
}

fn supporting(
    r: &mut Reader,
    hits: &[RetrievedPassage],
    k: usize,
) -> Result<Vec<SupportingPassage>> {
    let mut out = Vec::new();
    for h in hits.iter().take(k) {
        if let Some(p) = r.passage(h.pid)? {
            out.push(SupportingPassage {
                passage_id: h.pid,
                text: p.text().to_string(),
                citation: Citation::of(&p.article, p.span.start, p.span.end),
                score: h.score,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn features(dense: f32, lexical: f32, entity_missing: f32) -> Features {
        Features {
            dense,
            lexical,
            lexical_title: lexical,
            lexical_context: lexical,
            article_lexical: lexical,
            bigram: 0.0,
            entity: 1.0 - entity_missing,
            entity_missing,
            passage: 1.0,
            lead: 0.5,
            kind: None,
            typed: 0.0,
            typed_related: 0.0,
            typed_gap: 0.0,
            untyped_lead: 0.0,
        }
    }

    #[test]
    fn confidence_follows_the_evidence_and_entities_the_article_lacks() {
        let p = AskParams::default();
        let w = &p.weights;
        let conf = |f: &Features| p.confidence.of(f.score(w), f);
        // A close sentence covering the question's terms is answered; a distant one is not.
        let good = features(0.75, 0.8, 0.0);
        let weak = features(0.25, 0.1, 0.0);
        let (c_good, c_weak) = (conf(&good), conf(&weak));
        assert!(c_good > p.confidence.threshold, "{c_good}");
        assert!(c_weak < p.confidence.threshold, "{c_weak}");
        // A middling sentence in an article that never names the question's entity is less
        // likely to answer it than the same sentence in one that does.
        let (mid, orphan) = (features(0.45, 0.4, 0.0), features(0.45, 0.4, 1.0));
        let (c_mid, c_orphan) = (conf(&mid), conf(&orphan));
        assert!(c_orphan < c_mid - 0.1, "{c_orphan} vs {c_mid}");
        // A question's kind found in the sentence adds to its score.
        let counted = Features {
            kind: Some(AnswerKind::Quantity),
            ..good
        };
        assert!(counted.score(w) > good.score(w));
        // So does a typed answer.
        let typed = Features { typed: 1.0, ..good };
        assert!(typed.score(w) > good.score(w));
        // The sentence before an answer often names its subject: the question's terms there
        // count, for the ranking and for the confidence.
        let after_subject = Features {
            lexical_context: 0.9,
            ..mid
        };
        assert!(after_subject.score(w) > mid.score(w));
        assert!(conf(&after_subject) > c_mid);
        // A typed question ("how many …") whose sentence holds no answer of that type is less
        // likely answered by it than the same sentence with a plain answer.
        let untyped = Features {
            typed_gap: 1.0,
            ..good
        };
        assert!(conf(&untyped) < conf(&good));
    }
}

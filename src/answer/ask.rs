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

use super::lexical::{answer_kind, has_answer_kind, share_present, Lexicon, PoolIdf};
use super::retrieve::{retrieve, Mode, RetrievedPassage};
use super::{check_k, check_query, dot, ArticleCache, Citation, FilterSpec};
use crate::engine::Engine;
use crate::error::Result;
use crate::ingest::Article;
use crate::text::Span;

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
}

/// Weights of the sentence score. Tuned on the SQuAD development half (`newsdesk eval squad`).
#[derive(Debug, Clone, Copy)]
pub struct AskWeights {
    /// Cosine of sentence and question vectors.
    pub dense: f32,
    /// Idf-weighted share of question terms in the sentence.
    pub lexical: f32,
    /// Share of the question's named entities in the sentence.
    pub entity: f32,
    /// Normalised fused score of the passage holding the sentence.
    pub passage: f32,
    /// Prior for early sentences of an article.
    pub lead: f32,
    /// Bonus when the sentence holds the kind of thing asked for (a number for "how many"…).
    pub kind: f32,
    /// Confidence threshold for answering.
    pub threshold: f32,
}

impl Default for AskWeights {
    fn default() -> Self {
        // Tuned on the SQuAD development half (EVAL.md): more weight on term coverage and on
        // the passage a sentence sits in than on the sentence vector.
        AskWeights {
            dense: 0.35,
            lexical: 0.50,
            entity: 0.10,
            passage: 0.40,
            lead: 0.04,
            kind: 0.15,
            threshold: 0.5,
        }
    }
}

/// A sentence considered for an answer or a brief.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// Its article.
    pub article: Arc<Article>,
    /// Position in the article.
    pub index: usize,
    /// Span in the body.
    pub span: Span,
    /// Sentence vector.
    pub vector: Arc<[f32]>,
    /// Content stems.
    pub terms: HashSet<String>,
    /// Rank-normalised score of the best passage holding it, in (0, 1].
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
pub fn gather_candidates(
    engine: &Engine,
    cache: &mut ArticleCache,
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
        let Some(p) = cache.passage(engine, hit.pid)? else {
            continue;
        };
        let sentences = cache.sentences(engine, &p.article.id)?;
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
            let text = &p.article.body[s.span.start..s.span.end];
            seen.insert(key, out.len());
            out.push(Candidate {
                article: p.article.clone(),
                index: s.index,
                span: s.span,
                dense: dot(query_vec, &s.vector),
                vector: s.vector.clone().into(),
                terms: lex.term_set(text),
                passage_score,
            });
        }
    }
    Ok(out)
}

/// Answers a question from the engine. `query_vec` is the question's embedding.
pub fn ask(engine: &Engine, req: &AskRequest, query_vec: &[f32]) -> Result<AskResponse> {
    ask_with(engine, req, query_vec, &AskWeights::default())
}

/// [`ask`] with explicit weights (evaluations tune them).
pub fn ask_with(
    engine: &Engine,
    req: &AskRequest,
    query_vec: &[f32],
    w: &AskWeights,
) -> Result<AskResponse> {
    check_query(&req.question, "question")?;
    let k = check_k(req.k.unwrap_or(5))?;
    let filters = req.filters.clone().unwrap_or_default().to_filters()?;
    let mode = req.mode.unwrap_or_default();
    // Read a few more passages than are returned: the answer may sit in the sixth.
    let mut cache = ArticleCache::default();
    let hits = retrieve(
        engine,
        &mut cache,
        &req.question,
        query_vec,
        k.max(10),
        &filters,
        mode,
    )?;
    let lex = Lexicon::default();
    let candidates = gather_candidates(engine, &mut cache, &lex, &hits, query_vec)?;
    let q_terms = lex.terms(&req.question);
    let q_entities = lex.entities(&req.question);
    let idf = PoolIdf::new(candidates.iter().map(|c| &c.terms));
    let kind = answer_kind(&req.question);

    // A sentence inside an article about the question's entities is about them too, even when
    // it says "the plant" rather than "Tata Steel's plant".
    let mut article_entities: HashMap<String, f32> = HashMap::new();
    for c in &candidates {
        article_entities
            .entry(c.article.id.clone())
            .or_insert_with(|| {
                let terms = lex.term_set(&format!("{}\n{}", c.article.title, c.article.body));
                share_present(&q_entities, &terms)
            });
    }
    let scored: Vec<(f32, Features)> = candidates
        .iter()
        .map(|c| {
            let f = Features {
                dense: c.dense,
                lexical: idf.coverage(&q_terms, &c.terms),
                entity: 0.5 * share_present(&q_entities, &c.terms)
                    + 0.5 * article_entities[&c.article.id],
                passage: c.passage_score,
                lead: 1.0 / (1.0 + c.index as f32),
                kind: kind.is_some_and(|k| has_answer_kind(k, c.text(), &req.question)),
            };
            (f.score(w), f)
        })
        .collect();
    let mut order: Vec<usize> = (0..candidates.len()).collect();
    order.sort_by(|&a, &b| scored[b].0.total_cmp(&scored[a].0));

    let passages = supporting(engine, &mut cache, &hits, k)?;
    let Some(&best) = order.first() else {
        return Ok(AskResponse {
            question: req.question.clone(),
            answered: false,
            confidence: 0.0,
            explanation: Some("No stored passage matches this question.".into()),
            answer: Vec::new(),
            passages,
        });
    };
    let best_features = scored[best].1;
    let confidence = best_features.confidence(!q_entities.is_empty());
    if confidence < w.threshold {
        let missing: Vec<&str> = q_entities
            .iter()
            .filter(|e| !candidates.iter().any(|c| c.terms.contains(*e)))
            .map(|s| s.as_str())
            .collect();
        let mut why = format!(
            "The corpus does not seem to answer this question: the closest sentence matches it \
             with confidence {confidence:.2} (threshold {:.2}).",
            w.threshold
        );
        if !missing.is_empty() {
            why.push_str(&format!(
                " No retrieved article mentions: {}.",
                missing.join(", ")
            ));
        }
        return Ok(AskResponse {
            question: req.question.clone(),
            answered: false,
            confidence,
            explanation: Some(why),
            answer: Vec::new(),
            passages,
        });
    }

    // MMR for the second and third sentences: close in score, not a restatement.
    let mut chosen = vec![best];
    let top_score = scored[best].0;
    for &i in order.iter().skip(1) {
        if chosen.len() == 3 || scored[i].0 < 0.85 * top_score {
            break;
        }
        let redundancy = chosen
            .iter()
            .map(|&j| dot(&candidates[i].vector, &candidates[j].vector))
            .fold(f32::MIN, f32::max);
        let mmr = 0.7 * scored[i].0 - 0.3 * redundancy;
        if redundancy < 0.8 && mmr > 0.0 {
            chosen.push(i);
        }
    }
    let answer = chosen
        .iter()
        .map(|&i| {
            let c = &candidates[i];
            AnswerSentence {
                text: c.text().to_string(),
                citation: Citation::of(&c.article, c.span.start, c.span.end),
                score: scored[i].0,
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
    })
}

/// Per-sentence evidence for a question.
#[derive(Debug, Clone, Copy)]
pub struct Features {
    /// Cosine with the question.
    pub dense: f32,
    /// Idf-weighted term coverage.
    pub lexical: f32,
    /// Entity coverage.
    pub entity: f32,
    /// Passage score.
    pub passage: f32,
    /// Lead prior.
    pub lead: f32,
    /// Holds the kind of thing asked for.
    pub kind: bool,
}

impl Features {
    /// The ranking score.
    pub fn score(&self, w: &AskWeights) -> f32 {
        w.dense * self.dense
            + w.lexical * self.lexical
            + w.entity * self.entity
            + w.passage * self.passage
            + w.lead * self.lead
            + if self.kind { w.kind } else { 0.0 }
    }

    /// Calibrated probability that the sentence answers the question. A logistic over the
    /// similarity and the coverage of key terms; a question that names entities none of which
    /// the sentence mentions is very unlikely to be answered by it.
    pub fn confidence(&self, question_has_entities: bool) -> f32 {
        let mut z = 7.0 * self.dense + 3.0 * self.lexical - 4.0;
        if question_has_entities {
            z += 2.0 * self.entity - 1.0;
        }
        1.0 / (1.0 + (-z).exp())
    }
}

fn supporting(
    engine: &Engine,
    cache: &mut ArticleCache,
    hits: &[RetrievedPassage],
    k: usize,
) -> Result<Vec<SupportingPassage>> {
    let mut out = Vec::new();
    for h in hits.iter().take(k) {
        if let Some(p) = cache.passage(engine, h.pid)? {
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

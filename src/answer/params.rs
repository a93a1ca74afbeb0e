//! Every ranking weight of the answer stage in one place: [`RankingParams`].
//!
//! Retrieval fusion, the ask sentence score and its confidence, the summary graph, brief
//! selection and search highlighting all read their numbers from here. The defaults are the
//! values fitted on the public development sets (each field says where); the engine carries one
//! `RankingParams` in its configuration (`EngineConfig::ranking`), `newsdesk serve --ranking
//! FILE` loads one from TOML or JSON, and the lab (`newsdesk-lab eval … --fusion …
//! --ask-weights …`) sets them from flags to measure alternatives. Nothing reads weights from the
//! environment.
//!
//! The ask confidence is a logistic over the ask score, so its coefficients only mean something
//! for the weights they were fitted with: [`Confidence::fitted_for`] records those weights and
//! [`RankingParams::validate`] refuses a set whose ask weights differ from them, so a file that
//! changes the weights must refit (or knowingly re-declare) the confidence too.

use serde::{Deserialize, Serialize};

/// All ranking parameters. Every field has a default; a file may set any subset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct RankingParams {
    /// How retrieval fuses its evidence.
    pub fusion: Fusion,
    /// How `ask` scores sentences and decides to answer.
    pub ask: AskParams,
    /// How `summarize` ranks sentences.
    pub summary: SummaryParams,
    /// How `brief` selects bullets.
    pub brief: BriefParams,
    /// How `search` picks a hit's highlight.
    pub search: SearchParams,
}

/// A set of parameters that cannot be used as it stands.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("ranking parameters: {0}")]
pub struct ParamsError(pub String);

impl RankingParams {
    /// Checks the set: finite numbers, thresholds in range, and a confidence fitted for the ask
    /// weights in use.
    pub fn validate(&self) -> Result<(), ParamsError> {
        let bad = |what: &str| Err(ParamsError(what.to_string()));
        let all = self.numbers();
        if let Some((name, _)) = all.iter().find(|(_, v)| !v.is_finite()) {
            return Err(ParamsError(format!("{name} is not a finite number")));
        }
        if !(0.0..=1.0).contains(&self.ask.confidence.threshold) {
            return bad("ask.confidence.threshold must be between 0 and 1");
        }
        if self.fusion.rrf_k <= 0.0 {
            return bad("fusion.rrf_k must be positive");
        }
        if self.ask.confidence.fitted_for != self.ask.weights {
            return bad(
                "ask.confidence was fitted for other ask weights: refit it for these weights \
                 (lab/fit/fit_ask.py fits one from the evidence dumps) and set ask.confidence.fitted_for \
                 to them",
            );
        }
        Ok(())
    }

    /// Reads a TOML (`.toml`) or JSON (anything else) file; unnamed fields keep their defaults.
    pub fn from_file(path: &std::path::Path) -> Result<RankingParams, ParamsError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ParamsError(format!("cannot read {}: {e}", path.display())))?;
        let params: RankingParams = if path.extension().is_some_and(|x| x == "toml") {
            toml::from_str(&text).map_err(|e| ParamsError(format!("{}: {e}", path.display())))?
        } else {
            serde_json::from_str(&text)
                .map_err(|e| ParamsError(format!("{}: {e}", path.display())))?
        };
        params.validate()?;
        Ok(params)
    }

    fn numbers(&self) -> Vec<(&'static str, f32)> {
        let f = &self.fusion;
        let a = &self.ask;
        let w = &a.weights;
        let c = &a.confidence;
        let s = &self.summary;
        let b = &self.brief;
        vec![
            ("fusion.dense", f.dense),
            ("fusion.sentence", f.sentence),
            ("fusion.bm25", f.bm25),
            ("fusion.article", f.article),
            ("fusion.rrf_k", f.rrf_k),
            ("ask.weights.dense", w.dense),
            ("ask.weights.lexical", w.lexical),
            ("ask.weights.lexical_title", w.lexical_title),
            ("ask.weights.lexical_context", w.lexical_context),
            ("ask.weights.article_lexical", w.article_lexical),
            ("ask.weights.bigram", w.bigram),
            ("ask.weights.entity", w.entity),
            ("ask.weights.passage", w.passage),
            ("ask.weights.lead", w.lead),
            ("ask.weights.kind.quantity", w.kind.quantity),
            ("ask.weights.kind.time", w.kind.time),
            ("ask.weights.kind.person", w.kind.person),
            ("ask.weights.kind.place", w.kind.place),
            ("ask.weights.kind.action", w.kind.action),
            ("ask.weights.typed", w.typed),
            ("ask.weights.typed_related", w.typed_related),
            ("ask.weights.untyped_lead", w.untyped_lead),
            ("ask.confidence.score", c.score),
            ("ask.confidence.entity_missing", c.entity_missing),
            ("ask.confidence.dense", c.dense),
            ("ask.confidence.article_lexical", c.article_lexical),
            ("ask.confidence.lexical_context", c.lexical_context),
            ("ask.confidence.typed_gap", c.typed_gap),
            ("ask.confidence.typed_related", c.typed_related),
            ("ask.confidence.intercept", c.intercept),
            ("ask.confidence.threshold", c.threshold),
            ("ask.mmr.min_share", a.mmr.min_share),
            ("ask.mmr.relevance", a.mmr.relevance),
            ("ask.mmr.redundancy", a.mmr.redundancy),
            ("ask.mmr.restatement_cosine", a.mmr.restatement_cosine),
            ("ask.mmr.restatement_jaccard", a.mmr.restatement_jaccard),
            ("summary.vector_share", s.vector_share),
            ("summary.lead", s.lead),
            ("summary.redundancy", s.redundancy),
            ("summary.short_penalty", s.short_penalty),
            ("summary.damping", s.damping),
            ("brief.relevance_dense", b.relevance_dense),
            ("brief.relevance_lexical", b.relevance_lexical),
            ("brief.relevance_passage", b.relevance_passage),
            ("brief.duplicate_cosine", b.duplicate_cosine),
            ("brief.duplicate_jaccard", b.duplicate_jaccard),
            ("brief.min_relevance_share", b.min_relevance_share),
            ("brief.pick_relevance", b.pick_relevance),
            ("brief.pick_centrality", b.pick_centrality),
            ("brief.pick_redundancy", b.pick_redundancy),
            ("brief.per_article_spread", b.per_article_spread),
            ("search.highlight_dense", self.search.highlight_dense),
            ("search.highlight_lexical", self.search.highlight_lexical),
        ]
    }
}

/// How retrieval's evidence becomes one score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum FusionMethod {
    /// Weighted sum of the evidence, BM25 max-normalised (see `answer::retrieve`).
    #[default]
    Score,
    /// Weighted reciprocal rank of the dense and BM25 passage lists: `Σ w / (rrf_k + rank)`.
    Rrf,
}

/// Fusion parameters of hybrid retrieval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Fusion {
    /// Score or rank fusion.
    pub method: FusionMethod,
    /// Reciprocal-rank constant (rank fusion only).
    pub rrf_k: f32,
    /// Weight of the passage cosine.
    pub dense: f32,
    /// Weight of the best sentence cosine.
    pub sentence: f32,
    /// Weight of the passage BM25 score.
    pub bm25: f32,
    /// Weight of the article BM25 score.
    pub article: f32,
}

impl Default for Fusion {
    /// Weights fitted on the SciFact train queries (EVAL.md, SciFact: a search over the four
    /// weights on an evidence dump found 0.7536 nDCG@10; these rounded values give 0.7527).
    fn default() -> Self {
        Fusion {
            method: FusionMethod::Score,
            rrf_k: 60.0,
            dense: 0.35,
            sentence: 0.35,
            bm25: 0.05,
            article: 0.30,
        }
    }
}

impl Fusion {
    /// Plain reciprocal rank fusion (k = 60, equal weights) of the dense and BM25 passage
    /// lists: the textbook baseline.
    pub fn rrf() -> Fusion {
        Fusion {
            method: FusionMethod::Rrf,
            rrf_k: 60.0,
            dense: 1.0,
            sentence: 0.0,
            bm25: 1.0,
            article: 0.0,
        }
    }
}

/// Everything `ask` weighs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct AskParams {
    /// Weights of the sentence score.
    pub weights: AskWeights,
    /// The logistic that turns the best score into a confidence, and the answering threshold.
    pub confidence: Confidence,
    /// Choice of the second and third answer sentences.
    pub mmr: Mmr,
}

/// Weights of the ask sentence score, fitted on the development halves of SQuAD and newsqa
/// together (`lab/fit/fit_ask.py` over the evidence dumps of `newsdesk-lab eval squad|newsqa
/// --dump`, EVAL.md): the sentence vector (which carries the headline) weighs most, then the
/// passage it sits in, the question's terms in the sentence and the one before it, and a typed
/// answer. Weights the fit leaves within 0.05 of zero (article terms, entities, the untyped
/// lead, the date kind) are set to zero by the fit script.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AskWeights {
    /// Cosine of sentence and question vectors.
    pub dense: f32,
    /// Idf-weighted share of question terms in the sentence (idf over the candidates).
    pub lexical: f32,
    /// The same share over the sentence's terms and its article's headline.
    pub lexical_title: f32,
    /// The same share over the sentence, the sentence before it and the headline.
    pub lexical_context: f32,
    /// Corpus-idf share of the question's terms found anywhere in the sentence's article.
    pub article_lexical: f32,
    /// Share of the question's word pairs found in the sentence.
    pub bigram: f32,
    /// Share of the question's named entities in the sentence and its article.
    pub entity: f32,
    /// Normalised fused score of the passage holding the sentence.
    pub passage: f32,
    /// Prior for early sentences of an article.
    pub lead: f32,
    /// Bonus when the sentence holds the kind of thing asked for, per kind.
    pub kind: KindWeights,
    /// Bonus times the strength of the typed answer the sentence holds (`answer::typed`).
    pub typed: f32,
    /// Bonus when that answer stands next to what the question asks about ("chaired by X").
    pub typed_related: f32,
    /// Penalty for an article's first sentence holding no answer of the wanted type.
    pub untyped_lead: f32,
}

impl Default for AskWeights {
    fn default() -> Self {
        AskWeights {
            dense: 1.38,
            lexical: 0.10,
            lexical_title: 0.19,
            lexical_context: 0.59,
            article_lexical: 0.0,
            bigram: 0.11,
            entity: 0.0,
            passage: 0.85,
            lead: 0.0,
            kind: KindWeights::default(),
            typed: 0.40,
            typed_related: 0.0,
            untyped_lead: 0.0,
        }
    }
}

/// The answer-kind bonus per kind of question (`answer::lexical::AnswerKind`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KindWeights {
    /// How many / how much …: a number.
    pub quantity: f32,
    /// When / what year …: a date.
    pub time: f32,
    /// Who …: a name.
    pub person: f32,
    /// Where / which country …: a place name.
    pub place: f32,
    /// What did X announce …: a reporting verb.
    pub action: f32,
}

impl Default for KindWeights {
    /// Fitted with the weights above.
    fn default() -> Self {
        KindWeights {
            quantity: 0.20,
            time: 0.0,
            person: 0.15,
            place: 0.15,
            action: 0.14,
        }
    }
}

/// `confidence = σ(score·s + Σ coefficient·feature + intercept)` over the best sentence's
/// evidence; below `threshold` ask declines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Confidence {
    /// Coefficient of the ask score.
    pub score: f32,
    /// Coefficient of the share of the question's named entities its article never mentions.
    pub entity_missing: f32,
    /// Coefficient of the sentence's cosine with the question.
    pub dense: f32,
    /// Coefficient of the corpus-idf share of the question's terms found in its article.
    pub article_lexical: f32,
    /// Coefficient of the share of the question's terms in the sentence, the one before and
    /// the headline.
    pub lexical_context: f32,
    /// Coefficient of how far a typed question's best sentence is from a plain answer of the
    /// wanted type (1 − its strength; 0 for untyped questions).
    pub typed_gap: f32,
    /// Coefficient of the typed answer standing next to what the question asks about.
    pub typed_related: f32,
    /// Intercept.
    pub intercept: f32,
    /// Answer only at or above this confidence.
    pub threshold: f32,
    /// The ask weights this logistic was fitted with (checked by [`RankingParams::validate`]).
    pub fitted_for: AskWeights,
}

impl Default for Confidence {
    /// Fitted by logistic regression on the development halves of SQuAD and newsqa
    /// (`lab/fit/fit_ask.py`): the label is whether the best sentence holds a gold answer, over
    /// answerable questions, newsqa's unanswerable ones and SQuAD questions with their own
    /// paragraph withheld. The typed-answer terms take back part of what the score gave them
    /// (EVAL.md). The threshold 0.30 declines 6 of newsqa's 10 unanswerable questions, 1 of its
    /// 72 answerable ones and 3.5% of SQuAD's (EVAL.md, newsqa).
    fn default() -> Self {
        Confidence {
            score: 2.36,
            entity_missing: -1.23,
            dense: -0.81,
            article_lexical: 0.69,
            lexical_context: 0.18,
            typed_gap: -0.35,
            typed_related: -0.77,
            intercept: -4.69,
            threshold: 0.30,
            fitted_for: AskWeights::default(),
        }
    }
}

impl Confidence {
    /// The confidence that a best sentence with this score and evidence answers the question.
    pub fn of(&self, score: f32, f: &super::ask::Features) -> f32 {
        let z = self.score * score
            + self.entity_missing * f.entity_missing
            + self.dense * f.dense
            + self.article_lexical * f.article_lexical
            + self.lexical_context * f.lexical_context
            + self.typed_gap * f.typed_gap
            + self.typed_related * f.typed_related
            + self.intercept;
        1.0 / (1.0 + (-z).exp())
    }
}

/// Maximal-marginal-relevance choice of the second and third answer sentences.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Mmr {
    /// A further sentence must score at least this share of the best one.
    pub min_share: f32,
    /// Weight of its own score in the MMR value.
    pub relevance: f32,
    /// Weight of its closeness to the sentences already chosen.
    pub redundancy: f32,
    /// A candidate this close (cosine) to a chosen sentence restates it. Sentence vectors carry
    /// their headline, so sentences of one article sit close (mean cosine 0.68 against 0.32
    /// without the headline, measured on BBC articles).
    pub restatement_cosine: f32,
    /// ... or one sharing this much of its words (Jaccard of stems).
    pub restatement_jaccard: f32,
}

impl Default for Mmr {
    /// Set by hand on the demo corpus when ask was built (issue 4); not fitted.
    fn default() -> Self {
        Mmr {
            min_share: 0.85,
            relevance: 0.7,
            redundancy: 0.3,
            restatement_cosine: 0.92,
            restatement_jaccard: 0.6,
        }
    }
}

/// Tunables of the summary ranking.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SummaryParams {
    /// Share of vector similarity in edge weights (the rest is word overlap).
    pub vector_share: f32,
    /// Strength of the lead prior.
    pub lead: f32,
    /// Sentences closer than this to a chosen one are skipped.
    pub redundancy: f32,
    /// Score factor for sentences with fewer than three content terms (headings, bylines).
    pub short_penalty: f32,
    /// PageRank damping factor.
    pub damping: f32,
}

impl Default for SummaryParams {
    /// Tuned on the BBC development half (`newsdesk-lab eval bbc`, EVAL.md): word overlap
    /// carries centrality there; more vector share or a stronger lead prior lost ROUGE. The
    /// damping is PageRank's usual 0.85.
    fn default() -> Self {
        SummaryParams {
            vector_share: 0.1,
            lead: 0.02,
            redundancy: 0.95,
            short_penalty: 0.3,
            damping: 0.85,
        }
    }
}

/// Tunables of brief's bullet selection. Set by hand on the demo corpus when brief was built
/// (issue 4); brief has no quality evaluation yet, so none of these is fitted.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BriefParams {
    /// Passages retrieved for a topic.
    pub depth: usize,
    /// Sentences shorter than this many words are not bullets.
    pub min_words: usize,
    /// Relevance = dense·cosine + lexical·coverage + passage·passage score.
    pub relevance_dense: f32,
    /// See `relevance_dense`.
    pub relevance_lexical: f32,
    /// See `relevance_dense`.
    pub relevance_passage: f32,
    /// Sentences of different articles at least this close (cosine) are the same statement.
    pub duplicate_cosine: f32,
    /// ... or sharing at least this much of their words.
    pub duplicate_jaccard: f32,
    /// Representatives among which centrality is measured.
    pub centrality_pool: usize,
    /// A bullet must have at least this share of the best relevance.
    pub min_relevance_share: f32,
    /// Pick score = relevance·r + centrality·c − redundancy·d − spread·(bullets of its article).
    pub pick_relevance: f32,
    /// See `pick_relevance`.
    pub pick_centrality: f32,
    /// See `pick_relevance`.
    pub pick_redundancy: f32,
    /// See `pick_relevance`.
    pub per_article_spread: f32,
    /// Most of the word budget one publisher's sentences may take, when the candidates come
    /// from more than one.
    pub max_source_share: f32,
}

impl Default for BriefParams {
    fn default() -> Self {
        BriefParams {
            depth: 40,
            min_words: 5,
            relevance_dense: 0.6,
            relevance_lexical: 0.25,
            relevance_passage: 0.15,
            duplicate_cosine: 0.92,
            duplicate_jaccard: 0.7,
            centrality_pool: 30,
            min_relevance_share: 0.5,
            pick_relevance: 0.65,
            pick_centrality: 0.2,
            pick_redundancy: 0.35,
            per_article_spread: 0.04,
            max_source_share: 0.6,
        }
    }
}

/// How search picks the sentence it highlights in a hit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SearchParams {
    /// Highlight score = dense·cosine + lexical·idf coverage of the query.
    pub highlight_dense: f32,
    /// See `highlight_dense`.
    pub highlight_lexical: f32,
    /// With `group_by_article`, this many passages per requested hit are read (several
    /// passages of one article may lead the list).
    pub group_depth_factor: usize,
}

impl Default for SearchParams {
    /// Set by hand when search was built (issue 4); not fitted.
    fn default() -> Self {
        SearchParams {
            highlight_dense: 0.7,
            highlight_lexical: 0.3,
            group_depth_factor: 5,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate_and_round_trip_through_json_and_toml() {
        let p = RankingParams::default();
        p.validate().unwrap();
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(serde_json::from_str::<RankingParams>(&json).unwrap(), p);
        let toml_text = toml::to_string(&p).unwrap();
        assert_eq!(toml::from_str::<RankingParams>(&toml_text).unwrap(), p);
    }

    #[test]
    fn a_partial_file_keeps_the_other_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("r.toml");
        std::fs::write(&f, "[fusion]\narticle = 0.25\n").unwrap();
        let p = RankingParams::from_file(&f).unwrap();
        assert_eq!(p.fusion.article, 0.25);
        assert_eq!(p.fusion.dense, Fusion::default().dense);
        assert_eq!(p.ask, AskParams::default());
        let j = dir.path().join("r.json");
        std::fs::write(&j, r#"{"search": {"highlight_dense": 0.5}}"#).unwrap();
        assert_eq!(
            RankingParams::from_file(&j).unwrap().search.highlight_dense,
            0.5
        );
    }

    #[test]
    fn changed_ask_weights_need_a_refitted_confidence() {
        let mut p = RankingParams::default();
        p.ask.weights.dense = 1.0;
        let e = p.validate().unwrap_err();
        assert!(e.0.contains("fitted"), "{e}");
        p.ask.confidence.fitted_for = p.ask.weights;
        p.validate().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("bad.json");
        std::fs::write(&f, r#"{"ask": {"weights": {"dense": 2.0}}}"#).unwrap();
        assert!(RankingParams::from_file(&f).is_err());
        std::fs::write(&f, r#"{"fusion": {"dense": 0.4, "typo": 1}}"#).unwrap();
        assert!(
            RankingParams::from_file(&f).is_err(),
            "unknown fields are refused"
        );
    }

    #[test]
    fn non_finite_and_out_of_range_values_are_refused() {
        let mut p = RankingParams::default();
        p.fusion.bm25 = f32::NAN;
        assert!(p.validate().is_err());
        let mut p = RankingParams::default();
        p.ask.confidence.threshold = 1.5;
        assert!(p.validate().is_err());
    }

    #[test]
    fn confidence_is_a_logistic_of_score_and_evidence() {
        use crate::answer::ask::Features;
        let c = Confidence::default();
        let none = Features::default();
        let sigmoid = |z: f32| 1.0 / (1.0 + (-z).exp());
        // With no evidence, the score alone: σ(score·s + intercept).
        let at = -c.intercept / c.score;
        assert!((c.of(at, &none) - 0.5).abs() < 1e-6);
        assert!((c.of(2.0, &none) - sigmoid(2.0 * c.score + c.intercept)).abs() < 1e-6);
        // Each piece of evidence moves it by its coefficient on the logit.
        let covered = Features {
            lexical_context: 1.0,
            article_lexical: 1.0,
            dense: 0.6,
            ..Features::default()
        };
        let orphan = Features {
            entity_missing: 1.0,
            ..covered
        };
        let z = 2.0 * c.score + c.lexical_context + c.article_lexical + 0.6 * c.dense + c.intercept;
        assert!((c.of(2.0, &covered) - sigmoid(z)).abs() < 1e-6);
        assert!(c.of(2.0, &orphan) < c.of(2.0, &covered) - 0.1);
    }
}

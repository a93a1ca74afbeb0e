//! Lexical evidence for answer selection: the key terms and entities of a question, and how
//! much of them a sentence covers. Works on lower-cased, lightly stemmed word tokens; acronyms,
//! numbers and hyphenated codes (SIDBI, FY2026-27, ₹1.5) stay whole.

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::num::NonZeroUsize;
use std::sync::Arc;

use lru::LruCache;

use crate::article::{Article, Span};

use rust_stemmers::{Algorithm, Stemmer};

/// Function words that carry no topic: question words, auxiliaries, articles, pronouns.
const STOPWORDS: &[&str] = &[
    "a",
    "about",
    "above",
    "after",
    "again",
    "against",
    "all",
    "also",
    "am",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "by",
    "can",
    "could",
    "did",
    "do",
    "does",
    "doing",
    "down",
    "during",
    "each",
    "few",
    "for",
    "from",
    "further",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "herself",
    "him",
    "himself",
    "his",
    "how",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "itself",
    "just",
    "may",
    "me",
    "might",
    "more",
    "most",
    "must",
    "my",
    "myself",
    "no",
    "nor",
    "not",
    "now",
    "of",
    "off",
    "on",
    "once",
    "only",
    "or",
    "other",
    "our",
    "ours",
    "ourselves",
    "out",
    "over",
    "own",
    "s",
    "said",
    "same",
    "says",
    "shall",
    "she",
    "should",
    "so",
    "some",
    "such",
    "than",
    "that",
    "the",
    "their",
    "theirs",
    "them",
    "themselves",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "to",
    "too",
    "under",
    "until",
    "up",
    "very",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "whom",
    "whose",
    "why",
    "will",
    "with",
    "would",
    "you",
    "your",
    "yours",
    "yourself",
    "yourselves",
    "t",
    "tell",
    "name",
    "many",
    "much",
    "kind",
    "type",
    "according",
];

/// A tokenizer + stemmer shared by the answer code.
pub struct Lexicon {
    stemmer: Stemmer,
    stop: HashSet<&'static str>,
}

impl Default for Lexicon {
    fn default() -> Self {
        Lexicon {
            stemmer: Stemmer::create(Algorithm::English),
            stop: STOPWORDS.iter().copied().collect(),
        }
    }
}

/// One word of text with its surface form.
#[derive(Debug, Clone)]
pub struct Token<'a> {
    /// As written.
    pub surface: &'a str,
    /// Lower-cased and stemmed.
    pub stem: String,
}

/// The words of one article as the answer stage weighs them: made once per version of an
/// article and kept across requests in a [`TermsCache`], so a request does not stem the
/// articles it reads again.
#[derive(Debug, Clone, Default)]
pub struct ArticleTerms {
    /// Content stems of the title.
    pub title: HashSet<String>,
    /// Content stems of the title and the whole body.
    pub all: HashSet<String>,
    /// Content stems of each sentence in order, repeats kept (`sentences[i]` is sentence
    /// `i`'s).
    pub sentences: Vec<Vec<String>>,
}

impl ArticleTerms {
    /// Stems an article whose body splits into `spans` (its sentences, in order): each
    /// sentence once, and the text between sentences for the body's set.
    pub fn of(lex: &Lexicon, title: &str, body: &str, spans: &[Span]) -> ArticleTerms {
        let title = lex.term_set(title);
        let mut all = title.clone();
        let mut sentences = Vec::with_capacity(spans.len());
        let mut at = 0;
        for sp in spans {
            if let Some(gap) = body.get(at..sp.start) {
                all.extend(lex.stems(gap));
            }
            let stems = body
                .get(sp.start..sp.end)
                .map_or_else(Vec::new, |t| lex.stems(t));
            all.extend(stems.iter().cloned());
            sentences.push(stems);
            at = at.max(sp.end);
        }
        if let Some(rest) = body.get(at..) {
            all.extend(lex.stems(rest));
        }
        ArticleTerms {
            title,
            all,
            sentences,
        }
    }
}

/// Default of the [`TermsCache`] capacity: articles whose stems are kept (about 50 KB each
/// for a 5,000-character article).
pub const DEFAULT_TERMS_CACHE: usize = 512;

/// Article id → (version of its text, its terms).
type TermsLru = parking_lot::Mutex<LruCache<String, (u64, Arc<ArticleTerms>)>>;

/// [`ArticleTerms`] of recently read articles by id, least recently used dropped first; an
/// entry is used only for the same title and body it was made from (a re-posted article is
/// stemmed again).
pub struct TermsCache {
    lru: Option<TermsLru>,
}

impl TermsCache {
    /// A cache of `capacity` articles (0: none kept).
    pub fn new(capacity: usize) -> TermsCache {
        TermsCache {
            lru: NonZeroUsize::new(capacity).map(|n| parking_lot::Mutex::new(LruCache::new(n))),
        }
    }

    /// The terms of `article` (split into sentences `spans`), from the cache or made now.
    pub fn get(&self, lex: &Lexicon, article: &Article, spans: &[Span]) -> Arc<ArticleTerms> {
        let Some(lru) = &self.lru else {
            return Arc::new(ArticleTerms::of(lex, &article.title, &article.body, spans));
        };
        let version = {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            (&article.title, &article.body, spans.len()).hash(&mut h);
            h.finish()
        };
        if let Some((v, t)) = lru.lock().get(&article.id) {
            if *v == version {
                return t.clone();
            }
        }
        let t = Arc::new(ArticleTerms::of(lex, &article.title, &article.body, spans));
        lru.lock().put(article.id.clone(), (version, t.clone()));
        t
    }
}

impl Lexicon {
    /// Splits text into word tokens: runs of letters/digits, keeping inner `-`, `.`, `,` and `'`
    /// between alphanumerics (FY2026-27, 1.5, U.S, 44,000).
    pub fn words<'a>(&self, text: &'a str) -> Vec<Token<'a>> {
        let mut out = Vec::new();
        let bytes: Vec<(usize, char)> = text.char_indices().collect();
        let mut i = 0;
        while i < bytes.len() {
            let (start, c) = bytes[i];
            if !c.is_alphanumeric() {
                i += 1;
                continue;
            }
            let mut j = i + 1;
            while j < bytes.len() {
                let c = bytes[j].1;
                if c.is_alphanumeric() {
                    j += 1;
                } else if matches!(c, '-' | '.' | ',' | '\'' | '’')
                    && j + 1 < bytes.len()
                    && bytes[j + 1].1.is_alphanumeric()
                    && (c != ','
                        || (bytes[j - 1].1.is_ascii_digit() && bytes[j + 1].1.is_ascii_digit()))
                {
                    j += 2;
                } else {
                    break;
                }
            }
            let end = if j < bytes.len() {
                bytes[j].0
            } else {
                text.len()
            };
            let surface = &text[start..end];
            let lower = surface.to_lowercase().replace('’', "'");
            let lower = lower.strip_suffix("'s").unwrap_or(&lower).to_string();
            let stem = if lower.chars().any(|c| c.is_ascii_digit() || c == '.') {
                lower
            } else {
                self.stemmer.stem(&lower).into_owned()
            };
            out.push(Token { surface, stem });
            i = j;
        }
        out
    }

    /// True for function words.
    pub fn is_stop(&self, token: &Token) -> bool {
        let lower = token.surface.to_lowercase();
        self.stop.contains(lower.as_str()) || self.stop.contains(token.stem.as_str())
    }

    /// The content terms of a text (stems, stopwords dropped, de-duplicated, in order).
    pub fn terms(&self, text: &str) -> Vec<String> {
        let mut seen = HashSet::new();
        self.words(text)
            .into_iter()
            .filter(|t| !self.is_stop(t))
            .filter(|t| seen.insert(t.stem.clone()))
            .map(|t| t.stem)
            .collect()
    }

    /// The content stems of a text in order, stopwords dropped (repeats kept).
    pub fn stems(&self, text: &str) -> Vec<String> {
        self.words(text)
            .into_iter()
            .filter(|t| !self.is_stop(t))
            .map(|t| t.stem)
            .collect()
    }

    /// The stem set of a text, stopwords dropped.
    pub fn term_set(&self, text: &str) -> HashSet<String> {
        self.stems(text).into_iter().collect()
    }

    /// Pairs of consecutive content stems (stopwords skipped, so "Bank of India" gives
    /// `bank india`): a sentence holding the question's pairs says the same thing in the same
    /// words, not just the same words somewhere.
    pub fn bigrams(&self, text: &str) -> HashSet<(String, String)> {
        bigrams_of(&self.stems(text))
    }

    /// Named things in a question: acronyms (SIDBI), capitalised words not at the start,
    /// numbers. A question naming SIDBI wants sentences about SIDBI.
    pub fn entities(&self, text: &str) -> Vec<String> {
        let words = self.words(text);
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for (i, t) in words.iter().enumerate() {
            if self.is_stop(t) {
                continue;
            }
            let first = t.surface.chars().next().unwrap_or(' ');
            let upper = t.surface.chars().filter(|c| c.is_uppercase()).count();
            let is_acronym = upper >= 2;
            let is_number = t.surface.chars().any(|c| c.is_ascii_digit());
            let is_name = i > 0 && first.is_uppercase();
            if (is_acronym || is_number || is_name) && seen.insert(t.stem.clone()) {
                out.push(t.stem.clone());
            }
        }
        out
    }
}

/// What kind of thing a question asks for, read off its wh-phrase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AnswerKind {
    /// How much / how many / what percentage …: wants a quantity.
    Quantity,
    /// When / what year / what date …: wants a time.
    Time,
    /// Who / whom / whose: wants a name.
    Person,
    /// Where: wants a place.
    Place,
    /// What did X announce / launch / unveil …: wants the sentence that reports the act.
    Action,
}

/// Stems of the verbs news uses to report what an organisation did ("announced", "launched",
/// "unveiled", "rolled out", …).
const ACTION_STEMS: &[&str] = &[
    "announc",
    "launch",
    "unveil",
    "introduc",
    "declar",
    "approv",
    "releas",
    "inaugur",
    "roll",
    "began",
    "begin",
    "commission",
    "initiat",
];

/// Action verbs whose stems also start unrelated words ("significant", "startup", "openness").
const ACTION_WORDS: &[&str] = &[
    "sign", "signs", "signed", "signing", "start", "starts", "started", "open", "opens", "opened",
];

fn is_action_word(w: &str) -> bool {
    let l = w.to_lowercase();
    ACTION_STEMS.iter().any(|s| l.starts_with(s)) || ACTION_WORDS.contains(&l.as_str())
}

const NUMBER_WORDS: &[&str] = &[
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve", "twenty", "thirty", "forty", "fifty", "hundred", "thousand", "million", "billion",
    "trillion", "crore", "crores", "lakh", "lakhs", "dozen", "half", "percent", "per",
];

/// The answer kind a question expects, if its wording says.
pub fn answer_kind(question: &str) -> Option<AnswerKind> {
    let q = question.trim().to_lowercase();
    let starts = |p: &str| q.starts_with(p) || q.contains(&format!(" {p}"));
    if starts("how much")
        || starts("how many")
        || starts("how long")
        || starts("how old")
        || starts("how far")
        || starts("how large")
        || starts("how big")
        || starts("what percentage")
        || starts("what percent")
        || starts("what share")
        || starts("what amount")
        || starts("what number")
    {
        Some(AnswerKind::Quantity)
    } else if starts("when")
        || starts("what year")
        || starts("which year")
        || starts("what date")
        || starts("what day")
        || starts("what time")
        || starts("what month")
        || starts("which month")
        || starts("what century")
    {
        Some(AnswerKind::Time)
    } else if q.starts_with("who") || starts("whom") || starts("whose") {
        Some(AnswerKind::Person)
    } else if q.starts_with("where")
        || starts("in which city")
        || starts("in which country")
        || starts("what city")
        || starts("what country")
        || starts("which city")
        || starts("which country")
    {
        Some(AnswerKind::Place)
    } else if q.starts_with("what")
        && q.split(|c: char| !c.is_alphanumeric())
            .skip(1)
            .any(is_action_word)
    {
        Some(AnswerKind::Action)
    } else {
        None
    }
}

/// True when the sentence holds something of the expected kind that the question does not
/// already hold (a number for "how many", a date for "when", a name for "who"…).
pub fn has_answer_kind(kind: AnswerKind, sentence: &str, question: &str) -> bool {
    let lex_words = |t: &str| -> Vec<String> {
        t.split(|c: char| !(c.is_alphanumeric() || c == '.' || c == ',' || c == '%'))
            .filter(|w| !w.is_empty())
            .map(|w| w.trim_matches(|c| c == '.' || c == ',').to_string())
            .collect()
    };
    let q_lower: std::collections::HashSet<String> = lex_words(question)
        .iter()
        .map(|w| w.to_lowercase())
        .collect();
    let words = lex_words(sentence);
    let new = |w: &String| !q_lower.contains(&w.to_lowercase());
    match kind {
        AnswerKind::Quantity => words.iter().filter(|w| new(w)).any(|w| {
            w.chars().any(|c| c.is_ascii_digit())
                || NUMBER_WORDS.contains(&w.to_lowercase().as_str())
        }),
        AnswerKind::Time => words.iter().filter(|w| new(w)).any(|w| {
            let l = w.to_lowercase();
            crate::text::calendar::english_month(&l).is_some()
                || (w.len() == 4
                    && w.chars().all(|c| c.is_ascii_digit())
                    && (w.starts_with("1") || w.starts_with("20")))
                || l.ends_with("s") && l.len() == 5 && l[..4].chars().all(|c| c.is_ascii_digit())
                || [
                    "monday",
                    "tuesday",
                    "wednesday",
                    "thursday",
                    "friday",
                    "saturday",
                    "sunday",
                    "yesterday",
                    "today",
                    "century",
                ]
                .contains(&l.as_str())
        }),
        AnswerKind::Action => words.iter().any(|w| is_action_word(w)),
        AnswerKind::Person | AnswerKind::Place => {
            words.iter().skip(1).filter(|w| new(w)).any(|w| {
                w.chars().next().is_some_and(|c| c.is_uppercase())
                    && w.chars().skip(1).any(|c| c.is_lowercase())
            })
        }
    }
}

/// Inverse document frequencies over a pool of texts (the candidate sentences of one request):
/// a term every candidate shares tells nothing about which one answers.
pub struct PoolIdf {
    df: HashMap<String, usize>,
    n: usize,
}

impl PoolIdf {
    /// Counts document frequencies over the pool's term sets.
    pub fn new<'a>(pool: impl IntoIterator<Item = &'a HashSet<String>>) -> Self {
        let mut df = HashMap::new();
        let mut n = 0;
        for set in pool {
            n += 1;
            for t in set {
                *df.entry(t.clone()).or_insert(0) += 1;
            }
        }
        PoolIdf { df, n }
    }

    /// Smoothed idf, ≥ a floor so that a term in every candidate still counts a little.
    pub fn idf(&self, term: &str) -> f32 {
        let df = *self.df.get(term).unwrap_or(&0) as f32;
        let n = self.n.max(1) as f32;
        ((n + 1.0) / (df + 0.5)).ln().max(0.2)
    }

    /// Share of the query's idf mass that the sentence covers, in [0, 1].
    pub fn coverage(&self, query_terms: &[String], sentence: &HashSet<String>) -> f32 {
        weighted_share(query_terms, |t| sentence.contains(t), |t| self.idf(t))
    }
}

/// Share of the query terms' `weight` held by the terms `present` says are there, in [0, 1]
/// (0 when the terms weigh nothing).
pub fn weighted_share(
    terms: &[String],
    present: impl Fn(&str) -> bool,
    weight: impl Fn(&str) -> f32,
) -> f32 {
    let total: f32 = terms.iter().map(|t| weight(t)).sum();
    if total <= 0.0 {
        return 0.0;
    }
    let hit: f32 = terms.iter().filter(|t| present(t)).map(|t| weight(t)).sum();
    hit / total
}

/// [`Lexicon::bigrams`] of stems already computed.
pub fn bigrams_of(stems: &[String]) -> HashSet<(String, String)> {
    stems
        .windows(2)
        .map(|w| (w[0].clone(), w[1].clone()))
        .collect()
}

/// Share of `wanted` present in `set` (1.0 when nothing is wanted).
pub fn share_present(wanted: &[String], set: &HashSet<String>) -> f32 {
    if wanted.is_empty() {
        return 0.0;
    }
    wanted.iter().filter(|w| set.contains(*w)).count() as f32 / wanted.len() as f32
}

/// Jaccard similarity of two term sets.
pub fn jaccard(a: &HashSet<String>, b: &HashSet<String>) -> f32 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let inter = a.intersection(b).count() as f32;
    inter / a.union(b).count() as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The demo corpus's articles (real Wikinews text), split into sentences as stored.
    fn demo_articles() -> Vec<(Article, Vec<Span>)> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/demo/wikinews-gum.jsonl"
        );
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .take(12)
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                let a: Article = serde_json::from_value(serde_json::json!({
                    "id": v["id"], "title": v["title"], "body": v["body"],
                }))
                .unwrap();
                let spans = crate::text::sentences(&a);
                (a, spans)
            })
            .collect()
    }

    #[test]
    fn article_terms_match_stemming_the_whole_text() {
        let lex = Lexicon::default();
        for (a, spans) in demo_articles() {
            let t = ArticleTerms::of(&lex, &a.title, &a.body, &spans);
            let mut whole = lex.term_set(&a.body);
            whole.extend(lex.term_set(&a.title));
            assert_eq!(t.all, whole, "{}", a.id);
            assert_eq!(t.title, lex.term_set(&a.title));
            assert_eq!(t.sentences.len(), spans.len());
            for (stems, sp) in t.sentences.iter().zip(&spans) {
                assert_eq!(stems, &lex.stems(&a.body[sp.start..sp.end]));
            }
        }
    }

    #[test]
    fn terms_cache_keeps_an_article_until_its_text_changes_or_it_is_pushed_out() {
        let lex = Lexicon::default();
        let arts = demo_articles();
        let cache = TermsCache::new(2);
        let (a, sa) = &arts[0];
        let first = cache.get(&lex, a, sa);
        assert!(
            Arc::ptr_eq(&first, &cache.get(&lex, a, sa)),
            "a repeat read is cached"
        );
        // The same id re-posted with another body is stemmed again, not served stale.
        let mut edited = a.clone();
        edited.body.push_str("\n\nSIDBI sanctioned more clusters.");
        let e = cache.get(&lex, &edited, sa);
        assert!(!Arc::ptr_eq(&first, &e));
        assert!(e.all.contains("sidbi") && !first.all.contains("sidbi"));
        // Two other articles push it out of a two-entry cache.
        cache.get(&lex, &arts[1].0, &arts[1].1);
        cache.get(&lex, &arts[2].0, &arts[2].1);
        assert!(!Arc::ptr_eq(&e, &cache.get(&lex, &edited, sa)));
        // No cache: made on every read, same content.
        let none = TermsCache::new(0);
        let x = none.get(&lex, a, sa);
        assert!(!Arc::ptr_eq(&x, &none.get(&lex, a, sa)));
        assert_eq!(x.all, first.all);
    }

    #[test]
    fn keeps_acronyms_numbers_and_codes_whole() {
        let lex = Lexicon::default();
        let words: Vec<_> = lex
            .words("SIDBI's FY2026-27 plan: ₹1.5 crore for 44,000 U.S. MSMEs.")
            .into_iter()
            .map(|t| t.stem)
            .collect();
        assert!(words.contains(&"sidbi".to_string()), "{words:?}");
        assert!(words.contains(&"fy2026-27".to_string()), "{words:?}");
        assert!(words.contains(&"1.5".to_string()), "{words:?}");
        assert!(words.contains(&"44,000".to_string()), "{words:?}");
    }

    #[test]
    fn question_terms_drop_question_words() {
        let lex = Lexicon::default();
        assert_eq!(
            lex.terms("What did SIDBI announce?"),
            vec!["sidbi", "announc"]
        );
        assert_eq!(lex.entities("What did SIDBI announce?"), vec!["sidbi"]);
    }

    #[test]
    fn coverage_weights_rare_terms() {
        let lex = Lexicon::default();
        let a = lex.term_set("SIDBI launched a scheme for clusters");
        let b = lex.term_set("The clusters met in Delhi");
        let c = lex.term_set("Clusters grow");
        let idf = PoolIdf::new([&a, &b, &c]);
        let q = lex.terms("What scheme did SIDBI launch for clusters?");
        assert!(idf.coverage(&q, &a) > idf.coverage(&q, &b));
        assert!(idf.coverage(&q, &a) > 0.9);
    }

    #[test]
    fn answer_kinds_are_read_and_found() {
        let q = "How much hydrogen will the Tata Steel plant produce?";
        assert_eq!(answer_kind(q), Some(AnswerKind::Quantity));
        assert!(has_answer_kind(
            AnswerKind::Quantity,
            "The plant will produce 500 tonnes of hydrogen a year.",
            q
        ));
        assert!(!has_answer_kind(
            AnswerKind::Quantity,
            "Tata Steel commissioned a plant at its works.",
            q
        ));
        let q = "When did the meeting take place?";
        assert_eq!(answer_kind(q), Some(AnswerKind::Time));
        assert!(has_answer_kind(
            AnswerKind::Time,
            "The meeting was held on 18 March 2026.",
            q
        ));
        assert_eq!(
            answer_kind("Who chaired the meeting?"),
            Some(AnswerKind::Person)
        );
        assert!(has_answer_kind(
            AnswerKind::Person,
            "The meeting was chaired by Amardeep Singh Bhatia.",
            "Who chaired the meeting?"
        ));
        assert_eq!(
            answer_kind("What did SIDBI announce?"),
            Some(AnswerKind::Action)
        );
        assert!(has_answer_kind(
            AnswerKind::Action,
            "SIDBI has launched a model of cluster development.",
            "What did SIDBI announce?"
        ));
        assert!(!has_answer_kind(
            AnswerKind::Action,
            "SIDBI will follow a dual strategy.",
            "What did SIDBI announce?"
        ));
        assert_eq!(answer_kind("What is the capital of France?"), None);
    }

    #[test]
    fn jaccard_of_identical_sets_is_one() {
        let lex = Lexicon::default();
        let a = lex.term_set("SIDBI launched a scheme");
        assert!((jaccard(&a, &a) - 1.0).abs() < 1e-6);
        let b = lex.term_set("Apple released a phone");
        assert!(jaccard(&a, &b) < 0.2);
    }
}

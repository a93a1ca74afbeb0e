//! Baselines run side by side with newsdesk in the evaluations, so that every number has a
//! reference point computed on the same data in the same run.
//!
//! * Summaries (BBC): [`lead`] (the first sentences) and [`textrank`] (Mihalcea & Tarau's
//!   TextRank on word overlap). Both take sentences until the reference's word count is reached,
//!   put them in article order and cut at that word count ([`fill_and_cut`]), like the system
//!   under test.
//! * Answer sentences (SQuAD): [`SentenceBm25`], a tantivy BM25 index over every sentence of
//!   the corpus with the product's analyzer, and [`DenseSentences`], an exact (brute-force)
//!   cosine ranking of every sentence vector.

use std::collections::HashSet;

use anyhow::Result;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions};
use tantivy::{doc, Index, IndexReader, IndexWriter, Term};

use newsdesk::index::analyzer::{query_terms, NewsTokenizer, ANALYZER_NAME};
use newsdesk::index::exact_search;

use super::rouge::{first_words, Rouge};

/// Words in a text, as the summary length is counted (whitespace-separated).
pub fn word_count(text: &str) -> usize {
    text.split_whitespace().count()
}

/// Takes sentences in `order` until at least `words` words are taken, puts them back in
/// article order, joins them and cuts the result at `words` words.
pub fn fill_and_cut(sentences: &[&str], order: &[usize], words: usize) -> String {
    let mut chosen = Vec::new();
    let mut total = 0;
    for &i in order {
        if total >= words {
            break;
        }
        if i >= sentences.len() || chosen.contains(&i) {
            continue;
        }
        total += word_count(sentences[i]);
        chosen.push(i);
    }
    chosen.sort_unstable();
    let joined = chosen
        .iter()
        .map(|&i| sentences[i].trim())
        .collect::<Vec<_>>()
        .join(" ");
    first_words(&joined, words)
}

/// Lead-N: the article's first sentences, cut at `words` words.
pub fn lead(sentences: &[&str], words: usize) -> String {
    let order: Vec<usize> = (0..sentences.len()).collect();
    fill_and_cut(sentences, &order, words)
}

/// English function words left out of TextRank's overlap (lower-case, unstemmed).
const STOP: &[&str] = &[
    "a", "about", "after", "all", "also", "an", "and", "any", "are", "as", "at", "be", "been",
    "but", "by", "can", "could", "did", "do", "does", "for", "from", "had", "has", "have", "he",
    "her", "his", "i", "if", "in", "into", "is", "it", "its", "may", "more", "most", "mr", "no",
    "not", "of", "on", "one", "or", "our", "out", "over", "s", "said", "says", "she", "so", "some",
    "than", "that", "the", "their", "them", "then", "there", "these", "they", "this", "those",
    "to", "up", "was", "we", "were", "what", "when", "which", "while", "who", "will", "with",
    "would", "you",
];

/// Content stems of a sentence for TextRank (ROUGE's tokeniser and stemmer, stop words out).
pub fn content_stems(rouge: &Rouge, sentence: &str) -> Vec<String> {
    let stop: HashSet<&str> = STOP.iter().copied().collect();
    // Stop words are matched before stemming: re-tokenise without the stemmer's view.
    let lowered = sentence.to_lowercase();
    let raw: Vec<&str> = lowered
        .split(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit()))
        .filter(|w| !w.is_empty())
        .collect();
    let stems = rouge.tokens(sentence);
    debug_assert_eq!(raw.len(), stems.len());
    raw.iter()
        .zip(stems)
        .filter(|(w, _)| !stop.contains(*w))
        .map(|(_, s)| s)
        .collect()
}

/// TextRank sentence scores: PageRank (d = 0.85) over the graph whose edge weight is
/// `|Si ∩ Sj| / (ln |Si| + ln |Sj|)` on content stems (Mihalcea & Tarau 2004).
pub fn textrank_scores(rouge: &Rouge, sentences: &[&str]) -> Vec<f64> {
    let sets: Vec<HashSet<String>> = sentences
        .iter()
        .map(|s| content_stems(rouge, s).into_iter().collect())
        .collect();
    let n = sets.len();
    let mut w = vec![0.0f64; n * n];
    for i in 0..n {
        for j in (i + 1)..n {
            let overlap = sets[i].intersection(&sets[j]).count() as f64;
            if overlap == 0.0 {
                continue;
            }
            let denom = (sets[i].len() as f64).ln() + (sets[j].len() as f64).ln();
            let s = if denom > 0.0 {
                overlap / denom
            } else {
                overlap
            };
            w[i * n + j] = s;
            w[j * n + i] = s;
        }
    }
    pagerank(&w, n, 0.85)
}

/// Weighted PageRank over a dense symmetric matrix, iterated to 1e-9 (at most 200 rounds).
pub fn pagerank(w: &[f64], n: usize, d: f64) -> Vec<f64> {
    if n == 0 {
        return Vec::new();
    }
    let out: Vec<f64> = (0..n).map(|i| w[i * n..(i + 1) * n].iter().sum()).collect();
    let mut r = vec![1.0 / n as f64; n];
    for _ in 0..200 {
        let mut next = vec![(1.0 - d) / n as f64; n];
        // Dangling sentences (no edge) spread their rank evenly.
        let dangling: f64 = (0..n).filter(|&j| out[j] == 0.0).map(|j| r[j]).sum();
        for x in next.iter_mut() {
            *x += d * dangling / n as f64;
        }
        for j in 0..n {
            if out[j] == 0.0 {
                continue;
            }
            let share = d * r[j] / out[j];
            for i in 0..n {
                next[i] += share * w[j * n + i];
            }
        }
        let delta: f64 = next.iter().zip(&r).map(|(a, b)| (a - b).abs()).sum();
        r = next;
        if delta < 1e-9 {
            break;
        }
    }
    r
}

/// Indices sorted by descending score, ties to the earlier sentence.
pub fn order_by_score(scores: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
    order
}

/// TextRank summary: top sentences by TextRank, in article order, cut at `words` words.
pub fn textrank(rouge: &Rouge, sentences: &[&str], words: usize) -> String {
    let scores = textrank_scores(rouge, sentences);
    fill_and_cut(sentences, &order_by_score(&scores), words)
}

/// BM25 over single sentences (tantivy in memory, the product's analyzer, Lucene BM25 with
/// k1 = 1.2, b = 0.75): a sentence ranker that knows nothing about paragraphs.
pub struct SentenceBm25 {
    reader: IndexReader,
    text: tantivy::schema::Field,
}

impl SentenceBm25 {
    /// Indexes `sentences`; search results are indices into it.
    pub fn build<'a>(sentences: impl IntoIterator<Item = &'a str>) -> Result<SentenceBm25> {
        let mut sb = Schema::builder();
        let text_opts = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(ANALYZER_NAME)
                .set_index_option(IndexRecordOption::WithFreqs),
        );
        let text = sb.add_text_field("text", text_opts);
        let sid = sb.add_u64_field("sid", NumericOptions::default().set_fast());
        let index = Index::create_in_ram(sb.build());
        index.tokenizers().register(
            ANALYZER_NAME,
            tantivy::tokenizer::TextAnalyzer::from(NewsTokenizer),
        );
        let mut w: IndexWriter = index.writer_with_num_threads(1, 64 << 20)?;
        for (i, s) in sentences.into_iter().enumerate() {
            w.add_document(doc!(text => s, sid => i as u64))?;
        }
        w.commit()?;
        let reader = index.reader()?;
        Ok(SentenceBm25 { reader, text })
    }

    /// The top `k` sentences for `query`: `(sentence index, score)`, best first.
    pub fn search(&self, query: &str, k: usize) -> Result<Vec<(usize, f32)>> {
        let terms = query_terms(query);
        if terms.is_empty() || k == 0 {
            return Ok(Vec::new());
        }
        let should: Vec<(Occur, Box<dyn Query>)> = terms
            .iter()
            .map(|t| {
                let q: Box<dyn Query> = Box::new(TermQuery::new(
                    Term::from_field_text(self.text, t),
                    IndexRecordOption::WithFreqs,
                ));
                (Occur::Should, q)
            })
            .collect();
        let searcher = self.reader.searcher();
        let top = searcher.search(&BooleanQuery::new(should), &TopDocs::with_limit(k))?;
        let mut out = Vec::with_capacity(top.len());
        for (score, addr) in top {
            let col = searcher
                .segment_reader(addr.segment_ord)
                .fast_fields()
                .u64("sid")?;
            if let Some(i) = col.first(addr.doc_id) {
                out.push((i as usize, score));
            }
        }
        Ok(out)
    }
}

/// Exact dense ranking of sentence vectors (all L2-normalised).
pub struct DenseSentences {
    vectors: Vec<Vec<f32>>,
}

impl DenseSentences {
    /// Holds the vectors; search results are indices into them.
    pub fn new(vectors: Vec<Vec<f32>>) -> DenseSentences {
        DenseSentences { vectors }
    }

    /// The `k` sentences with the highest cosine: `(index, cosine)`, best first.
    pub fn search(&self, query: &[f32], k: usize) -> Vec<(usize, f32)> {
        exact_search(
            self.vectors
                .iter()
                .enumerate()
                .map(|(i, v)| (i as u64, v.as_slice())),
            query,
            k,
        )
        .into_iter()
        .map(|(i, s)| (i as usize, s))
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_and_cut_takes_until_the_budget_then_restores_order() {
        let s = ["One two three.", "Four five.", "Six seven eight nine."];
        // Order 2, 0: 4 words, then 3 → 7 ≥ 5; in article order, cut at 5 words.
        assert_eq!(fill_and_cut(&s, &[2, 0, 1], 5), "One two three. Six seven");
        assert_eq!(lead(&s, 4), "One two three. Four");
        assert_eq!(
            lead(&s, 100),
            "One two three. Four five. Six seven eight nine."
        );
        assert_eq!(lead(&[], 10), "");
    }

    #[test]
    fn textrank_prefers_the_sentence_sharing_most_words() {
        let r = Rouge::default();
        let s = [
            "Rain fell on the coast.",
            "SIDBI funds clusters of small firms.",
            "Small firms in clusters get SIDBI loans.",
            "SIDBI loans reach small firms and clusters quickly.",
            "A cat slept.",
        ];
        let scores = textrank_scores(&r, &s);
        let order = order_by_score(&scores);
        assert!(
            order[..3].iter().all(|&i| (1..=3).contains(&i)),
            "{scores:?}"
        );
        assert!(scores[0] < scores[1] && scores[4] < scores[1]);
        let sum: f64 = scores.iter().sum();
        assert!((sum - 1.0).abs() < 1e-6, "PageRank mass is kept: {sum}");
        // The two best sentences, back in article order, cut at 10 words.
        let summary = textrank(&r, &s, 10);
        let mut best = [order[0], order[1]];
        best.sort();
        let want = format!("{} {}", s[best[0]], s[best[1]]);
        assert_eq!(summary, first_words(&want, 10));
        assert!(
            !summary.contains("Rain") && !summary.contains("cat"),
            "{summary}"
        );
    }

    #[test]
    fn content_stems_drop_function_words_and_stem() {
        let r = Rouge::default();
        assert_eq!(
            content_stems(&r, "The firms were funding the clusters."),
            vec!["firm", "fund", "cluster"]
        );
    }

    #[test]
    fn pagerank_of_a_symmetric_pair_is_even() {
        let w = [0.0, 1.0, 1.0, 0.0];
        let r = pagerank(&w, 2, 0.85);
        assert!((r[0] - 0.5).abs() < 1e-9 && (r[1] - 0.5).abs() < 1e-9);
        assert!(pagerank(&[], 0, 0.85).is_empty());
    }

    #[test]
    fn sentence_bm25_ranks_the_matching_sentence_first() {
        let sents = [
            "Denver Broncos won Super Bowl 50.",
            "The game was played at Levi's Stadium.",
            "SIDBI funds MSMEs in FY2026-27.",
        ];
        let bm = SentenceBm25::build(sents.iter().copied()).unwrap();
        let hits = bm.search("Where was the game played?", 3).unwrap();
        assert_eq!(hits[0].0, 1);
        let hits = bm
            .search("Which MSMEs get SIDBI money in FY2026-27", 3)
            .unwrap();
        assert_eq!(hits[0].0, 2);
        assert!(bm.search("the of and", 3).unwrap().is_empty());
    }

    #[test]
    fn dense_sentences_rank_by_cosine() {
        let d = DenseSentences::new(vec![vec![1.0, 0.0], vec![0.0, 1.0], vec![0.6, 0.8]]);
        let hits = d.search(&[0.0, 1.0], 2);
        assert_eq!(hits.iter().map(|h| h.0).collect::<Vec<_>>(), vec![1, 2]);
    }
}

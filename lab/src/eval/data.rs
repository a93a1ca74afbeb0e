//! Readers for the public evaluation sets, by path (the data is never copied into the repo):
//!
//! * BEIR layout (SciFact): `corpus.jsonl` (`_id`, `title`, `text`), `queries.jsonl` (`_id`,
//!   `text`), `qrels/<split>.tsv` (`query-id`, `corpus-id`, `score`, with a header line).
//! * SQuAD v1.1 JSON: `data[].paragraphs[].{context, qas[].{id, question, answers[].text}}`.
//! * BBC News Summary JSONL: one `{id, category, title, article, summary}` per line.
//! * News JSONL (PIB, Wikinews): read by the product's own ingest.
//!
//! [`corpus_articles`] turns any of them into articles, for benchmarks that need a big real
//! corpus.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::Deserialize;

use super::ir::Qrels;

/// A BEIR corpus document.
#[derive(Debug, Clone, Deserialize)]
pub struct BeirDoc {
    /// Document id.
    #[serde(rename = "_id")]
    pub id: String,
    /// Title (may be empty).
    #[serde(default)]
    pub title: String,
    /// Body text.
    #[serde(default)]
    pub text: String,
}

/// A BEIR query.
#[derive(Debug, Clone, Deserialize)]
pub struct BeirQuery {
    /// Query id.
    #[serde(rename = "_id")]
    pub id: String,
    /// The query text.
    pub text: String,
}

/// A BEIR dataset with one split's judgements.
#[derive(Debug, Clone)]
pub struct Beir {
    /// All documents, in file order.
    pub corpus: Vec<BeirDoc>,
    /// The judged queries of the split, in file order.
    pub queries: Vec<BeirQuery>,
    /// Judgements of the split.
    pub qrels: Qrels,
    /// Which split was read (`test`, `dev` or `train`).
    pub split: String,
}

/// The qrels split a BEIR folder is evaluated on: `test` when present, else `dev`, else `train`.
pub fn beir_split(dir: &Path) -> Result<(String, PathBuf)> {
    for split in ["test", "dev", "train"] {
        let p = dir.join("qrels").join(format!("{split}.tsv"));
        if p.is_file() {
            return Ok((split.to_string(), p));
        }
    }
    bail!(
        "{} has no qrels/test.tsv, qrels/dev.tsv or qrels/train.tsv (is it a BEIR folder?)",
        dir.display()
    )
}

fn read_jsonl<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Vec<T>> {
    let f = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut out = Vec::new();
    for (i, line) in BufReader::new(f).lines().enumerate() {
        let line = line.with_context(|| format!("reading {}", path.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        out.push(
            serde_json::from_str(&line).with_context(|| {
                format!("{} line {}: not a valid record", path.display(), i + 1)
            })?,
        );
    }
    Ok(out)
}

/// Reads a qrels TSV (`query-id corpus-id score`, header optional).
pub fn read_qrels(path: &Path) -> Result<Qrels> {
    let f = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut qrels = Qrels::new();
    for (i, line) in BufReader::new(f).lines().enumerate() {
        let line = line?;
        let cols: Vec<&str> = line.split('\t').map(str::trim).collect();
        if cols.len() < 3 || cols.iter().all(|c| c.is_empty()) {
            if line.trim().is_empty() {
                continue;
            }
            bail!(
                "{} line {}: want 3 tab-separated columns",
                path.display(),
                i + 1
            );
        }
        let grade: i64 = match cols[2].parse() {
            Ok(g) => g,
            Err(_) if i == 0 => continue, // header
            Err(_) => bail!(
                "{} line {}: score {:?} is not a number",
                path.display(),
                i + 1,
                cols[2]
            ),
        };
        qrels
            .entry(cols[0].to_string())
            .or_default()
            .insert(cols[1].to_string(), grade.max(0) as u32);
    }
    Ok(qrels)
}

/// Loads a BEIR folder; only the queries judged in the split are kept.
pub fn load_beir(dir: &Path) -> Result<Beir> {
    let (split, qrels_path) = beir_split(dir)?;
    let qrels = read_qrels(&qrels_path)?;
    let corpus: Vec<BeirDoc> = read_jsonl(&dir.join("corpus.jsonl"))?;
    let queries: Vec<BeirQuery> = read_jsonl::<BeirQuery>(&dir.join("queries.jsonl"))?
        .into_iter()
        .filter(|q| qrels.contains_key(&q.id))
        .collect();
    if corpus.is_empty() {
        bail!("{}: corpus.jsonl is empty", dir.display());
    }
    if queries.is_empty() {
        bail!(
            "{}: no query of queries.jsonl is judged in qrels/{split}.tsv",
            dir.display()
        );
    }
    Ok(Beir {
        corpus,
        queries,
        qrels,
        split,
    })
}

/// A SQuAD paragraph with its questions.
#[derive(Debug, Clone)]
pub struct SquadParagraph {
    /// Stable id: `<article title>#<paragraph index>`.
    pub id: String,
    /// The Wikipedia article's title.
    pub title: String,
    /// The paragraph.
    pub context: String,
}

/// A SQuAD question.
#[derive(Debug, Clone)]
pub struct SquadQuestion {
    /// Question id.
    pub id: String,
    /// The question.
    pub question: String,
    /// Gold answer strings (de-duplicated).
    pub answers: Vec<String>,
    /// Index into [`Squad::paragraphs`] of the paragraph it was asked on.
    pub paragraph: usize,
}

/// A SQuAD v1.1 file.
#[derive(Debug, Clone)]
pub struct Squad {
    /// All paragraphs, in file order.
    pub paragraphs: Vec<SquadParagraph>,
    /// All questions, in file order.
    pub questions: Vec<SquadQuestion>,
}

#[derive(Deserialize)]
struct RawSquad {
    data: Vec<RawArticle>,
}
#[derive(Deserialize)]
struct RawArticle {
    title: String,
    paragraphs: Vec<RawParagraph>,
}
#[derive(Deserialize)]
struct RawParagraph {
    context: String,
    qas: Vec<RawQa>,
}
#[derive(Deserialize)]
struct RawQa {
    id: String,
    question: String,
    answers: Vec<RawAnswer>,
}
#[derive(Deserialize)]
struct RawAnswer {
    text: String,
}

/// Reads a SQuAD v1.1 JSON file.
pub fn load_squad(path: &Path) -> Result<Squad> {
    let f = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let raw: RawSquad = serde_json::from_reader(BufReader::new(f))
        .with_context(|| format!("{}: not SQuAD v1.1 JSON", path.display()))?;
    let mut out = Squad {
        paragraphs: Vec::new(),
        questions: Vec::new(),
    };
    for a in raw.data {
        for (pi, p) in a.paragraphs.into_iter().enumerate() {
            let idx = out.paragraphs.len();
            out.paragraphs.push(SquadParagraph {
                id: format!("{}#{pi}", a.title),
                title: a.title.replace('_', " "),
                context: p.context,
            });
            for qa in p.qas {
                let mut answers: Vec<String> = Vec::new();
                for ans in qa.answers {
                    let t = ans.text.trim().to_string();
                    if !t.is_empty() && !answers.contains(&t) {
                        answers.push(t);
                    }
                }
                if answers.is_empty() {
                    continue;
                }
                out.questions.push(SquadQuestion {
                    id: qa.id,
                    question: qa.question,
                    answers,
                    paragraph: idx,
                });
            }
        }
    }
    if out.questions.is_empty() {
        bail!("{}: no answerable question found", path.display());
    }
    Ok(out)
}

/// One BBC News Summary record.
#[derive(Debug, Clone, Deserialize)]
pub struct BbcArticle {
    /// Id such as `business/001`.
    pub id: String,
    /// business, entertainment, politics, …
    #[serde(default)]
    pub category: String,
    /// Headline.
    pub title: String,
    /// Body, paragraphs separated by blank lines.
    pub article: String,
    /// The extractive reference summary.
    pub summary: String,
}

/// Reads the BBC News Summary JSONL.
pub fn load_bbc(path: &Path) -> Result<Vec<BbcArticle>> {
    let rows: Vec<BbcArticle> = read_jsonl(path)?;
    if rows.is_empty() {
        bail!("{}: no record", path.display());
    }
    Ok(rows)
}

/// The articles of any evaluation file, by its shape: a BEIR `corpus.jsonl` (`_id`), SQuAD
/// JSON (its paragraphs), BBC News Summary JSONL (`summary`), or news JSONL read by the
/// product's ingest; or a folder of HTML pages (e.g. a documentation tree), each page's text
/// as the product's HTML cleaner gives it. Ids are prefixed with the file's stem, so files do
/// not collide.
pub fn corpus_articles(path: &Path) -> Result<Vec<newsdesk::ingest::Article>> {
    use super::common::eval_article;
    if path.is_dir() {
        return html_pages(path);
    }
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("doc")
        .to_string();
    let first_line = {
        let f = File::open(path).with_context(|| format!("opening {}", path.display()))?;
        let mut line = String::new();
        BufReader::new(f).read_line(&mut line)?;
        line
    };
    let first: Option<serde_json::Value> = serde_json::from_str(first_line.trim()).ok();
    let has = |k: &str| first.as_ref().is_some_and(|v| v.get(k).is_some());
    let mut out = Vec::new();
    let squad = has("data") || (first.is_none() && first_line.trim_start().starts_with('{'));
    if squad {
        for p in load_squad(path)?.paragraphs {
            out.push(eval_article(&p.id, &p.title, &p.context, None)?);
        }
    } else if has("_id") {
        for d in read_jsonl::<BeirDoc>(path)? {
            out.push(eval_article(&d.id, &d.title, &d.text, None)?);
        }
    } else if has("summary") && has("article") {
        for r in load_bbc(path)? {
            out.push(eval_article(
                &r.id,
                &r.title,
                &r.article,
                Some(&r.category),
            )?);
        }
    } else {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let opts = newsdesk::ingest::IngestOptions::default();
        out = newsdesk::ingest::parse_bytes(&bytes, Some(newsdesk::ingest::Format::Jsonl), &opts)
            .with_context(|| format!("{}: not news JSONL", path.display()))?;
    }
    for a in &mut out {
        a.id = format!("{stem}-{}", a.id);
        if a.source.is_none() {
            a.source = Some(stem.clone());
        }
    }
    Ok(out)
}

/// Every `*.html` page under `root` (sorted by path) as an article: the `<title>` as title,
/// the cleaned text as body; pages with under 200 bytes of text are skipped.
fn html_pages(root: &Path) -> Result<Vec<newsdesk::ingest::Article>> {
    fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) -> Result<()> {
        for e in std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
            let p = e?.path();
            if p.is_dir() {
                walk(&p, out)?;
            } else if p.extension().is_some_and(|x| x == "html") {
                out.push(p);
            }
        }
        Ok(())
    }
    let mut files = Vec::new();
    walk(root, &mut files)?;
    files.sort();
    let stem = root
        .file_name()
        .and_then(|s| s.to_str())
        .unwrap_or("html")
        .to_string();
    let mut out = Vec::new();
    for f in files {
        let html = String::from_utf8_lossy(&std::fs::read(&f)?).into_owned();
        let title = html
            .find("<title>")
            .and_then(|i| {
                let rest = &html[i + 7..];
                rest.find("</title>").map(|j| &rest[..j])
            })
            .map(newsdesk::text::html_to_text)
            .unwrap_or_default();
        let body = newsdesk::text::html_to_text(&html);
        if body.len() < 200 {
            continue;
        }
        let rel = f
            .strip_prefix(root)
            .unwrap_or(&f)
            .to_string_lossy()
            .replace('/', "-");
        let title = if title.trim().is_empty() {
            rel.clone()
        } else {
            title
        };
        let mut a = super::common::eval_article(&format!("{stem}-{rel}"), &title, &body, None)?;
        a.source = Some(stem.clone());
        out.push(a);
    }
    if out.is_empty() {
        bail!("{}: no HTML page with text", root.display());
    }
    Ok(out)
}

/// The BBC references glue their sentences together (`…$10.9bn.For the full-year…`); this puts
/// a space back after a sentence-final `.`, `!` or `?` followed directly by a capital letter or
/// an opening quote, so that counting words counts the reference's words.
pub fn unglue_sentences(summary: &str) -> String {
    let chars: Vec<char> = summary.chars().collect();
    let mut out = String::with_capacity(summary.len() + 16);
    for (i, &c) in chars.iter().enumerate() {
        out.push(c);
        if !matches!(c, '.' | '!' | '?') || i == 0 || i + 1 >= chars.len() {
            continue;
        }
        let prev = chars[i - 1];
        let next = chars[i + 1];
        // A word ending in lower case, a digit or a closing mark ends a sentence; a single
        // capital (an initial, `J.P.`) does not, a run of capitals (`US.The`) does.
        let ends_word = prev.is_lowercase()
            || prev.is_ascii_digit()
            || matches!(prev, ')' | '%' | '\'' | '"')
            || (prev.is_uppercase() && i >= 2 && chars[i - 2].is_uppercase());
        if ends_word && (next.is_uppercase() || next == '"') {
            out.push(' ');
        }
    }
    out
}

/// Number of words of a reference summary (after [`unglue_sentences`]).
pub fn reference_words(summary: &str) -> usize {
    unglue_sentences(summary).split_whitespace().count()
}

/// Stable per-line order shuffle-free subset: the first `limit` items (all when `None`).
pub fn take_limit<T>(mut v: Vec<T>, limit: Option<usize>) -> Vec<T> {
    if let Some(n) = limit {
        v.truncate(n);
    }
    v
}

/// Groups documents by id for quick lookup.
pub fn index_by_id<'a, T, F: Fn(&T) -> &'a str>(items: &'a [T], id: F) -> HashMap<&'a str, usize> {
    items.iter().enumerate().map(|(i, x)| (id(x), i)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn reads_a_beir_folder_and_prefers_test_split() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("qrels")).unwrap();
        let mut c = File::create(dir.path().join("corpus.jsonl")).unwrap();
        writeln!(
            c,
            r#"{{"_id": "d1", "title": "SIDBI", "text": "funds clusters"}}"#
        )
        .unwrap();
        writeln!(c, r#"{{"_id": "d2", "title": "", "text": "rain"}}"#).unwrap();
        let mut q = File::create(dir.path().join("queries.jsonl")).unwrap();
        writeln!(
            q,
            r#"{{"_id": "1", "text": "who funds clusters", "metadata": {{}}}}"#
        )
        .unwrap();
        writeln!(q, r#"{{"_id": "2", "text": "unjudged"}}"#).unwrap();
        std::fs::write(
            dir.path().join("qrels/train.tsv"),
            "query-id\tcorpus-id\tscore\n2\td2\t1\n",
        )
        .unwrap();
        let b = load_beir(dir.path()).unwrap();
        assert_eq!(b.split, "train");
        assert_eq!(b.queries.len(), 1);
        assert_eq!(b.queries[0].id, "2");
        std::fs::write(
            dir.path().join("qrels/test.tsv"),
            "query-id\tcorpus-id\tscore\n1\td1\t2\n1\td2\t0\n",
        )
        .unwrap();
        let b = load_beir(dir.path()).unwrap();
        assert_eq!(b.split, "test");
        assert_eq!(b.corpus.len(), 2);
        assert_eq!(b.corpus[0].title, "SIDBI");
        assert_eq!(b.queries[0].text, "who funds clusters");
        assert_eq!(b.qrels["1"]["d1"], 2);
        assert_eq!(b.qrels["1"]["d2"], 0);
    }

    #[test]
    fn beir_errors_are_clear() {
        let dir = tempfile::tempdir().unwrap();
        let e = load_beir(dir.path()).unwrap_err().to_string();
        assert!(e.contains("qrels/test.tsv"), "{e}");
        std::fs::create_dir(dir.path().join("qrels")).unwrap();
        std::fs::write(dir.path().join("qrels/test.tsv"), "1\td1\tx\n1\td1\ty\n").unwrap();
        let e = read_qrels(&dir.path().join("qrels/test.tsv"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2"), "{e}");
    }

    #[test]
    fn reads_squad_v11() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.json");
        std::fs::write(
            &p,
            r#"{"version": "1.1", "data": [{"title": "Super_Bowl_50", "paragraphs": [
              {"context": "Denver won. It rained.", "qas": [
                {"id": "q1", "question": "Who won?", "answers": [
                  {"answer_start": 0, "text": "Denver"}, {"answer_start": 0, "text": "Denver"},
                  {"answer_start": 0, "text": "Denver "}]},
                {"id": "q2", "question": "Empty?", "answers": []}]},
              {"context": "Second.", "qas": [{"id": "q3", "question": "Which?", "answers": [{"answer_start": 0, "text": "Second"}]}]}
            ]}]}"#,
        )
        .unwrap();
        let s = load_squad(&p).unwrap();
        assert_eq!(s.paragraphs.len(), 2);
        assert_eq!(s.paragraphs[1].id, "Super_Bowl_50#1");
        assert_eq!(s.paragraphs[0].title, "Super Bowl 50");
        assert_eq!(s.questions.len(), 2, "the unanswerable q2 is skipped");
        assert_eq!(s.questions[0].answers, vec!["Denver"]);
        assert_eq!(s.questions[1].paragraph, 1);
        std::fs::write(&p, "{\"data\": 3}").unwrap();
        assert!(load_squad(&p).is_err());
    }

    #[test]
    fn reads_bbc_jsonl() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("b.jsonl");
        std::fs::write(
            &p,
            "{\"id\": \"business/001\", \"category\": \"business\", \"title\": \"T\", \"article\": \"A b. C d.\", \"summary\": \"A b.C d.\"}\n\n",
        )
        .unwrap();
        let rows = load_bbc(&p).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].id, "business/001");
        std::fs::write(&p, "{\"id\": 1}\n").unwrap();
        let e = load_bbc(&p).unwrap_err().to_string();
        assert!(e.contains("line 1"), "{e}");
    }

    #[test]
    fn glued_reference_sentences_are_counted_apart() {
        let s = "Sales rose 2% to $11.1bn from $10.9bn.For the full-year, profit was $3.36bn.It lost U.S. users.\"We grew,\" he said.";
        assert_eq!(
            unglue_sentences(s),
            "Sales rose 2% to $11.1bn from $10.9bn. For the full-year, profit was $3.36bn. It lost U.S. users. \"We grew,\" he said."
        );
        assert_eq!(reference_words("One two.Three four."), 4);
        // Decimals and initials are left alone.
        assert_eq!(
            unglue_sentences("It was 1.5m. J.P. Morgan"),
            "It was 1.5m. J.P. Morgan"
        );
    }
}

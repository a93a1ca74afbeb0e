//! `newsdesk parse [--sentences] [--passages] PATH…`: one JSON object per article on stdout.
//!
//! PATHs are files, directories (walked recursively in name order, skipping hidden entries and
//! READMEs, licences and Markdown files),
//! globs, or `-` for standard input. A file that cannot be parsed gets one line on stderr naming
//! the file and the reason; the others go on; the exit status is 1 when any input failed.
//! Warnings (skipped items, unreadable dates, guessed encodings) also go to stderr.

use std::io::{self, Write};
use std::path::Path;

use anyhow::Context;

use crate::ingest::paths::{expand_paths, read_input, Expanded};
use crate::ingest::{parse_document, IngestOptions};
use crate::text::{passages, sentences, WordPieceCounter, DEFAULT_BUDGET};

/// Runs `newsdesk parse`; returns the process exit code (0 all parsed, 1 some input failed).
pub fn run_parse(
    paths: &[String],
    with_sentences: bool,
    with_passages: bool,
    model_dir: &Path,
) -> anyhow::Result<i32> {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let stderr = io::stderr();
    let mut err = stderr.lock();
    let code = parse_to(
        paths,
        with_sentences,
        with_passages,
        model_dir,
        &mut out,
        &mut err,
    )?;
    match out.flush() {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        r => r.context("writing to stdout")?,
    }
    Ok(code)
}

/// The work of [`run_parse`], writing to the given streams (for tests).
pub fn parse_to(
    paths: &[String],
    with_sentences: bool,
    with_passages: bool,
    model_dir: &Path,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<i32> {
    let counter = if with_passages {
        Some(WordPieceCounter::from_model_dir(model_dir)?)
    } else {
        None
    };
    if paths.is_empty() {
        writeln!(
            err,
            "newsdesk parse: no input given (files, directories, globs or - for stdin)"
        )?;
        return Ok(2);
    }
    let Expanded { inputs, errors } = expand_paths(paths);
    let mut failed = errors.len();
    for e in &errors {
        writeln!(err, "newsdesk parse: {e}")?;
    }
    let opts = IngestOptions {
        max_items: usize::MAX,
        ..IngestOptions::default()
    };
    let (mut n_articles, mut n_ok) = (0usize, 0usize);
    for input in &inputs {
        let name = input.display().to_string();
        let bytes = match read_input(input) {
            Ok(b) => b,
            Err(e) => {
                writeln!(err, "newsdesk parse: {name}: cannot read: {e}")?;
                failed += 1;
                continue;
            }
        };
        let parsed = match parse_document(&bytes, None, &opts) {
            Ok(p) => p,
            Err(e) => {
                writeln!(err, "newsdesk parse: {name}: {e}")?;
                failed += 1;
                continue;
            }
        };
        n_ok += 1;
        for w in &parsed.warnings {
            writeln!(err, "newsdesk parse: {name}: warning: {w}")?;
        }
        if parsed.articles.is_empty() {
            writeln!(
                err,
                "newsdesk parse: {name}: warning: well-formed {} with no items",
                parsed.format.name()
            )?;
        }
        for a in &parsed.articles {
            let mut v = serde_json::to_value(a)?;
            let obj = v
                .as_object_mut()
                .expect("an article serialises to an object");
            let sents = if with_sentences || with_passages {
                sentences(a)
            } else {
                Vec::new()
            };
            if with_sentences {
                obj.insert("sentences".into(), serde_json::to_value(&sents)?);
            }
            if let Some(c) = &counter {
                obj.insert(
                    "passages".into(),
                    serde_json::to_value(passages(&a.body, &sents, c, DEFAULT_BUDGET))?,
                );
            }
            match writeln!(out, "{v}") {
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
                    return Ok(if failed > 0 { 1 } else { 0 })
                }
                r => r?,
            }
            n_articles += 1;
        }
    }
    if inputs.len() + errors.len() > 1 {
        writeln!(
            err,
            "newsdesk parse: {n_articles} articles from {n_ok} inputs; {failed} failed"
        )?;
    }
    Ok(if failed > 0 { 1 } else { 0 })
}

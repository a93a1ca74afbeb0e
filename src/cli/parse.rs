//! `newsdesk parse [--sentences] [--passages] PATH…`: one JSON object per article on stdout.
//!
//! PATHs are files, directories (walked recursively in name order, skipping hidden entries and
//! READMEs, licences and Markdown files),
//! globs, or `-` for standard input. A file that cannot be parsed gets one line on stderr naming
//! the file and the reason; the others go on; the exit status is 1 when any input failed.
//! Warnings (skipped items, unreadable dates, guessed encodings) also go to stderr.

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::ingest::{parse_document, IngestOptions};
use crate::text::{passages, sentences, WordPieceCounter, DEFAULT_BUDGET};

/// One input: a path or standard input.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Input {
    Stdin,
    File(PathBuf),
}

impl Input {
    fn name(&self) -> String {
        match self {
            Input::Stdin => "-".into(),
            Input::File(p) => p.display().to_string(),
        }
    }
}

/// READMEs, licences and Markdown files met while walking a directory are not articles (named
/// explicitly on the command line they are parsed like anything else).
fn is_documentation(p: &Path) -> bool {
    let name = p
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    name.ends_with(".md")
        || name.ends_with(".markdown")
        || name.starts_with("readme")
        || name.starts_with("license")
        || name.starts_with("licence")
        || name.starts_with("copying")
}

fn walk_dir(dir: &Path, out: &mut Vec<Input>) -> io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        if p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'))
        {
            continue;
        }
        if p.is_dir() {
            walk_dir(&p, out)?;
        } else if p.is_file() && !is_documentation(&p) {
            out.push(Input::File(p));
        }
    }
    Ok(())
}

/// Expands the command-line paths; problems are returned as (path, reason).
fn expand(paths: &[String]) -> (Vec<Input>, Vec<(String, String)>) {
    let mut inputs = Vec::new();
    let mut errors = Vec::new();
    for p in paths {
        if p == "-" {
            inputs.push(Input::Stdin);
            continue;
        }
        let path = Path::new(p);
        if path.is_dir() {
            if let Err(e) = walk_dir(path, &mut inputs) {
                errors.push((p.clone(), format!("cannot read directory: {e}")));
            }
        } else if path.exists() {
            inputs.push(Input::File(path.to_path_buf()));
        } else if p.contains(['*', '?', '[']) {
            match glob::glob(p) {
                Ok(matches) => {
                    let mut found: Vec<PathBuf> = matches.filter_map(Result::ok).collect();
                    found.sort();
                    if found.is_empty() {
                        errors.push((p.clone(), "no file matches this pattern".into()));
                    }
                    for f in found {
                        if f.is_dir() {
                            if let Err(e) = walk_dir(&f, &mut inputs) {
                                errors.push((
                                    f.display().to_string(),
                                    format!("cannot read directory: {e}"),
                                ));
                            }
                        } else {
                            inputs.push(Input::File(f));
                        }
                    }
                }
                Err(e) => errors.push((p.clone(), format!("bad pattern: {e}"))),
            }
        } else {
            errors.push((p.clone(), "no such file or directory".into()));
        }
    }
    (inputs, errors)
}

fn read_input(i: &Input) -> io::Result<Vec<u8>> {
    match i {
        Input::Stdin => {
            let mut v = Vec::new();
            io::stdin().lock().read_to_end(&mut v)?;
            Ok(v)
        }
        Input::File(p) => std::fs::read(p),
    }
}

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
    let (inputs, errors) = expand(paths);
    let mut failed = errors.len();
    for (p, reason) in &errors {
        writeln!(err, "newsdesk parse: {p}: {reason}")?;
    }
    let opts = IngestOptions::default();
    let (mut n_articles, mut n_ok) = (0usize, 0usize);
    for input in &inputs {
        let name = input.name();
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

//! Inputs given as paths: files, directories (walked recursively, article files only), globs,
//! and `-` for stdin; and reading them into one batch of articles. The CLI's `ingest` and
//! `parse`, the demo corpus at first start and the tests all go through here.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::{parse_batch, Article, IngestOptions};

/// Paths expanded from the command line: the inputs to read, in order, and a `path: reason`
/// line for every path that gave none.
#[derive(Debug, Default)]
pub struct Expanded {
    /// Files to read (`-` stands for stdin).
    pub inputs: Vec<PathBuf>,
    /// `path: reason` for a missing path, a bad glob, a glob matching nothing, or an unreadable
    /// directory.
    pub errors: Vec<String>,
}

/// Expands files, directories (recursively, in name order, article files only: see
/// [`is_article_file`]) and globs; `-` stays as is (stdin). A path that gives nothing is
/// reported in [`Expanded::errors`]; the others still expand.
pub fn expand_paths(inputs: &[String]) -> Expanded {
    let mut out = Expanded::default();
    for input in inputs {
        if input == "-" {
            out.inputs.push(PathBuf::from("-"));
            continue;
        }
        let p = Path::new(input);
        if p.is_dir() {
            walk(p, &mut out);
        } else if p.exists() {
            out.inputs.push(p.to_path_buf());
        } else if input.contains(['*', '?', '[']) {
            match glob::glob(input) {
                Ok(matches) => {
                    let mut found: Vec<PathBuf> = matches.filter_map(Result::ok).collect();
                    found.sort();
                    if found.is_empty() {
                        out.errors
                            .push(format!("{input}: no file matches this pattern"));
                    }
                    for m in found {
                        if m.is_dir() {
                            walk(&m, &mut out);
                        } else {
                            out.inputs.push(m);
                        }
                    }
                }
                Err(e) => out.errors.push(format!("{input}: bad pattern: {e}")),
            }
        } else {
            out.errors
                .push(format!("{input}: no such file or directory"));
        }
    }
    out
}

fn walk(dir: &Path, out: &mut Expanded) {
    let mut entries: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd.flatten().map(|e| e.path()).collect(),
        Err(e) => {
            out.errors
                .push(format!("{}: cannot read directory: {e}", dir.display()));
            return;
        }
    };
    entries.sort();
    for p in entries {
        let hidden = p
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        if p.is_dir() {
            walk(&p, out);
        } else if is_article_file(&p) {
            out.inputs.push(p);
        }
    }
}

/// Inside a directory, only files that may hold articles are read: no READMEs, licences or
/// Markdown, and only the extensions feeds, records, JSON and wire copy come in (or none). A
/// file named explicitly is always read.
pub fn is_article_file(p: &Path) -> bool {
    let name = p
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let documentation = name.starts_with("readme")
        || name.starts_with("license")
        || name.starts_with("licence")
        || name.starts_with("copying")
        || name.starts_with("attribution");
    if documentation {
        return false;
    }
    match p.extension().and_then(|e| e.to_str()) {
        None => true,
        Some(e) => matches!(
            e.to_ascii_lowercase().as_str(),
            "xml" | "rss" | "atom" | "rdf" | "feed" | "json" | "jsonl" | "ndjson" | "txt"
        ),
    }
}

/// Reads one input: a file, or stdin for `-`.
pub fn read_input(path: &Path) -> std::io::Result<Vec<u8>> {
    if path == Path::new("-") {
        let mut buf = Vec::new();
        std::io::stdin().read_to_end(&mut buf)?;
        Ok(buf)
    } else {
        std::fs::read(path)
    }
}

/// What a set of files holds: the articles of every readable file, and why the rest was not
/// read.
#[derive(Debug, Default)]
pub struct FilesBatch {
    /// Articles of all files, in file order.
    pub articles: Vec<Article>,
    /// `path: reason` for each file of which nothing could be read.
    pub failures: Vec<String>,
    /// `path item N: reason` for each item skipped inside a file that gave other articles.
    pub skipped: Vec<String>,
    /// Files read.
    pub files: usize,
}

/// Expands `inputs` and parses every file with [`parse_batch`] (its name as the source hint).
pub fn read_paths(inputs: &[String], opts: &IngestOptions) -> FilesBatch {
    let Expanded { inputs, errors } = expand_paths(inputs);
    let mut out = FilesBatch {
        files: inputs.len(),
        failures: errors,
        ..FilesBatch::default()
    };
    for f in &inputs {
        let bytes = match read_input(f) {
            Ok(b) => b,
            Err(e) => {
                out.failures.push(format!("{}: {e}", f.display()));
                continue;
            }
        };
        let mut o = opts.clone();
        o.source_hint = f.file_name().map(|n| n.to_string_lossy().into_owned());
        match parse_batch(&bytes, None, &o) {
            Ok(b) if b.articles.is_empty() && !b.failed.is_empty() => {
                let e = &b.failed[0];
                out.failures.push(format!(
                    "{}: no article could be read (item {}: {})",
                    f.display(),
                    e.index + 1,
                    e.error
                ));
            }
            Ok(b) => {
                for e in &b.failed {
                    out.skipped
                        .push(format!("{} item {}: {}", f.display(), e.index + 1, e.error));
                }
                out.articles.extend(b.articles);
            }
            Err(e) => out.failures.push(format!("{}: {e}", f.display())),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_give_article_files_and_bad_paths_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for f in [
            "b.xml",
            "a.jsonl",
            "README.md",
            "README",
            "LICENSE",
            "photo.png",
            "wire",
        ] {
            std::fs::write(d.join(f), "x").unwrap();
        }
        std::fs::create_dir(d.join("sub")).unwrap();
        std::fs::write(d.join("sub/c.txt"), "x").unwrap();
        std::fs::write(d.join(".hidden.xml"), "x").unwrap();
        let missing = d.join("nope.xml").display().to_string();
        let glob_none = d.join("*.rdf").display().to_string();
        let e = expand_paths(&[d.display().to_string(), missing.clone(), glob_none]);
        let names: Vec<String> = e
            .inputs
            .iter()
            .map(|p| p.strip_prefix(d).unwrap().display().to_string())
            .collect();
        assert_eq!(names, vec!["a.jsonl", "b.xml", "sub/c.txt", "wire"]);
        assert_eq!(e.errors.len(), 2, "{:?}", e.errors);
        assert!(e.errors[0].starts_with(&missing));
        // Named explicitly, any file is read.
        let readme = d.join("README.md").display().to_string();
        assert_eq!(expand_paths(&[readme]).inputs.len(), 1);
    }
}

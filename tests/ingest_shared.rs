//! Runs over the shared evaluation data when it is present (ignored by default; the data is not
//! in the repo). `NEWSDESK_SHARED=/work/shared cargo test --release --test ingest_shared -- --ignored --nocapture`

use std::path::PathBuf;

fn shared() -> Option<PathBuf> {
    let p = PathBuf::from(std::env::var("NEWSDESK_SHARED").unwrap_or_else(|_| "../shared".into()));
    p.join("data").is_dir().then_some(p)
}

/// Parses every feed under data/feeds and prints one line per file plus totals.
#[test]
#[ignore]
fn parse_all_shared_feeds() {
    use newsdesk::ingest::{parse_document, IngestOptions};
    let Some(s) = shared() else { return };
    let root = s.join("data/feeds");
    let mut files = Vec::new();
    for sub in ["realworld", "edge_cases"] {
        for d in std::fs::read_dir(root.join(sub)).unwrap() {
            let d = d.unwrap().path();
            for f in std::fs::read_dir(&d).unwrap() {
                files.push(f.unwrap().path());
            }
        }
    }
    files.sort();
    let opts = IngestOptions::default();
    let (mut ok, mut failed, mut items, mut with_title, mut with_link, mut with_date, mut empty) =
        (0, 0, 0, 0, 0, 0, 0);
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        let name = f.strip_prefix(&root).unwrap().display().to_string();
        match parse_document(&bytes, None, &opts) {
            Ok(p) => {
                ok += 1;
                if p.articles.is_empty() {
                    empty += 1;
                }
                let t = p.articles.iter().filter(|a| !a.title.is_empty()).count();
                let l = p.articles.iter().filter(|a| a.url.is_some()).count();
                let d = p.articles.iter().filter(|a| a.published.is_some()).count();
                items += p.articles.len();
                with_title += t;
                with_link += l;
                with_date += d;
                println!(
                    "OK   {name}: {:?} {} items (title {t}, link {l}, date {d}) [{}] {}",
                    p.format,
                    p.articles.len(),
                    p.encoding,
                    p.warnings.join(" | ")
                );
            }
            Err(e) => {
                failed += 1;
                println!("ERR  {name}: {e}");
            }
        }
    }
    println!("files {} parsed {ok} (of which {empty} with no items) failed {failed}; items {items}: title {with_title}, link {with_link}, date {with_date}", files.len());
}

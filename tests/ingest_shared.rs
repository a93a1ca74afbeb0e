//! Runs over the shared evaluation data when it is present (ignored by default; the data is not
//! in the repo). `NEWSDESK_SHARED=/work/shared cargo test --release --test ingest_shared -- --ignored --nocapture`

use std::path::PathBuf;

fn shared() -> Option<PathBuf> {
    let p = PathBuf::from(std::env::var("NEWSDESK_SHARED").unwrap_or_else(|_| "../shared".into()));
    p.join("data").is_dir().then_some(p)
}

#[test]
#[ignore]
fn eval_sentences_on_shared_gold() {
    let Some(s) = shared() else { return };
    newsdesk::eval::sentences::run_eval_sentences(&s.join("data/sentences/gum-wikinews-sentences.jsonl")).unwrap();
}

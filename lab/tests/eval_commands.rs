//! The evaluation commands end to end on tiny sets written here (the public sets are not needed):
//! a throwaway index, the real model, newsdesk and the baselines side by side, and a JSON line
//! with exactly the keys scripts read.

use std::path::Path;

use newsdesk::embed::default_model_dir;
use newsdesk_lab::eval::bbc::bbc_report;
use newsdesk_lab::eval::scifact::scifact_report;
use newsdesk_lab::eval::squad::squad_report;

fn keys(v: &serde_json::Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
    k.sort();
    k
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

const DOCS: &[(&str, &str, &str)] = &[
    ("d1", "SIDBI credit for MSME clusters", "The Small Industries Development Bank of India extended credit lines to micro and small enterprises in textile clusters. Loans were disbursed through partner banks."),
    ("d2", "Monsoon rainfall in Kerala", "Heavy monsoon rain flooded low-lying districts of Kerala. Fishermen were told to stay ashore for three days."),
    ("d3", "Vaccine trial results", "A phase three trial found the vaccine reduced severe influenza by sixty percent in adults over sixty-five. Side effects were mild."),
    ("d4", "Semiconductor fab in Gujarat", "A chip maker broke ground on a semiconductor fabrication plant in Gujarat with government subsidies. Production is planned for 2027."),
    ("d5", "Cricket final", "The home side won the cricket final by six wickets after a century from the opening batter."),
];

#[test]
fn scifact_command_measures_three_retrievers() {
    let dir = tempfile::tempdir().unwrap();
    let corpus: String = DOCS
        .iter()
        .map(|(id, t, x)| {
            format!(
                "{}\n",
                serde_json::json!({"_id": id, "title": t, "text": x})
            )
        })
        .collect();
    write(&dir.path().join("corpus.jsonl"), &corpus);
    write(
        &dir.path().join("queries.jsonl"),
        &[
            r#"{"_id": "1", "text": "Influenza vaccine lowers severe illness in older adults."}"#,
            r#"{"_id": "2", "text": "SIDBI lends to textile clusters of small enterprises."}"#,
            r#"{"_id": "3", "text": "A semiconductor plant is being built in Gujarat."}"#,
            r#"{"_id": "4", "text": "not judged"}"#,
        ]
        .join("\n"),
    );
    write(
        &dir.path().join("qrels/test.tsv"),
        "query-id\tcorpus-id\tscore\n1\td3\t1\n2\td1\t1\n3\td4\t1\n",
    );
    let r = scifact_report(
        dir.path(),
        None,
        None,
        &default_model_dir(),
        &Default::default(),
    )
    .unwrap();
    assert_eq!(r.split, "test");
    assert_eq!(r.queries, 3, "the unjudged query is not run");
    for s in [&r.dense, &r.bm25, &r.hybrid] {
        assert_eq!(s.queries, 3);
        assert!(
            (s.ndcg10 - 1.0).abs() < 1e-9,
            "easy queries rank their document first: {r:?}"
        );
        assert!((s.recall100 - 1.0).abs() < 1e-9);
    }
    let j = r.to_json();
    assert_eq!(keys(&j), ["bm25", "dense", "hybrid"]);
    assert_eq!(keys(&j["hybrid"]), ["mrr@10", "ndcg@10", "recall@100"]);

    // --limit runs the first queries only; --data keeps the index for a rerun.
    let data = tempfile::tempdir().unwrap();
    let r = scifact_report(
        dir.path(),
        Some(data.path()),
        Some(1),
        &default_model_dir(),
        &Default::default(),
    )
    .unwrap();
    assert_eq!(r.queries, 1);
    assert!(
        std::fs::read_dir(data.path()).unwrap().count() > 0,
        "the index stays in --data"
    );
    let again = scifact_report(
        dir.path(),
        Some(data.path()),
        Some(1),
        &default_model_dir(),
        &Default::default(),
    )
    .unwrap();
    assert_eq!(again.hybrid, r.hybrid);
}

#[test]
fn scifact_command_rejects_a_folder_without_qrels() {
    let dir = tempfile::tempdir().unwrap();
    write(
        &dir.path().join("corpus.jsonl"),
        "{\"_id\": \"d1\", \"text\": \"x\"}\n",
    );
    let e = scifact_report(
        dir.path(),
        None,
        None,
        &default_model_dir(),
        &Default::default(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("qrels"), "{e}");
}

#[test]
fn squad_command_compares_ask_with_sentence_baselines() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("squad.json");
    let squad = serde_json::json!({"version": "1.1", "data": [
        {"title": "Kerala_monsoon", "paragraphs": [
            {"context": "The monsoon reaches Kerala in early June. Heavy rain flooded the districts of Alappuzha and Kottayam. Fishermen were told to stay ashore for three days.",
             "qas": [
                {"id": "k1", "question": "Which districts were flooded by heavy rain?", "answers": [{"answer_start": 0, "text": "Alappuzha and Kottayam"}]},
                {"id": "k2", "question": "How long were fishermen told to stay ashore?", "answers": [{"answer_start": 0, "text": "three days"}]}]}]},
        {"title": "SIDBI", "paragraphs": [
            {"context": "SIDBI was set up in 1990 to finance small industry. Its head office is in Lucknow. It refinances loans made by banks to micro enterprises.",
             "qas": [
                {"id": "s1", "question": "Where is the head office of SIDBI?", "answers": [{"answer_start": 0, "text": "Lucknow"}]},
                {"id": "s2", "question": "In what year was SIDBI set up?", "answers": [{"answer_start": 0, "text": "1990"}]}]}]}
    ]});
    write(&file, &squad.to_string());
    let r = squad_report(&file, None, None, &default_model_dir(), &Default::default()).unwrap();
    assert_eq!((r.questions, r.paragraphs), (4, 2));
    assert!(r.sentences >= 6, "{r:?}");
    for s in [&r.newsdesk, &r.bm25, &r.dense_exact] {
        assert!(
            (s.paragraph_hit5 - 1.0).abs() < 1e-9,
            "two paragraphs: always in the top 5: {r:?}"
        );
    }
    assert!(r.newsdesk.paragraph_hit1 >= 0.75, "{r:?}");
    assert!(r.newsdesk.answer_sentence_hit1 >= 0.75, "{r:?}");
    assert!(r.bm25.answer_sentence_hit1 >= 0.5, "{r:?}");
    let j = r.to_json();
    assert_eq!(keys(&j), ["bm25", "dense_exact", "newsdesk"]);
    assert_eq!(
        keys(&j["newsdesk"]),
        [
            "answer_sentence_hit@1",
            "paragraph_hit@1",
            "paragraph_hit@5"
        ]
    );
}

#[test]
fn bbc_command_scores_three_summarisers() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bbc.jsonl");
    // The reference of the first article is its lead, so Lead scores 1.0 on it.
    let rows = [
        serde_json::json!({"id": "business/001", "category": "business", "title": "Chip plant",
            "article": "A chip maker will build a plant in Gujarat. The plant will cost $2bn.\n\nOfficials welcomed the news. Production starts in 2027. Rain fell in the evening.",
            "summary": "A chip maker will build a plant in Gujarat.The plant will cost $2bn."}),
        serde_json::json!({"id": "politics/002", "category": "politics", "title": "Budget vote",
            "article": "Parliament met on Monday. The budget vote was delayed by a walkout over fuel taxes. Opposition MPs said fuel taxes hurt farmers. The vote on the budget and fuel taxes is now set for Friday. Tea was served.",
            "summary": "The budget vote was delayed by a walkout over fuel taxes.The vote on the budget and fuel taxes is now set for Friday."}),
    ];
    let text: String = rows.iter().map(|r| format!("{r}\n")).collect();
    write(&file, &text);
    let r = bbc_report(&file, None, None, &default_model_dir(), &Default::default()).unwrap();
    assert_eq!(r.articles, 2);
    for s in [&r.newsdesk, &r.lead, &r.textrank] {
        for x in [s.rouge1, s.rouge2, s.rouge_l] {
            assert!(x > 0.0 && x <= 1.0, "{r:?}");
        }
    }
    let j = r.to_json();
    assert_eq!(keys(&j), ["lead", "newsdesk", "textrank"]);
    assert_eq!(keys(&j["lead"]), ["rouge1", "rouge2", "rougeL"]);

    // --limit 1: only the first article, whose reference is its lead.
    let r = bbc_report(
        &file,
        None,
        Some(1),
        &default_model_dir(),
        &Default::default(),
    )
    .unwrap();
    assert_eq!(r.articles, 1);
    assert!((r.lead.rouge1 - 1.0).abs() < 1e-9, "{r:?}");
}

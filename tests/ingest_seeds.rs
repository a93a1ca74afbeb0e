//! The two founding articles must ingest perfectly (fixtures/seeds/ holds copies of them).

use chrono::DateTime;
use newsdesk::ingest::{detect_format, parse_bytes, Article, Format, IngestOptions};
use newsdesk::text::{passages, segment, sentences, WordPieceCounter};

const KNN: &[u8] = include_bytes!("../fixtures/seeds/000_04ca5ce55ea2a8ae.txt");
const ANI: &[u8] = include_bytes!("../fixtures/seeds/002_aaa6ff34f85beb0e.txt");

fn opts(now: &str) -> IngestOptions {
    IngestOptions {
        now: DateTime::parse_from_rfc3339(now).unwrap(),
        ..IngestOptions::default()
    }
}

fn one(bytes: &[u8], now: &str) -> Article {
    let mut v = parse_bytes(bytes, None, &opts(now)).unwrap();
    assert_eq!(v.len(), 1);
    v.remove(0)
}

fn texts(a: &Article) -> Vec<&str> {
    sentences(a)
        .into_iter()
        .map(|s| &a.body[s.start..s.end])
        .collect()
}

fn assert_clean(body: &str) {
    for bad in [
        "<", ">", "&lt;", "&gt;", "&amp;", "&quot;", "&#", "&nbsp;", "\r", "\u{a0}", "  ", "\n\n\n",
    ] {
        assert!(!body.contains(bad), "body contains {bad:?}");
    }
    assert_eq!(body.trim(), body);
}

#[test]
fn knn_news_record_fields() {
    assert_eq!(detect_format(KNN), Some(Format::NewsXml));
    let a = one(KNN, "2026-03-20T12:00:00+05:30");
    assert_eq!(a.id, "45506");
    assert_eq!(
        a.title,
        "NICDC Consults Industry On MSME-Focused Export Cluster Development"
    );
    assert_eq!(a.source.as_deref(), Some("knnindia.co.in"));
    assert_eq!(a.author.as_deref(), Some("ENA"));
    assert_eq!(a.category.as_deref(), Some("Sectors"));
    assert_eq!(
        a.published.unwrap().to_rfc3339(),
        "2026-03-18T16:42:48+05:30"
    );
    assert!(!a.date_inferred);
    assert_eq!(
        a.url.as_deref(),
        Some("https://knnindia.co.in/news/newsdetails/sectors/nicdc-consults-industry-on-msme-focused-export-cluster-development")
    );
    let d = a.dateline.as_ref().unwrap();
    assert_eq!(
        (d.place.as_str(), d.country.as_deref(), d.agency.as_deref()),
        ("New Delhi", None, Some("KNN"))
    );
    // The date in the JSON form is RFC 3339 with the offset.
    let j = serde_json::to_value(&a).unwrap();
    assert_eq!(j["published"], "2026-03-18T16:42:48+05:30");
}

#[test]
fn knn_body_has_every_paragraph_and_no_markup() {
    let a = one(KNN, "2026-03-20T12:00:00+05:30");
    assert_clean(&a.body);
    let paras: Vec<&str> = a.body.split("\n\n").collect();
    assert_eq!(paras.len(), 14, "{paras:#?}");
    assert!(paras[0].starts_with("New Delhi, Mar 18 (KNN) The National Industrial Corridor Development Corporation (NICDC) convened"));
    assert_eq!(paras[4], "Key Discussions and Recommendations");
    assert_eq!(paras[9], "Building Future-Ready Industrial Ecosystems");
    assert_eq!(paras[11], "Industry Participation");
    assert_eq!(paras[13], "(KNN Bureau)");
    assert!(a.body.contains(
        "Corporate participants included Reliance, Tata Chemicals, Relaxo, Beumer Group, and JLL."
    ));
    assert!(a
        .body
        .contains("to strengthen Indias role in international value chains."));
}

#[test]
fn knn_sentences_skip_dateline_and_bureau_credit() {
    let a = one(KNN, "2026-03-20T12:00:00+05:30");
    let s = texts(&a);
    assert_eq!(s.len(), 17);
    assert_eq!(
        s[0],
        "The National Industrial Corridor Development Corporation (NICDC) convened a consultation meeting on Wednesday, focusing on the Union Budget announcement for revitalising export-oriented industrial clusters."
    );
    assert_eq!(
        s[16],
        "Corporate participants included Reliance, Tata Chemicals, Relaxo, Beumer Group, and JLL."
    );
    assert!(s.iter().all(|x| !x.contains("KNN")));
    // ... but the boilerplate is still in the body
    assert_eq!(&a.body[a.boilerplate[0].clone()], "New Delhi, Mar 18 (KNN)");
    assert_eq!(&a.body[a.boilerplate[1].clone()], "(KNN Bureau)");
}

#[test]
fn ani_wire_story_fields() {
    assert_eq!(detect_format(ANI), Some(Format::Wire));
    let a = one(ANI, "2026-03-20T12:00:00+05:30");
    let d = a.dateline.as_ref().unwrap();
    assert_eq!(
        (d.place.as_str(), d.country.as_deref(), d.agency.as_deref()),
        ("New Delhi", Some("India"), Some("ANI"))
    );
    assert_eq!(
        a.published.unwrap().to_rfc3339(),
        "2025-09-25T00:00:00+05:30"
    );
    assert!(a.date_inferred);
    assert_eq!(a.source.as_deref(), Some("ANI"));
    assert!(a
        .title
        .starts_with("The Small Industries Development Bank of India (SIDBI) has launched"));
    assert!(a.title.chars().count() <= 120);
    assert_clean(&a.body);
    assert!(a
        .body
        .starts_with("New Delhi [India], September 25 (ANI): The Small Industries"));
    assert!(a
        .body
        .ends_with("with revenues running into crores,\" he added. (ANI)"));
    assert_eq!(a.body.split("\n\n").count(), 9);
    // same text → same id (upsert, not duplicate), whatever the ingest time
    assert_eq!(a.id, one(ANI, "2030-01-01T00:00:00Z").id);
    assert_eq!(a.id.len(), 32);
}

#[test]
fn ani_year_is_the_latest_not_after_ingest_time() {
    let a = one(ANI, "2025-09-25T08:00:00+05:30");
    assert_eq!(
        a.published.unwrap().to_rfc3339(),
        "2025-09-25T00:00:00+05:30"
    );
    let a = one(ANI, "2025-09-24T23:00:00+05:30");
    assert_eq!(
        a.published.unwrap().to_rfc3339(),
        "2024-09-25T00:00:00+05:30"
    );
    assert!(a.date_inferred);
}

#[test]
fn ani_lead_sentence_answers_what_sidbi_announced() {
    let a = one(ANI, "2026-03-20T12:00:00+05:30");
    let s = texts(&a);
    assert_eq!(s.len(), 16);
    assert_eq!(
        s[0],
        "The Small Industries Development Bank of India (SIDBI) has launched a low-cost, innovative, and self-propelling model of cluster development through its national scheme, Development of Industry Associations (DIA), a release stated."
    );
    assert_eq!(s[1], "The National Conclave on DIA was inaugurated by M Nagaraju, Secretary DFS, Ministry of Finance, in the national capital.");
    assert_eq!(s[6], "\"Many of our associations lack scale, financial sustainability, and modern service delivery capacity.");
    assert!(s[15].ends_with("with revenues running into crores,\" he added."));
    assert!(s.iter().all(|x| !x.contains("(ANI)")));
    // the plain segmenter (no article context) keeps the dateline as its own segment
    let plain = segment(&a.body);
    assert_eq!(
        &a.body[plain[0].start..plain[0].end],
        "New Delhi [India], September 25 (ANI):"
    );
}

#[test]
fn seed_passages_cover_every_sentence_within_budget() {
    let dir = std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/models/all-MiniLM-L6-v2"
    ));
    let counter = WordPieceCounter::from_model_dir(dir).unwrap();
    for (bytes, budget) in [(KNN, 128), (ANI, 128), (KNN, 40), (ANI, 24)] {
        let a = one(bytes, "2026-03-20T12:00:00+05:30");
        let s = sentences(&a);
        let p = passages(&a.body, &s, &counter, budget);
        assert!(!p.is_empty());
        for x in &p {
            assert!(
                x.word_pieces <= budget,
                "{} > {budget}: {:?}",
                x.word_pieces,
                &a.body[x.start..x.end]
            );
            assert_eq!(x.word_pieces, counter.count(&a.body[x.start..x.end]));
            assert!(x.first_sentence < x.last_sentence && x.last_sentence <= s.len());
        }
        // every byte of every sentence is inside some passage
        for sp in &s {
            let mut covered = sp.start;
            for x in p.iter().filter(|x| x.end > sp.start && x.start < sp.end) {
                if x.start <= covered {
                    covered = covered.max(x.end);
                }
                while covered < sp.end && a.body[covered..].starts_with(char::is_whitespace) {
                    covered += 1;
                }
            }
            assert!(
                covered >= sp.end,
                "sentence not covered: {:?}",
                &a.body[sp.start..sp.end]
            );
        }
        // neighbours overlap by one sentence where both are whole sentences
        if budget == 128 {
            for w in p.windows(2) {
                assert!(w[1].first_sentence + 1 >= w[0].last_sentence);
            }
        }
    }
}

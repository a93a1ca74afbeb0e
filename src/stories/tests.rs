use super::*;

/// A unit vector leaning on axis `axis` (so same-axis articles are close).
fn vec_on(axis: usize, wobble: f32) -> Vec<f32> {
    let mut v = vec![0.0f32; 8];
    v[axis] = 1.0;
    v[(axis + 1) % 8] = wobble;
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.into_iter().map(|x| x / n).collect()
}

fn put(book: &mut StoryBook, id: &str, f: StoryFeatures) -> StoryLink {
    book.assign(id, f).link
}

fn features(title: &str, body: &str, axis: usize, wobble: f32, ts: i64) -> StoryFeatures {
    let a: Article = serde_json::from_value(serde_json::json!({
        "id": title, "title": title, "body": body, "source": format!("src-{ts}"),
    }))
    .unwrap();
    let sentences = crate::text::sentences(&a);
    let mut f = StoryFeatures::of(&a, &sentences, vec_on(axis, wobble), ts);
    f.ts = ts;
    f
}

const WIRE: &str = "The Small Industries Development Bank of India (SIDBI) on Tuesday launched \
    a cluster development scheme for micro and small enterprises in twelve districts, with a \
    corpus of Rs 500 crore over three years. The bank said the scheme would fund common facility \
    centres, testing laboratories and design studios run by industry associations.";

#[test]
fn names_keep_an_acronym_for_its_expansion_and_skip_the_first_word() {
    let n = names(WIRE);
    assert_eq!(n[0], "SIDBI", "{n:?}");
    assert!(!n.iter().any(|x| x == "The"), "{n:?}");
    let n = names("Minister Jitan Ram Manjhi met officials of the Ministry of Micro, Small and Medium Enterprises in New Delhi.");
    assert!(
        n.contains(&"Jitan Ram Manjhi".to_string())
            || n.contains(&"Minister Jitan Ram Manjhi".to_string()),
        "{n:?}"
    );
    assert!(n.contains(&"New Delhi".to_string()), "{n:?}");
}

#[test]
fn title_case_headlines_give_only_their_acronyms() {
    assert_eq!(
        names_in_headline("SIDBI Launches Cluster Scheme For MSMEs In Twelve Districts"),
        vec!["SIDBI".to_string(), "MSMEs".to_string()]
    );
}

#[test]
fn close_articles_share_a_story_and_distant_ones_do_not() {
    let mut book = StoryBook::new(StoryParams::default());
    let a = put(
        &mut book,
        "a",
        features("SIDBI launches cluster scheme", "", 0, 0.1, 1_000),
    );
    let b = put(
        &mut book,
        "b",
        features("SIDBI cluster scheme launched for MSMEs", "", 0, 0.2, 2_000),
    );
    let c = put(
        &mut book,
        "c",
        features("Monsoon arrives in Kerala", "", 4, 0.1, 3_000),
    );
    assert_eq!(a.story, b.story);
    assert_ne!(a.story, c.story);
    assert_eq!(book.len(), 2);
    // Too late for the window: a new story even though it is about the same thing.
    let late = StoryParams::default().window_secs + 10_000;
    let d = put(
        &mut book,
        "d",
        features("SIDBI cluster scheme", "", 0, 0.1, late),
    );
    assert_ne!(d.story, a.story);
}

#[test]
fn a_reprint_is_recorded_against_the_original_and_folds_into_it() {
    let mut book = StoryBook::new(StoryParams::default());
    let orig = put(
        &mut book,
        "orig",
        features("SIDBI launches scheme", WIRE, 0, 0.0, 100),
    );
    let copy = put(
        &mut book,
        "copy",
        features(
            "Cluster scheme for small firms",
            &format!("Mumbai, Mar 3 (PTI): {WIRE} (With inputs from agencies)"),
            3,
            0.0,
            200,
        ),
    );
    assert_eq!(copy.duplicate_of.as_deref(), Some("orig"));
    assert_eq!(
        copy.story, orig.story,
        "a reprint joins its original's story"
    );
    // A reprint of the reprint points at the original.
    let again = put(
        &mut book,
        "again",
        features("x", &format!("{WIRE} Also read"), 5, 0.0, 300),
    );
    assert_eq!(again.duplicate_of.as_deref(), Some("orig"));
    assert_eq!(book.canonical("copy"), "orig");
    assert_eq!(book.copies_of("orig"), vec!["copy", "again"]);
    let s = book.summary(orig.story).unwrap();
    assert_eq!((s.articles, s.duplicates), (3, 2));
    // Once the original is gone, its copies stand for themselves.
    book.remove("orig");
    assert_eq!(book.canonical("copy"), "copy");
    assert!(book.copies_of("orig").is_empty());
}

#[test]
fn removing_every_member_drops_the_story_and_reassigning_moves_an_article() {
    let mut book = StoryBook::new(StoryParams::default());
    let a = put(&mut book, "a", features("SIDBI scheme", "", 0, 0.1, 10));
    put(
        &mut book,
        "b",
        features("Monsoon in Kerala", "", 4, 0.1, 20),
    );
    // "a" is re-posted about the monsoon: it leaves its story (now empty) and joins b's.
    let moved = put(
        &mut book,
        "a",
        features("Monsoon reaches Kerala coast", "", 4, 0.15, 30),
    );
    assert_ne!(moved.story, a.story);
    assert!(book.summary(a.story).is_none());
    assert_eq!(book.len(), 1);
    assert_eq!(book.members(moved.story).len(), 2);
    book.remove("a");
    book.remove("b");
    assert!(book.is_empty());
    // Ids are never reused.
    let c = put(&mut book, "c", features("Anything", "", 2, 0.0, 40));
    assert!(c.story > moved.story);
}

#[test]
fn a_book_rebuilt_from_its_links_lists_the_same_stories() {
    let mut book = StoryBook::new(StoryParams::default());
    let mut links = Vec::new();
    for (i, (t, axis)) in [
        ("SIDBI scheme", 0),
        ("SIDBI scheme for MSMEs", 0),
        ("Monsoon", 4),
    ]
    .into_iter()
    .enumerate()
    {
        let id = format!("a{i}");
        let l = put(&mut book, &id, features(t, "", axis, 0.1, 100 * i as i64));
        links.push((id, l));
    }
    let again = StoryBook::from_links(StoryParams::default(), links, 1);
    assert_eq!(book.list(None, None), again.list(None, None));
    assert_eq!(again.next_id(), book.next_id());
    let listed = again.list(None, None);
    assert_eq!(listed[0].articles, 2, "most covered first");
    assert_eq!(
        again.list(Some(150), None).len(),
        1,
        "since keeps stories with a later member"
    );
}

#[test]
fn an_article_that_shows_two_stories_are_one_merges_them() {
    let params = StoryParams {
        join_threshold: 0.8,
        merge_threshold: 0.6,
        lexical_weight: 0.0,
        ..StoryParams::default()
    };
    let mut book = StoryBook::new(params);
    // Two first reports, 60 degrees apart: two stories.
    let mut f1 = features("first report", "", 0, 0.0, 10);
    f1.vector = vec![1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
    let mut f2 = features("second report", "", 0, 0.0, 20);
    f2.vector = vec![0.5, 0.866, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
    let a = put(&mut book, "a", f1);
    let b = put(&mut book, "b", f2);
    assert_ne!(a.story, b.story);
    // A third between them joins one; the two stories are now close enough to merge.
    let mut f3 = features("third report", "", 0, 0.0, 30);
    f3.vector = vec![0.866, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
    let done = book.assign("c", f3);
    assert_eq!(book.len(), 1, "merged");
    assert_eq!(done.link.story, a.story, "the older id is kept");
    assert_eq!(book.story_of("b"), Some(a.story));
    assert_eq!(
        done.moved,
        vec!["b".to_string()],
        "b's link must be stored again"
    );
}

#[test]
fn deleting_an_original_makes_its_earliest_reprint_the_original() {
    let mut book = StoryBook::new(StoryParams::default());
    put(
        &mut book,
        "orig",
        features("SIDBI launches scheme", WIRE, 0, 0.0, 100),
    );
    put(
        &mut book,
        "late",
        features("y", &format!("{WIRE} Also read"), 5, 0.0, 300),
    );
    put(
        &mut book,
        "early",
        features("x", &format!("PTI: {WIRE}"), 3, 0.0, 200),
    );
    assert_eq!(book.copies_of("orig"), vec!["early", "late"]);
    let relinked = book.delete("orig").unwrap();
    assert_eq!(relinked, vec!["early".to_string(), "late".to_string()]);
    assert_eq!(book.link("early").unwrap().duplicate_of, None);
    assert_eq!(
        book.link("late").unwrap().duplicate_of.as_deref(),
        Some("early")
    );
    assert_eq!(book.canonical("late"), "early");
    assert_eq!(book.copies_of("early"), vec!["late"]);
    assert!(book.delete("orig").is_none(), "already gone");
}

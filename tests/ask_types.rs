//! Analyst questions over the demo corpus (the two seeds and Wikinews articles), through the
//! real router: the answer sentence, the answer inside it, a resolved date, and a decline for a
//! question whose answer the corpus does not hold.

mod common;

use axum::http::StatusCode;
use common::*;
use serde_json::{json, Value};

async fn ask(q: &str) -> Value {
    let r = router(shared_engine());
    let (status, body) = post_json(&r, "/v1/ask", json!({ "question": q })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// The first answer sentence, after checking that its span points into the stored body.
async fn first(body: &Value) -> &Value {
    assert_eq!(body["answered"], true, "{body:#}");
    let a = &body["answer"][0];
    if let Some(span) = a.get("answer_span") {
        let r = router(shared_engine());
        let id = a["citation"]["article_id"].as_str().unwrap();
        let (_, doc) = get(&r, &format!("/v1/documents/{id}")).await;
        let text = doc["body"].as_str().unwrap();
        let (s, e) = (
            span["start"].as_u64().unwrap() as usize,
            span["end"].as_u64().unwrap() as usize,
        );
        assert_eq!(&text[s..e], span["text"].as_str().unwrap());
        let (cs, ce) = (
            a["citation"]["start"].as_u64().unwrap() as usize,
            a["citation"]["end"].as_u64().unwrap() as usize,
        );
        assert!(cs <= s && e <= ce, "the span lies inside its sentence");
    }
    a
}

#[tokio::test]
async fn who_chaired_is_the_named_chair_not_the_lead() {
    let body = ask("Who chaired the NICDC consultation meeting?").await;
    let a = first(&body).await;
    assert!(
        a["text"].as_str().unwrap().contains("chaired by Amardeep"),
        "{body:#}"
    );
    assert_eq!(
        a["answer_span"]["text"], "Amardeep Singh Bhatia",
        "{body:#}"
    );
    // The supporting sentences name no chair: no span is shown on them ("Union Budget" is a
    // capitalised phrase, not a person).
    for support in body["answer"].as_array().unwrap().iter().skip(1) {
        assert!(support.get("answer_span").is_none(), "{body:#}");
    }
}

#[tokio::test]
async fn which_companies_is_the_list_of_companies() {
    let body = ask("Which companies attended the NICDC consultation?").await;
    let a = first(&body).await;
    assert_eq!(
        a["answer_span"]["text"], "Reliance, Tata Chemicals, Relaxo, Beumer Group, and JLL",
        "{body:#}"
    );
}

#[tokio::test]
async fn when_resolves_the_weekday_against_the_article_date() {
    let body = ask("When did the NICDC meeting take place?").await;
    let a = first(&body).await;
    assert!(
        a["text"].as_str().unwrap().contains("on Wednesday"),
        "{body:#}"
    );
    assert_eq!(a["answer_span"]["text"], "Wednesday", "{body:#}");
    assert_eq!(a["resolved_date"], "2026-03-18", "{body:#}");
}

#[tokio::test]
async fn how_many_associations_is_the_count() {
    let body = ask("How many industry associations took part in the DIA conclave?").await;
    let a = first(&body).await;
    assert!(
        a["text"]
            .as_str()
            .unwrap()
            .contains("90 industry associations"),
        "{body:#}"
    );
    assert!(
        a["answer_span"]["text"]
            .as_str()
            .unwrap()
            .starts_with("90 industry associations"),
        "{body:#}"
    );
}

#[tokio::test]
async fn untyped_questions_keep_their_answers() {
    let body = ask("What are the stages of cluster development?").await;
    let a = first(&body).await;
    assert!(a["text"].as_str().unwrap().contains("stage"), "{body:#}");
    assert!(a.get("answer_span").is_none(), "{body:#}");
    let body = ask("What is SIDBI's dual strategy?").await;
    let a = first(&body).await;
    assert!(a["text"].as_str().unwrap().contains("dual"), "{body:#}");
}

#[tokio::test]
async fn a_typed_question_without_a_typed_answer_is_declined() {
    // The society is named only in a list of those present: no sentence counts its members.
    let body = ask("How many members does the Society of Indian Defence Manufacturers have?").await;
    assert_eq!(body["answered"], false, "{body:#}");
    assert!(body["answer"].as_array().unwrap().is_empty());
    assert!(body["explanation"].as_str().is_some_and(|s| !s.is_empty()));
}

#[tokio::test]
async fn time_in_the_question_becomes_a_date_range() {
    let r = router(shared_engine());
    // The SIDBI launch is reported on 25 September 2026 (ANI).
    let (_, sept) = post_json(
        &r,
        "/v1/ask",
        json!({"question": "What did SIDBI launch in September 2026?"}),
    )
    .await;
    assert_eq!(sept["answered"], true, "{sept:#}");
    assert_eq!(sept["answer"][0]["citation"]["source"], "ANI", "{sept:#}");
    assert_eq!(sept["time_scope"]["phrases"][0], "in September 2026");
    assert!(sept["time_scope"]["after"]
        .as_str()
        .unwrap()
        .starts_with("2026-09-01"));
    // In March nothing from September may be quoted; as of 1 April neither.
    for body in [
        json!({"question": "What did SIDBI launch in March 2026?"}),
        json!({"question": "What did SIDBI launch?", "as_of": "2026-04-01"}),
    ] {
        let (status, resp) = post_json(&r, "/v1/ask", body).await;
        assert_eq!(status, StatusCode::OK, "{resp}");
        for a in resp["answer"].as_array().unwrap() {
            let date = a["citation"]["published"].as_str().unwrap();
            assert!(date < "2026-04-02", "{resp:#}");
        }
        assert!(resp["time_scope"]["before"].as_str().is_some(), "{resp:#}");
    }
    let bad = post_json(
        &r,
        "/v1/ask",
        json!({"question": "What did SIDBI launch?", "as_of": "next tuesday"}),
    )
    .await;
    assert_error(&bad, StatusCode::BAD_REQUEST, "invalid_time");
    // A question that says nothing of time reports no scope.
    let plain = ask("What did SIDBI launch?").await;
    assert!(plain.get("time_scope").is_none(), "{plain:#}");
}

#[tokio::test]
async fn the_latest_report_comes_first_and_an_older_figure_is_named() {
    let (_dir, engine) = engine_with(0);
    let r = router(engine);
    for (id, date, text) in [
        ("rbi-feb", "2026-02-07T10:00:00+05:30",
         "The Reserve Bank of India kept the repo rate at 6.50 per cent at its policy review. The central bank said inflation was within its target band."),
        ("rbi-jun", "2026-06-06T10:00:00+05:30",
         "The Reserve Bank of India cut the repo rate by 25 basis points to 6.25 per cent on Friday. Governor Sanjay Malhotra said growth needed support."),
    ] {
        let doc = json!({"id": id, "title": "RBI monetary policy review", "source": "RBI",
            "date": date, "body": text});
        let (status, body) = post_raw(
            &r,
            "/v1/documents",
            Some("application/json"),
            doc.to_string(),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    // The two reviews state different rates: the most recent comes first, and the answer says
    // which report is older.
    let (_, plain) = post_json(&r, "/v1/ask", json!({"question": "What is the repo rate?"})).await;
    assert_eq!(
        plain["answer"][0]["citation"]["article_id"], "rbi-jun",
        "{plain:#}"
    );
    assert_eq!(
        plain["answer"][1]["citation"]["article_id"], "rbi-feb",
        "{plain:#}"
    );
    assert_eq!(
        plain["disagreement"],
        "Sources differ: 6.25 per cent (RBI, 2026-06-06) is the most recent report; 6.50 per cent (RBI, 2026-02-07) is older.",
        "{plain:#}"
    );
    // Asked about February, the February figure stands alone.
    let (_, feb) = post_json(
        &r,
        "/v1/ask",
        json!({"question": "What was the repo rate in February 2026?"}),
    )
    .await;
    assert_eq!(
        feb["answer"][0]["citation"]["article_id"], "rbi-feb",
        "{feb:#}"
    );
    assert!(feb.get("disagreement").is_none(), "{feb:#}");
    let (_, latest) = post_json(
        &r,
        "/v1/ask",
        json!({"question": "What is the latest repo rate?"}),
    )
    .await;
    assert_eq!(
        latest["answer"][0]["citation"]["article_id"], "rbi-jun",
        "{latest:#}"
    );
    assert_eq!(latest["time_scope"]["latest"], true);
    // As of March, the June review does not exist yet.
    let (_, march) = post_json(
        &r,
        "/v1/ask",
        json!({"question": "What is the latest repo rate?", "as_of": "2026-03-31"}),
    )
    .await;
    assert_eq!(
        march["answer"][0]["citation"]["article_id"], "rbi-feb",
        "{march:#}"
    );
}

#[tokio::test]
async fn a_period_beyond_the_first_passages_read_is_searched_again_within_it() {
    let (_dir, engine) = engine_with(0);
    let r = router(engine);
    // Twelve reviews of 2026 that match the question's words closely, and one of May 2024.
    let mut docs: Vec<Value> = (1..=12)
        .map(|m| {
            json!({"id": format!("rbi-2026-{m}"), "title": "RBI keeps repo rate unchanged",
                "source": "RBI", "date": format!("2026-{:02}-05T10:00:00+05:30", m.min(11)),
                "body": format!("The Reserve Bank of India kept the repo rate unchanged at {}.50 per cent at its policy review in month {m}. The repo rate is the rate at which the RBI lends to banks.", 5 + m % 2)})
        })
        .collect();
    docs.push(json!({"id": "rbi-2024-05", "title": "Monetary policy statement",
        "source": "RBI", "date": "2024-05-10T10:00:00+05:30",
        "body": "The repo rate was left at 6.50 per cent by the Monetary Policy Committee. Inflation eased during the quarter."}));
    let (status, body) = post_raw(
        &r,
        "/v1/documents",
        Some("application/json"),
        Value::Array(docs).to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, resp) = post_json(
        &r,
        "/v1/ask",
        json!({"question": "What was the repo rate in May 2024?", "k": 3}),
    )
    .await;
    let first = &resp["answer"][0]["citation"];
    assert_eq!(first["article_id"], "rbi-2024-05", "{resp:#}");
}

#[tokio::test]
async fn a_what_question_about_a_measure_is_answered_with_the_amount() {
    // "revenue" names a measure: the answer is the money, not the sentence's counts ("109
    // retail stores", "one million visitors per week").
    let body = ask("What yearly revenue do Apple's retail stores bring in?").await;
    let a = first(&body).await;
    assert!(
        a["text"].as_str().unwrap().contains("109 retail stores"),
        "{body:#}"
    );
    assert_eq!(a["answer_span"]["text"], "$500 million", "{body:#}");
}

#[tokio::test]
async fn how_much_is_declined_when_the_best_sentence_holds_only_a_bare_count() {
    // The seed reports who attended the DIA conclave ("approximately 90 industry
    // associations"), never an amount sanctioned: a count of associations is no answer.
    let body =
        ask("How much has SIDBI sanctioned to industry associations under the DIA scheme so far?")
            .await;
    assert_eq!(body["answered"], false, "{body:#}");
    assert!(
        body["explanation"].as_str().unwrap().contains("amount"),
        "{body:#}"
    );
    // The count question over the same sentence is still answered.
    let count = ask("How many industry associations took part in the DIA conclave?").await;
    assert_eq!(
        first(&count).await["answer_span"]["text"],
        "90 industry associations"
    );
}

#[tokio::test]
async fn a_sentence_about_another_year_does_not_answer_a_question_about_this_one() {
    // The Warhol article (Wikinews, 28 January 2014, in the demo corpus) gives the Weatherspoon
    // museum's 11,000 visitors of 2010.
    let (_dir, engine) = engine_with(0);
    let r = router(engine);
    let line = std::fs::read_to_string(fixtures().join("demo/wikinews-gum.jsonl"))
        .unwrap()
        .lines()
        .find(|l| l.contains("Warhol collection in 2010"))
        .unwrap()
        .to_string();
    let (status, body) = post_raw(&r, "/v1/documents", Some("application/json"), line).await;
    assert!(status.is_success(), "{body}");
    let ask = |q: &'static str| {
        let r = r.clone();
        async move {
            let (status, body) = post_json(&r, "/v1/ask", json!({ "question": q })).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            body
        }
    };
    // Asked without a year, that is the answer.
    let any =
        ask("How many visitors saw the Warhol collection at the Weatherspoon Art Museum?").await;
    assert_eq!(any["answered"], true, "{any:#}");
    let text = any["answer"][0]["text"].as_str().unwrap();
    assert!(text.contains("11,000 visitors"), "{any:#}");
    // Asked of 2013, the article is among the period's reports, but its figure is of 2010.
    let other =
        ask("How many visitors did the Weatherspoon Art Museum's Warhol exhibition draw in 2013?")
            .await;
    assert_eq!(other["answered"], false, "{other:#}");
    assert!(other["answer"].as_array().unwrap().is_empty());
    let why = other["explanation"].as_str().unwrap();
    assert!(
        why.contains("another time") && why.contains("in 2013"),
        "{other:#}"
    );
}

#[tokio::test]
async fn a_question_about_an_office_is_answered_by_its_holder_or_declined() {
    // The seed names "Manoj Mittal, CMD, SIDBI" below the conclave's lead ("inaugurated by M
    // Nagaraju, Secretary DFS"): the asked office, by its initials, comes first.
    let cmd = ask("Who is the chairman and managing director of SIDBI?").await;
    assert_eq!(
        first(&cmd).await["answer_span"]["text"],
        "Manoj Mittal",
        "{cmd:#}"
    );
    // No stored sentence names an economic adviser: the DPIIT secretary is not one.
    let adviser = ask("Who is the chief economic adviser of DPIIT?").await;
    assert_eq!(adviser["answered"], false, "{adviser:#}");
    assert!(
        adviser["explanation"].as_str().unwrap().contains("office"),
        "{adviser:#}"
    );
}

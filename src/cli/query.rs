//! `newsdesk ask | search | brief | summarize`: on the local data dir (no server needed) or
//! against a running server with `--url`; readable text by default, JSON with `--json`.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::answer::brief::BriefFormat;
use crate::answer::stories::{StoriesQuery, StoriesResponse, StoryDetail};
use crate::answer::{
    self, AskRequest, AskResponse, BriefRequest, BriefResponse, FilterSpec, Mode, SearchRequest,
    SearchResponse, SummarizeRequest, SummarizeResponse,
};
use crate::engine::{Engine, EngineConfig};

/// Flags shared by the query commands.
#[derive(Debug, Args, Clone)]
pub struct Common {
    /// Ask a running server (e.g. http://127.0.0.1:8080) instead of opening the data dir.
    #[arg(long, env = "NEWSDESK_URL")]
    pub url: Option<String>,
    /// Bearer key for the server's reads.
    #[arg(long, env = "NEWSDESK_READ_KEY", hide_env_values = true)]
    pub key: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Only articles published at or after (RFC 3339 or YYYY-MM-DD).
    #[arg(long)]
    pub after: Option<String>,
    /// Only articles published at or before (RFC 3339 or YYYY-MM-DD).
    #[arg(long)]
    pub before: Option<String>,
    /// Only this source (repeatable).
    #[arg(long = "source")]
    pub sources: Vec<String>,
    /// Only this category (repeatable).
    #[arg(long = "category")]
    pub categories: Vec<String>,
    /// Retriever: dense, bm25 or hybrid.
    #[arg(long, value_parser = parse_mode)]
    pub mode: Option<Mode>,
}

fn parse_mode(s: &str) -> Result<Mode, String> {
    match s {
        "dense" => Ok(Mode::Dense),
        "bm25" => Ok(Mode::Bm25),
        "hybrid" => Ok(Mode::Hybrid),
        _ => Err(format!("unknown mode {s:?}: dense, bm25 or hybrid")),
    }
}

impl Common {
    fn filters(&self) -> Option<FilterSpec> {
        let f = FilterSpec {
            published_after: self.after.clone(),
            published_before: self.before.clone(),
            sources: self.sources.clone(),
            categories: self.categories.clone(),
        };
        let empty = f.published_after.is_none()
            && f.published_before.is_none()
            && f.sources.is_empty()
            && f.categories.is_empty();
        (!empty).then_some(f)
    }
}

/// `newsdesk ask`.
#[derive(Debug, Args)]
pub struct AskArgs {
    /// The question.
    pub question: String,
    /// Supporting passages to read.
    #[arg(short, long, default_value_t = 5)]
    pub k: usize,
    /// Answer as of this day or time (RFC 3339 or YYYY-MM-DD): later articles are left out.
    #[arg(long)]
    pub as_of: Option<String>,
    #[command(flatten)]
    pub common: Common,
}

/// `newsdesk search`.
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// The query.
    pub query: String,
    /// Number of hits.
    #[arg(short, long, default_value_t = 10)]
    pub k: usize,
    /// One hit per article.
    #[arg(long)]
    pub group_by_article: bool,
    /// One hit per story.
    #[arg(long, conflicts_with = "group_by_article")]
    pub group_by_story: bool,
    /// Only articles naming this in their headline or lead (repeatable).
    #[arg(long = "entity", value_name = "NAME")]
    pub entities: Vec<String>,
    #[command(flatten)]
    pub common: Common,
}

/// `newsdesk brief`.
#[derive(Debug, Args)]
pub struct BriefArgs {
    /// The topic.
    pub topic: String,
    /// Word budget.
    #[arg(long, default_value_t = 200)]
    pub max_words: usize,
    /// `stories` (one section per story) or `timeline` (dated bullets, oldest first).
    #[arg(long, value_parser = parse_brief_format)]
    pub format: Option<BriefFormat>,
    /// Only what is new since then: RFC 3339, YYYY-MM-DD or an age (2d, 12h, 1w).
    #[arg(long)]
    pub since: Option<String>,
    /// Write the note as of this day or time (RFC 3339 or YYYY-MM-DD).
    #[arg(long)]
    pub as_of: Option<String>,
    #[command(flatten)]
    pub common: Common,
}

fn parse_brief_format(s: &str) -> Result<BriefFormat, String> {
    match s {
        "stories" => Ok(BriefFormat::Stories),
        "timeline" => Ok(BriefFormat::Timeline),
        _ => Err(format!("unknown format {s:?}: stories or timeline")),
    }
}

/// `newsdesk stories`.
#[derive(Debug, Args)]
pub struct StoriesArgs {
    /// Show this story (its members and timeline) instead of the list.
    pub id: Option<u64>,
    /// Only stories with articles since then: RFC 3339, YYYY-MM-DD or an age (2d, 12h, 1w).
    #[arg(long)]
    pub since: Option<String>,
    /// Only stories with articles up to then (same forms).
    #[arg(long)]
    pub until: Option<String>,
    /// Only stories about this.
    #[arg(short, long)]
    pub q: Option<String>,
    /// How many stories.
    #[arg(short, long, default_value_t = 20)]
    pub k: usize,
    #[command(flatten)]
    pub common: Common,
}

/// `newsdesk summarize`.
#[derive(Debug, Args)]
pub struct SummarizeArgs {
    /// A stored article id.
    #[arg(long, conflicts_with = "file", required_unless_present = "file")]
    pub id: Option<String>,
    /// Or a text file (`-` for stdin).
    #[arg(long)]
    pub file: Option<PathBuf>,
    /// Sentences in the summary.
    #[arg(long, default_value_t = 3)]
    pub max_sentences: usize,
    #[command(flatten)]
    pub common: Common,
}

fn open_local(base: &EngineConfig) -> anyhow::Result<Arc<Engine>> {
    anyhow::ensure!(
        base.data_dir.join("newsdesk.redb").exists(),
        "no data in {} — run `newsdesk ingest PATH…` or `newsdesk serve` first, or pass --url",
        base.data_dir.display()
    );
    Ok(Engine::open(base.clone())?)
}

fn remote<Req: Serialize, Resp: DeserializeOwned>(
    common: &Common,
    path: &str,
    req: &Req,
) -> anyhow::Result<Resp> {
    let base = common.url.as_deref().expect("remote needs --url");
    let url = format!("{}{path}", base.trim_end_matches('/'));
    let mut call = ureq::post(&url).set("Content-Type", "application/json");
    if let Some(k) = &common.key {
        call = call.set("Authorization", &format!("Bearer {k}"));
    }
    reply(call.send_json(serde_json::to_value(req)?), &url)
}

/// A server's answer as `Resp`, or its error body (`{"error":{"code","message"}}`) as an error.
fn reply<Resp: DeserializeOwned>(
    result: Result<ureq::Response, ureq::Error>,
    url: &str,
) -> anyhow::Result<Resp> {
    match result {
        Ok(resp) => Ok(resp.into_json()?),
        Err(ureq::Error::Status(code, resp)) => {
            let body: serde_json::Value = resp.into_json().unwrap_or_default();
            let msg = body["error"]["message"].as_str().unwrap_or("").to_string();
            let c = body["error"]["code"].as_str().unwrap_or("").to_string();
            anyhow::bail!("server answered {code} {c}: {msg}")
        }
        Err(e) => anyhow::bail!("cannot reach {url}: {e}"),
    }
}

fn print<T: Serialize>(
    json: bool,
    value: &T,
    text: impl FnOnce(&T) -> String,
) -> anyhow::Result<i32> {
    if json {
        println!("{}", serde_json::to_string_pretty(value)?);
    } else {
        print!("{}", text(value));
    }
    Ok(0)
}

fn cite_line(c: &answer::Citation) -> String {
    let date = c
        .published
        .as_deref()
        .map(|d| d.get(..10).unwrap_or(d))
        .unwrap_or("undated");
    format!(
        "— {} · {} · {} · bytes {}–{}{}",
        c.title,
        c.source.as_deref().unwrap_or("unknown source"),
        date,
        c.start,
        c.end,
        c.url
            .as_deref()
            .map(|u| format!(" · {u}"))
            .unwrap_or_default()
    )
}

/// Runs `newsdesk ask`.
pub fn ask(base: &EngineConfig, a: AskArgs) -> anyhow::Result<i32> {
    let req = AskRequest {
        question: a.question,
        k: Some(a.k),
        filters: a.common.filters(),
        mode: a.common.mode,
        as_of: a.as_of,
    };
    let resp: AskResponse = if a.common.url.is_some() {
        remote(&a.common, "/v1/ask", &req)?
    } else {
        let engine = open_local(base)?;
        answer::check_query(&req.question, "question")?;
        let qv = engine.embed_query_blocking(&req.question)?;
        answer::ask(&mut engine.reader()?, &req, &qv)?
    };
    print(a.common.json, &resp, |r| {
        let mut s = format!("Q: {}\n", r.question);
        if !r.answered {
            s.push_str(&format!(
                "Not answered: {}\n",
                r.explanation.as_deref().unwrap_or("")
            ));
            return s;
        }
        s.push_str(&format!("A (confidence {:.2}):\n", r.confidence));
        for (i, a) in r.answer.iter().enumerate() {
            s.push_str(&format!(
                "  {}. \"{}\"\n     {}\n",
                i + 1,
                a.text.trim(),
                cite_line(&a.citation)
            ));
            if let Some(span) = &a.answer_span {
                s.push_str(&format!("     answer: {}\n", span.text));
            }
            if let Some(d) = &a.resolved_date {
                s.push_str(&format!("     date: {d}\n"));
            }
        }
        s
    })
}

/// Runs `newsdesk search`.
pub fn search(base: &EngineConfig, a: SearchArgs) -> anyhow::Result<i32> {
    let req = SearchRequest {
        query: a.query,
        k: Some(a.k),
        filters: a.common.filters(),
        group_by_article: a.group_by_article,
        group_by: a
            .group_by_story
            .then_some(crate::answer::search::GroupBy::Story),
        mode: a.common.mode,
        entities: a.entities,
        facets: Vec::new(),
    };
    let resp: SearchResponse = if a.common.url.is_some() {
        remote(&a.common, "/v1/search", &req)?
    } else {
        let engine = open_local(base)?;
        answer::check_query(&req.query, "query")?;
        let qv = engine.embed_query_blocking(&req.query)?;
        answer::search(&mut engine.reader()?, &req, &qv)?
    };
    print(a.common.json, &resp, |r| {
        let mut s = String::new();
        if r.hits.is_empty() {
            s.push_str("No hits.\n");
        }
        for (i, h) in r.hits.iter().enumerate() {
            s.push_str(&format!(
                "{:>2}. [{:.3}] {}\n    {}\n    {}\n",
                i + 1,
                h.scores.score,
                h.citation.title,
                h.highlight.text.trim(),
                cite_line(&h.citation)
            ));
        }
        s
    })
}

/// Runs `newsdesk brief`.
pub fn brief(base: &EngineConfig, a: BriefArgs) -> anyhow::Result<i32> {
    let req = BriefRequest {
        topic: a.topic,
        max_words: Some(a.max_words),
        filters: a.common.filters(),
        mode: a.common.mode,
        format: a.format,
        since: a.since,
        as_of: a.as_of,
    };
    let resp: BriefResponse = if a.common.url.is_some() {
        remote(&a.common, "/v1/brief", &req)?
    } else {
        let engine = open_local(base)?;
        answer::check_query(&req.topic, "topic")?;
        let qv = engine.embed_query_blocking(&req.topic)?;
        answer::brief(&mut engine.reader()?, &req, &qv)?
    };
    print(a.common.json, &resp, |r| r.markdown.clone())
}

/// Runs `newsdesk stories`.
pub fn stories(base: &EngineConfig, a: StoriesArgs) -> anyhow::Result<i32> {
    let q = StoriesQuery {
        since: a.since,
        until: a.until,
        q: a.q,
        k: Some(a.k),
    };
    if let Some(id) = a.id {
        let detail: StoryDetail = if a.common.url.is_some() {
            remote_get(&a.common, &format!("/v1/stories/{id}"), &[])?
        } else {
            let engine = open_local(base)?;
            let mut r = engine.reader()?;
            answer::stories::detail(&mut r, id)?
                .ok_or_else(|| anyhow::anyhow!("no story with id {id}"))?
        };
        return print(a.common.json, &detail, story_detail_text);
    }
    let resp: StoriesResponse = if a.common.url.is_some() {
        let mut params = Vec::new();
        for (k, v) in [("since", &q.since), ("until", &q.until), ("q", &q.q)] {
            if let Some(v) = v {
                params.push((k, v.clone()));
            }
        }
        params.push(("k", a.k.to_string()));
        remote_get(&a.common, "/v1/stories", &params)?
    } else {
        let engine = open_local(base)?;
        let qv = match q.q.as_deref() {
            Some(text) => {
                answer::check_query(text, "query")?;
                Some(engine.embed_query_blocking(text)?)
            }
            None => None,
        };
        answer::stories::list(&mut engine.reader()?, &q, qv.as_deref())?
    };
    print(a.common.json, &resp, |r| {
        let mut s = format!(
            "{} stor{}\n",
            r.total,
            if r.total == 1 { "y" } else { "ies" }
        );
        for st in &r.stories {
            s.push_str(&format!(
                "\n#{} {} — {} article(s), {} source(s), {} to {}\n",
                st.id,
                st.headline,
                st.articles,
                st.sources,
                &st.first_seen[..10],
                &st.last_seen[..10]
            ));
            if let Some(q) = &st.representative {
                s.push_str(&format!(
                    "   \"{}\"\n   {}\n",
                    q.text.trim(),
                    cite_line(&q.citation)
                ));
            }
        }
        s
    })
}

fn story_detail_text(d: &StoryDetail) -> String {
    let st = &d.story;
    let mut s = format!(
        "#{} {} — {} article(s), {} source(s)\n",
        st.id, st.headline, st.articles, st.sources
    );
    for day in &d.timeline {
        s.push_str(&format!("\n{} ({} article(s))\n", day.date, day.articles));
        for h in &day.headlines {
            s.push_str(&format!("  - {h}\n"));
        }
    }
    s.push_str("\nmembers:\n");
    for m in &d.members {
        let copy = m
            .duplicate_of
            .as_deref()
            .map(|o| format!(" (reprint of {o})"))
            .unwrap_or_default();
        s.push_str(&format!(
            "  {}  {}  {} — {}{copy}\n",
            &m.published[..10],
            m.article_id,
            m.source.as_deref().unwrap_or("unknown source"),
            m.title
        ));
    }
    s
}

fn remote_get<Resp: DeserializeOwned>(
    common: &Common,
    path: &str,
    query: &[(&str, String)],
) -> anyhow::Result<Resp> {
    let base = common.url.as_deref().expect("remote needs --url");
    let url = format!("{}{path}", base.trim_end_matches('/'));
    let mut call = ureq::get(&url);
    for (k, v) in query {
        call = call.query(k, v);
    }
    if let Some(k) = &common.key {
        call = call.set("Authorization", &format!("Bearer {k}"));
    }
    reply(call.call(), &url)
}

/// Runs `newsdesk summarize`.
pub fn summarize(base: &EngineConfig, a: SummarizeArgs) -> anyhow::Result<i32> {
    let text = match &a.file {
        Some(f) => Some(String::from_utf8(crate::ingest::paths::read_input(f)?)?),
        None => None,
    };
    let req = SummarizeRequest {
        article_id: a.id,
        text,
        max_sentences: Some(a.max_sentences),
        max_words: None,
    };
    let resp: SummarizeResponse = if a.common.url.is_some() {
        remote(&a.common, "/v1/summarize", &req)?
    } else {
        let engine = open_local(base)?;
        answer::summarize(&mut engine.reader()?, &req)?
    };
    print(a.common.json, &resp, |r| {
        let mut s = String::new();
        if let Some(t) = &r.title {
            s.push_str(&format!("{t}\n\n"));
        }
        for x in &r.sentences {
            s.push_str(&format!(
                "- {} (bytes {}–{})\n",
                x.text.trim(),
                x.start,
                x.end
            ));
        }
        s
    })
}

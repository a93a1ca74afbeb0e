//! JSON and JSONL: `{title, body, published, source, url, author, category, id, …}` with the
//! same synonyms as the XML formats (`headline`, `content`, `text`, `date`, `link`, `guid`, …).
//! Accepts one object, an array of objects, or an object wrapping an array (`articles`, `items`,
//! `entries`, `data`, `documents`, `records`, `results`). newsdesk's own `parse` output reads back.

use serde_json::{Map, Value};

use super::date::parse_date;
use super::fields::{host_of, make_id, short};
use super::{finish_article, title_from_body, Article, Dateline, IngestError, IngestOptions};
use crate::text::{html_to_text, looks_like_html, normalize_plain};

fn key_norm(k: &str) -> String {
    k.to_ascii_lowercase().replace(['-', ' '], "_")
}

fn get<'a>(obj: &'a Map<String, Value>, names: &[&str]) -> Option<&'a Value> {
    for want in names {
        for (k, v) in obj {
            if key_norm(k) == *want && !v.is_null() {
                if let Value::String(s) = v {
                    if s.trim().is_empty() {
                        continue;
                    }
                }
                return Some(v);
            }
        }
    }
    None
}

/// A string from a value: strings as they are, numbers printed, objects by their `name`, arrays
/// by their first element.
fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(_) | Value::Null => None,
        Value::Array(a) => a.iter().find_map(as_text),
        Value::Object(o) => {
            get(o, &["name", "title", "label", "value", "href", "url"]).and_then(as_text)
        }
    }
}

fn as_names(v: &Value) -> Option<String> {
    match v {
        Value::Array(a) => {
            let names: Vec<String> = a
                .iter()
                .filter_map(as_text)
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
            (!names.is_empty()).then(|| names.join(", "))
        }
        other => as_text(other)
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty()),
    }
}

fn clean_body(s: &str) -> String {
    if looks_like_html(s) {
        html_to_text(s)
    } else {
        normalize_plain(s, false)
    }
}

fn object_to_article(
    obj: &Map<String, Value>,
    opts: &IngestOptions,
    warnings: &mut Vec<String>,
) -> Result<Article, String> {
    let title = get(obj, &["title", "headline", "heading", "name"])
        .and_then(as_text)
        .map(|s| super::fields::clean_line(&s))
        .unwrap_or_default();
    let body = get(
        obj,
        &[
            "body",
            "content",
            "text",
            "fulltext",
            "full_text",
            "article_body",
            "articlebody",
            "fulldesc",
            "content_encoded",
            "story",
            "description",
            "summary",
            "abstract",
            "excerpt",
        ],
    )
    .and_then(as_text)
    .map(|s| clean_body(&s))
    .unwrap_or_default();
    if title.is_empty() && body.trim().is_empty() {
        return Err("has neither a title nor a body".into());
    }
    let url = get(
        obj,
        &[
            "url",
            "link",
            "permalink",
            "canonical_url",
            "canonical",
            "web_url",
            "weburl",
        ],
    )
    .and_then(as_text)
    .map(|s| s.trim().to_string());
    let mut published = None;
    for key in [
        "published",
        "pubdate",
        "pub_date",
        "published_at",
        "publish_date",
        "date_published",
        "datepublished",
        "date",
        "dc_date",
        "issued",
        "created",
        "created_at",
        "timestamp",
        "datetime",
        "updated",
        "modified",
        "updated_at",
    ] {
        if let Some(v) = get(obj, &[key]) {
            let raw = match v {
                Value::Number(n) => n.to_string(),
                other => as_text(other).unwrap_or_default(),
            };
            match parse_date(&raw, opts.default_tz) {
                Some(d) => {
                    published = Some(d);
                    break;
                }
                None => warnings.push(format!(
                    "unreadable date {raw:?} in {:?}; left empty",
                    short(&title)
                )),
            }
        }
    }
    let source = get(
        obj,
        &[
            "source",
            "publisher",
            "site_name",
            "sitename",
            "site",
            "provider",
        ],
    )
    .and_then(as_text)
    .map(|s| s.trim().to_string())
    .filter(|s| !s.is_empty())
    .or_else(|| opts.feed_source.clone())
    .or_else(|| url.as_deref().and_then(host_of))
    .or_else(|| opts.source_hint.clone());
    let author = get(
        obj,
        &[
            "author",
            "authors",
            "byline",
            "creator",
            "dc_creator",
            "writer",
        ],
    )
    .and_then(as_names);
    let category = get(
        obj,
        &["category", "categories", "section", "subject", "topic"],
    )
    .and_then(as_text)
    .map(|s| s.trim().to_string())
    .filter(|s| !s.is_empty())
    .or_else(|| opts.feed_category.clone());
    let own_id = get(
        obj,
        &[
            "id",
            "guid",
            "uuid",
            "article_id",
            "articleid",
            "news_id",
            "story_id",
            "_id",
        ],
    )
    .and_then(as_text);
    let date_inferred = get(obj, &["date_inferred"])
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let dateline =
        get(obj, &["dateline"]).and_then(|v| serde_json::from_value::<Dateline>(v.clone()).ok());
    let title = if title.is_empty() {
        title_from_body(&body)
    } else {
        title
    };
    let id = make_id(
        own_id.as_deref(),
        url.as_deref(),
        &title,
        published.as_ref(),
        &body,
    );
    let mut a = Article {
        id,
        title,
        body,
        source,
        url,
        author,
        category,
        published,
        date_inferred: date_inferred && published.is_some(),
        dateline,
        boilerplate: Vec::new(),
    };
    finish_article(&mut a, opts);
    Ok(a)
}

fn collect(v: &Value, out: &mut Vec<Map<String, Value>>) -> bool {
    match v {
        Value::Array(a) => {
            for x in a {
                if let Value::Object(o) = x {
                    out.push(o.clone());
                }
            }
            true
        }
        Value::Object(o) => {
            for key in [
                "articles",
                "items",
                "entries",
                "data",
                "documents",
                "records",
                "results",
                "docs",
            ] {
                if let Some(Value::Array(_)) = o.get(key) {
                    return collect(&o[key], out);
                }
            }
            out.push(o.clone());
            true
        }
        _ => false,
    }
}

/// The objects of a JSON document, each converted on its own: `(index, article or why not)`,
/// indexes counting from 0 in document order. A document that is not JSON, or holds no object,
/// is an error.
pub(crate) fn json_items(
    text: &str,
    opts: &IngestOptions,
    warnings: &mut Vec<String>,
) -> Result<Vec<super::Item>, IngestError> {
    let v: Value = serde_json::from_str(text).map_err(|e| IngestError::Json {
        line: e.line(),
        message: e.to_string(),
    })?;
    let mut objs = Vec::new();
    if !collect(&v, &mut objs) {
        return Err(IngestError::Unsupported(
            "JSON that is neither an object nor an array of objects".into(),
        ));
    }
    if objs.is_empty() {
        return Err(IngestError::NoArticles("the JSON holds no objects".into()));
    }
    Ok(objs
        .iter()
        .enumerate()
        .map(|(i, o)| (i, object_to_article(o, opts, warnings)))
        .collect())
}

/// The lines of a JSONL document, each its own item: `(line index from 0, article or why
/// not)`; blank lines are skipped, a malformed line is that item's error.
pub(crate) fn jsonl_items(
    text: &str,
    opts: &IngestOptions,
    warnings: &mut Vec<String>,
) -> Vec<super::Item> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let l = line.trim();
        if l.is_empty() {
            continue;
        }
        let item = match serde_json::from_str::<Value>(l) {
            Ok(Value::Object(o)) => object_to_article(&o, opts, warnings),
            Ok(_) => Err("is not a JSON object".to_string()),
            Err(e) => Err(format!("is malformed JSON: {e}")),
        };
        out.push((i, item));
    }
    out
}

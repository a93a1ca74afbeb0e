//! Answer types: what a question asks for (a person, a list of organisations, an amount, a date,
//! a place) and where a sentence holds one, as a byte span, with how plainly it answers (an
//! amount next to the question's own noun, a name after "chaired by", a list after
//! "included"). Also resolves a relative date in a sentence ("on Wednesday", "yesterday", "last
//! month") against the article's date.

use std::collections::HashSet;
use std::ops::Range;

use chrono::{Datelike, Duration, NaiveDate};

use crate::text::calendar::{english_month, english_weekday};

/// The wh-type of a question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuestionType {
    /// Who / whom / whose: a person (or the body that acted).
    Who,
    /// Which X: one named thing, or a list of them.
    Which,
    /// How many: a count.
    HowMany,
    /// How much / what percentage / what amount: an amount with its unit.
    HowMuch,
    /// When / what year / what date: a date.
    When,
    /// Where / in which city: a place.
    Where,
    /// What …: no particular type.
    What,
    /// Why / for what purpose: a reason.
    Why,
}

/// A classified question.
#[derive(Debug, Clone, PartialEq)]
pub struct QuestionShape {
    /// Its wh-type.
    pub qtype: QuestionType,
    /// True when it asks for several things ("Which companies …").
    pub list: bool,
    /// The words after the wh-phrase, lower-cased, function words dropped.
    pub focus: Vec<String>,
    /// The focus as matched against a sentence's words (stems and acronyms).
    matcher: Focus,
    /// Every word of the question, lower-cased (a span it already holds is no answer).
    asked: HashSet<String>,
    /// The preposition a date answer should follow ("until when" → "until"), if the question
    /// puts one before its wh-word.
    date_cue: Option<&'static str>,
    /// The wh-phrase as written ("how much", "what"; empty when there is none).
    wh: &'static str,
}

impl QuestionShape {
    /// True when an answer of a recognisable type is expected (a sentence without one does not
    /// answer the question).
    pub fn typed(&self) -> bool {
        matches!(
            self.qtype,
            QuestionType::Who
                | QuestionType::HowMany
                | QuestionType::HowMuch
                | QuestionType::When
                | QuestionType::Where
        ) || (self.qtype == QuestionType::Which && self.list)
    }

    /// Whether a best sentence holding `answer` (the typed answer found in it, if any) means
    /// the corpus does not say: a count question without a number, an amount question without
    /// money, a measure or a share (a bare count: "125 representatives" for "how much has SIDBI
    /// sanctioned"), a list question without a list. Those are recognised reliably. A missing
    /// name, date or place is more often a recognition miss than a missing answer (SQuAD dev:
    /// declining those cost 3.5 points of answer-sentence hit@1), so those questions are
    /// answered and ranked instead.
    pub fn declines_without_answer(&self, answer: Option<&TypedAnswer>) -> bool {
        match self.qtype {
            QuestionType::HowMany => answer.is_none(),
            // Only a literal "how much": "what was the population of …" is answered by a bare
            // number.
            QuestionType::HowMuch if self.wh == "how much" => {
                answer.is_none_or(|a| a.strength < WEAK_AMOUNT)
            }
            _ => false,
        }
    }

    /// For a "who" question about an office ("Who is the current chairperson of LIC?"), the
    /// office's words and its initials ("chairman and managing director": CMD, MD) as written
    /// in capitals; `None` for any other question.
    fn asked_office(&self) -> Option<(HashSet<String>, HashSet<String>)> {
        if self.qtype != QuestionType::Who || !self.matcher.names_office() {
            return None;
        }
        let stems: Vec<String> = self.focus.iter().map(|w| stem_word(w)).collect();
        let role = |s: &String| ROLES.iter().any(|r| stem_word(r) == *s);
        let words: HashSet<String> = stems.iter().filter(|s| role(s)).cloned().collect();
        let mut initials = HashSet::new();
        for len in 2..=4 {
            for (w, s) in self.focus.windows(len).zip(stems.windows(len)) {
                if s.iter().any(role) {
                    initials.insert(w.iter().filter_map(|x| x.chars().next()).collect());
                }
            }
        }
        Some((words, initials))
    }

    /// Whether a sentence or its article's title names the office a "who" question asks
    /// about, by one of its words or its initials ("Manoj Mittal, CMD" for "the chairman and
    /// managing director"); `None` when the question asks about no office. A sentence that
    /// names people with other offices only ("… Managing Director, BIRAC" for "the chairperson
    /// of LIC") does not answer it.
    pub fn names_asked_office(&self, title: &str, sentence: &str) -> Option<bool> {
        let (words, initials) = self.asked_office()?;
        let sep = |c: char| !c.is_alphanumeric();
        Some(title.split(sep).chain(sentence.split(sep)).any(|w| {
            words.contains(&stem_word(&w.to_lowercase()))
                || (w.len() >= 2
                    && w.chars().all(|c| c.is_ascii_uppercase())
                    && initials.contains(&w.to_ascii_lowercase()))
        }))
    }

    /// What a typed question wants, in words ("a person's name").
    pub fn wanted(&self) -> &'static str {
        match (self.qtype, self.list) {
            (QuestionType::Who, _) => "name of a person or body",
            (QuestionType::Which, true) => "list of names",
            (QuestionType::Which, false) => "name",
            (QuestionType::HowMany, _) => "count",
            (QuestionType::HowMuch, _) => "amount",
            (QuestionType::When, _) => "date",
            (QuestionType::Where, _) => "place",
            (QuestionType::What, _) | (QuestionType::Why, _) => "answer",
        }
    }
}

/// Below this strength an amount is a bare, uncounted number (see `amounts`).
const WEAK_AMOUNT: f32 = 0.3;

/// Words that never make a question's focus.
const FOCUS_STOP: &[&str] = &[
    "a",
    "an",
    "the",
    "of",
    "in",
    "on",
    "at",
    "to",
    "for",
    "by",
    "with",
    "from",
    "and",
    "or",
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "did",
    "do",
    "does",
    "has",
    "have",
    "had",
    "will",
    "would",
    "can",
    "could",
    "its",
    "it",
    "their",
    "this",
    "that",
    "these",
    "those",
    "what",
    "which",
    "who",
    "whom",
    "whose",
    "when",
    "where",
    "why",
    "how",
    "many",
    "much",
    "roughly",
    "about",
    "approximately",
    "so",
    "far",
    "under",
    "as",
    "than",
];

/// Wh-phrases, longest first, with their type.
const WH: &[(&str, QuestionType)] = &[
    ("how many", QuestionType::HowMany),
    ("how much", QuestionType::HowMuch),
    ("what percentage", QuestionType::HowMuch),
    ("what percent", QuestionType::HowMuch),
    ("what share", QuestionType::HowMuch),
    ("what amount", QuestionType::HowMuch),
    ("how long", QuestionType::HowMuch),
    ("how large", QuestionType::HowMuch),
    ("how big", QuestionType::HowMuch),
    ("what year", QuestionType::When),
    ("which year", QuestionType::When),
    ("what date", QuestionType::When),
    ("what day", QuestionType::When),
    ("which day", QuestionType::When),
    ("what month", QuestionType::When),
    ("in which city", QuestionType::Where),
    ("in which state", QuestionType::Where),
    ("in which country", QuestionType::Where),
    ("which city", QuestionType::Where),
    ("which state", QuestionType::Where),
    ("which country", QuestionType::Where),
    ("what city", QuestionType::Where),
    ("what country", QuestionType::Where),
    ("for what purpose", QuestionType::Why),
    ("whom", QuestionType::Who),
    ("whose", QuestionType::Who),
    ("who", QuestionType::Who),
    ("which", QuestionType::Which),
    ("when", QuestionType::When),
    ("where", QuestionType::Where),
    ("why", QuestionType::Why),
    ("what", QuestionType::What),
];

fn lower_words(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '\''))
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase())
        .collect()
}

/// Classifies a question by its first wh-phrase (anywhere: "Roughly how many …").
pub fn classify(question: &str) -> QuestionShape {
    let words = lower_words(question);
    let mut found: Option<(usize, usize, QuestionType, &'static str)> = None;
    'outer: for i in 0..words.len() {
        for &(phrase, t) in WH {
            let p: Vec<&str> = phrase.split(' ').collect();
            if words.len() >= i + p.len()
                && words[i..i + p.len()].iter().zip(&p).all(|(a, b)| a == b)
            {
                found = Some((i, p.len(), t, phrase));
                break 'outer;
            }
        }
    }
    let (at, len, mut qtype, wh) = found.unwrap_or((0, 0, QuestionType::What, ""));
    let rest = &words[(at + len).min(words.len())..];
    let content: Vec<&String> = rest
        .iter()
        .filter(|w| !FOCUS_STOP.contains(&w.as_str()))
        .collect();
    // "What was the purpose / aim …" asks why; "what … cost / worth" asks how much.
    if qtype == QuestionType::What {
        if content.iter().take(3).any(|w| {
            matches!(
                w.as_str(),
                "purpose" | "aim" | "objective" | "reason" | "goal" | "intended"
            )
        }) {
            qtype = QuestionType::Why;
        } else if asks_amount(rest) {
            qtype = QuestionType::HowMuch;
        }
    }
    let next = rest.first().map(String::as_str).unwrap_or("");
    let list = match qtype {
        QuestionType::Which => next.ends_with('s') && !next.ends_with("ss"),
        QuestionType::Who => matches!(next, "were" | "are" | "attended" | "participated"),
        _ => false,
    };
    let focus: Vec<String> = rest
        .iter()
        .filter(|w| !FOCUS_STOP.contains(&w.as_str()))
        .cloned()
        .collect();
    let date_cue = at
        .checked_sub(1)
        .and_then(|p| DATE_CUES.iter().find(|(w, _)| *w == words[p]))
        .map(|(_, cue)| *cue);
    QuestionShape {
        qtype,
        list,
        matcher: Focus::of(&focus),
        focus,
        asked: words.into_iter().collect(),
        date_cue,
        wh,
    }
}

/// Nouns of things measured in amounts: "What were India's imports in July?", "What stake would
/// Fiat hold?", "What is the value of the contract?" ask for an amount.
const AMOUNT_NOUNS: &[&str] = &[
    "amount",
    "value",
    "size",
    "level",
    "rate",
    "percentage",
    "outlay",
    "stake",
    "capacity",
    "cost",
    "price",
    "worth",
    "budget",
    "turnover",
    "revenue",
    "import",
    "export",
    "inflow",
    "outflow",
    "investment",
    "allocation",
    "output",
    "sale",
    "profit",
    "deficit",
    "surplus",
    "income",
    "gdp",
    "inflation",
    "population",
    "reserve",
    "valuation",
    "tariff",
];

/// Words that end the noun phrase a "what" question asks about.
const PHRASE_END: &[&str] = &[
    "of", "in", "for", "by", "to", "from", "during", "after", "under", "on", "at", "with", "did",
    "does", "do", "would", "will", "has", "have", "had", "that", "which",
];

/// True when the words after "what" name an amount: the question's noun phrase ("the value",
/// "India's total imports"), directly or after a copula, holds an amount noun.
fn asks_amount(rest: &[String]) -> bool {
    let start =
        usize::from(rest.first().is_some_and(|w| {
            matches!(w.as_str(), "is" | "was" | "were" | "are" | "will" | "would")
        }));
    rest.iter()
        .skip(start)
        .take_while(|w| !PHRASE_END.contains(&w.as_str()))
        .take(7)
        .any(|w| {
            let w = w.trim_end_matches("'s");
            AMOUNT_NOUNS.contains(&w)
                || w.strip_suffix('s')
                    .is_some_and(|s| AMOUNT_NOUNS.contains(&s))
        })
}

/// Prepositions a question may put before its wh-word, with the word a date answer follows.
const DATE_CUES: &[(&str, &str)] = &[
    ("until", "until"),
    ("till", "until"),
    ("since", "since"),
    ("from", "since"),
    ("by", "by"),
    ("before", "before"),
    ("after", "after"),
];

/// Words before a date that carry a cue's meaning ("with effect from 2021-22" is "since").
fn cue_words(cue: &str) -> &'static [&'static str] {
    match cue {
        "until" => &["until", "till", "upto", "up"],
        "since" => &["since", "from"],
        "by" => &["by", "before"],
        "before" => &["before", "by"],
        "after" => &["after", "from"],
        _ => &[],
    }
}

/// Offices a "who" question may ask the holder of.
const ROLES: &[&str] = &[
    "secretary",
    "minister",
    "chairman",
    "chairperson",
    "director",
    "president",
    "ceo",
    "governor",
    "spokesperson",
    "commissioner",
    "founder",
    "adviser",
    "advisor",
];

/// The question's focus as matched against sentence words: crude stems, and the initials of
/// runs of focus words ("chairman and managing director" → CMD, MD), matched only by words
/// written in capitals.
#[derive(Debug, Clone, PartialEq, Default)]
struct Focus {
    stems: HashSet<String>,
    acronyms: HashSet<String>,
    /// The stem of the first amount noun ("imports", "capacity", "value"), if any.
    measure: Option<String>,
}

impl Focus {
    fn of(focus: &[String]) -> Focus {
        let stems = focus.iter().map(|f| stem_word(f)).collect();
        let letters: Vec<char> = focus
            .iter()
            .filter_map(|w| w.chars().next())
            .filter(char::is_ascii_alphabetic)
            .collect();
        let mut acronyms = HashSet::new();
        for len in 2..=4 {
            for w in letters.windows(len) {
                acronyms.insert(w.iter().collect::<String>());
            }
        }
        let measure = focus
            .iter()
            .map(|w| stem_word(w.trim_end_matches("'s")))
            .find(|w| AMOUNT_NOUNS.iter().any(|n| stem_word(n) == *w));
        Focus {
            stems,
            acronyms,
            measure,
        }
    }

    fn has_stem(&self, stem: &str) -> bool {
        self.stems.contains(stem)
    }

    /// Whether the question asks about an office ("Who is the chairman of …").
    fn names_office(&self) -> bool {
        ROLES.iter().any(|o| self.stems.contains(&stem_word(o)))
    }

    /// Words a focus noun is also written as ("companies" ~ "corporate", "firms").
    fn matches(&self, word: &str) -> bool {
        let s = stem_word(word);
        if self.stems.contains(&s) {
            return true;
        }
        if word.len() >= 2
            && word.chars().all(|c| c.is_ascii_uppercase())
            && self.acronyms.contains(&word.to_ascii_lowercase())
        {
            return true;
        }
        const SAME: &[(&str, &[&str])] = &[
            ("compan", &["corporat", "firm"]),
            (
                "organisation",
                &["organization", "bod", "bodi", "association"],
            ),
            ("countr", &["nation"]),
            ("state", &["states"]),
        ];
        SAME.iter()
            .any(|(f, alts)| self.stems.contains(*f) && alts.iter().any(|a| s.starts_with(a)))
    }
}

/// A word or a mark of a sentence, with its byte range.
#[derive(Debug, Clone)]
struct Tok<'a> {
    text: &'a str,
    range: Range<usize>,
}

impl Tok<'_> {
    fn is_word(&self) -> bool {
        self.text.chars().next().is_some_and(char::is_alphanumeric)
    }
    fn capitalised(&self) -> bool {
        self.text.chars().next().is_some_and(char::is_uppercase)
    }
    fn lower(&self) -> String {
        self.text.to_lowercase()
    }
    fn is_number(&self) -> bool {
        self.text.chars().next().is_some_and(|c| c.is_ascii_digit())
    }
}

/// Words (letters and digits, with inner `.`, `,`, `-`, `'`, `&` between them) and single marks.
fn tokens(text: &str) -> Vec<Tok<'_>> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let end_of = |j: usize| chars.get(j).map(|c| c.0).unwrap_or(text.len());
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i].1;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        if c.is_alphanumeric() {
            while j < chars.len() {
                let d = chars[j].1;
                let inner = matches!(d, '.' | ',' | '-' | '\'' | '’' | '&')
                    && chars.get(j + 1).is_some_and(|n| n.1.is_alphanumeric())
                    && (d != ','
                        || (chars[j - 1].1.is_ascii_digit() && chars[j + 1].1.is_ascii_digit()))
                    && (d != '.'
                        || chars[j - 1].1.is_ascii_digit()
                        || chars[j - 1].1.is_uppercase());
                if d.is_alphanumeric() {
                    j += 1;
                } else if inner {
                    j += 2;
                } else {
                    break;
                }
            }
        }
        out.push(Tok {
            text: &text[chars[i].0..end_of(j)],
            range: chars[i].0..end_of(j),
        });
        i = j;
    }
    out
}

/// Honorifics dropped from the front of a name.
const TITLES: &[&str] = &[
    "shri", "sh", "smt", "dr", "mr", "mrs", "ms", "prof", "sri", "hon'ble", "justice",
];
/// Office words that, after a name and a comma, mark it as a person's.
const OFFICES: &[&str] = &[
    "secretary",
    "minister",
    "chairman",
    "chairperson",
    "chair",
    "director",
    "president",
    "ceo",
    "chief",
    "governor",
    "head",
    "managing",
    "joint",
    "additional",
    "deputy",
    "spokesperson",
    "commissioner",
    "founder",
];
/// Words that make a capitalised run an organisation's name.
const ORG_WORDS: &[&str] = &[
    "ministry",
    "department",
    "corporation",
    "bank",
    "council",
    "committee",
    "association",
    "limited",
    "ltd",
    "group",
    "company",
    "authority",
    "board",
    "institute",
    "university",
    "agency",
    "commission",
    "government",
    "organisation",
    "organization",
    "federation",
    "chamber",
];
/// Words before a name that say the name did what was asked about.
const AGENT_CUES: &[&str] = &[
    "by",
    "minister",
    "secretary",
    "chairman",
    "chief",
    "president",
];
/// Words after a name that say the name acted.
const AGENT_VERBS: &[&str] = &[
    "said",
    "says",
    "chaired",
    "inaugurated",
    "announced",
    "launched",
    "led",
    "headed",
    "addressed",
    "stated",
    "told",
    "won",
    "became",
    "was",
    "is",
];
/// Words before a list that introduce its items.
const LIST_CUES: &[&str] = &[
    "included",
    "including",
    "include",
    "includes",
    "namely",
    "as",
    ":",
];
/// Scale words of amounts.
const SCALES: &[&str] = &[
    "hundred", "thousand", "lakh", "lakhs", "crore", "crores", "million", "billion", "trillion",
    "mn", "bn", "cr",
];
/// Unit words of amounts.
const UNITS: &[&str] = &[
    "%", "per", "percent", "tonnes", "tonne", "tons", "mt", "mw", "gw", "kw", "km", "kg",
    "hectares", "acres", "units", "dollars", "rupees", "years", "months", "days", "hours",
    "points", "bps", "basis", "euros", "euro", "pounds", "yen", "yuan", "gwh", "mwh", "bu",
    "miles", "mile", "feet", "ft", "foot", "metres", "meters", "metre", "meter", "inches",
    "square", "sq", "cubic", "litres", "liters", "gallons", "barrels", "ounces", "degrees",
    "times", "watts", "kwh", "mph", "calories", "lbs", "grams",
];
/// Marks and words of currency before an amount.
const CURRENCIES: &[&str] = &["₹", "$", "€", "£", "rs", "rs.", "inr", "usd", "us$", "us"];
/// Number words.
const NUMBER_WORDS: &[&str] = &[
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "fifteen",
    "twenty",
    "thirty",
    "forty",
    "fifty",
    "hundred",
    "dozen",
    "hundreds",
    "thousands",
];
const RELATIVE_DAYS: &[&str] = &["yesterday", "today", "tomorrow", "tonight"];

/// A month name written as one (capitalised: "may" the verb is not May).
fn month(t: &Tok) -> Option<u32> {
    if !t.capitalised() || t.text.len() < 3 {
        return None;
    }
    english_month(t.text)
}

fn is_year(t: &Tok) -> bool {
    t.text.len() == 4
        && t.text.chars().all(|c| c.is_ascii_digit())
        && (t.text.starts_with("19") || t.text.starts_with("20"))
}

fn day_number(t: &Tok) -> Option<u32> {
    let digits = t
        .text
        .trim_end_matches(|c: char| c.is_ascii_alphabetic())
        .parse::<u32>()
        .ok()?;
    (1..=31).contains(&digits).then_some(digits)
}

/// What a key figure measures.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum FigureKind {
    /// An amount of money (₹, Rs, $, crore, lakh …).
    Money,
    /// A percentage or a rate.
    Percent,
    /// A count of things, or a quantity with its unit.
    Count,
}

/// The figures a sentence states, as byte ranges inside it: amounts of money with their
/// currency and scale ("₹500 crore", "Rs 1.5 lakh", "$2 billion"), percentages ("12.5 per
/// cent"), and counts with what they count ("125 representatives", "90 industry
/// associations", "3,000 tonnes"), in digits. Years and the days of dates are not figures.
pub fn key_figures(sentence: &str) -> Vec<(Range<usize>, FigureKind)> {
    let toks = tokens(sentence);
    let mut out = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let t = &toks[i];
        let prev_cur = i > 0 && CURRENCIES.contains(&toks[i - 1].lower().as_str());
        let dated = (i > 0 && month(&toks[i - 1]).is_some())
            || toks.get(i + 1).is_some_and(|n| month(n).is_some());
        // Figures are written in digits; "four stages" is prose, not a key figure.
        if !t.is_number() || (is_year(t) && !prev_cur) || dated {
            i += 1;
            continue;
        }
        let start = currency_start(&toks, i);
        let mut end = i + 1;
        let mut money = prev_cur;
        while end < toks.len() && SCALES.contains(&toks[end].lower().as_str()) {
            money |= matches!(
                toks[end].lower().as_str(),
                "crore" | "crores" | "lakh" | "lakhs" | "cr"
            );
            end += 1;
        }
        let mut kind = if money {
            FigureKind::Money
        } else {
            FigureKind::Count
        };
        let unit = toks.get(end).map(|n| n.lower());
        match unit.as_deref() {
            Some("%" | "percent") => {
                kind = FigureKind::Percent;
                end += 1;
            }
            Some("per") if toks.get(end + 1).is_some_and(|n| n.text == "cent") => {
                kind = FigureKind::Percent;
                end += 2;
            }
            Some("rupees" | "dollars") => {
                kind = FigureKind::Money;
                end += 1;
            }
            Some(u) if UNITS.contains(&u) && u != "per" => end += 1,
            _ if !money => {
                // A bare number counts what follows it: up to two lower-case words.
                let mut k = end;
                while k < toks.len()
                    && k < end + 2
                    && toks[k].is_word()
                    && !toks[k].capitalised()
                    && !toks[k].is_number()
                {
                    k += 1;
                }
                if k == end {
                    i = end;
                    continue;
                }
                end = k;
            }
            _ => {}
        }
        out.push((toks[start].range.start..toks[end - 1].range.end, kind));
        i = end;
    }
    out
}

/// Where an amount whose number is token `i` starts: "US$ 95.16" takes up to two currency marks.
fn currency_start(toks: &[Tok], i: usize) -> usize {
    let mut start = i;
    while start > 0 && i - start < 2 && CURRENCIES.contains(&toks[start - 1].lower().as_str()) {
        start -= 1;
    }
    start
}

/// A typed answer found in a sentence.
#[derive(Debug, Clone, PartialEq)]
pub struct TypedAnswer {
    /// Byte range inside the sentence.
    pub range: Range<usize>,
    /// How plainly it answers, in (0, 1]: 1 when it stands in relation to the question's focus.
    pub strength: f32,
    /// True when it stands next to what the question asks about: "chaired by X" for "who
    /// chaired", "corporate participants included A, B" for "which companies", "imports …
    /// US$ 95 billion" for "what were the imports", "until 10 September" for "until when".
    pub related: bool,
}

/// A span of tokens, how plainly it answers, and whether it stands in relation to the focus.
type Found = (Range<usize>, f32, bool);

/// The best answer of the question's type in `sentence`, if any (a span the question already
/// holds is no answer).
pub fn find_answer(shape: &QuestionShape, sentence: &str) -> Option<TypedAnswer> {
    let toks = tokens(sentence);
    let (asked, focus) = (&shape.asked, &shape.matcher);
    let found = match shape.qtype {
        QuestionType::Who => persons(&toks, asked, focus, shape.list),
        QuestionType::Which => {
            if shape.list {
                lists(&toks, asked, focus)
            } else {
                names(&toks, asked, focus)
            }
        }
        QuestionType::HowMany | QuestionType::HowMuch => amounts(&toks, asked, focus, shape.qtype),
        QuestionType::When => dates(&toks, asked, focus, shape.date_cue),
        QuestionType::Where => places(&toks, asked, focus),
        QuestionType::What | QuestionType::Why => None,
    }?;
    Some(TypedAnswer {
        range: toks[found.0.start].range.start..toks[found.0.end - 1].range.end,
        strength: found.1.clamp(0.05, 1.0),
        related: found.2,
    })
}

/// Crude stem for focus matching: plural and past/participle endings off ("companies" →
/// "compan", "associations" → "association", "valued" ~ "value" → "valu", "chaired" → "chair").
fn stem_word(w: &str) -> String {
    let w = w.to_lowercase();
    for suf in ["ies", "es", "s"] {
        if let Some(s) = w.strip_suffix(suf) {
            if s.len() >= 3 {
                return if suf == "ies" {
                    s.to_string()
                } else {
                    s.trim_end_matches('e').to_string()
                };
            }
        }
    }
    for suf in ["ed", "ing"] {
        if let Some(s) = w.strip_suffix(suf) {
            if s.len() >= 4 {
                return s.trim_end_matches('e').to_string();
            }
        }
    }
    w.trim_end_matches('y').trim_end_matches('e').to_string()
}

/// Runs of capitalised words (token index ranges). With `connectors`, "of", "for", "and", "&"
/// may join two capitalised words inside one run (Department for Promotion of Industry).
fn capital_runs(toks: &[Tok], connectors: bool) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        if !(toks[i].is_word() && toks[i].capitalised()) {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        loop {
            if j < toks.len() && toks[j].is_word() && toks[j].capitalised() {
                j += 1;
            } else if connectors
                && j + 1 < toks.len()
                && matches!(toks[j].text, "of" | "for" | "&" | "and" | "de")
                && toks[j + 1].capitalised()
                && toks[j + 1].is_word()
            {
                j += 2;
            } else {
                break;
            }
        }
        out.push(i..j);
        i = j;
    }
    out
}

/// Drops leading honorifics and sentence-initial function words from a run; None when nothing
/// is left or everything is already in the question.
fn clean_run(toks: &[Tok], run: Range<usize>, asked: &HashSet<String>) -> Option<Range<usize>> {
    let mut r = run;
    while r.start < r.end {
        let l = toks[r.start].lower();
        let l = l.trim_end_matches('.');
        if TITLES.contains(&l) || (r.start == 0 && FOCUS_STOP.contains(&l)) {
            r.start += 1;
        } else {
            break;
        }
    }
    if r.is_empty() {
        return None;
    }
    let all_asked = toks[r.clone()].iter().all(|t| asked.contains(&t.lower()));
    let calendar = toks[r.clone()]
        .iter()
        .all(|t| month(t).is_some() || english_weekday(t.text).is_some());
    (!all_asked && !calendar).then_some(r)
}

fn persons(toks: &[Tok], asked: &HashSet<String>, focus: &Focus, list: bool) -> Option<Found> {
    let asks_office = focus.names_office();
    let is_title = |t: &Tok| TITLES.contains(&t.lower().trim_end_matches('.'));
    let mut best: Option<Found> = None;
    for run in capital_runs(toks, false) {
        // "Sh. Raj Kumar Goyal": an honorific with its full stop comes before the run.
        let mut before = run.start;
        if before >= 2 && toks[before - 1].text == "." && is_title(&toks[before - 2]) {
            before -= 2;
        }
        let Some(r) = clean_run(toks, run, asked) else {
            continue;
        };
        let titled = toks[before..r.start].iter().any(is_title);
        let words: Vec<String> = toks[r.clone()].iter().map(Tok::lower).collect();
        let org = words.iter().any(|w| ORG_WORDS.contains(&w.as_str()));
        let acronym = r.len() == 1
            && toks[r.start]
                .text
                .chars()
                .filter(|c| c.is_uppercase())
                .count()
                >= 2;
        let mut s: f32 = if org || acronym { 0.25 } else { 0.4 };
        if r.len() >= 2 && !org {
            s += 0.2;
        }
        let prev = before
            .checked_sub(1)
            .map(|p| toks[p].lower())
            .unwrap_or_default();
        if titled || AGENT_CUES.contains(&prev.as_str()) {
            s += 0.4;
        }
        let next = toks.get(r.end).map(Tok::lower).unwrap_or_default();
        let after_text = toks.get(r.end + 1).map(|t| t.text).unwrap_or_default();
        let after = after_text.to_lowercase();
        let office_asked = focus.matches(after_text);
        let mut related = false;
        if next == "," && (OFFICES.contains(&after.as_str()) || office_asked) {
            // "X, Secretary": a person with an office; when the question asks about one office
            // ("Who is the chairman …"), a name holding another is the wrong person.
            if !asks_office || office_asked {
                s += 0.4;
            } else {
                s -= 0.3;
            }
            if asks_office && office_asked {
                s += 0.3;
                related = true;
            }
        } else if AGENT_VERBS.contains(&next.as_str()) {
            s += 0.2;
        }
        if list && next == "," {
            s += 0.1;
        }
        // "chaired by X": the question's own verb or noun just before the name.
        if toks[before.saturating_sub(3)..before]
            .iter()
            .any(|t| focus.matches(t.text))
        {
            s += 0.3;
            related = true;
        }
        if best.as_ref().is_none_or(|b| s > b.1) {
            best = Some((r, s, related));
        }
    }
    best
}

fn names(toks: &[Tok], asked: &HashSet<String>, focus: &Focus) -> Option<Found> {
    let near_focus = |r: &Range<usize>| {
        let lo = r.start.saturating_sub(4);
        let hi = (r.end + 4).min(toks.len());
        toks[lo..hi].iter().any(|t| focus.matches(t.text))
    };
    capital_runs(toks, true)
        .into_iter()
        .filter_map(|r| clean_run(toks, r, asked))
        .map(|r| {
            let near = near_focus(&r);
            (r, if near { 0.9 } else { 0.5 }, near)
        })
        .fold(None, |best: Option<Found>, c| match best {
            Some(b) if b.1 >= c.1 => Some(b),
            _ => Some(c),
        })
}

/// Lists of names: "A, B, and C", "A and B".
fn lists(toks: &[Tok], asked: &HashSet<String>, focus: &Focus) -> Option<Found> {
    let runs: Vec<Range<usize>> = capital_runs(toks, false)
        .into_iter()
        .filter_map(|r| clean_run(toks, r, asked))
        .collect();
    let mut best: Option<Found> = None;
    let mut i = 0;
    while i < runs.len() {
        let mut j = i;
        // Join runs separated by ",", "and", ", and".
        while j + 1 < runs.len() {
            let gap: Vec<&str> = toks[runs[j].end..runs[j + 1].start]
                .iter()
                .map(|t| t.text)
                .collect();
            if matches!(
                gap.as_slice(),
                [","] | ["and"] | [",", "and"] | ["&"] | [",", "&"]
            ) {
                j += 1;
            } else {
                break;
            }
        }
        let items = j - i + 1;
        if items >= 2 {
            let span = runs[i].start..runs[j].end;
            let mut s = 0.3 + 0.1 * (items.min(5) as f32);
            let lo = span.start.saturating_sub(6);
            let before = &toks[lo..span.start];
            if before
                .iter()
                .any(|t| LIST_CUES.contains(&t.lower().as_str()))
            {
                s += 0.2;
            }
            if toks.iter().any(|t| focus.matches(t.text)) {
                s += 0.3;
            }
            // "Corporate participants included A, B and C": the asked noun introduces the list.
            let related = before.iter().any(|t| focus.matches(t.text));
            if best.as_ref().is_none_or(|b| s > b.1) {
                best = Some((span, s, related));
            }
        }
        i = j + 1;
    }
    best
}

fn amounts(
    toks: &[Tok],
    asked: &HashSet<String>,
    focus: &Focus,
    qtype: QuestionType,
) -> Option<Found> {
    let mut best: Option<Found> = None;
    let wants_share = ["percentag", "percent", "share", "rate", "growth", "stak"]
        .iter()
        .any(|f| focus.has_stem(f));
    let mut i = 0;
    while i < toks.len() {
        let t = &toks[i];
        let l = t.lower();
        let numeric = t.is_number() || NUMBER_WORDS.contains(&l.as_str());
        if !numeric || asked.contains(&l) {
            i += 1;
            continue;
        }
        // A year or a day of a date is no amount.
        let prev_cur = i > 0 && CURRENCIES.contains(&toks[i - 1].lower().as_str());
        let dated = (i > 0 && month(&toks[i - 1]).is_some())
            || toks.get(i + 1).is_some_and(|n| month(n).is_some());
        if (is_year(t) && !prev_cur) || dated {
            i += 1;
            continue;
        }
        let start = currency_start(toks, i);
        let mut end = i + 1;
        let mut money = prev_cur;
        let mut unit = false;
        let scaled = toks
            .get(end)
            .is_some_and(|n| SCALES.contains(&n.lower().as_str()));
        while end < toks.len() && SCALES.contains(&toks[end].lower().as_str()) {
            money |= matches!(
                toks[end].lower().as_str(),
                "crore" | "crores" | "lakh" | "lakhs" | "cr"
            );
            end += 1;
        }
        if end < toks.len() && UNITS.contains(&toks[end].lower().as_str()) {
            unit = true;
            end += 1;
            if toks[end - 1].text == "per" && toks.get(end).is_some_and(|n| n.text == "cent") {
                end += 1;
            }
        }
        // The counted noun: up to three words after the number, matched against the focus.
        let mut last_focus = None;
        let mut k = end;
        while k < toks.len() && k < end + 3 && toks[k].is_word() {
            if focus.matches(toks[k].text) {
                last_focus = Some(k);
            }
            k += 1;
        }
        // An amount with its unit is complete; a bare count takes its noun.
        let counted = last_focus.is_some() && (!(money || unit) || last_focus == Some(end));
        if let (Some(k), false) = (last_focus, money || unit) {
            end = k + 1;
        } else if qtype == QuestionType::HowMany
            && !unit
            && toks
                .get(end)
                .is_some_and(|n| n.is_word() && !n.capitalised())
        {
            end += 1;
        }
        let share = toks[start..end]
            .iter()
            .any(|t| matches!(t.text, "%" | "percent") || t.text == "per");
        let mut s: f32 = 0.45;
        if counted {
            s += 0.45;
        }
        if qtype == QuestionType::HowMuch {
            // "How much" wants money, a measure or a share; a bare count ("90 industry
            // associations" for "how much has SIDBI sanctioned to industry associations")
            // seldom answers it.
            if money || unit || share {
                s += 0.2;
            } else if scaled {
                // "one million visitors": a magnitude, below money or a measure.
                s += 0.1;
            } else {
                s = 0.2;
            }
        }
        if wants_share && share {
            s += 0.3;
        }
        // "Total imports … is estimated at US$ 95.16 Billion": the measure the question names
        // comes before the amount (exports of the same month are another measure).
        let measured = focus.measure.as_ref().is_some_and(|m| {
            toks[start.saturating_sub(10)..start]
                .iter()
                .any(|t| &stem_word(t.text) == m)
        });
        if measured {
            s += 0.25;
        }
        let related = counted || measured || (wants_share && share);
        if best.as_ref().is_none_or(|b| s > b.1) {
            best = Some((start..end, s, related));
        }
        i = end.max(i + 1);
    }
    best
}

fn dates(toks: &[Tok], asked: &HashSet<String>, focus: &Focus, cue: Option<&str>) -> Option<Found> {
    // "Until when …": a date after "until" answers it, another date in the sentence does not.
    let cued = |r: &Range<usize>| {
        cue.is_none_or(|c| {
            toks[r.start.saturating_sub(3)..r.start]
                .iter()
                .any(|t| cue_words(c).contains(&t.lower().as_str()))
        })
    };
    // "The first jets will be delivered in 2014" for "When will … take delivery": the asked
    // verb or noun just before the date.
    let near_focus = |r: &Range<usize>| {
        toks[r.start.saturating_sub(4)..r.start]
            .iter()
            .any(|t| focus.matches(t.text))
    };
    let mut best: Option<Found> = None;
    let mut i = 0;
    while i < toks.len() {
        let t = &toks[i];
        let l = t.lower();
        let mut span: Option<(Range<usize>, f32)> = None;
        if month(t).is_some() {
            let mut start = i;
            let mut end = i + 1;
            if i > 0 && day_number(&toks[i - 1]).is_some() {
                start = i - 1;
            }
            if toks
                .get(end)
                .is_some_and(|n| day_number(n).is_some() && !is_year(n))
            {
                end += 1;
            }
            if toks.get(end).is_some_and(|n| n.text == ",")
                && toks.get(end + 1).is_some_and(is_year)
            {
                end += 2;
            } else if toks.get(end).is_some_and(is_year) {
                end += 1;
            }
            let s = if end - start >= 2 { 1.0 } else { 0.6 };
            span = Some((start..end, s));
        } else if english_weekday(t.text).is_some() || RELATIVE_DAYS.contains(&l.as_str()) {
            span = Some((i..i + 1, 0.9));
        } else if matches!(l.as_str(), "last" | "next" | "this" | "earlier")
            && toks
                .get(i + 1)
                .is_some_and(|n| matches!(n.lower().as_str(), "week" | "month" | "year"))
        {
            span = Some((i..i + 2, 0.8));
        } else if is_year(t) {
            span = Some((i..i + 1, 0.5));
        }
        if let Some((r, mut s)) = span {
            let related = if cued(&r) {
                cue.is_some() || near_focus(&r)
            } else {
                s -= 0.3;
                false
            };
            if related {
                s += 0.2;
            }
            let words = &toks[r.clone()];
            let new = words
                .iter()
                .any(|w| w.is_word() && !asked.contains(&w.lower()));
            if new && best.as_ref().is_none_or(|b| s > b.1) {
                best = Some((r.clone(), s, related));
            }
            i = r.end;
        } else {
            i += 1;
        }
    }
    best
}

fn places(toks: &[Tok], asked: &HashSet<String>, focus: &Focus) -> Option<Found> {
    capital_runs(toks, true)
        .into_iter()
        .filter_map(|run| {
            let prev = run.start.checked_sub(1).map(|p| toks[p].lower());
            // "will establish manufacturing capabilities at Kollam": the asked activity names
            // the place.
            let related = toks[run.start.saturating_sub(5)..run.start]
                .iter()
                .any(|t| focus.matches(t.text));
            let r = clean_run(toks, run, asked)?;
            let s = match prev.as_deref() {
                Some("in" | "at" | "near" | "from" | "across") => 0.9,
                _ => 0.35,
            } + if related { 0.1 } else { 0.0 };
            Some((r, s, related))
        })
        .fold(None, |best: Option<Found>, c| match best {
            Some(b) if b.1 >= c.1 => Some(b),
            _ => Some(c),
        })
}

/// The date a relative expression in `sentence` means, given the article's date: a weekday
/// ("on Wednesday": the latest such day on or before the article's; "next Monday": the
/// following one), "yesterday", "today", "tomorrow", a day and month without a year, "last
/// month" / "last year". ISO 8601 (`2026-03-18`, `2026-02` or `2025`); None when the sentence
/// holds no relative date.
pub fn resolve_date(sentence: &str, published: NaiveDate) -> Option<String> {
    let toks = tokens(sentence);
    for (i, t) in toks.iter().enumerate() {
        let l = t.lower();
        let prev = i
            .checked_sub(1)
            .map(|p| toks[p].lower())
            .unwrap_or_default();
        let next = toks.get(i + 1);
        if let Some(day) = english_weekday(t.text) {
            // "Wednesday, 18 March 2026" is already absolute.
            if next.is_some_and(|n| n.text == ",")
                && toks
                    .get(i + 2)
                    .is_some_and(|n| day_number(n).is_some() || month(n).is_some())
            {
                continue;
            }
            let back = (7 + published.weekday().num_days_from_monday() as i64
                - day.num_days_from_monday() as i64)
                % 7;
            let date = if prev == "next" {
                published + Duration::days(if back == 0 { 7 } else { 7 - back })
            } else if prev == "last" && back == 0 {
                published - Duration::days(7)
            } else {
                published - Duration::days(back)
            };
            return Some(date.format("%Y-%m-%d").to_string());
        }
        let shift = match l.as_str() {
            "yesterday" => Some(-1),
            "today" | "tonight" => Some(0),
            "tomorrow" => Some(1),
            _ => None,
        };
        if let Some(d) = shift {
            return Some(
                (published + Duration::days(d))
                    .format("%Y-%m-%d")
                    .to_string(),
            );
        }
        if prev == "last" && l == "month" {
            let (y, m) = if published.month() == 1 {
                (published.year() - 1, 12)
            } else {
                (published.year(), published.month() - 1)
            };
            return Some(format!("{y:04}-{m:02}"));
        }
        if prev == "last" && l == "year" {
            return Some(format!("{:04}", published.year() - 1));
        }
        if let Some(m) = month(t) {
            let day = next
                .and_then(|n| day_number(n).filter(|_| !is_year(n)))
                .or_else(|| i.checked_sub(1).and_then(|p| day_number(&toks[p])));
            let has_year = toks[i + 1..].iter().take(3).any(is_year);
            if let (Some(d), false) = (day, has_year) {
                // A date later than the article's, months ahead, is last year's.
                let mut y = published.year();
                if NaiveDate::from_ymd_opt(y, m, d)
                    .is_some_and(|x| x > published + Duration::days(60))
                {
                    y -= 1;
                }
                if let Some(x) = NaiveDate::from_ymd_opt(y, m, d) {
                    return Some(x.format("%Y-%m-%d").to_string());
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_figures_are_amounts_shares_and_counts_not_years() {
        let s = "SIDBI will invest ₹500 crore, up 12.5 per cent from 2025, in 90 industry \
                 associations and 3,000 tonnes of steel on 18 March 2026; Rs 2 lakh each.";
        let got: Vec<(&str, FigureKind)> = key_figures(s)
            .into_iter()
            .map(|(r, k)| (&s[r], k))
            .collect();
        assert_eq!(
            got,
            vec![
                ("₹500 crore", FigureKind::Money),
                ("12.5 per cent", FigureKind::Percent),
                ("90 industry associations", FigureKind::Count),
                ("3,000 tonnes", FigureKind::Count),
                ("Rs 2 lakh", FigureKind::Money),
            ]
        );
        assert!(key_figures("The scheme was launched in 2026.").is_empty());
    }

    fn span<'a>(q: &str, s: &'a str) -> Option<&'a str> {
        find_answer(&classify(q), s).map(|a| &s[a.range])
    }

    #[test]
    fn questions_are_classified_with_their_focus() {
        let q = classify("Who chaired NICDC's consultation meeting?");
        assert_eq!(q.qtype, QuestionType::Who);
        assert!(q.typed());
        let q = classify("Which companies attended the NICDC consultation?");
        assert_eq!((q.qtype, q.list), (QuestionType::Which, true));
        assert_eq!(q.focus[0], "companies");
        let q = classify("Roughly how many industry associations took part?");
        assert_eq!(q.qtype, QuestionType::HowMany);
        assert_eq!(&q.focus[..2], ["industry", "associations"]);
        assert_eq!(
            classify("How much did it cost?").qtype,
            QuestionType::HowMuch
        );
        assert_eq!(
            classify("When did the meeting take place?").qtype,
            QuestionType::When
        );
        assert_eq!(
            classify("In which city is the plant?").qtype,
            QuestionType::Where
        );
        assert_eq!(classify("Why did SIDBI act?").qtype, QuestionType::Why);
        let what = classify("What is SIDBI's dual strategy?");
        assert_eq!(what.qtype, QuestionType::What);
        assert!(!what.typed());
        assert_eq!(
            classify("What was the meeting intended to achieve?").qtype,
            QuestionType::Why
        );
    }

    #[test]
    fn typed_spans_are_found_in_relation_to_the_focus() {
        let chaired = "The meeting, chaired by Amardeep Singh Bhatia, Secretary, Department for \
                       Promotion of Industry and Internal Trade (DPIIT) followed a webinar.";
        assert_eq!(
            span("Who chaired the NICDC consultation meeting?", chaired),
            Some("Amardeep Singh Bhatia")
        );
        let list = "Corporate participants included Reliance, Tata Chemicals, Relaxo, Beumer \
                    Group, and JLL.";
        assert_eq!(
            span("Which companies attended the NICDC consultation?", list),
            Some("Reliance, Tata Chemicals, Relaxo, Beumer Group, and JLL")
        );
        let count = "Around 125 representatives from approximately 90 industry associations \
                     attended the conclave.";
        assert_eq!(
            span("How many industry associations took part?", count),
            Some("90 industry associations")
        );
        let money = "The government approved an outlay of ₹1,500 crore for the scheme in 2025.";
        assert_eq!(
            span("How much was approved for the scheme?", money),
            Some("₹1,500 crore")
        );
        let pct = "Exports rose 12.5 per cent in July, the ministry said.";
        assert_eq!(
            span("By what percentage did exports rise?", pct),
            Some("12.5 per cent")
        );
        let when = "NICDC convened a consultation meeting on Wednesday, focusing on clusters.";
        assert_eq!(
            span("When did the NICDC meeting take place?", when),
            Some("Wednesday")
        );
        assert_eq!(
            span(
                "When was it signed?",
                "It was signed on 25 September 2025 in Delhi."
            ),
            Some("25 September 2025")
        );
        assert_eq!(
            span(
                "Where is the plant?",
                "The plant is located in Jamshedpur, officials said."
            ),
            Some("Jamshedpur")
        );
        // Nothing of the wanted kind: no span.
        assert_eq!(
            span(
                "Who chaired the meeting?",
                "the meeting was long and useful."
            ),
            None
        );
        assert_eq!(
            span("How many firms joined?", "Many firms joined the scheme."),
            None
        );
        // What the question already says is no answer.
        assert_eq!(
            span("When did NICDC meet in March?", "NICDC met in March."),
            None
        );
    }

    #[test]
    fn what_questions_about_a_measure_ask_for_an_amount() {
        for q in [
            "What were India's total merchandise and services imports in July 2026?",
            "What is the value of the contract to lease two drones?",
            "What stake in Chrysler would Fiat hold?",
            "What is India's current installed data centre capacity?",
        ] {
            assert_eq!(classify(q).qtype, QuestionType::HowMuch, "{q}");
        }
        for q in [
            "What did SIDBI announce?",
            "What is SIDBI's dual strategy?",
            "What did the value chain study find?",
        ] {
            assert_eq!(classify(q).qtype, QuestionType::What, "{q}");
        }
        // The measure named before the amount wins over another measure's amount.
        let q = "What were India's total imports in July 2026?";
        let exports = "India's total exports for July 2026 is estimated at US$ 80.14 Billion.";
        let imports = "Total imports for July 2026 is estimated at US$ 95.16 Billion.";
        let (e, i) = (
            find_answer(&classify(q), exports).unwrap(),
            find_answer(&classify(q), imports).unwrap(),
        );
        assert!(i.related && !e.related);
        assert!(i.strength > e.strength);
        assert_eq!(span(q, imports), Some("US$ 95.16 Billion"));
    }

    #[test]
    fn how_much_wants_money_a_measure_or_a_share_not_a_bare_count() {
        let q = classify("How much has SIDBI sanctioned to industry associations?");
        let count = "Around 125 representatives from approximately 90 industry associations \
                     participated in the Conclave.";
        let weak = find_answer(&q, count);
        assert!(q.declines_without_answer(weak.as_ref()), "{weak:?}");
        let money = "SIDBI has sanctioned ₹45 crore to 30 industry associations.";
        let a = find_answer(&q, money);
        assert!(!q.declines_without_answer(a.as_ref()));
        assert_eq!(
            span("How much has SIDBI sanctioned?", money),
            Some("₹45 crore")
        );
        assert_eq!(
            span(
                "How much in back taxes were the schools ordered to pay?",
                "The schools were ordered to pay over 422,000 euros in arrears."
            ),
            Some("422,000 euros")
        );
        // A count question keeps its bare count, and "what … population" is no "how much".
        let many = classify("How many industry associations took part?");
        assert!(!many.declines_without_answer(find_answer(&many, count).as_ref()));
        let pop = classify("What was the population of the city in 2010?");
        let census = "The census counted 1,307,402 residents.";
        assert!(!pop.declines_without_answer(find_answer(&pop, census).as_ref()));
    }

    #[test]
    fn the_person_holding_the_asked_office_is_the_answer() {
        let q = "Who is the chairman and managing director of SIDBI?";
        let other = "The conclave was inaugurated by M Nagaraju, Secretary DFS, Ministry of \
                     Finance.";
        let cmd = "Speaking on the occasion, Manoj Mittal, CMD, SIDBI, said clusters need \
                   associations.";
        let shape = classify(q);
        let (o, c) = (
            find_answer(&shape, other).unwrap(),
            find_answer(&shape, cmd).unwrap(),
        );
        assert_eq!(&cmd[c.range.clone()], "Manoj Mittal");
        assert!(c.related && !o.related);
        assert!(c.strength > o.strength, "{c:?} vs {o:?}");
        // An honorific with its full stop still marks the name, after the asked verb.
        let launched = "The upgraded portal was launched by Sh. Raj Kumar Goyal, Chief \
                        Information Commissioner.";
        let a = find_answer(&classify("Who launched the portal?"), launched).unwrap();
        assert_eq!(&launched[a.range.clone()], "Raj Kumar Goyal");
        assert!(a.related);
        assert_eq!(a.strength, 1.0);
    }

    #[test]
    fn a_sentence_names_the_asked_office_by_its_words_or_its_initials() {
        let cmd = classify("Who is the chairman and managing director of SIDBI?");
        assert_eq!(
            cmd.names_asked_office(
                "",
                "Speaking on the occasion, Manoj Mittal, CMD, SIDBI, said …"
            ),
            Some(true)
        );
        assert_eq!(
            cmd.names_asked_office("", "It was inaugurated by M Nagaraju, Secretary DFS."),
            Some(false)
        );
        // The initials of the body are not the office's ("LIC" for "… chairperson of LIC").
        let lic =
            classify("Who is the current chairperson of the Life Insurance Corporation (LIC)?");
        assert_eq!(
            lic.names_asked_office(
                "",
                "Dr. Manish Diwan, Group General Manager, LIC, was present."
            ),
            Some(false)
        );
        assert_eq!(
            lic.names_asked_office("", "Siddhartha Mohanty, Chairperson of LIC, said …"),
            Some(true)
        );
        let adviser =
            classify("Who has been appointed the Government's new Chief Economic Adviser?");
        assert_eq!(
            adviser.names_asked_office(
                "",
                "The company announced Daniel Ammann as its new president."
            ),
            Some(false)
        );
        // Questions about no office, and other question types, are not judged.
        assert_eq!(
            classify("Who chaired the NICDC consultation meeting?").names_asked_office("", "x"),
            None
        );
        assert_eq!(
            classify("How many directors does SIDBI have?").names_asked_office("", "x"),
            None
        );
    }

    #[test]
    fn a_cued_date_question_wants_the_date_after_its_preposition() {
        let q = "Until when can teams register for the hackathon?";
        let s = "Registration opened on August 15th, and will remain open until 10 September \
                 2026.";
        assert_eq!(span(q, s), Some("10 September 2026"));
        let other = "Round 1 is an online round on 15 September 2026.";
        let shape = classify(q);
        assert!(
            find_answer(&shape, s).unwrap().strength > find_answer(&shape, other).unwrap().strength
        );
        // Without a cue every full date answers alike.
        assert_eq!(span("When is round 1?", other), Some("15 September 2026"));
    }

    #[test]
    fn relative_dates_resolve_against_the_article_date() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 18).unwrap(); // a Wednesday
        let r = |s: &str| resolve_date(s, d);
        assert_eq!(r("It met on Wednesday.").as_deref(), Some("2026-03-18"));
        assert_eq!(r("It met on Monday.").as_deref(), Some("2026-03-16"));
        assert_eq!(r("It meets next Monday.").as_deref(), Some("2026-03-23"));
        assert_eq!(
            r("It was announced yesterday.").as_deref(),
            Some("2026-03-17")
        );
        assert_eq!(r("Sales fell last month.").as_deref(), Some("2026-02"));
        assert_eq!(r("It opened on March 2.").as_deref(), Some("2026-03-02"));
        assert_eq!(r("It opened on 2 March 2020.").as_deref(), None);
        assert_eq!(r("It is a good plan.").as_deref(), None);
        let jan = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
        assert_eq!(
            resolve_date("Prices rose last month.", jan).as_deref(),
            Some("2025-12")
        );
        assert_eq!(
            resolve_date("On 28 December it closed.", jan).as_deref(),
            Some("2025-12-28")
        );
    }
}

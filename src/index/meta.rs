//! In-memory filter metadata for the vector index: which passage ids are live, and the date,
//! source and category of their article. Rebuilt from the store's small `article_info` table at
//! open; updated on every apply. A passage id in the HNSW graph that is not live here is a
//! tombstone and is never returned.

use std::collections::HashMap;

use crate::store::ArticleInfo;

use super::{normalize_label, Filters};

const NO_SLOT: u32 = u32::MAX;
const NONE_LABEL: u32 = u32::MAX;

#[derive(Default)]
struct Interner {
    ids: HashMap<String, u32>,
}

impl Interner {
    fn intern(&mut self, s: &str) -> u32 {
        let n = self.ids.len() as u32;
        *self.ids.entry(normalize_label(s)).or_insert(n)
    }
    fn get(&self, s: &str) -> Option<u32> {
        self.ids.get(&normalize_label(s)).copied()
    }
}

struct ArtMeta {
    id: String,
    /// Unix seconds; `i64::MIN` when unknown.
    published: i64,
    source: u32,
    category: u32,
    pids: Vec<u64>,
}

#[derive(Default)]
pub(crate) struct MetaTable {
    /// Indexed by pid: the article slot of a live passage, or `NO_SLOT`.
    pid_slot: Vec<u32>,
    arts: Vec<Option<ArtMeta>>,
    free: Vec<u32>,
    by_id: HashMap<String, u32>,
    sources: Interner,
    categories: Interner,
    live: usize,
}

/// A [`Filters`] resolved against the interned labels.
pub(crate) struct Compiled {
    pub(crate) any: bool,
    lo: i64,
    hi: i64,
    dated: bool,
    sources: Option<Vec<u32>>,
    categories: Option<Vec<u32>>,
}

impl MetaTable {
    pub(crate) fn live(&self) -> usize {
        self.live
    }

    pub(crate) fn is_live(&self, pid: u64) -> bool {
        self.slot(pid).is_some()
    }

    fn slot(&self, pid: u64) -> Option<u32> {
        match self.pid_slot.get(pid as usize) {
            Some(&s) if s != NO_SLOT => Some(s),
            _ => None,
        }
    }

    /// Sets (or replaces) an article and its live passages.
    pub(crate) fn set_article(&mut self, id: &str, info: &ArticleInfo) {
        self.remove_article(id);
        let meta = ArtMeta {
            id: id.to_string(),
            published: info.published_ts.unwrap_or(i64::MIN),
            source: info
                .source
                .as_deref()
                .map(|s| self.sources.intern(s))
                .unwrap_or(NONE_LABEL),
            category: info
                .category
                .as_deref()
                .map(|s| self.categories.intern(s))
                .unwrap_or(NONE_LABEL),
            pids: info.passage_ids.clone(),
        };
        let slot = match self.free.pop() {
            Some(s) => {
                self.arts[s as usize] = Some(meta);
                s
            }
            None => {
                self.arts.push(Some(meta));
                (self.arts.len() - 1) as u32
            }
        };
        self.by_id.insert(id.to_string(), slot);
        for &pid in &info.passage_ids {
            let i = pid as usize;
            if i >= self.pid_slot.len() {
                self.pid_slot.resize(i + 1, NO_SLOT);
            }
            if self.pid_slot[i] == NO_SLOT {
                self.live += 1;
            }
            self.pid_slot[i] = slot;
        }
    }

    pub(crate) fn remove_article(&mut self, id: &str) {
        let Some(slot) = self.by_id.remove(id) else {
            return;
        };
        if let Some(meta) = self.arts[slot as usize].take() {
            for pid in meta.pids {
                if let Some(s) = self.pid_slot.get_mut(pid as usize) {
                    if *s == slot {
                        *s = NO_SLOT;
                        self.live -= 1;
                    }
                }
            }
        }
        self.free.push(slot);
    }

    /// Adds live passages to an article, creating it if needed (per-passage indexing path).
    /// Ids of the article that are no longer live are forgotten.
    pub(crate) fn add_passages(
        &mut self,
        id: &str,
        published_ts: Option<i64>,
        source: Option<&str>,
        category: Option<&str>,
        pids: &[u64],
    ) {
        let mut keep: Vec<u64> = match self.by_id.get(id) {
            Some(&slot) => self.arts[slot as usize]
                .as_ref()
                .map(|a| {
                    a.pids
                        .iter()
                        .copied()
                        .filter(|&p| self.pid_slot.get(p as usize) == Some(&slot))
                        .collect()
                })
                .unwrap_or_default(),
            None => Vec::new(),
        };
        for p in pids {
            if !keep.contains(p) {
                keep.push(*p);
            }
        }
        let info = ArticleInfo {
            content_hash: String::new(),
            published_ts,
            source: source.map(str::to_string),
            category: category.map(str::to_string),
            passage_ids: keep,
            sentence_count: 0,
        };
        self.set_article(id, &info);
    }

    /// Marks passages dead; an article left without live passages is forgotten.
    pub(crate) fn remove_pids(&mut self, pids: &[u64]) {
        let mut touched = Vec::new();
        for &pid in pids {
            if let Some(s) = self.pid_slot.get_mut(pid as usize) {
                if *s != NO_SLOT {
                    touched.push(*s);
                    *s = NO_SLOT;
                    self.live -= 1;
                }
            }
        }
        touched.sort_unstable();
        touched.dedup();
        for slot in touched {
            let empty = self.arts[slot as usize].as_ref().is_some_and(|a| {
                a.pids
                    .iter()
                    .all(|&p| self.pid_slot.get(p as usize) != Some(&slot))
            });
            if empty {
                if let Some(a) = self.arts[slot as usize].take() {
                    self.by_id.remove(&a.id);
                }
                self.free.push(slot);
            }
        }
    }

    /// All live pids, ascending.
    pub(crate) fn live_pids(&self) -> Vec<u64> {
        self.pid_slot
            .iter()
            .enumerate()
            .filter(|(_, &s)| s != NO_SLOT)
            .map(|(p, _)| p as u64)
            .collect()
    }

    pub(crate) fn compile(&self, f: &Filters) -> Compiled {
        let lookup = |names: &[String], int: &Interner| -> Option<Vec<u32>> {
            if names.is_empty() {
                return None;
            }
            let mut v: Vec<u32> = names.iter().filter_map(|n| int.get(n)).collect();
            v.sort_unstable();
            v.dedup();
            Some(v)
        };
        Compiled {
            any: !f.is_empty(),
            lo: f.published_after.map(|d| d.timestamp()).unwrap_or(i64::MIN),
            hi: f
                .published_before
                .map(|d| d.timestamp())
                .unwrap_or(i64::MAX),
            dated: f.published_after.is_some() || f.published_before.is_some(),
            sources: lookup(&f.sources, &self.sources),
            categories: lookup(&f.categories, &self.categories),
        }
    }

    fn art_matches(&self, c: &Compiled, a: &ArtMeta) -> bool {
        if c.dated && (a.published == i64::MIN || a.published < c.lo || a.published > c.hi) {
            return false;
        }
        if let Some(s) = &c.sources {
            if s.binary_search(&a.source).is_err() {
                return false;
            }
        }
        if let Some(s) = &c.categories {
            if s.binary_search(&a.category).is_err() {
                return false;
            }
        }
        true
    }

    /// Live and matching the filter.
    #[inline]
    pub(crate) fn matches(&self, c: &Compiled, pid: u64) -> bool {
        match self.slot(pid) {
            None => false,
            Some(_) if !c.any => true,
            Some(s) => self.arts[s as usize]
                .as_ref()
                .is_some_and(|a| self.art_matches(c, a)),
        }
    }

    /// Live pids matching the filter, ascending within each article.
    pub(crate) fn matching_pids(&self, c: &Compiled) -> Vec<u64> {
        let mut out = Vec::new();
        for (slot, a) in self.arts.iter().enumerate() {
            let Some(a) = a else { continue };
            if !self.art_matches(c, a) {
                continue;
            }
            out.extend(
                a.pids
                    .iter()
                    .copied()
                    .filter(|&p| self.pid_slot.get(p as usize) == Some(&(slot as u32))),
            );
        }
        out
    }

    /// Number of live pids matching the filter.
    pub(crate) fn count_matching(&self, c: &Compiled) -> usize {
        if !c.any {
            return self.live;
        }
        let mut n = 0;
        for (slot, a) in self.arts.iter().enumerate() {
            let Some(a) = a else { continue };
            if self.art_matches(c, a) {
                n += a
                    .pids
                    .iter()
                    .filter(|&&p| self.pid_slot.get(p as usize) == Some(&(slot as u32)))
                    .count();
            }
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    fn info(ts: Option<i64>, src: &str, cat: &str, pids: &[u64]) -> ArticleInfo {
        ArticleInfo {
            content_hash: "h".into(),
            published_ts: ts,
            source: Some(src.into()),
            category: Some(cat.into()),
            passage_ids: pids.to_vec(),
            sentence_count: 0,
        }
    }

    #[test]
    fn filters_match_case_insensitively_with_inclusive_dates() {
        let mut m = MetaTable::default();
        m.set_article("a", &info(Some(100), "KNN", "MSME", &[1, 2]));
        m.set_article("b", &info(Some(200), "ANI", "Economy", &[3]));
        m.set_article("c", &info(None, "knn", "msme", &[4]));
        assert_eq!(m.live(), 4);
        let f = Filters {
            sources: vec![" knn ".into()],
            ..Default::default()
        };
        assert_eq!(m.matching_pids(&m.compile(&f)), vec![1, 2, 4]);
        let f = Filters {
            published_after: Some(DateTime::from_timestamp(100, 0).unwrap().fixed_offset()),
            ..Default::default()
        };
        let c = m.compile(&f);
        assert_eq!(m.matching_pids(&c), vec![1, 2, 3]);
        assert!(
            !m.matches(&c, 4),
            "undated article never matches a date filter"
        );
        let f = Filters {
            categories: vec!["nope".into()],
            ..Default::default()
        };
        assert_eq!(m.count_matching(&m.compile(&f)), 0);
        m.set_article("a", &info(Some(100), "KNN", "MSME", &[5]));
        assert!(!m.is_live(1) && !m.is_live(2) && m.is_live(5));
        m.remove_article("b");
        assert_eq!(m.live_pids(), vec![4, 5]);
        // Per-passage path: replace a's passages one by one.
        m.remove_pids(&[5]);
        assert!(
            !m.by_id.contains_key("a"),
            "an article with no live passage is forgotten"
        );
        m.add_passages("a", Some(100), Some("KNN"), Some("MSME"), &[6]);
        m.add_passages("a", Some(100), Some("KNN"), Some("MSME"), &[7]);
        let f = Filters {
            sources: vec!["knn".into()],
            ..Default::default()
        };
        let mut got = m.matching_pids(&m.compile(&f));
        got.sort_unstable();
        assert_eq!(got, vec![4, 6, 7]);
        assert_eq!(m.count_matching(&m.compile(&f)), 3);
    }
}

//! Feed subscriptions in the store: table `feeds` (feed id → the subscription and its status as
//! JSON, owned by `crate::feeds`) and `feed_items` ((feed id, article id) → (), which articles a
//! feed has delivered, for its `articles_total`). Both are created when the store opens.
//!
//! The store does not interpret the JSON: the feeds layer owns its shape. Every write is its own
//! durable transaction, like the article writes. Subscriptions are not articles: they do not move
//! the store's change sequence and the derived indexes never see them.

use redb::{Durability, ReadableTable, ReadableTableMetadata, TableDefinition, WriteTransaction};

use super::{Store, StoreError, ARTICLE_INFO};

const FEEDS: TableDefinition<&str, &[u8]> = TableDefinition::new("feeds");
const FEED_ITEMS: TableDefinition<(&str, &str), ()> = TableDefinition::new("feed_items");

/// Creates the feed tables (called by `Store::open`).
pub(super) fn create_tables(w: &WriteTransaction) -> Result<(), StoreError> {
    w.open_table(FEEDS)?;
    w.open_table(FEED_ITEMS)?;
    Ok(())
}

/// What [`Store::insert_feed`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedInsert {
    /// Stored.
    Inserted,
    /// A feed with this id exists already; its JSON, untouched.
    Exists(Vec<u8>),
    /// The store holds `limit` feeds already; nothing was written.
    Full,
}

impl Store {
    /// Stores a new feed unless one with the same id exists or `limit` feeds are stored, in
    /// one transaction (two concurrent adds of one URL cannot both insert).
    pub fn insert_feed(
        &self,
        id: &str,
        json: &[u8],
        limit: usize,
    ) -> Result<FeedInsert, StoreError> {
        let mut w = self.db.begin_write()?;
        w.set_durability(Durability::Immediate);
        let out = {
            let mut t = w.open_table(FEEDS)?;
            let existing = t.get(id)?.map(|v| v.value().to_vec());
            match existing {
                Some(v) => FeedInsert::Exists(v),
                None if t.len()? >= limit as u64 => FeedInsert::Full,
                None => {
                    t.insert(id, json)?;
                    FeedInsert::Inserted
                }
            }
        };
        if out == FeedInsert::Inserted {
            w.commit()?;
        } else {
            w.abort()?;
        }
        Ok(out)
    }

    /// Replaces a feed's JSON and records the articles it delivered, in one transaction, only
    /// if the feed still exists (a fetch that ends after the feed was removed brings nothing
    /// back). Returns whether it existed.
    pub fn update_feed(
        &self,
        id: &str,
        json: &[u8],
        article_ids: &[&str],
    ) -> Result<bool, StoreError> {
        let mut w = self.db.begin_write()?;
        w.set_durability(Durability::Immediate);
        let exists = {
            let mut t = w.open_table(FEEDS)?;
            let exists = t.get(id)?.is_some();
            if exists {
                t.insert(id, json)?;
                let mut items = w.open_table(FEED_ITEMS)?;
                for a in article_ids {
                    items.insert((id, *a), ())?;
                }
            }
            exists
        };
        if exists {
            w.commit()?;
        } else {
            w.abort()?;
        }
        Ok(exists)
    }

    /// One feed's JSON.
    pub fn feed(&self, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let r = self.db.begin_read()?;
        let t = r.open_table(FEEDS)?;
        Ok(t.get(id)?.map(|v| v.value().to_vec()))
    }

    /// Every feed's id and JSON, in id order.
    pub fn feeds(&self) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let r = self.db.begin_read()?;
        let t = r.open_table(FEEDS)?;
        let mut out = Vec::new();
        for e in t.iter()? {
            let (k, v) = e?;
            out.push((k.value().to_string(), v.value().to_vec()));
        }
        Ok(out)
    }

    /// Removes a feed and its delivery records; its articles stay. Returns whether it existed.
    pub fn delete_feed(&self, id: &str) -> Result<bool, StoreError> {
        let mut w = self.db.begin_write()?;
        w.set_durability(Durability::Immediate);
        let existed = {
            let mut t = w.open_table(FEEDS)?;
            let existed = t.remove(id)?.is_some();
            let mut items = w.open_table(FEED_ITEMS)?;
            let mut keys = Vec::new();
            for e in items.range((id, "")..)? {
                let (k, _) = e?;
                let (feed, article) = k.value();
                if feed != id {
                    break;
                }
                keys.push(article.to_string());
            }
            for a in &keys {
                items.remove((id, a.as_str()))?;
            }
            existed
        };
        w.commit()?;
        Ok(existed)
    }

    /// Articles a feed has delivered that are still stored (one snapshot).
    pub fn feed_article_count(&self, id: &str) -> Result<u64, StoreError> {
        let r = self.db.begin_read()?;
        let items = r.open_table(FEED_ITEMS)?;
        let infos = r.open_table(ARTICLE_INFO)?;
        let mut n = 0;
        for e in items.range((id, "")..)? {
            let (k, _) = e?;
            let (feed, article) = k.value();
            if feed != id {
                break;
            }
            if infos.get(article)?.is_some() {
                n += 1;
            }
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::manifest;
    use super::*;

    #[test]
    fn feeds_insert_once_update_only_while_present_and_count_live_articles() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path(), &manifest()).unwrap();
        assert_eq!(
            s.insert_feed("a", b"{\"v\":1}", 2).unwrap(),
            FeedInsert::Inserted
        );
        assert_eq!(
            s.insert_feed("a", b"{\"v\":2}", 2).unwrap(),
            FeedInsert::Exists(b"{\"v\":1}".to_vec())
        );
        assert_eq!(s.insert_feed("b", b"{}", 2).unwrap(), FeedInsert::Inserted);
        assert_eq!(s.insert_feed("c", b"{}", 2).unwrap(), FeedInsert::Full);
        assert!(s.update_feed("a", b"{\"v\":3}", &["x", "y"]).unwrap());
        assert!(s.update_feed("b", b"{}", &["x"]).unwrap());
        assert!(!s.update_feed("c", b"{}", &["z"]).unwrap());
        assert_eq!(s.feed("a").unwrap().unwrap(), b"{\"v\":3}".to_vec());
        assert_eq!(s.feed("c").unwrap(), None);
        // No article "x" or "y" is stored: delivered ids that are gone do not count.
        assert_eq!(s.feed_article_count("a").unwrap(), 0);
        let ids: Vec<String> = s.feeds().unwrap().into_iter().map(|(k, _)| k).collect();
        assert_eq!(ids, ["a", "b"]);
        assert!(s.delete_feed("a").unwrap());
        assert!(!s.delete_feed("a").unwrap());
        assert_eq!(s.feed("a").unwrap(), None);
        // b's delivery records survive a's removal.
        let r = s.db.begin_read().unwrap();
        let t = r.open_table(FEED_ITEMS).unwrap();
        let keys: Vec<(String, String)> = t
            .iter()
            .unwrap()
            .map(|e| {
                let (k, _) = e.unwrap();
                (k.value().0.to_string(), k.value().1.to_string())
            })
            .collect();
        assert_eq!(keys, [("b".to_string(), "x".to_string())]);
        drop((t, r, s));
        // The subscription survives a reopen.
        let s = Store::open(dir.path(), &manifest()).unwrap();
        assert_eq!(s.feeds().unwrap().len(), 1);
    }
}

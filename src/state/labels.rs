//! Label and annotation sets as alerts hold them: a sorted list of shared strings. Ten
//! thousand alerts repeat the same few dozen keys and values, and a map of owned strings
//! per alert cost about a kilobyte each (a tree node and two allocations per entry).

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

/// Key-value pairs sorted by key, each key once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Labels(Box<[(Arc<str>, Arc<str>)]>);

impl Labels {
    /// Builds the set from pairs in any order; of two equal keys the later value wins, as
    /// when a map is filled from a JSON object.
    pub fn from_pairs(mut pairs: Vec<(Arc<str>, Arc<str>)>) -> Labels {
        // Stable, so equal keys keep their order and the last of each run is the later one.
        pairs.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out: Vec<(Arc<str>, Arc<str>)> = Vec::with_capacity(pairs.len());
        for p in pairs {
            match out.last_mut() {
                Some(last) if last.0 == p.0 => *last = p,
                _ => out.push(p),
            }
        }
        Labels(out.into_boxed_slice())
    }

    /// Sets one pair, replacing the key's value when it has one.
    pub fn insert(&mut self, key: Arc<str>, value: Arc<str>) {
        let mut pairs = std::mem::take(&mut self.0).into_vec();
        pairs.push((key, value));
        *self = Labels::from_pairs(pairs);
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .binary_search_by(|(k, _)| (**k).cmp(key))
            .ok()
            .map(|i| &*self.0[i].1)
    }

    /// The value as the set holds it, to share rather than copy.
    pub fn get_shared(&self, key: &str) -> Option<&Arc<str>> {
        self.0
            .binary_search_by(|(k, _)| (**k).cmp(key))
            .ok()
            .map(|i| &self.0[i].1)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// In key order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&str, &str)> + ExactSizeIterator {
        self.0.iter().map(|(k, v)| (&**k, &**v))
    }

    /// An owned map, for what outlives the alert (journal records, silences, runbooks).
    pub fn to_map(&self) -> BTreeMap<String, String> {
        self.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }
}

impl<'a> IntoIterator for &'a Labels {
    type Item = (&'a str, &'a str);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (Arc<str>, Arc<str>)>,
        fn(&'a (Arc<str>, Arc<str>)) -> (&'a str, &'a str),
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (&**k, &**v))
    }
}

impl std::ops::Index<&str> for Labels {
    type Output = str;

    /// Panics when the key is absent, as a map's index does.
    fn index(&self, key: &str) -> &str {
        match self.get(key) {
            Some(v) => v,
            None => panic!("no label or annotation `{key}`"),
        }
    }
}

impl FromIterator<(String, String)> for Labels {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(iter: I) -> Labels {
        Labels::from_pairs(
            iter.into_iter()
                .map(|(k, v)| (Arc::from(k), Arc::from(v)))
                .collect(),
        )
    }
}

impl From<BTreeMap<String, String>> for Labels {
    fn from(m: BTreeMap<String, String>) -> Labels {
        m.into_iter().collect()
    }
}

impl PartialEq<BTreeMap<String, String>> for Labels {
    fn eq(&self, other: &BTreeMap<String, String>) -> bool {
        self.len() == other.len()
            && self
                .iter()
                .zip(other)
                .all(|((k, v), (ok, ov))| k == ok && v == ov)
    }
}

/// Hands out one shared copy of each distinct string, so repeated label keys and values
/// are stored once. It remembers at most `cap` strings: past that, new strings are still
/// returned (unshared), which bounds the table when every alert brings unique values.
#[derive(Debug)]
pub struct Interner {
    seen: HashSet<Arc<str>>,
    cap: usize,
}

impl Interner {
    pub fn new(cap: usize) -> Interner {
        Interner {
            seen: HashSet::new(),
            cap,
        }
    }

    pub fn intern(&mut self, s: &str) -> Arc<str> {
        if let Some(have) = self.seen.get(s) {
            return Arc::clone(have);
        }
        let new: Arc<str> = Arc::from(s);
        if self.seen.len() < self.cap {
            self.seen.insert(Arc::clone(&new));
        }
        new
    }

    /// How many distinct strings it remembers.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(k: &str, v: &str) -> (Arc<str>, Arc<str>) {
        (Arc::from(k), Arc::from(v))
    }

    #[test]
    fn labels_are_sorted_and_found_by_key() {
        let l = Labels::from_pairs(vec![
            pair("tenant", "acme"),
            pair("alertname", "A"),
            pair("pod", "p-1"),
        ]);
        let keys: Vec<&str> = l.iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["alertname", "pod", "tenant"]);
        assert_eq!(l.get("tenant"), Some("acme"));
        assert_eq!(l.get("missing"), None);
        assert!(l.contains_key("pod"));
        assert_eq!(&l["alertname"], "A");
        assert_eq!(l.len(), 3);
        assert!(!l.is_empty());
        assert!(Labels::default().is_empty());
    }

    #[test]
    fn a_repeated_key_keeps_the_later_value_like_a_map() {
        let l = Labels::from_pairs(vec![pair("a", "1"), pair("b", "x"), pair("a", "2")]);
        let mut m = BTreeMap::new();
        m.insert("a".to_string(), "1".to_string());
        m.insert("b".to_string(), "x".to_string());
        m.insert("a".to_string(), "2".to_string());
        assert_eq!(l.len(), 2);
        assert_eq!(l.get("a"), Some("2"));
        assert_eq!(l, m);
        assert_eq!(l.to_map(), m);
        assert_eq!(Labels::from(m.clone()), l);
        let mut l = l;
        l.insert("a".into(), "3".into());
        l.insert("0".into(), "z".into());
        let pairs: Vec<(&str, &str)> = l.iter().collect();
        assert_eq!(pairs, [("0", "z"), ("a", "3"), ("b", "x")]);
    }

    #[test]
    fn equality_with_a_map_compares_every_pair() {
        let l: Labels = [("a".to_string(), "1".to_string())].into_iter().collect();
        let mut m = BTreeMap::from([("a".to_string(), "1".to_string())]);
        assert_eq!(l, m);
        m.insert("b".into(), "2".into());
        assert_ne!(l, m);
        let other = BTreeMap::from([("a".to_string(), "2".to_string())]);
        assert_ne!(l, other);
    }

    #[test]
    #[should_panic(expected = "no label or annotation `x`")]
    fn indexing_a_missing_key_panics() {
        let _ = &Labels::default()["x"];
    }

    #[test]
    fn interner_shares_equal_strings() {
        let mut i = Interner::new(10);
        let a = i.intern("prod-1");
        let b = i.intern("prod-1");
        let c = i.intern("prod-2");
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &c));
        assert_eq!(&*c, "prod-2");
        assert_eq!(i.len(), 2);
    }

    #[test]
    fn interner_stops_remembering_at_its_cap_but_still_answers() {
        let mut i = Interner::new(2);
        let a = i.intern("a");
        i.intern("b");
        let c1 = i.intern("c");
        let c2 = i.intern("c");
        assert_eq!(i.len(), 2);
        assert_eq!((&*c1, &*c2), ("c", "c"));
        assert!(
            !Arc::ptr_eq(&c1, &c2),
            "past the cap, strings are not shared"
        );
        assert!(
            Arc::ptr_eq(&a, &i.intern("a")),
            "what it holds is still shared"
        );
    }
}

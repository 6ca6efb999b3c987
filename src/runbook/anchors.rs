//! GitHub-compatible heading anchors, so a branch link that works on GitHub works in the
//! console and the reverse.

use std::collections::HashMap;

/// The anchor GitHub gives a heading's text before de-duplication: lower case, punctuation
/// dropped, spaces turned into hyphens.
pub fn slug(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.trim().chars() {
        if c.is_alphanumeric() || c == '_' || c == '-' {
            out.extend(c.to_lowercase());
        } else if c == ' ' {
            out.push('-');
        }
    }
    out
}

/// Gives repeated slugs GitHub's `-1`, `-2` suffixes, in document order.
#[derive(Debug, Default)]
pub struct Anchors {
    seen: HashMap<String, usize>,
}

impl Anchors {
    pub fn next(&mut self, text: &str) -> String {
        let base = slug(text);
        let n = self.seen.entry(base.clone()).or_insert(0);
        let anchor = if *n == 0 {
            base.clone()
        } else {
            format!("{base}-{n}")
        };
        *n += 1;
        anchor
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_github() {
        assert_eq!(slug("Is it real? (under 60 s)"), "is-it-real-under-60-s");
        assert_eq!(slug("Scale out `catalog`"), "scale-out-catalog");
        assert_eq!(slug("DB lag > 30 s"), "db-lag--30-s");
        assert_eq!(slug("Ünïcode Straße"), "ünïcode-straße");
        let mut a = Anchors::default();
        assert_eq!(a.next("Postmortem"), "postmortem");
        assert_eq!(a.next("Postmortem"), "postmortem-1");
        assert_eq!(a.next("postmortem"), "postmortem-2");
    }
}

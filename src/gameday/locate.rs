//! Finds where a value sits in a block-style YAML file, so a finding about a game-day
//! (a missing hypothesis, a selector outside the boundary) points at `file:line:col` even
//! though serde only reports positions for syntax and type errors.
//!
//! It reads indentation, not YAML: enough for the block style game-day files are written
//! in. A path it cannot follow (flow style, `{a: 1}`) resolves to the deepest key it found.

use crate::runbook::Pos;

/// One step of a path: a mapping key or a sequence index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

impl Seg {
    pub fn key(k: &str) -> Seg {
        Seg::Key(k.to_string())
    }
}

/// A significant line: where its key or list item starts.
#[derive(Debug, Clone)]
struct Line<'a> {
    /// 0-based line number.
    no: usize,
    /// Indent of the first character (the `-` for an item).
    indent: usize,
    /// `- ` item start: the dash's indent.
    item: Option<usize>,
    /// The key on this line and its indent, if the line holds `key:`.
    key: Option<(&'a str, usize)>,
}

fn lines(text: &str) -> Vec<Line<'_>> {
    let mut out = Vec::new();
    for (no, raw) in text.lines().enumerate() {
        let trimmed = raw.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with("---") {
            continue;
        }
        let indent = raw.len() - trimmed.len();
        let (item, rest, rest_indent) = match trimmed.strip_prefix('-') {
            Some(r) if r.is_empty() || r.starts_with(' ') => {
                let after = r.trim_start();
                (Some(indent), after, indent + 1 + (r.len() - after.len()))
            }
            _ => (None, trimmed, indent),
        };
        let key = rest
            .find(':')
            .filter(|&i| rest[i + 1..].is_empty() || rest[i + 1..].starts_with(' '))
            .map(|i| rest[..i].trim().trim_matches('"').trim_matches('\''))
            .filter(|k| !k.is_empty() && !k.contains(char::is_whitespace))
            .map(|k| (k, rest_indent));
        out.push(Line {
            no,
            indent,
            item,
            key,
        });
    }
    out
}

/// The 1-based position of the key (or item) at `path`, or of the deepest part found.
/// `None` only when not even the first step is there.
pub fn locate(text: &str, path: &[Seg]) -> Option<Pos> {
    let all = lines(text);
    let mut range = &all[..];
    let mut found: Option<Pos> = None;
    for seg in path {
        let next = match seg {
            Seg::Key(k) => child_key(range, k),
            Seg::Index(i) => child_item(range, *i),
        };
        let Some((pos, sub)) = next else {
            break;
        };
        found = Some(pos);
        range = sub;
    }
    found
}

/// The direct child `key:` in `range` and the lines of its value.
fn child_key<'r, 'a>(range: &'r [Line<'a>], key: &str) -> Option<(Pos, &'r [Line<'a>])> {
    let depth = range.iter().filter_map(|l| l.key.map(|k| k.1)).min()?;
    let i = range
        .iter()
        .position(|l| l.key.is_some_and(|(k, ind)| ind == depth && k == key))?;
    let line = &range[i];
    let ind = line.key.map_or(0, |k| k.1);
    // The value runs until a line at or left of the key (a sequence may sit at the key's
    // own indent: `key:\n- item`).
    let end = range[i + 1..]
        .iter()
        .position(|l| l.indent < ind || (l.indent == ind && l.item.is_none()))
        .map_or(range.len(), |n| i + 1 + n);
    Some((
        Pos {
            line: line.no + 1,
            col: ind + 1,
        },
        &range[i + 1..end],
    ))
}

/// The `n`-th item (from 0) of the sequence in `range` and its lines.
fn child_item<'r, 'a>(range: &'r [Line<'a>], n: usize) -> Option<(Pos, &'r [Line<'a>])> {
    let depth = range.iter().filter_map(|l| l.item).min()?;
    let starts: Vec<usize> = range
        .iter()
        .enumerate()
        .filter(|(_, l)| l.item == Some(depth))
        .map(|(i, _)| i)
        .collect();
    let i = *starts.get(n)?;
    let end = range[i + 1..]
        .iter()
        .position(|l| l.indent < depth || l.item == Some(depth))
        .map_or(range.len(), |k| i + 1 + k);
    // The item's own lines: its first key sits on the dash line.
    Some((
        Pos {
            line: range[i].no + 1,
            col: depth + 1,
        },
        &range[i..end],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "\
name: x
boundary:
  context: staging
  namespace: shop
experiments:
  - name: kill
    manifest:
      kind: PodChaos
      spec:
        mode: one
        selector:
          namespaces: [shop]
  - name: delay
    manifest:
      spec:
        mode: all
abort: { query: up }
";

    fn at(path: &[Seg]) -> (usize, usize) {
        let p = locate(TEXT, path).unwrap();
        (p.line, p.col)
    }

    #[test]
    fn finds_keys_and_items_by_indentation() {
        assert_eq!(at(&[Seg::key("name")]), (1, 1));
        assert_eq!(at(&[Seg::key("boundary"), Seg::key("namespace")]), (4, 3));
        assert_eq!(
            at(&[Seg::key("experiments"), Seg::Index(1), Seg::key("name")]),
            (13, 5)
        );
        assert_eq!(
            at(&[
                Seg::key("experiments"),
                Seg::Index(1),
                Seg::key("manifest"),
                Seg::key("spec"),
                Seg::key("mode")
            ]),
            (16, 9)
        );
        assert_eq!(
            at(&[
                Seg::key("experiments"),
                Seg::Index(0),
                Seg::key("manifest"),
                Seg::key("spec"),
                Seg::key("selector"),
                Seg::key("namespaces")
            ]),
            (12, 11)
        );
        // Flow style: the deepest key found.
        assert_eq!(at(&[Seg::key("abort"), Seg::key("query")]), (17, 1));
        // A key that is not there.
        assert_eq!(at(&[Seg::key("boundary"), Seg::key("max_pods")]), (2, 1));
        assert!(locate(TEXT, &[Seg::key("nope")]).is_none());
    }

    #[test]
    fn sequences_at_the_keys_own_indent() {
        let text = "experiments:\n- name: a\n- name: b\n  manifest:\n    kind: X\nafter: 1\n";
        let p = locate(
            text,
            &[
                Seg::key("experiments"),
                Seg::Index(1),
                Seg::key("manifest"),
                Seg::key("kind"),
            ],
        )
        .unwrap();
        assert_eq!((p.line, p.col), (5, 5));
    }
}

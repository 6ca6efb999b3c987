//! `{{label}}` placeholders: found for lint, filled from the selected alert's labels for
//! display. A label the alert lacks stays visible as unresolved, never an empty string.

use std::collections::BTreeMap;

/// A piece of a command after filling placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Text(String),
    Filled(String),
    /// The `{{name}}` as written, because the alert has no such label.
    Unresolved(String),
}

/// Every `{{ name }}` in `text`: (byte offset, name).
pub fn find(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(start) = text[from..].find("{{").map(|i| i + from) {
        let Some(end) = text[start + 2..].find("}}").map(|i| i + start + 2) else {
            break;
        };
        let name = text[start + 2..end].trim();
        if !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-')
        {
            out.push((start, name.to_string()));
        }
        from = end + 2;
    }
    out
}

/// Splits `text` into literal text, filled labels and unresolved placeholders.
pub fn fill(text: &str, labels: &BTreeMap<String, String>) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut at = 0;
    for (start, name) in find(text) {
        if start > at {
            out.push(Piece::Text(text[at..start].to_string()));
        }
        let end = start + text[start..].find("}}").map_or(0, |i| i + 2);
        match labels.get(&name) {
            Some(v) => out.push(Piece::Filled(v.clone())),
            None => out.push(Piece::Unresolved(text[start..end].to_string())),
        }
        at = end;
    }
    if at < text.len() {
        out.push(Piece::Text(text[at..].to_string()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_and_marks_missing() {
        let labels = BTreeMap::from([("namespace".to_string(), "catalog".to_string())]);
        let p = fill("kubectl -n {{namespace}} get {{ kind }}", &labels);
        assert_eq!(
            p,
            vec![
                Piece::Text("kubectl -n ".into()),
                Piece::Filled("catalog".into()),
                Piece::Text(" get ".into()),
                Piece::Unresolved("{{ kind }}".into()),
            ]
        );
        assert_eq!(
            find("a {{x}} {{ y }} {{}} {{z"),
            vec![(2, "x".into()), (8, "y".into())]
        );
    }
}

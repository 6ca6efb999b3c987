//! Text helpers for the parser: byte offsets to line and column, fence bodies, branch
//! labels. Small pure functions, kept apart so the parser reads as the walk over events.

use pulldown_cmark::HeadingLevel;

use super::model::{Inline, Pos};

/// Maps byte offsets to 1-based line and column (in characters).
pub struct Lines<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    pub fn new(text: &'a str) -> Lines<'a> {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Lines { text, starts }
    }

    pub fn pos(&self, offset: usize) -> Pos {
        let offset = offset.min(self.text.len());
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts[line - 1];
        let col = self
            .text
            .get(start..offset)
            .map_or(1, |s| s.chars().count() + 1);
        Pos { line, col }
    }
}

/// The lines between the fences, and whether the closing fence is there.
pub(super) fn fence_body(src: &str, fenced: bool) -> (Vec<&str>, bool) {
    let mut lines: Vec<&str> = src
        .lines()
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    if !fenced {
        return (
            lines.iter().map(|l| l.get(4..).unwrap_or("")).collect(),
            true,
        );
    }
    let open = lines.first().map_or("", |l| l.trim_start());
    let fence_char = open.chars().next().unwrap_or('`');
    let fence_len = open.chars().take_while(|&c| c == fence_char).count();
    let indent = lines.first().map_or(0, |l| l.len() - l.trim_start().len());
    let closed = lines.len() > 1
        && lines.last().is_some_and(|l| {
            let t = l.trim();
            t.chars().take_while(|&c| c == fence_char).count() >= fence_len
                && t.chars().all(|c| c == fence_char)
        });
    if closed {
        lines.pop();
    }
    let body = lines
        .into_iter()
        .skip(1)
        .map(|l| {
            let strip = l.len() - l.trim_start().len();
            &l[strip.min(indent)..]
        })
        .collect();
    (body, closed)
}

pub(super) fn heading_level(l: HeadingLevel) -> u8 {
    match l {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

/// "Lag above 30 s: [go to DB lag](#db-lag)" reads as "Lag above 30 s" in the console: the
/// text around the link when there is any, else the link's own text.
pub(super) fn branch_label(text: &str, from: usize, to: usize) -> String {
    let (Some(before), Some(link), Some(after)) =
        (text.get(..from), text.get(from..to), text.get(to..))
    else {
        return text.trim().to_string();
    };
    let before =
        before.trim_end_matches(|c: char| c.is_whitespace() || matches!(c, ':' | '-' | '→' | '—'));
    let after = after.trim();
    match (before.is_empty(), after.is_empty()) {
        (true, true) => link.trim().to_string(),
        (true, false) => format!("{} {after}", link.trim()),
        (false, true) => before.to_string(),
        (false, false) => format!("{before} {after}"),
    }
}

/// The text of inline runs without their styling.
pub fn plain(inl: &[Inline]) -> String {
    inl.iter().map(|i| i.text.as_str()).collect::<String>()
}

//! Makes untrusted text (alert labels, runbook files, command output) safe to draw.
//!
//! ratatui drops raw control bytes but leaves printable residue of escape sequences, and
//! zero-width or bidi characters vanish silently (`kube\u{200B}-system` would look exactly like
//! `kube-system`). So every such character is replaced by a visible escape *where text enters
//! the program*, and the UI only ever draws sanitized strings.

use std::borrow::Cow;

/// True for characters that must never reach the terminal raw.
pub fn is_hazard(c: char) -> bool {
    c.is_control()
        || matches!(c,
            // zero-width and invisible formatting characters
            '\u{200B}'..='\u{200F}'
            | '\u{2028}'..='\u{202E}'   // line/paragraph separators, bidi embeddings/overrides
            | '\u{2060}'..='\u{2064}'   // word joiner, invisible operators
            | '\u{2066}'..='\u{2069}'   // bidi isolates
            | '\u{FEFF}'                // zero-width no-break space / BOM
            | '\u{00AD}'                // soft hyphen
            | '\u{034F}'                // combining grapheme joiner
            | '\u{061C}'                // arabic letter mark
            | '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}' // hangul fillers
            | '\u{180E}'                // mongolian vowel separator
            | '\u{FFF9}'..='\u{FFFB}'   // interlinear annotations
        )
}

/// Replaces every hazardous character with a visible `\u{XXXX}` (or `\t`, `\n`, `\r`) escape.
/// Returns the input unchanged, without allocating, when it is already safe.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_hazard) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if is_hazard(c) => out.push_str(&format!("\\u{{{:04X}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Like [`escape`], then cuts the result to at most `max_chars` characters, ending with a
/// visible marker that says how much was cut, so a huge label cannot flood a pane.
pub fn escape_truncated(text: &str, max_chars: usize) -> String {
    let escaped = escape(text);
    let total = escaped.chars().count();
    if total <= max_chars {
        return escaped.into_owned();
    }
    let keep = max_chars.saturating_sub(1);
    let mut out: String = escaped.chars().take(keep).collect();
    out.push_str(&format!("…[+{} chars]", total - keep));
    out
}

/// For multi-line untrusted text: escapes each line but keeps the line structure.
pub fn escape_lines(text: &str) -> Vec<String> {
    text.lines().map(|l| escape(l).into_owned()).collect()
}

/// Like [`escape`] for text whose line breaks are its own (a message, an export): every
/// line is escaped, `\n` between lines is kept.
pub fn escape_keeping_lines(text: &str) -> String {
    if !text.chars().any(|c| c != '\n' && is_hazard(c)) {
        return text.to_string();
    }
    text.split('\n')
        .map(|l| escape(l).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_text_is_borrowed() {
        assert!(matches!(escape("catalog p99 > 500ms"), Cow::Borrowed(_)));
    }

    #[test]
    fn escape_sequences_and_invisibles_become_visible() {
        assert_eq!(escape("a\x1b]0;PWNED\x07b"), "a\\u{001B}]0;PWNED\\u{0007}b");
        assert_eq!(escape("kube\u{200B}-system"), "kube\\u{200B}-system");
        assert_eq!(escape("abc\u{202E}fed"), "abc\\u{202E}fed");
        assert_eq!(escape("x\ty\n"), "x\\ty\\n");
        assert_eq!(escape("\u{9b}31m"), "\\u{009B}31m");
    }

    #[test]
    fn line_breaks_of_the_text_itself_are_kept() {
        assert_eq!(
            escape_keeping_lines("a\x1b[2J\nb\u{202E}"),
            "a\\u{001B}[2J\nb\\u{202E}"
        );
        assert_eq!(escape_keeping_lines("plain\ntext"), "plain\ntext");
    }

    #[test]
    fn truncation_marks_what_was_cut() {
        let long = "x".repeat(100);
        let cut = escape_truncated(&long, 10);
        assert_eq!(cut, format!("{}…[+91 chars]", "x".repeat(9)));
        assert_eq!(escape_truncated("short", 10), "short");
    }
}

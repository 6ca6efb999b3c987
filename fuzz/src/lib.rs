//! Shared pieces of the fuzz targets, so each target in `fuzz_targets/` is a few lines:
//! turning fuzz bytes into the inputs the parsers take, and the properties every parser
//! must keep (no panic, and no hazardous character in anything it hands to the screen).

use warroom::sanitize::is_hazard;
use warroom::sources::http::Body;

/// The fuzz bytes as text. Invalid UTF-8 is skipped: the program reads files as UTF-8 and
/// rejects them before any parser sees them.
pub fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// An HTTP answer built from fuzz bytes: the first byte picks the status and content type,
/// the rest is the body, exactly as the pollers hand it to the parsers.
pub fn body(data: &[u8]) -> Body {
    let (pick, rest) = data.split_first().map_or((0, data), |(p, r)| (*p, r));
    let status = [200, 200, 200, 400, 404, 422, 500, 503][usize::from(pick & 7)];
    let content_type = if pick & 8 == 0 {
        "application/json"
    } else {
        "text/html; charset=utf-8"
    };
    Body {
        status,
        content_type: content_type.into(),
        bytes: rest.to_vec(),
    }
}

/// Panics (a fuzz finding) when text meant for one screen line carries a character the
/// sanitizer exists to remove.
pub fn assert_clean(what: &str, s: &str) {
    if let Some(c) = s.chars().find(|c| is_hazard(*c)) {
        panic!("{what} carries U+{:04X} raw: {s:?}", c as u32);
    }
}

/// Like [`assert_clean`] for multi-line text (exports): newlines are allowed.
pub fn assert_clean_lines(what: &str, s: &str) {
    for line in s.lines() {
        assert_clean(what, line);
    }
}

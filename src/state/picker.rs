//! The runbook picker (`/`): a fuzzy search over every loaded runbook's id, title and the
//! alerts it answers. Pure computation, so `update` and the overlay agree on the order.

use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};

use crate::runbook::Runbook;

/// The picker's query and which match is highlighted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Picker {
    pub query: String,
    pub selected: usize,
}

/// What the picker searches for one runbook.
fn haystack(rb: &Runbook) -> String {
    format!("{} {} {}", rb.id, rb.title, rb.meta.alerts.join(" "))
}

/// Indices into `runbooks`, best match first; all of them, in order, for an empty query.
pub fn matches(runbooks: &[Runbook], query: &str) -> Vec<usize> {
    if query.trim().is_empty() {
        return (0..runbooks.len()).collect();
    }
    let mut matcher = Matcher::new(Config::DEFAULT);
    let pattern = Pattern::parse(query, CaseMatching::Ignore, Normalization::Smart);
    let mut buf = Vec::new();
    let mut scored: Vec<(u32, usize)> = runbooks
        .iter()
        .enumerate()
        .filter_map(|(i, rb)| {
            let hay = haystack(rb);
            pattern
                .score(Utf32Str::new(&hay, &mut buf), &mut matcher)
                .map(|s| (s, i))
        })
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.into_iter().map(|(_, i)| i).collect()
}

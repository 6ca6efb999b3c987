//! The runbook picker (`/`): a fuzzy search over every loaded runbook's id, title and the
//! alerts it answers. Pure computation, so `update` and the overlay agree on the order.

use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::{Effect, Overlay, Pane, State};
use crate::incident::RecordKind;
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

/// The picker's modal keys: typed characters go to the query, nothing reaches the panes.
pub(super) fn on_key(state: &mut State, ev: &KeyEvent) -> Vec<Effect> {
    let Some(Overlay::Picker(picker)) = state.overlay.as_mut() else {
        return Vec::new();
    };
    if ev.kind == KeyEventKind::Release {
        return Vec::new();
    }
    state.dirty = true;
    let plain = !ev
        .modifiers
        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
    let found = matches(&state.runbooks, &picker.query);
    match ev.code {
        KeyCode::Esc => state.overlay = None,
        KeyCode::Char('c') if ev.modifiers.contains(KeyModifiers::CONTROL) => {
            state.overlay = None;
        }
        KeyCode::Enter => {
            let Some(&i) = found.get(picker.selected) else {
                return Vec::new();
            };
            state.overlay = None;
            // Labels only come along when the selected alert is one this runbook answers.
            let alert = state
                .alerts
                .selected_alert()
                .filter(|a| state.runbook_for(a) == Ok(i))
                .map(|a| a.fingerprint.clone());
            state.focus = Pane::Runbook;
            let runbook = state.runbooks[i].id.clone();
            return state.record_or_apply(RecordKind::RunbookOpened { runbook, alert });
        }
        KeyCode::Backspace => {
            picker.query.pop();
            picker.selected = 0;
        }
        KeyCode::Up => picker.selected = picker.selected.saturating_sub(1),
        KeyCode::Down => {
            picker.selected = (picker.selected + 1).min(found.len().saturating_sub(1));
        }
        KeyCode::Char(c) if plain && !crate::sanitize::is_hazard(c) && picker.query.len() < 64 => {
            picker.query.push(c);
            picker.selected = 0;
        }
        _ => {}
    }
    Vec::new()
}

//! The status bar: mode, how fresh each source's data is, the latest notice, key hints and
//! the UTC clock.

use super::canvas::Canvas;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::widgets::styled;
use crate::keymap::Action;
use crate::sanitize::escape;
use crate::sources::timing::Age;
use crate::state::drill::since;
use crate::state::{JournalStatus, Mode, State};
use crate::theme::Theme;

pub fn draw<'a>(frame: &mut Canvas<'a>, area: Rect, state: &'a State, theme: &'a Theme) {
    let mut left: Vec<Span> = vec![match state.mode {
        Mode::Demo => styled(" DEMO ", theme.mode_demo),
        Mode::Live => styled(" LIVE ", theme.mode_live),
    }];
    if crate::state::drill_flow::is_console(state) {
        left.push(Span::raw(" "));
        left.push(styled(" DRILL ", theme.mode_demo));
    }
    if state.read_only {
        left.push(Span::raw(" "));
        left.push(styled(" READ-ONLY ", theme.mode_read_only));
    }
    // Notices first: they answer the key just pressed.
    if let Some(n) = &state.notice {
        left.push(styled(format!(" {}", escape(&n.text)), theme.warn));
    }
    match &state.journal {
        JournalStatus::ReadOnly(_) => {
            left.push(Span::raw(" "));
            left.push(styled(" FOLLOWING ", theme.mode_read_only));
        }
        JournalStatus::Failed(why) => {
            left.push(Span::raw(" "));
            left.push(styled(
                " JOURNAL FAILED ",
                theme.error.add_modifier(ratatui::style::Modifier::REVERSED),
            ));
            left.push(styled(format!(" {}", escape(why)), theme.error));
        }
        JournalStatus::Writable | JournalStatus::NoIncident => {}
    }
    if let Some(w) = state.warnings.last() {
        left.push(styled(format!(" ⚠ {}", escape(w)), theme.stale));
    }
    if state.sources.is_empty() {
        left.push(styled(" no sources", theme.dim));
    }
    for s in &state.sources {
        left.push(Span::raw(" "));
        if let Some((up, total)) = s.endpoints.filter(|(_, t)| *t > 1) {
            let style = if up == total { theme.dim } else { theme.stale };
            left.push(styled(format!("{up}/{total} up "), style));
        }
        match (s.last_ok, &s.error) {
            (Some(t), None) if !s.is_stale(state.now) => {
                // Fresh data's age in seconds would change the bar every second for
                // nothing a person acts on; from a minute on it is worth a glance.
                let age = since(t, state.now);
                let text = if age.as_secs() < 60 {
                    format!("{} ✓", s.name)
                } else {
                    format!("{} ✓{}", s.name, Age(age))
                };
                left.push(styled(text, theme.dim));
            }
            (Some(t), _) => {
                left.push(styled(
                    format!("{} STALE since {}", s.name, t.format("%H:%M:%S")),
                    theme.stale,
                ));
            }
            (None, _) => left.push(styled(format!("{} no data yet", s.name), theme.stale)),
        }
        if let Some(e) = &s.error {
            left.push(styled(format!(" ({e})"), theme.error));
        } else if let Some(e) = s.endpoint_errors.first() {
            left.push(styled(format!(" ({e})"), theme.error));
        }
    }

    let clock = state.now.format(" %H:%M:%S UTC ").to_string();
    let mut hints: Vec<Span> = Vec::new();
    for (action, label) in [
        (Action::Help, "help"),
        (Action::FocusNext, "pane"),
        (Action::Zoom, "zoom"),
        (Action::Quit, "quit"),
    ] {
        if let Some(k) = state.keymap.hint(action) {
            hints.push(styled(k, theme.key));
            hints.push(styled(format!(" {label}  "), theme.status_bar));
        }
    }
    let hints_w: usize = hints.iter().map(|s| s.width()).sum();
    let left_w: usize = left.iter().map(|s| s.width()).sum();
    let room = area.width as usize;
    // Hints go first when space runs out: the mode, freshness and clock matter more.
    let show_hints = left_w + hints_w + clock.len() <= room;
    let right_w = clock.len() + if show_hints { hints_w } else { 0 };
    let [l, r] =
        Layout::horizontal([Constraint::Fill(1), Constraint::Length(right_w as u16)]).areas(area);
    frame.render_widget(Paragraph::new(Line::from(left)).style(theme.status_bar), l);
    let mut right = if show_hints { hints } else { Vec::new() };
    right.push(styled(clock, theme.header));
    frame.render_widget(Paragraph::new(Line::from(right)).style(theme.status_bar), r);
}
